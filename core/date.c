/*
** date.c: calendar dates as days since 1970-01-01 (proleptic Gregorian).
** The conversions are Howard Hinnant's civil-from-days algorithms, exact
** for every int32 day count.
*/
#include "csint.h"

#include <stdio.h>
#include <string.h>

int32_t cs_date_from_ymd(int y, int m, int d)
{
    int64_t yy = (int64_t)y - (m <= 2);
    int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
    int64_t yoe = yy - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void cs_date_ymd(int32_t days, int *y, int *m, int *d)
{
    int64_t yy, mm, dd;
    cs__civil(days, &yy, &mm, &dd);
    *y = (int)yy;
    *m = (int)mm;
    *d = (int)dd;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
    return dm[m - 1];
}

/* Reads exactly N digits (N == 0: 1 or 2 digits) at S[*I..LEN). */
static int digits(const char *s, size_t len, size_t *i, int n, int *v)
{
    int k = 0, val = 0, max = n ? n : 2;
    while (k < max && *i < len && s[*i] >= '0' && s[*i] <= '9') {
        val = val * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    if (k == 0 || (n && k != n)) return 0;
    *v = val;
    return 1;
}

int cs_date_parse(const char *s, size_t len, const char *fmt, int32_t *days)
{
    int y = -1, m = -1, d = -1;
    size_t i = 0;
    int strict;
    /* ISO dates need two-digit months and days; other formats, such as
    ** the Vietnamese %d/%m/%Y, also accept one digit (5/7/2023). */
    if (!fmt) fmt = "%Y-%m-%d";
    strict = strcmp(fmt, "%Y-%m-%d") == 0 ? 2 : 0;
    for (; *fmt; fmt++) {
        if (*fmt == '%') {
            fmt++;
            switch (*fmt) {
            case 'Y':
                if (!digits(s, len, &i, 4, &y)) return CS_EPARSE;
                break;
            case 'm':
                if (!digits(s, len, &i, strict, &m))
                    return CS_EPARSE;
                break;
            case 'd':
                if (!digits(s, len, &i, strict, &d))
                    return CS_EPARSE;
                break;
            case '%':
                if (i >= len || s[i] != '%') return CS_EPARSE;
                i++;
                break;
            default:
                return CS_EPARSE;
            }
        } else {
            if (i >= len || s[i] != *fmt) return CS_EPARSE;
            i++;
        }
    }
    if (i != len || y < 0 || m < 1 || m > 12 || d < 1) return CS_EPARSE;
    if (d > days_in_month(y, m)) return CS_EPARSE;
    *days = cs_date_from_ymd(y, m, d);
    return CS_OK;
}

void cs_date_format(int32_t days, char *buf)
{
    int y, m, d;
    cs_date_ymd(days, &y, &m, &d);
    if (y >= 0 && y <= 9999)
        snprintf(buf, 11, "%04d-%02d-%02d", y, m, d);
    else
        snprintf(buf, 16, "%+d-%02d-%02d", y, m, d);
}
