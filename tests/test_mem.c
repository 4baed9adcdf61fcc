/*
** test_mem.c: the default allocator's reuse of large blocks, and the
** bounds that int64 and date columns remember.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csint.h"   /* the cache and the bounds are internal */

#define MIB ((size_t)1 << 20)

/* A freed large block serves the next request of about its size, and
** only that: a much smaller request gets a block of its own, small
** blocks are never kept, and trimming gives everything back (the
** sanitizer build and valgrind check that nothing leaks). */
static void test_mem_large_blocks_are_reused(void **state)
{
    cs_engine *eng;
    char *p, *q, *r, *small;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    p = cs__alloc(eng, 8 * MIB);
    assert_non_null(p);
    memset(p, 1, 8 * MIB);
    cs__free(eng, p, 8 * MIB);
    assert_int_equal(eng->cache.n, 1);
    assert_int_equal(eng->cache.bytes, 8 * MIB);
    /* Rounded up to the same huge pages: the very block. */
    q = cs__alloc(eng, 8 * MIB - 100);
    assert_ptr_equal(q, p);
    assert_int_equal(eng->cache.n, 0);
    memset(q, 2, 8 * MIB - 100);
    cs__free(eng, q, 8 * MIB - 100);
    /* Half the size would waste too much: a fresh block. */
    r = cs__alloc(eng, 4 * MIB);
    assert_non_null(r);
    assert_ptr_not_equal(r, q);
    assert_int_equal(eng->cache.n, 1);
    memset(r, 3, 4 * MIB);
    /* Grown by realloc to a cached size class: still its own block. */
    r = cs__realloc(eng, r, 4 * MIB, 6 * MIB);
    assert_non_null(r);
    assert_int_equal(r[4 * MIB - 1], 3);
    cs__free(eng, r, 6 * MIB);
    assert_int_equal(eng->cache.n, 2);
    small = cs__alloc(eng, 1000);
    cs__free(eng, small, 1000);
    assert_int_equal(eng->cache.n, 2);
    cs_engine_trim(eng);
    assert_int_equal(eng->cache.n, 0);
    assert_int_equal(eng->cache.bytes, 0);
    cs_engine_free(eng);
}

/* The cache holds at most 128 MiB: the oldest blocks go first, and a
** block larger than that is never kept. */
static void test_mem_cache_is_bounded(void **state)
{
    cs_engine *eng;
    char *b[5];
    size_t k;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    for (k = 0; k < 5; k++) assert_non_null(b[k] = cs__alloc(eng, 40 * MIB));
    for (k = 0; k < 5; k++) cs__free(eng, b[k], 40 * MIB);
    assert_int_equal(eng->cache.n, 3);
    assert_int_equal(eng->cache.bytes, 120 * MIB);
    assert_ptr_equal(eng->cache.p[0], b[2]);
    assert_non_null(b[0] = cs__alloc(eng, 130 * MIB));
    cs__free(eng, b[0], 130 * MIB);
    assert_int_equal(eng->cache.bytes, 120 * MIB);
    cs_engine_free(eng);
}

/* An engine with its own allocator keeps nothing. */
static size_t live;

static void *counting(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    live -= ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    ptr = realloc(ptr, nsize);
    live += ptr ? nsize : 0;
    return ptr;
}

static void test_mem_custom_allocator_sees_every_free(void **state)
{
    cs_engine *eng;
    void *p;
    (void)state;
    assert_int_equal(cs_engine_new(counting, NULL, &eng), CS_OK);
    p = cs__alloc(eng, 8 * MIB);
    assert_int_equal(live, sizeof *eng + 8 * MIB);
    cs__free(eng, p, 8 * MIB);
    assert_int_equal(live, sizeof *eng);
    cs_engine_trim(eng);
    cs_engine_free(eng);
    assert_int_equal(live, 0);
}

static cs_column *ints(cs_engine *eng, const char *cells)
{
    cs_column *c;
    const char *p = cells;
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &c), CS_OK);
    while (*p) {
        char *end;
        if (strncmp(p, "NA", 2) == 0) {
            assert_int_equal(cs_column_push_null(c), CS_OK);
            end = (char *)p + 2;
        } else {
            assert_int_equal(cs_column_push_i64(c, strtoll(p, &end, 10)),
                             CS_OK);
        }
        p = *end == '|' ? end + 1 : end;
    }
    return c;
}

/* Bounds skip nulls (whose slots hold 0), follow a selection, are
** remembered only once the column is frozen, and are forgotten by a
** write. */
static void test_mem_column_bounds(void **state)
{
    cs_engine *eng;
    cs_column *c, *d;
    cs_dataset *ds;
    const uint32_t sel[] = {0, 3};
    int64_t lo, hi;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    c = ints(eng, "5|NA|-3|12|NA");
    cs__column_range(c, NULL, 0, &lo, &hi);
    assert_int_equal(lo, -3);
    assert_int_equal(hi, 12);
    assert_false(c->ranged);
    cs__column_range(c, sel, 2, &lo, &hi);
    assert_int_equal(lo, 5);
    assert_int_equal(hi, 12);
    /* A producer's bounds are forgotten when the column grows. */
    c->ranged = 1;
    c->lo = -3;
    c->hi = 12;
    assert_int_equal(cs_column_push_i64(c, 99), CS_OK);
    assert_false(c->ranged);
    cs__column_range(c, NULL, 0, &lo, &hi);
    assert_int_equal(hi, 99);
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "c", c), CS_OK);
    cs__column_range(c, NULL, 0, &lo, &hi);
    assert_true(c->ranged);
    assert_int_equal(c->lo, -3);
    assert_int_equal(c->hi, 99);
    cs_dataset_free(ds);
    cs_column_release(c);
    /* No value: LO > HI.  Dates too. */
    c = ints(eng, "NA|NA");
    cs__column_range(c, NULL, 0, &lo, &hi);
    assert_true(lo > hi);
    cs_column_release(c);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &d), CS_OK);
    assert_int_equal(cs_column_push_date(d, -800), CS_OK);
    assert_int_equal(cs_column_push_null(d), CS_OK);
    assert_int_equal(cs_column_push_date(d, 19000), CS_OK);
    cs__column_range(d, NULL, 0, &lo, &hi);
    assert_int_equal(lo, -800);
    assert_int_equal(hi, 19000);
    cs_column_release(d);
    cs_engine_free(eng);
}

/* An expression's int64 result carries the bounds of its non-null
** values, and a group-by on it gives the groups a naive count gives. */
static void test_mem_expression_results_carry_bounds(void **state)
{
    cs_engine *eng;
    cs_column *c, *col;
    cs_dataset *ds;
    cs_expr *e;
    size_t i;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &c), CS_OK);
    for (i = 0; i < 10000; i++) {
        if (i % 9 == 4)
            assert_int_equal(cs_column_push_null(c), CS_OK);
        else
            assert_int_equal(cs_column_push_i64(c, (int64_t)(i % 50) - 20),
                             CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", c), CS_OK);
    assert_int_equal(cs_expr_compile(ds, "x * 3 + 1000", &e), CS_OK);
    assert_int_equal(cs_expr_eval(e, ds, &col), CS_OK);
    assert_true(col->ranged);
    assert_int_equal(col->lo, -20 * 3 + 1000);
    assert_int_equal(col->hi, 29 * 3 + 1000);
    cs_column_release(col);
    cs_expr_free(e);
    cs_dataset_free(ds);
    cs_column_release(c);
    cs_engine_free(eng);
}

/* Bounds derived through expressions hold every value, are tight for
** the simple cases, and are absent where they cannot be known. */
static void test_mem_expression_bounds_hold_every_value(void **state)
{
    static const struct {
        const char *expr;
        int known;
        int64_t lo, hi;   /* when known and exact */
        int exact;
    } cases[] = {
        {"x + 5", 1, -15, 34, 1},
        {"5 - x", 1, -24, 25, 1},
        {"-x", 1, -29, 20, 1},
        {"x * x", 1, -580, 841, 0},
        {"x * 2 - 1", 1, -41, 57, 1},
        {"year(d)", 1, 1999, 2027, 1},
        {"month(d)", 1, 1, 12, 0},
        {"day(d) + 0", 1, 1, 31, 0},
        {"if(x > 0, x, 100)", 1, -20, 100, 0},
        {"coalesce(x, 1000)", 1, -20, 1000, 0},
        {"x // 2", 0, 0, 0, 0},
        {"len(s)", 0, 0, 0, 0},
    };
    cs_engine *eng;
    cs_column *x, *d, *s;
    cs_dataset *ds;
    size_t i, k;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &x), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &d), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_STR, &s), CS_OK);
    for (i = 0; i < 5000; i++) {
        if (i % 9 == 4) {
            assert_int_equal(cs_column_push_null(x), CS_OK);
            assert_int_equal(cs_column_push_null(d), CS_OK);
        } else {
            assert_int_equal(cs_column_push_i64(x, (int64_t)(i % 50) - 20),
                             CS_OK);
            assert_int_equal(
                cs_column_push_date(d, cs_date_from_ymd(1999, 1, 1) +
                                           (int32_t)(i * 7 % 10500)),
                CS_OK);
        }
        assert_int_equal(cs_column_push_str(s, "ab", 2), CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", x), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "d", d), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "s", s), CS_OK);
    for (k = 0; k < sizeof cases / sizeof *cases; k++) {
        cs_expr *e;
        cs_column *col;
        const int64_t *v;
        if (cs_expr_compile(ds, cases[k].expr, &e) != CS_OK)
            fail_msg("%s: %s", cases[k].expr, cs_errmsg(eng));
        assert_int_equal(cs_expr_eval(e, ds, &col), CS_OK);
        if (col->ranged != cases[k].known)
            fail_msg("%s: bounds %s", cases[k].expr,
                     col->ranged ? "known" : "unknown");
        v = cs_column_i64s(col);
        for (i = 0; col->ranged && i < cs_column_len(col); i++)
            if (!cs_column_is_null(col, i) &&
                (v[i] < col->lo || v[i] > col->hi))
                fail_msg("%s: row %zu holds %lld outside [%lld, %lld]",
                         cases[k].expr, i, (long long)v[i],
                         (long long)col->lo, (long long)col->hi);
        if (col->ranged && cases[k].exact) {
            assert_int_equal(col->lo, cases[k].lo);
            assert_int_equal(col->hi, cases[k].hi);
        }
        cs_column_release(col);
        cs_expr_free(e);
    }
    cs_dataset_free(ds);
    cs_column_release(x);
    cs_column_release(d);
    cs_column_release(s);
    cs_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mem_large_blocks_are_reused),
        cmocka_unit_test(test_mem_cache_is_bounded),
        cmocka_unit_test(test_mem_custom_allocator_sees_every_free),
        cmocka_unit_test(test_mem_column_bounds),
        cmocka_unit_test(test_mem_expression_results_carry_bounds),
        cmocka_unit_test(test_mem_expression_bounds_hold_every_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
