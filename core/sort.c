/*
** sort.c: stable multi-key sorting, returned as a view.
** Every key maps each row to an order-preserving unsigned integer (a
** string through the rank of its dictionary code, collated once per
** distinct value); consecutive keys are packed into 64-bit words and the
** row positions are LSD-radix sorted word by word, last word first, so
** the whole sort is stable.  Nulls map above every value: last in both
** directions.  NaN is greater than every number (last ascending, first
** descending), as in DuckDB and PostgreSQL.
*/
#include "csint.h"

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

static ptrdiff_t find_name(const cs_dataset *ds, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < ds->ncols; i++)
        if (strlen(ds->names[i]) == len && memcmp(ds->names[i], s, len) == 0)
            return (ptrdiff_t)i;
    return -1;
}

/* Writes DS's column names into BUF (SIZE > 8) for an error message. */
static const char *list_columns(const cs_dataset *ds, char *buf, size_t size)
{
    size_t i, used = 0;
    if (!ds->ncols) return "none";
    for (i = 0; i < ds->ncols; i++) {
        size_t len = strlen(ds->names[i]);
        if (used + len + 2 + 6 > size) {
            memcpy(buf + used, ", ...", 6);
            return buf;
        }
        if (i) {
            memcpy(buf + used, ", ", 2);
            used += 2;
        }
        memcpy(buf + used, ds->names[i], len + 1);
        used += len;
    }
    return buf;
}

static int parse_key(const cs_dataset *ds, const char *text, size_t *col,
                     int *desc)
{
    const char *s = text, *e = text + strlen(text), *name;
    size_t nlen;
    ptrdiff_t idx;
    char cols[256];
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
        if (find_name(ds, name, nlen) < 0) {
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
    if (idx < 0)
        return cs__error(ds->eng, CS_ENOTFOUND,
                         "sort key '%s': no column '%.*s' (columns: %s)", text,
                         nlen > 200 ? 200 : (int)nlen, name,
                         list_columns(ds, cols, sizeof cols));
    *col = (size_t)idx;
    return CS_OK;
}

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
            size_t r = perm[j];                                          \
            uint64_t v;                                                  \
            if (sel) r = sel[r];                                         \
            if (valid && !cs__bit(valid, r)) {                           \
                v = k->nullkey;                                          \
            } else {                                                     \
                v = MAP(d_[r]);                                          \
                v = k->desc ? k->hi - v : v - k->lo;                     \
            }                                                            \
            out[j] |= v << k->shift;                                     \
        }                                                                \
    } while (0)

/* ORs K's key of the rows PERM[FROM..TO) into OUT[FROM..TO). */
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

static int bits(uint64_t x)
{
    return x ? 64 - __builtin_clzll(x) : 0;
}

/* ---- the radix sort ---- */

/* Sorts the pairs (*KA, *PA)[0..N) by the low WIDTH bits of the keys,
** stably, a byte at a time; the sorted positions end in *PA (the arrays
** are swapped with *KB, *PB as passes go). */
static int radix(cs_engine *eng, uint64_t **ka, uint64_t **kb, uint32_t **pa,
                 uint32_t **pb, size_t n, int width)
{
    size_t cnt[8][256];
    int nb = (width + 7) / 8, b, passes[8], np = 0, p, rc;
    size_t i, from;
    if (n < 2) return CS_OK;
    memset(cnt, 0, sizeof cnt);
    for (from = 0; from < n; from += CS_INTERRUPT_STRIDE) {
        size_t to = n - from < CS_INTERRUPT_STRIDE ? n : from +
                                                         CS_INTERRUPT_STRIDE;
        const uint64_t *a = *ka;
        if ((rc = cs__check_interrupt(eng))) return rc;
        for (i = from; i < to; i++) {
            uint64_t v = a[i];
            for (b = 0; b < nb; b++) cnt[b][(v >> (8 * b)) & 255]++;
        }
    }
    /* A byte that is the same in every key moves nothing. */
    for (b = 0; b < nb; b++)
        if (cnt[b][(**ka >> (8 * b)) & 255] != n) passes[np++] = b;
    for (p = 0; p < np; p++) {
        size_t off[256], sum = 0;
        int sh = 8 * passes[p], last = p == np - 1;
        const uint64_t *a = *ka;
        const uint32_t *ps = *pa;
        uint64_t *ko = *kb;
        uint32_t *po = *pb;
        void *t;
        for (i = 0; i < 256; i++) {
            off[i] = sum;
            sum += cnt[passes[p]][i];
        }
        for (from = 0; from < n; from += CS_INTERRUPT_STRIDE) {
            size_t to = n - from < CS_INTERRUPT_STRIDE ? n : from +
                                                             CS_INTERRUPT_STRIDE;
            if ((rc = cs__check_interrupt(eng))) return rc;
            if (last) {
                /* The keys are not needed after the last pass. */
                for (i = from; i < to; i++)
                    po[off[(a[i] >> sh) & 255]++] = ps[i];
            } else {
                for (i = from; i < to; i++) {
                    size_t o = off[(a[i] >> sh) & 255]++;
                    ko[o] = a[i];
                    po[o] = ps[i];
                }
            }
        }
        t = *ka; *ka = *kb; *kb = t;
        t = *pa; *pa = *pb; *pb = t;
    }
    return CS_OK;
}

/* Moves the rows whose key K is null after the others, stably. */
static void null_partition(const skey *k, uint32_t **pa, uint32_t **pb,
                           size_t n)
{
    const uint64_t *valid = k->base->valid;
    const uint32_t *ps = *pa;
    uint32_t *po = *pb, *t;
    size_t i, nn = 0, a = 0, z;
    for (i = 0; i < n; i++) {
        size_t r = k->sel ? k->sel[ps[i]] : ps[i];
        nn += cs__bit(valid, r);
    }
    z = nn;
    for (i = 0; i < n; i++) {
        size_t r = k->sel ? k->sel[ps[i]] : ps[i];
        if (cs__bit(valid, r))
            po[a++] = ps[i];
        else
            po[z++] = ps[i];
    }
    t = *pa; *pa = *pb; *pb = t;
}

int cs_dataset_sort(const cs_dataset *ds, const char *const *keys,
                    size_t nkeys, cs_collation coll, cs_dataset **out)
{
    cs_engine *eng = ds->eng;
    size_t n = ds->nrows, nalloc = n ? n : 1, i, j, from;
    skey *ks = NULL;
    uint64_t *ka = NULL, *kb = NULL, *k0 = NULL, *k1 = NULL;
    uint32_t *pa = NULL, *pb = NULL, *p0 = NULL, *p1 = NULL;
    UCollator *uc = NULL;
    int rc = CS_OK;
    *out = NULL;
    if (nkeys && !keys)
        return cs__error(eng, CS_EMISUSE, "sort keys are NULL");
    if (coll != CS_COLLATE_VI && coll != CS_COLLATE_BYTES)
        return cs__error(eng, CS_EINVAL, "invalid collation %d", (int)coll);
    if (n > UINT32_MAX)
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
                      n - from < CS_INTERRUPT_STRIDE ? n
                                                     : from + CS_INTERRUPT_STRIDE);
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
    p0 = pa = cs__alloc(eng, nalloc * sizeof *pa);
    p1 = pb = cs__alloc(eng, nalloc * sizeof *pb);
    k0 = ka = cs__alloc(eng, nalloc * sizeof *ka);
    k1 = kb = cs__alloc(eng, nalloc * sizeof *kb);
    if (!pa || !pb || !ka || !kb) {
        rc = cs__oom(eng);
        goto done;
    }
    for (j = 0; j < n; j++) pa[j] = (uint32_t)j;
    /* Keys are packed into words, most significant first; the words are
    ** sorted last one first.  A word ends at key E (exclusive). */
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
        memset(ka, 0, n * sizeof *ka);
        for (from = 0; from < n; from += CS_INTERRUPT_STRIDE) {
            size_t to = n - from < CS_INTERRUPT_STRIDE ? n
                                                       : from + CS_INTERRUPT_STRIDE;
            if ((rc = cs__check_interrupt(eng))) goto done;
            for (j = s; j < e; j++)
                if (ks[j].width) fill_rows(&ks[j], pa, from, to, ka);
        }
        rc = radix(eng, &ka, &kb, &pa, &pb, n, w);
        if (rc) goto done;
        if (ks[s].width == 65) null_partition(&ks[s], &pa, &pb, n);
    }
    rc = cs__dataset_view(ds, pa, n, out);
done:
    if (uc) ucol_close(uc);
    cs__free(eng, k1, nalloc * sizeof *k1);
    cs__free(eng, k0, nalloc * sizeof *k0);
    cs__free(eng, p1, nalloc * sizeof *p1);
    cs__free(eng, p0, nalloc * sizeof *p0);
    for (i = 0; i < nkeys; i++)
        cs__free(eng, ks[i].rank, ks[i].nrank * sizeof *ks[i].rank);
    cs__free(eng, ks, (nkeys ? nkeys : 1) * sizeof *ks);
    return rc;
}
