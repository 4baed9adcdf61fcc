/*
** fuzz_store.c: the store's read of a damaged columnar copy.  A small
** table is written (which makes its copy), then one part of the copy is
** replaced by the fuzzer's bytes.  Reading the table must give exactly
** the table's rows (a damaged copy is detected and the SQL rows are read
** instead), or a clear error; never a crash, a leak or wrong values.
** With bit 4 of the first byte the part's checksum is made to match the
** new bytes (as if a faulty writer had made them), so that the decoder
** and its checks of values (dictionary codes, bools, row counts) see
** arbitrary bytes: then the read must give a table of the same shape or
** an error, and the part's checksum is dropped afterwards so that the
** next read makes the copy again.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

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
    int rc, forged;
    if (!st) setup();
    if (size < 1) return 0;
    forged = data[0] >> 4 & 1;
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
    if (forged) {
        cs_value q[3];
        memcpy(q + 1, p + 1, 2 * sizeof *p);
        memset(q, 0, sizeof *q);
        q[0].type = CS_TYPE_I64;
        q[0].u.i = (int64_t)XXH3_64bits(data + 1, size - 1);
        if (cs_store_exec(st, "UPDATE coopstat_block_sums SET sum = ? WHERE block = "
                              "(SELECT rowid FROM coopstat_blocks "
                              "WHERE tbl = 't' AND col = ? AND part = ?)", q, 3, NULL) != CS_OK)
            abort();
    }
    rc = cs_store_read(st, "t", NULL, 0, &ds);
    if (rc == CS_OK) {
        char *got = text_of(ds);
        if (forged ? cs_dataset_nrows(ds) != 3 || cs_dataset_ncols(ds) != 6
                   : strcmp(got, want) != 0) {
            fprintf(stderr, "read back differs:\n%s\nwanted:\n%s\n", got, want);
            abort();
        }
        cs_free_str(eng, got);
        cs_dataset_free(ds);
    }
    if (forged && cs_store_exec(st, "DELETE FROM coopstat_block_sums WHERE block = "
                                    "(SELECT rowid FROM coopstat_blocks "
                                    "WHERE tbl = 't' AND col = ? AND part = ?)",
                                p + 1, 2, NULL) != CS_OK)
        abort();
    return 0;
}
