/*
** sort.c: stable multi-key sorting, returned as a view.
** Every key maps each row to an order-preserving unsigned integer (a
** string through the rank of its dictionary code, collated once per
** distinct value); consecutive keys are packed into 64-bit words and the
** positions are radix sorted word by word, last word first, each word
** stably, so the whole sort is stable.  Nulls map above every value:
** last in both directions.  NaN is greater than every number (last
** ascending, first descending), as in DuckDB and PostgreSQL.
*/
#include "csint.h"

#include <stdio.h>
#include <string.h>

#include <unicode/ucol.h>
#include <unicode/ustring.h>

/* One sort key: the column it reads and how its values map to integers. */
typedef struct skey {
    const cs_column *base;
    const uint32_t *sel;   /* rows of BASE the dataset shows; NULL: dense */
    int desc;
    uint32_t *rank;        /* string keys: rank of each dictionary code */
    size_t nrank;
    uint64_t lo, hi;       /* range of the mapped non-null values */
    int any, has_null;
    uint64_t nullkey;      /* what a null row sorts as */
    int width;             /* bits of a key; 65: 64 bits and a null flag */
    int shift;             /* its place in the packed word */
} skey;

/* ---- parsing "name [asc|desc]" ---- */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static int word_is(const char *s, size_t len, const char *w)
{
    size_t i;
    if (len != strlen(w)) return 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (c != w[i]) return 0;
    }
    return 1;
}

/* The column named S[0..LEN) (compared in NFC, as cs_dataset_find
** does): its index, -1 when there is none, -2 when memory ran out. */
static ptrdiff_t find_name(const cs_dataset *ds, const char *s, size_t len)
{
    size_t i;
    ptrdiff_t found;
    char *z;
    if (cs__is_ascii(s, len)) {
        for (i = 0; i < ds->ncols; i++)
            if (strlen(ds->names[i]) == len &&
                memcmp(ds->names[i], s, len) == 0)
                return (ptrdiff_t)i;
        return -1;
    }
    z = cs__strndup(ds->eng, s, len);
    if (!z) return -2;
    found = cs_dataset_find(ds, z);
    cs__free(ds->eng, z, len + 1);
    return found;
}

static int parse_key(const cs_dataset *ds, const char *text, size_t *col,
                     int *desc)
{
    const char *s = text, *e = text + strlen(text), *name;
    size_t nlen;
    ptrdiff_t idx;
    while (s < e && is_space(*s)) s++;
    while (e > s && is_space(e[-1])) e--;
    *desc = 0;
    if (s < e && *s == '`') {
        const char *q = memchr(s + 1, '`', (size_t)(e - s - 1)), *r;
        if (!q)
            return cs__error(ds->eng, CS_EPARSE,
                             "sort key '%s': unclosed backquote", text);
        name = s + 1;
        nlen = (size_t)(q - name);
        for (r = q + 1; r < e && is_space(*r); r++) {}
        if (r < e) {
            if (word_is(r, (size_t)(e - r), "desc"))
                *desc = 1;
            else if (!word_is(r, (size_t)(e - r), "asc"))
                return cs__error(ds->eng, CS_EPARSE,
                                 "sort key '%s': expected asc or desc after "
                                 "the column name", text);
        }
    } else {
        name = s;
        nlen = (size_t)(e - s);
        /* A whole key naming a column wins, so "desc" can be a column. */
        idx = find_name(ds, name, nlen);
        if (idx == -2) return cs__oom(ds->eng);
        if (idx < 0) {
            const char *w = e;
            while (w > s && !is_space(w[-1])) w--;
            if (w > s) {
                if (word_is(w, (size_t)(e - w), "desc"))
                    *desc = 1;
                else if (!word_is(w, (size_t)(e - w), "asc"))
                    return cs__error(ds->eng, CS_EPARSE,
                                     "sort key '%s': expected asc or desc, "
                                     "got '%.*s'", text, (int)(e - w), w);
                while (w > s && is_space(w[-1])) w--;
                nlen = (size_t)(w - s);
            }
        }
    }
    if (nlen == 0)
        return cs__error(ds->eng, CS_EPARSE, "sort key '%s': no column name",
                         text);
    idx = find_name(ds, name, nlen);
    if (idx == -2) return cs__oom(ds->eng);
    if (idx < 0) {
        char prefix[240], nm[201];
        snprintf(prefix, sizeof prefix, "sort key '%.200s': ", text);
        snprintf(nm, sizeof nm, "%.*s", nlen > 200 ? 200 : (int)nlen, name);
        return cs__no_column(ds, prefix, nm);
    }
    *col = (size_t)idx;
    return CS_OK;
}

/* ---- radix sorting ---- */

/* The end of the block of rows starting at FROM: long loops go a block
** at a time and look at the interrupt flag between blocks. */
static size_t block_end(size_t from, size_t n)
{
    return n - from < CS_INTERRUPT_STRIDE ? n : from + CS_INTERRUPT_STRIDE;
}

static int bits(uint64_t x)
{
    return x ? 64 - __builtin_clzll(x) : 0;
}

/* Digits are at most 11 bits: the counts of one pass stay in L1/L2. */
#define DIGIT_BITS 11
#define NDIGITS (1u << DIGIT_BITS)
/* A split into digits of at least 4 bits happens at most this many times
** on the way down to one 64-bit key: the histograms a sort needs. */
#define LEVELS 16
/* The first, bucketing pass uses fewer: fewer streams to write to. */
#define TOP_BITS 8

/* Sorts the pairs (K, P)[0..M) stably by K, whose values are below 2^W:
** insertion for a few, else a counting pass on the top digit through the
** scratch TK, TP and each part in turn.  These runs are small enough to
** stay in cache, and most parts are tiny after a digit or two, so this
** beats passing over every digit.  CNT holds a histogram per level. */
#define LOCAL_SORT(name, T)                                                   \
    /* NOLINTNEXTLINE(bugprone-macro-parentheses): T is a type. */            \
    static void name(T *k, uint32_t *p, T *tk, uint32_t *tp, size_t m, int w, \
                     size_t (*cnt)[NDIGITS])                                  \
    {                                                                         \
        int b, sh;                                                            \
        size_t i, j, *c = cnt[0], nd, at;                                     \
        if (m < 32) {                                                         \
            for (i = 1; i < m; i++) {                                         \
                T kv = k[i];                                                  \
                uint32_t pv = p[i];                                           \
                for (j = i; j > 0 && k[j - 1] > kv; j--) {                    \
                    k[j] = k[j - 1];                                          \
                    p[j] = p[j - 1];                                          \
                }                                                             \
                k[j] = kv;                                                    \
                p[j] = pv;                                                    \
            }                                                                 \
            return;                                                           \
        }                                                                     \
        /* About one digit value per four rows: small parts, few counts     \
        ** (with M >= 32, B is not negative). */                             \
        b = bits(m) - 2;                                                      \
        if (b > DIGIT_BITS) b = DIGIT_BITS;                                   \
        if (b > w) b = w;                                                     \
        sh = w - b;                                                           \
        nd = (size_t)1 << b;                                                  \
        memset(c, 0, nd * sizeof *c);                                         \
        for (i = 0; i < m; i++) c[(k[i] >> sh) & (nd - 1)]++;                 \
        for (i = 0; i < nd && c[i] != m; i++) {}                              \
        if (i < nd) {                                                         \
            /* One digit value: the next digit decides. */                    \
            if (sh) name(k, p, tk, tp, m, sh, cnt);                           \
            return;                                                           \
        }                                                                     \
        /* Counts become starts, and after the scatter ends. */               \
        for (i = 0, at = 0; i < nd; i++) {                                    \
            size_t t = c[i];                                                  \
            c[i] = at;                                                        \
            at += t;                                                          \
        }                                                                     \
        for (i = 0; i < m; i++) {                                             \
            size_t o = c[(k[i] >> sh) & (nd - 1)]++;                          \
            tk[o] = k[i];                                                     \
            tp[o] = p[i];                                                     \
        }                                                                     \
        memcpy(k, tk, m * sizeof *k);                                         \
        memcpy(p, tp, m * sizeof *p);                                         \
        if (!sh) return;                                                      \
        for (i = 0, at = 0; i < nd; at = c[i], i++)                           \
            if (c[i] - at > 1)                                                \
                name(k + at, p + at, tk, tp, c[i] - at, sh, cnt + 1);         \
    }
LOCAL_SORT(local_sort32, uint32_t)
LOCAL_SORT(local_sort64, uint64_t)

/* ---- string ranks ---- */

/* What the merge sort of distinct strings compares: ICU sort keys
** (KEYS, KOFF) or the dictionary's bytes. */
typedef struct rctx {
    const cs_dict *dict;
    const uint32_t *codes;
    const uint8_t *keys;
    const size_t *koff;
} rctx;

static int cmp_idx(const rctx *c, uint32_t a, uint32_t b)
{
    const void *pa, *pb;
    size_t la, lb;
    int r;
    if (c->keys) {
        pa = c->keys + c->koff[a];
        la = c->koff[a + 1] - c->koff[a];
        pb = c->keys + c->koff[b];
        lb = c->koff[b + 1] - c->koff[b];
    } else {
        pa = cs__dict_str(c->dict, c->codes[a], &la);
        pb = cs__dict_str(c->dict, c->codes[b], &lb);
    }
    r = memcmp(pa, pb, la < lb ? la : lb);
    if (r) return r;
    return (la > lb) - (la < lb);
}

static void msort(const rctx *c, uint32_t *a, uint32_t *tmp, size_t n)
{
    size_t mid = n / 2, i, j, k;
    if (n < 16) {
        for (i = 1; i < n; i++) {
            uint32_t v = a[i];
            for (j = i; j > 0 && cmp_idx(c, a[j - 1], v) > 0; j--)
                a[j] = a[j - 1];
            a[j] = v;
        }
        return;
    }
    msort(c, a, tmp, mid);
    msort(c, a + mid, tmp, n - mid);
    memcpy(tmp, a, mid * sizeof *a);
    for (i = 0, j = mid, k = 0; i < mid && j < n;)
        a[k++] = cmp_idx(c, a[j], tmp[i]) < 0 ? a[j++] : tmp[i++];
    while (i < mid) a[k++] = tmp[i++];
}

static int icu_error(cs_engine *eng, UErrorCode st, const char *what)
{
    if (st == U_MEMORY_ALLOCATION_ERROR) return cs__oom(eng);
    return cs__error(eng, CS_EINVAL, "%s failed (ICU: %s)", what,
                     u_errorName(st));
}

/* The ICU sort keys of the NU strings CODES[i] of DICT, one after the
** other in KEYS (offsets KOFF[0..NU]). */
static int icu_keys(cs_engine *eng, UCollator *uc, const cs_dict *dict,
                    const uint32_t *codes, size_t nu, cs_buf *keys,
                    size_t *koff)
{
    UChar *u = NULL;
    size_t i, maxlen = 1, ucap;
    int rc = CS_OK;
    for (i = 0; i < nu; i++) {
        size_t len;
        cs__dict_str(dict, codes[i], &len);
        if (len > maxlen) maxlen = len;
    }
    /* UTF-16 never needs more units than UTF-8 has bytes. */
    if (maxlen > INT32_MAX / 4)
        return cs__error(eng, CS_EINVAL, "a string is too long to collate");
    ucap = maxlen;
    u = cs__alloc(eng, ucap * sizeof *u);
    if (!u) return cs__oom(eng);
    koff[0] = 0;
    for (i = 0; i < nu; i++) {
        size_t len;
        const char *s = cs__dict_str(dict, codes[i], &len);
        UErrorCode st = U_ZERO_ERROR;
        int32_t ulen = 0, klen;
        u_strFromUTF8(u, (int32_t)ucap, &ulen, s, (int32_t)len, &st);
        if (U_FAILURE(st)) {
            rc = icu_error(eng, st, "converting to UTF-16");
            goto done;
        }
        for (;;) {
            size_t room = keys->cap - keys->len - (keys->cap ? 1 : 0);
            if (room > INT32_MAX) room = INT32_MAX;
            klen = ucol_getSortKey(uc, u, ulen,
                                   keys->p ? (uint8_t *)keys->p + keys->len
                                           : NULL,
                                   keys->p ? (int32_t)room : 0);
            if (klen <= 0) {
                rc = cs__error(eng, CS_EINVAL, "ICU gave no sort key");
                goto done;
            }
            if (keys->p && (size_t)klen <= room) break;
            /* Geometric growth: reserve at least as much as is held. */
            rc = cs__buf_reserve(keys, (size_t)klen > keys->len
                                           ? (size_t)klen
                                           : keys->len);
            if (rc) goto done;
        }
        keys->len += (size_t)klen;
        koff[i + 1] = keys->len;
    }
done:
    cs__free(eng, u, ucap * sizeof *u);
    return rc;
}

/* Fills K->rank with the rank of every dictionary code K's rows use:
** equal strings (under the collation) share a rank. */
static int string_ranks(cs_engine *eng, skey *k, size_t n, cs_collation coll,
                        UCollator **uc)
{
    const cs_dict *dict = k->base->dict;
    const uint32_t *codes = k->base->data;
    const uint64_t *valid = k->base->valid;
    size_t nd = dict->n, nu = 0, i;
    uint8_t *used = NULL;
    uint32_t *list = NULL, *idx = NULL, *tmp = NULL;
    size_t *koff = NULL;
    cs_buf keys;
    rctx c;
    int rc = CS_OK;
    cs__buf_init(&keys, eng);
    k->nrank = nd ? nd : 1;
    k->rank = cs__alloc(eng, k->nrank * sizeof *k->rank);
    used = cs__alloc(eng, nd ? nd : 1);
    if (!k->rank || !used) {
        rc = cs__oom(eng);
        goto done;
    }
    memset(used, 0, nd ? nd : 1);
    for (i = 0; i < n; i++) {
        size_t r = k->sel ? k->sel[i] : i;
        if ((i & (CS_INTERRUPT_STRIDE - 1)) == 0 &&
            (rc = cs__check_interrupt(eng)))
            goto done;
        if (valid && !cs__bit(valid, r)) continue;
        used[codes[r]] = 1;
    }
    for (i = 0; i < nd; i++) nu += used[i];
    if (nu == 0) goto done;
    list = cs__alloc(eng, nu * sizeof *list);
    idx = cs__alloc(eng, nu * sizeof *idx);
    tmp = cs__alloc(eng, nu * sizeof *tmp);
    if (!list || !idx || !tmp) {
        rc = cs__oom(eng);
        goto done;
    }
    for (i = 0, nu = 0; i < nd; i++)
        if (used[i]) {
            idx[nu] = (uint32_t)nu;
            list[nu++] = (uint32_t)i;
        }
    memset(&c, 0, sizeof c);
    c.dict = dict;
    c.codes = list;
    if (coll == CS_COLLATE_VI) {
        if (!*uc) {
            UErrorCode st = U_ZERO_ERROR;
            *uc = ucol_open("vi", &st);
            if (U_FAILURE(st)) {
                *uc = NULL;
                rc = icu_error(eng, st, "opening the Vietnamese collation");
                goto done;
            }
        }
        koff = cs__alloc(eng, (nu + 1) * sizeof *koff);
        if (!koff) {
            rc = cs__oom(eng);
            goto done;
        }
        rc = icu_keys(eng, *uc, dict, list, nu, &keys, koff);
        if (rc) goto done;
        c.keys = (const uint8_t *)keys.p;
        c.koff = koff;
    }
    msort(&c, idx, tmp, nu);
    k->rank[list[idx[0]]] = 0;
    for (i = 1; i < nu; i++)
        k->rank[list[idx[i]]] =
            k->rank[list[idx[i - 1]]] + (cmp_idx(&c, idx[i - 1], idx[i]) != 0);
done:
    cs__buf_free(&keys);
    cs__free(eng, koff, (nu + 1) * sizeof *koff);
    cs__free(eng, tmp, nu * sizeof *tmp);
    cs__free(eng, idx, nu * sizeof *idx);
    cs__free(eng, list, nu * sizeof *list);
    cs__free(eng, used, nd ? nd : 1);
    return rc;
}

/* ---- mapping values to order-preserving integers ---- */

#define MAP_I64(v) ((uint64_t)(v) ^ 0x8000000000000000ull)
#define MAP_DATE(v) ((uint64_t)((uint32_t)(v) ^ 0x80000000u))
#define MAP_BOOL(v) ((uint64_t)(v))
#define MAP_STR(v) ((uint64_t)rank[v])
#define MAP_F64(v) map_f64(v)

/* IEEE order as unsigned integers: negative numbers reversed below the
** positive ones; -0 is 0 (they are equal) and NaN is above +Inf. */
static inline uint64_t map_f64(double v)
{
    uint64_t u;
    if (v != v) return UINT64_MAX;
    if (v == 0) v = 0;
    memcpy(&u, &v, sizeof u);
    return (u >> 63) ? ~u : u | 0x8000000000000000ull;
}

#define SCAN_LOOP(ctype, MAP)                                            \
    do {                                                                 \
        const ctype *d_ = (const ctype *)k->base->data;                  \
        for (j = from; j < to; j++) {                                    \
            size_t r = sel ? sel[j] : j;                                 \
            uint64_t m;                                                  \
            if (valid && !cs__bit(valid, r)) {                           \
                k->has_null = 1;                                         \
                continue;                                                \
            }                                                            \
            m = MAP(d_[r]);                                              \
            lo = m < lo ? m : lo;                                        \
            hi = m > hi ? m : hi;                                        \
            k->any = 1;                                                  \
        }                                                                \
    } while (0)

/* Widens K's range with rows [FROM, TO) of the dataset. */
static void scan_rows(skey *k, size_t from, size_t to)
{
    const uint32_t *sel = k->sel, *rank = k->rank;
    const uint64_t *valid = k->base->valid;
    uint64_t lo = k->lo, hi = k->hi;
    size_t j;
    switch (k->base->type) {
    case CS_TYPE_I64: SCAN_LOOP(int64_t, MAP_I64); break;
    case CS_TYPE_F64: SCAN_LOOP(double, MAP_F64); break;
    case CS_TYPE_STR: SCAN_LOOP(uint32_t, MAP_STR); break;
    case CS_TYPE_BOOL: SCAN_LOOP(uint8_t, MAP_BOOL); break;
    case CS_TYPE_DATE: SCAN_LOOP(int32_t, MAP_DATE); break;
    }
    k->lo = lo;
    k->hi = hi;
}

#define FILL_LOOP(ctype, MAP)                                            \
    do {                                                                 \
        const ctype *d_ = (const ctype *)k->base->data;                  \
        for (j = from; j < to; j++) {                                    \
            size_t r = perm ? perm[j] : j;                               \
            uint64_t v;                                                  \
            if (sel) r = sel[r];                                         \
            if (valid && !cs__bit(valid, r)) {                           \
                v = k->nullkey;                                          \
            } else {                                                     \
                v = MAP(d_[r]);                                          \
                v = k->desc ? k->hi - v : v - k->lo;                     \
            }                                                            \
            out[j - from] |= v << k->shift;                              \
        }                                                                \
    } while (0)

/* ORs K's key of the rows PERM[FROM..TO) (PERM NULL: the rows FROM..TO)
** into OUT[0..TO-FROM). */
static void fill_rows(const skey *k, const uint32_t *perm, size_t from,
                      size_t to, uint64_t *out)
{
    const uint32_t *sel = k->sel, *rank = k->rank;
    const uint64_t *valid = k->base->valid;
    size_t j;
    switch (k->base->type) {
    case CS_TYPE_I64: FILL_LOOP(int64_t, MAP_I64); break;
    case CS_TYPE_F64: FILL_LOOP(double, MAP_F64); break;
    case CS_TYPE_STR: FILL_LOOP(uint32_t, MAP_STR); break;
    case CS_TYPE_BOOL: FILL_LOOP(uint8_t, MAP_BOOL); break;
    case CS_TYPE_DATE: FILL_LOOP(int32_t, MAP_DATE); break;
    }
}

/* ---- sorting rows ---- */

/* The sort state.  Fresh memory is a large part of the cost of sorting
** big inputs (every page must be faulted in), so full keys are never
** stored: a pass recomputes a block of packed keys from the columns, and
** the positions move between the view's own selection SEL and, for
** words of several keys, one scratch array. */
typedef struct sorter {
    cs_engine *eng;
    skey *ks;
    size_t n;
    uint32_t *cur;      /* the current order; NULL: 0..n-1 */
    uint32_t *sel;      /* n entries: where the result must end */
    uint32_t *scratch;  /* n entries, allocated at the second move */
    uint64_t *blk;      /* NBLK packed keys: a block of rows */
    size_t nblk;
    size_t (*cnt)[NDIGITS];   /* LEVELS histograms, for the buckets */
} sorter;

/* The packed keys of keys [S, E) for rows CUR[FROM..TO) into ST->blk. */
static void block_keys(sorter *st, size_t s, size_t e, size_t from, size_t to)
{
    size_t i;
    memset(st->blk, 0, (to - from) * sizeof *st->blk);
    for (i = s; i < e; i++)
        if (st->ks[i].width) fill_rows(&st->ks[i], st->cur, from, to, st->blk);
}

/* The array the next move writes into. */
static int target(sorter *st, uint32_t **dst)
{
    *dst = NULL;
    if (st->cur != st->sel) {
        *dst = st->sel;
        return CS_OK;
    }
    if (!st->scratch) {
        st->scratch = cs__alloc(st->eng, st->n * sizeof *st->scratch);
        if (!st->scratch) return cs__oom(st->eng);
    }
    *dst = st->scratch;
    return CS_OK;
}


/* Sorts the current order stably by the W-bit packed words of keys
** [S, E).  One counting pass on the top bits scatters the positions into
** buckets (reading the rows in the current order, so stably), with the
** remaining low bits of each key beside them; then each bucket is sorted
** on those bits in cache.  Keys of at most DIGIT_BITS bits need only the
** first pass. */
static int sort_word(sorter *st, size_t s, size_t e, int w)
{
    size_t n = st->n, from, i, maxb = 0, bytes = 0;
    int hb = w <= DIGIT_BITS ? w : TOP_BITS, low = w - hb, rc;
    uint64_t hmask = ((uint64_t)1 << hb) - 1, lmask;
    size_t cnt[NDIGITS], off[NDIGITS];
    uint32_t *cur = st->cur, *dst, *tp = NULL;
    uint32_t *k32 = NULL, *t32 = NULL;
    uint64_t *k64 = NULL, *t64 = NULL;
    lmask = low == 64 ? UINT64_MAX : ((uint64_t)1 << low) - 1;
    /* The counts do not depend on the order: read the rows in theirs. */
    memset(cnt, 0, sizeof cnt);
    st->cur = NULL;
    for (from = 0; from < n; from += CS_INTERRUPT_STRIDE) {
        size_t to = block_end(from, n);
        if ((rc = cs__check_interrupt(st->eng))) return rc;
        block_keys(st, s, e, from, to);
        for (i = 0; i < to - from; i++) cnt[(st->blk[i] >> low) & hmask]++;
    }
    st->cur = cur;
    for (i = 0, from = 0; i <= hmask; i++) {
        off[i] = from;
        from += cnt[i];
        if (cnt[i] > maxb) maxb = cnt[i];
    }
    if (maxb == n && low == 0) return CS_OK;   /* all equal */
    if ((rc = target(st, &dst))) return rc;
    if (low) {
        bytes = n * (low <= 32 ? sizeof *k32 : sizeof *k64);
        if (low <= 32)
            k32 = cs__alloc(st->eng, bytes);
        else
            k64 = cs__alloc(st->eng, bytes);
        if (!k32 && !k64) return cs__oom(st->eng);
    }
    for (from = 0; from < n; from += CS_INTERRUPT_STRIDE) {
        size_t to = block_end(from, n);
        const uint64_t *blk = st->blk;
        if ((rc = cs__check_interrupt(st->eng))) goto done;
        block_keys(st, s, e, from, to);
        for (i = from; i < to; i++) {
            uint64_t v = blk[i - from];
            size_t o = off[(v >> low) & hmask]++;
            dst[o] = cur ? cur[i] : (uint32_t)i;
            if (k32)
                k32[o] = (uint32_t)(v & lmask);
            else if (k64)
                k64[o] = v & lmask;
        }
    }
    st->cur = dst;
    if (!low) return CS_OK;
    /* Bucket I is now [off[I] - cnt[I], off[I]). */
    {
        size_t tb = maxb * (low <= 32 ? sizeof *t32 : sizeof *t64);
        tp = cs__alloc(st->eng, maxb * sizeof *tp);
        if (low <= 32)
            t32 = cs__alloc(st->eng, tb);
        else
            t64 = cs__alloc(st->eng, tb);
        if (!st->cnt) st->cnt = cs__alloc(st->eng, LEVELS * sizeof *st->cnt);
        if (!tp || (!t32 && !t64) || !st->cnt) {
            rc = cs__oom(st->eng);
            goto done;
        }
        for (i = 0; i <= hmask; i++) {
            size_t b = off[i] - cnt[i], m = cnt[i];
            if (m < 2) continue;
            if ((rc = cs__check_interrupt(st->eng))) goto done;
            if (k32)
                local_sort32(k32 + b, dst + b, t32, tp, m, low, st->cnt);
            else
                local_sort64(k64 + b, dst + b, t64, tp, m, low, st->cnt);
        }
    }
    rc = CS_OK;
done:
    if (tp) cs__free(st->eng, tp, maxb * sizeof *tp);
    cs__free(st->eng, t32, maxb * sizeof *t32);
    cs__free(st->eng, t64, maxb * sizeof *t64);
    cs__free(st->eng, k32, bytes);
    cs__free(st->eng, k64, bytes);
    return rc;
}

/* Moves the rows whose key K is null after the others, stably. */
static int null_partition(sorter *st, const skey *k)
{
    const uint64_t *valid = k->base->valid;
    const uint32_t *src = st->cur;
    uint32_t *dst;
    size_t i, nn = 0, a = 0, z, n = st->n;
    int rc = target(st, &dst);
    if (rc) return rc;
    for (i = 0; i < n; i++) {
        size_t r = src ? src[i] : i;
        nn += cs__bit(valid, k->sel ? k->sel[r] : r);
    }
    z = nn;
    for (i = 0; i < n; i++) {
        uint32_t p = src ? src[i] : (uint32_t)i;
        if ((i & (CS_INTERRUPT_STRIDE - 1)) == 0 &&
            (rc = cs__check_interrupt(st->eng)))
            return rc;
        if (cs__bit(valid, k->sel ? k->sel[p] : p))
            dst[a++] = p;
        else
            dst[z++] = p;
    }
    st->cur = dst;
    return CS_OK;
}

int cs_dataset_sort(const cs_dataset *ds, const char *const *keys,
                    size_t nkeys, cs_collation coll, cs_dataset **out)
{
    cs_engine *eng = ds->eng;
    size_t n = ds->nrows, i, j, from;
    skey *ks = NULL;
    cs_sel *sel = NULL;
    sorter st;
    UCollator *uc = NULL;
    int rc = CS_OK;
    *out = NULL;
    memset(&st, 0, sizeof st);
    if (nkeys && !keys)
        return cs__error(eng, CS_EMISUSE, "sort keys are NULL");
    if (coll != CS_COLLATE_VI && coll != CS_COLLATE_BYTES)
        return cs__error(eng, CS_EINVAL, "invalid collation %d", (int)coll);
    if (n > UINT32_MAX || (ds->ncols && ds->cols[0]->len > UINT32_MAX))
        return cs__error(eng, CS_EOVERFLOW,
                         "sorting needs fewer than 2^32 rows");
    ks = cs__alloc(eng, (nkeys ? nkeys : 1) * sizeof *ks);
    if (!ks) return cs__oom(eng);
    memset(ks, 0, (nkeys ? nkeys : 1) * sizeof *ks);
    /* Every key is checked before a row is read. */
    for (i = 0; i < nkeys; i++) {
        size_t col = 0;
        if (!keys[i]) {
            rc = cs__error(eng, CS_EMISUSE, "sort key %zu is NULL", i + 1);
            goto done;
        }
        rc = parse_key(ds, keys[i], &col, &ks[i].desc);
        if (rc) goto done;
        ks[i].base = cs__dataset_base(ds, col, &ks[i].sel);
        ks[i].lo = UINT64_MAX;
    }
    for (i = 0; i < nkeys; i++) {
        skey *k = &ks[i];
        uint64_t range;
        if (k->base->type == CS_TYPE_STR &&
            (rc = string_ranks(eng, k, n, coll, &uc)))
            goto done;
        for (from = 0; from < n; from += CS_INTERRUPT_STRIDE) {
            if ((rc = cs__check_interrupt(eng))) goto done;
            scan_rows(k, from,
                      block_end(from, n));
        }
        if (!k->any) {
            k->lo = k->hi = 0;   /* all null (or no rows): nothing to do */
            continue;
        }
        range = k->hi - k->lo;
        if (!k->has_null) {
            k->width = bits(range);
        } else if (range == UINT64_MAX) {
            k->width = 65;   /* a stable partition puts the nulls last */
        } else {
            k->nullkey = range + 1;
            k->width = bits(range + 1);
        }
    }
    if ((rc = cs__sel_new(eng, n, &sel))) goto done;
    st.eng = eng;
    st.ks = ks;
    st.n = n;
    st.sel = sel->rows;
    st.nblk = n < CS_INTERRUPT_STRIDE ? (n ? n : 1) : CS_INTERRUPT_STRIDE;
    st.blk = cs__alloc(eng, st.nblk * sizeof *st.blk);
    if (!st.blk) {
        rc = cs__oom(eng);
        goto done;
    }
    /* Keys are packed into words, most significant first; the words are
    ** sorted last one first.  A word is keys [S, E). */
    for (i = nkeys; i > 0;) {
        size_t e = i, s = i;
        int w = 0;
        if (ks[i - 1].width == 65) {
            s = i - 1;
            w = 64;
        } else {
            while (s > 0 && ks[s - 1].width != 65 &&
                   w + ks[s - 1].width <= 64) {
                ks[s - 1].shift = w;
                w += ks[s - 1].width;
                s--;
            }
        }
        i = s;
        if (w == 0) continue;
        if ((rc = sort_word(&st, s, e, w))) goto done;
        if (ks[s].width == 65 && (rc = null_partition(&st, &ks[s])))
            goto done;
    }
    if (!st.cur) {
        for (j = 0; j < n; j++) st.sel[j] = (uint32_t)j;
    } else if (st.cur != st.sel) {
        memcpy(st.sel, st.cur, n * sizeof *st.sel);
    }
    /* Positions in DS become rows of its base. */
    if (ds->sel)
        for (j = 0; j < n; j++) st.sel[j] = ds->sel->rows[st.sel[j]];
    rc = cs__dataset_view_sel(ds, sel, out);
    sel = NULL;
done:
    if (uc) ucol_close(uc);
    cs__sel_release(sel);
    cs__free(eng, st.scratch, n * sizeof *st.scratch);
    cs__free(eng, st.cnt, LEVELS * sizeof *st.cnt);
    cs__free(eng, st.blk, st.nblk * sizeof *st.blk);
    for (i = 0; i < nkeys; i++)
        cs__free(eng, ks[i].rank, ks[i].nrank * sizeof *ks[i].rank);
    cs__free(eng, ks, (nkeys ? nkeys : 1) * sizeof *ks);
    return rc;
}
