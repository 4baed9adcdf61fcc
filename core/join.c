/*
** join.c: hash joins.
** The right side is built into a table of distinct keys (an array indexed
** by the key when one integer-like key spans a small range, else open
** addressing), each entry heading a chain of its right rows in right
** order; the left side probes it a block at a time, in order, so output
** rows come in left order and, for one left row, in right order.  Keys
** are compared as 64-bit words: right string codes are first mapped to
** left codes; nulls (and NaN) never match.
*/
#include "csint.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define NONE UINT32_MAX
#define MULTI 0x80000000u   /* direct tables: a head with more rows */
#define BLOCK CS_INTERRUPT_STRIDE

/* One key pair: the base columns of both sides and how to read them. */
typedef struct jkey {
    const cs_column *lb, *rb;
    const uint32_t *lsel, *rsel;
    size_t rcol;
    uint32_t *map;      /* right dictionary code -> left code, or NONE */
    size_t nmap;
} jkey;

/* A slot of the table: a distinct key and its chain of right rows. */
typedef struct slot {
    uint64_t key;       /* the key, or for several keys their hash */
    uint32_t head, tail;
} slot;

/* Scratch for one block of rows: key words, a "cannot match" flag and
** the table index each row starts probing at. */
typedef struct block {
    uint64_t *vals;     /* nkeys * BLOCK */
    uint64_t hkey[BLOCK];
    size_t idx[BLOCK];
    uint8_t bad[BLOCK];
} block;

/* ---- key words ---- */

#define LOAD_LOOP(ctype, CONV)                                           \
    do {                                                                 \
        const ctype *d_ = (const ctype *)b->data;                        \
        for (j = from; j < to; j++) {                                    \
            size_t r = sel ? sel[j] : j;                                 \
            uint64_t v = 0;                                              \
            int nul = valid && !cs__bit(valid, r);                       \
            if (!nul) {                                                  \
                ctype x = d_[r];                                         \
                CONV;                                                    \
            }                                                            \
            vals[j - from] = v;                                          \
            bad[j - from] |= (uint8_t)nul;                               \
        }                                                                \
    } while (0)

#define CONV_I64 v = (uint64_t)x
#define CONV_DATE v = (uint64_t)(int64_t)x
#define CONV_BOOL v = x
/* Equal doubles get equal words (-0 is 0); NaN equals nothing. */
#define CONV_F64                                                         \
    if (x != x)                                                          \
        nul = 1;                                                         \
    else {                                                               \
        if (x == 0) x = 0;                                               \
        memcpy(&v, &x, sizeof v);                                        \
    }
#define CONV_STR                                                         \
    if (map) {                                                           \
        v = map[x];                                                      \
        nul = v == NONE;                                                 \
    } else {                                                             \
        v = x;                                                           \
    }

/* The key words of rows [FROM, TO) of base column B seen through SEL
** into VALS, and a flag into BAD for those that can match nothing. */
static void load(const cs_column *b, const uint32_t *sel, const uint32_t *map,
                 size_t from, size_t to, uint64_t *vals, uint8_t *bad)
{
    const uint64_t *valid = b->valid;
    size_t j;
    switch (b->type) {
    case CS_TYPE_I64: LOAD_LOOP(int64_t, CONV_I64); break;
    case CS_TYPE_F64: LOAD_LOOP(double, CONV_F64); break;
    case CS_TYPE_STR: LOAD_LOOP(uint32_t, CONV_STR); break;
    case CS_TYPE_BOOL: LOAD_LOOP(uint8_t, CONV_BOOL); break;
    case CS_TYPE_DATE: LOAD_LOOP(int32_t, CONV_DATE); break;
    }
}

#define GOLDEN 0x9E3779B97F4A7C15ull
#define NOWHERE SIZE_MAX

/* How a row finds its right rows: through the hash table, or, for one
** key of integers, dates, bools or string codes spanning a small range,
** through an array indexed by the key (no hashing, no probing, and a
** smaller table). */
typedef struct table {
    int direct;
    int lg;             /* hash: 2^LG slots */
    uint64_t lo, span;  /* direct: keys LO..LO+SPAN (as int64) */
} table;

/* Loads a block of rows [FROM, TO) of one side and computes each row's
** slot key and where it starts looking (NOWHERE: a key out of range). */
static void load_block(const jkey *ks, size_t nkeys, int right, size_t from,
                       size_t to, const table *tb, block *bk)
{
    size_t k, j, m = to - from;
    memset(bk->bad, 0, m);
    for (k = 0; k < nkeys; k++) {
        const jkey *q = &ks[k];
        load(right ? q->rb : q->lb, right ? q->rsel : q->lsel,
             right ? q->map : NULL, from, to, bk->vals + k * BLOCK, bk->bad);
    }
    if (nkeys == 1) {
        memcpy(bk->hkey, bk->vals, m * sizeof *bk->hkey);
    } else {
        for (j = 0; j < m; j++) {
            uint64_t h = bk->vals[j];
            for (k = 1; k < nkeys; k++) {
                h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9ull;
                h ^= bk->vals[k * BLOCK + j];
            }
            bk->hkey[j] = h;
        }
    }
    if (tb->direct) {
        for (j = 0; j < m; j++) {
            uint64_t d = bk->hkey[j] - tb->lo;
            bk->idx[j] = d <= tb->span ? (size_t)d : NOWHERE;
        }
    } else {
        for (j = 0; j < m; j++)
            bk->idx[j] = (size_t)((bk->hkey[j] * GOLDEN) >> (64 - tb->lg));
    }
}

/* 1 when right row R has the keys of row J of block BK (several keys). */
static int same_keys(const uint64_t *rvals, size_t nr, size_t nkeys,
                     uint32_t r, const block *bk, size_t j)
{
    size_t k;
    for (k = 0; k < nkeys; k++)
        if (rvals[k * nr + r] != bk->vals[k * BLOCK + j]) return 0;
    return 1;
}

/* ---- output of inner and left joins ---- */

/* Rows go out in batches of pairs (base rows of left and right; a right
** row NONE gives nulls) appended to the output columns, so that no list
** of every pair is held: fresh memory is a large part of a join's cost.
** Left's columns are shared, not copied, while every left row has given
** exactly one row in order. */
#define BATCH 4096

typedef struct emitter {
    cs_engine *eng;
    const cs_dataset *left, *right;
    char *const *rnames;  /* NULL for right's keys */
    size_t hint;          /* rows the output will have at least */
    cs_column **lcols;    /* NULL while left's columns are shared */
    cs_column **rcols;
    size_t n, nb;         /* rows appended, and in the batch */
    uint32_t l[BATCH], r[BATCH];
} emitter;

static size_t bitmap_bytes(size_t cap)
{
    return (cap + 63) / 64 * sizeof(uint64_t);
}

#define APPEND_LOOP(ctype)                                               \
    do {                                                                 \
        /* NOLINTNEXTLINE(bugprone-macro-parentheses): a type. */        \
        ctype *d_ = (ctype *)col->data + col->len;                       \
        const ctype *s_ = (const ctype *)src->data;                      \
        for (i = 0; i < m; i++)                                          \
            d_[i] = rows[i] == NONE ? 0 : s_[rows[i]];                   \
    } while (0)

/* Appends rows ROWS[0..M) of SRC (NONE: null) to COL, growing it
** geometrically from a first size of HINT rows. */
static int append_rows(cs_column *col, const cs_column *src,
                       const uint32_t *rows, size_t m, size_t hint)
{
    size_t i, nulls = 0;
    int rc;
    if (col->cap - col->len < m) {
        size_t more = col->len > m ? col->len : m;
        if (col->cap == 0 && hint > more) more = hint;
        if ((rc = cs_column_reserve(col, more))) return rc;
    }
    for (i = 0; i < m; i++)
        nulls += rows[i] == NONE ||
                 (src->valid && !cs__bit(src->valid, rows[i]));
    if (nulls && !col->valid) {
        /* The first null: a bitmap, valid up to here. */
        size_t bytes = bitmap_bytes(col->cap);
        col->valid = cs__alloc(col->eng, bytes);
        if (!col->valid) return cs__oom(col->eng);
        memset(col->valid, 0, bytes);
        memset(col->valid, 0xFF, col->len / 64 * sizeof(uint64_t));
        for (i = col->len / 64 * 64; i < col->len; i++)
            col->valid[i >> 6] |= (uint64_t)1 << (i & 63);
        col->vcap = col->cap;
    }
    switch (cs__type_size(src->type)) {
    case 8: APPEND_LOOP(uint64_t); break;
    case 4: APPEND_LOOP(uint32_t); break;
    default: APPEND_LOOP(uint8_t); break;
    }
    if (col->valid)
        for (i = 0; i < m; i++) {
            size_t at = col->len + i;
            if (rows[i] != NONE &&
                (!src->valid || cs__bit(src->valid, rows[i])))
                col->valid[at >> 6] |= (uint64_t)1 << (at & 63);
        }
    col->nnull += nulls;
    col->len += m;
    return CS_OK;
}

/* Appends the batch to the output columns. */
static int flush(emitter *em)
{
    size_t i;
    int rc;
    for (i = 0; i < em->right->ncols; i++)
        if (em->rcols[i] &&
            (rc = append_rows(em->rcols[i], em->right->cols[i], em->r, em->nb,
                              em->hint)))
            return rc;
    if (em->lcols)
        for (i = 0; i < em->left->ncols; i++)
            if ((rc = append_rows(em->lcols[i], em->left->cols[i], em->l,
                                  em->nb, em->hint)))
                return rc;
    em->n += em->nb;
    em->nb = 0;
    return CS_OK;
}

/* From now on left's columns are copied: first the rows so far. */
static int stop_sharing(emitter *em)
{
    size_t i, k, n;
    int rc = flush(em);
    if (rc) return rc;
    n = em->n;
    em->lcols = cs__alloc(em->eng, em->left->ncols * sizeof(cs_column *));
    if (!em->lcols) return cs__oom(em->eng);
    memset(em->lcols, 0, em->left->ncols * sizeof(cs_column *));
    for (i = 0; i < em->left->ncols; i++)
        if ((rc = cs__column_new_like(em->left->cols[i], &em->lcols[i])))
            return rc;
    for (k = 0; k < n; k += BATCH) {
        size_t m = n - k < BATCH ? n - k : BATCH, j;
        for (j = 0; j < m; j++) em->l[j] = (uint32_t)(k + j);
        for (i = 0; i < em->left->ncols; i++)
            if ((rc = append_rows(em->lcols[i], em->left->cols[i], em->l, m,
                                  em->hint)))
                return rc;
    }
    return CS_OK;
}

static int emit_start(emitter *em, const cs_dataset *left,
                      const cs_dataset *right, char *const *rnames,
                      size_t hint)
{
    size_t i;
    int rc;
    em->eng = left->eng;
    em->left = left;
    em->right = right;
    em->rnames = rnames;
    em->hint = hint;
    em->rcols = cs__alloc(em->eng, (right->ncols ? right->ncols : 1) *
                                       sizeof(cs_column *));
    if (!em->rcols) return cs__oom(em->eng);
    memset(em->rcols, 0, (right->ncols ? right->ncols : 1) *
                             sizeof(cs_column *));
    for (i = 0; i < right->ncols; i++)
        if (rnames[i] &&
            (rc = cs__column_new_like(right->cols[i], &em->rcols[i])))
            return rc;
    /* A view of left has no columns to share. */
    return left->sel ? stop_sharing(em) : CS_OK;
}

static void emit_free(emitter *em)
{
    size_t i;
    if (em->lcols) {
        for (i = 0; i < em->left->ncols; i++)
            cs_column_release(em->lcols[i]);
        cs__free(em->eng, em->lcols, em->left->ncols * sizeof(cs_column *));
    }
    if (em->rcols) {
        for (i = 0; i < em->right->ncols; i++)
            cs_column_release(em->rcols[i]);
        cs__free(em->eng, em->rcols,
                 (em->right->ncols ? em->right->ncols : 1) *
                     sizeof(cs_column *));
    }
}

/* The joined dataset. */
static int emit_finish(emitter *em, cs_dataset **out)
{
    cs_dataset *res = NULL;
    size_t i;
    int rc = flush(em);
    if (!rc) rc = cs_dataset_new(em->eng, &res);
    for (i = 0; !rc && i < em->left->ncols; i++)
        rc = cs_dataset_add(res, em->left->names[i],
                            em->lcols ? em->lcols[i] : em->left->cols[i]);
    for (i = 0; !rc && i < em->right->ncols; i++)
        if (em->rcols[i])
            rc = cs_dataset_add(res, em->rnames[i], em->rcols[i]);
    if (rc) {
        cs_dataset_free(res);
        return rc;
    }
    res->nrows = em->n;
    *out = res;
    return CS_OK;
}

/* ---- output ---- */

/* Names of right's non-key columns in the output (NULL for keys), the
** suffixed ones allocated. */
static int right_names(const cs_dataset *left, const cs_dataset *right,
                       const jkey *ks, size_t nkeys, const char *suffix,
                       char **names, uint8_t *owned)
{
    cs_engine *eng = left->eng;
    size_t i, k, slen = strlen(suffix);
    for (i = 0; i < right->ncols; i++) {
        const char *nm = right->names[i];
        size_t p;
        int iskey = 0;
        for (k = 0; k < nkeys; k++) iskey |= ks[k].rcol == i;
        if (iskey) continue;
        if (cs_dataset_find(left, nm) >= 0) {
            size_t len = strlen(nm);
            char *s = cs__alloc(eng, len + slen + 1);
            if (!s) return cs__oom(eng);
            memcpy(s, nm, len);
            memcpy(s + len, suffix, slen + 1);
            names[i] = s;
            owned[i] = 1;
            if (cs_dataset_find(left, s) >= 0)
                return cs__error(eng, CS_EEXIST,
                                 "join: right column '%s' becomes '%s', "
                                 "which left already has",
                                 nm, s);
        } else {
            names[i] = (char *)nm;
        }
        for (p = 0; p < i; p++)
            if (names[p] && strcmp(names[p], names[i]) == 0)
                return cs__error(eng, CS_EEXIST,
                                 "join: right columns '%s' and '%s' would "
                                 "both be named '%s'",
                                 right->names[p], nm, names[i]);
    }
    return CS_OK;
}

/* Maps the codes of right's dictionary RD to those of left's LD. */
static int map_dict(cs_engine *eng, const cs_dict *ld, const cs_dict *rd,
                    jkey *q)
{
    uint32_t c;
    q->nmap = rd->n ? rd->n : 1;
    q->map = cs__alloc(eng, q->nmap * sizeof *q->map);
    if (!q->map) return cs__oom(eng);
    for (c = 0; c < rd->n; c++) {
        size_t len;
        const char *s = cs__dict_str(rd, c, &len);
        if (!cs__dict_find(ld, s, len, &q->map[c])) q->map[c] = NONE;
    }
    return CS_OK;
}

static int resolve_keys(const cs_dataset *left, const cs_dataset *right,
                        const char *const *lkeys, const char *const *rkeys,
                        size_t nkeys, jkey *ks)
{
    cs_engine *eng = left->eng;
    size_t k;
    for (k = 0; k < nkeys; k++) {
        const char *ln = lkeys[k], *rn = rkeys ? rkeys[k] : lkeys[k];
        ptrdiff_t li, ri;
        jkey *q = &ks[k];
        if (!ln || !rn)
            return cs__error(eng, CS_EMISUSE, "join key %zu is NULL", k + 1);
        li = cs_dataset_find(left, ln);
        if (li < 0) return cs__no_column(left, "join: left dataset: ", ln);
        ri = cs_dataset_find(right, rn);
        if (ri < 0) return cs__no_column(right, "join: right dataset: ", rn);
        q->lb = cs__dataset_base(left, (size_t)li, &q->lsel);
        q->rb = cs__dataset_base(right, (size_t)ri, &q->rsel);
        q->rcol = (size_t)ri;
        if (q->lb->type != q->rb->type)
            return cs__error(eng, CS_ETYPE,
                             "join key types differ: left '%s' is %s, "
                             "right '%s' is %s",
                             ln, cs_type_name(q->lb->type), rn,
                             cs_type_name(q->rb->type));
    }
    return CS_OK;
}

int cs_dataset_join(const cs_dataset *left, const cs_dataset *right,
                    const char *const *lkeys, const char *const *rkeys,
                    size_t nkeys, cs_join_how how, const char *suffix,
                    cs_dataset **out)
{
    cs_engine *eng = left->eng;
    size_t nl = left->nrows, nr = right->nrows, k, i, from, nslots = 0;
    size_t nvals = 0, ncol = right->ncols ? right->ncols : 1;
    int rc = CS_OK, semi = how == CS_JOIN_SEMI || how == CS_JOIN_ANTI;
    table tb = {0, 4, 0, 0};
    uint32_t *heads = NULL;
    size_t nheads = 0;
    cs_sel *ssel = NULL;
    size_t nsel = 0;
    jkey *ks = NULL;
    slot *slots = NULL;
    uint32_t *next = NULL;
    uint64_t *rvals = NULL;
    block *bk = NULL;
    char **rnames = NULL;
    uint8_t *owned = NULL;
    emitter *em = NULL;
    *out = NULL;
    if (how != CS_JOIN_INNER && how != CS_JOIN_LEFT && !semi)
        return cs__error(eng, CS_EINVAL, "invalid join kind %d", (int)how);
    if (nkeys == 0 || !lkeys)
        return cs__error(eng, CS_EINVAL, "a join needs at least one key");
    if (right->eng != eng)
        return cs__error(eng, CS_EMISUSE, "joined datasets of two engines");
    if (nl >= UINT32_MAX || nr >= UINT32_MAX)
        return cs__error(eng, CS_EOVERFLOW,
                         "joins need fewer than 2^32 - 1 rows on each side");
    if (!suffix) suffix = "_right";
    ks = cs__alloc(eng, nkeys * sizeof *ks);
    if (!ks) return cs__oom(eng);
    memset(ks, 0, nkeys * sizeof *ks);
    rc = resolve_keys(left, right, lkeys, rkeys, nkeys, ks);
    if (rc) goto done;
    if (!semi) {
        rnames = cs__alloc(eng, ncol * sizeof *rnames);
        owned = cs__alloc(eng, ncol);
        if (!rnames || !owned) {
            rc = cs__oom(eng);
            goto done;
        }
        memset(rnames, 0, ncol * sizeof *rnames);
        memset(owned, 0, ncol);
        rc = right_names(left, right, ks, nkeys, suffix, rnames, owned);
        if (rc) goto done;
    }
    for (k = 0; k < nkeys; k++) {
        jkey *q = &ks[k];
        if (q->lb->type == CS_TYPE_STR && q->lb->dict != q->rb->dict &&
            (rc = map_dict(eng, q->lb->dict, q->rb->dict, q)))
            goto done;
    }

    bk = cs__alloc(eng, sizeof *bk);
    if (bk) bk->vals = NULL;
    next = cs__alloc(eng, (nr ? nr : 1) * sizeof *next);
    if (!bk || !next ||
        !(bk->vals = cs__alloc(eng, nkeys * BLOCK * sizeof *bk->vals))) {
        rc = cs__oom(eng);
        goto done;
    }
    if (nkeys == 1 && ks[0].lb->type != CS_TYPE_F64 && nr < MULTI) {
        /* One key of integer words: if right's span is small, index an
        ** array by it. */
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        tb.direct = 1;
        tb.span = UINT64_MAX;
        for (from = 0; from < nr; from += BLOCK) {
            size_t to = nr - from < BLOCK ? nr : from + BLOCK, j;
            if ((rc = cs__check_interrupt(eng))) goto done;
            load_block(ks, nkeys, 1, from, to, &tb, bk);
            for (j = 0; j < to - from; j++) {
                int64_t v = (int64_t)bk->hkey[j];
                if (bk->bad[j]) continue;
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
        }
        if (lo > hi) lo = hi = 0;   /* no key can match */
        tb.lo = (uint64_t)lo;
        tb.span = (uint64_t)hi - (uint64_t)lo;
        tb.direct = tb.span <= 2 * (uint64_t)nr + 1024;
    }
    if (tb.direct) {
        /* Heads of chains, built from the last right row to the first
        ** so that chains run in right order; MULTI marks a chain of
        ** more than one row. */
        size_t nb = (nr + BLOCK - 1) / BLOCK;
        nheads = (size_t)tb.span + 1;
        if (!(heads = cs__alloc(eng, nheads * sizeof *heads))) {
            rc = cs__oom(eng);
            goto done;
        }
        memset(heads, 0xFF, nheads * sizeof *heads);
        while (nb-- > 0) {
            size_t j;
            from = nb * BLOCK;
            if ((rc = cs__check_interrupt(eng))) goto done;
            load_block(ks, nkeys, 1, from,
                       nr - from < BLOCK ? nr : from + BLOCK, &tb, bk);
            for (j = (nr - from < BLOCK ? nr - from : BLOCK); j-- > 0;) {
                uint32_t r = (uint32_t)(from + j), *hd;
                next[r] = NONE;
                if (bk->bad[j]) continue;
                hd = &heads[bk->idx[j]];
                if (*hd != NONE) {
                    next[r] = *hd & (MULTI - 1);
                    *hd = r | MULTI;
                } else {
                    *hd = r;
                }
            }
        }
    } else {
        /* A hash table at most two thirds full, chains in right order. */
        while (((size_t)1 << tb.lg) < nr + nr / 2) tb.lg++;
        nslots = (size_t)1 << tb.lg;
        if (!(slots = cs__alloc(eng, nslots * sizeof *slots))) {
            rc = cs__oom(eng);
            goto done;
        }
        memset(slots, 0xFF, nslots * sizeof *slots);
        if (nkeys > 1) {
            /* Several keys: slots hold a hash, so keep right's words to
            ** tell colliding keys apart. */
            if (!cs__mul_ok(nkeys * (nr ? nr : 1), sizeof *rvals, &nvals) ||
                !(rvals = cs__alloc(eng, nvals))) {
                rc = cs__oom(eng);
                goto done;
            }
        }
        for (from = 0; from < nr; from += BLOCK) {
            size_t to = nr - from < BLOCK ? nr : from + BLOCK, j;
            if ((rc = cs__check_interrupt(eng))) goto done;
            load_block(ks, nkeys, 1, from, to, &tb, bk);
            if (rvals)
                for (k = 0; k < nkeys; k++)
                    memcpy(rvals + k * nr + from, bk->vals + k * BLOCK,
                           (to - from) * sizeof *rvals);
            for (j = 0; j < to - from; j++) {
                uint32_t r = (uint32_t)(from + j);
                size_t h = bk->idx[j];
                next[r] = NONE;
                if (bk->bad[j]) continue;
                for (;;) {
                    slot *sl = &slots[h];
                    if (sl->head == NONE) {
                        sl->key = bk->hkey[j];
                        sl->head = sl->tail = r;
                        break;
                    }
                    if (sl->key == bk->hkey[j] &&
                        (!rvals ||
                         same_keys(rvals, nr, nkeys, sl->head, bk, j))) {
                        next[sl->tail] = r;
                        sl->tail = r;
                        break;
                    }
                    h = (h + 1) & (nslots - 1);
                }
            }
        }
    }

    /* Probe with left's rows in order. */
    if (semi) {
        if ((rc = cs__sel_new(eng, nl, &ssel))) goto done;
    } else {
        if (!(em = cs__alloc(eng, sizeof *em))) {
            rc = cs__oom(eng);
            goto done;
        }
        memset(em, 0, offsetof(emitter, l));
        /* A left join gives at least one row per left row. */
        rc = emit_start(em, left, right, rnames,
                        how == CS_JOIN_LEFT ? nl : 0);
        if (rc) goto done;
    }
    for (from = 0; from < nl; from += BLOCK) {
        size_t to = nl - from < BLOCK ? nl : from + BLOCK, j, m = to - from;
        if ((rc = cs__check_interrupt(eng))) goto done;
        load_block(ks, nkeys, 0, from, to, &tb, bk);
        for (j = 0; j < m; j++) {
            uint32_t r = NONE, lpos = (uint32_t)(from + j);
            uint32_t lrow = ks[0].lsel ? ks[0].lsel[lpos] : lpos;
            size_t h = bk->idx[j];
            int single = 1;   /* one right row: no look at NEXT */
            if (heads) {
                if (j + 16 < m && bk->idx[j + 16] != NOWHERE)
                    __builtin_prefetch(&heads[bk->idx[j + 16]]);
                if (!bk->bad[j] && h != NOWHERE && heads[h] != NONE) {
                    r = heads[h] & (MULTI - 1);
                    single = !(heads[h] & MULTI);
                }
            } else if (!bk->bad[j]) {
                if (j + 16 < m) __builtin_prefetch(&slots[bk->idx[j + 16]]);
                for (;;) {
                    const slot *s = &slots[h];
                    if (s->head == NONE) break;
                    if (s->key == bk->hkey[j] &&
                        (!rvals ||
                         same_keys(rvals, nr, nkeys, s->head, bk, j))) {
                        r = s->head;
                        single = s->head == s->tail;
                        break;
                    }
                    h = (h + 1) & (nslots - 1);
                }
            }
            if (semi) {
                if ((r != NONE) == (how == CS_JOIN_SEMI))
                    ssel->rows[nsel++] = lrow;
                continue;
            }
            if (!em->lcols && (em->n + em->nb != lpos || !single ||
                               (r == NONE && how == CS_JOIN_INNER)) &&
                (rc = stop_sharing(em)))
                goto done;
            if (r == NONE && how == CS_JOIN_INNER) continue;
            for (;;) {
                /* A key matching many rows emits many per left row: look
                ** at the flag between batches too. */
                if (em->nb == BATCH && ((rc = cs__check_interrupt(eng)) ||
                                        (rc = flush(em))))
                    goto done;
                em->l[em->nb] = lrow;
                em->r[em->nb++] = r == NONE ? NONE
                                  : ks[0].rsel ? ks[0].rsel[r] : r;
                if (single || r == NONE || (r = next[r]) == NONE) break;
            }
        }
    }

    if (semi) {
        /* Shrink the selection to its rows: releasing it frees N. */
        if (nsel != ssel->n) {
            uint32_t *rows = cs__realloc(eng, ssel->rows,
                                         (nl ? nl : 1) * sizeof *rows,
                                         (nsel ? nsel : 1) * sizeof *rows);
            if (!rows) {
                rc = cs__oom(eng);
                goto done;
            }
            ssel->rows = rows;
            ssel->n = nsel;
        }
        rc = cs__dataset_view_sel(left, ssel, out);
        ssel = NULL;
    } else {
        rc = emit_finish(em, out);
    }
done:
    cs__sel_release(ssel);
    if (em) emit_free(em);
    cs__free(eng, em, sizeof *em);
    cs__free(eng, rvals, nvals);
    if (bk) cs__free(eng, bk->vals, nkeys * BLOCK * sizeof *bk->vals);
    cs__free(eng, bk, sizeof *bk);
    cs__free(eng, next, (nr ? nr : 1) * sizeof *next);
    cs__free(eng, slots, nslots * sizeof *slots);
    cs__free(eng, heads, nheads * sizeof *heads);
    if (rnames)
        for (i = 0; i < right->ncols; i++)
            if (owned && owned[i]) cs__free(eng, rnames[i],
                                            strlen(rnames[i]) + 1);
    cs__free(eng, owned, ncol);
    cs__free(eng, rnames, ncol * sizeof *rnames);
    for (k = 0; k < nkeys; k++)
        if (ks) cs__free(eng, ks[k].map, ks[k].nmap * sizeof *ks[k].map);
    cs__free(eng, ks, nkeys * sizeof *ks);
    return rc;
}

/* Joins on the name keys of the key columns (cs_text_name_key): each
** side gets its keys as hidden columns, the join runs on those, and they
** are dropped from the result. */
int cs_dataset_join_names(const cs_dataset *left, const cs_dataset *right,
                          const char *const *lkeys, const char *const *rkeys,
                          size_t nkeys, cs_join_how how, const char *suffix,
                          cs_dataset **out)
{
    enum { MAXKEYS = 8 };
    cs_engine *eng = left->eng;
    char lexpr[MAXKEYS][160], rexpr[MAXKEYS][160], tmp[MAXKEYS][32];
    const char *le[MAXKEYS], *re[MAXKEYS], *tk[MAXKEYS];
    cs_dataset *l2 = NULL, *r2 = NULL, *j = NULL;
    size_t k;
    int rc;
    *out = NULL;
    if (nkeys == 0 || nkeys > MAXKEYS)
        return cs__error(eng, CS_EINVAL, "a join by name takes 1 to %d keys", MAXKEYS);
    if (!rkeys) rkeys = lkeys;
    for (k = 0; k < nkeys; k++) {
        const char *ln = lkeys[k], *rn = rkeys[k];
        if (strchr(ln, '`') || strchr(rn, '`') || strlen(ln) > 100 || strlen(rn) > 100)
            return cs__error(eng, CS_EINVAL, "a join by name needs plain key names "
                             "(no backquote, at most 100 bytes): '%s'", strchr(ln, '`') ? ln : rn);
        snprintf(tmp[k], sizeof tmp[k], "__name_key_%zu", k + 1);
        if (cs_dataset_find(left, tmp[k]) >= 0 || cs_dataset_find(right, tmp[k]) >= 0)
            return cs__error(eng, CS_EEXIST, "a join by name uses the column name '%s', "
                             "which is taken", tmp[k]);
        snprintf(lexpr[k], sizeof lexpr[k], "name_key(`%s`) as %s", ln, tmp[k]);
        snprintf(rexpr[k], sizeof rexpr[k], "name_key(`%s`) as %s", rn, tmp[k]);
        le[k] = lexpr[k];
        re[k] = rexpr[k];
        tk[k] = tmp[k];
    }
    rc = cs_dataset_mutate(left, le, nkeys, &l2);
    if (!rc) rc = cs_dataset_mutate(right, re, nkeys, &r2);
    if (!rc) rc = cs_dataset_join(l2, r2, tk, tk, nkeys, how, suffix, &j);
    if (!rc) rc = cs_dataset_drop(j, tk, nkeys, out);
    cs_dataset_free(l2);
    cs_dataset_free(r2);
    cs_dataset_free(j);
    return rc;
}
