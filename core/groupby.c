/*
** groupby.c: grouping and aggregation (agg, distinct, pivot).
** Every row first gets a dense uint32 group id, groups numbered in the
** order of their first row; aggregates then run a column at a time over
** (group id, value) into arrays indexed by group id.  All temporary
** state lives in one arena per operation, freed in one call.
*/
#include "csint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef __int128 i128;

/* Rows between two looks at the interrupt flag. */
#define CHUNK 65536
#define NONE UINT32_MAX

/* ------------------------------------------------------------------ */
/* Arena: every temporary block of one operation, freed together.      */
/* ------------------------------------------------------------------ */
/* The header keeps blocks 16-byte aligned (sums are __int128). */
typedef struct blk {
    struct blk *prev, *next;
    size_t size, pad;
} blk;

typedef struct arena {
    cs_engine *eng;
    blk *head;
} arena;

_Static_assert(sizeof(blk) % 16 == 0, "arena header keeps alignment");

static void *ar_alloc(arena *a, size_t count, size_t size)
{
    size_t bytes;
    blk *b;
    if (!cs__mul_ok(count ? count : 1, size, &bytes) ||
        bytes > SIZE_MAX - sizeof(blk))
        return NULL;
    b = cs__alloc(a->eng, sizeof(blk) + bytes);
    if (!b) return NULL;
    b->size = bytes;
    b->prev = NULL;
    b->next = a->head;
    if (a->head) a->head->prev = b;
    a->head = b;
    return b + 1;
}

static void ar_release(arena *a, void *p)
{
    blk *b;
    if (!p) return;
    b = (blk *)p - 1;
    if (b->prev) b->prev->next = b->next;
    else a->head = b->next;
    if (b->next) b->next->prev = b->prev;
    cs__free(a->eng, b, sizeof(blk) + b->size);
}

static void ar_free(arena *a)
{
    while (a->head) ar_release(a, a->head + 1);
}

/* ------------------------------------------------------------------ */
/* A grouping: a group id per row.                                      */
/* ------------------------------------------------------------------ */
typedef struct agg agg;
typedef struct sref sref;

/* The running state of an aggregate that streams (see stream_update). */
typedef struct stream {
    const agg *a;
    size_t cap;       /* groups the state has room for */
    int pairs;        /* sums and counts side by side (X has nulls) */
    int safe;         /* int64 sums that cannot leave the range */
    int sentinel;     /* min/max: the starting value is no value of X's,
                      ** so a group still holding it has none: no counts */
    int64_t *cnt;     /* non-null values per group, when X has nulls */
    void *acc;        /* sums (or pairs), or the best value of each group */
    i128 *wide;       /* int64 sums once one overflowed */
    uint32_t *rank;   /* string min/max: the byte rank of each code */
    sref *refs;       /* ... and the dictionary in that order */
} stream;

typedef struct gb {
    cs_engine *eng;
    arena *ar;
    size_t n;          /* rows */
    uint64_t limit;    /* the largest id range worth a direct array */
    uint32_t *gid;     /* n group ids */
    size_t ng;         /* groups */
    uint32_t *first;   /* ng positions: the first row of each group */
    int64_t *gsize;    /* ng row counts, made on demand */
    stream *st;        /* aggregates that may ride along the grouping */
    size_t nst;
    int fused;         /* ... and did: their state is complete */
    int want_gid;      /* GID is needed after grouping */
    int want_sizes;    /* so are the group sizes */
} gb;

/* Groups up to this many: their sizes are counted while grouping, and
** streamed aggregates ride along (their state stays in cache). */
#define FUSE_GROUPS 65536

static int stream_init(gb *G, stream *s, const agg *a, size_t cap);
static int stream_update(gb *G, stream *s, const uint32_t *gg, size_t c0,
                         size_t m);

#define NEW(p, count)                                                    \
    do {                                                                 \
        if (!((p) = ar_alloc(G->ar, (count), sizeof *(p)))) {            \
            rc = cs__oom(G->eng);                                        \
            goto fail;                                                   \
        }                                                                \
    } while (0)

#define CHECK_INTERRUPT()                                                \
    do {                                                                 \
        if (G->eng->interrupted) {                                       \
            rc = cs__check_interrupt(G->eng);                            \
            goto fail;                                                   \
        }                                                                \
    } while (0)

/* Runs the statements for each row position i < n, with r its row in
** the base column (through SEL), in chunks between interrupt checks.
** The dense loop stays free of branches so that it can vectorise. */
#define ROWS(...)                                                        \
    do {                                                                 \
        size_t c0_, c1_, i;                                              \
        for (c0_ = 0; c0_ < n; c0_ = c1_) {                              \
            c1_ = n - c0_ > CHUNK ? c0_ + CHUNK : n;                     \
            if (!sel) {                                                  \
                for (i = c0_; i < c1_; i++) {                            \
                    const size_t r = i;                                  \
                    (void)r;                                             \
                    __VA_ARGS__                                          \
                }                                                        \
            } else {                                                     \
                for (i = c0_; i < c1_; i++) {                            \
                    const size_t r = sel[i];                             \
                    (void)r;                                             \
                    __VA_ARGS__                                          \
                }                                                        \
            }                                                            \
            CHECK_INTERRUPT();                                           \
        }                                                                \
    } while (0)

/* The same over the rows whose value is not null (VALID may be NULL). */
#define SCAN(...)                                                        \
    do {                                                                 \
        size_t c0_, c1_, i;                                              \
        for (c0_ = 0; c0_ < n; c0_ = c1_) {                              \
            c1_ = n - c0_ > CHUNK ? c0_ + CHUNK : n;                     \
            if (!sel && !valid) {                                        \
                for (i = c0_; i < c1_; i++) {                            \
                    const size_t r = i;                                  \
                    (void)r;                                             \
                    __VA_ARGS__                                          \
                }                                                        \
            } else if (!sel) {                                           \
                for (i = c0_; i < c1_; i++) {                            \
                    const size_t r = i;                                  \
                    if (cs__bit(valid, r)) { __VA_ARGS__ }               \
                }                                                        \
            } else if (!valid) {                                         \
                for (i = c0_; i < c1_; i++) {                            \
                    const size_t r = sel[i];                             \
                    (void)r;                                             \
                    __VA_ARGS__                                          \
                }                                                        \
            } else {                                                     \
                for (i = c0_; i < c1_; i++) {                            \
                    const size_t r = sel[i];                             \
                    if (cs__bit(valid, r)) { __VA_ARGS__ }               \
                }                                                        \
            }                                                            \
            CHECK_INTERRUPT();                                           \
        }                                                                \
    } while (0)

/* SCAN over a numeric column COL, its values read as vv[r]. */
#define NUM_CASES(col, ...)                                              \
    switch ((col)->type) {                                               \
    case CS_TYPE_I64: {                                                  \
        const int64_t *vv = (col)->data;                                 \
        SCAN(__VA_ARGS__);                                               \
        break;                                                           \
    }                                                                    \
    case CS_TYPE_F64: {                                                  \
        const double *vv = (col)->data;                                  \
        SCAN(__VA_ARGS__);                                               \
        break;                                                           \
    }                                                                    \
    case CS_TYPE_BOOL: {                                                 \
        const uint8_t *vv = (col)->data;                                 \
        SCAN(__VA_ARGS__);                                               \
        break;                                                           \
    }                                                                    \
    case CS_TYPE_DATE: {                                                 \
        const int32_t *vv = (col)->data;                                 \
        SCAN(__VA_ARGS__);                                               \
        break;                                                           \
    }                                                                    \
    default:                                                             \
        break;                                                           \
    }

/* Sets IDS[i] to NULLID for the rows whose value is null. */
static void fix_nulls(uint32_t *ids, size_t n, const uint64_t *valid,
                      const uint32_t *sel, uint32_t nullid)
{
    size_t i;
    if (!valid) return;
    if (sel) {
        for (i = 0; i < n; i++)
            if (!cs__bit(valid, sel[i])) ids[i] = nullid;
        return;
    }
    for (i = 0; i < n; i += 64) {
        uint64_t w = ~valid[i >> 6];
        if (n - i < 64) w &= ((uint64_t)1 << (n - i)) - 1;
        while (w) {
            ids[i + (size_t)__builtin_ctzll(w)] = nullid;
            w &= w - 1;
        }
    }
}

/* Renumbers IDS (each < CARD) in the order of first appearance; *FIRSTP
** gets the first row of each of the *NGP ids. */
static int densify(gb *G, uint32_t *ids, uint64_t card, uint32_t **firstp,
                   size_t *ngp)
{
    uint32_t *map = NULL, *first = NULL;
    size_t n = G->n, ng = 0, c0, c1, i;
    int rc = CS_OK;
    NEW(map, card);
    NEW(first, card < n ? card : n);
    memset(map, 0xFF, card * sizeof *map);
    for (c0 = 0; c0 < n; c0 = c1) {
        c1 = n - c0 > CHUNK ? c0 + CHUNK : n;
        for (i = c0; i < c1; i++) {
            uint32_t v = ids[i], m = map[v];
            if (m == NONE) {
                m = map[v] = (uint32_t)ng;
                first[ng++] = (uint32_t)i;
            }
            ids[i] = m;
        }
        CHECK_INTERRUPT();
    }
    ar_release(G->ar, map);
    *firstp = first;
    *ngp = ng;
    return CS_OK;
fail:
    ar_release(G->ar, map);
    ar_release(G->ar, first);
    return rc;
}

/* ---- hash grouping: open addressing, linear probing ---- */
typedef struct hslot {
    uint64_t k;
    uint32_t id;    /* NONE: empty */
    uint32_t pad;
} hslot;

typedef struct htab {
    hslot *s;
    size_t cap, n;
    unsigned shift;
} htab;

static inline size_t hpos(uint64_t k, unsigned shift)
{
    k ^= k >> 32;
    return (size_t)((k * 0x9E3779B97F4A7C15ull) >> shift);
}

static int htab_init(gb *G, htab *t, unsigned bits)
{
    int rc = CS_OK;
    t->cap = (size_t)1 << bits;
    t->shift = 64 - bits;
    t->n = 0;
    NEW(t->s, t->cap);
    memset(t->s, 0xFF, t->cap * sizeof *t->s);   /* every id NONE */
fail:
    return rc;
}

static int htab_grow(gb *G, htab *t)
{
    htab nt;
    size_t i;
    int rc = htab_init(G, &nt, 65 - t->shift);
    if (rc) return rc;
    for (i = 0; i < t->cap; i++) {
        size_t p;
        if (t->s[i].id == NONE) continue;
        p = hpos(t->s[i].k, nt.shift);
        while (nt.s[p].id != NONE) p = (p + 1) & (nt.cap - 1);
        nt.s[p] = t->s[i];
    }
    nt.n = t->n;
    ar_release(G->ar, t->s);
    *t = nt;
    return CS_OK;
}

/* Appends row I to a growing array of first rows. */
static int push_first(gb *G, uint32_t **first, size_t *cap, size_t ng,
                      size_t i)
{
    int rc = CS_OK;
    if (ng == *cap) {
        uint32_t *nf;
        size_t ncap = *cap ? *cap * 2 : 1024;
        NEW(nf, ncap);
        if (ng) memcpy(nf, *first, ng * sizeof *nf);
        ar_release(G->ar, *first);
        *first = nf;
        *cap = ncap;
    }
    (*first)[ng] = (uint32_t)i;
fail:
    return rc;
}

enum { SRC_I64, SRC_F64, SRC_DATE, SRC_CODE, SRC_PAIR };

static inline uint64_t fkey(double d)
{
    uint64_t b;
    if (d != d) return 0x7FF8000000000000ull;   /* every NaN is one key */
    if (d == 0) d = 0;                          /* and -0 is 0 */
    memcpy(&b, &d, sizeof b);
    return b;
}

/* The key of position I for hash_group (unspecified for a null row). */
static inline uint64_t key_at(int kind, const void *data,
                              const uint32_t *sel, const uint32_t *b,
                              uint64_t mul, const uint32_t *ids, size_t i)
{
    size_t r = sel ? sel[i] : i;
    switch (kind) {
    case SRC_I64: return (uint64_t)((const int64_t *)data)[r];
    case SRC_F64: return fkey(((const double *)data)[r]);
    case SRC_DATE: return (uint64_t)(int64_t)((const int32_t *)data)[r];
    case SRC_CODE: return ((const uint32_t *)data)[r];
    default: return (uint64_t)ids[i] * mul + b[i];
    }
}

/* Rows ahead whose slot is prefetched: probes miss the cache once the
** table outgrows it, and several misses then overlap. */
#define AHEAD 16

/* Groups rows by hashing: the key of position i is the value at its row
** (KIND, DATA, VALID, SEL), or for SRC_PAIR IDS[i] * MUL + B[i].  Writes
** first-appearance ids into IDS; nulls form a group of their own. */
static int hash_group(gb *G, int kind, const void *data,
                      const uint64_t *valid, const uint32_t *sel,
                      const uint32_t *b, uint64_t mul, uint32_t *ids,
                      uint32_t **firstp, size_t *ngp)
{
    htab t = {NULL, 0, 0, 0};
    uint32_t *first = NULL, nullid = NONE;
    size_t n = G->n, ng = 0, fcap = 0, c0, c1, i;
    int rc = htab_init(G, &t, 10);
    if (rc) return rc;
    for (c0 = 0; c0 < n; c0 = c1) {
        c1 = n - c0 > CHUNK ? c0 + CHUNK : n;
        for (i = c0; i < c1; i++) {
            size_t r = sel ? sel[i] : i, p;
            uint64_t k;
            uint32_t id;
            if (i + AHEAD < c1)
                __builtin_prefetch(&t.s[hpos(key_at(kind, data, sel, b, mul,
                                                    ids, i + AHEAD),
                                             t.shift)]);
            if (valid && !cs__bit(valid, r)) {
                if (nullid == NONE) {
                    if ((rc = push_first(G, &first, &fcap, ng, i))) goto fail;
                    nullid = (uint32_t)ng++;
                }
                ids[i] = nullid;
                continue;
            }
            k = key_at(kind, data, sel, b, mul, ids, i);
            p = hpos(k, t.shift);
            for (;;) {
                hslot *s = &t.s[p];
                if (s->id == NONE) {
                    if ((rc = push_first(G, &first, &fcap, ng, i))) goto fail;
                    s->k = k;
                    s->id = id = (uint32_t)ng++;
                    if (++t.n * 2 > t.cap && (rc = htab_grow(G, &t)))
                        goto fail;
                    break;
                }
                if (s->k == k) {
                    id = s->id;
                    break;
                }
                p = (p + 1) & (t.cap - 1);
            }
            ids[i] = id;
        }
        CHECK_INTERRUPT();
    }
    ar_release(G->ar, t.s);
    t.s = NULL;
    if (!first) NEW(first, 1);
    *firstp = first;
    *ngp = ng;
    return CS_OK;
fail:
    ar_release(G->ar, t.s);
    ar_release(G->ar, first);
    return rc;
}

/* Per-key ids of column COL (rows SEL) into IDS: either raw ids below
** *CARD (dictionary codes, offsets from the minimum; *FIRST NULL), or
** first-appearance ids from a hash (*FIRST their first rows, *CARD
** their number). */
static int key_ids(gb *G, const cs_column *col, const uint32_t *sel,
                   uint32_t *ids, uint64_t *card, uint32_t **first)
{
    const uint64_t *valid = col->valid;
    size_t n = G->n, ng = 0;
    int rc = CS_OK;
    *first = NULL;
    switch (col->type) {
    case CS_TYPE_STR: {
        const uint32_t *v = col->data;
        uint32_t d = col->dict->n;
        if ((uint64_t)d + 1 > G->limit) {
            rc = hash_group(G, SRC_CODE, v, valid, sel, NULL, 0, ids, first,
                            &ng);
            *card = ng;
            return rc;
        }
        ROWS(ids[i] = v[r];);
        fix_nulls(ids, n, valid, sel, d);
        *card = (uint64_t)d + 1;
        return CS_OK;
    }
    case CS_TYPE_BOOL: {
        const uint8_t *v = col->data;
        ROWS(ids[i] = v[r];);
        fix_nulls(ids, n, valid, sel, 2);
        *card = 3;
        return CS_OK;
    }
    case CS_TYPE_I64: {
        const int64_t *v = col->data;
        int64_t lo, hi;
        uint64_t range;
        cs__column_range(col, sel, n, &lo, &hi);
        if (lo > hi) lo = hi = 0;           /* all null */
        range = (uint64_t)hi - (uint64_t)lo;
        if (range >= G->limit - 1) {
            rc = hash_group(G, SRC_I64, v, valid, sel, NULL, 0, ids, first,
                            &ng);
            *card = ng;
            return rc;
        }
        ROWS(ids[i] = (uint32_t)((uint64_t)v[r] - (uint64_t)lo););
        fix_nulls(ids, n, valid, sel, (uint32_t)range + 1);
        *card = range + 2;
        return CS_OK;
    }
    case CS_TYPE_DATE: {
        const int32_t *v = col->data;
        int64_t lo, hi;
        uint64_t range;
        cs__column_range(col, sel, n, &lo, &hi);
        if (lo > hi) lo = hi = 0;
        range = (uint64_t)((int64_t)hi - (int64_t)lo);
        if (range >= G->limit - 1) {
            rc = hash_group(G, SRC_DATE, v, valid, sel, NULL, 0, ids, first,
                            &ng);
            *card = ng;
            return rc;
        }
        ROWS(ids[i] = (uint32_t)((int64_t)v[r] - (int64_t)lo););
        fix_nulls(ids, n, valid, sel, (uint32_t)range + 1);
        *card = range + 2;
        return CS_OK;
    }
    case CS_TYPE_F64:
        rc = hash_group(G, SRC_F64, col->data, valid, sel, NULL, 0, ids,
                        first, &ng);
        *card = ng;
        return rc;
    }
    rc = cs__error(G->eng, CS_ETYPE, "cannot group by this column");
fail:
    return rc;
}

/* Folds ids B (below CB; BFIRST non-NULL when first-appearance ids) into
** the running ids ACC (below *CARD; *AFIRST likewise). */
static int combine(gb *G, uint32_t *acc, uint64_t *card, uint32_t **afirst,
                   uint32_t *b, uint64_t cb, uint32_t *bfirst)
{
    uint64_t prod;
    size_t n = G->n, ng = 0, c0, c1, i;
    int rc = CS_OK;
    int big = __builtin_mul_overflow(*card, cb, &prod) || prod > G->limit;
    if (big && !*afirst) {
        if ((rc = densify(G, acc, *card, afirst, &ng))) goto fail;
        *card = ng ? ng : 1;
    }
    if (big && !bfirst) {
        if ((rc = densify(G, b, cb, &bfirst, &ng))) goto fail;
        cb = ng ? ng : 1;
    }
    ar_release(G->ar, bfirst);
    big = __builtin_mul_overflow(*card, cb, &prod) || prod > G->limit;
    if (big) {
        ar_release(G->ar, *afirst);
        *afirst = NULL;
        rc = hash_group(G, SRC_PAIR, NULL, NULL, NULL, b, cb, acc, afirst,
                        &ng);
        *card = ng;
        return rc;
    }
    ar_release(G->ar, *afirst);
    *afirst = NULL;
    for (c0 = 0; c0 < n; c0 = c1) {
        c1 = n - c0 > CHUNK ? c0 + CHUNK : n;
        for (i = c0; i < c1; i++) acc[i] = acc[i] * (uint32_t)cb + b[i];
        CHECK_INTERRUPT();
    }
    *card = prod;
    return CS_OK;
fail:
    return rc;
}

/* A key whose ids index an array directly: a dictionary code, a bool,
** or an offset from the minimum; null takes the last id, CARD - 1. */
typedef struct dkey {
    const cs_column *col;
    const uint32_t *sel;
    int64_t lo;
    uint64_t card;
} dkey;

/* Fills K for column COL; *OK is 0 when its range is too wide. */
static void direct_key(gb *G, const cs_column *col, const uint32_t *sel,
                       dkey *k, int *ok)
{
    uint64_t range = 0;
    k->col = col;
    k->sel = sel;
    k->lo = 0;
    *ok = 0;
    switch (col->type) {
    case CS_TYPE_STR:
        range = col->dict->n ? col->dict->n : 1;
        break;
    case CS_TYPE_BOOL:
        range = 2;
        break;
    case CS_TYPE_I64: case CS_TYPE_DATE: {
        int64_t lo, hi;
        cs__column_range(col, sel, G->n, &lo, &hi);
        if (lo > hi) lo = hi = 0;           /* all null */
        range = (uint64_t)hi - (uint64_t)lo + 1;
        k->lo = lo;
        break;
    }
    default:
        return;
    }
    /* RANGE 0 is a wrapped 2^64: as wide as can be. */
    if (range == 0 || range >= G->limit) return;
    k->card = range + 1;
    *ok = 1;
}

/* BUF[j] = BUF[j] * MUL + the id of position C0 + j, for j < M. */
static void fold_key(const dkey *k, uint32_t *buf, size_t c0, size_t m,
                     uint32_t mul)
{
    const cs_column *col = k->col;
    const uint32_t *sel = k->sel ? k->sel + c0 : NULL;
    const uint64_t *valid = col->valid;
    uint32_t nullid = (uint32_t)(k->card - 1);
    size_t j;
#define FOLD(T, RAW)                                                     \
    do {                                                                 \
        const T *v = col->data;                                          \
        if (!sel && !valid) {                                            \
            const T *w = v + c0;                                         \
            for (j = 0; j < m; j++) {                                    \
                T x = w[j];                                              \
                buf[j] = buf[j] * mul + (uint32_t)(RAW);                 \
            }                                                            \
        } else if (!valid) {                                             \
            for (j = 0; j < m; j++) {                                    \
                T x = v[sel[j]];                                         \
                buf[j] = buf[j] * mul + (uint32_t)(RAW);                 \
            }                                                            \
        } else {                                                         \
            for (j = 0; j < m; j++) {                                    \
                size_t r = sel ? sel[j] : c0 + j;                        \
                T x = v[r];                                              \
                uint32_t id = cs__bit(valid, r) ? (uint32_t)(RAW) : nullid; \
                buf[j] = buf[j] * mul + id;                              \
            }                                                            \
        }                                                                \
    } while (0)
    switch (col->type) {
    case CS_TYPE_STR: FOLD(uint32_t, x); break;
    case CS_TYPE_BOOL: FOLD(uint8_t, x); break;
    case CS_TYPE_I64: FOLD(int64_t, (uint64_t)x - (uint64_t)k->lo); break;
    case CS_TYPE_DATE: FOLD(int32_t, (int64_t)x - k->lo); break;
    default: break;
    }
#undef FOLD
}

/* Groups by direct keys whose ids combine below CARD: a chunk at a time,
** the keys fold into one composite id in a cached buffer, which a direct
** array maps to first-appearance group ids.  When the groups are few,
** counts their sizes and feeds the streamed aggregates on the way, and
** writes the ids only when something else needs them. */
static int group_direct(gb *G, const dkey *keys, size_t nk, uint64_t card)
{
    uint32_t *buf = NULL, *map = NULL, *first = NULL, *gid = NULL;
    int64_t *gs = NULL;
    size_t n = G->n, cap = card < n ? card : n, ng = 0, c0, m, j, k;
    size_t nbuf = n < CHUNK ? n : CHUNK;
    int rc = CS_OK, fuse = cap <= FUSE_GROUPS && G->nst;
    if (!fuse || G->want_gid) NEW(gid, n);
    NEW(buf, nbuf);
    NEW(map, card);
    NEW(first, cap);
    memset(buf, 0, nbuf * sizeof *buf);
    memset(map, 0xFF, card * sizeof *map);
    /* Few groups: their sizes cost little here and a pass later.  Many:
    ** scattered increments are better left to the aggregates that need
    ** them. */
    if (cap <= FUSE_GROUPS && G->want_sizes) {
        NEW(gs, cap);
        memset(gs, 0, cap * sizeof *gs);
    }
    for (k = 0; fuse && k < G->nst; k++)
        if ((rc = stream_init(G, &G->st[k], G->st[k].a, cap))) goto fail;
    for (c0 = 0; c0 < n; c0 += m) {
        uint32_t *out = gid ? gid + c0 : buf;
        m = n - c0 < CHUNK ? n - c0 : CHUNK;
        for (k = 0; k < nk; k++)
            fold_key(&keys[k], buf, c0, m, k ? (uint32_t)keys[k].card : 0);
        for (j = 0; j < m; j++) {
            uint32_t v = buf[j], g = map[v];
            if (g == NONE) {
                g = map[v] = (uint32_t)ng;
                first[ng++] = (uint32_t)(c0 + j);
            }
            out[j] = g;
            if (gs) gs[g]++;
        }
        for (k = 0; fuse && k < G->nst; k++)
            if ((rc = stream_update(G, &G->st[k], out, c0, m))) goto fail;
        CHECK_INTERRUPT();
    }
    ar_release(G->ar, buf);
    ar_release(G->ar, map);
    G->gid = gid;
    G->first = first;
    G->gsize = gs;
    G->ng = ng;
    G->fused = fuse;
    return CS_OK;
fail:
    ar_release(G->ar, gid);
    ar_release(G->ar, buf);
    ar_release(G->ar, map);
    ar_release(G->ar, first);
    ar_release(G->ar, gs);
    return rc;
}

/* Groups the rows of DS by its columns KIDX[0..NK). */
static int group_keys(gb *G, const cs_dataset *ds, const size_t *kidx,
                      size_t nk)
{
    uint32_t *tmp = NULL, *afirst = NULL;
    dkey *dk = NULL;
    uint64_t card = 1;
    size_t k, n = G->n;
    int rc = CS_OK;
    if (n == 0) {
        /* No row: one group of nothing without keys, else none. */
        NEW(G->gid, 1);
        NEW(G->first, 1);
        G->first[0] = 0;
        G->ng = nk == 0;
        return CS_OK;
    }
    /* The usual case: every key direct, and their product small. */
    NEW(dk, nk ? nk : 1);
    for (k = 0; k < nk; k++) {
        const uint32_t *sel;
        const cs_column *col = cs__dataset_base(ds, kidx[k], &sel);
        int ok;
        direct_key(G, col, sel, &dk[k], &ok);
        if (!ok || __builtin_mul_overflow(card, dk[k].card, &card) ||
            card > G->limit)
            break;
    }
    if (k == nk) {
        rc = group_direct(G, dk, nk, card);
        ar_release(G->ar, dk);
        return rc;
    }
    ar_release(G->ar, dk);
    dk = NULL;
    card = 1;
    NEW(G->gid, n);
    for (k = 0; k < nk; k++) {
        const uint32_t *sel;
        const cs_column *col = cs__dataset_base(ds, kidx[k], &sel);
        uint32_t *bfirst;
        uint64_t cb;
        if (k == 0) {
            rc = key_ids(G, col, sel, G->gid, &card, &afirst);
            if (rc) goto fail;
            continue;
        }
        if (!tmp) NEW(tmp, n);
        if ((rc = key_ids(G, col, sel, tmp, &cb, &bfirst))) goto fail;
        if ((rc = combine(G, G->gid, &card, &afirst, tmp, cb, bfirst)))
            goto fail;
    }
    ar_release(G->ar, tmp);
    tmp = NULL;
    if (!afirst) {
        if ((rc = densify(G, G->gid, card ? card : 1, &afirst, &G->ng)))
            goto fail;
    } else {
        G->ng = card;
    }
    G->first = afirst;
    return CS_OK;
fail:
    ar_release(G->ar, dk);
    ar_release(G->ar, tmp);
    ar_release(G->ar, afirst);
    return rc;
}

static int gsizes(gb *G)
{
    const uint32_t *gid = G->gid;
    size_t n = G->n, c0, c1, i;
    int64_t *s;
    int rc = CS_OK;
    if (G->gsize) return CS_OK;
    if (!G->gid)
        return cs__error(G->eng, CS_EMISUSE,
                         "internal error: group sizes without group ids");
    NEW(s, G->ng);
    memset(s, 0, G->ng * sizeof *s);
    for (c0 = 0; c0 < n; c0 = c1) {
        c1 = n - c0 > CHUNK ? c0 + CHUNK : n;
        for (i = c0; i < c1; i++) s[gid[i]]++;
        CHECK_INTERRUPT();
    }
    G->gsize = s;
    return CS_OK;
fail:
    ar_release(G->ar, s);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Aggregate specifications                                            */
/* ------------------------------------------------------------------ */
enum {
    F_COUNT_ROWS, F_COUNT, F_COUNT_DISTINCT, F_SUM, F_MEAN, F_WMEAN, F_MIN,
    F_MAX, F_MEDIAN, F_QUANTILE, F_STDDEV, F_VAR, F_FIRST, F_LAST, F_SHARE
};

static const char *const fnames[] = {
    "count", "count", "count_distinct", "sum", "mean", "wmean", "min",
    "max", "median", "quantile", "stddev", "var", "first", "last", "share"};

#define KNOWN                                                            \
    "count, count_distinct, sum, mean, wmean, min, max, median, "        \
    "quantile, stddev, var, first, last, share"

/* An argument: a column read through SEL, or an expression evaluated
** into OWNED when the aggregate runs. */
typedef struct arg {
    const cs_column *col;
    const uint32_t *sel;
    cs_expr *expr;
    cs_column *owned;
    cs_type type;
} arg;

struct agg {
    const char *text;   /* trimmed, for messages */
    int tlen;
    char *name;
    int fn;
    double q;
    arg x, w;
};

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static void trim(const char **s, size_t *len)
{
    while (*len && is_space(**s)) (*s)++, (*len)--;
    while (*len && is_space((*s)[*len - 1])) (*len)--;
}

static int is_ident_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

/* Sets an error naming aggregate A and returns RC. */
static int agg_error(cs_engine *eng, const agg *a, int rc, const char *what)
{
    return cs__error(eng, rc, "aggregate '%.*s': %s", a->tlen, a->text, what);
}

/* Parses SPEC into A: the function, its arguments' text and the name. */
static int parse_agg(gb *G, const char *spec, agg *a, const char **argv,
                     size_t *argl, size_t *nargs)
{
    const char *t = spec, *p, *end, *fn;
    size_t tl = strlen(spec), fl, na = 0, k;
    char msg[256], quote = 0;
    int depth = 1, rc = CS_OK;
    const char *argstart;
    trim(&t, &tl);
    a->text = t;
    a->tlen = tl > 200 ? 200 : (int)tl;
    end = t + tl;
    fn = p = t;
    while (p < end && is_ident_char((unsigned char)*p)) p++;
    fl = (size_t)(p - fn);
    while (p < end && is_space(*p)) p++;
    if (fl == 0 || p == end || *p != '(')
        return agg_error(G->eng, a, CS_EPARSE,
                         "expected a function call such as sum(x)");
    argstart = ++p;
    for (; p < end; p++) {
        char c = *p;
        if (quote) {
            if (c == '\\' && quote != '`' && p + 1 < end) p++;
            else if (c == quote) quote = 0;
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') quote = c;
        else if (c == '(') depth++;
        else if (c == ')' && --depth == 0) break;
        else if (c == ',' && depth == 1) {
            if (na < 3) {
                argv[na] = argstart;
                argl[na] = (size_t)(p - argstart);
            }
            na++;
            argstart = p + 1;
        }
    }
    if (quote)
        return agg_error(G->eng, a, CS_EPARSE, "unterminated quote");
    if (p == end) return agg_error(G->eng, a, CS_EPARSE, "missing ')'");
    if (na < 3) {
        argv[na] = argstart;
        argl[na] = (size_t)(p - argstart);
    }
    na++;
    for (k = 0; k < na && k < 3; k++) trim(&argv[k], &argl[k]);
    if (na == 1 && argl[0] == 0) na = 0;
    /* SQL's count(*) is count(). */
    if (na == 1 && fl == 5 && memcmp(fn, "count", 5) == 0 && argl[0] == 1 &&
        argv[0][0] == '*')
        na = 0;
    /* After the call: nothing, or "as NAME". */
    p++;
    while (p < end && is_space(*p)) p++;
    if (p < end) {
        const char *nm;
        size_t nl;
        if (end - p < 2 || (p[0] != 'a' && p[0] != 'A') ||
            (p[1] != 's' && p[1] != 'S') || (end - p > 2 && !is_space(p[2]))) {
            snprintf(msg, sizeof msg, "unexpected '%.*s' after ')'",
                     end - p > 40 ? 40 : (int)(end - p), p);
            return agg_error(G->eng, a, CS_EPARSE, msg);
        }
        nm = p + 2;
        nl = (size_t)(end - nm);
        trim(&nm, &nl);
        if (nl >= 2 && nm[0] == '`' && nm[nl - 1] == '`') nm++, nl -= 2;
        if (nl == 0)
            return agg_error(G->eng, a, CS_EPARSE,
                             "expected a name after 'as'");
        a->name = cs__strndup(G->eng, nm, nl);
    } else {
        a->name = cs__strndup(G->eng, t, tl);
    }
    if (!a->name) return cs__oom(G->eng);
    /* The function and its arity. */
    for (k = 0; k < sizeof fnames / sizeof fnames[0]; k++)
        if (strlen(fnames[k]) == fl && memcmp(fnames[k], fn, fl) == 0) break;
    if (k == sizeof fnames / sizeof fnames[0]) {
        snprintf(msg, sizeof msg, "unknown function '%.*s' (known: %s)",
                 fl > 40 ? 40 : (int)fl, fn, KNOWN);
        return agg_error(G->eng, a, CS_ENOTFOUND, msg);
    }
    a->fn = (int)k;
    if (a->fn == F_COUNT_ROWS) {
        if (na > 1)
            return agg_error(G->eng, a, CS_EPARSE,
                             "count takes 0 or 1 argument");
        a->fn = na ? F_COUNT : F_COUNT_ROWS;
    } else if (a->fn == F_WMEAN || a->fn == F_QUANTILE) {
        if (na != 2) {
            snprintf(msg, sizeof msg, "%s takes 2 arguments (%s), got %zu",
                     fnames[a->fn], a->fn == F_WMEAN ? "x, w" : "x, q", na);
            return agg_error(G->eng, a, CS_EPARSE, msg);
        }
    } else if (na != 1) {
        snprintf(msg, sizeof msg, "%s takes 1 argument, got %zu",
                 fnames[a->fn], na);
        return agg_error(G->eng, a, CS_EPARSE, msg);
    }
    for (k = 0; k < na; k++)
        if (argl[k] == 0)
            return agg_error(G->eng, a, CS_EPARSE, "empty argument");
    if (a->fn == F_QUANTILE) {
        char num[64], *e;
        double q;
        if (argl[1] >= sizeof num)
            return agg_error(G->eng, a, CS_EPARSE,
                             "quantile's q must be a number");
        memcpy(num, argv[1], argl[1]);
        num[argl[1]] = '\0';
        q = strtod(num, &e);
        if (*e || e == num)
            return agg_error(G->eng, a, CS_EPARSE,
                             "quantile's q must be a number");
        if (!(q >= 0 && q <= 1)) {
            snprintf(msg, sizeof msg,
                     "quantile's q must be between 0 and 1, got %s", num);
            return agg_error(G->eng, a, CS_EINVAL, msg);
        }
        a->q = q;
    } else if (a->fn == F_MEDIAN) {
        a->q = 0.5;
    }
    *nargs = na;
    return rc;
}

/* Resolves argument text S[0..LEN) of A: a column name (bare or in
** backquotes) is read in place; anything else is compiled. */
static int resolve_arg(gb *G, const cs_dataset *ds, const agg *a,
                       const char *s, size_t len, arg *x)
{
    char *text;
    const char *nm = s;
    size_t nl = len, k;
    ptrdiff_t idx = -1;
    int plain = 1, rc;
    if (nl >= 2 && s[0] == '`' && s[nl - 1] == '`') {
        nm++, nl -= 2;
        for (k = 0; k < nl; k++)
            if (nm[k] == '`') plain = 0;
    } else {
        for (k = 0; k < nl; k++)
            if (!is_ident_char((unsigned char)nm[k])) plain = 0;
        if (nl && nm[0] >= '0' && nm[0] <= '9') plain = 0;
    }
    if (plain) {
        if (!(text = cs__strndup(G->eng, nm, nl))) return cs__oom(G->eng);
        idx = cs_dataset_find(ds, text);
        cs__free(G->eng, text, nl + 1);
    }
    if (idx < 0) {
        size_t ci;
        if (!(text = cs__strndup(G->eng, s, len))) return cs__oom(G->eng);
        rc = cs_expr_compile(ds, text, &x->expr);
        cs__free(G->eng, text, len + 1);
        if (rc) {
            char msg[512];
            if (rc == CS_ENOMEM) return rc;
            snprintf(msg, sizeof msg, "%s", cs_errmsg(G->eng));
            return agg_error(G->eng, a, rc, msg);
        }
        x->type = cs_expr_type(x->expr);
        if (!cs_expr_is_column(x->expr, &ci)) return CS_OK;
        cs_expr_free(x->expr);
        x->expr = NULL;
        idx = (ptrdiff_t)ci;
    }
    x->col = cs__dataset_base(ds, (size_t)idx, &x->sel);
    x->type = x->col->type;
    return CS_OK;
}

/* Checks the argument types of A. */
static int check_types(gb *G, const agg *a)
{
    static const char *const verbs[] = {
        "", "", "", "sum", "take the mean of", "take the weighted mean of",
        "", "", "take the median of", "take a quantile of",
        "take the standard deviation of", "take the variance of", "", "",
        "take the share of"};
    char msg[160];
    cs_type t = a->x.type;
    switch (a->fn) {
    case F_COUNT_ROWS: case F_COUNT: case F_COUNT_DISTINCT: case F_MIN:
    case F_MAX: case F_FIRST: case F_LAST:
        return CS_OK;
    case F_WMEAN:
        if (a->w.type == CS_TYPE_STR || a->w.type == CS_TYPE_DATE) {
            snprintf(msg, sizeof msg, "the weight cannot be a %s column",
                     cs_type_name(a->w.type));
            return agg_error(G->eng, a, CS_ETYPE, msg);
        }
        break;
    default:
        break;
    }
    if (t == CS_TYPE_STR || t == CS_TYPE_DATE) {
        snprintf(msg, sizeof msg, "cannot %s a %s column", verbs[a->fn],
                 cs_type_name(t));
        return agg_error(G->eng, a, CS_ETYPE, msg);
    }
    return CS_OK;
}

/* ------------------------------------------------------------------ */
/* Result columns                                                      */
/* ------------------------------------------------------------------ */
/* A new column of G->ng values VALS (C type of T), null where ISNULL[g]
** (ISNULL may be NULL); LIKE gives a string result its dictionary. */
static int emit(gb *G, cs_type t, const cs_column *like, const void *vals,
                const uint8_t *isnull, cs_column **out)
{
    size_t ng = G->ng, esz = cs__type_size(t), g, nn = 0;
    cs_column *col;
    int rc = like ? cs__column_new_like(like, &col)
                  : cs_column_new(G->eng, t, &col);
    if (rc) return rc;
    if ((rc = cs_column_reserve(col, ng))) goto fail;
    if (ng) memcpy(col->data, vals, ng * esz);
    if (isnull)
        for (g = 0; g < ng; g++) nn += isnull[g];
    if (nn) {
        size_t bytes = (col->cap + 63) / 64 * sizeof(uint64_t);
        if (!(col->valid = cs__alloc(G->eng, bytes))) {
            rc = cs__oom(G->eng);
            goto fail;
        }
        memset(col->valid, 0, bytes);
        col->vcap = col->cap;
        for (g = 0; g < ng; g++) {
            if (isnull[g])
                memset((char *)col->data + g * esz, 0, esz);
            else
                col->valid[g >> 6] |= (uint64_t)1 << (g & 63);
        }
        col->nnull = nn;
    }
    col->len = ng;
    *out = col;
    return CS_OK;
fail:
    cs_column_release(col);
    return rc;
}

/* A new column of the values of SRC at rows ROWS[0..N) of it (NONE:
** null), sharing its dictionary. */
static int gather_opt(cs_engine *eng, const cs_column *src,
                      const uint32_t *rows, size_t n, cs_column **out)
{
    size_t esz = cs__type_size(src->type), g, nn = 0;
    cs_column *col;
    int rc = cs__column_new_like(src, &col);
    if (rc) return rc;
    if ((rc = cs_column_reserve(col, n))) goto fail;
    for (g = 0; g < n; g++)
        nn += rows[g] == NONE || (src->valid && !cs__bit(src->valid, rows[g]));
    if (nn) {
        size_t bytes = (col->cap + 63) / 64 * sizeof(uint64_t);
        if (!(col->valid = cs__alloc(eng, bytes))) {
            rc = cs__oom(eng);
            goto fail;
        }
        memset(col->valid, 0, bytes);
        col->vcap = col->cap;
        col->nnull = nn;
    }
    for (g = 0; g < n; g++) {
        char *dst = (char *)col->data + g * esz;
        if (rows[g] == NONE ||
            (src->valid && !cs__bit(src->valid, rows[g]))) {
            memset(dst, 0, esz);
            continue;
        }
        memcpy(dst, (const char *)src->data + (size_t)rows[g] * esz, esz);
        if (col->valid) col->valid[g >> 6] |= (uint64_t)1 << (g & 63);
    }
    col->len = n;
    *out = col;
    return CS_OK;
fail:
    cs_column_release(col);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Aggregates                                                          */
/* ------------------------------------------------------------------ */
/* Non-null values of X per group: the group sizes when X has no null. */
static int count_nonnull(gb *G, const arg *x, int64_t **cnt)
{
    const uint32_t *gid = G->gid, *sel = x->sel;
    const uint64_t *valid = x->col->valid;
    size_t n = G->n;
    int64_t *c = NULL;
    int rc = CS_OK;
    if (!valid) {
        rc = gsizes(G);
        *cnt = G->gsize;
        return rc;
    }
    NEW(c, G->ng);
    memset(c, 0, G->ng * sizeof *c);
    SCAN(c[gid[i]]++;);
    *cnt = c;
    return CS_OK;
fail:
    ar_release(G->ar, c);
    return rc;
}

static int null_mask(gb *G, const int64_t *cnt, int64_t minc, uint8_t **mask)
{
    size_t g;
    int rc = CS_OK;
    NEW(*mask, G->ng);
    for (g = 0; g < G->ng; g++) (*mask)[g] = cnt[g] < minc;
fail:
    return rc;
}

/* var and stddev: two passes, the second corrected by the sum of the
** deviations (Chan, Golub and LeVeque's corrected two-pass formula). */
static int agg_var(gb *G, const agg *a, cs_column **out)
{
    const arg *x = &a->x;
    const uint32_t *gid = G->gid, *sel = x->sel;
    const uint64_t *valid = x->col->valid;
    size_t n = G->n, ng = G->ng, g;
    int64_t *cnt;
    uint8_t *mask = NULL;
    double *mean = NULL, *s1 = NULL, *s2 = NULL;
    int rc = count_nonnull(G, x, &cnt);
    if (rc) return rc;
    if ((rc = null_mask(G, cnt, 2, &mask))) return rc;
    NEW(mean, ng);
    NEW(s1, ng);
    NEW(s2, ng);
    memset(mean, 0, ng * sizeof *mean);
    memset(s1, 0, ng * sizeof *s1);
    memset(s2, 0, ng * sizeof *s2);
    NUM_CASES(x->col, mean[gid[i]] += (double)vv[r];)
    for (g = 0; g < ng; g++)
        if (cnt[g]) mean[g] /= (double)cnt[g];
    NUM_CASES(x->col, double d = (double)vv[r] - mean[gid[i]];
              s1[gid[i]] += d; s2[gid[i]] += d * d;)
    for (g = 0; g < ng; g++) {
        double c = (double)cnt[g], v;
        if (cnt[g] < 2) {
            s2[g] = 0;
            continue;
        }
        v = (s2[g] - s1[g] * s1[g] / c) / (c - 1);
        if (v < 0) v = 0;
        s2[g] = a->fn == F_STDDEV ? sqrt(v) : v;
    }
    return emit(G, CS_TYPE_F64, NULL, s2, mask, out);
fail:
    return rc;
}

/* Moves A[K] to where it would be in sorted order, smaller values
** before it and larger after.  Partitions are branchless Lomuto ones
** (a random pivot's comparisons mispredict half the time otherwise);
** values equal to the pivot get a pass of their own when a partition
** made no progress, and a range that will not shrink is sorted. */
#define DEFINE_SELECT(name, T, cmp)                                      \
    static int cmp(const void *pa, const void *pb)                       \
    {                                                                    \
        T a = *(const T *)pa, b = *(const T *)pb;                        \
        return (a > b) - (a < b);                                        \
    }                                                                    \
    /* NOLINTNEXTLINE(bugprone-macro-parentheses): T is a type. */       \
    static void name(T *a, size_t n, size_t k)                           \
    {                                                                    \
        size_t lo = 0, hi = n, rounds = 0;                               \
        while (hi - lo > 16) {                                           \
            size_t s = lo, i, mid = lo + (hi - lo) / 2;                  \
            T x = a[lo], y = a[mid], z = a[hi - 1], p;                   \
            p = x < y ? (y < z ? y : (x < z ? z : x))                    \
                      : (x < z ? x : (y < z ? z : y));                   \
            if (++rounds > 64) {                                         \
                qsort(a + lo, hi - lo, sizeof *a, cmp);                  \
                return;                                                  \
            }                                                            \
            for (i = lo; i < hi; i++) {                                  \
                T v = a[i], w = a[s];                                    \
                int c = v < p;                                           \
                a[i] = c ? w : v;                                        \
                a[s] = c ? v : w;                                        \
                s += (size_t)c;                                          \
            }                                                            \
            if (k < s) {                                                 \
                hi = s;                                                  \
                continue;                                                \
            }                                                            \
            if (s == lo) {                                               \
                /* Nothing below the pivot: gather its equals. */        \
                for (i = lo; i < hi; i++) {                              \
                    T v = a[i], w = a[s];                                \
                    int c = !(p < v);                                    \
                    a[i] = c ? w : v;                                    \
                    a[s] = c ? v : w;                                    \
                    s += (size_t)c;                                      \
                }                                                        \
                if (k < s) return;                                       \
            }                                                            \
            lo = s;                                                      \
        }                                                                \
        for (size_t i = lo + 1; i < hi; i++) {                           \
            T v = a[i];                                                  \
            size_t j = i;                                                \
            while (j > lo && v < a[j - 1]) a[j] = a[j - 1], j--;         \
            a[j] = v;                                                    \
        }                                                                \
    }
DEFINE_SELECT(select_i64, int64_t, cmp_i64)
DEFINE_SELECT(select_f64, double, cmp_f64)

/* Large segments: a sample brackets the wanted ranks between two values,
** one branchless pass counts the values below the bracket and copies
** those inside it to BAND, and the selection runs on the copy.  Returns
** 0 (and the caller selects in A) when the bracket missed or BAND
** (CAP values, at least SAMPLE) would overflow. */
#define SAMPLE 8192
#define SPREAD 256
#define BIG 65536

#define DEFINE_RANKS(name, bracket, T, selectfn, LOWEST, HIGHEST)         \
    /* NOLINTBEGIN(bugprone-macro-parentheses): T is a type. */          \
    static int bracket(const T *a, size_t m, size_t lo, int need2,       \
                       T *band, size_t cap, T *v1, T *v2)                 \
    /* NOLINTEND(bugprone-macro-parentheses) */                          \
    {                                                                    \
        size_t step = m / SAMPLE, j, kk, li, hi, below = 0, nb = 0, b0;  \
        uint64_t seed = 0x9E3779B97F4A7C15ull;                           \
        T lop, hip;                                                      \
        for (j = 0; j < SAMPLE; j++) {                                   \
            seed = seed * 6364136223846793005ull + 1442695040888963407ull; \
            band[j] = a[j * step + (size_t)((seed >> 33) % step)];       \
        }                                                                \
        kk = (size_t)((double)lo / (double)m * SAMPLE);                  \
        li = kk >= SPREAD ? kk - SPREAD : SAMPLE;                        \
        hi = kk + SPREAD < SAMPLE ? kk + SPREAD : SAMPLE;                \
        if (hi < SAMPLE) selectfn(band, SAMPLE, hi);                     \
        hip = hi < SAMPLE ? band[hi] : (HIGHEST);                        \
        if (li < SAMPLE) selectfn(band, hi, li);                         \
        lop = li < SAMPLE ? band[li] : (LOWEST);                         \
        for (b0 = 0; b0 < m; b0 += 1024) {                               \
            size_t e = m - b0 < 1024 ? m : b0 + 1024;                    \
            if (nb + 1024 > cap) return 0;                               \
            for (j = b0; j < e; j++) {                                   \
                T x = a[j];                                              \
                below += x < lop;                                        \
                band[nb] = x;                                            \
                nb += (x >= lop) & (x <= hip);                           \
            }                                                            \
        }                                                                \
        if (below > lo || lo + (size_t)need2 >= below + nb) return 0;    \
        selectfn(band, nb, lo - below);                                  \
        *v1 = band[lo - below];                                          \
        if (need2) {                                                     \
            T m2 = band[lo - below + 1];                                 \
            for (j = lo - below + 2; j < nb; j++)                        \
                m2 = band[j] < m2 ? band[j] : m2;                        \
            *v2 = m2;                                                    \
        }                                                                \
        return 1;                                                        \
    }                                                                    \
    /* The values of ranks LO and, when NEED2, LO + 1 among A[0..M). */  \
    /* NOLINTBEGIN(bugprone-macro-parentheses): T is a type. */          \
    static void name(T *a, size_t m, size_t lo, int need2, T *band,      \
                     size_t cap, T *v1, T *v2)                           \
    /* NOLINTEND(bugprone-macro-parentheses) */                          \
    {                                                                    \
        size_t j;                                                        \
        if (m >= BIG && band && bracket(a, m, lo, need2, band, cap, v1, v2)) \
            return;                                                      \
        selectfn(a, m, lo);                                              \
        *v1 = a[lo];                                                     \
        if (need2) {                                                     \
            T m2 = a[lo + 1];                                            \
            for (j = lo + 2; j < m; j++) m2 = a[j] < m2 ? a[j] : m2;     \
            *v2 = m2;                                                    \
        }                                                                \
    }
DEFINE_RANKS(ranks_i64, bracket_i64, int64_t, select_i64, INT64_MIN,
             INT64_MAX)
DEFINE_RANKS(ranks_f64, bracket_f64, double, select_f64, -INFINITY,
             INFINITY)

/* Quantile Q of the M values of A (type 7); NaN sorts after numbers. */
static double quantile_f64(double *a, size_t m, double q, double *band,
                           size_t cap)
{
    size_t k, nums = 0, lo;
    double h, lo_v, hi_v = 0;
    int need2;
    for (k = 0; k < m; k++)
        if (a[k] == a[k]) {
            double t = a[nums];
            a[nums++] = a[k];
            a[k] = t;
        }
    h = (double)(m - 1) * q;
    lo = (size_t)floor(h);
    need2 = h != (double)lo;
    if (lo + (size_t)need2 >= nums) return NAN;
    ranks_f64(a, nums, lo, need2, band, cap, &lo_v, &hi_v);
    if (!need2 || lo_v == hi_v) return lo_v;
    return lo_v + (h - (double)lo) * (hi_v - lo_v);
}

static double quantile_i64(int64_t *a, size_t m, double q, int64_t *band,
                           size_t cap)
{
    double h = (double)(m - 1) * q;
    size_t lo = (size_t)floor(h);
    int64_t lo_v, hi_v = 0;
    int need2 = h != (double)lo;
    ranks_i64(a, m, lo, need2, band, cap, &lo_v, &hi_v);
    if (!need2 || lo_v == hi_v) return (double)lo_v;
    return (double)lo_v + (h - (double)lo) * ((double)hi_v - (double)lo_v);
}

/* median and quantile: the rows are counting-sorted by group into
** contiguous segments, then each segment is partially sorted. */
static int agg_quantile(gb *G, const agg *a, cs_column **out)
{
    const arg *x = &a->x;
    const uint32_t *gid = G->gid, *sel = x->sel;
    const uint64_t *valid = x->col->valid;
    size_t n = G->n, ng = G->ng, g, total = 0, *pos = NULL, done = 0;
    size_t big = 0, cap = 0;
    int64_t *cnt, *ibuf = NULL, *iband = NULL;
    double *fbuf = NULL, *res = NULL, *fband = NULL;
    uint8_t *mask = NULL;
    int isf = x->col->type == CS_TYPE_F64;
    int rc = count_nonnull(G, x, &cnt);
    if (rc) return rc;
    if ((rc = null_mask(G, cnt, 1, &mask))) return rc;
    NEW(pos, ng);
    NEW(res, ng);
    for (g = 0; g < ng; g++) {
        pos[g] = total;
        total += (size_t)cnt[g];
    }
    if (isf) {
        const double *v = x->col->data;
        NEW(fbuf, total);
        SCAN(fbuf[pos[gid[i]]++] = v[r];);
    } else if (x->col->type == CS_TYPE_I64) {
        const int64_t *v = x->col->data;
        NEW(ibuf, total);
        SCAN(ibuf[pos[gid[i]]++] = v[r];);
    } else {
        const uint8_t *v = x->col->data;
        NEW(ibuf, total);
        SCAN(ibuf[pos[gid[i]]++] = v[r];);
    }
    for (g = 0; g < ng; g++)
        if ((size_t)cnt[g] > big) big = (size_t)cnt[g];
    if (big >= BIG) {
        /* The bracket holds 2 * SPREAD / SAMPLE of a segment, 1/16. */
        cap = big / 8 + SAMPLE + 1024;
        if (isf) NEW(fband, cap);
        else NEW(iband, cap);
    }
    for (g = 0; g < ng; g++) {
        size_t m = (size_t)cnt[g], start = pos[g] - m;
        res[g] = 0;
        if (m == 0) continue;
        res[g] = isf ? quantile_f64(fbuf + start, m, a->q, fband, cap)
                     : quantile_i64(ibuf + start, m, a->q, iband, cap);
        if ((done += m) >= CHUNK) {
            done = 0;
            CHECK_INTERRUPT();
        }
    }
    ar_release(G->ar, fbuf);
    ar_release(G->ar, ibuf);
    return emit(G, CS_TYPE_F64, NULL, res, mask, out);
fail:
    return rc;
}

/* wmean(x, w): both read as doubles at every position first, since X
** and W may be read through different selections. */
static int load_f64(gb *G, const arg *x, double *dst, uint8_t *ok)
{
    const uint32_t *sel = x->sel;
    const uint64_t *valid = x->col->valid;
    size_t n = G->n;
    int rc = CS_OK;
    NUM_CASES(x->col, dst[i] = (double)vv[r]; ok[i]++;)
fail:
    return rc;
}

static int agg_wmean(gb *G, const agg *a, cs_column **out)
{
    const uint32_t *gid = G->gid;
    size_t n = G->n, ng = G->ng, g, i;
    double *xv = NULL, *wv = NULL, *sxw = NULL, *sw = NULL;
    uint8_t *ok = NULL, *mask = NULL;
    int rc = CS_OK;
    NEW(xv, n);
    NEW(wv, n);
    NEW(ok, n);
    NEW(sxw, ng);
    NEW(sw, ng);
    NEW(mask, ng);
    memset(ok, 0, n);
    memset(sxw, 0, ng * sizeof *sxw);
    memset(sw, 0, ng * sizeof *sw);
    memset(mask, 1, ng);
    if ((rc = load_f64(G, &a->x, xv, ok))) goto fail;
    if ((rc = load_f64(G, &a->w, wv, ok))) goto fail;
    for (i = 0; i < n; i++) {
        if (ok[i] != 2) continue;
        sxw[gid[i]] += xv[i] * wv[i];
        sw[gid[i]] += wv[i];
        mask[gid[i]] = 0;
    }
    for (g = 0; g < ng; g++) {
        if (sw[g] == 0) mask[g] = 1;
        sxw[g] = mask[g] ? 0 : sxw[g] / sw[g];
    }
    ar_release(G->ar, xv);
    ar_release(G->ar, wv);
    ar_release(G->ar, ok);
    return emit(G, CS_TYPE_F64, NULL, sxw, mask, out);
fail:
    return rc;
}

static int agg_first_last(gb *G, const agg *a, cs_column **out)
{
    const arg *x = &a->x;
    const uint32_t *gid = G->gid, *sel = x->sel;
    const uint64_t *valid = x->col->valid;
    size_t n = G->n;
    uint32_t *rows = NULL;
    int rc = CS_OK;
    NEW(rows, G->ng);
    memset(rows, 0xFF, G->ng * sizeof *rows);
    if (a->fn == F_FIRST)
        SCAN(if (rows[gid[i]] == NONE) rows[gid[i]] = (uint32_t)r;);
    else
        SCAN(rows[gid[i]] = (uint32_t)r;);
    return gather_opt(G->eng, x->col, rows, G->ng, out);
fail:
    return rc;
}

/* Orders strings by their bytes, for ranking a dictionary. */
struct sref {
    const char *p;
    size_t len;
    uint32_t code;
};

static int cmp_sref(const void *pa, const void *pb)
{
    const sref *a = pa, *b = pb;
    size_t m = a->len < b->len ? a->len : b->len;
    int c = memcmp(a->p, b->p, m);
    if (c) return c;
    return a->len < b->len ? -1 : a->len > b->len;
}

/* ------------------------------------------------------------------ */
/* Streamed aggregates: count, sum, mean, share, min and max            */
/* ------------------------------------------------------------------ */
/* Their state is updated a chunk of group ids at a time.  Grouping feeds
** them while a chunk's ids are in cache, so that every aggregate of a
** query reads the ids once and, when all of them stream, no array of
** ids is written at all; otherwise they run over that array. */
typedef struct ipair {
    int64_t s, c;
} ipair;

typedef struct fpair {
    double s;
    int64_t c;
} fpair;


static int streamable(const agg *a)
{
    switch (a->fn) {
    case F_COUNT_ROWS: case F_COUNT: case F_SUM: case F_MEAN: case F_SHARE:
    case F_MIN: case F_MAX:
        return 1;
    default:
        return 0;
    }
}

#define FILL(T, p, cap, v)                                               \
    do {                                                                 \
        /* NOLINTNEXTLINE(bugprone-macro-parentheses): T is a type. */   \
        T *f_;                                                           \
        size_t k_;                                                       \
        NEW(f_, (cap));                                                  \
        for (k_ = 0; k_ < (cap); k_++) f_[k_] = (v);                     \
        (p) = f_;                                                        \
    } while (0)

/* Ranks the dictionary of string column COL by bytes into S. */
static int rank_dict(gb *G, stream *s, const cs_column *col)
{
    uint32_t d = col->dict->n, k;
    int rc = CS_OK;
    NEW(s->refs, d);
    NEW(s->rank, d);
    for (k = 0; k < d; k++) {
        s->refs[k].p = cs__dict_str(col->dict, k, &s->refs[k].len);
        s->refs[k].code = k;
    }
    if (d) qsort(s->refs, d, sizeof *s->refs, cmp_sref);
    for (k = 0; k < d; k++) s->rank[s->refs[k].code] = k;
fail:
    return rc;
}

static int stream_init(gb *G, stream *s, const agg *a, size_t cap)
{
    const cs_column *col = a->x.col;
    int rc = CS_OK, ismin = a->fn == F_MIN;
    memset(s, 0, sizeof *s);
    s->a = a;
    s->cap = cap = cap ? cap : 1;
    if (a->fn == F_COUNT_ROWS) return CS_OK;
    s->pairs = col->valid && (a->fn == F_SUM || a->fn == F_MEAN ||
                              a->fn == F_SHARE) &&
               col->type != CS_TYPE_BOOL;
    /* X's bounds (remembered by its column) spare checks and counts. */
    if (col->type == CS_TYPE_I64 || col->type == CS_TYPE_DATE) {
        int64_t lo, hi;
        uint64_t big, most;
        int i64 = col->type == CS_TYPE_I64;
        cs__column_range(col, NULL, 0, &lo, &hi);
        if (a->fn == F_MIN)
            s->sentinel = hi < (i64 ? INT64_MAX : INT32_MAX);
        else if (a->fn == F_MAX)
            s->sentinel = lo > (i64 ? INT64_MIN : INT32_MIN);
        big = lo < 0 ? 0 - (uint64_t)lo : (uint64_t)lo;
        if (hi > 0 && (uint64_t)hi > big) big = (uint64_t)hi;
        s->safe = lo > hi || (!__builtin_mul_overflow(big, (uint64_t)G->n,
                                                      &most) &&
                              most <= INT64_MAX);
    }
    if (col->valid && !s->pairs && !s->sentinel)
        FILL(int64_t, s->cnt, cap, 0);
    if (a->fn == F_COUNT) return CS_OK;
    if (a->fn != F_MIN && a->fn != F_MAX) {
        if (col->type == CS_TYPE_F64 && s->pairs)
            FILL(fpair, s->acc, cap, ((fpair){0, 0}));
        else if (col->type == CS_TYPE_F64)
            FILL(double, s->acc, cap, 0);
        else if (s->pairs)
            FILL(ipair, s->acc, cap, ((ipair){0, 0}));
        else
            FILL(int64_t, s->acc, cap, 0);
        return CS_OK;
    }
    switch (col->type) {
    case CS_TYPE_I64: FILL(int64_t, s->acc, cap, ismin ? INT64_MAX : INT64_MIN); break;
    case CS_TYPE_DATE: FILL(int32_t, s->acc, cap, ismin ? INT32_MAX : INT32_MIN); break;
    case CS_TYPE_BOOL: FILL(uint8_t, s->acc, cap, ismin ? 1 : 0); break;
    /* NaN until a value comes: a NaN value then never wins, so a group
    ** is NaN only when it holds nothing else. */
    case CS_TYPE_F64: FILL(double, s->acc, cap, NAN); break;
    case CS_TYPE_STR:
        if ((rc = rank_dict(G, s, col))) goto fail;
        FILL(uint32_t, s->acc, cap, ismin ? NONE : 0);
        break;
    }
fail:
    return rc;
}

/* Runs the statements for each position i in [C0, C0 + M), with r its
** row, g its group GG[i - C0] and ok 1 when its value is not null, 0 when
** it is.  The statements use ok without branching (a null adds nothing
** and never wins), since a branch per row mispredicts at every null. */
#define EACH(...)                                                        \
    do {                                                                 \
        size_t i;                                                        \
        if (!sel && !valid) {                                            \
            for (i = c0; i < c0 + m; i++) {                              \
                const size_t r = i;                                      \
                const uint32_t g = gg[i - c0];                           \
                const int ok = 1;                                        \
                __VA_ARGS__                                              \
            }                                                            \
        } else if (!valid) {                                             \
            for (i = c0; i < c0 + m; i++) {                              \
                const size_t r = sel[i];                                 \
                const uint32_t g = gg[i - c0];                           \
                const int ok = 1;                                        \
                __VA_ARGS__                                              \
            }                                                            \
        } else if (!sel) {                                               \
            for (i = c0; i < c0 + m; i++) {                              \
                const size_t r = i;                                      \
                const uint32_t g = gg[i - c0];                           \
                const int ok = cs__bit(valid, r);                        \
                __VA_ARGS__                                              \
            }                                                            \
        } else {                                                         \
            for (i = c0; i < c0 + m; i++) {                              \
                const size_t r = sel[i];                                 \
                const uint32_t g = gg[i - c0];                           \
                const int ok = cs__bit(valid, r);                        \
                __VA_ARGS__                                              \
            }                                                            \
        }                                                                \
    } while (0)

/* The best value of each group: a null row offers NIL, which never
** wins. */
#define BEST(T, BETTER, NIL)                                             \
    do {                                                                 \
        const T *v = x->col->data;                                       \
        /* NOLINTNEXTLINE(bugprone-macro-parentheses): T is a type. */   \
        T *b = s->acc;                                                   \
        if (cnt)                                                         \
            EACH(T val = ok ? v[r] : (NIL);                              \
                 b[g] = BETTER(val, b[g]) ? val : b[g]; cnt[g] += ok;);  \
        else                                                             \
            EACH(T val = ok ? v[r] : (NIL);                              \
                 b[g] = BETTER(val, b[g]) ? val : b[g];);                \
    } while (0)
#define LESS(a, b) ((a) < (b))
#define MORE(a, b) ((a) > (b))
#define FLESS(a, b) ((a) < (b) || (b) != (b))
#define FMORE(a, b) ((a) > (b) || (b) != (b))

/* Sums that overflowed int64 in this chunk: takes the chunk back out
** (wrapping addition is undone exactly), moves the sums to 128 bits and
** adds the chunk again there. */
static int widen(gb *G, stream *s, const uint32_t *gg, size_t c0, size_t m)
{
    const arg *x = &s->a->x;
    const int64_t *v = x->col->data;
    const uint32_t *sel = x->sel;
    const uint64_t *valid = x->col->valid;
    size_t k;
    int rc = CS_OK;
    NEW(s->wide, s->cap);
    if (s->pairs) {
        ipair *p = s->acc;
        EACH(p[g].s = (int64_t)((uint64_t)p[g].s - (uint64_t)(ok ? v[r] : 0));
             p[g].c -= ok;);
        NEW(s->cnt, s->cap);
        for (k = 0; k < s->cap; k++) s->wide[k] = p[k].s, s->cnt[k] = p[k].c;
    } else {
        int64_t *p = s->acc;
        EACH(p[g] = (int64_t)((uint64_t)p[g] - (uint64_t)(ok ? v[r] : 0)););
        for (k = 0; k < s->cap; k++) s->wide[k] = p[k];
    }
    ar_release(G->ar, s->acc);
    s->acc = NULL;
    s->pairs = 0;
fail:
    return rc;
}

/* Adds the positions [C0, C0 + M), of groups GG[0..M), to S. */
static int stream_update(gb *G, stream *s, const uint32_t *gg, size_t c0,
                         size_t m)
{
    const arg *x = &s->a->x;
    const uint32_t *sel = x->sel;
    const uint64_t *valid;
    int64_t *cnt = s->cnt;
    int fn = s->a->fn, rc = CS_OK;
    if (fn == F_COUNT_ROWS) return CS_OK;
    valid = x->col->valid;
    if (fn == F_COUNT) {
        if (cnt) EACH(cnt[g] += ok; (void)r;);
        return CS_OK;
    }
    if (fn == F_MIN || fn == F_MAX) {
        int ismin = fn == F_MIN;
        switch (x->col->type) {
        case CS_TYPE_I64:
            if (ismin) BEST(int64_t, LESS, INT64_MAX);
            else BEST(int64_t, MORE, INT64_MIN);
            break;
        case CS_TYPE_DATE:
            if (ismin) BEST(int32_t, LESS, INT32_MAX);
            else BEST(int32_t, MORE, INT32_MIN);
            break;
        case CS_TYPE_BOOL:
            if (ismin) BEST(uint8_t, LESS, 1);
            else BEST(uint8_t, MORE, 0);
            break;
        case CS_TYPE_F64:
            if (ismin) BEST(double, FLESS, NAN);
            else BEST(double, FMORE, NAN);
            break;
        case CS_TYPE_STR: {
            /* A null's code need not be in the dictionary: not looked
            ** up. */
            const uint32_t *v = x->col->data, *rank = s->rank;
            uint32_t *b = s->acc;
            if (ismin)
                EACH(uint32_t rk = ok ? rank[v[r]] : NONE;
                     b[g] = rk < b[g] ? rk : b[g];);
            else
                EACH(uint32_t rk = ok ? rank[v[r]] : 0;
                     b[g] = rk > b[g] ? rk : b[g];);
            if (cnt) EACH(cnt[g] += ok; (void)r;);
            break;
        }
        }
        return CS_OK;
    }
    /* sum, mean and share */
    switch (x->col->type) {
    case CS_TYPE_F64: {
        const double *v = x->col->data;
        if (s->pairs) {
            fpair *p = s->acc;
            EACH(p[g].s += ok ? v[r] : 0.0; p[g].c += ok;);
        } else {
            double *p = s->acc;
            EACH(p[g] += v[r]; (void)ok;);
        }
        break;
    }
    case CS_TYPE_I64: {
        const int64_t *v = x->col->data;
        int ovf = 0;
        if (s->safe && s->pairs) {
            ipair *p = s->acc;
            EACH(p[g].s += ok ? v[r] : 0; p[g].c += ok;);
        } else if (s->safe) {
            int64_t *p = s->acc;
            EACH(p[g] += v[r]; (void)ok;);
        } else if (!s->wide && s->pairs) {
            ipair *p = s->acc;
            EACH(ovf |= __builtin_add_overflow(p[g].s, ok ? v[r] : 0,
                                               &p[g].s);
                 p[g].c += ok;);
        } else if (!s->wide) {
            int64_t *p = s->acc;
            EACH(ovf |= __builtin_add_overflow(p[g], v[r], &p[g]); (void)ok;);
        }
        if (ovf && (rc = widen(G, s, gg, c0, m))) return rc;
        if (s->wide) {
            i128 *w = s->wide;
            cnt = s->cnt;
            if (cnt) EACH(w[g] += ok ? v[r] : 0; cnt[g] += ok;);
            else EACH(w[g] += v[r]; (void)ok;);
        }
        break;
    }
    case CS_TYPE_BOOL: {
        const uint8_t *v = x->col->data;
        int64_t *p = s->acc;
        if (cnt) EACH(p[g] += ok ? v[r] : 0; cnt[g] += ok;);
        else EACH(p[g] += v[r]; (void)ok;);
        break;
    }
    default:
        break;
    }
    return CS_OK;
}

/* Feeds S the whole array of group ids. */
static int stream_all(gb *G, stream *s)
{
    size_t n = G->n, c0, m;
    int rc = CS_OK;
    for (c0 = 0; c0 < n; c0 += m) {
        m = n - c0 < CHUNK ? n - c0 : CHUNK;
        if ((rc = stream_update(G, s, G->gid + c0, c0, m))) goto fail;
        CHECK_INTERRUPT();
    }
fail:
    return rc;
}

/* The result column of S over the G->ng groups. */
static int stream_finish(gb *G, stream *s, cs_column **out)
{
    const agg *a = s->a;
    const cs_column *col = a->x.col;
    size_t ng = G->ng, g;
    int64_t *cnt = s->cnt;
    uint8_t *mask = NULL;
    double *res = NULL;
    int rc = CS_OK;
    if (s->pairs) {
        NEW(cnt, ng);
        if (col->type == CS_TYPE_F64) {
            fpair *p = s->acc;
            double *sum = s->acc;
            for (g = 0; g < ng; g++) cnt[g] = p[g].c;
            for (g = 0; g < ng; g++) sum[g] = p[g].s;   /* in place */
        } else {
            ipair *p = s->acc;
            int64_t *sum = s->acc;
            for (g = 0; g < ng; g++) cnt[g] = p[g].c;
            for (g = 0; g < ng; g++) sum[g] = p[g].s;
        }
    } else if (s->sentinel) {
        /* A group is null when its best value is still the start. */
        NEW(mask, ng);
        if (col->type == CS_TYPE_I64) {
            const int64_t *b = s->acc, nil = a->fn == F_MIN ? INT64_MAX
                                                           : INT64_MIN;
            for (g = 0; g < ng; g++) mask[g] = b[g] == nil;
        } else {
            const int32_t *b = s->acc, nil = a->fn == F_MIN ? INT32_MAX
                                                           : INT32_MIN;
            for (g = 0; g < ng; g++) mask[g] = b[g] == nil;
        }
    } else if (!cnt) {
        if ((rc = gsizes(G))) goto fail;
        cnt = G->gsize;
    }
    if (a->fn == F_COUNT_ROWS || a->fn == F_COUNT)
        return emit(G, CS_TYPE_I64, NULL, cnt, NULL, out);
    if (!mask && (rc = null_mask(G, cnt, 1, &mask))) goto fail;
    if (a->fn == F_MIN || a->fn == F_MAX) {
        if (col->type == CS_TYPE_STR) {
            uint32_t *b = s->acc;
            for (g = 0; g < ng; g++) b[g] = mask[g] ? 0 : s->refs[b[g]].code;
            return emit(G, CS_TYPE_STR, col, b, mask, out);
        }
        return emit(G, col->type, NULL, s->acc, mask, out);
    }
    if (a->fn == F_SUM && col->type != CS_TYPE_F64) {
        int64_t *sum = s->acc;
        if (s->wide) {
            sum = (int64_t *)s->wide;         /* narrowed in place */
            for (g = 0; g < ng; g++) {
                i128 w = s->wide[g];
                if (w > INT64_MAX || w < INT64_MIN) {
                    char msg[160];
                    snprintf(msg, sizeof msg,
                             "integer overflow in group %zu (the sum is %s "
                             "than the int64 range)",
                             g + 1, w > 0 ? "larger" : "smaller");
                    return agg_error(G->eng, a, CS_EOVERFLOW, msg);
                }
                sum[g] = (int64_t)w;
            }
        }
        return emit(G, CS_TYPE_I64, NULL, sum, mask, out);
    }
    if (a->fn == F_SUM) return emit(G, CS_TYPE_F64, NULL, s->acc, mask, out);
    NEW(res, ng);
    for (g = 0; g < ng; g++)
        res[g] = s->wide ? (double)s->wide[g]
                 : col->type == CS_TYPE_F64 ? ((double *)s->acc)[g]
                                            : (double)((int64_t *)s->acc)[g];
    if (a->fn == F_MEAN) {
        for (g = 0; g < ng; g++) res[g] = cnt[g] ? res[g] / (double)cnt[g] : 0;
    } else {
        /* share: over the sum of every group, that is of all of DS. */
        double total;
        if (col->type != CS_TYPE_F64) {
            i128 t = 0;
            for (g = 0; g < ng; g++)
                t += s->wide ? s->wide[g] : ((int64_t *)s->acc)[g];
            total = (double)t;
        } else {
            total = 0;
            for (g = 0; g < ng; g++) total += res[g];
        }
        for (g = 0; g < ng; g++) res[g] /= total;
        if (total == 0)
            for (g = 0; g < ng; g++) mask[g] = 1;
    }
    return emit(G, CS_TYPE_F64, NULL, res, mask, out);
fail:
    return rc;
}

/* count_distinct: a hash set of (group, value) pairs. */
typedef struct pslot {
    uint64_t v;
    uint32_t g;    /* NONE: empty */
    uint32_t pad;
} pslot;

static inline size_t ppos(uint64_t v, uint32_t g, unsigned shift)
{
    uint64_t h = v ^ ((uint64_t)g * 0xC2B2AE3D27D4EB4Full);
    h ^= h >> 31;
    return (size_t)((h * 0x9E3779B97F4A7C15ull) >> shift);
}

static int pset_grow(gb *G, pslot **s, size_t *cap, unsigned *shift)
{
    size_t ncap = *cap * 2, k;
    unsigned nshift = *shift - 1;
    pslot *ns;
    int rc = CS_OK;
    NEW(ns, ncap);
    for (k = 0; k < ncap; k++) ns[k].g = NONE;
    for (k = 0; k < *cap; k++) {
        size_t p;
        if ((*s)[k].g == NONE) continue;
        p = ppos((*s)[k].v, (*s)[k].g, nshift);
        while (ns[p].g != NONE) p = (p + 1) & (ncap - 1);
        ns[p] = (*s)[k];
    }
    ar_release(G->ar, *s);
    *s = ns;
    *cap = ncap;
    *shift = nshift;
fail:
    return rc;
}

static int agg_count_distinct(gb *G, const agg *a, cs_column **out)
{
    const arg *x = &a->x;
    const uint32_t *gid = G->gid, *sel = x->sel;
    const uint64_t *valid = x->col->valid;
    size_t n = G->n, ng = G->ng, cap = 1024, used = 0, k;
    unsigned shift = 54;
    pslot *s = NULL;
    int64_t *cnt = NULL;
    int rc = CS_OK;
    dkey dk;
    uint64_t bits;
    int ok;
    NEW(cnt, ng);
    memset(cnt, 0, ng * sizeof *cnt);
    /* Values with a small range of ids: one bit per (group, value). */
    direct_key(G, x->col, sel, &dk, &ok);
    if (ok && !__builtin_mul_overflow((uint64_t)ng, dk.card, &bits) &&
        bits <= ((uint64_t)8 * n > ((uint64_t)1 << 27) ? (uint64_t)8 * n
                                                       : (uint64_t)1 << 27)) {
        uint64_t *bm, card = dk.card;
        int64_t lo = dk.lo;
        NEW(bm, (size_t)(bits + 63) / 64);
        memset(bm, 0, (size_t)(bits + 63) / 64 * sizeof *bm);
#define CD_BIT(RAW)                                                      \
    {                                                                    \
        uint64_t bit = (uint64_t)gid[i] * card + (RAW);                  \
        uint64_t m = (uint64_t)1 << (bit & 63), *w = &bm[bit >> 6];      \
        cnt[gid[i]] += !(*w & m);                                        \
        *w |= m;                                                         \
    }
        switch (x->col->type) {
        case CS_TYPE_STR: {
            const uint32_t *v = x->col->data;
            SCAN(CD_BIT(v[r]));
            break;
        }
        case CS_TYPE_BOOL: {
            const uint8_t *v = x->col->data;
            SCAN(CD_BIT(v[r]));
            break;
        }
        case CS_TYPE_I64: {
            const int64_t *v = x->col->data;
            SCAN(CD_BIT((uint64_t)v[r] - (uint64_t)lo));
            break;
        }
        case CS_TYPE_DATE: {
            const int32_t *v = x->col->data;
            SCAN(CD_BIT((uint64_t)((int64_t)v[r] - lo)));
            break;
        }
        default:
            break;
        }
#undef CD_BIT
        ar_release(G->ar, bm);
        return emit(G, CS_TYPE_I64, NULL, cnt, NULL, out);
    }
    NEW(s, cap);
    for (k = 0; k < cap; k++) s[k].g = NONE;
#define CD_BODY(KEY)                                                     \
    {                                                                    \
        uint64_t key = (KEY);                                            \
        uint32_t g = gid[i];                                             \
        size_t p = ppos(key, g, shift);                                  \
        while (s[p].g != NONE && (s[p].g != g || s[p].v != key))         \
            p = (p + 1) & (cap - 1);                                     \
        if (s[p].g == NONE) {                                            \
            s[p].g = g;                                                  \
            s[p].v = key;                                                \
            cnt[g]++;                                                    \
            if (++used * 2 > cap && (rc = pset_grow(G, &s, &cap, &shift))) \
                goto fail;                                               \
        }                                                                \
    }
    switch (x->col->type) {
    case CS_TYPE_I64: {
        const int64_t *v = x->col->data;
        SCAN(CD_BODY((uint64_t)v[r]));
        break;
    }
    case CS_TYPE_F64: {
        const double *v = x->col->data;
        SCAN(CD_BODY(fkey(v[r])));
        break;
    }
    case CS_TYPE_STR: {
        const uint32_t *v = x->col->data;
        SCAN(CD_BODY(v[r]));
        break;
    }
    case CS_TYPE_BOOL: {
        const uint8_t *v = x->col->data;
        SCAN(CD_BODY(v[r]));
        break;
    }
    case CS_TYPE_DATE: {
        const int32_t *v = x->col->data;
        SCAN(CD_BODY((uint64_t)(int64_t)v[r]));
        break;
    }
    }
#undef CD_BODY
    ar_release(G->ar, s);
    return emit(G, CS_TYPE_I64, NULL, cnt, NULL, out);
fail:
    return rc;
}

/* Evaluates the arguments of A that are expressions over DS (once). */
static int eval_args(gb *G, const cs_dataset *ds, agg *a)
{
    arg *args[2];
    size_t k;
    int rc;
    args[0] = &a->x;
    args[1] = &a->w;
    for (k = 0; k < 2; k++) {
        arg *x = args[k];
        if (!x->expr || x->owned) continue;
        rc = cs_expr_eval(x->expr, ds, &x->owned);
        if (rc) {
            char msg[512];
            if (rc == CS_ENOMEM || rc == CS_EINTERRUPT) return rc;
            snprintf(msg, sizeof msg, "%s", cs_errmsg(G->eng));
            return agg_error(G->eng, a, rc, msg);
        }
        x->col = x->owned;
        x->sel = NULL;
    }
    return CS_OK;
}

/* Releases the evaluated arguments of A. */
static void release_args(agg *a)
{
    arg *args[2];
    size_t k;
    args[0] = &a->x;
    args[1] = &a->w;
    for (k = 0; k < 2; k++) {
        cs_column_release(args[k]->owned);
        args[k]->owned = NULL;
        if (args[k]->expr) args[k]->col = NULL;
    }
}

/* Computes aggregate A over grouping G into a new column of G->ng rows.
** An argument that is an expression is evaluated over DS now and
** released before returning. */
static int agg_run(gb *G, const cs_dataset *ds, agg *a, cs_column **out)
{
    int rc;
    *out = NULL;
    if ((rc = eval_args(G, ds, a))) goto done;
    if (streamable(a)) {
        stream st;
        if (!(rc = stream_init(G, &st, a, G->ng)) &&
            !(rc = stream_all(G, &st)))
            rc = stream_finish(G, &st, out);
        goto done;
    }
    switch (a->fn) {
    case F_COUNT_DISTINCT: rc = agg_count_distinct(G, a, out); break;
    case F_WMEAN: rc = agg_wmean(G, a, out); break;
    case F_MEDIAN: case F_QUANTILE: rc = agg_quantile(G, a, out); break;
    case F_STDDEV: case F_VAR: rc = agg_var(G, a, out); break;
    case F_FIRST: case F_LAST: rc = agg_first_last(G, a, out); break;
    }
done:
    release_args(a);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                        */
/* ------------------------------------------------------------------ */
static int not_found(const cs_dataset *ds, const char *name)
{
    cs_buf b;
    size_t k;
    cs__buf_init(&b, ds->eng);
    for (k = 0; k < ds->ncols && b.len < 300; k++)
        if (cs__buf_printf(&b, "%s%s", k ? ", " : "", ds->names[k])) break;
    cs__error(ds->eng, CS_ENOTFOUND, "no column '%s' (columns: %s%s)", name,
              b.p ? b.p : "none", k < ds->ncols ? ", ..." : "");
    cs__buf_free(&b);
    return CS_ENOTFOUND;
}

/* Finds the key columns NAMES[0..NK) into IDX; a name given twice is an
** error, since the result could not hold both. */
static int find_keys(const cs_dataset *ds, const char *const *names,
                     size_t nk, size_t *idx)
{
    size_t k, j;
    for (k = 0; k < nk; k++) {
        ptrdiff_t c = cs_dataset_find(ds, names[k]);
        if (c < 0) return not_found(ds, names[k]);
        idx[k] = (size_t)c;
        for (j = 0; j < k; j++)
            if (idx[j] == idx[k])
                return cs__error(ds->eng, CS_EEXIST,
                                 "group key '%s' is given twice", names[k]);
    }
    return CS_OK;
}

static int gb_init(gb *G, arena *ar, const cs_dataset *ds)
{
    memset(G, 0, sizeof *G);
    G->eng = ds->eng;
    G->ar = ar;
    G->n = ds->nrows;
    /* Direct arrays up to two entries a row: their memset then costs less
    ** than a hash table's, and small inputs keep small arrays. */
    G->want_gid = G->want_sizes = 1;
    G->limit = G->n > ((size_t)1 << 15) ? (uint64_t)G->n * 2
                                        : ((uint64_t)1 << 16);
    if (G->limit > UINT32_MAX - 1) G->limit = UINT32_MAX - 1;
    if (G->n >= UINT32_MAX)
        return cs__error(ds->eng, CS_EOVERFLOW,
                         "grouping needs fewer than 2^32 rows");
    return CS_OK;
}

/* Appends the key columns of DS (KIDX) at each group's first row. */
static int add_keys(gb *G, const cs_dataset *ds, const size_t *kidx,
                    size_t nk, cs_dataset *res)
{
    uint32_t *rows = NULL;
    size_t k, g;
    int rc = CS_OK;
    if (nk == 0) return CS_OK;
    NEW(rows, G->ng);
    for (k = 0; k < nk; k++) {
        const uint32_t *sel;
        const cs_column *base = cs__dataset_base(ds, kidx[k], &sel);
        cs_column *col;
        for (g = 0; g < G->ng; g++)
            rows[g] = sel ? sel[G->first[g]] : G->first[g];
        if ((rc = cs__column_gather(base, NULL, rows, G->ng, &col)))
            goto fail;
        rc = cs_dataset_add(res, ds->names[kidx[k]], col);
        cs_column_release(col);
        if (rc) goto fail;
    }
fail:
    ar_release(G->ar, rows);
    return rc;
}

/* Parses and resolves the aggregates SPECS[0..NA) into A. */
static int prepare_aggs(gb *G, const cs_dataset *ds, const char *const *specs,
                        size_t na, agg *a)
{
    size_t k;
    int rc;
    for (k = 0; k < na; k++) {
        const char *argv[3];
        size_t argl[3], nargs = 0;
        if ((rc = parse_agg(G, specs[k], &a[k], argv, argl, &nargs)))
            return rc;
        if (nargs >= 1 &&
            (rc = resolve_arg(G, ds, &a[k], argv[0], argl[0], &a[k].x)))
            return rc;
        if (a[k].fn == F_WMEAN &&
            (rc = resolve_arg(G, ds, &a[k], argv[1], argl[1], &a[k].w)))
            return rc;
        if ((rc = check_types(G, &a[k]))) return rc;
    }
    return CS_OK;
}

static void free_aggs(cs_engine *eng, agg *a, size_t na)
{
    size_t k;
    if (!a) return;
    for (k = 0; k < na; k++) {
        if (a[k].name) cs__free(eng, a[k].name, strlen(a[k].name) + 1);
        cs_expr_free(a[k].x.expr);
        cs_expr_free(a[k].w.expr);
        cs_column_release(a[k].x.owned);
        cs_column_release(a[k].w.owned);
    }
}

int cs_dataset_agg(const cs_dataset *ds, const char *const *keys,
                   size_t nkeys, const char *const *aggs, size_t naggs,
                   cs_dataset **out)
{
    arena ar = {ds->eng, NULL};
    gb g0, *G = &g0;
    size_t *kidx = NULL, k, j;
    agg *a = NULL;
    cs_dataset *res = NULL;
    int rc;
    *out = NULL;
    if ((rc = gb_init(G, &ar, ds))) return rc;
    NEW(kidx, nkeys);
    NEW(a, naggs);
    memset(a, 0, (naggs ? naggs : 1) * sizeof *a);
    if ((rc = find_keys(ds, keys, nkeys, kidx))) goto fail;
    if ((rc = prepare_aggs(G, ds, aggs, naggs, a))) goto fail;
    for (k = 0; k < naggs; k++) {
        int taken = 0;
        for (j = 0; j < nkeys; j++) taken |= strcmp(keys[j], a[k].name) == 0;
        for (j = 0; j < k; j++) taken |= strcmp(a[j].name, a[k].name) == 0;
        if (taken) {
            rc = cs__error(ds->eng, CS_EEXIST,
                           "aggregate '%.*s': the name '%s' is taken",
                           a[k].tlen, a[k].text, a[k].name);
            goto fail;
        }
    }
    /* The aggregates that stream may ride along the grouping, their
    ** arguments evaluated first. */
    NEW(G->st, naggs);
    for (k = 0; k < naggs; k++) {
        if (!streamable(&a[k])) continue;
        if ((rc = eval_args(G, ds, &a[k]))) goto fail;
        G->st[G->nst++].a = &a[k];
    }
    /* Sizes serve count() and the aggregates of columns without nulls
    ** (the others count their values). */
    G->want_gid = G->nst < naggs;
    G->want_sizes = G->want_gid;
    for (k = 0; k < G->nst; k++) {
        const agg *sa = G->st[k].a;
        if (sa->fn == F_COUNT_ROWS || !sa->x.col->valid) G->want_sizes = 1;
    }
    if ((rc = group_keys(G, ds, kidx, nkeys))) goto fail;
    if ((rc = cs_dataset_new(ds->eng, &res))) goto fail;
    if ((rc = add_keys(G, ds, kidx, nkeys, res))) goto fail;
    for (k = 0, j = 0; k < naggs; k++) {
        cs_column *col;
        if (G->fused && j < G->nst && G->st[j].a == &a[k]) {
            rc = stream_finish(G, &G->st[j++], &col);
            release_args(&a[k]);
        } else {
            rc = agg_run(G, ds, &a[k], &col);
        }
        if (rc) goto fail;
        rc = cs_dataset_add(res, a[k].name, col);
        cs_column_release(col);
        if (rc) goto fail;
    }
    free_aggs(ds->eng, a, naggs);
    ar_free(&ar);
    *out = res;
    return CS_OK;
fail:
    free_aggs(ds->eng, a, naggs);
    ar_free(&ar);
    cs_dataset_free(res);
    return rc;
}

int cs_dataset_distinct(const cs_dataset *ds, const char *const *keys,
                        size_t nkeys, cs_dataset **out)
{
    arena ar = {ds->eng, NULL};
    gb g0, *G = &g0;
    size_t *kidx = NULL, k;
    cs_dataset *res = NULL;
    int rc;
    *out = NULL;
    if ((rc = gb_init(G, &ar, ds))) return rc;
    if (nkeys == 0) {
        nkeys = ds->ncols;
        NEW(kidx, nkeys);
        for (k = 0; k < nkeys; k++) kidx[k] = k;
    } else {
        NEW(kidx, nkeys);
        if ((rc = find_keys(ds, keys, nkeys, kidx))) goto fail;
    }
    if ((rc = cs_dataset_new(ds->eng, &res))) goto fail;
    if (nkeys) {
        if ((rc = group_keys(G, ds, kidx, nkeys))) goto fail;
        if ((rc = add_keys(G, ds, kidx, nkeys, res))) goto fail;
    }
    ar_free(&ar);
    *out = res;
    return CS_OK;
fail:
    ar_free(&ar);
    cs_dataset_free(res);
    return rc;
}

/* The text naming a pivot column: the value as text, "NA" for null and
** "(empty)" for the empty string. */
static int value_name(const cs_column *col, size_t r, cs_buf *b)
{
    char tmp[40];
    b->len = 0;
    if (col->valid && !cs__bit(col->valid, r)) return cs__buf_add(b, "NA", 2);
    switch (col->type) {
    case CS_TYPE_STR: {
        size_t len;
        const char *s =
            cs__dict_str(col->dict, ((const uint32_t *)col->data)[r], &len);
        if (len == 0) return cs__buf_add(b, "(empty)", 7);
        return cs__buf_add(b, s, len);
    }
    case CS_TYPE_I64:
        return cs__buf_printf(b, "%lld",
                              (long long)((const int64_t *)col->data)[r]);
    case CS_TYPE_F64:
        cs__format_double(((const double *)col->data)[r], tmp, sizeof tmp);
        break;
    case CS_TYPE_BOOL:
        snprintf(tmp, sizeof tmp, "%s",
                 ((const uint8_t *)col->data)[r] ? "true" : "false");
        break;
    case CS_TYPE_DATE:
        cs_date_format(((const int32_t *)col->data)[r], tmp);
        break;
    }
    return cs__buf_add(b, tmp, strlen(tmp));
}

int cs_dataset_pivot(const cs_dataset *ds, const char *const *rows,
                     size_t nrows, const char *cols, const char *value,
                     cs_dataset **out)
{
    arena ar = {ds->eng, NULL};
    gb gr, gc, gx, *G = &gx;
    size_t *kidx = NULL, cidx, k, j, c, nr, ncol, ncell;
    size_t *coff = NULL, *cpos = NULL;
    uint32_t *cells = NULL;
    agg a;
    cs_column *cellcol = NULL;
    cs_dataset *res = NULL;
    const char *spec[1];
    cs_buf name;
    int rc, zero;
    *out = NULL;
    memset(&a, 0, sizeof a);
    cs__buf_init(&name, ds->eng);
    spec[0] = value;
    if ((rc = gb_init(&gr, &ar, ds)) || (rc = gb_init(&gc, &ar, ds)) ||
        (rc = gb_init(&gx, &ar, ds)))
        return rc;
    NEW(kidx, nrows + 1);
    if ((rc = find_keys(ds, rows, nrows, kidx))) goto fail;
    if (cs_dataset_find(ds, cols) < 0) {
        rc = not_found(ds, cols);
        goto fail;
    }
    cidx = (size_t)cs_dataset_find(ds, cols);
    for (k = 0; k < nrows; k++)
        if (kidx[k] == cidx) {
            rc = cs__error(ds->eng, CS_EINVAL,
                           "pivot: '%s' is both a row key and the column key",
                           cols);
            goto fail;
        }
    if ((rc = prepare_aggs(G, ds, spec, 1, &a))) goto fail;
    zero = a.fn == F_COUNT_ROWS || a.fn == F_COUNT ||
           a.fn == F_COUNT_DISTINCT;
    /* Row groups, column groups, and cells: the pairs that occur. */
    if ((rc = group_keys(&gr, ds, kidx, nrows))) goto fail;
    if ((rc = group_keys(&gc, ds, &cidx, 1))) goto fail;
    nr = gr.ng;
    ncol = gc.ng;
    {
        uint64_t card = nr ? nr : 1;
        uint32_t *af = NULL, *bf = NULL;
        NEW(gx.gid, gx.n);
        if (gx.n) memcpy(gx.gid, gr.gid, gx.n * sizeof *gx.gid);
        /* Both are first-appearance ids already (AF and BF say so); the
        ** pairs go to a direct array or a hash as their number needs. */
        NEW(af, 1);
        NEW(bf, 1);
        if ((rc = combine(&gx, gx.gid, &card, &af, gc.gid, ncol ? ncol : 1,
                          bf)))
            goto fail;
        if (!af) {
            if ((rc = densify(&gx, gx.gid, card, &af, &gx.ng))) goto fail;
        } else {
            gx.ng = card;
        }
        gx.first = af;
    }
    ncell = gx.n ? gx.ng : 0;
    if ((rc = agg_run(&gx, ds, &a, &cellcol))) goto fail;
    /* Cells by column, in row order within each. */
    NEW(coff, ncol + 1);
    NEW(cpos, ncol + 1);
    NEW(cells, ncell);
    memset(coff, 0, (ncol + 1) * sizeof *coff);
    for (c = 0; c < ncell; c++) coff[gc.gid[gx.first[c]] + 1]++;
    for (j = 0; j < ncol; j++) coff[j + 1] += coff[j];
    memcpy(cpos, coff, (ncol + 1) * sizeof *cpos);
    for (c = 0; c < ncell; c++)
        cells[cpos[gc.gid[gx.first[c]]]++] = (uint32_t)c;
    if ((rc = cs_dataset_new(ds->eng, &res))) goto fail;
    if ((rc = add_keys(&gr, ds, kidx, nrows, res))) goto fail;
    for (j = 0; j < ncol; j++) {
        const uint32_t *csel;
        const cs_column *cbase = cs__dataset_base(ds, cidx, &csel);
        size_t esz = cs__type_size(cellcol->type), r;
        uint32_t f = gc.first[j];
        cs_column *col;
        if ((rc = value_name(cbase, csel ? csel[f] : f, &name))) goto fail;
        for (k = 0; k < nrows; k++)
            if (strcmp(rows[k], name.p) == 0) {
                rc = cs__error(ds->eng, CS_EEXIST,
                               "pivot: the value '%s' of '%s' is also the "
                               "name of a row key",
                               name.p, cols);
                goto fail;
            }
        if ((rc = cs__column_new_like(cellcol, &col))) goto fail;
        if ((rc = cs_column_reserve(col, nr))) goto colfail;
        memset(col->data, 0, nr * esz);
        if (!zero || cellcol->valid) {
            size_t bytes = (col->cap + 63) / 64 * sizeof(uint64_t);
            if (!(col->valid = cs__alloc(ds->eng, bytes))) {
                rc = cs__oom(ds->eng);
                goto colfail;
            }
            memset(col->valid, zero ? 0xFF : 0, bytes);
            col->vcap = col->cap;
        }
        for (k = coff[j]; k < coff[j + 1]; k++) {
            uint32_t cell = cells[k];
            r = gr.gid[gx.first[cell]];
            if (cellcol->valid && !cs__bit(cellcol->valid, cell)) {
                col->valid[r >> 6] &= ~((uint64_t)1 << (r & 63));
                continue;
            }
            memcpy((char *)col->data + r * esz,
                   (const char *)cellcol->data + (size_t)cell * esz, esz);
            if (col->valid) col->valid[r >> 6] |= (uint64_t)1 << (r & 63);
        }
        col->len = nr;
        if (col->valid) {
            for (r = 0; r < nr; r++) col->nnull += !cs__bit(col->valid, r);
            if (!col->nnull) {
                cs__free(ds->eng, col->valid,
                         (col->vcap + 63) / 64 * sizeof(uint64_t));
                col->valid = NULL;
                col->vcap = 0;
            }
        }
        rc = cs_dataset_add(res, name.p, col);
    colfail:
        cs_column_release(col);
        if (rc) goto fail;
    }
    cs_column_release(cellcol);
    free_aggs(ds->eng, &a, 1);
    cs__buf_free(&name);
    ar_free(&ar);
    *out = res;
    return CS_OK;
fail:
    cs_column_release(cellcol);
    free_aggs(ds->eng, &a, 1);
    cs__buf_free(&name);
    ar_free(&ar);
    cs_dataset_free(res);
    return rc;
}
