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

static const struct {
    const char *name;
    op_fn fn;
} ops[] = {
    {"csv read", op_read},       {"filter", op_filter},   {"mutate", op_mutate},
    {"group and aggregate", op_agg}, {"distinct", op_distinct}, {"pivot", op_pivot},
    {"sort (Vietnamese)", op_sort},  {"join", op_join},     {"join by name", op_join_names},
    {"concat", op_concat},       {"select, rename", op_select_rename},
    {"format, csv, fingerprint, name key, nfc", op_text}, {"expression", op_expr},
};

static void test_oom_sweep_every_operation(void **state)
{
    size_t k;
    (void)state;
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
