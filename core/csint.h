/*
** csint.h: internals shared by the core's modules (never installed).
** Holds the layouts of the opaque types and the cs__ helpers: the
** allocator wrappers, error setting, the growable buffer and the string
** dictionary.  Nothing outside core/ may include it, except core tests.
*/
#ifndef COOPSTAT_INT_H
#define COOPSTAT_INT_H

#include "coopstat.h"

#include <signal.h>
#include <stdarg.h>

/* CS_NOINLINE keeps a rare path out of the hot loop that calls it. */
#if defined(__GNUC__)
#define CS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define CS_VPRINTF(a) __attribute__((format(printf, a, 0)))
#define CS_NOINLINE __attribute__((noinline))
#else
#define CS_VPRINTF(a)
#define CS_PRINTF(a, b)
#define CS_NOINLINE
#endif

/* Long loops look at the interrupt flag once every this many rows. */
#define CS_INTERRUPT_STRIDE 4096

/* Large blocks the default allocator keeps for reuse (mem.c). */
#define CS__CACHE_SLOTS 8
typedef struct cs__cache {
    void *p[CS__CACHE_SLOTS];   /* oldest first */
    size_t size[CS__CACHE_SLOTS];
    size_t n, bytes;
} cs__cache;

struct cs_engine {
    cs_alloc_fn alloc;
    void *ud;
    volatile sig_atomic_t interrupted;
    cs_progress_fn progress;    /* cs_engine_set_progress() */
    void *progress_ud;
    char errmsg[512];
    cs__cache cache;            /* used by the default allocator only */
};

/* Tells the progress callback (if any) that PHASE has done DONE of
** TOTAL units. */
static inline void cs__progress(cs_engine *eng, const char *phase,
                                uint64_t done, uint64_t total)
{
    if (eng->progress) {
        cs_progress p;
        p.phase = phase;
        p.done = done;
        p.total = total;
        eng->progress(eng->progress_ud, &p);
    }
}

/* ---- memory ---- */
void *cs__alloc(cs_engine *eng, size_t n);
void *cs__realloc(cs_engine *eng, void *p, size_t osize, size_t nsize);
void cs__free(cs_engine *eng, void *p, size_t n);
/* Computes A*B into *OUT; returns 0 on overflow. */
int cs__mul_ok(size_t a, size_t b, size_t *out);
/* A copy of S[0..LEN) with a NUL, from ENG's allocator (LEN+1 bytes). */
char *cs__strndup(cs_engine *eng, const char *s, size_t len);

/* ---- errors: set the message and return RC ---- */
int cs__error(cs_engine *eng, int rc, const char *fmt, ...) CS_PRINTF(3, 4);
int cs__verror(cs_engine *eng, int rc, const char *fmt, va_list ap)
    CS_VPRINTF(3);
/* The next two are defined here so that callers, and the static
** analyzer (which does not follow the variadic cs__error), see which
** code they return: an error path never looks like CS_OK. */
static inline int cs__oom(cs_engine *eng)
{
    (void)cs__error(eng, CS_ENOMEM, "out of memory");
    return CS_ENOMEM;
}
/* Returns CS_EINTERRUPT with a message when ENG was interrupted. */
static inline int cs__check_interrupt(cs_engine *eng)
{
    if (!eng->interrupted) return CS_OK;
    (void)cs__error(eng, CS_EINTERRUPT, "interrupted");
    return CS_EINTERRUPT;
}

/* ---- growable byte buffer ---- */
typedef struct cs_buf {
    cs_engine *eng;
    char *p;
    size_t len, cap;
} cs_buf;

void cs__buf_init(cs_buf *b, cs_engine *eng);
void cs__buf_free(cs_buf *b);
int cs__buf_reserve(cs_buf *b, size_t extra);
int cs__buf_add(cs_buf *b, const char *s, size_t len);
int cs__buf_addc(cs_buf *b, char c);
int cs__buf_printf(cs_buf *b, const char *fmt, ...) CS_PRINTF(2, 3);
/* Hands the NUL-terminated contents over as a cs_free_str() string. */
char *cs__buf_detach(cs_buf *b);

/* ---- string dictionary (dict.c) ---- */
/* Distinct strings, each with a NUL after it, in insertion order; the
** code of a string is its index.  Shared by columns through a
** reference count once frozen. */
typedef struct cs_dict {
    cs_engine *eng;
    size_t refs;
    uint32_t n, cap;     /* strings, and room in offs */
    size_t *offs;        /* n+1 offsets into bytes */
    char *bytes;
    size_t nbytes, capbytes;
    uint32_t *slots;     /* open addressing: code+1, 0 = empty */
    uint32_t nslots;     /* a power of two */
} cs_dict;

int cs__dict_new(cs_engine *eng, cs_dict **out);
void cs__dict_retain(cs_dict *d);
void cs__dict_release(cs_dict *d);
/* 1 and *CODE when S[0..LEN) is in D; else 0. */
int cs__dict_find(const cs_dict *d, const char *s, size_t len, uint32_t *code);
/* Code of S[0..LEN), inserting it when new.  S must already be NFC. */
int cs__dict_intern(cs_dict *d, const char *s, size_t len, uint32_t *code);
static inline const char *cs__dict_str(const cs_dict *d, uint32_t code,
                                       size_t *len)
{
    if (len) *len = d->offs[code + 1] - d->offs[code] - 1;
    return d->bytes + d->offs[code];
}
uint64_t cs__hash(const char *s, size_t len);

/* ---- text (text.c) ---- */
/* Writes the NFC form of S[0..LEN) (valid UTF-8) into OUT (reset
** first).  ASCII-only input is copied as is. Errors: CS_EENCODING,
** CS_ENOMEM. */
int cs__nfc(cs_engine *eng, const char *s, size_t len, cs_buf *out);
/* Writes the shortest "%.*g" text that reads back as V ("NaN", "Inf",
** "-Inf" for those); SIZE >= 32. */
void cs__format_double(double v, char *buf, size_t size);
/* 1 when S[0..LEN) is all ASCII. */
int cs__is_ascii(const char *s, size_t len);

/* ---- dates ---- */
/* Hinnant's days-to-civil: year, month and day of DAYS since 1970-01-01,
** exact for every int32 day (inline for the date kernels). */
static inline void cs__civil(int32_t days, int64_t *y, int64_t *m,
                             int64_t *d)
{
    int64_t z = (int64_t)days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

/* ---- columns ---- */
struct cs_column {
    cs_engine *eng;
    cs_type type;
    size_t refs;
    int frozen;
    size_t len, cap;
    void *data;          /* int64_t, double, uint32_t codes, uint8_t, int32_t */
    uint64_t *valid;     /* NULL while there is no null; bit set = valid */
    size_t vcap;         /* rows VALID has room for (>= cap) */
    size_t nnull;
    cs_dict *dict;       /* string columns only */
    cs_buf scratch;      /* NFC work space while being filled */
    /* int64 and date columns: when RANGED, every non-null value lies in
    ** [LO, HI].  Set by a producer that knows it, or by cs__column_range()
    ** on a frozen column (a memo); making room for a write clears it. */
    int ranged;
    int64_t lo, hi;
};

size_t cs__type_size(cs_type t);
/* A new column of TYPE that shares SRC's dictionary (string columns), for
** operators that gather rows of SRC. */
int cs__column_new_like(const cs_column *src, cs_column **out);
/* Appends the code of a string already in COL's dictionary. */
int cs__column_push_code(cs_column *col, uint32_t code);
/* Gathers rows of SRC into a new column of N values: R64[0..N) when not
** NULL, else R32[0..N).  The new column shares SRC's dictionary. */
int cs__column_gather(const cs_column *src, const size_t *r64,
                      const uint32_t *r32, size_t n, cs_column **out);

/* Bounds of the non-null values of int64 or date column COL, read
** through SEL[0..N) when SEL is not NULL (else N is COL's length); LO >
** HI when there is none.  Remembered on a frozen column. */
void cs__column_range(const cs_column *col, const uint32_t *sel, size_t n,
                      int64_t *lo, int64_t *hi);

/* Appends V of C type CTYPE to COL, which must have room (len < cap)
** and not be frozen: the inner loop of readers that reserved first. */
#define CS__PUT(col, ctype, v)                                           \
    do {                                                                 \
        cs_column *put_ = (col);                                         \
        ((ctype *)put_->data)[put_->len] = (v);                          \
        if (put_->valid)                                                 \
            put_->valid[put_->len >> 6] |= (uint64_t)1 << (put_->len & 63); \
        put_->len++;                                                     \
    } while (0)

static inline int cs__bit(const uint64_t *bits, size_t i)
{
    return (int)((bits[i >> 6] >> (i & 63)) & 1u);
}

/* ---- datasets ---- */
/* A selection: rows of a dataset's base columns, in the order shown.
** Shared by views through a reference count; immutable once made. */
typedef struct cs_sel {
    cs_engine *eng;
    size_t refs;
    size_t n;
    uint32_t *rows;
} cs_sel;

int cs__sel_new(cs_engine *eng, size_t n, cs_sel **out);
void cs__sel_release(cs_sel *sel);

/* A dataset is dense (SEL NULL: its columns hold exactly its rows) or a
** view (its rows are SEL's rows of the base columns COLS, whose length
** may be larger).  A view gathers a dense copy of a column the first
** time someone outside the core's kernels asks for it (DENSE). */
struct cs_dataset {
    cs_engine *eng;
    size_t nrows, ncols, capcols;
    char **names;
    cs_column **cols;
    cs_sel *sel;
    cs_column **dense;
};

/* Column I of DS as kernels read it: the base column, and in *SEL the
** rows of it that DS shows (NULL: rows 0..nrows-1). */
static inline const cs_column *cs__dataset_base(const cs_dataset *ds,
                                                size_t i,
                                                const uint32_t **sel)
{
    *sel = ds->sel ? ds->sel->rows : NULL;
    return ds->cols[i];
}

/* Writes DS's column names, comma-separated, into BUF (SIZE > 8) for an
** error message, ending in ", ..." when they do not fit; "none" when
** DS has no column.  Returns BUF or the literal. */
const char *cs__list_columns(const cs_dataset *ds, char *buf, size_t size);

/* The column name of DS closest to NAME (edit distance at most 2), for
** "did you mean" hints; NULL when none is that close. */
const char *cs__nearest_column(const cs_dataset *ds, const char *name);
/* Sets "no column 'NAME' (did you mean 'X'? columns: ...)" on DS's
** engine, after PREFIX (may be ""), and returns CS_ENOTFOUND. */
int cs__no_column(const cs_dataset *ds, const char *prefix, const char *name);

/* A view of DS's columns showing the rows SEL holds, which are rows of
** DS's base columns (already composed with DS's own selection).  Takes
** SEL, even on error.  Errors: CS_ENOMEM. */
int cs__dataset_view_sel(const cs_dataset *ds, cs_sel *sel,
                         cs_dataset **out);

/* A view of DS showing its rows POS[0..N) (positions in DS, < nrows, in
** any order, repeats allowed).  Views of views compose, so the base of a
** view is always dense.  Errors: CS_EOVERFLOW when DS's base has more
** than UINT32_MAX rows (callers gather with cs_dataset_take instead),
** CS_ENOMEM. */
int cs__dataset_view(const cs_dataset *ds, const uint32_t *pos, size_t n,
                     cs_dataset **out);

#endif
