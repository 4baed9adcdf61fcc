/*
** test_join.c: hash joins: inner, left, semi and anti with duplicates on
** both sides, null and missing keys, string keys across dictionaries,
** several keys, views, naming and type errors, empty sides, a randomised
** check against nested loops and an out-of-memory sweep.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>

#include "csint.h"   /* views are internal */

#include "tally.h"
#include "build.h"

/* ---- building and reading datasets ---- */

/* Marks a null in int64 test data. */
#define NA INT64_MIN

static int add_i64(cs_dataset *ds, const char *name, const int64_t *v,
                   size_t n)
{
    cs_column *c;
    size_t i;
    int rc = cs_column_new(cs_dataset_engine(ds), CS_TYPE_I64, &c);
    if (rc) return rc;
    for (i = 0; i < n && !rc; i++)
        rc = v[i] == NA ? cs_column_push_null(c) : cs_column_push_i64(c, v[i]);
    if (!rc) rc = cs_dataset_add(ds, name, c);
    cs_column_release(c);
    return rc;
}

/* Column NAME of DS as text, cells separated by '|', null as "-". */
static const char *cells(const cs_dataset *ds, const char *name)
{
    static char buf[4096];
    cs_column *c = cs_dataset_get(ds, name);
    size_t i, used = 0;
    if (!c) fail_msg("no column '%s': %s", name,
                     cs_errmsg(cs_dataset_engine(ds)));
    buf[0] = '\0';
    for (i = 0; i < cs_dataset_nrows(ds); i++) {
        cs_value v;
        char cell[64];
        const char *p = cell;
        size_t len;
        cs_column_get(c, i, &v);
        if (v.isnull)
            strcpy(cell, "-");
        else if (v.type == CS_TYPE_I64)
            snprintf(cell, sizeof cell, "%lld", (long long)v.u.i);
        else if (v.type == CS_TYPE_F64)
            snprintf(cell, sizeof cell, "%g", v.u.f);
        else if (v.type == CS_TYPE_STR)
            p = v.u.s.p;
        else
            snprintf(cell, sizeof cell, "?");
        len = strlen(p);
        assert_true(used + len + 2 < sizeof buf);
        if (i) buf[used++] = '|';
        memcpy(buf + used, p, len + 1);
        used += len;
    }
    return buf;
}

static cs_dataset *joined(const cs_dataset *l, const cs_dataset *r,
                          const char *lk, const char *rk, cs_join_how how)
{
    cs_dataset *out = NULL;
    const char *lks[1], *rks[1];
    lks[0] = lk;
    rks[0] = rk;
    assert_int_equal(cs_dataset_join(l, r, lks, rks, 1, how, NULL, &out),
                     CS_OK);
    assert_non_null(out);
    return out;
}

/* left: id 0..5, k = 1 2 2 3 null 5; right: k = 2 1 2 null 4 1, v. */
static void make_pair(cs_engine *eng, cs_dataset **l, cs_dataset **r)
{
    static const int64_t lid[] = {0, 1, 2, 3, 4, 5};
    static const int64_t lk[] = {1, 2, 2, 3, NA, 5};
    static const int64_t rk[] = {2, 1, 2, NA, 4, 1};
    static const int64_t rv[] = {20, 10, 21, 99, 40, 11};
    assert_int_equal(cs_dataset_new(eng, l), CS_OK);
    assert_int_equal(add_i64(*l, "id", lid, 6), CS_OK);
    assert_int_equal(add_i64(*l, "k", lk, 6), CS_OK);
    assert_int_equal(cs_dataset_new(eng, r), CS_OK);
    assert_int_equal(add_i64(*r, "k", rk, 6), CS_OK);
    assert_int_equal(add_i64(*r, "v", rv, 6), CS_OK);
}

/* ---- tests ---- */

static void test_join_inner_duplicates_on_both_sides(void **state)
{
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    make_pair(eng, &l, &r);
    j = joined(l, r, "k", "k", CS_JOIN_INNER);
    assert_int_equal(cs_dataset_ncols(j), 3);   /* id, k, v */
    assert_string_equal(cs_dataset_colname(j, 2), "v");
    assert_string_equal(cells(j, "id"), "0|0|1|1|2|2");
    assert_string_equal(cells(j, "k"), "1|1|2|2|2|2");
    assert_string_equal(cells(j, "v"), "10|11|20|21|20|21");
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

static void test_join_left_keeps_unmatched_with_nulls(void **state)
{
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    make_pair(eng, &l, &r);
    j = joined(l, r, "k", "k", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "id"), "0|0|1|1|2|2|3|4|5");
    assert_string_equal(cells(j, "k"), "1|1|2|2|2|2|3|-|5");
    assert_string_equal(cells(j, "v"), "10|11|20|21|20|21|-|-|-");
    assert_int_equal(cs_column_nulls(cs_dataset_get(j, "v")), 3);
    cs_dataset_free(j);
    /* Unique right keys: every left row once, left's columns shared. */
    j = joined(r, l, "v", "id", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "k"), "2|1|2|-|4|1");
    assert_string_equal(cells(j, "k_right"), "-|-|-|-|-|-");
    assert_ptr_equal(cs_dataset_get(j, "v"), cs_dataset_get(r, "v"));
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* Left's columns are shared while every left row gives one row; a
** duplicate or a miss further down turns that off without losing rows. */
static void test_join_sharing_stops_midway(void **state)
{
    static const int64_t lk[] = {1, 2, 3, 4, 5};
    static const int64_t rk[] = {1, 2, 3, 3, 4};
    static const int64_t rv[] = {10, 20, 30, 31, 40};
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "k", lk, 5), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_i64(r, "k", rk, 5), CS_OK);
    assert_int_equal(add_i64(r, "v", rv, 5), CS_OK);
    j = joined(l, r, "k", "k", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "k"), "1|2|3|3|4|5");
    assert_string_equal(cells(j, "v"), "10|20|30|31|40|-");
    cs_dataset_free(j);
    j = joined(l, r, "k", "k", CS_JOIN_INNER);
    assert_string_equal(cells(j, "k"), "1|2|3|3|4");
    assert_string_equal(cells(j, "v"), "10|20|30|31|40");
    cs_dataset_free(j);
    /* Every row of r finds one row of l: r's columns are shared. */
    j = joined(r, l, "k", "k", CS_JOIN_INNER);
    assert_string_equal(cells(j, "v"), "10|20|30|31|40");
    assert_ptr_equal(cs_dataset_get(j, "v"), cs_dataset_get(r, "v"));
    cs_dataset_free(j);
    /* A miss mid-way (6 is on neither side). */
    {
        static const int64_t lk2[] = {1, 6, 2};
        cs_dataset *l2;
        assert_int_equal(cs_dataset_new(eng, &l2), CS_OK);
        assert_int_equal(add_i64(l2, "k", lk2, 3), CS_OK);
        j = joined(l2, r, "k", "k", CS_JOIN_INNER);
        assert_string_equal(cells(j, "k"), "1|2");
        assert_string_equal(cells(j, "v"), "10|20");
        cs_dataset_free(j);
        cs_dataset_free(l2);
    }
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* A null key matches nothing: semi drops the row, anti keeps it. */
static void test_join_semi_and_anti(void **state)
{
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    make_pair(eng, &l, &r);
    j = joined(l, r, "k", "k", CS_JOIN_SEMI);
    assert_non_null(j->sel);   /* a view of left */
    assert_int_equal(cs_dataset_ncols(j), 2);
    assert_string_equal(cells(j, "id"), "0|1|2");
    cs_dataset_free(j);
    j = joined(l, r, "k", "k", CS_JOIN_ANTI);
    assert_string_equal(cells(j, "id"), "3|4|5");
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* String keys from two dictionaries, with separators, newlines, quotes
** and Vietnamese text; keys only one side has never match. */
static void test_join_string_keys_across_dictionaries(void **state)
{
    static const char *const lk[] = {"Đà Bắc", "a,b", "x\ny", NULL,
                                     "\"q\"", "Đà Bắc", "Mai Châu"};
    static const char *const rk[] = {"only right", "x\ny", "Đà Bắc", NULL,
                                     "a,b", "\"q\"", "a,b"};
    static const char *const rv[] = {"R0", "R1", "R2", "R3", "R4", "R5", "R6"};
    static const int64_t lid[] = {0, 1, 2, 3, 4, 5, 6};
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "id", lid, 7), CS_OK);
    assert_int_equal(add_str(l, "huyện", lk, 7), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_str(r, "tên", rk, 7), CS_OK);
    assert_int_equal(add_str(r, "rv", rv, 7), CS_OK);
    j = joined(l, r, "huyện", "tên", CS_JOIN_INNER);
    assert_string_equal(cells(j, "id"), "0|1|1|2|4|5");
    assert_string_equal(cells(j, "rv"), "R2|R4|R6|R1|R5|R2");
    assert_string_equal(cells(j, "huyện"), "Đà Bắc|a,b|a,b|x\ny|\"q\"|Đà Bắc");
    assert_null(strstr(cells(j, "id"), "3"));
    cs_dataset_free(j);
    j = joined(l, r, "huyện", "tên", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "rv"), "R2|R4|R6|R1|-|R5|R2|-");
    cs_dataset_free(j);
    j = joined(l, r, "huyện", "tên", CS_JOIN_ANTI);
    assert_string_equal(cells(j, "id"), "3|6");
    cs_dataset_free(j);
    /* The same dictionary on both sides (a dataset joined to a view of
    ** itself) needs no mapping. */
    {
        static const uint32_t pos[] = {6, 0};
        cs_dataset *v;
        assert_int_equal(cs__dataset_view(l, pos, 2, &v), CS_OK);
        j = joined(l, v, "huyện", "huyện", CS_JOIN_SEMI);
        assert_string_equal(cells(j, "id"), "0|5|6");
        cs_dataset_free(j);
        cs_dataset_free(v);
    }
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

static void test_join_several_keys(void **state)
{
    static const int64_t la[] = {1, 1, 2, 2, NA};
    static const char *const lb[] = {"x", "y", "x", "y", "x"};
    static const int64_t ra[] = {2, 1, 1, 2, 1};
    static const char *const rb[] = {"y", "y", "x", "y", NULL};
    static const int64_t rv[] = {0, 1, 2, 3, 4};
    static const int64_t lid[] = {0, 1, 2, 3, 4};
    const char *lk[] = {"a", "b"}, *rk[] = {"a2", "b"};
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "id", lid, 5), CS_OK);
    assert_int_equal(add_i64(l, "a", la, 5), CS_OK);
    assert_int_equal(add_str(l, "b", lb, 5), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_i64(r, "a2", ra, 5), CS_OK);
    assert_int_equal(add_str(r, "b", rb, 5), CS_OK);
    assert_int_equal(add_i64(r, "id", rv, 5), CS_OK);
    assert_int_equal(cs_dataset_join(l, r, lk, rk, 2, CS_JOIN_LEFT, "_r", &j),
                     CS_OK);
    /* Right's keys a2 and b are dropped; its id clashes: id_r. */
    assert_int_equal(cs_dataset_ncols(j), 4);
    assert_string_equal(cs_dataset_colname(j, 3), "id_r");
    assert_string_equal(cells(j, "id"), "0|1|2|3|3|4");
    assert_string_equal(cells(j, "id_r"), "2|1|-|0|3|-");
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* Views on both sides are read through their selections. */
static void test_join_views(void **state)
{
    static const uint32_t lpos[] = {5, 5, 1, 0};
    static const uint32_t rpos[] = {5, 2, 0};
    cs_engine *eng;
    cs_dataset *l, *r, *lv, *rv, *j;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    make_pair(eng, &l, &r);
    /* lv: ids 5 5 1 0 (k 5 5 2 1); rv: k 1 2 2 (v 11 21 20). */
    assert_int_equal(cs__dataset_view(l, lpos, 4, &lv), CS_OK);
    assert_int_equal(cs__dataset_view(r, rpos, 3, &rv), CS_OK);
    j = joined(lv, rv, "k", "k", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "id"), "5|5|1|1|0");
    assert_string_equal(cells(j, "v"), "-|-|21|20|11");
    cs_dataset_free(j);
    j = joined(lv, rv, "k", "k", CS_JOIN_ANTI);
    assert_string_equal(cells(j, "id"), "5|5");
    cs_dataset_free(j);
    cs_dataset_free(lv);
    cs_dataset_free(rv);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* Keys spanning a small range are looked up in an array, others in a
** hash table: negative, extreme and date keys find the same rows both
** ways. */
static void test_join_key_ranges_and_dates(void **state)
{
    static const int64_t wl[] = {-5, 1000000000000, 7, -5, INT64_MIN + 1,
                                 INT64_MAX};
    static const int64_t wr[] = {INT64_MAX, -5, 1000000000000, -5, 3};
    static const int64_t wv[] = {0, 1, 2, 3, 4};
    static const int64_t nl[] = {-3, -1, 0, 2, -3};
    static const int64_t nr[] = {-1, -3, -3, 5};
    static const int32_t dl[] = {-800000, 0, 19000, -1};
    static const int32_t dr[] = {19000, -1, -800000, 7};
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    cs_column *a, *b;
    size_t i;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "k", wl, 6), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_i64(r, "k", wr, 5), CS_OK);
    assert_int_equal(add_i64(r, "v", wv, 5), CS_OK);
    j = joined(l, r, "k", "k", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "v"), "1|3|2|-|1|3|-|0");
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "k", nl, 5), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_i64(r, "k", nr, 4), CS_OK);
    assert_int_equal(add_i64(r, "v", wv, 4), CS_OK);
    j = joined(l, r, "k", "k", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "v"), "1|2|0|-|-|1|2");
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &a), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &b), CS_OK);
    for (i = 0; i < 4; i++) {
        assert_int_equal(cs_column_push_date(a, dl[i]), CS_OK);
        assert_int_equal(cs_column_push_date(b, dr[i]), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(cs_dataset_add(l, "d", a), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(cs_dataset_add(r, "d", b), CS_OK);
    assert_int_equal(add_i64(r, "v", wv, 4), CS_OK);
    cs_column_release(a);
    cs_column_release(b);
    j = joined(l, r, "d", "d", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "v"), "2|-|0|1");
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* Float keys: -0 matches 0, NaN matches nothing. */
static void test_join_float_keys(void **state)
{
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    cs_column *a, *b;
    const double lv[] = {0.0, NAN, 1.5}, rv[] = {NAN, 1.5, -0.0};
    size_t i;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &a), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &b), CS_OK);
    for (i = 0; i < 3; i++) {
        assert_int_equal(cs_column_push_f64(a, lv[i]), CS_OK);
        assert_int_equal(cs_column_push_f64(b, rv[i]), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(cs_dataset_add(l, "x", a), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(cs_dataset_add(r, "x", b), CS_OK);
    cs_column_release(a);
    cs_column_release(b);
    j = joined(l, r, "x", "x", CS_JOIN_ANTI);
    assert_string_equal(cells(j, "x"), "nan");
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

static void test_join_errors_name_the_columns(void **state)
{
    static const char *const s[] = {"1", "2"};
    static const int64_t v[] = {1, 2};
    cs_engine *eng;
    cs_dataset *l, *r, *j = (cs_dataset *)&j;
    const char *lk[] = {"org_id"}, *rk[] = {"org_id"}, *bad[] = {"org"};
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "org_id", v, 2), CS_OK);
    assert_int_equal(add_i64(l, "x", v, 2), CS_OK);
    assert_int_equal(add_i64(l, "x_right", v, 2), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_str(r, "org_id", s, 2), CS_OK);
    assert_int_equal(add_i64(r, "x", v, 2), CS_OK);
    assert_int_equal(cs_dataset_join(l, r, lk, rk, 1, CS_JOIN_INNER, NULL, &j),
                     CS_ETYPE);
    assert_null(j);
    assert_string_equal(cs_errmsg(eng),
                        "join key types differ: left 'org_id' is int64, "
                        "right 'org_id' is string");
    assert_int_equal(cs_dataset_join(l, r, bad, rk, 1, CS_JOIN_INNER, NULL, &j),
                     CS_ENOTFOUND);
    assert_non_null(strstr(cs_errmsg(eng), "'org'"));
    assert_non_null(strstr(cs_errmsg(eng), "left"));
    assert_non_null(strstr(cs_errmsg(eng), "org_id, x, x_right"));
    assert_int_equal(cs_dataset_join(l, r, lk, bad, 1, CS_JOIN_INNER, NULL, &j),
                     CS_ENOTFOUND);
    assert_non_null(strstr(cs_errmsg(eng), "right"));
    /* RKEYS NULL: the same names on both sides.  Joining on x keeps
    ** right's org_id, suffixed, and drops right's x. */
    lk[0] = "x";
    assert_int_equal(
        cs_dataset_join(l, r, lk, NULL, 1, CS_JOIN_INNER, NULL, &j), CS_OK);
    assert_int_equal(cs_dataset_ncols(j), 4);
    assert_string_equal(cs_dataset_colname(j, 3), "org_id_right");
    assert_string_equal(cells(j, "org_id_right"), "1|2");
    cs_dataset_free(j);
    assert_int_equal(
        cs_dataset_join(l, r, lk, NULL, 0, CS_JOIN_INNER, NULL, &j), CS_EINVAL);
    assert_int_equal(
        cs_dataset_join(l, r, lk, NULL, 1, (cs_join_how)9, NULL, &j), CS_EINVAL);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

static void test_join_suffix_clash(void **state)
{
    static const int64_t v[] = {1, 2};
    cs_engine *eng;
    cs_dataset *l, *r, *j = NULL;
    const char *k[] = {"k"};
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "k", v, 2), CS_OK);
    assert_int_equal(add_i64(l, "x", v, 2), CS_OK);
    assert_int_equal(add_i64(l, "x_right", v, 2), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_i64(r, "k", v, 2), CS_OK);
    assert_int_equal(add_i64(r, "x", v, 2), CS_OK);
    assert_int_equal(cs_dataset_join(l, r, k, k, 1, CS_JOIN_INNER, NULL, &j),
                     CS_EEXIST);
    assert_null(j);
    assert_non_null(strstr(cs_errmsg(eng), "'x_right'"));
    /* Another suffix works; semi and anti joins add no columns. */
    assert_int_equal(cs_dataset_join(l, r, k, k, 1, CS_JOIN_INNER, "_2", &j),
                     CS_OK);
    assert_string_equal(cs_dataset_colname(j, 3), "x_2");
    cs_dataset_free(j);
    assert_int_equal(cs_dataset_join(l, r, k, k, 1, CS_JOIN_SEMI, NULL, &j),
                     CS_OK);
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    /* A suffixed name taken by another right column. */
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "k", v, 2), CS_OK);
    assert_int_equal(add_i64(l, "x", v, 2), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_i64(r, "k", v, 2), CS_OK);
    assert_int_equal(add_i64(r, "x", v, 2), CS_OK);
    assert_int_equal(add_i64(r, "x_right", v, 2), CS_OK);
    assert_int_equal(cs_dataset_join(l, r, k, k, 1, CS_JOIN_LEFT, NULL, &j),
                     CS_EEXIST);
    assert_null(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

static void test_join_empty_sides_and_one_row(void **state)
{
    static const int64_t one[] = {7};
    static const int64_t two[] = {7, 8};
    cs_engine *eng;
    cs_dataset *e, *o, *t, *j;
    cs_join_how how;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &e), CS_OK);
    assert_int_equal(add_i64(e, "k", one, 0), CS_OK);
    assert_int_equal(add_i64(e, "w", one, 0), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &o), CS_OK);
    assert_int_equal(add_i64(o, "k", one, 1), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &t), CS_OK);
    assert_int_equal(add_i64(t, "k", two, 2), CS_OK);
    assert_int_equal(add_i64(t, "w", two, 2), CS_OK);
    for (how = CS_JOIN_INNER; how <= CS_JOIN_ANTI; how++) {
        j = joined(e, t, "k", "k", how);
        assert_int_equal(cs_dataset_nrows(j), 0);
        assert_int_equal(cs_dataset_ncols(j),
                         how == CS_JOIN_INNER || how == CS_JOIN_LEFT ? 3 : 2);
        cs_dataset_free(j);
    }
    j = joined(t, e, "k", "k", CS_JOIN_INNER);
    assert_int_equal(cs_dataset_nrows(j), 0);
    assert_string_equal(cs_dataset_colname(j, 2), "w_right");
    cs_dataset_free(j);
    j = joined(t, e, "k", "k", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "w_right"), "-|-");
    cs_dataset_free(j);
    j = joined(t, e, "k", "k", CS_JOIN_ANTI);
    assert_string_equal(cells(j, "w"), "7|8");
    cs_dataset_free(j);
    j = joined(o, t, "k", "k", CS_JOIN_INNER);
    assert_string_equal(cells(j, "w"), "7");
    cs_dataset_free(j);
    j = joined(t, o, "k", "k", CS_JOIN_LEFT);
    assert_string_equal(cells(j, "k"), "7|8");
    assert_int_equal(cs_dataset_ncols(j), 2);
    cs_dataset_free(j);
    cs_dataset_free(e);
    cs_dataset_free(o);
    cs_dataset_free(t);
    cs_engine_free(eng);
}

/* A self join: every right column but the key is suffixed; an interrupt
** stops a join with CS_EINTERRUPT. */
static void test_join_self_and_interrupted(void **state)
{
    cs_engine *eng;
    cs_dataset *l, *r, *j = NULL;
    const char *k[] = {"k"};
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    make_pair(eng, &l, &r);
    j = joined(l, l, "k", "k", CS_JOIN_INNER);
    assert_int_equal(cs_dataset_ncols(j), 3);
    assert_string_equal(cs_dataset_colname(j, 2), "id_right");
    assert_string_equal(cells(j, "id"), "0|1|1|2|2|3|5");
    assert_string_equal(cells(j, "id_right"), "0|1|2|1|2|3|5");
    cs_dataset_free(j);
    cs_engine_interrupt(eng);
    assert_int_equal(cs_dataset_join(l, r, k, k, 1, CS_JOIN_LEFT, NULL, &j),
                     CS_EINTERRUPT);
    assert_null(j);
    cs_engine_clear_interrupt(eng);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* Outputs larger than a batch: sharing stops after several batches,
** right's nulls start late, unmatched rows come between. */
static void test_join_large_batches(void **state)
{
    enum { NL = 10000, NR = 8901 };
    static int64_t lk[NL], rk[NR], rv[NR], lid[NL];
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    cs_join_how how;
    size_t i, n;
    (void)state;
    for (i = 0; i < NL; i++) {
        lk[i] = (int64_t)(i % 9000);
        lid[i] = (int64_t)i;
    }
    for (i = 0, n = 0; i < 9000; i++) {
        if (i >= 7000 && i < 7100) continue;
        rk[n] = (int64_t)i;
        rv[n++] = i == 5000 ? NA : (int64_t)i * 10;
    }
    rk[n] = 8000;
    rv[n++] = -1;
    assert_int_equal(n, NR);
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "k", lk, NL), CS_OK);
    assert_int_equal(add_i64(l, "id", lid, NL), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_i64(r, "k", rk, NR), CS_OK);
    assert_int_equal(add_i64(r, "v", rv, NR), CS_OK);
    for (how = CS_JOIN_INNER; how <= CS_JOIN_LEFT; how++) {
        cs_column *id, *v;
        size_t row = 0;
        j = joined(l, r, "k", "k", how);
        id = cs_dataset_get(j, "id");
        v = cs_dataset_get(j, "v");
        for (i = 0; i < NL; i++) {
            int64_t k = lk[i];
            int miss = k >= 7000 && k < 7100;
            int reps = k == 8000 ? 2 : 1, t;
            cs_value a, b;
            if (miss && how == CS_JOIN_INNER) continue;
            for (t = 0; t < reps; t++, row++) {
                assert_true(row < cs_dataset_nrows(j));
                cs_column_get(id, row, &a);
                cs_column_get(v, row, &b);
                assert_int_equal(a.u.i, (int64_t)i);
                if (miss || k == 5000) {
                    assert_true(b.isnull);
                } else {
                    assert_false(b.isnull);
                    assert_int_equal(b.u.i, t ? -1 : k * 10);
                }
            }
        }
        assert_int_equal(row, cs_dataset_nrows(j));
        assert_int_equal(cs_column_nulls(v), how == CS_JOIN_LEFT ? 101 : 1);
        cs_dataset_free(j);
    }
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* ---- randomised check against nested loops ---- */

static void test_join_random_against_nested_loops(void **state)
{
    enum { NL = 700, NR = 300 };
    static int64_t la[NL], lb[NL], ra[NR], rb[NR], rid[NR], lid[NL];
    static char expect[200000];
    char *p = expect;
    uint64_t seed = 7;
    const char *lk[] = {"a", "b"}, *rk[] = {"a", "b"};
    cs_engine *eng;
    cs_dataset *l, *r, *j;
    size_t i, k, n = 0;
    (void)state;
    for (i = 0; i < NL + NR; i++) {
        int64_t a, b;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        a = (seed >> 40) % 9 == 0 ? NA : (int64_t)((seed >> 33) % 13);
        b = (int64_t)((seed >> 50) % 3) - 1;
        if (i < NL) {
            la[i] = a;
            lb[i] = b;
            lid[i] = (int64_t)i;
        } else {
            ra[i - NL] = a;
            rb[i - NL] = b;
            rid[i - NL] = (int64_t)(i - NL);
        }
    }
    for (i = 0; i < NL; i++) {
        int any = 0;
        for (k = 0; k < NR; k++)
            if (la[i] != NA && la[i] == ra[k] && lb[i] == rb[k]) {
                p += sprintf(p, "%s%zu:%zu", n++ ? "|" : "", i, k);
                any = 1;
            }
        if (!any) p += sprintf(p, "%s%zu:-", n++ ? "|" : "", i);
    }
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &l), CS_OK);
    assert_int_equal(add_i64(l, "a", la, NL), CS_OK);
    assert_int_equal(add_i64(l, "b", lb, NL), CS_OK);
    assert_int_equal(add_i64(l, "lid", lid, NL), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &r), CS_OK);
    assert_int_equal(add_i64(r, "a", ra, NR), CS_OK);
    assert_int_equal(add_i64(r, "b", rb, NR), CS_OK);
    assert_int_equal(add_i64(r, "rid", rid, NR), CS_OK);
    assert_int_equal(cs_dataset_join(l, r, lk, rk, 2, CS_JOIN_LEFT, NULL, &j),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(j), n);
    {
        static char got[200000];
        cs_column *a = cs_dataset_get(j, "lid"), *b = cs_dataset_get(j, "rid");
        char *q = got;
        for (i = 0; i < n; i++) {
            cs_value x, y;
            cs_column_get(a, i, &x);
            cs_column_get(b, i, &y);
            if (y.isnull)
                q += sprintf(q, "%s%lld:-", i ? "|" : "", (long long)x.u.i);
            else
                q += sprintf(q, "%s%lld:%lld", i ? "|" : "", (long long)x.u.i,
                             (long long)y.u.i);
        }
        assert_string_equal(got, expect);
    }
    cs_dataset_free(j);
    cs_dataset_free(l);
    cs_dataset_free(r);
    cs_engine_free(eng);
}

/* Every kind of join fails cleanly at every allocation. */
static void test_join_oom_sweep(void **state)
{
    static const char *const lk[] = {"Đà Bắc", "a,b", NULL, "x", "a,b"};
    static const char *const rk[] = {"a,b", "y", "Đà Bắc", "a,b", NULL};
    static const int64_t v[] = {1, 2, 3, 4, 5};
    cs_join_how how;
    (void)state;
    for (how = CS_JOIN_INNER; how <= CS_JOIN_ANTI; how++) {
        long n;
        for (n = 1; n < 5000; n++) {
            tally t = {0, 0, 0, 0};
            cs_engine *eng;
            cs_dataset *l = NULL, *r = NULL, *j = NULL, *j2 = NULL;
            const char *k[] = {"k"}, *k2[] = {"k", "v"};
            int rc;
            t.fail_at = n;
            if (cs_engine_new(tally_alloc, &t, &eng)) continue;
            rc = cs_dataset_new(eng, &l);
            if (!rc) rc = add_str(l, "k", lk, 5);
            if (!rc) rc = add_i64(l, "v", v, 5);
            if (!rc) rc = cs_dataset_new(eng, &r);
            if (!rc) rc = add_str(r, "k", rk, 5);
            if (!rc) rc = add_i64(r, "v", v, 5);
            if (!rc) rc = cs_dataset_join(l, r, k, k, 1, how, NULL, &j);
            /* Two keys go through the hash table. */
            if (!rc) rc = cs_dataset_join(l, r, k2, k2, 2, how, NULL, &j2);
            if (!rc) {
                t.fail_at = 0;
                if (how == CS_JOIN_LEFT)
                    assert_string_equal(cells(j, "v_right"), "3|1|4|-|-|1|4");
                if (how == CS_JOIN_ANTI)
                    assert_string_equal(cells(j, "v"), "3|4");
                if (how == CS_JOIN_SEMI)
                    assert_string_equal(cells(j2, "v"), "");
                if (how == CS_JOIN_ANTI)
                    assert_string_equal(cells(j2, "v"), "1|2|3|4|5");
            } else {
                assert_int_equal(rc, CS_ENOMEM);
                assert_null(j2);
            }
            cs_dataset_free(j2);
            cs_dataset_free(j);
            cs_dataset_free(l);
            cs_dataset_free(r);
            cs_engine_free(eng);
            assert_int_equal(t.live, 0);
            assert_true(t.bytes == 0);
            if (!rc) break;
        }
        assert_true(n > 10 && n < 5000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_inner_duplicates_on_both_sides),
        cmocka_unit_test(test_join_left_keeps_unmatched_with_nulls),
        cmocka_unit_test(test_join_sharing_stops_midway),
        cmocka_unit_test(test_join_semi_and_anti),
        cmocka_unit_test(test_join_string_keys_across_dictionaries),
        cmocka_unit_test(test_join_several_keys),
        cmocka_unit_test(test_join_views),
        cmocka_unit_test(test_join_key_ranges_and_dates),
        cmocka_unit_test(test_join_float_keys),
        cmocka_unit_test(test_join_errors_name_the_columns),
        cmocka_unit_test(test_join_suffix_clash),
        cmocka_unit_test(test_join_empty_sides_and_one_row),
        cmocka_unit_test(test_join_self_and_interrupted),
        cmocka_unit_test(test_join_large_batches),
        cmocka_unit_test(test_join_random_against_nested_loops),
        cmocka_unit_test(test_join_oom_sweep),
    };
    return cmocka_run_group_tests_name("join", tests, NULL, NULL);
}
