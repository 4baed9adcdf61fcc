/*
** fuzz_cron.c: cron expressions, durations and sizes from arbitrary
** text; a schedule that parses is asked for its next times.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coopstat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cs_engine *eng;
    cs_cron c;
    char *s;
    int64_t v, t = 1800000000;
    int i;
    if (cs_engine_new(NULL, NULL, &eng) != CS_OK) return 0;
    s = malloc(size + 1);
    if (!s) {
        cs_engine_free(eng);
        return 0;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    if (cs_cron_parse(eng, s, &c) == CS_OK)
        for (i = 0; i < 3 && cs_cron_next(eng, &c, t, &t) == CS_OK; i++) continue;
    cs_parse_duration(s, &v);
    cs_parse_size(s, &v);
    free(s);
    cs_engine_free(eng);
    return 0;
}
