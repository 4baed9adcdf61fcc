/*
** test_faults.c: out-of-memory injection over the public core functions,
** as SQLite's malloc tests do.  For each operation, allocation number N
** of the engine fails, for N = 1, 2, ... until the operation succeeds;
** every failure must return CS_ENOMEM (or another error, never a crash),
** leak nothing, and leave its input unchanged (same fingerprint).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "coopstat.h"
#include "tally.h"

static const char input_csv[] =
    "district,kind,members,revenue,founded,ok\n"
    "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c,HTX,12,1.5,2015-03-01,true\n"
    "Mai Ch\xC3\xA2u,THT,,2.25,2019-11-20,false\n"
    "L\xE1\xBA\xA1" "c S\xC6\xA1n,HTX,30,,2001-01-01,\n"
    "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c,QTDND,700,9.5,1998-06-30,true\n"
    "Mai Ch\xC3\xA2u,HTX,8,0.5,2022-12-31,true\n";

static const char other_csv[] =
    "district,code\n"
    "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c,150\n"
    "Huy\xE1\xBB\x87n Mai Ch\xC3\xA2u,156\n";

typedef int (*op_fn)(cs_engine *eng, const cs_dataset *in, const cs_dataset *other,
                     cs_dataset **out);

static int op_read(cs_engine *eng, const cs_dataset *in, const cs_dataset *other,
                   cs_dataset **out)
{
    (void)in;
    (void)other;
    return cs_csv_read_buffer(eng, input_csv, sizeof input_csv - 1, "in", NULL, out);
}

static int op_filter(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    (void)eng;
    (void)o;
    return cs_dataset_filter(in, "kind == 'HTX' and members > 10 or revenue == nil", out);
}

static int op_mutate(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    static const char *const e[] = {"members * 2 + 1 as m2", "lower(district) .. kind as k",
                                    "year(founded) as y", "name_key(district) as key"};
    (void)eng;
    (void)o;
    return cs_dataset_mutate(in, e, 4, out);
}

static int op_agg(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    static const char *const keys[] = {"district", "kind"};
    static const char *const aggs[] = {"count() as n", "sum(members) as m", "mean(revenue) as r",
                                       "median(revenue) as med", "min(district) as d",
                                       "count_distinct(kind) as kinds", "share(members) as s"};
    (void)eng;
    (void)o;
    return cs_dataset_agg(in, keys, 1, aggs, 7, out);
}

static int op_distinct(cs_engine *eng, const cs_dataset *in, const cs_dataset *o,
                       cs_dataset **out)
{
    static const char *const keys[] = {"district"};
    (void)eng;
    (void)o;
    return cs_dataset_distinct(in, keys, 1, out);
}

static int op_pivot(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    static const char *const rows[] = {"district"};
    (void)eng;
    (void)o;
    return cs_dataset_pivot(in, rows, 1, "kind", "sum(members)", out);
}

static int op_sort(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    static const char *const keys[] = {"district", "members desc"};
    (void)eng;
    (void)o;
    return cs_dataset_sort(in, keys, 2, CS_COLLATE_VI, out);
}

static int op_join(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    static const char *const k[] = {"district"};
    (void)eng;
    return cs_dataset_join(in, o, k, k, 1, CS_JOIN_LEFT, NULL, out);
}

static int op_join_names(cs_engine *eng, const cs_dataset *in, const cs_dataset *o,
                         cs_dataset **out)
{
    static const char *const k[] = {"district"};
    (void)eng;
    return cs_dataset_join_names(in, o, k, k, 1, CS_JOIN_INNER, NULL, out);
}

static int op_concat(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    (void)eng;
    (void)o;
    return cs_dataset_concat(in, in, out);
}

static int op_select_rename(cs_engine *eng, const cs_dataset *in, const cs_dataset *o,
                            cs_dataset **out)
{
    static const char *const names[] = {"kind", "district"}, *const to[] = {"loai", "huyen"};
    cs_dataset *s = NULL;
    int rc;
    (void)eng;
    (void)o;
    rc = cs_dataset_select(in, names, 2, &s);
    if (!rc) rc = cs_dataset_rename(s, names, to, 2, out);
    cs_dataset_free(s);
    return rc;
}

/* Operations whose result is not a dataset return an empty one. */
static int op_text(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    char *s = NULL, hex[CS_HASH_HEX];
    size_t len;
    cs_format_options fo = {3, 40, 1};
    int rc;
    (void)o;
    rc = cs_dataset_format(in, &fo, &s);
    if (!rc) cs_free_str(eng, s);
    if (!rc) rc = cs_csv_write_string(in, NULL, &s, &len);
    if (!rc) cs_free(eng, s, len + 1);
    if (!rc) rc = cs_dataset_fingerprint(in, hex);
    if (!rc) rc = cs_text_name_key(eng, "Th\xE1\xBB\x8B tr\xE1\xBA\xA5n V\xE1\xBB\xA5 B\xE1\xBA\xA3n",
                                   22, 0, &s, &len);
    if (!rc) cs_free_str(eng, s);
    if (!rc) rc = cs_text_nfc(eng, "Hoa\xCC\x80", 5, &s, &len);
    if (!rc) cs_free_str(eng, s);
    if (!rc) rc = cs_dataset_new(eng, out);
    return rc;
}

static int op_expr(cs_engine *eng, const cs_dataset *in, const cs_dataset *o, cs_dataset **out)
{
    cs_expr *e = NULL;
    cs_column *c = NULL;
    int rc;
    (void)o;
    rc = cs_expr_compile(in, "if(ok, members * 1.5, revenue) + coalesce(members, 0)", &e);
    if (!rc) rc = cs_expr_eval(e, in, &c);
    cs_column_release(c);
    cs_expr_free(e);
    if (!rc) rc = cs_dataset_new(eng, out);
    return rc;
}

/* Reading with every option: separator, decimal comma, thousands, null
** markers, day-first dates, a schema, and the CP1258 encoding. */
static int op_read_options(cs_engine *eng, const cs_dataset *in, const cs_dataset *o,
                           cs_dataset **out)
{
    static const char text[] = "ma;huyen;so;ngay\n"
                               "001;Mai Ch\xE2u;1.234,5;01/02/2023\n"
                               "002;-;n/a;31/12/2022\n"
                               "003;L\xE3" "c S\xF5n;7;\n";
    static const char *const na[] = {"-", "n/a"}, *const names[] = {"ma"};
    static const cs_type types[] = {CS_TYPE_STR};
    cs_csv_options opt;
    (void)in;
    (void)o;
    cs_csv_options_init(&opt);
    opt.sep = ';';
    opt.decimal = ',';
    opt.thousands = '.';
    opt.na = na;
    opt.nna = 2;
    opt.date_format = "%d/%m/%Y";
    opt.encoding = "cp1258";
    opt.schema_names = names;
    opt.schema_types = types;
    opt.nschema = 1;
    return cs_csv_read_buffer(eng, text, sizeof text - 1, "opt.csv", &opt, out);
}

/* A file written and read back; a write that fails leaves no file. */
static char io_dir[64];

static int op_file_io(cs_engine *eng, const cs_dataset *in, const cs_dataset *o,
                      cs_dataset **out)
{
    char path[96];
    int rc;
    (void)o;
    snprintf(path, sizeof path, "%s/out.csv", io_dir);
    rc = cs_csv_write(in, path, NULL);
    if (rc) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "test -z \"$(ls -A %s)\"", io_dir);
        if (system(cmd) != 0) fail_msg("a failed cs_csv_write left a file in %s", io_dir);
        return rc;
    }
    rc = cs_csv_read(eng, path, NULL, out);
    unlink(path);
    return rc;
}

static int op_slice_take_drop(cs_engine *eng, const cs_dataset *in, const cs_dataset *o,
                              cs_dataset **out)
{
    static const size_t rows[] = {2, 0, 0, 1};
    static const char *const gone[] = {"kind"};
    cs_dataset *a = NULL, *b = NULL;
    int rc;
    (void)eng;
    (void)o;
    rc = cs_dataset_slice(in, 1, 3, &a);
    if (!rc) rc = cs_dataset_take(a, rows, 4, &b);
    if (!rc) rc = cs_dataset_drop(b, gone, 1, out);
    cs_dataset_free(a);
    cs_dataset_free(b);
    return rc;
}

/* A dataset built column by column, every type, with nulls and text
** typed decomposed (stored as NFC). */
static int op_build(cs_engine *eng, const cs_dataset *in, const cs_dataset *o,
                    cs_dataset **out)
{
    static const cs_type types[] = {CS_TYPE_I64, CS_TYPE_F64, CS_TYPE_BOOL, CS_TYPE_DATE,
                                    CS_TYPE_STR};
    static const char *const names[] = {"i", "f", "b", "d", "s"};
    cs_dataset *ds = NULL;
    size_t k, r;
    int rc;
    (void)in;
    (void)o;
    if ((rc = cs_dataset_new(eng, &ds))) return rc;
    for (k = 0; k < 5 && !rc; k++) {
        cs_column *c = NULL;
        if ((rc = cs_column_new(eng, types[k], &c))) break;
        rc = cs_column_reserve(c, 2);
        for (r = 0; r < 40 && !rc; r++) {
            cs_value v;
            memset(&v, 0, sizeof v);
            v.type = types[k];
            v.isnull = r % 7 == 3;
            switch (types[k]) {
            case CS_TYPE_I64: v.u.i = (int64_t)r * 1000003; break;
            case CS_TYPE_F64: v.u.f = (double)r / 3; break;
            case CS_TYPE_BOOL: v.u.b = (int)(r & 1); break;
            case CS_TYPE_DATE: v.u.d = (int32_t)r * 97; break;
            case CS_TYPE_STR:
                rc = r % 7 == 3 ? cs_column_push_null(c)
                     : r % 2     ? cs_column_push_str(c, "Hoa\xCC\x80 B\xC3\xACnh", 10)
                                 : cs_column_push_str(c, "L\xE1\xBA\xA1" "c S\xC6\xA1n",
                                                      (size_t)(4 + 3 * (r % 3)));
                continue;
            }
            rc = cs_column_push_value(c, &v);
        }
        if (!rc) rc = cs_dataset_add(ds, names[k], c);
        cs_column_release(c);
    }
    if (rc) {
        cs_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return CS_OK;
}

static const struct {
    const char *name;
    op_fn fn;
} ops[] = {
    {"csv read", op_read},       {"filter", op_filter},   {"mutate", op_mutate},
    {"group and aggregate", op_agg}, {"distinct", op_distinct}, {"pivot", op_pivot},
    {"sort (Vietnamese)", op_sort},  {"join", op_join},     {"join by name", op_join_names},
    {"concat", op_concat},       {"select, rename", op_select_rename},
    {"format, csv, fingerprint, name key, nfc", op_text}, {"expression", op_expr},
    {"csv read with every option (cp1258)", op_read_options},
    {"csv file write and read", op_file_io},
    {"slice, take, drop", op_slice_take_drop},
    {"columns built by push", op_build},
};

static void test_oom_sweep_every_operation(void **state)
{
    size_t k;
    (void)state;
    snprintf(io_dir, sizeof io_dir, "/tmp/coopstat-faults.XXXXXX");
    assert_non_null(mkdtemp(io_dir));
    for (k = 0; k < sizeof ops / sizeof *ops; k++) {
        long n, failures = 0;
        for (n = 1; n < 20000; n++) {
            tally t = {0, 0, 0, 0};
            cs_engine *eng;
            cs_dataset *in = NULL, *other = NULL, *out = NULL;
            char before[CS_HASH_HEX], after[CS_HASH_HEX];
            long base;
            int rc;
            assert_int_equal(cs_engine_new(tally_alloc, &t, &eng), CS_OK);
            assert_int_equal(cs_csv_read_buffer(eng, input_csv, sizeof input_csv - 1, "in",
                                                NULL, &in), CS_OK);
            assert_int_equal(cs_csv_read_buffer(eng, other_csv, sizeof other_csv - 1, "other",
                                                NULL, &other), CS_OK);
            assert_int_equal(cs_dataset_fingerprint(in, before), CS_OK);
            base = t.nalloc;
            t.fail_at = base + n;
            rc = ops[k].fn(eng, in, other, &out);
            t.fail_at = 0;
            if (rc != CS_OK) {
                failures++;
                if (rc != CS_ENOMEM)
                    fail_msg("%s: allocation %ld failed with %s, not out of memory (%s)",
                             ops[k].name, n, cs_strerror(rc), cs_errmsg(eng));
                assert_null(out);
            }
            /* The input is as it was. */
            assert_int_equal(cs_dataset_fingerprint(in, after), CS_OK);
            assert_string_equal(before, after);
            cs_dataset_free(out);
            cs_dataset_free(in);
            cs_dataset_free(other);
            cs_engine_free(eng);
            if (t.live != 0 || t.bytes != 0)
                fail_msg("%s: allocation %ld failing leaked %ld blocks (%lld bytes)",
                         ops[k].name, n, t.live, t.bytes);
            if (rc == CS_OK) break;
        }
        if (n >= 20000) fail_msg("%s: never succeeded", ops[k].name);
        if (failures == 0 && k > 0) fail_msg("%s: allocates nothing?", ops[k].name);
        printf("%-42s %5ld allocation failures injected\n", ops[k].name, failures);
    }
    assert_int_equal(rmdir(io_dir), 0);
}

/* SQLite's own memory, bounded with sqlite3_hard_heap_limit64: a write
** that needs more fails with CS_ENOMEM and leaves the store unchanged. */
static void test_sqlite_heap_limit(void **state)
{
    char path[64];
    cs_engine *eng;
    cs_store *st;
    cs_dataset *ds = NULL, *back = NULL;
    cs_column *col;
    size_t i;
    int rc, found = 1;
    (void)state;
    snprintf(path, sizeof path, "/tmp/test_faults_%ld.db", (long)getpid());
    remove(path);
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &col), CS_OK);
    for (i = 0; i < 200000; i++) {
        char buf[32];
        int n = snprintf(buf, sizeof buf, "value number %zu", i);
        assert_int_equal(cs_column_push_str(col, buf, (size_t)n), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "s", col), CS_OK);
    cs_column_release(col); /* the dataset holds its own reference */
    /* An index over the column makes SQLite sort in memory. */
    assert_int_equal(cs_store_write(st, "small", ds, CS_WRITE_CREATE), CS_OK);
    cs_store_heap_limit(2 << 20);
    rc = cs_store_exec(st, "CREATE TABLE big AS SELECT s || s || s || s AS s FROM small "
                           "ORDER BY s DESC", NULL, 0, NULL);
    cs_store_heap_limit(0);
    assert_int_equal(rc, CS_ENOMEM);
    assert_int_equal(cs_store_has_table(st, "big", &found), CS_OK);
    assert_int_equal(found, 0);
    /* Nothing else changed, and the store works again. */
    assert_int_equal(cs_store_read(st, "small", NULL, 0, &back), CS_OK);
    assert_int_equal(cs_dataset_nrows(back), 200000);
    cs_dataset_free(back);
    cs_dataset_free(ds);
    cs_store_close(st);
    cs_engine_free(eng);
    remove(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oom_sweep_every_operation),
        cmocka_unit_test(test_sqlite_heap_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
