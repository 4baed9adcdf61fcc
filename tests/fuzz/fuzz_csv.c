/*
** fuzz_csv.c: the CSV reader on arbitrary bytes.  The first byte picks
** the options (separator, decimal mark, header, encoding, a schema), the
** rest is the file.  Every outcome must be a dataset or an error, never
** a crash, a leak or undefined behaviour; a dataset read is also written
** back and formatted, to reach those paths with what the reader made.
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "coopstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char seps[] = {0, ',', ';', '\t', '|'};
    static const char *const encodings[] = {NULL, "cp1258", "tcvn3", "utf-16le"};
    static const char *const names[] = {"a", "b"};
    static const cs_type types[] = {CS_TYPE_I64, CS_TYPE_STR};
    cs_engine *eng;
    cs_csv_options opt;
    cs_dataset *ds = NULL;
    uint8_t k;
    if (size < 1) return 0;
    k = data[0];
    if (cs_engine_new(NULL, NULL, &eng) != CS_OK) return 0;
    cs_csv_options_init(&opt);
    opt.sep = seps[k % 5];
    opt.decimal = (k >> 3 & 1) ? ',' : '.';
    opt.thousands = (k >> 3 & 1) ? '.' : 0;
    opt.header = !(k >> 4 & 1);
    opt.encoding = encodings[(k >> 5) & 3];
    if (k & 0x80) {
        opt.schema_names = names;
        opt.schema_types = types;
        opt.nschema = 2;
    }
    if (cs_csv_read_buffer(eng, (const char *)data + 1, size - 1, "fuzz", &opt, &ds) ==
        CS_OK) {
        char *text = NULL;
        cs_format_options fo = {20, 80, 1};
        if (cs_dataset_format(ds, &fo, &text) == CS_OK) cs_free_str(eng, text);
        cs_dataset_free(ds);
    }
    cs_engine_free(eng);
    return 0;
}
