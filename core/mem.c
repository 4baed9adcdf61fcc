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
    /* The whole 2 MiB pages inside [P, P + BYTES), found as offsets from
    ** P, so that the pointer advised is derived from P. */
    const uintptr_t huge = (uintptr_t)1 << 21, a = (uintptr_t)p;
    size_t head = (size_t)(-a & (huge - 1));
    size_t tail = (size_t)((a + bytes) & (huge - 1));
    if (bytes > head + tail)
        (void)madvise((char *)p + head, bytes - head - tail, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Freed blocks this large are kept, up to CACHE_BYTES in all, for the
** next request of about their size: a query's temporaries and results
** are the size of its inputs, and the next query asks for the same
** sizes again, which would otherwise fault in fresh pages each time (a
** third of a group-by's time on a virtual machine).  Sizes are rounded
** up to whole huge pages, so that a block's class is known again from
** the size it is freed with. */
#define HUGE_PAGE ((size_t)2 << 20)
#define CACHE_BYTES ((size_t)128 << 20)

/* Under AddressSanitizer a cached block is poisoned, so that a use after
** free is still caught while the block waits for reuse. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(CS_ASAN)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static size_t block_class(size_t n)
{
    if (n < HUGE_BLOCK || n > SIZE_MAX - HUGE_PAGE) return n;
    return (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

static void cache_drop(cs__cache *c, size_t k)
{
    UNPOISON(c->p[k], c->size[k]);
    c->bytes -= c->size[k];
    c->n--;
    memmove(c->p + k, c->p + k + 1, (c->n - k) * sizeof *c->p);
    memmove(c->size + k, c->size + k + 1, (c->n - k) * sizeof *c->size);
}

/* A cached block of at least SIZE bytes, wasting at most a quarter. */
static void *cache_take(cs__cache *c, size_t size)
{
    size_t k, best = c->n;
    void *p;
    for (k = 0; k < c->n; k++)
        if (c->size[k] >= size && c->size[k] - size <= size / 4 &&
            (best == c->n || c->size[k] < c->size[best]))
            best = k;
    if (best == c->n) return NULL;
    p = c->p[best];
    cache_drop(c, best);
    return p;
}

/* Keeps P (SIZE bytes) for reuse, or frees it; the oldest go first. */
static void cache_put(cs__cache *c, void *p, size_t size)
{
    if (size > CACHE_BYTES) {
        free(p);
        return;
    }
    while (c->n && (c->n == CS__CACHE_SLOTS || c->bytes + size > CACHE_BYTES)) {
        free(c->p[0]);
        cache_drop(c, 0);
    }
    c->p[c->n] = p;
    c->size[c->n++] = size;
    c->bytes += size;
    POISON(p, size);
}

static void cache_clear(cs__cache *c)
{
    while (c->n) {
        free(c->p[0]);
        cache_drop(c, 0);
    }
}

static void *default_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    cs__cache *c = ud;
    void *p;
    if (nsize == 0) {
        if (ptr && osize >= HUGE_BLOCK) cache_put(c, ptr, block_class(osize));
        else free(ptr);
        return NULL;
    }
    nsize = block_class(nsize);
    if (!ptr && nsize >= HUGE_BLOCK && (p = cache_take(c, nsize))) return p;
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
    *out = NULL;
    eng = alloc ? alloc(ud, NULL, 0, sizeof *eng) : malloc(sizeof *eng);
    if (!eng) return CS_ENOMEM;
    memset(eng, 0, sizeof *eng);
    eng->alloc = alloc ? alloc : default_alloc;
    eng->ud = alloc ? ud : &eng->cache;
    *out = eng;
    return CS_OK;
}

void cs_engine_free(cs_engine *eng)
{
    if (!eng) return;
    if (eng->alloc == default_alloc) {
        cache_clear(&eng->cache);
        free(eng);
        return;
    }
    eng->alloc(eng->ud, eng, sizeof *eng, 0);
}

void cs_engine_trim(cs_engine *eng)
{
    if (eng->alloc == default_alloc) cache_clear(&eng->cache);
}

void cs_engine_interrupt(cs_engine *eng) { eng->interrupted = 1; }
void cs_engine_clear_interrupt(cs_engine *eng) { eng->interrupted = 0; }

void cs_engine_set_progress(cs_engine *eng, cs_progress_fn fn, void *ud)
{
    eng->progress = fn;
    eng->progress_ud = ud;
}

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
