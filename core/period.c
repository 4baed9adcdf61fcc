/*
** period.c: reporting periods: years (2023), halves (2023H1), quarters
** (2023Q3) and months (2023-07).  A period is a run of whole months; it
** is kept as its type, year and index within the year, and measured by
** months from year 0 so that arithmetic never goes through the calendar.
** Spans are measured between period ends: 2023H1 (ends June 2023) to
** 2025 (ends December 2025) is 30 months, 2.5 years.
*/
#include "csint.h"

#include <stdio.h>
#include <string.h>

#define YEAR_MIN 1
#define YEAR_MAX 9999

static const char *const type_names[] = {NULL, "year", "half", "quarter",
                                         "month"};
/* Months in a period of each type; periods of each type in a year. */
static const int months_in[] = {0, 12, 6, 3, 1};
static const int per_year[] = {0, 1, 2, 4, 12};

const char *cs_period_type_name(cs_period_type t)
{
    return t >= CS_PERIOD_YEAR && t <= CS_PERIOD_MONTH ? type_names[t] : NULL;
}

cs_period_type cs_period_type_from_name(const char *name)
{
    int t;
    for (t = CS_PERIOD_YEAR; t <= CS_PERIOD_MONTH; t++)
        if (strcmp(name, type_names[t]) == 0) return (cs_period_type)t;
    return 0;
}

static int digits(const char *s, size_t n, int *out)
{
    size_t i;
    int v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

int cs_period_parse(const char *s, size_t len, cs_period *out)
{
    int year, idx;
    memset(out, 0, sizeof *out);
    if (len < 4 || !digits(s, 4, &year) || year < YEAR_MIN) return CS_EPARSE;
    if (len == 4) {
        out->type = CS_PERIOD_YEAR;
        idx = 1;
    } else if (len == 6 && (s[4] == 'H' || s[4] == 'h') && digits(s + 5, 1, &idx) &&
               idx >= 1 && idx <= 2) {
        out->type = CS_PERIOD_HALF;
    } else if (len == 6 && (s[4] == 'Q' || s[4] == 'q') && digits(s + 5, 1, &idx) &&
               idx >= 1 && idx <= 4) {
        out->type = CS_PERIOD_QUARTER;
    } else if (len == 7 && s[4] == '-' && digits(s + 5, 2, &idx) && idx >= 1 &&
               idx <= 12) {
        out->type = CS_PERIOD_MONTH;
    } else {
        return CS_EPARSE;
    }
    out->year = year;
    out->index = idx;
    return CS_OK;
}

int cs_period_format(cs_period p, char *buf, size_t size)
{
    int n;
    switch (p.type) {
    case CS_PERIOD_YEAR: n = snprintf(buf, size, "%04d", (int)p.year); break;
    case CS_PERIOD_HALF: n = snprintf(buf, size, "%04dH%d", (int)p.year, (int)p.index); break;
    case CS_PERIOD_QUARTER: n = snprintf(buf, size, "%04dQ%d", (int)p.year, (int)p.index); break;
    case CS_PERIOD_MONTH: n = snprintf(buf, size, "%04d-%02d", (int)p.year, (int)p.index); break;
    default: return CS_EINVAL;
    }
    return n < 0 || (size_t)n >= size ? CS_EINVAL : CS_OK;
}

static int valid(cs_period p)
{
    return p.type >= CS_PERIOD_YEAR && p.type <= CS_PERIOD_MONTH &&
           p.year >= YEAR_MIN && p.year <= YEAR_MAX && p.index >= 1 &&
           p.index <= per_year[p.type];
}

/* The period's position counted in periods of its type from year 0. */
static int64_t ordinal(cs_period p)
{
    return (int64_t)p.year * per_year[p.type] + (p.index - 1);
}

/* Months from year 0 to the period's first and last month. */
static int64_t first_month(cs_period p)
{
    return (int64_t)p.year * 12 + (int64_t)(p.index - 1) * months_in[p.type];
}

static int64_t last_month(cs_period p)
{
    return first_month(p) + months_in[p.type] - 1;
}

int cs_period_add(cs_period p, int64_t n, cs_period *out)
{
    int64_t o, k = per_year[valid(p) ? p.type : 0];
    *out = p;
    if (!valid(p)) return CS_EINVAL;
    /* Years stay within 1..9999, so |n| beyond 12 * 10^4 always fails. */
    if (n > 200000 || n < -200000) return CS_EOVERFLOW;
    o = ordinal(p) + n;
    if (o < YEAR_MIN * k || o >= (YEAR_MAX + 1) * k) return CS_EOVERFLOW;
    out->year = (int32_t)(o / k);
    out->index = (int32_t)(o % k) + 1;
    return CS_OK;
}

int cs_period_diff(cs_period a, cs_period b, int64_t *n)
{
    *n = 0;
    if (!valid(a) || !valid(b) || a.type != b.type) return CS_EINVAL;
    *n = ordinal(a) - ordinal(b);
    return CS_OK;
}

int cs_period_convert(cs_period p, cs_period_type to, cs_period *out)
{
    *out = p;
    if (!valid(p) || to < CS_PERIOD_YEAR || to > CS_PERIOD_MONTH) return CS_EINVAL;
    /* Only to a type that contains it: a month to its quarter, half or
    ** year; a half to its year. */
    if (months_in[to] < months_in[p.type]) return CS_EINVAL;
    out->type = to;
    out->index = (int32_t)((first_month(p) - (int64_t)p.year * 12) / months_in[to]) + 1;
    return CS_OK;
}

int cs_period_cmp(cs_period a, cs_period b)
{
    int64_t ea = last_month(a), eb = last_month(b);
    if (ea != eb) return ea < eb ? -1 : 1;
    /* The same end: the shorter first (2023H2 before 2023). */
    if (months_in[a.type] != months_in[b.type])
        return months_in[a.type] < months_in[b.type] ? -1 : 1;
    return 0;
}

double cs_period_years_between(cs_period from, cs_period to)
{
    return (double)(last_month(to) - last_month(from)) / 12.0;
}

int32_t cs_period_first_day(cs_period p)
{
    int64_t m = first_month(p);
    return cs_date_from_ymd((int)(m / 12), (int)(m % 12) + 1, 1);
}

int32_t cs_period_last_day(cs_period p)
{
    int64_t m = last_month(p) + 1; /* the next month's first day, less one */
    return cs_date_from_ymd((int)(m / 12), (int)(m % 12) + 1, 1) - 1;
}

int cs_period_is_valid(cs_period p) { return valid(p); }
