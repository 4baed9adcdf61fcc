/*
** fuzz_period.c: reporting periods from arbitrary text; a period that
** parses is printed, moved, converted and measured, and must come back
** the same.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coopstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_period p, q, r;
    char buf[16];
    int64_t n = 0;
    int t;
    if (size < 1) return 0;
    if (size > 9) n = (int64_t)(int8_t)data[size - 1] * 1000;
    if (cs_period_parse((const char *)data, size, &p) != CS_OK) return 0;
    if (cs_period_format(p, buf, sizeof buf) != CS_OK) abort();
    if (cs_period_parse(buf, strlen(buf), &q) != CS_OK || cs_period_cmp(p, q) != 0) abort();
    if (cs_period_add(p, n, &q) == CS_OK) {
        int64_t back;
        if (cs_period_diff(q, p, &back) != CS_OK || back != n) abort();
    }
    for (t = CS_PERIOD_YEAR; t <= CS_PERIOD_MONTH; t++)
        if (cs_period_convert(p, (cs_period_type)t, &r) == CS_OK && cs_period_cmp(p, r) > 0)
            abort();
    (void)cs_period_years_between(p, q);
    (void)cs_period_first_day(p);
    (void)cs_period_last_day(p);
    return 0;
}
