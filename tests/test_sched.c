/*
** test_sched.c: cron parsing (every syntax form, names, shorthands, errors
** naming the field) and the next firing time: month ends, leap years,
** 29 February, day-of-month/day-of-week combination, and time zones with
** daylight saving (Europe/Berlin, America/New_York) beside Vietnam's.
*/
#define _DEFAULT_SOURCE /* setenv, tzset */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "coopstat.h"

static cs_engine *eng;

static int setup(void **state)
{
    (void)state;
    return cs_engine_new(NULL, NULL, &eng);
}

static int teardown(void **state)
{
    (void)state;
    cs_engine_free(eng);
    return 0;
}

static void zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

/* Local time "YYYY-MM-DD HH:MM" in the current zone -> seconds. */
static int64_t at(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    assert_int_equal(sscanf(s, "%d-%d-%d %d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min), 5);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

static void show(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M %Z", &tm);
}

/* EXPR fires next after FROM at WANT ("YYYY-MM-DD HH:MM ZONE"). */
static void next_is(const char *expr, const char *from, const char *want)
{
    cs_cron c;
    int64_t n;
    char buf[64];
    assert_int_equal(cs_cron_parse(eng, expr, &c), CS_OK);
    assert_int_equal(cs_cron_next(eng, &c, at(from), &n), CS_OK);
    show(n, buf, sizeof buf);
    if (strcmp(buf, want) != 0)
        fail_msg("'%s' after %s: got %s, want %s", expr, from, buf, want);
}

static void bad(const char *expr, const char *msg)
{
    cs_cron c;
    assert_int_equal(cs_cron_parse(eng, expr, &c), CS_EPARSE);
    if (!strstr(cs_errmsg(eng), msg))
        fail_msg("'%s': message '%s' lacks '%s'", expr, cs_errmsg(eng), msg);
}

static void test_cron_syntax(void **state)
{
    (void)state;
    zone("Asia/Ho_Chi_Minh");
    next_is("0 6 * * 1", "2026-11-27 10:00", "2026-11-30 06:00 +07");          /* Monday 06:00 */
    next_is("0 6 * * mon", "2026-11-27 10:00", "2026-11-30 06:00 +07");
    next_is("0 0 5 * *", "2026-11-27 10:00", "2026-12-05 00:00 +07");          /* the 5th */
    next_is("*/15 * * * *", "2026-11-27 10:07", "2026-11-27 10:15 +07");
    next_is("5-20/5 * * * *", "2026-11-27 10:16", "2026-11-27 10:20 +07");
    next_is("30/10 * * * *", "2026-11-27 10:55", "2026-11-27 11:30 +07");      /* a/n */
    next_is("0 8-17/3 * * *", "2026-11-27 12:00", "2026-11-27 14:00 +07");
    next_is("0 9,13 * * *", "2026-11-27 13:00", "2026-11-28 09:00 +07");        /* strictly after */
    next_is("0 0 1 jan,JUL *", "2026-11-27 10:00", "2027-01-01 00:00 +07");
    next_is("0 0 * * 7", "2026-11-27 10:00", "2026-11-29 00:00 +07");           /* 7 is Sunday */
    next_is("0 0 * * sun", "2026-11-27 10:00", "2026-11-29 00:00 +07");
    next_is("0 18 * * mon-fri", "2026-11-27 19:00", "2026-11-30 18:00 +07");   /* over a weekend */
    next_is("@hourly", "2026-11-27 10:00", "2026-11-27 11:00 +07");
    next_is("@daily", "2026-11-27 10:00", "2026-11-28 00:00 +07");
    next_is("@midnight", "2026-11-27 10:00", "2026-11-28 00:00 +07");
    next_is("@weekly", "2026-11-27 10:00", "2026-11-29 00:00 +07");
    next_is("@monthly", "2026-11-27 10:00", "2026-12-01 00:00 +07");
    next_is("@yearly", "2026-11-27 10:00", "2027-01-01 00:00 +07");
    next_is("@annually", "2026-11-27 10:00", "2027-01-01 00:00 +07");
    next_is("  0   6  *  *  1 ", "2026-11-27 10:00", "2026-11-30 06:00 +07");  /* spaces */
}

static void test_cron_calendar(void **state)
{
    (void)state;
    zone("Asia/Ho_Chi_Minh");
    /* Month ends: the 31st skips the short months. */
    next_is("0 0 31 * *", "2026-11-27 10:00", "2026-12-31 00:00 +07");
    next_is("0 0 31 * *", "2027-01-31 00:00", "2027-03-31 00:00 +07");
    next_is("0 0 30 * *", "2027-01-30 00:00", "2027-03-30 00:00 +07");         /* not February */
    /* 29 February: the next leap year. */
    next_is("0 0 29 2 *", "2026-11-27 10:00", "2028-02-29 00:00 +07");
    next_is("0 0 29 2 *", "2028-02-29 00:00", "2032-02-29 00:00 +07");
    /* Both days restricted: either fires (the 13th, or any Friday). */
    next_is("0 0 13 * fri", "2026-11-27 10:00", "2026-12-04 00:00 +07");
    next_is("0 0 13 * fri", "2026-12-11 10:00", "2026-12-13 00:00 +07");
    /* Day of week star-stepped counts as unrestricted. */
    next_is("0 0 13 * */1", "2026-11-27 10:00", "2026-12-13 00:00 +07");
    /* Year end. */
    next_is("59 23 31 12 *", "2026-12-31 23:59", "2027-12-31 23:59 +07");
}

static void test_cron_daylight_saving(void **state)
{
    (void)state;
    /* Berlin springs forward on 2027-03-28 at 02:00 -> 03:00. */
    zone("Europe/Berlin");
    next_is("30 2 * * *", "2027-03-27 03:00", "2027-03-29 02:30 CEST");          /* skipped that day */
    next_is("0 3 * * *", "2027-03-28 01:00", "2027-03-28 03:00 CEST");
    next_is("0 * * * *", "2027-03-28 01:30", "2027-03-28 03:00 CEST");           /* no 02:00 */
    /* Falls back on 2027-10-31 at 03:00 -> 02:00: 02:30 happens twice. */
    next_is("30 2 * * *", "2027-10-30 12:00", "2027-10-31 02:30 CEST");
    {
        cs_cron c;
        int64_t first, second;
        char buf[64];
        assert_int_equal(cs_cron_parse(eng, "30 2 * * *", &c), CS_OK);
        assert_int_equal(cs_cron_next(eng, &c, at("2027-10-30 12:00"), &first), CS_OK);
        assert_int_equal(cs_cron_next(eng, &c, first, &second), CS_OK);
        show(second, buf, sizeof buf);
        assert_string_equal(buf, "2027-11-01 02:30 CET"); /* once, not again at 02:30 CET */
    }
    {   /* Hourly: each real hour fires, the repeated 02:00 included. */
        cs_cron c;
        int64_t a, b, d;
        char buf[64];
        assert_int_equal(cs_cron_parse(eng, "0 * * * *", &c), CS_OK);
        assert_int_equal(cs_cron_next(eng, &c, at("2027-10-31 01:30"), &a), CS_OK);
        assert_int_equal(cs_cron_next(eng, &c, a, &b), CS_OK);
        assert_int_equal(cs_cron_next(eng, &c, b, &d), CS_OK);
        show(a, buf, sizeof buf);
        assert_string_equal(buf, "2027-10-31 02:00 CEST");
        show(b, buf, sizeof buf);
        assert_string_equal(buf, "2027-10-31 02:00 CET");
        show(d, buf, sizeof buf);
        assert_string_equal(buf, "2027-10-31 03:00 CET");
    }
    /* New York: 2027-03-14 02:00 -> 03:00; daily 09:00 unaffected. */
    zone("America/New_York");
    next_is("0 9 * * *", "2027-03-13 10:00", "2027-03-14 09:00 EDT");
    next_is("0 9 * * *", "2027-11-06 10:00", "2027-11-07 09:00 EST");
    zone("Asia/Ho_Chi_Minh");
}

static void test_cron_errors(void **state)
{
    (void)state;
    bad("0 6 * *", "4 fields, expected 5");
    bad("0 6 * * 1 2", "more than 5 fields");
    bad("", "0 fields");
    bad("60 * * * *", "field 1 (minute) '60': out of range 0-59");
    bad("0 24 * * *", "field 2 (hour) '24': out of range 0-23");
    bad("0 0 0 * *", "field 3 (day of month) '0': out of range 1-31");
    bad("0 0 32 * *", "field 3 (day of month) '32': out of range 1-31");
    bad("0 0 * 13 *", "field 4 (month) '13': out of range 1-12");
    bad("0 0 * foo *", "field 4 (month) 'foo': expected a number 1-12 or a month name");
    bad("0 0 * * 8", "field 5 (day of week) '8': out of range 0-7");
    bad("0 0 * * funday", "expected a number 0-7 or a day name");
    bad("*/0 * * * *", "a step must be at least 1");
    bad("5-1 * * * *", "a range must go upwards");
    bad("1,,2 * * * *", "an empty list item");
    bad("1, * * * *", "a list ends with a comma");
    bad("1x * * * *", "unexpected characters");
    bad("0 0 30 2 *", "never occurs");
    bad("0 0 31 4,6,9,11 *", "never occurs");
    bad("@reboot", "unknown shorthand");
    bad("@daily 1", "unknown shorthand");
}

static void test_durations_and_sizes(void **state)
{
    int64_t v;
    (void)state;
    assert_int_equal(cs_parse_duration("90", &v), CS_OK);
    assert_int_equal(v, 90);
    assert_int_equal(cs_parse_duration("90s", &v), CS_OK);
    assert_int_equal(v, 90);
    assert_int_equal(cs_parse_duration("10m", &v), CS_OK);
    assert_int_equal(v, 600);
    assert_int_equal(cs_parse_duration("2h", &v), CS_OK);
    assert_int_equal(v, 7200);
    assert_int_equal(cs_parse_duration("0m", &v), CS_EPARSE);
    assert_int_equal(cs_parse_duration("10d", &v), CS_EPARSE);
    assert_int_equal(cs_parse_duration("-1m", &v), CS_EPARSE);
    assert_int_equal(cs_parse_duration("m", &v), CS_EPARSE);
    assert_int_equal(cs_parse_duration("10mm", &v), CS_EPARSE);
    assert_int_equal(cs_parse_size("512M", &v), CS_OK);
    assert_int_equal(v, 512LL << 20);
    assert_int_equal(cs_parse_size("2G", &v), CS_OK);
    assert_int_equal(v, 2LL << 30);
    assert_int_equal(cs_parse_size("64k", &v), CS_OK);
    assert_int_equal(v, 64 << 10);
    assert_int_equal(cs_parse_size("100MB", &v), CS_OK);
    assert_int_equal(v, 100LL << 20);
    assert_int_equal(cs_parse_size("1T", &v), CS_EPARSE);
    assert_int_equal(cs_parse_size("", &v), CS_EPARSE);
    assert_int_equal(cs_parse_size("99999999999G", &v), CS_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cron_syntax),
        cmocka_unit_test(test_cron_calendar),
        cmocka_unit_test(test_cron_daylight_saving),
        cmocka_unit_test(test_cron_errors),
        cmocka_unit_test(test_durations_and_sizes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
