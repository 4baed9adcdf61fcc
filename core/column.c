/*
** column.c: typed columns.
** Values sit contiguously in one array of the column's type; strings are
** codes into a dictionary.  The validity bitmap appears with the first
** null, so a column without nulls costs nothing for them.
*/
#include "csint.h"

#include <math.h>
#include <string.h>

size_t cs__type_size(cs_type t)
{
    switch (t) {
    case CS_TYPE_I64: return sizeof(int64_t);
    case CS_TYPE_F64: return sizeof(double);
    case CS_TYPE_STR: return sizeof(uint32_t);
    case CS_TYPE_BOOL: return sizeof(uint8_t);
    case CS_TYPE_DATE: return sizeof(int32_t);
    }
    return 0;
}

const char *cs_type_name(cs_type t)
{
    switch (t) {
    case CS_TYPE_I64: return "int64";
    case CS_TYPE_F64: return "float64";
    case CS_TYPE_STR: return "string";
    case CS_TYPE_BOOL: return "bool";
    case CS_TYPE_DATE: return "date";
    }
    return NULL;
}

cs_type cs_type_from_name(const char *name)
{
    static const cs_type all[] = {CS_TYPE_I64, CS_TYPE_F64, CS_TYPE_STR,
                                  CS_TYPE_BOOL, CS_TYPE_DATE};
    size_t i;
    for (i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcmp(name, cs_type_name(all[i])) == 0) return all[i];
    return (cs_type)0;
}

static int column_alloc(cs_engine *eng, cs_type type, cs_column **out)
{
    cs_column *col;
    *out = NULL;
    if (!cs__type_size(type))
        return cs__error(eng, CS_EINVAL, "invalid column type %d", (int)type);
    col = cs__alloc(eng, sizeof *col);
    if (!col) return cs__oom(eng);
    memset(col, 0, sizeof *col);
    col->eng = eng;
    col->type = type;
    col->refs = 1;
    cs__buf_init(&col->scratch, eng);
    *out = col;
    return CS_OK;
}

int cs_column_new(cs_engine *eng, cs_type type, cs_column **out)
{
    int rc = column_alloc(eng, type, out);
    if (rc) return rc;
    if (type == CS_TYPE_STR) {
        rc = cs__dict_new(eng, &(*out)->dict);
        if (rc) {
            cs__free(eng, *out, sizeof **out);
            *out = NULL;
        }
    }
    return rc;
}

int cs__column_new_like(const cs_column *src, cs_column **out)
{
    int rc = column_alloc(src->eng, src->type, out);
    if (rc) return rc;
    if (src->dict) {
        cs__dict_retain(src->dict);
        (*out)->dict = src->dict;
    }
    return CS_OK;
}

cs_column *cs_column_retain(cs_column *col)
{
    col->refs++;
    return col;
}

static size_t bitmap_bytes(size_t cap)
{
    return ((cap + 63) / 64) * sizeof(uint64_t);
}

void cs_column_release(cs_column *col)
{
    cs_engine *eng;
    if (!col || --col->refs > 0) return;
    eng = col->eng;
    cs__free(eng, col->data, col->cap * cs__type_size(col->type));
    cs__free(eng, col->valid, bitmap_bytes(col->vcap));
    cs__dict_release(col->dict);
    cs__buf_free(&col->scratch);
    cs__free(eng, col, sizeof *col);
}

/* Grows COL to CAP rows.  The bitmap grows first and keeps its own
** capacity, so a failure at either step leaves every size exact. */
static int grow_to(cs_column *col, size_t cap)
{
    size_t esz = cs__type_size(col->type), bytes;
    void *data;
    if (!cs__mul_ok(cap, esz, &bytes))
        return cs__error(col->eng, CS_EOVERFLOW, "column too long");
    if (col->valid && col->vcap < cap) {
        size_t ob = bitmap_bytes(col->vcap), nb = bitmap_bytes(cap);
        uint64_t *v = cs__realloc(col->eng, col->valid, ob, nb);
        if (!v) return cs__oom(col->eng);
        memset((char *)v + ob, 0, nb - ob);
        col->valid = v;
        col->vcap = cap;
    }
    data = cs__realloc(col->eng, col->data, col->cap * esz, bytes);
    if (!data) return cs__oom(col->eng);
    col->data = data;
    col->cap = cap;
    return CS_OK;
}

int cs_column_reserve(cs_column *col, size_t n)
{
    size_t need;
    if (col->frozen)
        return cs__error(col->eng, CS_EMISUSE, "column is frozen");
    if (__builtin_add_overflow(col->len, n, &need))
        return cs__error(col->eng, CS_EOVERFLOW, "column too long");
    col->ranged = 0;
    return need <= col->cap ? CS_OK : grow_to(col, need);
}

/* Makes room for one more value. */
static int room(cs_column *col)
{
    size_t cap;
    if (col->frozen)
        return cs__error(col->eng, CS_EMISUSE, "column is frozen");
    col->ranged = 0;
    if (col->len < col->cap) return CS_OK;
    cap = col->cap ? col->cap * 2 : 16;
    if (cap < col->cap)
        return cs__error(col->eng, CS_EOVERFLOW, "column too long");
    return grow_to(col, cap);
}

static void set_valid(cs_column *col, size_t i)
{
    if (col->valid) col->valid[i >> 6] |= (uint64_t)1 << (i & 63);
}

static int check_type(cs_column *col, cs_type t)
{
    if (col->type == t) return CS_OK;
    return cs__error(col->eng, CS_ETYPE, "cannot store a %s in a %s column",
                     cs_type_name(t), cs_type_name(col->type));
}

#define PUSH(ctype, expr)                            \
    do {                                             \
        int prc = room(col);                         \
        if (prc) return prc;                         \
        ((ctype *)col->data)[col->len] = (expr);     \
        set_valid(col, col->len);                    \
        col->len++;                                  \
        return CS_OK;                                \
    } while (0)

int cs_column_push_i64(cs_column *col, int64_t v)
{
    int rc = check_type(col, CS_TYPE_I64);
    if (rc) return rc;
    PUSH(int64_t, v);
}

int cs_column_push_f64(cs_column *col, double v)
{
    int rc = check_type(col, CS_TYPE_F64);
    if (rc) return rc;
    PUSH(double, v);
}

int cs_column_push_bool(cs_column *col, int v)
{
    int rc = check_type(col, CS_TYPE_BOOL);
    if (rc) return rc;
    PUSH(uint8_t, (uint8_t)(v != 0));
}

int cs_column_push_date(cs_column *col, int32_t days)
{
    int rc = check_type(col, CS_TYPE_DATE);
    if (rc) return rc;
    PUSH(int32_t, days);
}

int cs__column_push_code(cs_column *col, uint32_t code)
{
    PUSH(uint32_t, code);
}

int cs_column_push_str(cs_column *col, const char *s, size_t len)
{
    uint32_t code;
    size_t bad;
    int rc = check_type(col, CS_TYPE_STR);
    if (rc) return rc;
    if (col->frozen)
        return cs__error(col->eng, CS_EMISUSE, "column is frozen");
    /* The dictionary holds only NFC text, so finding S there proves it
    ** valid and normalised: repeated values skip utf8proc entirely. */
    if (cs__dict_find(col->dict, s, len, &code)) {
        rc = CS_OK;
    } else if (cs__is_ascii(s, len)) {
        rc = cs__dict_intern(col->dict, s, len, &code);
    } else {
        if (!cs_utf8_valid(s, len, &bad))
            return cs__error(col->eng, CS_EENCODING,
                             "invalid UTF-8 at byte %zu (0x%02X)", bad + 1,
                             (unsigned)(unsigned char)s[bad]);
        rc = cs__nfc(col->eng, s, len, &col->scratch);
        if (rc) return rc;
        rc = cs__dict_intern(col->dict, col->scratch.p, col->scratch.len,
                             &code);
    }
    if (rc) return rc;
    return cs__column_push_code(col, code);
}

int cs_column_push_null(cs_column *col)
{
    int rc = room(col);
    if (rc) return rc;
    if (!col->valid) {
        size_t bytes = bitmap_bytes(col->cap), i;
        col->valid = cs__alloc(col->eng, bytes);
        if (!col->valid) return cs__oom(col->eng);
        col->vcap = col->cap;
        memset(col->valid, 0, bytes);
        for (i = 0; i < col->len; i++) set_valid(col, i);
    }
    memset((char *)col->data + col->len * cs__type_size(col->type), 0,
           cs__type_size(col->type));
    col->nnull++;
    col->len++;
    return CS_OK;
}

int cs_column_push_value(cs_column *col, const cs_value *v)
{
    if (v->isnull) return cs_column_push_null(col);
    if (v->type == CS_TYPE_I64 && col->type == CS_TYPE_F64)
        return cs_column_push_f64(col, (double)v->u.i);
    switch (v->type) {
    case CS_TYPE_I64: return cs_column_push_i64(col, v->u.i);
    case CS_TYPE_F64: return cs_column_push_f64(col, v->u.f);
    case CS_TYPE_STR: return cs_column_push_str(col, v->u.s.p, v->u.s.len);
    case CS_TYPE_BOOL: return cs_column_push_bool(col, v->u.b);
    case CS_TYPE_DATE: return cs_column_push_date(col, v->u.d);
    }
    return cs__error(col->eng, CS_EINVAL, "invalid value type");
}

cs_type cs_column_type(const cs_column *col) { return col->type; }
size_t cs_column_len(const cs_column *col) { return col->len; }
size_t cs_column_nulls(const cs_column *col) { return col->nnull; }
cs_engine *cs_column_engine(const cs_column *col) { return col->eng; }

int cs_column_is_null(const cs_column *col, size_t row)
{
    return col->valid && !cs__bit(col->valid, row);
}

void cs_column_get(const cs_column *col, size_t row, cs_value *out)
{
    out->type = col->type;
    out->isnull = cs_column_is_null(col, row);
    if (out->isnull) {
        memset(&out->u, 0, sizeof out->u);
        return;
    }
    switch (col->type) {
    case CS_TYPE_I64: out->u.i = ((const int64_t *)col->data)[row]; break;
    case CS_TYPE_F64: out->u.f = ((const double *)col->data)[row]; break;
    case CS_TYPE_BOOL: out->u.b = ((const uint8_t *)col->data)[row]; break;
    case CS_TYPE_DATE: out->u.d = ((const int32_t *)col->data)[row]; break;
    case CS_TYPE_STR:
        out->u.s.p = cs__dict_str(col->dict,
                                  ((const uint32_t *)col->data)[row],
                                  &out->u.s.len);
        break;
    }
}

#define TYPED_ACCESSOR(name, ctype, t)                                \
    const ctype *name(const cs_column *col)                           \
    {                                                                 \
        return col->type == (t) ? (const ctype *)col->data : NULL;    \
    }
TYPED_ACCESSOR(cs_column_i64s, int64_t, CS_TYPE_I64)
TYPED_ACCESSOR(cs_column_f64s, double, CS_TYPE_F64)
TYPED_ACCESSOR(cs_column_bools, uint8_t, CS_TYPE_BOOL)
TYPED_ACCESSOR(cs_column_dates, int32_t, CS_TYPE_DATE)
TYPED_ACCESSOR(cs_column_codes, uint32_t, CS_TYPE_STR)

size_t cs_column_dict_size(const cs_column *col)
{
    return col->dict ? col->dict->n : 0;
}

const char *cs_column_dict_str(const cs_column *col, uint32_t code,
                               size_t *len)
{
    if (!col->dict || code >= col->dict->n) return NULL;
    return cs__dict_str(col->dict, code, len);
}

/* Gathers rows of SRC given as size_t (R64) or uint32_t (R32) indices. */
#define GATHER_LOOP(ctype, rows)                                         \
    for (i = 0; i < n; i++)                                              \
        ((ctype *)col->data)[i] = ((const ctype *)src->data)[(rows)[i]];
#define GATHER_VALID(rows)                                               \
    for (i = 0; i < n; i++) {                                            \
        if (cs__bit(src->valid, (rows)[i]))                              \
            col->valid[i >> 6] |= (uint64_t)1 << (i & 63);               \
        else                                                             \
            col->nnull++;                                                \
    }
#define GATHER_ALL(rows)                                                 \
    switch (esz) {                                                       \
    case 8: GATHER_LOOP(uint64_t, rows) break;                           \
    case 4: GATHER_LOOP(uint32_t, rows) break;                           \
    default: GATHER_LOOP(uint8_t, rows) break;                           \
    }                                                                    \
    if (src->nnull) GATHER_VALID(rows)

int cs__column_gather(const cs_column *src, const size_t *r64,
                      const uint32_t *r32, size_t n, cs_column **out)
{
    cs_column *col;
    size_t i, esz = cs__type_size(src->type);
    int rc = cs__column_new_like(src, &col);
    if (rc) return rc;
    rc = cs_column_reserve(col, n);
    if (rc) goto fail;
    if (src->nnull) {
        col->valid = cs__alloc(col->eng, bitmap_bytes(col->cap));
        if (!col->valid) {
            rc = cs__oom(col->eng);
            goto fail;
        }
        col->vcap = col->cap;
        memset(col->valid, 0, bitmap_bytes(col->cap));
    }
    if (r32) {
        GATHER_ALL(r32)
    } else {
        GATHER_ALL(r64)
    }
    if (src->nnull && col->nnull == 0) {
        cs__free(col->eng, col->valid, bitmap_bytes(col->vcap));
        col->valid = NULL;
    }
    col->len = n;
    *out = col;
    return CS_OK;
fail:
    cs_column_release(col);
    *out = NULL;
    return rc;
}

/* ---- aggregates ---- */

/* Sums int64 values exactly: a 128-bit accumulator cannot overflow for
** fewer than 2^64 rows. */
__extension__ typedef __int128 cs_i128;

static int stats_i64(const cs_column *col, cs_stats *st)
{
    const int64_t *v = col->data;
    cs_i128 sum = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    size_t i, n = col->len;
    if (!col->valid) {
        for (i = 0; i < n; i++) {
            sum += v[i];
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    } else {
        for (i = 0; i < n; i++) {
            if (!cs__bit(col->valid, i)) continue;
            sum += v[i];
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
    }
    st->fsum = (double)sum;
    st->mean = st->count ? (double)sum / (double)st->count : NAN;
    if (st->count) {
        st->min.u.i = lo;
        st->max.u.i = hi;
    }
    if (sum > INT64_MAX || sum < INT64_MIN)
        return cs__error(col->eng, CS_EOVERFLOW,
                         "sum of %zu int64 values is %s than the int64 range",
                         st->count, sum > 0 ? "larger" : "smaller");
    st->isum = (int64_t)sum;
    return CS_OK;
}

/* NaN takes part in the sum and the mean (which become NaN) but is the
** minimum and maximum only of a column holding nothing else. */
static void stats_f64(const cs_column *col, cs_stats *st)
{
    const double *v = col->data;
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    size_t i, n = col->len, numbers = 0;
    for (i = 0; i < n; i++) {
        if (col->valid && !cs__bit(col->valid, i)) continue;
        sum += v[i];
        if (isnan(v[i])) continue;
        lo = v[i] < lo ? v[i] : lo;
        hi = v[i] > hi ? v[i] : hi;
        numbers++;
    }
    if (numbers == 0) lo = hi = NAN;
    st->fsum = sum;
    st->mean = st->count ? sum / (double)st->count : NAN;
    st->min.u.f = lo;
    st->max.u.f = hi;
}

/* Four running bounds, so that the comparisons do not wait on each
** other. */
#define DENSE_BOUNDS(T)                                                  \
    do {                                                                 \
        const T *v = data;                                               \
        int64_t l4[4] = {l, l, l, l}, h4[4] = {h, h, h, h};              \
        size_t i, j;                                                     \
        for (i = 0; i + 4 <= n; i += 4)                                  \
            for (j = 0; j < 4; j++) {                                    \
                l4[j] = v[i + j] < l4[j] ? v[i + j] : l4[j];             \
                h4[j] = v[i + j] > h4[j] ? v[i + j] : h4[j];             \
            }                                                            \
        for (; i < n; i++) {                                             \
            l4[0] = v[i] < l4[0] ? v[i] : l4[0];                         \
            h4[0] = v[i] > h4[0] ? v[i] : h4[0];                         \
        }                                                                \
        for (j = 0; j < 4; j++) {                                        \
            l = l4[j] < l ? l4[j] : l;                                   \
            h = h4[j] > h ? h4[j] : h;                                   \
        }                                                                \
    } while (0)

/* Widens [*LO, *HI] to the N int64 or date values DATA (no null). */
static void dense_bounds(cs_type t, const void *data, size_t n, int64_t *lo,
                         int64_t *hi)
{
    int64_t l = *lo, h = *hi;
    if (t == CS_TYPE_I64) DENSE_BOUNDS(int64_t);
    else if (t == CS_TYPE_DATE) DENSE_BOUNDS(int32_t);
    *lo = l;
    *hi = h;
}
#undef DENSE_BOUNDS

#define SPARSE_BOUNDS(T)                                                 \
    do {                                                                 \
        const T *v = col->data;                                          \
        size_t i;                                                        \
        for (i = 0; i < n; i++) {                                        \
            size_t r = sel ? sel[i] : i;                                 \
            if (valid && !cs__bit(valid, r)) continue;                   \
            lo = v[r] < lo ? v[r] : lo;                                  \
            hi = v[r] > hi ? v[r] : hi;                                  \
        }                                                                \
    } while (0)

void cs__column_range(const cs_column *col, const uint32_t *sel, size_t n,
                      int64_t *lop, int64_t *hip)
{
    const uint64_t *valid = col->valid;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    if (col->ranged) {
        *lop = col->lo;
        *hip = col->hi;
        return;
    }
    if (!sel) n = col->len;
    if (!sel && !valid) dense_bounds(col->type, col->data, n, &lo, &hi);
    else if (col->type == CS_TYPE_I64) SPARSE_BOUNDS(int64_t);
    else if (col->type == CS_TYPE_DATE) SPARSE_BOUNDS(int32_t);
    *lop = lo;
    *hip = hi;
    if (!sel && col->frozen) {
        cs_column *memo = (cs_column *)col;
        memo->lo = lo;
        memo->hi = hi;
        memo->ranged = 1;
    }
}
#undef SPARSE_BOUNDS

int cs_column_stats(const cs_column *col, cs_stats *st)
{
    size_t i, n = col->len;
    int rc = CS_OK;
    memset(st, 0, sizeof *st);
    st->nulls = col->nnull;
    st->count = n - col->nnull;
    st->min.type = st->max.type = col->type;
    st->min.isnull = st->max.isnull = st->count == 0;
    st->mean = NAN;
    switch (col->type) {
    case CS_TYPE_I64:
        rc = stats_i64(col, st);
        break;
    case CS_TYPE_F64:
        stats_f64(col, st);
        break;
    case CS_TYPE_BOOL: {
        const uint8_t *v = col->data;
        int64_t t = 0;
        for (i = 0; i < n; i++)
            if (!col->valid || cs__bit(col->valid, i)) t += v[i];
        st->isum = t;
        st->fsum = (double)t;
        if (st->count) {
            st->mean = (double)t / (double)st->count;
            st->min.u.b = t == (int64_t)st->count;
            st->max.u.b = t > 0;
        }
        break;
    }
    case CS_TYPE_DATE: {
        const int32_t *v = col->data;
        int32_t lo = INT32_MAX, hi = INT32_MIN;
        for (i = 0; i < n; i++) {
            if (col->valid && !cs__bit(col->valid, i)) continue;
            lo = v[i] < lo ? v[i] : lo;
            hi = v[i] > hi ? v[i] : hi;
        }
        st->min.u.d = lo;
        st->max.u.d = hi;
        break;
    }
    case CS_TYPE_STR: {
        /* Compare each distinct code once, not each row. */
        const uint32_t *v = col->data;
        uint32_t lo = UINT32_MAX, hi = UINT32_MAX;
        size_t ll = 0, hl = 0;
        const char *ls = NULL, *hs = NULL;
        for (i = 0; i < n; i++) {
            size_t len, m;
            const char *s;
            int c;
            if (col->valid && !cs__bit(col->valid, i)) continue;
            if (v[i] == lo || v[i] == hi) continue;
            s = cs__dict_str(col->dict, v[i], &len);
            if (!ls) {
                lo = hi = v[i];
                ls = hs = s;
                ll = hl = len;
                continue;
            }
            m = len < ll ? len : ll;
            c = memcmp(s, ls, m);
            if (c < 0 || (c == 0 && len < ll)) {
                lo = v[i];
                ls = s;
                ll = len;
            }
            m = len < hl ? len : hl;
            c = memcmp(s, hs, m);
            if (c > 0 || (c == 0 && len > hl)) {
                hi = v[i];
                hs = s;
                hl = len;
            }
        }
        if (ls) {
            st->min.u.s.p = ls;
            st->min.u.s.len = ll;
            st->max.u.s.p = hs;
            st->max.u.s.len = hl;
        }
        break;
    }
    }
    return rc;
}
