/*
** test_groupby.c: grouping and aggregation (agg, distinct, pivot): every
** aggregate against hand-computed values, null rules, key kinds, views,
** large key sets against a naive computation, errors, and an
** out-of-memory sweep.
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

/* splitmix64, for reproducible large inputs. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* ---- building datasets from text ---- */

/* A column from text cells separated by '|', "NA" meaning null.  Types:
** 'i' int64, 'f' float64, 's' string, 'b' bool, 'd' date. */
static cs_column *mkcol(cs_engine *eng, char type, const char *cells)
{
    cs_type t = type == 'i'   ? CS_TYPE_I64
                : type == 'f' ? CS_TYPE_F64
                : type == 's' ? CS_TYPE_STR
                : type == 'b' ? CS_TYPE_BOOL
                              : CS_TYPE_DATE;
    cs_column *col;
    const char *p = cells;
    assert_int_equal(cs_column_new(eng, t, &col), CS_OK);
    if (!*cells) return col;
    for (;;) {
        const char *e = strchr(p, '|');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char buf[256];
        int32_t days;
        assert_true(len < sizeof buf);
        memcpy(buf, p, len);
        buf[len] = '\0';
        if (strcmp(buf, "NA") == 0) {
            assert_int_equal(cs_column_push_null(col), CS_OK);
        } else if (t == CS_TYPE_I64) {
            assert_int_equal(cs_column_push_i64(col, strtoll(buf, NULL, 10)),
                             CS_OK);
        } else if (t == CS_TYPE_F64) {
            assert_int_equal(cs_column_push_f64(col, strtod(buf, NULL)),
                             CS_OK);
        } else if (t == CS_TYPE_STR) {
            assert_int_equal(cs_column_push_str(col, buf, len), CS_OK);
        } else if (t == CS_TYPE_BOOL) {
            assert_int_equal(
                cs_column_push_bool(col, strcmp(buf, "true") == 0), CS_OK);
        } else {
            assert_int_equal(cs_date_parse(buf, len, NULL, &days), CS_OK);
            assert_int_equal(cs_column_push_date(col, days), CS_OK);
        }
        if (!e) break;
        p = e + 1;
    }
    return col;
}

/* A dataset from "name:type" specs and cell lists, NULL-terminated. */
static cs_dataset *mk(cs_engine *eng, ...)
{
    cs_dataset *ds;
    va_list ap;
    const char *spec;
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    va_start(ap, eng);
    while ((spec = va_arg(ap, const char *)) != NULL) {
        const char *cells = va_arg(ap, const char *);
        const char *colon = strchr(spec, ':');
        char name[64];
        cs_column *col;
        assert_non_null(colon);
        memcpy(name, spec, (size_t)(colon - spec));
        name[colon - spec] = '\0';
        col = mkcol(eng, colon[1], cells);
        assert_int_equal(cs_dataset_add(ds, name, col), CS_OK);
        cs_column_release(col);
    }
    va_end(ap);
    return ds;
}

/* The cells of column NAME of DS as "a|b|c" (floats with %.10g, null as
** "NA"), in a static buffer. */
static const char *cells(const cs_dataset *ds, const char *name)
{
    static char out[4096];
    cs_column *col = cs_dataset_get(ds, name);
    size_t r, n, len = 0;
    if (!col) {
        snprintf(out, sizeof out, "<no column %s: %s>", name,
                 cs_errmsg(cs_dataset_engine(ds)));
        return out;
    }
    n = cs_column_len(col);
    out[0] = '\0';
    for (r = 0; r < n; r++) {
        cs_value v;
        char cell[256];
        cs_column_get(col, r, &v);
        if (v.isnull) snprintf(cell, sizeof cell, "NA");
        else if (v.type == CS_TYPE_I64) snprintf(cell, sizeof cell, "%lld",
                                                 (long long)v.u.i);
        else if (v.type == CS_TYPE_F64) snprintf(cell, sizeof cell, "%.10g",
                                                 v.u.f);
        else if (v.type == CS_TYPE_BOOL)
            snprintf(cell, sizeof cell, "%s", v.u.b ? "true" : "false");
        else if (v.type == CS_TYPE_DATE) cs_date_format(v.u.d, cell);
        else snprintf(cell, sizeof cell, "%.*s", (int)v.u.s.len, v.u.s.p);
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s",
                                r ? "|" : "", cell);
        assert_true(len < sizeof out);
    }
    return out;
}

static cs_type coltype(const cs_dataset *ds, const char *name)
{
    return cs_column_type(cs_dataset_get(ds, name));
}

/* Runs agg with up to 8 keys and aggregates given as NULL-terminated
** lists; returns the status. */
static int run_agg(const cs_dataset *ds, const char *const *keys,
                   const char *const *aggs, cs_dataset **out)
{
    size_t nk = 0, na = 0;
    while (keys && keys[nk]) nk++;
    while (aggs && aggs[na]) na++;
    return cs_dataset_agg(ds, keys, nk, aggs, na, out);
}

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define AGGS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NOKEYS ((const char *const *)NULL)

#define MC "Mai Ch\xC3\xA2u"
#define DB "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c"
#define LS "L\xE1\xBA\xA1" "c S\xC6\xA1n"

/* The sample of most tests: 7 organisations in 3 districts, first seen
** in the order Mai Châu, Đà Bắc, Lạc Sơn. */
static cs_dataset *sample(cs_engine *eng)
{
    return mk(eng,
              "district:s", MC "|" DB "|" MC "|" LS "|" DB "|" MC "|" LS,
              "kind:s", "HTX|THT|HTX|HTX|HTX|THT|NA",
              "members:i", "10|20|NA|40|50|60|NA",
              "rev:f", "1.5|2.5|3.5|NA|5.5|6.5|NA",
              "active:b", "true|false|true|NA|true|true|NA",
              "founded:d", "2001-05-01|1999-12-31|2010-01-01|NA|2020-02-29|"
                           "2005-07-07|NA",
              NULL);
}


static void test_groupby_counts_sums_means_by_string_key(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = sample(eng);
    assert_int_equal(
        run_agg(ds, KEYS("district"),
                AGGS("count( * )", "count(members) as n_members",
                     "sum(members)", "mean(rev)", "sum(rev)",
                     "sum(active) as n_active", "mean(active)",
                     "mean(members)"),
                &r),
        CS_OK);
    assert_int_equal(cs_dataset_ncols(r), 9);
    assert_string_equal(cs_dataset_colname(r, 0), "district");
    assert_string_equal(cs_dataset_colname(r, 1), "count( * )");
    assert_string_equal(cs_dataset_colname(r, 2), "n_members");
    assert_string_equal(cs_dataset_colname(r, 3), "sum(members)");
    assert_string_equal(cells(r, "district"), MC "|" DB "|" LS);
    assert_string_equal(cells(r, "count( * )"), "3|2|2");
    assert_string_equal(cells(r, "n_members"), "2|2|1");
    assert_string_equal(cells(r, "sum(members)"), "70|70|40");
    assert_int_equal(coltype(r, "sum(members)"), CS_TYPE_I64);
    assert_string_equal(cells(r, "mean(rev)"), "3.833333333|4|NA");
    assert_string_equal(cells(r, "sum(rev)"), "11.5|8|NA");
    assert_int_equal(coltype(r, "sum(rev)"), CS_TYPE_F64);
    assert_string_equal(cells(r, "n_active"), "3|1|NA");
    assert_int_equal(coltype(r, "n_active"), CS_TYPE_I64);
    assert_string_equal(cells(r, "mean(active)"), "1|0.5|NA");
    assert_string_equal(cells(r, "mean(members)"), "35|35|40");
    /* The key column shares the input's dictionary. */
    assert_ptr_equal(cs_dataset_get(r, "district")->dict,
                     cs_dataset_get(ds, "district")->dict);
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_min_max_first_last_keep_types(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = sample(eng);
    assert_int_equal(
        run_agg(ds, KEYS("district"),
                AGGS("min(members)", "max(members)", "min(rev)", "max(rev)",
                     "min(kind)", "max(kind)", "min(founded)",
                     "max(founded)", "min(active)", "max(active)",
                     "first(members)", "last(members)", "first(kind)",
                     "last(kind)", "last(founded)", "min(district)"),
                &r),
        CS_OK);
    assert_string_equal(cells(r, "min(members)"), "10|20|40");
    assert_string_equal(cells(r, "max(members)"), "60|50|40");
    assert_string_equal(cells(r, "min(rev)"), "1.5|2.5|NA");
    assert_string_equal(cells(r, "max(rev)"), "6.5|5.5|NA");
    assert_string_equal(cells(r, "min(kind)"), "HTX|HTX|HTX");
    assert_string_equal(cells(r, "max(kind)"), "THT|THT|HTX");
    assert_int_equal(coltype(r, "max(kind)"), CS_TYPE_STR);
    assert_string_equal(cells(r, "min(founded)"),
                        "2001-05-01|1999-12-31|NA");
    assert_string_equal(cells(r, "max(founded)"),
                        "2010-01-01|2020-02-29|NA");
    assert_int_equal(coltype(r, "max(founded)"), CS_TYPE_DATE);
    assert_string_equal(cells(r, "min(active)"), "true|false|NA");
    assert_string_equal(cells(r, "max(active)"), "true|true|NA");
    assert_string_equal(cells(r, "first(members)"), "10|20|40");
    assert_string_equal(cells(r, "last(members)"), "60|50|40");
    assert_string_equal(cells(r, "first(kind)"), "HTX|THT|HTX");
    assert_string_equal(cells(r, "last(kind)"), "THT|HTX|HTX");
    assert_string_equal(cells(r, "last(founded)"),
                        "2005-07-07|2020-02-29|NA");
    assert_string_equal(cells(r, "min(district)"), MC "|" DB "|" LS);
    cs_dataset_free(r);
    cs_dataset_free(ds);
    /* NaN is the minimum or maximum only of a group holding nothing
    ** else; infinities are ordinary values. */
    ds = mk(eng, "g:s", "a|b|a|b|c|c|d|e",
            "f:f", "NaN|1|NaN|NA|inf|NaN|NA|-inf", NULL);
    assert_int_equal(run_agg(ds, KEYS("g"), AGGS("min(f)", "max(f)"), &r),
                     CS_OK);
    assert_string_equal(cells(r, "min(f)"), "nan|1|inf|NA|-inf");
    assert_string_equal(cells(r, "max(f)"), "nan|1|inf|NA|-inf");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_distinct_counts_skip_nulls(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = mk(eng, "g:s", "a|a|a|b|b|a|c|a",
            "x:i", "1|1|NA|2|NA|3|NA|1",
            "s:s", "u|NA|u|v|w|v|NA|x",
            "f:f", "0|-0|NA|1|1|NaN|NA|NaN",
            "d:d", "2020-01-01|2020-01-01|NA|NA|2021-01-01|2020-01-02|NA|NA",
            "b:b", "true|NA|false|true|true|true|NA|true", NULL);
    assert_int_equal(run_agg(ds, KEYS("g"),
                             AGGS("count_distinct(x)", "count_distinct(s)",
                                  "count_distinct(f)", "count_distinct(d)",
                                  "count_distinct(b)", "count(x)"),
                             &r),
                     CS_OK);
    assert_string_equal(cells(r, "g"), "a|b|c");
    assert_string_equal(cells(r, "count_distinct(x)"), "2|1|0");
    assert_string_equal(cells(r, "count_distinct(s)"), "3|2|0");
    /* 0 and -0 are one value, and so are all NaNs. */
    assert_string_equal(cells(r, "count_distinct(f)"), "2|1|0");
    assert_string_equal(cells(r, "count_distinct(d)"), "2|1|0");
    assert_string_equal(cells(r, "count_distinct(b)"), "2|1|0");
    assert_string_equal(cells(r, "count(x)"), "4|1|0");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_quantiles_interpolate_type7(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = mk(eng, "g:i", "1|1|1|1|2|2|2|3|4|4",
            "x:i", "4|1|3|2|10|NA|20|NA|7|7",
            "y:f", "4|1|3|2|10|NA|20|NA|NaN|5", NULL);
    assert_int_equal(
        run_agg(ds, KEYS("g"),
                AGGS("quantile(x, 0.25)", "median(x)", "quantile(x, 0)",
                     "quantile(x, 1)", "quantile(y, 0.25) as q",
                     "median(y)", "quantile(x,0.9)", "median(y > 2)"),
                &r),
        CS_OK);
    assert_string_equal(cells(r, "quantile(x, 0.25)"), "1.75|12.5|NA|7");
    assert_string_equal(cells(r, "median(x)"), "2.5|15|NA|7");
    assert_string_equal(cells(r, "quantile(x, 0)"), "1|10|NA|7");
    assert_string_equal(cells(r, "quantile(x, 1)"), "4|20|NA|7");
    assert_string_equal(cells(r, "q"), "1.75|12.5|NA|nan");
    /* NaN sorts after the numbers: the median of {5, NaN} is NaN. */
    assert_string_equal(cells(r, "median(y)"), "2.5|15|NA|nan");
    assert_string_equal(cells(r, "quantile(x,0.9)"), "3.7|19|NA|7");
    assert_int_equal(coltype(r, "median(x)"), CS_TYPE_F64);
    assert_string_equal(cells(r, "median(y > 2)"), "0.5|1|NA|0.5");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Larger groups go through the partitioning path of the selection. */
static void test_groupby_median_of_large_groups(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    cs_column *g, *x;
    size_t i, n = 10001;
    cs_value v;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &g), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &x), CS_OK);
    for (i = 0; i < n; i++) {
        /* A permutation of 0..n-1 in group 0, and its double in 1. */
        size_t p = (i * 7919) % n;
        assert_int_equal(cs_column_push_i64(g, 0), CS_OK);
        assert_int_equal(cs_column_push_f64(x, (double)p), CS_OK);
        assert_int_equal(cs_column_push_i64(g, 1), CS_OK);
        assert_int_equal(cs_column_push_f64(x, 2.0 * (double)p), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "g", g), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", x), CS_OK);
    assert_int_equal(run_agg(ds, KEYS("g"),
                             AGGS("median(x)", "quantile(x, 0.1) as q"), &r),
                     CS_OK);
    cs_column_get(cs_dataset_get(r, "median(x)"), 0, &v);
    assert_true(v.u.f == 5000);
    cs_column_get(cs_dataset_get(r, "median(x)"), 1, &v);
    assert_true(v.u.f == 10000);
    cs_column_get(cs_dataset_get(r, "q"), 0, &v);
    assert_true(v.u.f == 1000);
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_column_release(g);
    cs_column_release(x);
    cs_engine_free(eng);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Type 7 over sorted X[0..N). */
static double naive_quantile(const double *x, size_t n, double q)
{
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    if (h == (double)lo || x[lo] == x[lo + 1]) return x[lo];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* Groups big enough for the sampled bracket, with many ties, extremes
** and infinities, against sorting. */
static void test_groupby_quantiles_of_huge_groups_against_sort(void **state)
{
    enum { N = 300000 };
    static const double qs[] = {0, 0.001, 0.1, 0.25, 0.5, 0.7, 0.999, 1};
    cs_engine *eng;
    cs_dataset *ds;
    cs_column *g, *xi, *xf;
    double *vals[3];
    size_t nv[3] = {0, 0, 0}, i, k, grp;
    uint64_t seed = 7;
    (void)state;
    for (k = 0; k < 3; k++) vals[k] = malloc(N * sizeof *vals[k]);
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &g), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &xi), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &xf), CS_OK);
    for (i = 0; i < N; i++) {
        uint64_t r = mix(&seed);
        int64_t v;
        double f;
        grp = r % 3;   /* 0: ties, 1: wide, 2: sorted */
        v = grp == 0   ? (int64_t)(r >> 40) % 50
            : grp == 1 ? (int64_t)(r >> 2) - (int64_t)(1ull << 61)
                       : (int64_t)i;
        if (i == 5) v = INT64_MIN + 1;
        f = grp == 1 && i % 1000 == 1 ? (i % 2000 == 1 ? INFINITY : -INFINITY)
                                      : (double)v;
        assert_int_equal(cs_column_push_i64(g, (int64_t)grp), CS_OK);
        assert_int_equal(cs_column_push_i64(xi, v), CS_OK);
        assert_int_equal(cs_column_push_f64(xf, f), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "g", g), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "xi", xi), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "xf", xf), CS_OK);
    for (k = 0; k < sizeof qs / sizeof qs[0]; k++) {
        char ai[64], af[64];
        const char *aggs[] = {ai, af};
        const char *keys[] = {"g"};
        cs_dataset *r;
        const int64_t *gv;
        const double *ri, *rf;
        snprintf(ai, sizeof ai, "quantile(xi, %.17g) as qi", qs[k]);
        snprintf(af, sizeof af, "quantile(xf, %.17g) as qf", qs[k]);
        assert_int_equal(cs_dataset_agg(ds, keys, 1, aggs, 2, &r), CS_OK);
        gv = cs_column_i64s(cs_dataset_get(r, "g"));
        ri = cs_column_f64s(cs_dataset_get(r, "qi"));
        rf = cs_column_f64s(cs_dataset_get(r, "qf"));
        for (grp = 0; grp < 3; grp++) {
            const int64_t *gi = cs_column_i64s(g), *iv = cs_column_i64s(xi);
            const double *fv = cs_column_f64s(xf);
            double want;
            nv[0] = nv[1] = 0;
            for (i = 0; i < N; i++) {
                if (gi[i] != gv[grp]) continue;
                vals[0][nv[0]++] = (double)iv[i];
                vals[1][nv[1]++] = fv[i];
            }
            qsort(vals[0], nv[0], sizeof(double), cmp_d);
            qsort(vals[1], nv[1], sizeof(double), cmp_d);
            want = naive_quantile(vals[0], nv[0], qs[k]);
            if (!(fabs(ri[grp] - want) <= 1e-9 * fabs(want)))
                fail_msg("q %g group %lld: int %.17g, want %.17g", qs[k],
                         (long long)gv[grp], ri[grp], want);
            want = naive_quantile(vals[1], nv[1], qs[k]);
            if (!(rf[grp] == want || fabs(rf[grp] - want) <= 1e-9 * fabs(want)))
                fail_msg("q %g group %lld: float %.17g, want %.17g", qs[k],
                         (long long)gv[grp], rf[grp], want);
        }
        cs_dataset_free(r);
    }
    cs_dataset_free(ds);
    cs_column_release(g);
    cs_column_release(xi);
    cs_column_release(xf);
    for (k = 0; k < 3; k++) free(vals[k]);
    cs_engine_free(eng);
}

static void test_groupby_var_stddev_share_wmean(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    cs_value v;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = mk(eng, "g:s", "a|a|a|a|a|a|a|a|b|c|c|d",
            "x:i", "2|4|4|4|5|5|7|9|3|NA|NA|1",
            "f:f", "2|4|4|4|5|5|7|9|3|1e9|NA|-1",
            "w:f", "1|1|1|1|1|1|1|1|0|2|NA|3", NULL);
    assert_int_equal(
        run_agg(ds, KEYS("g"),
                AGGS("var(x)", "stddev(x)", "var(f)", "stddev(f) as sd",
                     "share(x)", "share(f)", "wmean(f, w)", "wmean(x, w)"),
                &r),
        CS_OK);
    /* Sample variance of 2 4 4 4 5 5 7 9 is 32/7. */
    assert_string_equal(cells(r, "var(x)"), "4.571428571|NA|NA|NA");
    assert_string_equal(cells(r, "stddev(x)"), "2.138089935|NA|NA|NA");
    assert_string_equal(cells(r, "var(f)"), "4.571428571|NA|NA|NA");
    assert_string_equal(cells(r, "sd"), "2.138089935|NA|NA|NA");
    /* share: 40, 3, (none) and 1 of 44. */
    assert_string_equal(cells(r, "share(x)"),
                        "0.9090909091|0.06818181818|NA|0.02272727273");
    cs_column_get(cs_dataset_get(r, "share(f)"), 2, &v);
    assert_true(fabs(v.u.f - 1e9 / (1e9 + 42)) < 1e-12);
    /* wmean over rows where both are non-null; b's weights sum to 0. */
    assert_string_equal(cells(r, "wmean(f, w)"), "5|NA|1000000000|-1");
    assert_string_equal(cells(r, "wmean(x, w)"), "5|NA|NA|1");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    /* Nearly equal large values keep their variance. */
    ds = mk(eng, "x:f", "1000000004|1000000007|1000000013|1000000016", NULL);
    assert_int_equal(run_agg(ds, NOKEYS, AGGS("var(x)", "share(x)"), &r),
                     CS_OK);
    assert_string_equal(cells(r, "var(x)"), "30");
    assert_string_equal(cells(r, "share(x)"), "1");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    /* A total of zero gives null shares. */
    ds = mk(eng, "g:i", "1|2", "x:i", "5|-5", NULL);
    assert_int_equal(run_agg(ds, KEYS("g"), AGGS("share(x)"), &r), CS_OK);
    assert_string_equal(cells(r, "share(x)"), "NA|NA");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_all_null_group_gives_nulls(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = mk(eng, "g:s", "a|b|b", "x:i", "1|NA|NA", "s:s", "p|NA|NA", NULL);
    assert_int_equal(
        run_agg(ds, KEYS("g"),
                AGGS("count()", "count(x)", "count_distinct(x)", "sum(x)",
                     "mean(x)", "min(x)", "max(x)", "median(x)", "var(x)",
                     "stddev(x)", "first(x)", "last(x)", "share(x)",
                     "min(s)", "first(s)", "wmean(x, x)"),
                &r),
        CS_OK);
    assert_string_equal(cells(r, "count()"), "1|2");
    assert_string_equal(cells(r, "count(x)"), "1|0");
    assert_string_equal(cells(r, "count_distinct(x)"), "1|0");
    assert_string_equal(cells(r, "sum(x)"), "1|NA");
    assert_string_equal(cells(r, "mean(x)"), "1|NA");
    assert_string_equal(cells(r, "min(x)"), "1|NA");
    assert_string_equal(cells(r, "max(x)"), "1|NA");
    assert_string_equal(cells(r, "median(x)"), "1|NA");
    assert_string_equal(cells(r, "var(x)"), "NA|NA");
    assert_string_equal(cells(r, "stddev(x)"), "NA|NA");
    assert_string_equal(cells(r, "first(x)"), "1|NA");
    assert_string_equal(cells(r, "last(x)"), "1|NA");
    assert_string_equal(cells(r, "share(x)"), "1|NA");
    assert_string_equal(cells(r, "min(s)"), "p|NA");
    assert_string_equal(cells(r, "first(s)"), "p|NA");
    assert_string_equal(cells(r, "wmean(x, x)"), "1|NA");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_empty_input_and_one_row(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = mk(eng, "g:s", "", "x:i", "", "f:f", "", NULL);
    /* With keys: no groups. */
    assert_int_equal(run_agg(ds, KEYS("g"),
                             AGGS("count()", "sum(x)", "median(f)",
                                  "first(g)"),
                             &r),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 0);
    assert_int_equal(cs_dataset_ncols(r), 5);
    assert_int_equal(coltype(r, "g"), CS_TYPE_STR);
    cs_dataset_free(r);
    /* Without keys: one row, as SQL. */
    assert_int_equal(
        run_agg(ds, NOKEYS,
                AGGS("count()", "count(x)", "sum(x)", "mean(f)", "min(g)",
                     "median(x)", "var(f)", "count_distinct(g)", "first(x)",
                     "share(x)", "wmean(f, x)"),
                &r),
        CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 1);
    assert_string_equal(cells(r, "count()"), "0");
    assert_string_equal(cells(r, "count(x)"), "0");
    assert_string_equal(cells(r, "sum(x)"), "NA");
    assert_string_equal(cells(r, "mean(f)"), "NA");
    assert_string_equal(cells(r, "min(g)"), "NA");
    assert_string_equal(cells(r, "median(x)"), "NA");
    assert_string_equal(cells(r, "var(f)"), "NA");
    assert_string_equal(cells(r, "count_distinct(g)"), "0");
    assert_string_equal(cells(r, "first(x)"), "NA");
    assert_string_equal(cells(r, "share(x)"), "NA");
    assert_string_equal(cells(r, "wmean(f, x)"), "NA");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    /* One row. */
    ds = mk(eng, "g:s", "a", "x:i", "7", "f:f", "2.5", NULL);
    assert_int_equal(run_agg(ds, KEYS("g"),
                             AGGS("count()", "sum(x)", "median(f)",
                                  "var(x)", "min(g)", "share(f)"),
                             &r),
                     CS_OK);
    assert_string_equal(cells(r, "g"), "a");
    assert_string_equal(cells(r, "count()"), "1");
    assert_string_equal(cells(r, "sum(x)"), "7");
    assert_string_equal(cells(r, "median(f)"), "2.5");
    assert_string_equal(cells(r, "var(x)"), "NA");
    assert_string_equal(cells(r, "min(g)"), "a");
    assert_string_equal(cells(r, "share(f)"), "1");
    cs_dataset_free(r);
    /* No keys and no aggregates: nothing. */
    assert_int_equal(run_agg(ds, NOKEYS, NULL, &r), CS_OK);
    assert_int_equal(cs_dataset_ncols(r), 0);
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_int64_extremes(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = mk(eng, "g:i", "1|1|2|2|3|3",
            "x:i", "9223372036854775807|-9223372036854775808|"
                   "9223372036854775807|1|-9223372036854775808|-1",
            NULL);
    /* Sums that pass outside the range on the way are still exact. */
    assert_int_equal(run_agg(ds, KEYS("g"),
                             AGGS("min(x)", "max(x)", "mean(x)"), &r),
                     CS_OK);
    assert_string_equal(cells(r, "min(x)"),
                        "-9223372036854775808|1|-9223372036854775808");
    assert_string_equal(cells(r, "max(x)"),
                        "9223372036854775807|9223372036854775807|-1");
    assert_string_equal(cells(r, "mean(x)"),
                        "-0.5|4.611686018e+18|-4.611686018e+18");
    cs_dataset_free(r);
    r = (cs_dataset *)1;
    assert_int_equal(run_agg(ds, KEYS("g"), AGGS("count()", "sum(x)"), &r),
                     CS_EOVERFLOW);
    assert_null(r);
    assert_string_equal(cs_errmsg(eng),
                        "aggregate 'sum(x)': integer overflow in group 2 "
                        "(the sum is larger than the int64 range)");
    cs_dataset_free(ds);
    ds = mk(eng, "x:i", "-9223372036854775807|-5|4", NULL);
    assert_int_equal(run_agg(ds, NOKEYS, AGGS("sum(x) as s"), &r),
                     CS_OK);
    assert_string_equal(cells(r, "s"), "-9223372036854775808");
    cs_dataset_free(r);
    assert_int_equal(run_agg(ds, NOKEYS, AGGS("sum(x - 10) as s"), &r),
                     CS_EOVERFLOW);
    cs_dataset_free(ds);
    ds = mk(eng, "x:i", "-9223372036854775807|-5|-4", NULL);
    assert_int_equal(run_agg(ds, NOKEYS, AGGS("sum(x) as s"), &r),
                     CS_EOVERFLOW);
    assert_non_null(strstr(cs_errmsg(eng), "smaller than the int64 range"));
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Text with separators, newlines and quotes, and the same Vietnamese
** text composed and decomposed, which columns store as one NFC string. */
static void test_groupby_string_keys_text_edge_cases(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    cs_column *k, *x;
    static const char *const vals[] = {
        "H\xC3\xB2" "a B\xC3\xAC" "nh",               /* composed */
        "a,b;c|d",
        "Ho\xCC\x80" "a Bi\xCC\x80" "nh",             /* decomposed */
        "line\nbreak \"quoted\"",
        "",
        "a,b;c|d",
    };
    size_t i;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &k), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &x), CS_OK);
    for (i = 0; i < 6; i++) {
        assert_int_equal(cs_column_push_str(k, vals[i], strlen(vals[i])),
                         CS_OK);
        assert_int_equal(cs_column_push_i64(x, (int64_t)i + 1), CS_OK);
    }
    assert_int_equal(cs_column_push_null(k), CS_OK);
    assert_int_equal(cs_column_push_i64(x, 100), CS_OK);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "t\xC3\xAAn", k), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", x), CS_OK);
    assert_int_equal(run_agg(ds, KEYS("t\xC3\xAAn"),
                             AGGS("sum(x)", "count_distinct(`t\xC3\xAAn`)"),
                             &r),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 5);
    assert_string_equal(cells(r, "sum(x)"), "4|8|4|5|100");
    assert_string_equal(cells(r, "t\xC3\xAAn"),
                        "H\xC3\xB2" "a B\xC3\xAC" "nh|a,b;c|d|"
                        "line\nbreak \"quoted\"||NA");
    assert_string_equal(cells(r, "count_distinct(`t\xC3\xAAn`)"),
                        "1|1|1|1|0");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_column_release(k);
    cs_column_release(x);
    cs_engine_free(eng);
}

static void test_groupby_multiple_keys_and_null_keys(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = sample(eng);
    assert_int_equal(run_agg(ds, KEYS("district", "kind"),
                             AGGS("count() as n", "sum(members)"), &r),
                     CS_OK);
    assert_string_equal(cells(r, "district"),
                        MC "|" DB "|" LS "|" DB "|" MC "|" LS);
    assert_string_equal(cells(r, "kind"), "HTX|THT|HTX|HTX|THT|NA");
    assert_string_equal(cells(r, "n"), "2|1|1|1|1|1");
    assert_string_equal(cells(r, "sum(members)"), "10|20|40|50|60|NA");
    cs_dataset_free(r);
    /* Keys of every type, nulls included. */
    assert_int_equal(run_agg(ds, KEYS("active", "founded", "members", "rev"),
                             AGGS("count() as n"), &r),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 7);
    assert_string_equal(cells(r, "active"),
                        "true|false|true|NA|true|true|NA");
    assert_string_equal(cells(r, "members"), "10|20|NA|40|50|60|NA");
    assert_string_equal(cells(r, "n"), "1|1|1|1|1|1|1");
    cs_dataset_free(r);
    assert_int_equal(run_agg(ds, KEYS("active"), AGGS("count() as n"), &r),
                     CS_OK);
    assert_string_equal(cells(r, "active"), "true|false|NA");
    assert_string_equal(cells(r, "n"), "4|1|2");
    cs_dataset_free(r);
    assert_int_equal(run_agg(ds, KEYS("founded"), AGGS("count() as n"), &r),
                     CS_OK);
    assert_string_equal(cells(r, "founded"),
                        "2001-05-01|1999-12-31|2010-01-01|NA|2020-02-29|"
                        "2005-07-07");
    assert_string_equal(cells(r, "n"), "1|1|1|2|1|1");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    /* Float keys: 0 and -0 together, NaNs together, null apart. */
    ds = mk(eng, "f:f", "0|NaN|-0|NA|NaN|1.5|NA",
            "x:i", "1|2|3|4|5|6|7", NULL);
    assert_int_equal(run_agg(ds, KEYS("f"), AGGS("sum(x)"), &r), CS_OK);
    assert_string_equal(cells(r, "f"), "0|nan|NA|1.5");
    assert_string_equal(cells(r, "sum(x)"), "4|7|11|6");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    /* A hashed key with a direct one; dates too far apart for an array. */
    ds = mk(eng, "f:f", "0|NaN|-0|NA|NaN|1.5|NA",
            "s:s", "a|b|a|a|b|b|NA",
            "d:d", "0001-01-01|9999-12-31|0001-01-01|NA|9999-12-31|"
                   "2000-01-01|NA",
            "x:i", "1|2|3|4|5|6|7", NULL);
    assert_int_equal(run_agg(ds, KEYS("f", "s"), AGGS("sum(x)"), &r), CS_OK);
    assert_string_equal(cells(r, "f"), "0|nan|NA|1.5|NA");
    assert_string_equal(cells(r, "s"), "a|b|a|b|NA");
    assert_string_equal(cells(r, "sum(x)"), "4|7|4|6|7");
    cs_dataset_free(r);
    assert_int_equal(run_agg(ds, KEYS("d"),
                             AGGS("sum(x)", "count_distinct(d) as cd"), &r),
                     CS_OK);
    assert_string_equal(cells(r, "d"),
                        "0001-01-01|9999-12-31|NA|2000-01-01");
    assert_string_equal(cells(r, "sum(x)"), "4|7|11|6");
    assert_string_equal(cells(r, "cd"), "1|1|0|1");
    cs_dataset_free(r);
    assert_int_equal(run_agg(ds, KEYS("s", "d"), AGGS("sum(x)"), &r), CS_OK);
    assert_string_equal(cells(r, "s"), "a|b|a|b|NA");
    assert_string_equal(cells(r, "d"),
                        "0001-01-01|9999-12-31|NA|2000-01-01|NA");
    assert_string_equal(cells(r, "sum(x)"), "4|7|4|6|7");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    /* Wide int keys (no direct array) and all-null keys. */
    ds = mk(eng, "k:i", "-9223372036854775808|5|NA|9223372036854775807|5",
            "z:i", "NA|NA|NA|NA|NA", "x:i", "1|2|3|4|5", NULL);
    assert_int_equal(run_agg(ds, KEYS("k", "z"), AGGS("sum(x)"), &r), CS_OK);
    assert_string_equal(cells(r, "k"),
                        "-9223372036854775808|5|NA|9223372036854775807");
    assert_string_equal(cells(r, "z"), "NA|NA|NA|NA");
    assert_string_equal(cells(r, "sum(x)"), "1|7|3|4");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}


/* 100,000 distinct keys in 1,000,000 rows, as wide int64 (hashed), as
** a narrow range (direct array), and as a pair of keys whose product of
** ranges is too large for a direct array: against a naive count. */
static void test_groupby_large_cardinality_against_naive(void **state)
{
    enum { N = 1000000, K = 100000 };
    cs_engine *eng;
    cs_dataset *ds, *r;
    cs_column *wide, *narrow, *hi, *lo, *x;
    uint32_t *firstrow = malloc(K * sizeof *firstrow);
    int64_t *sum = calloc(K, sizeof *sum), *cnt = calloc(K, sizeof *cnt);
    uint32_t *order = malloc(K * sizeof *order);
    uint64_t seed = 42;
    size_t i, ng = 0, pass;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &wide), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &narrow), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &hi), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &lo), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &x), CS_OK);
    for (i = 0; i < K; i++) firstrow[i] = UINT32_MAX;
    for (i = 0; i < N; i++) {
        uint32_t k = (uint32_t)(mix(&seed) % K);
        int64_t v = (int64_t)(mix(&seed) % 1000);
        if (firstrow[k] == UINT32_MAX) {
            firstrow[k] = (uint32_t)i;
            order[ng++] = k;
        }
        sum[k] += v;
        cnt[k]++;
        assert_int_equal(
            cs_column_push_i64(wide,
                               (int64_t)((uint64_t)k * 0x9E3779B97F4A7C15ull)),
            CS_OK);
        assert_int_equal(cs_column_push_i64(narrow, 5000 + (int64_t)k), CS_OK);
        /* hi * 1000 + lo spreads 100,000 keys over ranges 0..99 by
        ** 0..2,999,000, a product far above the direct limit. */
        assert_int_equal(cs_column_push_i64(hi, k / 1000), CS_OK);
        assert_int_equal(cs_column_push_i64(lo, (k % 1000) * 3000), CS_OK);
        assert_int_equal(cs_column_push_i64(x, v), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "wide", wide), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "narrow", narrow), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "hi", hi), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "lo", lo), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", x), CS_OK);
    for (pass = 0; pass < 3; pass++) {
        const char *const *keys = pass == 0   ? KEYS("wide")
                                  : pass == 1 ? KEYS("narrow")
                                              : KEYS("lo", "hi");
        const int64_t *s, *c, *kv;
        assert_int_equal(run_agg(ds, keys, AGGS("sum(x)", "count()"), &r),
                         CS_OK);
        assert_int_equal(cs_dataset_nrows(r), ng);
        s = cs_column_i64s(cs_dataset_get(r, "sum(x)"));
        c = cs_column_i64s(cs_dataset_get(r, "count()"));
        kv = cs_column_i64s(cs_dataset_get(r, keys[0]));
        for (i = 0; i < ng; i++) {
            uint32_t k = order[i];
            int64_t want = pass == 0   ? (int64_t)((uint64_t)k *
                                                 0x9E3779B97F4A7C15ull)
                           : pass == 1 ? 5000 + (int64_t)k
                                       : (int64_t)(k % 1000) * 3000;
            if (kv[i] != want || s[i] != sum[k] || c[i] != cnt[k])
                fail_msg("pass %zu group %zu: key %lld sum %lld count %lld",
                         pass, i, (long long)kv[i], (long long)s[i],
                         (long long)c[i]);
        }
        cs_dataset_free(r);
    }
    /* Distinct keys per block of 1,000: through the (group, value) hash
    ** for wide values and a bitmap for narrow ones. */
    assert_int_equal(run_agg(ds, KEYS("hi"),
                             AGGS("count_distinct(wide) as w",
                                  "count_distinct(narrow) as n"),
                             &r),
                     CS_OK);
    {
        const int64_t *hv = cs_column_i64s(cs_dataset_get(r, "hi"));
        const int64_t *w = cs_column_i64s(cs_dataset_get(r, "w"));
        const int64_t *nn = cs_column_i64s(cs_dataset_get(r, "n"));
        int64_t cd[K / 1000] = {0};
        for (i = 0; i < K; i++)
            if (firstrow[i] != UINT32_MAX) cd[i / 1000]++;
        assert_int_equal(cs_dataset_nrows(r), K / 1000);
        for (i = 0; i < K / 1000; i++) {
            assert_int_equal(w[i], cd[hv[i]]);
            assert_int_equal(nn[i], cd[hv[i]]);
        }
    }
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_column_release(wide);
    cs_column_release(narrow);
    cs_column_release(hi);
    cs_column_release(lo);
    cs_column_release(x);
    free(firstrow);
    free(sum);
    free(cnt);
    free(order);
    cs_engine_free(eng);
}

/* count, sum, mean, min and max run a chunk of group ids at a time, fed
** by the grouping itself when the groups are few: they must agree with a
** naive computation over several chunks, through a view, whether fed or
** not, with nulls, NaN, and int64 sums that leave the range on the way
** and come back. */
static void test_groupby_streamed_aggregates_across_chunks(void **state)
{
    enum { N = 300000, FEW = 10, MANY = 70000 };
    static const char *const aggs[] = {
        "count()", "count(x)", "sum(x)", "mean(x)", "min(x)", "max(x)",
        "sum(y)", "min(y)", "max(y)", "mean(y)", "min(d)", "max(b)"};
    cs_engine *eng;
    cs_dataset *ds, *v, *r;
    cs_column *few, *many, *x, *y, *d, *b;
    typedef struct naive {
        __extension__ __int128 sx;
        int64_t rows, cx, mnx, mxx, cy;
        int32_t mnd;
        int anyb, num;
        double sy, mny, mxy;
    } naive;
    naive *nv = malloc(MANY * sizeof *nv);
    uint32_t *pos = malloc(N * sizeof *pos);
    size_t i, np = 0, pass;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &few), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &many), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &x), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_F64, &y), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &d), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_BOOL, &b), CS_OK);
    for (i = 0; i < N; i++) {
        /* Three values of 3.1e18 pass INT64_MAX; the second half takes
        ** them back out. */
        int64_t big = (int64_t)3100000000000000000 + (int64_t)i;
        assert_int_equal(cs_column_push_i64(few, (int64_t)(i % FEW)), CS_OK);
        assert_int_equal(cs_column_push_i64(many, (int64_t)(i % MANY)),
                         CS_OK);
        if (i % 7 == 3)
            assert_int_equal(cs_column_push_null(x), CS_OK);
        else
            assert_int_equal(cs_column_push_i64(x, i < N / 2 ? big : -big),
                             CS_OK);
        if (i % 11 == 5)
            assert_int_equal(cs_column_push_null(y), CS_OK);
        else
            assert_int_equal(
                cs_column_push_f64(y, i % 13 == 0 ? NAN
                                                  : (double)(i % 1000) - 500.5),
                CS_OK);
        assert_int_equal(cs_column_push_date(d, (int32_t)(i % 4000) - 2000),
                         CS_OK);
        assert_int_equal(cs_column_push_bool(b, i % 5 == 0), CS_OK);
        if (i % 3 != 1) pos[np++] = (uint32_t)(N - 1 - i);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "few", few), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "many", many), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", x), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "y", y), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "d", d), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "b", b), CS_OK);
    assert_int_equal(cs__dataset_view(ds, pos, np, &v), CS_OK);
    /* Few groups stream along the grouping; many do not; a median beside
    ** them needs the array of ids, and they then run over it. */
    for (pass = 0; pass < 6; pass++) {
        const cs_dataset *in = pass % 2 ? v : ds;
        const char *key = pass < 4 ? "few" : "many";
        const char *list[16];
        size_t na = sizeof aggs / sizeof *aggs, k, g, n = cs_dataset_nrows(in);
        const int64_t *kv;
        memcpy(list, aggs, sizeof aggs);
        if (pass == 2 || pass == 3) list[na++] = "median(x)";
        assert_int_equal(cs_dataset_agg(in, &key, 1, list, na, &r), CS_OK);
        kv = cs_column_i64s(cs_dataset_get(r, key));
        memset(nv, 0, MANY * sizeof *nv);
        for (k = 0; k < MANY; k++) {
            nv[k].mnx = INT64_MAX;
            nv[k].mxx = INT64_MIN;
            nv[k].mnd = INT32_MAX;
            nv[k].mny = INFINITY;
            nv[k].mxy = -INFINITY;
        }
        for (k = 0; k < n; k++) {
            size_t row = pass % 2 ? pos[k] : k;
            naive *e = &nv[row % (pass < 4 ? FEW : MANY)];
            const int64_t xr = cs_column_i64s(x)[row];
            const double yr = cs_column_f64s(y)[row];
            const int32_t dr = cs_column_dates(d)[row];
            e->rows++;
            if (!cs_column_is_null(x, row)) {
                e->cx++;
                e->sx += xr;
                e->mnx = xr < e->mnx ? xr : e->mnx;
                e->mxx = xr > e->mxx ? xr : e->mxx;
            }
            if (!cs_column_is_null(y, row)) {
                e->cy++;
                e->sy += yr;
                if (yr == yr) {
                    e->num = 1;
                    e->mny = yr < e->mny ? yr : e->mny;
                    e->mxy = yr > e->mxy ? yr : e->mxy;
                }
            }
            e->mnd = dr < e->mnd ? dr : e->mnd;
            e->anyb |= cs_column_bools(b)[row];
        }
        for (g = 0; g < cs_dataset_nrows(r); g++) {
            const naive *e = &nv[kv[g]];
            char want[12][64];
            snprintf(want[0], 64, "%lld", (long long)e->rows);
            snprintf(want[1], 64, "%lld", (long long)e->cx);
            snprintf(want[2], 64, "%lld", (long long)(int64_t)e->sx);
            snprintf(want[3], 64, "%.17g", (double)(int64_t)e->sx / (double)e->cx);
            snprintf(want[4], 64, "%lld", (long long)e->mnx);
            snprintf(want[5], 64, "%lld", (long long)e->mxx);
            snprintf(want[6], 64, "%.17g", e->sy);
            snprintf(want[7], 64, "%.17g", e->num ? e->mny : NAN);
            snprintf(want[8], 64, "%.17g", e->num ? e->mxy : NAN);
            snprintf(want[9], 64, "%.17g", e->sy / (double)e->cy);
            snprintf(want[10], 64, "%d", (int)e->mnd);
            snprintf(want[11], 64, "%d", e->anyb);
            /* Without a value, all but the counts are null. */
            for (k = 2; k < 6; k++)
                if (e->cx == 0) snprintf(want[k], 64, "NA");
            for (k = 6; k < 10; k++)
                if (e->cy == 0) snprintf(want[k], 64, "NA");
            for (k = 0; k < 12; k++) {
                const cs_column *c = cs_dataset_get(r, aggs[k]);
                char got[64];
                if (cs_column_is_null(c, g)) {
                    snprintf(got, 64, "NA");
                } else switch (cs_column_type(c)) {
                case CS_TYPE_I64:
                    snprintf(got, 64, "%lld", (long long)cs_column_i64s(c)[g]);
                    break;
                case CS_TYPE_F64:
                    snprintf(got, 64, "%.17g", cs_column_f64s(c)[g]);
                    break;
                case CS_TYPE_DATE:
                    snprintf(got, 64, "%d", (int)cs_column_dates(c)[g]);
                    break;
                default:
                    snprintf(got, 64, "%d", cs_column_bools(c)[g]);
                    break;
                }
                if (strcmp(got, want[k]) != 0)
                    fail_msg("pass %zu group %zu %s: %s, not %s", pass, g,
                             aggs[k], got, want[k]);
            }
        }
        cs_dataset_free(r);
    }
    cs_dataset_free(v);
    cs_dataset_free(ds);
    cs_column_release(few);
    cs_column_release(many);
    cs_column_release(x);
    cs_column_release(y);
    cs_column_release(d);
    cs_column_release(b);
    free(nv);
    free(pos);
    cs_engine_free(eng);
}

/* A view (a filter's result) is read through its selection. */
static void test_groupby_keys_and_values_over_a_view(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *v, *r;
    const uint32_t pos[] = {6, 5, 3, 1, 0, 5};
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = sample(eng);
    assert_int_equal(cs__dataset_view(ds, pos, 6, &v), CS_OK);
    cs_dataset_free(ds);
    assert_int_equal(
        run_agg(v, KEYS("district", "kind"),
                AGGS("count() as n", "sum(members)", "median(rev)",
                     "first(founded)", "last(kind)", "count_distinct(members)",
                     "sum(members * 2) as twice"),
                &r),
        CS_OK);
    assert_string_equal(cells(r, "district"), LS "|" MC "|" LS "|" DB "|" MC);
    assert_string_equal(cells(r, "kind"), "NA|THT|HTX|THT|HTX");
    assert_string_equal(cells(r, "n"), "1|2|1|1|1");
    assert_string_equal(cells(r, "sum(members)"), "NA|120|40|20|10");
    assert_string_equal(cells(r, "median(rev)"), "NA|6.5|NA|2.5|1.5");
    assert_string_equal(cells(r, "first(founded)"),
                        "NA|2005-07-07|NA|1999-12-31|2001-05-01");
    assert_string_equal(cells(r, "last(kind)"), "NA|THT|HTX|THT|HTX");
    assert_string_equal(cells(r, "count_distinct(members)"), "0|1|1|1|1");
    assert_string_equal(cells(r, "twice"), "NA|240|80|40|20");
    cs_dataset_free(r);
    assert_int_equal(cs_dataset_distinct(v, KEYS("district"), 1, &r), CS_OK);
    assert_string_equal(cells(r, "district"), LS "|" MC "|" DB);
    cs_dataset_free(r);
    cs_dataset_free(v);
    cs_engine_free(eng);
}

static void test_groupby_expression_arguments(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = sample(eng);
    assert_int_equal(
        run_agg(ds, KEYS("district"),
                AGGS("sum(members + 1)", "mean(if(kind == 'HTX', rev, nil))",
                     "count(kind == 'HTX') as c",
                     "sum(kind == 'HTX') as htx",
                     "max(lower(kind)) as lk", "wmean(rev, members / 10)",
                     "quantile(members * 1.0, 0.5) as q",
                     "count_distinct(year(founded) >= 2005) as cd",
                     "sum((members)) as paren", "min(`members`) as bq"),
                &r),
        CS_OK);
    assert_string_equal(cells(r, "sum(members + 1)"), "72|72|41");
    assert_string_equal(cells(r, "mean(if(kind == 'HTX', rev, nil))"),
                        "2.5|5.5|NA");
    assert_string_equal(cells(r, "c"), "3|2|1");
    assert_string_equal(cells(r, "htx"), "2|1|1");
    assert_string_equal(cells(r, "lk"), "tht|tht|htx");
    assert_string_equal(cells(r, "wmean(rev, members / 10)"),
                        "5.785714286|4.642857143|NA");
    assert_string_equal(cells(r, "q"), "35|35|40");
    assert_string_equal(cells(r, "cd"), "2|2|0");
    assert_string_equal(cells(r, "paren"), "70|70|40");
    assert_string_equal(cells(r, "bq"), "10|20|40");
    cs_dataset_free(r);
    /* Errors inside an expression name the aggregate. */
    assert_int_equal(run_agg(ds, KEYS("district"),
                             AGGS("sum(members + nope)"), &r),
                     CS_ENOTFOUND);
    assert_null(r);
    assert_non_null(strstr(cs_errmsg(eng), "aggregate 'sum(members + nope)':"));
    assert_non_null(strstr(cs_errmsg(eng), "nope"));
    assert_int_equal(run_agg(ds, NOKEYS, AGGS("sum(members + )"), &r),
                     CS_EPARSE);
    assert_non_null(strstr(cs_errmsg(eng), "aggregate 'sum(members + )':"));
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_names_with_and_without_as(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = sample(eng);
    assert_int_equal(
        run_agg(ds, KEYS("kind"),
                AGGS("  sum( members )  ", "count() AS n",
                     "mean(rev) as `doanh thu, tb`", "max(rev)as m2",
                     "min(rev)    as    s\xE1\xBB\x91"),
                &r),
        CS_OK);
    assert_string_equal(cs_dataset_colname(r, 0), "kind");
    assert_string_equal(cs_dataset_colname(r, 1), "sum( members )");
    assert_string_equal(cs_dataset_colname(r, 2), "n");
    assert_string_equal(cs_dataset_colname(r, 3), "doanh thu, tb");
    assert_string_equal(cs_dataset_colname(r, 4), "m2");
    assert_string_equal(cs_dataset_colname(r, 5), "s\xE1\xBB\x91");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Each bad call fails with its status and message, and *OUT NULL. */
static void expect_error(const cs_dataset *ds, const char *const *keys,
                         const char *agg, int rc, const char *msg)
{
    cs_dataset *r = (cs_dataset *)1;
    const char *const aggs[] = {agg, NULL};
    int got = run_agg(ds, keys, aggs, &r);
    if (got != rc || strcmp(cs_errmsg(cs_dataset_engine(ds)), msg) != 0)
        fail_msg("%s: got %d '%s', want %d '%s'", agg, got,
                 cs_errmsg(cs_dataset_engine(ds)), rc, msg);
    assert_null(r);
}

static void test_groupby_errors_name_the_aggregate(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = sample(eng);
    expect_error(ds, NOKEYS, "summ(members)", CS_ENOTFOUND,
                 "aggregate 'summ(members)': unknown function 'summ' "
                 "(known: count, count_distinct, sum, mean, wmean, min, max, "
                 "median, quantile, stddev, var, first, last, share)");
    expect_error(ds, NOKEYS, "sum(kind)", CS_ETYPE,
                 "aggregate 'sum(kind)': cannot sum a string column");
    expect_error(ds, NOKEYS, "mean(founded)", CS_ETYPE,
                 "aggregate 'mean(founded)': cannot take the mean of a date "
                 "column");
    expect_error(ds, NOKEYS, "median(district)", CS_ETYPE,
                 "aggregate 'median(district)': cannot take the median of a "
                 "string column");
    expect_error(ds, NOKEYS, "wmean(rev, kind)", CS_ETYPE,
                 "aggregate 'wmean(rev, kind)': the weight cannot be a string "
                 "column");
    expect_error(ds, NOKEYS, "sum(members, rev)", CS_EPARSE,
                 "aggregate 'sum(members, rev)': sum takes 1 argument, got 2");
    expect_error(ds, NOKEYS, "sum()", CS_EPARSE,
                 "aggregate 'sum()': sum takes 1 argument, got 0");
    expect_error(ds, NOKEYS, "count(a, b)", CS_EPARSE,
                 "aggregate 'count(a, b)': count takes 0 or 1 argument");
    expect_error(ds, NOKEYS, "quantile(rev)", CS_EPARSE,
                 "aggregate 'quantile(rev)': quantile takes 2 arguments "
                 "(x, q), got 1");
    expect_error(ds, NOKEYS, "quantile(rev, 1.5)", CS_EINVAL,
                 "aggregate 'quantile(rev, 1.5)': quantile's q must be "
                 "between 0 and 1, got 1.5");
    expect_error(ds, NOKEYS, "quantile(rev, -0.1)", CS_EINVAL,
                 "aggregate 'quantile(rev, -0.1)': quantile's q must be "
                 "between 0 and 1, got -0.1");
    expect_error(ds, NOKEYS, "quantile(rev, half)", CS_EPARSE,
                 "aggregate 'quantile(rev, half)': quantile's q must be a "
                 "number");
    expect_error(ds, NOKEYS, "sum(if(kind == 'x', members, 0)", CS_EPARSE,
                 "aggregate 'sum(if(kind == 'x', members, 0)': missing ')'");
    expect_error(ds, NOKEYS, "sum(members))", CS_EPARSE,
                 "aggregate 'sum(members))': unexpected ')' after ')'");
    expect_error(ds, NOKEYS, "sum(kind == 'a)", CS_EPARSE,
                 "aggregate 'sum(kind == 'a)': unterminated quote");
    expect_error(ds, NOKEYS, "members", CS_EPARSE,
                 "aggregate 'members': expected a function call such as "
                 "sum(x)");
    expect_error(ds, NOKEYS, "sum(members) total", CS_EPARSE,
                 "aggregate 'sum(members) total': unexpected 'total' after "
                 "')'");
    expect_error(ds, NOKEYS, "sum(members) as ", CS_EPARSE,
                 "aggregate 'sum(members) as': expected a name after 'as'");
    expect_error(ds, NOKEYS, "sum(members) ast", CS_EPARSE,
                 "aggregate 'sum(members) ast': unexpected 'ast' after ')'");
    expect_error(ds, NOKEYS, "sum(members) as ``", CS_EPARSE,
                 "aggregate 'sum(members) as ``': expected a name after 'as'");
    expect_error(ds, KEYS("district"), "count() as district", CS_EEXIST,
                 "aggregate 'count() as district': the name 'district' is "
                 "taken");
    expect_error(ds, KEYS("nope"), "count()", CS_ENOTFOUND,
                 "no column 'nope' (columns: district, kind, members, rev, "
                 "active, founded)");
    expect_error(ds, KEYS("kind", "kind"), "count()", CS_EEXIST,
                 "group key 'kind' is given twice");
    r = (cs_dataset *)1;
    assert_int_equal(run_agg(ds, NOKEYS, AGGS("count()", "count()"), &r),
                     CS_EEXIST);
    assert_null(r);
    /* Interrupted. */
    cs_engine_interrupt(eng);
    assert_int_equal(run_agg(ds, KEYS("district"), AGGS("sum(members)"), &r),
                     CS_EINTERRUPT);
    assert_null(r);
    cs_engine_clear_interrupt(eng);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_distinct(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = mk(eng, "a:s", "x|y|x|NA|y|x", "b:i", "1|2|1|3|2|4", NULL);
    assert_int_equal(cs_dataset_distinct(ds, KEYS("a"), 1, &r), CS_OK);
    assert_string_equal(cells(r, "a"), "x|y|NA");
    assert_int_equal(cs_dataset_ncols(r), 1);
    cs_dataset_free(r);
    assert_int_equal(cs_dataset_distinct(ds, NULL, 0, &r), CS_OK);
    assert_string_equal(cells(r, "a"), "x|y|NA|x");
    assert_string_equal(cells(r, "b"), "1|2|3|4");
    cs_dataset_free(r);
    assert_int_equal(cs_dataset_distinct(ds, KEYS("b", "a"), 2, &r), CS_OK);
    assert_string_equal(cs_dataset_colname(r, 0), "b");
    assert_string_equal(cells(r, "b"), "1|2|3|4");
    cs_dataset_free(r);
    r = (cs_dataset *)1;
    assert_int_equal(cs_dataset_distinct(ds, KEYS("c"), 1, &r), CS_ENOTFOUND);
    assert_null(r);
    cs_dataset_free(ds);
    ds = mk(eng, "a:s", "", NULL);
    assert_int_equal(cs_dataset_distinct(ds, NULL, 0, &r), CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 0);
    assert_int_equal(cs_dataset_ncols(r), 1);
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

static void test_groupby_pivot(void **state)
{
    cs_engine *eng;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    ds = sample(eng);
    assert_int_equal(cs_dataset_pivot(ds, KEYS("district"), 1, "kind",
                                      "count()", &r),
                     CS_OK);
    assert_int_equal(cs_dataset_ncols(r), 4);
    assert_string_equal(cs_dataset_colname(r, 1), "HTX");
    assert_string_equal(cs_dataset_colname(r, 2), "THT");
    assert_string_equal(cs_dataset_colname(r, 3), "NA");
    assert_string_equal(cells(r, "district"), MC "|" DB "|" LS);
    assert_string_equal(cells(r, "HTX"), "2|1|1");
    assert_string_equal(cells(r, "THT"), "1|1|0");
    assert_string_equal(cells(r, "NA"), "0|0|1");
    cs_dataset_free(r);
    assert_int_equal(cs_dataset_pivot(ds, KEYS("district"), 1, "kind",
                                      "sum(members) as m", &r),
                     CS_OK);
    assert_string_equal(cells(r, "HTX"), "10|50|40");
    assert_string_equal(cells(r, "THT"), "60|20|NA");
    assert_string_equal(cells(r, "NA"), "NA|NA|NA");
    cs_dataset_free(r);
    assert_int_equal(cs_dataset_pivot(ds, KEYS("kind"), 1, "active",
                                      "first(district)", &r),
                     CS_OK);
    assert_string_equal(cs_dataset_colname(r, 1), "true");
    assert_string_equal(cells(r, "kind"), "HTX|THT|NA");
    assert_string_equal(cells(r, "true"), MC "|" MC "|NA");
    assert_string_equal(cells(r, "false"), "NA|" DB "|NA");
    assert_string_equal(cells(r, "NA"), LS "|NA|" LS);
    cs_dataset_free(r);
    /* Several row keys; numbers and dates as column names; no row key. */
    assert_int_equal(cs_dataset_pivot(ds, KEYS("district", "kind"), 2,
                                      "members", "count(rev)", &r),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 6);
    assert_string_equal(cs_dataset_colname(r, 2), "10");
    assert_string_equal(cells(r, "60"), "0|0|0|0|1|0");
    cs_dataset_free(r);
    assert_int_equal(cs_dataset_pivot(ds, NULL, 0, "founded",
                                      "max(rev)", &r),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 1);
    assert_string_equal(cs_dataset_colname(r, 0), "2001-05-01");
    assert_string_equal(cells(r, "2020-02-29"), "5.5");
    cs_dataset_free(r);
    /* Errors. */
    r = (cs_dataset *)1;
    assert_int_equal(cs_dataset_pivot(ds, KEYS("kind"), 1, "kind",
                                      "count()", &r),
                     CS_EINVAL);
    assert_null(r);
    assert_int_equal(cs_dataset_pivot(ds, KEYS("kind"), 1, "nope",
                                      "count()", &r),
                     CS_ENOTFOUND);
    assert_int_equal(cs_dataset_pivot(ds, KEYS("kind"), 1, "district",
                                      "sum(district)", &r),
                     CS_ETYPE);
    assert_non_null(strstr(cs_errmsg(eng), "aggregate 'sum(district)'"));
    cs_dataset_free(ds);
    ds = mk(eng, "g:s", "a|b", "c:s", "x|g", NULL);
    assert_int_equal(cs_dataset_pivot(ds, KEYS("g"), 1, "c", "count()", &r),
                     CS_EEXIST);
    assert_null(r);
    assert_string_equal(cs_errmsg(eng), "pivot: the value 'g' of 'c' is also "
                                        "the name of a row key");
    cs_dataset_free(ds);
    /* Empty input: the row keys and no value columns. */
    ds = mk(eng, "g:s", "", "c:s", "", NULL);
    assert_int_equal(cs_dataset_pivot(ds, KEYS("g"), 1, "c", "count()", &r),
                     CS_OK);
    assert_int_equal(cs_dataset_ncols(r), 1);
    assert_int_equal(cs_dataset_nrows(r), 0);
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_engine_free(eng);
}

/* Every allocation of agg, distinct and pivot fails in turn; each
** failure is CS_ENOMEM and leaks nothing. */
static void test_groupby_oom_sweep(void **state)
{
    long n;
    int done[4] = {0, 0, 0, 0};
    (void)state;
    for (n = 1; n < 5000 && !(done[0] && done[1] && done[2] && done[3]);
         n++) {
        tally t = {0, 0, 0, 0};
        cs_engine *eng;
        cs_dataset *ds = NULL, *v = NULL, *r = NULL;
        const uint32_t pos[] = {6, 5, 3, 1, 0, 5, 2};
        int rc, step;
        if (cs_engine_new(tally_alloc, &t, &eng)) continue;
        ds = sample(eng);
        assert_int_equal(cs__dataset_view(ds, pos, 7, &v), CS_OK);
        t.fail_at = t.nalloc + n;
        for (step = 0; step < 4; step++) {
            if (done[step]) continue;
            if (step == 0)
                rc = run_agg(v, KEYS("district", "kind"),
                             AGGS("count()", "count(members)",
                                  "count_distinct(kind)", "sum(members)",
                                  "mean(rev)", "wmean(rev, members)",
                                  "min(kind)", "max(rev)", "median(members)",
                                  "quantile(rev, 0.3)", "stddev(rev)",
                                  "var(members)", "first(founded)",
                                  "last(kind)", "share(members)",
                                  "sum(members + 1) as e",
                                  "count_distinct(rev)"),
                             &r);
            else if (step == 1)
                rc = cs_dataset_distinct(v, NULL, 0, &r);
            else if (step == 2)
                rc = cs_dataset_pivot(v, KEYS("district"), 1, "kind",
                                      "mean(rev)", &r);
            else   /* hashed keys, then combined with a direct one */
                rc = run_agg(v, KEYS("rev", "kind"), AGGS("count()"), &r);
            if (rc == CS_OK) {
                done[step] = 1;
                assert_non_null(r);
                cs_dataset_free(r);
                r = NULL;
            } else {
                if (rc != CS_ENOMEM)
                    fail_msg("step %d alloc %ld: %d %s", step, n, rc,
                             cs_errmsg(eng));
                assert_null(r);
            }
            break;
        }
        cs_dataset_free(v);
        cs_dataset_free(ds);
        cs_engine_free(eng);
        assert_int_equal(t.live, 0);
        assert_true(t.bytes == 0);
        if (step < 4 && done[step]) n = 0;   /* next step from its start */
    }
    assert_true(done[0] && done[1] && done[2] && done[3]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groupby_counts_sums_means_by_string_key),
        cmocka_unit_test(test_groupby_min_max_first_last_keep_types),
        cmocka_unit_test(test_groupby_distinct_counts_skip_nulls),
        cmocka_unit_test(test_groupby_quantiles_interpolate_type7),
        cmocka_unit_test(test_groupby_median_of_large_groups),
        cmocka_unit_test(test_groupby_quantiles_of_huge_groups_against_sort),
        cmocka_unit_test(test_groupby_var_stddev_share_wmean),
        cmocka_unit_test(test_groupby_all_null_group_gives_nulls),
        cmocka_unit_test(test_groupby_empty_input_and_one_row),
        cmocka_unit_test(test_groupby_int64_extremes),
        cmocka_unit_test(test_groupby_string_keys_text_edge_cases),
        cmocka_unit_test(test_groupby_multiple_keys_and_null_keys),
        cmocka_unit_test(test_groupby_large_cardinality_against_naive),
        cmocka_unit_test(test_groupby_streamed_aggregates_across_chunks),
        cmocka_unit_test(test_groupby_keys_and_values_over_a_view),
        cmocka_unit_test(test_groupby_expression_arguments),
        cmocka_unit_test(test_groupby_names_with_and_without_as),
        cmocka_unit_test(test_groupby_errors_name_the_aggregate),
        cmocka_unit_test(test_groupby_distinct),
        cmocka_unit_test(test_groupby_pivot),
        cmocka_unit_test(test_groupby_oom_sweep),
    };
    return cmocka_run_group_tests_name("groupby", tests, NULL, NULL);
}
