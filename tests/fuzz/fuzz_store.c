/*
** fuzz_store.c: the store's read of a damaged columnar copy.  A small
** table is written (which makes its copy), then one part of the copy is
** replaced by the fuzzer's bytes.  Reading the table must give exactly
** the table's rows (a damaged copy is detected and the SQL rows are read
** instead), or a clear error; never a crash, a leak or wrong values.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coopstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char table[] =
    "id,name,amount,share,ok,day\n"
    "1,Đà Bắc,100,0.5,true,2023-06-30\n"
    "2,,,-0.25,false,\n"
    "3,Lạc Sơn,-9223372036854775807,,true,2024-02-29\n";

static char path[64];
static cs_engine *eng;
static cs_store *st;
static char *want;

static char *text_of(const cs_dataset *ds)
{
    cs_format_options fo = {0, 0, 1};
    char *s = NULL;
    if (cs_dataset_format(ds, &fo, &s) != CS_OK) abort();
    return s;
}

static void setup(void)
{
    cs_dataset *ds;
    snprintf(path, sizeof path, "/tmp/fuzz_store_%ld.db", (long)getpid());
    unlink(path);
    if (cs_engine_new(NULL, NULL, &eng) != CS_OK) abort();
    if (cs_store_open(eng, path, &st) != CS_OK) abort();
    if (cs_csv_read_buffer(eng, table, sizeof table - 1, "t", NULL, &ds) != CS_OK) abort();
    if (cs_store_write(st, "t", ds, CS_WRITE_CREATE) != CS_OK) abort();
    want = text_of(ds);
    cs_dataset_free(ds);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_value p[3];
    cs_dataset *ds = NULL;
    int rc;
    if (!st) setup();
    if (size < 1) return 0;
    /* Byte 0 picks the part: a column's values (0-5) or the dictionary. */
    memset(p, 0, sizeof p);
    p[0].type = CS_TYPE_STR;
    p[0].u.s.p = (const char *)data + 1;
    p[0].u.s.len = size - 1;
    p[1].type = CS_TYPE_I64;
    p[1].u.i = data[0] % 6;
    p[2].type = CS_TYPE_I64;
    p[2].u.i = (data[0] >> 3 & 1) ? -1 : 0;
    if (cs_store_exec(st, "UPDATE coopstat_blocks SET data = cast(? AS BLOB) "
                          "WHERE tbl = 't' AND col = ? AND part = ?", p, 3, NULL) != CS_OK)
        return 0;
    rc = cs_store_read(st, "t", NULL, 0, &ds);
    if (rc == CS_OK) {
        char *got = text_of(ds);
        if (strcmp(got, want) != 0) {
            fprintf(stderr, "read back differs:\n%s\nwanted:\n%s\n", got, want);
            abort();
        }
        cs_free_str(eng, got);
        cs_dataset_free(ds);
    }
    return 0;
}
