/*
** tally.h: the test allocator shared by the core's cmocka tests.
** It counts allocations, fails allocation number FAIL_AT (0: never), and
** tracks live blocks and bytes trusting OSIZE on frees, so a test can
** prove that a failure leaks nothing and that every free names the size
** that was allocated.
*/
#ifndef COOPSTAT_TALLY_H
#define COOPSTAT_TALLY_H

#include <stdlib.h>

typedef struct tally {
    long nalloc, fail_at;
    long live;
    long long bytes;
} tally;

static void *tally_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    tally *t = ud;
    void *p;
    if (nsize == 0) {
        if (ptr) {
            t->live--;
            t->bytes -= (long long)osize;
        }
        free(ptr);
        return NULL;
    }
    t->nalloc++;
    if (t->fail_at && t->nalloc == t->fail_at) return NULL;
    p = realloc(ptr, nsize);
    if (!p) return NULL;
    if (!ptr) t->live++;
    t->bytes += (long long)nsize - (long long)(ptr ? osize : 0);
    return p;
}

#endif
