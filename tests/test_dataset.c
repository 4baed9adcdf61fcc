/*
** test_dataset.c: building datasets, sharing columns, gathering rows and
** formatting tables, with an out-of-memory sweep.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csint.h"   /* views are internal */

#include "tally.h"
#include "dsspec.h"

/* district (string), members (int64 with a null), rev (float64). */
static int build(cs_engine *eng, size_t n, cs_dataset **out)
{
    static const char *const names[] = {"\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c",
                                        "Mai Ch\xC3\xA2u", "L\xE1\xBA\xA1" "c S\xC6\xA1n"};
    cs_column *d = NULL, *m = NULL, *r = NULL;
    cs_dataset *ds = NULL;
    size_t i;
    int rc;
    *out = NULL;
    if ((rc = cs_column_new(eng, CS_TYPE_STR, &d))) goto done;
    if ((rc = cs_column_new(eng, CS_TYPE_I64, &m))) goto done;
    if ((rc = cs_column_new(eng, CS_TYPE_F64, &r))) goto done;
    for (i = 0; i < n; i++) {
        const char *s = names[i % 3];
        if ((rc = cs_column_push_str(d, s, strlen(s)))) goto done;
        rc = i == 1 ? cs_column_push_null(m)
                    : cs_column_push_i64(m, (int64_t)(i * 10));
        if (rc) goto done;
        if ((rc = cs_column_push_f64(r, (double)i / 4))) goto done;
    }
    if ((rc = cs_dataset_new(eng, &ds))) goto done;
    if ((rc = cs_dataset_add(ds, "district", d))) goto done;
    if ((rc = cs_dataset_add(ds, "members", m))) goto done;
    if ((rc = cs_dataset_add(ds, "rev", r))) goto done;
    *out = ds;
    ds = NULL;
done:
    cs_dataset_free(ds);
    cs_column_release(d);
    cs_column_release(m);
    cs_column_release(r);
    return rc;
}

static void test_dataset_add_find_and_errors(void **state)
{
    cs_engine *eng;
    cs_dataset *ds;
    cs_column *c;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(build(eng, 5, &ds), CS_OK);
    assert_int_equal(cs_dataset_nrows(ds), 5);
    assert_int_equal(cs_dataset_ncols(ds), 3);
    assert_string_equal(cs_dataset_colname(ds, 1), "members");
    assert_int_equal(cs_dataset_find(ds, "rev"), 2);
    assert_int_equal(cs_dataset_find(ds, "nope"), -1);
    /* Names are NFC: one typed decomposed finds the composed one. */
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &c), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 1), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 2), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 3), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 4), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 5), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "th\xC3\xA0nh vi\xC3\xAAn", c), CS_OK);
    cs_column_release(c);
    assert_int_equal(cs_dataset_find(ds, "tha\xCC\x80nh vie\xCC\x82n"), 3);
    assert_int_equal(cs_dataset_add(ds, "tha\xCC\x80nh vie\xCC\x82n",
                                    cs_dataset_column(ds, 3)), CS_EEXIST);
    assert_string_equal(cs_dataset_colname(ds, 3), "th\xC3\xA0nh vi\xC3\xAAn");
    assert_null(cs_dataset_get(ds, "membres"));
    assert_non_null(strstr(cs_errmsg(eng), "'membres'"));
    assert_non_null(strstr(cs_errmsg(eng), "district, members, rev"));
    /* A duplicate name and a column of another length are refused. */
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &c), CS_OK);
    assert_int_equal(cs_column_push_i64(c, 1), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "short", c), CS_EINVAL);
    assert_non_null(strstr(cs_errmsg(eng), "1 rows, the dataset has 5"));
    assert_int_equal(cs_dataset_add(ds, "rev", c), CS_EEXIST);
    assert_int_equal(cs_dataset_add(ds, "", c), CS_EINVAL);
    assert_int_equal(cs_dataset_ncols(ds), 4);
    cs_column_release(c);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_dataset_take_shares_dictionary_and_keeps_nulls(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *t;
    size_t rows[] = {4, 1, 1, 0};
    cs_value v;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(build(eng, 5, &ds), CS_OK);
    assert_int_equal(cs_dataset_take(ds, rows, 4, &t), CS_OK);
    assert_int_equal(cs_dataset_nrows(t), 4);
    cs_column_get(cs_dataset_column(t, 1), 0, &v);
    assert_int_equal(v.u.i, 40);
    assert_true(cs_column_is_null(cs_dataset_column(t, 1), 1));
    assert_true(cs_column_is_null(cs_dataset_column(t, 1), 2));
    assert_int_equal(cs_column_nulls(cs_dataset_column(t, 1)), 2);
    /* Codes are comparable across the two: the dictionary is shared. */
    assert_int_equal(cs_column_codes(cs_dataset_column(t, 0))[3],
                     cs_column_codes(cs_dataset_column(ds, 0))[0]);
    cs_dataset_free(ds);   /* t must outlive its source */
    cs_column_get(cs_dataset_column(t, 0), 1, &v);
    assert_string_equal(v.u.s.p, "Mai Ch\xC3\xA2u");
    rows[0] = 9;
    assert_int_equal(cs_dataset_take(t, rows, 1, &ds), CS_EINVAL);
    assert_null(ds);
    cs_dataset_free(t);
    cs_engine_free(eng);
}

static void test_dataset_slice_clips_and_empty(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(build(eng, 5, &ds), CS_OK);
    assert_int_equal(cs_dataset_slice(ds, 3, 10, &s), CS_OK);
    assert_int_equal(cs_dataset_nrows(s), 2);
    cs_dataset_free(s);
    assert_int_equal(cs_dataset_slice(ds, 7, 2, &s), CS_OK);
    assert_int_equal(cs_dataset_nrows(s), 0);
    assert_int_equal(cs_dataset_ncols(s), 3);
    cs_dataset_free(s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_dataset_format_aligns_by_display_width(void **state)
{
    cs_engine *eng;
    cs_dataset *ds;
    cs_format_options opt = {0, 0, 1};
    char *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(build(eng, 3, &ds), CS_OK);
    assert_int_equal(cs_dataset_format(ds, &opt, &s), CS_OK);
    assert_string_equal(
        s,
        "district  members      rev\n"
        "string      int64  float64\n"
        "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80"
        "\xE2\x94\x80\xE2\x94\x80  "
        "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80"
        "\xE2\x94\x80  "
        "\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80\xE2\x94\x80"
        "\xE2\x94\x80\n"
        "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c          0        0\n"
        "Mai Ch\xC3\xA2u        \xE2\x88\x85     0.25\n"
        "L\xE1\xBA\xA1" "c S\xC6\xA1n        20      0.5\n"
        "(3 rows, 3 columns)\n");
    cs_free_str(eng, s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_dataset_format_elides_rows_and_columns(void **state)
{
    cs_engine *eng;
    cs_dataset *ds;
    cs_format_options opt = {4, 20, 0};
    char *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(build(eng, 100, &ds), CS_OK);
    assert_int_equal(cs_dataset_format(ds, &opt, &s), CS_OK);
    assert_non_null(strstr(s, "\xE2\x80\xA6 96 more rows\n"));
    assert_non_null(strstr(s, "(100 rows, 3 columns)"));
    assert_null(strstr(s, "members"));           /* the middle column */
    assert_non_null(strstr(s, "district  \xE2\x80\xA6    rev\n"));
    assert_non_null(strstr(s, "24.75"));         /* the last row */
    cs_free_str(eng, s);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_dataset_format_empty(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *e;
    char *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &e), CS_OK);
    assert_int_equal(cs_dataset_format(e, NULL, &s), CS_OK);
    assert_string_equal(s, "(0 rows, 0 columns)\n");
    cs_free_str(eng, s);
    assert_int_equal(build(eng, 0, &ds), CS_OK);
    assert_int_equal(cs_dataset_format(ds, NULL, &s), CS_OK);
    assert_non_null(strstr(s, "district  members  rev\n"));
    cs_free_str(eng, s);
    cs_dataset_free(e);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* A view shares its source's columns; gathering, formatting, taking and
** viewing again all read through its selection, and it outlives its
** source. */
static void test_dataset_views_share_columns(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *v, *vv, *t;
    const uint32_t pos[] = {4, 1, 3};
    const uint32_t pos2[] = {2, 0};
    size_t rows[] = {1};
    cs_value val;
    char *s;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(build(eng, 5, &ds), CS_OK);
    assert_int_equal(cs__dataset_view(ds, pos, 3, &v), CS_OK);
    assert_int_equal(cs_dataset_nrows(v), 3);
    assert_ptr_equal(v->cols[1], ds->cols[1]);           /* shared */
    assert_int_equal(cs__dataset_view(v, pos2, 2, &vv), CS_OK);
    cs_dataset_free(ds);
    /* vv shows v's rows 2 and 0, that is base rows 3 and 4. */
    cs_column_get(cs_dataset_column(vv, 1), 0, &val);
    assert_int_equal(val.u.i, 30);
    cs_column_get(cs_dataset_column(vv, 1), 1, &val);
    assert_int_equal(val.u.i, 40);
    assert_true(cs_column_is_null(cs_dataset_get(v, "members"), 1));
    assert_int_equal(cs_column_len(cs_dataset_column(v, 0)), 3);
    assert_int_equal(cs_dataset_take(v, rows, 1, &t), CS_OK);
    assert_null(t->sel);
    assert_true(cs_column_is_null(cs_dataset_column(t, 1), 0));
    assert_int_equal(cs_dataset_format(vv, NULL, &s), CS_OK);
    assert_non_null(strstr(s, "30"));
    assert_non_null(strstr(s, "(2 rows, 3 columns)"));
    assert_null(strstr(s, "20"));
    cs_free_str(eng, s);
    assert_int_equal(cs_dataset_add(v, "x", cs_dataset_column(t, 0)),
                     CS_EMISUSE);
    cs_dataset_free(t);
    cs_dataset_free(vv);
    cs_dataset_free(v);
    cs_engine_free(eng);
}

/* Building, gathering and formatting fail cleanly at every allocation. */
static void test_dataset_oom_sweep(void **state)
{
    long n;
    (void)state;
    for (n = 1; n < 2000; n++) {
        tally t = {0, 0, 0, 0};
        cs_engine *eng;
        cs_dataset *ds = NULL, *s = NULL, *v = NULL;
        cs_format_options opt = {4, 30, 1};
        const uint32_t pos[] = {7, 3, 3};
        char *text = NULL;
        int rc;
        t.fail_at = n;
        if (cs_engine_new(tally_alloc, &t, &eng)) continue;
        rc = build(eng, 20, &ds);
        if (!rc) rc = cs_dataset_slice(ds, 2, 9, &s);
        if (!rc) rc = cs__dataset_view(s, pos, 3, &v);
        if (!rc && !cs_dataset_column(v, 0)) rc = CS_ENOMEM;
        if (!rc && !cs_dataset_get(v, "rev")) rc = CS_ENOMEM;
        if (!rc) rc = cs_dataset_format(s, &opt, &text);
        if (!rc) {
            assert_non_null(text);
            cs_free_str(eng, text);
        } else {
            assert_int_equal(rc, CS_ENOMEM);
            assert_null(text);
        }
        cs_dataset_free(v);
        cs_dataset_free(s);
        cs_dataset_free(ds);
        cs_engine_free(eng);
        assert_int_equal(t.live, 0);
        assert_true(t.bytes == 0);
        if (!rc) break;
    }
    assert_true(n > 10 && n < 2000);
}

/* Two datasets from specs: their fingerprints are equal (SAME) or not. */
static void fingerprints(cs_engine *eng, const char *a, const char *b,
                         int same)
{
    cs_dataset *x, *y;
    char fx[CS_HASH_HEX], fy[CS_HASH_HEX];
    assert_int_equal(spec_dataset(eng, a, &x), CS_OK);
    assert_int_equal(spec_dataset(eng, b, &y), CS_OK);
    assert_int_equal(cs_dataset_fingerprint(x, fx), CS_OK);
    assert_int_equal(cs_dataset_fingerprint(y, fy), CS_OK);
    assert_int_equal(strlen(fx), 64);
    if (same)
        assert_string_equal(fx, fy);
    else
        assert_string_not_equal(fx, fy);
    cs_dataset_free(x);
    cs_dataset_free(y);
}

static void test_dataset_fingerprint_follows_content(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *t;
    char f1[CS_HASH_HEX], f2[CS_HASH_HEX];
    size_t rows[] = {0, 1, 2, 3, 4};
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    /* The SHA-256 of "abc", as published in FIPS 180-2. */
    cs_sha256_hex("abc", 3, f1);
    assert_string_equal(f1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb"
                            "410ff61f20015ad");
    fingerprints(eng, "a:i=1,2,3", "a:i=1,2,3", 1);
    fingerprints(eng, "a:i=1,2,3", "a:i=1,2,4", 0);
    fingerprints(eng, "a:i=1,2,3", "b:i=1,2,3", 0);      /* names count */
    fingerprints(eng, "a:i=1,2,3", "a:f=1,2,3", 0);      /* so do types */
    fingerprints(eng, "a:i=1,,3", "a:i=1,0,3", 0);       /* null is not 0 */
    fingerprints(eng, "a:s=,x", "a:s=x,", 0);            /* order counts */
    fingerprints(eng, "a:s=ab,c", "a:s=a,bc", 0);        /* no ambiguity */
    fingerprints(eng, "a:f=0,nan", "a:f=-0,nan", 1);     /* -0 is 0 */
    fingerprints(eng, "a:i=1;b:i=2", "a:i=1;b:i=2", 1);
    fingerprints(eng, "a:i", "a:i", 1);                  /* empty */
    fingerprints(eng, "a:i", "a:f", 0);
    /* A view and its dense copy have the same fingerprint. */
    assert_int_equal(build(eng, 5, &ds), CS_OK);
    assert_int_equal(cs_dataset_take(ds, rows, 5, &t), CS_OK);
    assert_int_equal(cs_dataset_fingerprint(ds, f1), CS_OK);
    assert_int_equal(cs_dataset_fingerprint(t, f2), CS_OK);
    assert_string_equal(f1, f2);
    cs_dataset_free(t);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dataset_add_find_and_errors),
        cmocka_unit_test(test_dataset_take_shares_dictionary_and_keeps_nulls),
        cmocka_unit_test(test_dataset_slice_clips_and_empty),
        cmocka_unit_test(test_dataset_format_aligns_by_display_width),
        cmocka_unit_test(test_dataset_format_elides_rows_and_columns),
        cmocka_unit_test(test_dataset_format_empty),
        cmocka_unit_test(test_dataset_views_share_columns),
        cmocka_unit_test(test_dataset_oom_sweep),
        cmocka_unit_test(test_dataset_fingerprint_follows_content),
    };
    return cmocka_run_group_tests_name("dataset", tests, NULL, NULL);
}
