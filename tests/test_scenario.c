/*
** test_scenario.c: required rates, straight-line and log-linear fits
** (on series with a known rate), and integer apportionment that sums
** exactly to the total.
*/
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "coopstat.h"

static void test_required_rate(void **state)
{
    double r;
    (void)state;
    /* 12,460 members in 2023H1 to 15,000 in 2025: 2.5 years. */
    assert_int_equal(cs_required_rate(12460, 15000, 2.5, &r), CS_OK);
    assert_true(fabs(r - (pow(15000.0 / 12460.0, 1 / 2.5) - 1)) < 1e-15);
    assert_true(fabs(r - 0.07710) < 1e-4);
    assert_int_equal(cs_required_rate(100, 121, 2, &r), CS_OK);
    assert_true(fabs(r - 0.1) < 1e-12);
    assert_int_equal(cs_required_rate(100, 81, 2, &r), CS_OK); /* a decline */
    assert_true(fabs(r + 0.1) < 1e-12);
    assert_int_equal(cs_required_rate(100, 0, 2, &r), CS_OK);
    assert_true(r == -1);
    assert_int_equal(cs_required_rate(0, 10, 2, &r), CS_EINVAL);
    assert_true(isnan(r));
    assert_int_equal(cs_required_rate(10, -1, 2, &r), CS_EINVAL);
    assert_int_equal(cs_required_rate(10, 20, 0, &r), CS_EINVAL);
    assert_int_equal(cs_required_rate(10, 20, -1, &r), CS_EINVAL);
    assert_int_equal(cs_required_rate(NAN, 20, 1, &r), CS_EINVAL);
    assert_int_equal(cs_required_rate(10, INFINITY, 1, &r), CS_EINVAL);
}

static void test_fits(void **state)
{
    double x[8], y[8], noisy[8];
    cs_fit f;
    size_t i;
    (void)state;
    /* Exactly 5% a year, half-yearly from 2020.5. */
    for (i = 0; i < 8; i++) {
        x[i] = 2020.5 + 0.5 * (double)i;
        y[i] = 1000 * pow(1.05, 0.5 * (double)i);
        noisy[i] = y[i] * (1 + ((i % 2) ? 0.01 : -0.01));
    }
    assert_int_equal(cs_fit_loglinear(x, y, 8, &f), CS_OK);
    assert_int_equal(f.n, 8);
    assert_true(fabs(f.rate - 0.05) < 1e-12);
    assert_true(f.se_rate < 1e-12);
    assert_true(fabs(f.r2 - 1) < 1e-12);
    /* With noise: near 5%, a positive standard error, r2 below 1. */
    assert_int_equal(cs_fit_loglinear(x, noisy, 8, &f), CS_OK);
    assert_true(fabs(f.rate - 0.05) < 0.01);
    assert_true(f.se_rate > 0 && f.se_rate < 0.02);
    assert_true(f.r2 < 1 && f.r2 > 0.8);
    /* A straight line: y = 3 + 2x. */
    for (i = 0; i < 5; i++) {
        x[i] = (double)i;
        y[i] = 3 + 2 * (double)i;
    }
    assert_int_equal(cs_fit_linear(x, y, 5, &f), CS_OK);
    assert_true(fabs(f.slope - 2) < 1e-12 && fabs(f.intercept - 3) < 1e-12);
    assert_true(isnan(f.rate));
    /* Points not finite (and, log-linear, not positive) are skipped. */
    y[2] = NAN;
    assert_int_equal(cs_fit_linear(x, y, 5, &f), CS_OK);
    assert_int_equal(f.n, 4);
    assert_true(fabs(f.slope - 2) < 1e-12);
    y[2] = 0;
    assert_int_equal(cs_fit_loglinear(x, y, 5, &f), CS_OK);
    assert_int_equal(f.n, 4);
    /* Two points: a slope, no standard error. */
    assert_int_equal(cs_fit_linear(x, y, 2, &f), CS_OK);
    assert_true(isnan(f.se_slope));
    /* Too few points, or one x only. */
    assert_int_equal(cs_fit_linear(x, y, 1, &f), CS_EINVAL);
    assert_int_equal(cs_fit_linear(x, y, 0, &f), CS_EINVAL);
    x[1] = x[0];
    assert_int_equal(cs_fit_linear(x, y, 2, &f), CS_EINVAL);
}

static int64_t sum(const int64_t *v, size_t n)
{
    int64_t s = 0;
    size_t i;
    for (i = 0; i < n; i++) s += v[i];
    return s;
}

static void test_apportion(void **state)
{
    int64_t out[64];
    double w[64];
    size_t i, n;
    unsigned seed = 7;
    (void)state;
    /* Three equal weights: 10 = 4 + 3 + 3 (ties to the first). */
    w[0] = w[1] = w[2] = 1;
    assert_int_equal(cs_apportion(10, w, 3, out), CS_OK);
    assert_int_equal(out[0], 4);
    assert_int_equal(out[1], 3);
    assert_int_equal(out[2], 3);
    /* Largest remainder: 100 by 0.335, 0.335, 0.33 -> 34, 33, 33. */
    w[0] = 0.335, w[1] = 0.335, w[2] = 0.33;
    assert_int_equal(cs_apportion(100, w, 3, out), CS_OK);
    assert_int_equal(out[0] + out[1] + out[2], 100);
    assert_true(out[0] >= 33 && out[0] <= 34 && out[2] == 33);
    /* A zero weight gets nothing. */
    w[0] = 0, w[1] = 1, w[2] = 1;
    assert_int_equal(cs_apportion(5, w, 3, out), CS_OK);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1] + out[2], 5);
    /* Random weights and totals: always exact, each part its quota
    ** rounded down or up. */
    for (n = 1; n <= 64; n++) {
        int64_t total = (int64_t)(rand_r(&seed) % 100000);
        double s = 0;
        for (i = 0; i < n; i++) s += w[i] = (double)(rand_r(&seed) % 1000) + 0.5;
        assert_int_equal(cs_apportion(total, w, n, out), CS_OK);
        assert_true(sum(out, n) == total);
        for (i = 0; i < n; i++) {
            double q = (double)total * w[i] / s;
            assert_true((double)out[i] >= floor(q) && (double)out[i] <= ceil(q));
        }
    }
    assert_int_equal(cs_apportion(0, w, 3, out), CS_OK);
    assert_int_equal(sum(out, 3), 0);
    /* Bad input. */
    w[0] = w[1] = 0;
    assert_int_equal(cs_apportion(5, w, 2, out), CS_EINVAL);
    w[0] = -1, w[1] = 2;
    assert_int_equal(cs_apportion(5, w, 2, out), CS_EINVAL);
    w[0] = NAN;
    assert_int_equal(cs_apportion(5, w, 2, out), CS_EINVAL);
    w[0] = 1;
    assert_int_equal(cs_apportion(-1, w, 2, out), CS_EINVAL);
    assert_int_equal(cs_apportion(5, w, 0, out), CS_EINVAL);
    assert_int_equal(cs_apportion(0, w, 0, out), CS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_required_rate),
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_apportion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
