/*
** test_sort.c: sorting datasets: stability, multiple keys, directions,
** nulls last, Vietnamese and byte collation, views, key parsing errors,
** a randomised check against a reference sort and an out-of-memory sweep.
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

#include <unicode/ucol.h>

/* ---- building datasets ---- */

/* Adds an int64 column; rows where NUL[i] is set are null. */
static int add_i64(cs_dataset *ds, const char *name, const int64_t *v,
                   const int *nul, size_t n)
{
    cs_column *c;
    size_t i;
    int rc = cs_column_new(cs_dataset_engine(ds), CS_TYPE_I64, &c);
    if (rc) return rc;
    for (i = 0; i < n && !rc; i++)
        rc = nul && nul[i] ? cs_column_push_null(c)
                           : cs_column_push_i64(c, v[i]);
    if (!rc) rc = cs_dataset_add(ds, name, c);
    cs_column_release(c);
    return rc;
}

static int add_f64(cs_dataset *ds, const char *name, const double *v,
                   const int *nul, size_t n)
{
    cs_column *c;
    size_t i;
    int rc = cs_column_new(cs_dataset_engine(ds), CS_TYPE_F64, &c);
    if (rc) return rc;
    for (i = 0; i < n && !rc; i++)
        rc = nul && nul[i] ? cs_column_push_null(c)
                           : cs_column_push_f64(c, v[i]);
    if (!rc) rc = cs_dataset_add(ds, name, c);
    cs_column_release(c);
    return rc;
}

/* An "id" column 0..n-1, to see where rows went. */
static int add_id(cs_dataset *ds, size_t n)
{
    cs_column *c;
    size_t i;
    int rc = cs_column_new(cs_dataset_engine(ds), CS_TYPE_I64, &c);
    if (rc) return rc;
    for (i = 0; i < n && !rc; i++) rc = cs_column_push_i64(c, (int64_t)i);
    if (!rc) rc = cs_dataset_add(ds, "id", c);
    cs_column_release(c);
    return rc;
}

/* Asserts that the "id" column of DS reads EXPECT[0..N). */
static void check_ids(const cs_dataset *ds, const int64_t *expect, size_t n)
{
    cs_column *c = cs_dataset_get(ds, "id");
    size_t i;
    assert_non_null(c);
    assert_int_equal(cs_dataset_nrows(ds), n);
    for (i = 0; i < n; i++) {
        cs_value v;
        cs_column_get(c, i, &v);
        if (v.u.i != expect[i])
            fail_msg("row %zu: id %lld, expected %lld", i, (long long)v.u.i,
                     (long long)expect[i]);
    }
}

static cs_dataset *sorted(const cs_dataset *ds, const char *k1,
                          const char *k2, cs_collation coll)
{
    const char *keys[2];
    cs_dataset *out = NULL;
    keys[0] = k1;
    keys[1] = k2;
    assert_int_equal(cs_dataset_sort(ds, keys, k2 ? 2 : 1, coll, &out), CS_OK);
    assert_non_null(out);
    return out;
}

/* ---- tests ---- */

static void test_sort_int_is_stable_with_nulls_last(void **state)
{
    static const int64_t v[] = {3, 1, 2, 1, 0, 3, 1, 2};
    static const int nul[] = {0, 0, 0, 0, 1, 0, 0, 0};
    static const int64_t asc[] = {1, 3, 6, 2, 7, 0, 5, 4};
    static const int64_t desc[] = {0, 5, 2, 7, 1, 3, 6, 4};
    cs_engine *eng;
    cs_dataset *ds, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 8), CS_OK);
    assert_int_equal(add_i64(ds, "k", v, nul, 8), CS_OK);
    s = sorted(ds, "k", NULL, CS_COLLATE_VI);
    assert_non_null(s->sel);   /* a view */
    check_ids(s, asc, 8);
    cs_dataset_free(s);
    s = sorted(ds, "k asc", NULL, CS_COLLATE_VI);
    check_ids(s, asc, 8);
    cs_dataset_free(s);
    /* Descending keeps equal keys in input order and nulls last. */
    s = sorted(ds, "  k   DESC ", NULL, CS_COLLATE_VI);
    check_ids(s, desc, 8);
    cs_dataset_free(s);
    s = sorted(ds, "`k` Desc", NULL, CS_COLLATE_VI);
    check_ids(s, desc, 8);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_sort_multi_key_with_desc(void **state)
{
    static const char *const g[] = {"b", "a", "b", "a", NULL, "a", "b"};
    static const int64_t v[] = {1, 5, 2, 5, 9, 7, 2};
    static const int64_t a_desc[] = {5, 1, 3, 2, 6, 0, 4};
    static const int64_t d_asc[] = {0, 2, 6, 1, 3, 5, 4};
    cs_engine *eng;
    cs_dataset *ds, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 7), CS_OK);
    assert_int_equal(add_str(ds, "g", g, 7), CS_OK);
    assert_int_equal(add_i64(ds, "v", v, NULL, 7), CS_OK);
    s = sorted(ds, "g", "v desc", CS_COLLATE_VI);
    check_ids(s, a_desc, 7);
    cs_dataset_free(s);
    s = sorted(ds, "g desc", "v", CS_COLLATE_BYTES);
    check_ids(s, d_asc, 7);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Floats: -0 equals 0, NaN is above every number, null is last. */
static void test_sort_floats_nan_and_nulls(void **state)
{
    const double v[] = {1.5, NAN, -0.0, 0.0, -INFINITY, 0, INFINITY, -2};
    static const int nul[] = {0, 0, 0, 0, 0, 1, 0, 0};
    static const int64_t asc[] = {4, 7, 2, 3, 0, 6, 1, 5};
    static const int64_t desc[] = {1, 6, 0, 2, 3, 7, 4, 5};
    cs_engine *eng;
    cs_dataset *ds, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 8), CS_OK);
    assert_int_equal(add_f64(ds, "x", v, nul, 8), CS_OK);
    s = sorted(ds, "x", NULL, CS_COLLATE_VI);
    check_ids(s, asc, 8);
    cs_dataset_free(s);
    s = sorted(ds, "x desc", NULL, CS_COLLATE_VI);
    check_ids(s, desc, 8);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Keys spanning all 64 bits leave no room for a null code: the nulls go
** last through a separate pass, in both directions. */
static void test_sort_full_int64_range_with_nulls(void **state)
{
    static const int64_t v[] = {INT64_MAX, 0, INT64_MIN, 0, -1, INT64_MIN};
    static const int nul[] = {0, 1, 0, 0, 0, 0};
    static const int64_t asc[] = {2, 5, 4, 3, 0, 1};
    static const int64_t desc[] = {0, 3, 4, 2, 5, 1};
    static const char *const g[] = {"x", "y", "x", "y", "x", "x"};
    static const int64_t g_desc[] = {0, 4, 2, 5, 3, 1};
    cs_engine *eng;
    cs_dataset *ds, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 6), CS_OK);
    assert_int_equal(add_i64(ds, "v", v, nul, 6), CS_OK);
    assert_int_equal(add_str(ds, "g", g, 6), CS_OK);
    s = sorted(ds, "v", NULL, CS_COLLATE_VI);
    check_ids(s, asc, 6);
    cs_dataset_free(s);
    s = sorted(ds, "v desc", NULL, CS_COLLATE_VI);
    check_ids(s, desc, 6);
    cs_dataset_free(s);
    s = sorted(ds, "g", "v desc", CS_COLLATE_VI);
    check_ids(s, g_desc, 6);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_sort_bools_and_dates(void **state)
{
    static const int64_t bexp[] = {1, 3, 0, 2, 4};
    static const int64_t dexp[] = {3, 1, 0, 2, 4};
    cs_engine *eng;
    cs_dataset *ds, *s;
    cs_column *b, *d;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 5), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_BOOL, &b), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &d), CS_OK);
    assert_int_equal(cs_column_push_bool(b, 1), CS_OK);
    assert_int_equal(cs_column_push_bool(b, 0), CS_OK);
    assert_int_equal(cs_column_push_bool(b, 1), CS_OK);
    assert_int_equal(cs_column_push_bool(b, 0), CS_OK);
    assert_int_equal(cs_column_push_null(b), CS_OK);
    assert_int_equal(cs_column_push_date(d, 100), CS_OK);
    assert_int_equal(cs_column_push_date(d, -5), CS_OK);
    assert_int_equal(cs_column_push_date(d, 20000), CS_OK);
    assert_int_equal(cs_column_push_date(d, -800000), CS_OK);
    assert_int_equal(cs_column_push_null(d), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "b", b), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "d", d), CS_OK);
    cs_column_release(b);
    cs_column_release(d);
    s = sorted(ds, "b", NULL, CS_COLLATE_VI);
    check_ids(s, bexp, 5);
    cs_dataset_free(s);
    s = sorted(ds, "d", NULL, CS_COLLATE_VI);
    check_ids(s, dexp, 5);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Vietnamese order: A < Ă < Â < B < C < D < Đ < ... < O < Ô < Ơ < ... <
** U < Ư < ... < Y; tones are secondary differences; byte order instead
** puts every non-ASCII initial after Z. */
static void test_sort_vietnamese_collation(void **state)
{
    static const char *const names[] = {
        "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c",             /* Đà Bắc */
        "Cao Phong",
        "\xC3\x82n Thi",                                  /* Ân Thi */
        "An L\xC3\xA3o",                                  /* An Lão */
        "Ba V\xC3\xAC",                                   /* Ba Vì */
        "\xE1\xBB\xA8ng H\xC3\xB2" "a",                   /* Ứng Hòa */
        "U\xC3\xB4ng B\xC3\xAD",                          /* Uông Bí */
        "Y\xC3\xAAn Th\xE1\xBB\xA7y",                     /* Yên Thủy */
        "\xC4\x90\xC3\xB4ng Anh",                         /* Đông Anh */
        "D\xC6\xB0\xC6\xA1ng Minh Ch\xC3\xA2u",           /* Dương Minh Châu */
        "\xC6\xA0n",                                      /* Ơn */
        "\xC3\x94 M\xC3\xB4n",                            /* Ô Môn */
        "\xC3\x94ng",                                     /* Ông */
        "\xC4\x82n",                                      /* Ăn */
        NULL,
        "An L\xC3\xA3o",                                  /* a duplicate */
    };
    /* An Lão, An Lão, Ăn, Ân Thi, Ba Vì, Cao Phong, Dương Minh Châu,
    ** Đà Bắc, Đông Anh, Ô Môn, Ông, Ơn, Uông Bí, Ứng Hòa, Yên Thủy. */
    static const int64_t vi[] = {3, 15, 13, 2, 4, 1, 9, 0,
                                 8, 11, 12, 10, 6, 5, 7, 14};
    static const int64_t bytes[] = {3, 15, 4, 1, 9, 6, 7, 2,
                                    11, 12, 13, 0, 8, 10, 5, 14};
    static const int64_t vi_desc[] = {7, 5, 6, 10, 12, 11, 8, 0,
                                      9, 1, 4, 2, 13, 3, 15, 14};
    cs_engine *eng;
    cs_dataset *ds, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 16), CS_OK);
    assert_int_equal(add_str(ds, "huyen", names, 16), CS_OK);
    s = sorted(ds, "huyen", NULL, CS_COLLATE_VI);
    check_ids(s, vi, 16);
    cs_dataset_free(s);
    s = sorted(ds, "huyen desc", NULL, CS_COLLATE_VI);
    check_ids(s, vi_desc, 16);
    cs_dataset_free(s);
    s = sorted(ds, "huyen", NULL, CS_COLLATE_BYTES);
    check_ids(s, bytes, 16);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Tones and case are secondary and tertiary: they order words only when
** the letters are equal. */
static void test_sort_vietnamese_tones_are_secondary(void **state)
{
    static const char *const w[] = {
        "mb",
        "m\xC3\xA0",      /* mà */
        "Ma",
        "ma",
        "m\xC3\xA1y",     /* máy */
        "may",
    };
    /* ma, Ma, mà, may, máy, mb */
    static const int64_t expect[] = {3, 2, 1, 5, 4, 0};
    cs_engine *eng;
    cs_dataset *ds, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 6), CS_OK);
    assert_int_equal(add_str(ds, "w", w, 6), CS_OK);
    s = sorted(ds, "w", NULL, CS_COLLATE_VI);
    check_ids(s, expect, 6);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* A view (here the result of another sort and a selection) sorts through
** its selection, and the result outlives its source. */
static void test_sort_of_a_view(void **state)
{
    static const int64_t v[] = {5, 4, 3, 2, 1, 0};
    static const char *const g[] = {"x", "y", "x", "y", "x", "y"};
    static const uint32_t pos[] = {5, 0, 2, 3, 3};
    static const int64_t byv[] = {5, 3, 3, 2, 0};
    static const int64_t byg[] = {2, 0, 5, 3, 3};
    cs_engine *eng;
    cs_dataset *ds, *v1, *s, *s2;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 6), CS_OK);
    assert_int_equal(add_i64(ds, "v", v, NULL, 6), CS_OK);
    assert_int_equal(add_str(ds, "g", g, 6), CS_OK);
    assert_int_equal(cs__dataset_view(ds, pos, 5, &v1), CS_OK);
    cs_dataset_free(ds);
    s = sorted(v1, "v", NULL, CS_COLLATE_VI);
    check_ids(s, byv, 5);
    s2 = sorted(s, "g", NULL, CS_COLLATE_VI);
    check_ids(s2, byg, 5);
    cs_dataset_free(v1);
    cs_dataset_free(s);
    check_ids(s2, byg, 5);
    cs_dataset_free(s2);
    cs_engine_free(eng);
}

static void test_sort_empty_one_row_and_no_keys(void **state)
{
    static const int64_t v[] = {7, 3};
    static const int64_t one[] = {0};
    static const int64_t both[] = {0, 1};
    const char *keys[] = {"v"};
    cs_engine *eng;
    cs_dataset *ds, *e, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &e), CS_OK);
    assert_int_equal(add_id(e, 0), CS_OK);
    assert_int_equal(add_i64(e, "v", v, NULL, 0), CS_OK);
    s = sorted(e, "v desc", "id", CS_COLLATE_VI);
    assert_int_equal(cs_dataset_nrows(s), 0);
    assert_int_equal(cs_dataset_ncols(s), 2);
    cs_dataset_free(s);
    cs_dataset_free(e);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 1), CS_OK);
    assert_int_equal(add_i64(ds, "v", v, NULL, 1), CS_OK);
    s = sorted(ds, "v desc", NULL, CS_COLLATE_VI);
    check_ids(s, one, 1);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, 2), CS_OK);
    assert_int_equal(add_i64(ds, "v", v, NULL, 2), CS_OK);
    /* No keys: the rows as they were. */
    assert_int_equal(cs_dataset_sort(ds, keys, 0, CS_COLLATE_VI, &s), CS_OK);
    check_ids(s, both, 2);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_sort_key_errors_name_the_key(void **state)
{
    static const int64_t v[] = {1, 2};
    cs_engine *eng;
    cs_dataset *ds, *s = (cs_dataset *)&s;
    const char *k[1];
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_i64(ds, "members", v, NULL, 2), CS_OK);
    assert_int_equal(add_i64(ds, "t\xC3\xAAn c\xE1\xBB\x99t", v, NULL, 2),
                     CS_OK);
    assert_int_equal(add_i64(ds, "desc", v, NULL, 2), CS_OK);
    k[0] = "membres desc";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s),
                     CS_ENOTFOUND);
    assert_null(s);
    assert_non_null(strstr(cs_errmsg(eng), "no column 'membres'"));
    assert_non_null(strstr(cs_errmsg(eng), "members, t\xC3\xAAn"));
    k[0] = "members downwards";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_EPARSE);
    assert_non_null(strstr(cs_errmsg(eng), "'downwards'"));
    k[0] = "`members desc";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_EPARSE);
    k[0] = "`members` up";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_EPARSE);
    k[0] = "   ";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_EPARSE);
    k[0] = "`` asc";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_EPARSE);
    /* Names with spaces, backquoted or not, and a column called desc. */
    k[0] = "t\xC3\xAAn c\xE1\xBB\x99t desc";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_OK);
    cs_dataset_free(s);
    k[0] = "`t\xC3\xAAn c\xE1\xBB\x99t`";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_OK);
    cs_dataset_free(s);
    /* A name typed decomposed (e + U+0302...) finds its NFC column. */
    k[0] = "te\xCC\x82n co\xCC\x82\xCC\xA3t  desc";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_OK);
    cs_dataset_free(s);
    k[0] = "desc";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_OK);
    cs_dataset_free(s);
    k[0] = "desc desc";
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_OK);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_sort_interrupted(void **state)
{
    static const int64_t v[] = {2, 1};
    const char *k[] = {"v"};
    cs_engine *eng;
    cs_dataset *ds, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_i64(ds, "v", v, NULL, 2), CS_OK);
    cs_engine_interrupt(eng);
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s),
                     CS_EINTERRUPT);
    assert_null(s);
    cs_engine_clear_interrupt(eng);
    assert_int_equal(cs_dataset_sort(ds, k, 1, CS_COLLATE_VI, &s), CS_OK);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* ---- randomised check against a plain stable sort ---- */

typedef struct refrow {
    int64_t a;      /* small range, some null */
    int an;
    int64_t b;      /* wide range */
    const char *s;  /* NULL: null */
    size_t id;
} refrow;

static int ref_cmp(const refrow *x, const refrow *y)
{
    /* Keys: a asc, s desc (bytes), b asc; nulls last. */
    int c;
    if (x->an != y->an) return x->an ? 1 : -1;
    if (!x->an && x->a != y->a) return x->a < y->a ? -1 : 1;
    if (!x->s != !y->s) return x->s ? -1 : 1;
    if (x->s && (c = strcmp(x->s, y->s)) != 0) return -c;
    if (x->b != y->b) return x->b < y->b ? -1 : 1;
    return 0;
}

static void test_sort_random_against_reference(void **state)
{
    static const char *const words[] = {"", "a", "ab", "b", "ba", "\xC4\x91",
                                        "z", "a\nb", "a,b"};
    enum { N = 3000 };
    refrow *rows = malloc(N * sizeof *rows);
    int64_t *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
    int64_t *expect = malloc(N * sizeof *expect);
    int *an = malloc(N * sizeof *an);
    const char **s = malloc(N * sizeof *s);
    cs_engine *eng;
    cs_dataset *ds, *out;
    size_t i, j;
    uint64_t seed = 42;
    (void)state;
    assert_non_null(rows);
    for (i = 0; i < N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        rows[i].a = a[i] = (int64_t)((seed >> 33) % 7) - 3;
        rows[i].an = an[i] = (seed >> 20) % 11 == 0;
        rows[i].b = b[i] = (int64_t)(seed ^ (seed << 17));
        rows[i].s = s[i] = (seed >> 40) % 13 == 0 ? NULL
                                                  : words[(seed >> 45) % 9];
        rows[i].id = i;
    }
    /* Insertion sort: stable. */
    for (i = 1; i < N; i++) {
        refrow r = rows[i];
        for (j = i; j > 0 && ref_cmp(&rows[j - 1], &r) > 0; j--)
            rows[j] = rows[j - 1];
        rows[j] = r;
    }
    for (i = 0; i < N; i++) expect[i] = (int64_t)rows[i].id;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, N), CS_OK);
    assert_int_equal(add_i64(ds, "a", a, an, N), CS_OK);
    assert_int_equal(add_i64(ds, "b", b, NULL, N), CS_OK);
    assert_int_equal(add_str(ds, "s", s, N), CS_OK);
    {
        const char *keys[] = {"a", "s desc", "b"};
        assert_int_equal(cs_dataset_sort(ds, keys, 3, CS_COLLATE_BYTES, &out),
                         CS_OK);
    }
    check_ids(out, expect, N);
    cs_dataset_free(out);
    cs_dataset_free(ds);
    cs_engine_free(eng);
    free(rows);
    free(a);
    free(b);
    free(an);
    free(s);
    free(expect);
}

/* Large enough for the bucketed radix paths: ints of 30 and 64 bits,
** doubles descending under a string, against qsort with the row number
** breaking ties (which is what stability means). */
typedef struct bigrow {
    int64_t v;
    int vn;
    double d;
    int g;
    uint32_t id;
} bigrow;

static int big_mode;

static int big_cmp(const void *pa, const void *pb)
{
    const bigrow *x = pa, *y = pb;
    if (big_mode == 0) {
        if (x->vn != y->vn) return x->vn - y->vn;
        if (!x->vn && x->v != y->v) return x->v < y->v ? -1 : 1;
    } else {
        if (x->g != y->g) return x->g - y->g;
        if (x->d != y->d) return x->d > y->d ? -1 : 1;
    }
    return x->id < y->id ? -1 : x->id > y->id;
}

static void test_sort_large_random_against_qsort(void **state)
{
    static const char *const g[] = {"b", "a", "c"};
    enum { N = 300000 };
    bigrow *rows = malloc(N * sizeof *rows), *orig = malloc(N * sizeof *orig);
    int64_t *v = malloc(N * sizeof *v), *expect = malloc(N * sizeof *expect);
    int *vn = malloc(N * sizeof *vn);
    double *d = malloc(N * sizeof *d);
    const char **gs = malloc(N * sizeof *gs);
    cs_engine *eng;
    cs_dataset *ds, *out;
    uint64_t seed = 99;
    size_t i;
    int mode, wide;
    (void)state;
    for (wide = 0; wide < 2; wide++) {
        for (i = 0; i < N; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            bigrow *row = &orig[i];
            row->v = v[i] = wide ? (int64_t)(seed ^ (seed >> 31))
                                    : (int64_t)((seed >> 20) % 1000000000);
            row->vn = vn[i] = (seed >> 13) % 17 == 0;
            row->d = d[i] = (double)((seed >> 30) % 5000) / 7 - 300;
            row->g = (int)((seed >> 50) % 3);
            gs[i] = g[row->g];
            row->g = row->g == 0 ? 1 : row->g == 1 ? 0 : 2;
            row->id = (uint32_t)i;
        }
        assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
        assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
        assert_int_equal(add_id(ds, N), CS_OK);
        assert_int_equal(add_i64(ds, "v", v, vn, N), CS_OK);
        assert_int_equal(add_f64(ds, "d", d, NULL, N), CS_OK);
        assert_int_equal(add_str(ds, "g", gs, N), CS_OK);
        for (mode = 0; mode < 2; mode++) {
            big_mode = mode;
            memcpy(rows, orig, N * sizeof *rows);
            qsort(rows, N, sizeof *rows, big_cmp);
            for (i = 0; i < N; i++) expect[i] = rows[i].id;
            out = mode == 0 ? sorted(ds, "v", NULL, CS_COLLATE_VI)
                            : sorted(ds, "g", "d desc", CS_COLLATE_VI);
            check_ids(out, expect, N);
            cs_dataset_free(out);
        }
        cs_dataset_free(ds);
        cs_engine_free(eng);
    }
    free(rows);
    free(orig);
    free(v);
    free(vn);
    free(d);
    free(gs);
    free(expect);
}

/* Many distinct strings, some sharing long prefixes, some prefixes of
** others: byte order against strcmp, Vietnamese order against ICU's own
** comparison. */
typedef struct strrow {
    const char *s;
    uint32_t id;
} strrow;

static UCollator *vi_coll;

static int str_cmp_bytes(const void *pa, const void *pb)
{
    const strrow *x = pa, *y = pb;
    int c = strcmp(x->s, y->s);
    if (c) return c;
    return x->id < y->id ? -1 : x->id > y->id;
}

static int str_cmp_vi(const void *pa, const void *pb)
{
    const strrow *x = pa, *y = pb;
    UErrorCode st = U_ZERO_ERROR;
    int c = ucol_strcollUTF8(vi_coll, x->s, -1, y->s, -1, &st);
    if (c) return c;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void test_sort_many_distinct_strings(void **state)
{
    static const char *const heads[] = {
        "H\xE1\xBB\xA3p t\xC3\xA1" "c x\xC3\xA3 ",           /* Hợp tác xã */
        "HTX ", "T\xE1\xBB\x95 h\xE1\xBB\xA3p t\xC3\xA1" "c ", /* Tổ hợp tác */
        "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c ",                 /* Đà Bắc */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "ab", "", "\xC4\x82n ", "\xC3\x82n ", "An "};
    enum { N = 20000 };
    strrow *rows = malloc(N * sizeof *rows), *orig = malloc(N * sizeof *orig);
    char (*text)[128] = malloc(N * sizeof *text);
    const char **col = malloc(N * sizeof *col);
    int64_t *expect = malloc(N * sizeof *expect);
    cs_engine *eng;
    cs_dataset *ds, *out;
    UErrorCode st = U_ZERO_ERROR;
    uint64_t seed = 3;
    size_t i;
    (void)state;
    vi_coll = ucol_open("vi", &st);
    assert_true(U_SUCCESS(st));
    for (i = 0; i < N; i++) {
        unsigned num;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        num = (unsigned)((seed >> 33) % 3000);
        if ((seed >> 20) % 7 == 0)
            snprintf(text[i], sizeof text[i], "%s", heads[(seed >> 40) % 10]);
        else
            snprintf(text[i], sizeof text[i], "%s%u", heads[(seed >> 40) % 10],
                     num);
        col[i] = text[i];
        orig[i].s = text[i];
        orig[i].id = (uint32_t)i;
    }
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(add_id(ds, N), CS_OK);
    assert_int_equal(add_str(ds, "name", col, N), CS_OK);
    assert_true(cs_column_dict_size(cs_dataset_get(ds, "name")) > 5000);
    memcpy(rows, orig, N * sizeof *rows);
    qsort(rows, N, sizeof *rows, str_cmp_bytes);
    for (i = 0; i < N; i++) expect[i] = rows[i].id;
    out = sorted(ds, "name", NULL, CS_COLLATE_BYTES);
    check_ids(out, expect, N);
    cs_dataset_free(out);
    memcpy(rows, orig, N * sizeof *rows);
    qsort(rows, N, sizeof *rows, str_cmp_vi);
    for (i = 0; i < N; i++) expect[i] = rows[i].id;
    out = sorted(ds, "name", NULL, CS_COLLATE_VI);
    check_ids(out, expect, N);
    cs_dataset_free(out);
    cs_dataset_free(ds);
    cs_engine_free(eng);
    ucol_close(vi_coll);
    free(rows);
    free(orig);
    free(text);
    free(col);
    free(expect);
}

/* Sorting fails cleanly at every allocation. */
static void test_sort_oom_sweep(void **state)
{
    static const char *const g[] = {"\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c",
                                    "Ba V\xC3\xAC", NULL, "An L\xC3\xA3o",
                                    "Ba V\xC3\xAC", "\xC4\x82n"};
    static const int64_t v[] = {4, 2, 9, 1, 3, 0};
    static const int nul[] = {0, 0, 0, 0, 1, 0};
    static const uint32_t pos[] = {5, 4, 3, 2, 1, 0, 1};
    static const int64_t expect[] = {3, 5, 1, 1, 4, 0, 2};
    long n;
    (void)state;
    for (n = 1; n < 5000; n++) {
        tally t = {0, 0, 0, 0};
        cs_engine *eng;
        cs_dataset *ds = NULL, *view = NULL, *s = NULL, *s2 = NULL;
        const char *keys[] = {"`huy\xE1\xBB\x87n`", "v desc"};
        const char *keys2[] = {"id"};
        int rc;
        t.fail_at = n;
        if (cs_engine_new(tally_alloc, &t, &eng)) continue;
        rc = cs_dataset_new(eng, &ds);
        if (!rc) rc = add_id(ds, 6);
        if (!rc) rc = add_str(ds, "huy\xE1\xBB\x87n", g, 6);
        if (!rc) rc = add_i64(ds, "v", v, nul, 6);
        if (!rc) rc = cs__dataset_view(ds, pos, 7, &view);
        if (!rc) rc = cs_dataset_sort(view, keys, 2, CS_COLLATE_VI, &s);
        if (!rc) rc = cs_dataset_sort(s, keys2, 1, CS_COLLATE_BYTES, &s2);
        if (!rc) {
            static const int64_t ids[] = {0, 1, 1, 2, 3, 4, 5};
            t.fail_at = 0;
            check_ids(s, expect, 7);
            check_ids(s2, ids, 7);
        } else {
            assert_int_equal(rc, CS_ENOMEM);
            assert_null(s2);
        }
        cs_dataset_free(s2);
        cs_dataset_free(s);
        cs_dataset_free(view);
        cs_dataset_free(ds);
        cs_engine_free(eng);
        assert_int_equal(t.live, 0);
        assert_true(t.bytes == 0);
        if (!rc) break;
    }
    assert_true(n > 10 && n < 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_int_is_stable_with_nulls_last),
        cmocka_unit_test(test_sort_multi_key_with_desc),
        cmocka_unit_test(test_sort_floats_nan_and_nulls),
        cmocka_unit_test(test_sort_full_int64_range_with_nulls),
        cmocka_unit_test(test_sort_bools_and_dates),
        cmocka_unit_test(test_sort_vietnamese_collation),
        cmocka_unit_test(test_sort_vietnamese_tones_are_secondary),
        cmocka_unit_test(test_sort_of_a_view),
        cmocka_unit_test(test_sort_empty_one_row_and_no_keys),
        cmocka_unit_test(test_sort_key_errors_name_the_key),
        cmocka_unit_test(test_sort_interrupted),
        cmocka_unit_test(test_sort_random_against_reference),
        cmocka_unit_test(test_sort_large_random_against_qsort),
        cmocka_unit_test(test_sort_many_distinct_strings),
        cmocka_unit_test(test_sort_oom_sweep),
    };
    return cmocka_run_group_tests_name("sort", tests, NULL, NULL);
}
