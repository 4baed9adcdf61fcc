/*
** test_period.c: reporting periods: parsing and printing every type,
** arithmetic across year boundaries, conversion, order, spans between
** period ends, first and last days, and invalid input.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "coopstat.h"

static cs_period P(const char *s)
{
    cs_period p;
    assert_int_equal(cs_period_parse(s, strlen(s), &p), CS_OK);
    return p;
}

static void assert_period(cs_period p, const char *want)
{
    char buf[16];
    assert_int_equal(cs_period_format(p, buf, sizeof buf), CS_OK);
    assert_string_equal(buf, want);
}

static void test_period_parse_and_format(void **state)
{
    static const char *const ok[] = {"2023", "2023H1", "2023H2", "2023Q1",
                                     "2023Q4", "2023-01", "2023-12", "0001",
                                     "9999-12"};
    static const char *const bad[] = {"", "202", "20234", "2023H0", "2023H3",
                                      "2023Q0", "2023Q5", "2023-00", "2023-13",
                                      "2023-1", "2023-001", "2023 H1", "0000",
                                      "2023h", "abcd", "2023M1", "-023",
                                      "2023-07-01"};
    cs_period p;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof ok / sizeof *ok; i++) assert_period(P(ok[i]), ok[i]);
    for (i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(cs_period_parse(bad[i], strlen(bad[i]), &p), CS_EPARSE);
    assert_period(P("2023h2"), "2023H2"); /* lower case accepted */
    assert_period(P("2023q3"), "2023Q3");
    p = P("2023Q3");
    assert_int_equal(p.type, CS_PERIOD_QUARTER);
    assert_int_equal(p.year, 2023);
    assert_int_equal(p.index, 3);
    assert_string_equal(cs_period_type_name(CS_PERIOD_HALF), "half");
    assert_int_equal(cs_period_type_from_name("month"), CS_PERIOD_MONTH);
    assert_int_equal(cs_period_type_from_name("week"), 0);
    assert_null(cs_period_type_name(0));
    /* Only as long as the text: a length cuts it. */
    assert_int_equal(cs_period_parse("2023H1", 4, &p), CS_OK);
    assert_period(p, "2023");
}

static void test_period_arithmetic(void **state)
{
    cs_period p;
    int64_t n;
    (void)state;
    assert_int_equal(cs_period_add(P("2023H2"), 1, &p), CS_OK);
    assert_period(p, "2024H1");
    assert_int_equal(cs_period_add(P("2023H1"), -1, &p), CS_OK);
    assert_period(p, "2022H2");
    assert_int_equal(cs_period_add(P("2023Q4"), 5, &p), CS_OK);
    assert_period(p, "2025Q1");
    assert_int_equal(cs_period_add(P("2023-12"), 1, &p), CS_OK);
    assert_period(p, "2024-01");
    assert_int_equal(cs_period_add(P("2023-01"), -13, &p), CS_OK);
    assert_period(p, "2021-12");
    assert_int_equal(cs_period_add(P("2023"), 2, &p), CS_OK);
    assert_period(p, "2025");
    assert_int_equal(cs_period_add(P("2023H1"), 0, &p), CS_OK);
    assert_period(p, "2023H1");
    /* Out of years 1..9999. */
    assert_int_equal(cs_period_add(P("9999H2"), 1, &p), CS_EOVERFLOW);
    assert_int_equal(cs_period_add(P("0001-01"), -1, &p), CS_EOVERFLOW);
    assert_int_equal(cs_period_add(P("2023"), INT64_MAX, &p), CS_EOVERFLOW);
    assert_int_equal(cs_period_add(P("2023"), INT64_MIN, &p), CS_EOVERFLOW);
    assert_int_equal(cs_period_add(P("9999-12"), 0, &p), CS_OK);
    /* Differences in periods of one type. */
    assert_int_equal(cs_period_diff(P("2025H2"), P("2023H1"), &n), CS_OK);
    assert_int_equal(n, 5);
    assert_int_equal(cs_period_diff(P("2023-01"), P("2023-12"), &n), CS_OK);
    assert_int_equal(n, -11);
    assert_int_equal(cs_period_diff(P("2025"), P("2023H1"), &n), CS_EINVAL);
    p.type = 9;
    assert_int_equal(cs_period_add(p, 1, &p), CS_EINVAL);
}

static void test_period_convert_and_order(void **state)
{
    cs_period p;
    (void)state;
    assert_int_equal(cs_period_convert(P("2023H1"), CS_PERIOD_YEAR, &p), CS_OK);
    assert_period(p, "2023");
    assert_int_equal(cs_period_convert(P("2023-08"), CS_PERIOD_QUARTER, &p), CS_OK);
    assert_period(p, "2023Q3");
    assert_int_equal(cs_period_convert(P("2023-07"), CS_PERIOD_HALF, &p), CS_OK);
    assert_period(p, "2023H2");
    assert_int_equal(cs_period_convert(P("2023Q2"), CS_PERIOD_HALF, &p), CS_OK);
    assert_period(p, "2023H1");
    assert_int_equal(cs_period_convert(P("2023Q2"), CS_PERIOD_QUARTER, &p), CS_OK);
    assert_period(p, "2023Q2");
    assert_int_equal(cs_period_convert(P("2023"), CS_PERIOD_HALF, &p), CS_EINVAL);
    assert_int_equal(cs_period_convert(P("2023H1"), CS_PERIOD_MONTH, &p), CS_EINVAL);
    /* By end, then the shorter first. */
    assert_true(cs_period_cmp(P("2023H1"), P("2023H2")) < 0);
    assert_true(cs_period_cmp(P("2023H2"), P("2023")) < 0);
    assert_true(cs_period_cmp(P("2023"), P("2024-01")) < 0);
    assert_true(cs_period_cmp(P("2023Q2"), P("2023H1")) < 0);
    assert_true(cs_period_cmp(P("2023-06"), P("2023Q2")) < 0);
    assert_int_equal(cs_period_cmp(P("2022H2"), P("2022H2")), 0);
    assert_true(cs_period_cmp(P("2022"), P("2021H2")) > 0);
}

static void test_period_spans_and_days(void **state)
{
    char buf[16];
    (void)state;
    /* Between period ends. */
    assert_true(cs_period_years_between(P("2023H1"), P("2025")) == 2.5);
    assert_true(cs_period_years_between(P("2023"), P("2025")) == 2.0);
    assert_true(cs_period_years_between(P("2023Q3"), P("2024Q1")) == 0.5);
    assert_true(cs_period_years_between(P("2023-07"), P("2023-08")) == 1.0 / 12);
    assert_true(cs_period_years_between(P("2025"), P("2023H1")) == -2.5);
    cs_date_format(cs_period_first_day(P("2023H2")), buf);
    assert_string_equal(buf, "2023-07-01");
    cs_date_format(cs_period_last_day(P("2023H1")), buf);
    assert_string_equal(buf, "2023-06-30");
    cs_date_format(cs_period_last_day(P("2024-02")), buf);
    assert_string_equal(buf, "2024-02-29");
    cs_date_format(cs_period_last_day(P("2023")), buf);
    assert_string_equal(buf, "2023-12-31");
    cs_date_format(cs_period_last_day(P("2023Q4")), buf);
    assert_string_equal(buf, "2023-12-31");
    cs_date_format(cs_period_first_day(P("2023Q4")), buf);
    assert_string_equal(buf, "2023-10-01");
    assert_int_equal(cs_period_format(P("2023H1"), buf, 6), CS_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period_parse_and_format),
        cmocka_unit_test(test_period_arithmetic),
        cmocka_unit_test(test_period_convert_and_order),
        cmocka_unit_test(test_period_spans_and_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
