/*
** mem.c: the engine handle, its allocator hook and the growable buffer.
** Every byte the core allocates goes through eng->alloc, so a test
** allocator can count, limit or fail allocations.
*/
#define _DEFAULT_SOURCE   /* madvise(2) */
#include "csint.h"

#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>

/* Fresh blocks this large are results and kernel state touched end to
** end: huge pages make first touch several times cheaper (about 3 ms a
** MiB with 4 KiB pages on a virtual machine, against well under 1). */
#define HUGE_BLOCK ((size_t)4 << 20)

static void advise_huge(void *p, size_t bytes)
{
#if defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)1 << 21;
    uintptr_t lo = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t hi = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (hi > lo) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    void *p;
    (void)ud;
    (void)osize;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    p = realloc(ptr, nsize);
    /* Only fresh blocks: advising blocks that grow by realloc (columns
    ** being read) made the kernel compact memory at every step, which
    ** cost more than it saved. */
    if (p && !ptr && nsize >= HUGE_BLOCK) advise_huge(p, nsize);
    return p;
}

int cs_engine_new(cs_alloc_fn alloc, void *ud, cs_engine **out)
{
    cs_engine *eng;
    if (!alloc) alloc = default_alloc;
    *out = NULL;
    eng = alloc(ud, NULL, 0, sizeof *eng);
    if (!eng) return CS_ENOMEM;
    memset(eng, 0, sizeof *eng);
    eng->alloc = alloc;
    eng->ud = ud;
    *out = eng;
    return CS_OK;
}

void cs_engine_free(cs_engine *eng)
{
    if (!eng) return;
    eng->alloc(eng->ud, eng, sizeof *eng, 0);
}

void cs_engine_interrupt(cs_engine *eng) { eng->interrupted = 1; }
void cs_engine_clear_interrupt(cs_engine *eng) { eng->interrupted = 0; }

void *cs__alloc(cs_engine *eng, size_t n)
{
    if (n == 0) n = 1;
    return eng->alloc(eng->ud, NULL, 0, n);
}

void *cs__realloc(cs_engine *eng, void *p, size_t osize, size_t nsize)
{
    if (nsize == 0) nsize = 1;
    return eng->alloc(eng->ud, p, p ? osize : 0, nsize);
}

void cs__free(cs_engine *eng, void *p, size_t n)
{
    if (p) eng->alloc(eng->ud, p, n ? n : 1, 0);
}

void *cs_malloc(cs_engine *eng, size_t n) { return cs__alloc(eng, n); }
void cs_free(cs_engine *eng, void *p, size_t n) { cs__free(eng, p, n); }

void cs_free_str(cs_engine *eng, char *s)
{
    if (s) cs__free(eng, s, strlen(s) + 1);
}

int cs__mul_ok(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

char *cs__strndup(cs_engine *eng, const char *s, size_t len)
{
    char *p = cs__alloc(eng, len + 1);
    if (!p) return NULL;
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

/* ---- buffer ---- */

void cs__buf_init(cs_buf *b, cs_engine *eng)
{
    b->eng = eng;
    b->p = NULL;
    b->len = b->cap = 0;
}

void cs__buf_free(cs_buf *b)
{
    cs__free(b->eng, b->p, b->cap);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Keeps room for EXTRA more bytes plus a NUL. */
int cs__buf_reserve(cs_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;
    if (__builtin_add_overflow(b->len, extra, &need) ||
        __builtin_add_overflow(need, 1, &need))
        return cs__error(b->eng, CS_EOVERFLOW, "buffer size overflow");
    if (need <= b->cap) return CS_OK;
    cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    p = cs__realloc(b->eng, b->p, b->cap, cap);
    if (!p) return cs__oom(b->eng);
    b->p = p;
    b->cap = cap;
    return CS_OK;
}

int cs__buf_add(cs_buf *b, const char *s, size_t len)
{
    int rc = cs__buf_reserve(b, len);
    if (rc) return rc;
    if (len) memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
    return CS_OK;
}

int cs__buf_addc(cs_buf *b, char c)
{
    return cs__buf_add(b, &c, 1);
}

int cs__buf_printf(cs_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n, rc;
    char small[256];
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return cs__error(b->eng, CS_EINVAL, "bad format");
    if ((size_t)n < sizeof small) return cs__buf_add(b, small, (size_t)n);
    rc = cs__buf_reserve(b, (size_t)n);
    if (rc) return rc;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return CS_OK;
}

char *cs__buf_detach(cs_buf *b)
{
    char *p;
    if (cs__buf_reserve(b, 0)) return NULL;
    b->p[b->len] = '\0';
    /* Shrink to the exact size so that cs_free_str() knows it. */
    p = cs__realloc(b->eng, b->p, b->cap, b->len + 1);
    if (!p) return NULL;
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}
