/*
** sched.c: schedules.  Standard 5-field cron expressions (minute, hour,
** day of month, month, day of week) with ranges, lists, steps and names,
** the @hourly ... @yearly shorthands, and the next time one fires in the
** process's time zone (TZ), right across daylight-saving changes.
** Durations ("10m") and sizes ("512M") for job limits are parsed here too.
**
** Day of month and day of week combine as cron does: when both are
** restricted (neither field starts with '*'), a day matching either one
** fires; otherwise the restricted one alone decides.
**
** Daylight saving: times are wall-clock times.  A time that does not
** exist on a spring-forward day (02:30 when clocks jump from 02:00 to
** 03:00) is skipped that day; a time that occurs twice on a fall-back
** day fires once, at its first occurrence, unless the schedule fires
** every hour (then each real hour fires, as in cron).
*/
#include "csint.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    const char *name;
    int lo, hi;
} fields[5] = {{"minute", 0, 59},
               {"hour", 0, 23},
               {"day of month", 1, 31},
               {"month", 1, 12},
               {"day of week", 0, 7}};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct {
    const char *name, *expr;
} shorthands[] = {{"@yearly", "0 0 1 1 *"},  {"@annually", "0 0 1 1 *"},
                  {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
                  {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
                  {"@hourly", "0 * * * *"}};

static int field_error(cs_engine *eng, int f, const char *text, size_t len,
                       const char *why)
{
    /* Returns the code itself: the analyzer does not follow cs__error. */
    (void)cs__error(eng, CS_EPARSE, "field %d (%s) '%.*s': %s", f + 1,
                    fields[f].name, (int)len, text, why);
    return CS_EPARSE;
}

/* A number or (month, day of week) a name at *P; advances *P. */
static int value(cs_engine *eng, int f, const char *tok, size_t toklen, const char **p,
                 const char *end, int *out)
{
    const char *s = *p;
    if (s < end && isdigit((unsigned char)*s)) {
        long v = 0;
        while (s < end && isdigit((unsigned char)*s)) {
            v = v * 10 + (*s - '0');
            if (v > 1000) return field_error(eng, f, tok, toklen, "number too large");
            s++;
        }
        *out = (int)v;
        *p = s;
        return CS_OK;
    }
    if (f == 3 || f == 4) {
        const char *const *names = f == 3 ? month_names : dow_names;
        int n = f == 3 ? 12 : 7, i;
        if (end - s >= 3)
            for (i = 0; i < n; i++)
                if (tolower((unsigned char)s[0]) == names[i][0] &&
                    tolower((unsigned char)s[1]) == names[i][1] &&
                    tolower((unsigned char)s[2]) == names[i][2] &&
                    (end - s == 3 || !isalpha((unsigned char)s[3]))) {
                    *out = f == 3 ? i + 1 : i;
                    *p = s + 3;
                    return CS_OK;
                }
        return field_error(eng, f, tok, toklen,
                           f == 3 ? "expected a number 1-12 or a month name (jan...dec)"
                                  : "expected a number 0-7 or a day name (sun...sat)");
    }
    return field_error(eng, f, tok, toklen, "expected a number");
}

/* Parses field F, TEXT[0..LEN), into the bit set *BITS; *STAR when it
** starts with '*'. */
static int parse_field(cs_engine *eng, int f, const char *text, size_t len, uint64_t *bits,
                       int *star)
{
    const char *p = text, *end = text + len;
    int lo = fields[f].lo, hi = fields[f].hi, rc;
    char why[96];
    *bits = 0;
    *star = len > 0 && text[0] == '*';
    while (p < end) {
        const char *item = p;
        int a, b, step = 1, v;
        while (p < end && *p != ',') p++;
        {
            const char *q = item, *iend = p;
            size_t ilen = (size_t)(iend - item);
            if (ilen == 0) return field_error(eng, f, text, len, "an empty list item");
            if (*q == '*') {
                a = lo;
                b = hi;
                q++;
            } else {
                if ((rc = value(eng, f, item, ilen, &q, iend, &a))) return rc;
                b = a;
                if (q < iend && *q == '-') {
                    q++;
                    if ((rc = value(eng, f, item, ilen, &q, iend, &b))) return rc;
                } else if (q < iend && *q == '/') {
                    b = hi; /* a/n: from a to the end, every n */
                }
            }
            if (q < iend && *q == '/') {
                q++;
                if ((rc = value(eng, f, item, ilen, &q, iend, &step))) return rc;
                if (step < 1) return field_error(eng, f, item, ilen, "a step must be at least 1");
            }
            if (q != iend) return field_error(eng, f, item, ilen, "unexpected characters");
            if (a < lo || a > hi || b < lo || b > hi) {
                snprintf(why, sizeof why, "out of range %d-%d", lo, hi);
                return field_error(eng, f, item, ilen, why);
            }
            if (a > b) return field_error(eng, f, item, ilen, "a range must go upwards (use a list)");
            for (v = a; v <= b; v += step) *bits |= (uint64_t)1 << v;
        }
        if (p < end) {
            p++; /* the comma */
            if (p == end) return field_error(eng, f, text, len, "a list ends with a comma");
        }
    }
    if (len == 0) return field_error(eng, f, text, len, "empty");
    if (f == 4 && (*bits >> 7 & 1)) *bits = (*bits | 1) & 0x7F; /* 7 is Sunday */
    return CS_OK;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return d[m - 1];
}

int cs_cron_parse(cs_engine *eng, const char *expr, cs_cron *out)
{
    const char *p = expr, *start[5];
    size_t len[5], k;
    int n = 0, f, rc;
    uint64_t bits[5];
    memset(out, 0, sizeof *out);
    while (*p == ' ' || *p == '\t') p++;
    if (*p == '@') {
        size_t l = strcspn(p, " \t");
        const char *rest = p + l;
        while (*rest == ' ' || *rest == '\t') rest++;
        for (k = 0; k < sizeof shorthands / sizeof *shorthands; k++)
            if (strlen(shorthands[k].name) == l && strncmp(p, shorthands[k].name, l) == 0 &&
                *rest == '\0')
                return cs_cron_parse(eng, shorthands[k].expr, out);
        return cs__error(eng, CS_EPARSE, "'%s': unknown shorthand (known: @hourly, @daily, "
                                         "@weekly, @monthly, @yearly)", expr);
    }
    while (*p) {
        if (n == 5)
            return cs__error(eng, CS_EPARSE, "'%s': more than 5 fields (minute hour "
                                             "day-of-month month day-of-week)", expr);
        start[n] = p;
        while (*p && *p != ' ' && *p != '\t') p++;
        len[n] = (size_t)(p - start[n]);
        n++;
        while (*p == ' ' || *p == '\t') p++;
    }
    if (n != 5)
        return cs__error(eng, CS_EPARSE, "'%s': %d field%s, expected 5 (minute hour "
                                         "day-of-month month day-of-week)", expr, n,
                         n == 1 ? "" : "s");
    for (f = 0; f < 5; f++) {
        int star;
        if ((rc = parse_field(eng, f, start[f], len[f], &bits[f], &star))) return rc;
        if (f == 2) out->dom_star = star;
        if (f == 4) out->dow_star = star;
    }
    out->minute = bits[0];
    out->hour = (uint32_t)bits[1];
    out->dom = (uint32_t)bits[2];
    out->month = (uint16_t)bits[3];
    out->dow = (uint8_t)bits[4];
    /* A day of month that no chosen month has (30 February) never fires
    ** when the day of week does not decide instead. */
    if (out->dow_star || out->dom_star) {
        int m, d, ok = 0;
        for (m = 1; m <= 12 && !ok; m++)
            if (out->month >> m & 1)
                for (d = 1; d <= days_in_month(2024, m) && !ok; d++)
                    if (out->dom >> d & 1) ok = 1;
        if (!ok)
            return cs__error(eng, CS_EPARSE, "'%s': that day of the month never occurs in "
                                             "the months chosen", expr);
    }
    return CS_OK;
}

static int day_matches(const cs_cron *c, const struct tm *tm)
{
    int dom = c->dom >> tm->tm_mday & 1, dow = c->dow >> tm->tm_wday & 1;
    if (c->dom_star || c->dow_star) return dom && dow;
    return dom || dow;
}

/* The instant of local time TM (its fields may overflow: mktime
** normalises them; daylight saving decided by the zone). */
static int64_t local(struct tm tm)
{
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm);
}

int cs_cron_next(cs_engine *eng, const cs_cron *c, int64_t after, int64_t *next)
{
    int64_t t = after - (after % 60 + 60) % 60 + 60; /* the next whole minute */
    struct tm tm, prev;
    time_t tt = (time_t)after;
    int have_prev = localtime_r(&tt, &prev) != NULL;
    long guard;
    *next = 0;
    for (guard = 0; guard < 200000; guard++) {
        tt = (time_t)t;
        if (!localtime_r(&tt, &tm))
            return cs__error(eng, CS_EOVERFLOW, "time out of range");
        if (tm.tm_year > 1100) break; /* beyond the year 3000 */
        if (!(c->month >> (tm.tm_mon + 1) & 1)) {
            tm.tm_mon++;
            tm.tm_mday = 1;
            tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
            t = local(tm);
            continue;
        }
        if (!day_matches(c, &tm)) {
            tm.tm_mday++;
            tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
            t = local(tm);
            continue;
        }
        if (!(c->hour >> tm.tm_hour & 1)) {
            int64_t n;
            tm.tm_hour++;
            tm.tm_min = tm.tm_sec = 0;
            n = local(tm);
            t = n > t ? n : t + 3600; /* never backwards across a fall-back */
            continue;
        }
        if (!(c->minute >> tm.tm_min & 1)) {
            t += 60;
            continue;
        }
        /* The second occurrence of a wall-clock time (fall back) does not
        ** fire again, unless the schedule fires every hour (as cron: jobs
        ** of a fixed hour do not repeat, hourly ones run each hour). */
        if (have_prev && c->hour != 0xFFFFFFu && t - after <= 2 * 3600 &&
            tm.tm_year == prev.tm_year &&
            tm.tm_mon == prev.tm_mon && tm.tm_mday == prev.tm_mday &&
            tm.tm_hour == prev.tm_hour && tm.tm_min == prev.tm_min) {
            t += 60;
            continue;
        }
        *next = t;
        return CS_OK;
    }
    return cs__error(eng, CS_ENOTFOUND, "the schedule never fires");
}

int cs_parse_duration(const char *s, int64_t *seconds)
{
    char *end;
    long long v;
    int64_t mul = 1;
    *seconds = 0;
    if (!s || !isdigit((unsigned char)*s)) return CS_EPARSE;
    v = strtoll(s, &end, 10);
    if (v < 0 || v > INT32_MAX) return CS_EPARSE;
    if (*end == 's' || *end == 'S') mul = 1, end++;
    else if (*end == 'm' || *end == 'M') mul = 60, end++;
    else if (*end == 'h' || *end == 'H') mul = 3600, end++;
    else if (*end != '\0') return CS_EPARSE;
    if (*end != '\0') return CS_EPARSE;
    *seconds = (int64_t)v * mul;
    return *seconds > 0 ? CS_OK : CS_EPARSE;
}

int cs_parse_size(const char *s, int64_t *bytes)
{
    char *end;
    long long v;
    int64_t mul = 1;
    *bytes = 0;
    if (!s || !isdigit((unsigned char)*s)) return CS_EPARSE;
    v = strtoll(s, &end, 10);
    if (v < 0 || v > INT32_MAX) return CS_EPARSE;
    switch (*end) {
    case 'k': case 'K': mul = 1024; end++; break;
    case 'm': case 'M': mul = 1024 * 1024; end++; break;
    case 'g': case 'G': mul = 1024LL * 1024 * 1024; end++; break;
    case '\0': break;
    default: return CS_EPARSE;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end != '\0') return CS_EPARSE;
    *bytes = (int64_t)v * mul;
    return *bytes > 0 ? CS_OK : CS_EPARSE;
}
