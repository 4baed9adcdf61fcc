/*
** fuzz_expr.c: the expression compiler and evaluator on arbitrary text,
** over a small fixed dataset with every type and nulls.  An expression
** that compiles is evaluated, and used as a filter when it is bool.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coopstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixture[] =
    "i,f,s,b,d,n\n"
    "1,1.5,Đà Bắc,true,2023-06-30,\n"
    "-7,-0.0,Lạc Sơn,false,1999-01-01,\n"
    ",NaN,,,,\n"
    "9223372036854775807,1e308,HTX,true,2024-02-29,\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_engine *eng;
    cs_dataset *ds = NULL, *out = NULL;
    cs_expr *e = NULL;
    char *text;
    if (size > 4096) return 0;
    if (cs_engine_new(NULL, NULL, &eng) != CS_OK) return 0;
    if (cs_csv_read_buffer(eng, fixture, sizeof fixture - 1, "fixture", NULL, &ds) != CS_OK)
        abort();
    text = malloc(size + 1);
    if (!text) goto done;
    memcpy(text, data, size);
    text[size] = '\0';
    if (cs_expr_compile(ds, text, &e) == CS_OK) {
        cs_column *col = NULL;
        if (cs_expr_eval(e, ds, &col) == CS_OK) cs_column_release(col);
        if (cs_expr_type(e) == CS_TYPE_BOOL && cs_dataset_filter(ds, text, &out) == CS_OK)
            cs_dataset_free(out);
        cs_expr_free(e);
    }
    free(text);
done:
    cs_dataset_free(ds);
    cs_engine_free(eng);
    return 0;
}
