/*
** coopstat.h: the only public header of the coopstat core.
** The core is a columnar engine: typed columns (int64, float64, dictionary-
** encoded UTF-8 strings, bool, date) with a validity bitmap, grouped into
** immutable datasets that share their columns by reference count.
** It knows nothing of Lua, never prints and never exits.
*/
#ifndef COOPSTAT_H
#define COOPSTAT_H

#include <stddef.h>
#include <stdint.h>

#define CS_VERSION "0.1.0"

/* ------------------------------------------------------------------ */
/* Status codes.  Functions that can fail return one of these; the   */
/* detail of the last failure on an engine is in cs_errmsg().         */
/* ------------------------------------------------------------------ */
enum {
    CS_OK = 0,
    CS_ENOMEM,      /* out of memory */
    CS_EINVAL,      /* invalid argument or option */
    CS_ENOTFOUND,   /* no such column, file or object */
    CS_ETYPE,       /* a value or column of the wrong type */
    CS_EIO,         /* a read or write failed */
    CS_EPARSE,      /* malformed input (CSV, dates, numbers) */
    CS_EENCODING,   /* invalid UTF-8 or an unconvertible encoding */
    CS_EOVERFLOW,   /* an integer result does not fit in 64 bits */
    CS_EINTERRUPT,  /* cancelled through cs_engine_interrupt() */
    CS_EMISUSE,     /* the API was used against its contract */
    CS_EEXIST,      /* a name is already taken */
    CS_ESQL,        /* an SQL statement failed (syntax, constraint...) */
    CS_EBUSY        /* the store is locked by another connection */
};

/* Returns a fixed English string for RC; never NULL. */
const char *cs_strerror(int rc);

/* ------------------------------------------------------------------ */
/* Engine: the root handle.  Owns the allocator and the last error.   */
/* ------------------------------------------------------------------ */
typedef struct cs_engine cs_engine;

/* The allocator hook, shaped like lua_Alloc: NSIZE == 0 frees PTR and
** returns NULL; otherwise it returns a block of NSIZE bytes holding the
** first min(OSIZE, NSIZE) bytes of PTR, or NULL on failure (PTR is then
** left untouched).  OSIZE is the size PTR was allocated with (0 if NULL). */
typedef void *(*cs_alloc_fn)(void *ud, void *ptr, size_t osize, size_t nsize);

/* Creates an engine.  ALLOC may be NULL for the C library allocator,
** which keeps up to 128 MiB of freed large blocks (4 MiB and more) for
** the next requests of about their size, until cs_engine_trim() or
** cs_engine_free().  On CS_OK *OUT is a new engine the caller frees with cs_engine_free().
** Errors: CS_ENOMEM. */
int cs_engine_new(cs_alloc_fn alloc, void *ud, cs_engine **out);

/* Frees ENG.  Every object created on ENG must be freed first.
** Accepts NULL. */
void cs_engine_free(cs_engine *eng);

/* Returns the freed blocks that ENG keeps for reuse to the system. */
void cs_engine_trim(cs_engine *eng);

/* The detail of the last error on ENG ("" when none).  Owned by ENG,
** valid until the next call that fails on ENG. */
const char *cs_errmsg(const cs_engine *eng);

/* Asks long loops running on ENG to stop with CS_EINTERRUPT.  Safe to
** call from a signal handler.  The flag stays set until cleared with
** cs_engine_clear_interrupt(). */
void cs_engine_interrupt(cs_engine *eng);
void cs_engine_clear_interrupt(cs_engine *eng);

/* Progress of long operations, for a host that shows it: PHASE names
** the work ("read" a CSV file: bytes; "write" rows into the store:
** rows), DONE of TOTAL units so far.  The callback is called every few
** thousand rows from the thread doing the work; it must be quick, and
** may call cs_engine_interrupt() to stop the work. */
typedef struct cs_progress {
    const char *phase;
    uint64_t done, total;
} cs_progress;
typedef void (*cs_progress_fn)(void *ud, const cs_progress *p);
/* Sets (FN NULL: removes) ENG's progress callback. */
void cs_engine_set_progress(cs_engine *eng, cs_progress_fn fn, void *ud);

/* Allocates through ENG's allocator; memory returned by the core as
** "new" strings is freed with cs_free(eng, p, size) or cs_free_str(). */
void *cs_malloc(cs_engine *eng, size_t n);
void cs_free(cs_engine *eng, void *p, size_t n);
/* Frees a NUL-terminated string the core returned as new. */
void cs_free_str(cs_engine *eng, char *s);

/* ------------------------------------------------------------------ */
/* Reporting periods: 2023, 2023H1, 2023Q3, 2023-07 (years 1..9999)   */
/* ------------------------------------------------------------------ */
typedef enum cs_period_type {
    CS_PERIOD_YEAR = 1,
    CS_PERIOD_HALF,
    CS_PERIOD_QUARTER,
    CS_PERIOD_MONTH
} cs_period_type;

typedef struct cs_period {
    cs_period_type type;
    int32_t year;
    int32_t index; /* within the year, from 1: half 1-2, quarter 1-4, month 1-12; 1 for a year */
} cs_period;

/* "year", "half", "quarter", "month"; NULL for a bad type.  The reverse
** returns 0 for a name that is not one. */
const char *cs_period_type_name(cs_period_type t);
cs_period_type cs_period_type_from_name(const char *name);
/* Parses S[0..LEN): "2023", "2023H1", "2023Q3", "2023-07" (H and Q in
** either case).  Errors: CS_EPARSE (anything else, 2023H3, 2023-13). */
int cs_period_parse(const char *s, size_t len, cs_period *out);
/* Writes P's canonical text into BUF (16 bytes are enough).  Errors:
** CS_EINVAL (not a period, BUF too small). */
int cs_period_format(cs_period p, char *buf, size_t size);
/* Nonzero when P is a period (type, year 1..9999 and index in range). */
int cs_period_is_valid(cs_period p);
/* P moved by N periods of its own type (2023H2 + 1 = 2024H1).  Errors:
** CS_EINVAL (P invalid), CS_EOVERFLOW (beyond years 1..9999). */
int cs_period_add(cs_period p, int64_t n, cs_period *out);
/* *N = A - B in periods of their type.  Errors: CS_EINVAL (invalid, or
** types differ). */
int cs_period_diff(cs_period a, cs_period b, int64_t *n);
/* The period of type TO that contains P (a half to its year, a month to
** its quarter).  Errors: CS_EINVAL (TO is finer than P's type). */
int cs_period_convert(cs_period p, cs_period_type to, cs_period *out);
/* Orders by end, then the shorter first: 2023H1 < 2023H2 < 2023. */
int cs_period_cmp(cs_period a, cs_period b);
/* Years from FROM's end to TO's end, in months / 12: 2023H1 to 2025 is
** 2.5 (negative when TO ends first). */
double cs_period_years_between(cs_period from, cs_period to);
/* The first and last day of P (days since 1970-01-01). */
int32_t cs_period_first_day(cs_period p);
int32_t cs_period_last_day(cs_period p);

/* ------------------------------------------------------------------ */
/* Targets and projections                                            */
/* ------------------------------------------------------------------ */
/* The compound rate per year that takes BASE to TARGET in YEARS:
** (TARGET / BASE)^(1 / YEARS) - 1.  Errors: CS_EINVAL (BASE <= 0,
** TARGET < 0, YEARS <= 0, or a value not finite). */
int cs_required_rate(double base, double target, double years, double *rate);

/* A least-squares fit y = intercept + slope * x (log-linear: ln y = ...,
** over the points with y > 0).  N counts the points used; SE_SLOPE is
** the standard error of the slope (NaN with 2 points); R2 the share of
** variance explained.  For a log-linear fit with x in years, RATE = e^slope
** - 1 is the growth per year and SE_RATE its standard error (delta
** method). */
typedef struct cs_fit {
    double slope, intercept, se_slope, r2, rate, se_rate;
    size_t n;
} cs_fit;
/* Points whose x or y is not finite are skipped.  Errors: CS_EINVAL
** (fewer than 2 points, or every x the same). */
int cs_fit_linear(const double *x, const double *y, size_t n, cs_fit *out);
int cs_fit_loglinear(const double *x, const double *y, size_t n, cs_fit *out);

/* Shares the integer TOTAL (0 <= TOTAL <= 9e15) out in proportion to
** WEIGHTS[0..N) (finite, >= 0, not all 0) into OUT[0..N), by largest
** remainder: OUT sums exactly to TOTAL and each part is its quota
** rounded down or up.  Errors: CS_EINVAL. */
int cs_apportion(int64_t total, const double *weights, size_t n, int64_t *out);

/* ------------------------------------------------------------------ */
/* Schedules (sched.c)                                                */
/* ------------------------------------------------------------------ */
/* A cron schedule: bit sets of the minutes, hours, days of month, months
** and days of week (0 = Sunday) it fires on. */
typedef struct cs_cron {
    uint64_t minute;
    uint32_t hour, dom;
    uint16_t month;
    uint8_t dow;
    int dom_star, dow_star; /* the field starts with '*' */
} cs_cron;

/* Parses a 5-field cron expression ("0 6 * * 1", "0-59/15 8-17 * * mon-fri",
** "0 0 1,15 jan,jul *") or a shorthand (@hourly, @daily, @midnight,
** @weekly, @monthly, @yearly, @annually).  Errors: CS_EPARSE naming the
** field and the reason ("field 2 (hour) '24': out of range 0-23"), or a
** day of month no chosen month has. */
int cs_cron_parse(cs_engine *eng, const char *expr, cs_cron *out);
/* The first time after AFTER (seconds since the epoch) that C fires, in
** the process's time zone (TZ).  A wall-clock time skipped by a
** daylight-saving change does not fire that day; one that occurs twice
** fires once.  Errors: CS_ENOTFOUND (never fires before the year 3000). */
int cs_cron_next(cs_engine *eng, const cs_cron *c, int64_t after, int64_t *next);

/* "90s", "10m", "2h" (a bare number is seconds) -> seconds > 0;
** "512K", "512M", "2G" (a bare number is bytes) -> bytes > 0.
** Errors: CS_EPARSE. */
int cs_parse_duration(const char *s, int64_t *seconds);
int cs_parse_size(const char *s, int64_t *bytes);

/* ------------------------------------------------------------------ */
/* Digests (SHA-256, lowercase hex)                                   */
/* ------------------------------------------------------------------ */
#define CS_HASH_HEX 65 /* 64 hex digits and the NUL */

/* The SHA-256 of DATA[0..LEN) in hex into OUT.  Cannot fail. */
void cs_sha256_hex(const void *data, size_t len, char out[CS_HASH_HEX]);

/* ------------------------------------------------------------------ */
/* Types and values                                                   */
/* ------------------------------------------------------------------ */
typedef enum cs_type {
    CS_TYPE_I64 = 1,  /* int64_t */
    CS_TYPE_F64,      /* double */
    CS_TYPE_STR,      /* UTF-8 NFC text, dictionary-encoded */
    CS_TYPE_BOOL,     /* 0 or 1 */
    CS_TYPE_DATE      /* days since 1970-01-01, proleptic Gregorian */
} cs_type;

/* "int64", "float64", "string", "bool", "date"; NULL for a bad type. */
const char *cs_type_name(cs_type t);
/* Parses a type name; returns 0 when NAME is not one. */
cs_type cs_type_from_name(const char *name);

/* One cell.  A string value borrows its bytes from the column's
** dictionary: valid while the column lives. */
typedef struct cs_value {
    cs_type type;
    int isnull;
    union {
        int64_t i;
        double f;
        int b;
        int32_t d;
        struct { const char *p; size_t len; } s;
    } u;
} cs_value;

/* Dates.  cs_date_parse accepts ISO "YYYY-MM-DD" (FMT NULL) or a
** strptime-like FMT made of %d %m %Y and literal characters; it returns
** CS_EPARSE for text that is not a real date.  cs_date_format writes
** "YYYY-MM-DD" and a NUL into BUF (at least 11 bytes; years outside
** 0..9999 are written with a sign and need up to 16). */
int cs_date_parse(const char *s, size_t len, const char *fmt, int32_t *days);
void cs_date_format(int32_t days, char *buf);
void cs_date_ymd(int32_t days, int *y, int *m, int *d);
int32_t cs_date_from_ymd(int y, int m, int d);

/* ------------------------------------------------------------------ */
/* Columns                                                            */
/* ------------------------------------------------------------------ */
/* A column stores its values contiguously by type.  It is mutable while
** it is being filled and becomes frozen (immutable) when a dataset
** takes it; a frozen column may be shared by many datasets, each
** holding a reference.  Pushing into a frozen column is CS_EMISUSE. */
typedef struct cs_column cs_column;

/* Creates an empty column of TYPE.  On CS_OK *OUT is a new column with
** one reference, released with cs_column_release().
** Errors: CS_EINVAL (bad type), CS_ENOMEM. */
int cs_column_new(cs_engine *eng, cs_type type, cs_column **out);

/* Adds a reference to COL and returns it. */
cs_column *cs_column_retain(cs_column *col);
/* Drops a reference; frees COL with the last one.  Accepts NULL. */
void cs_column_release(cs_column *col);

/* Ensures room for N more values.  Errors: CS_ENOMEM, CS_EOVERFLOW. */
int cs_column_reserve(cs_column *col, size_t n);

/* Appends one value.  The push must match the column's type, except
** that cs_column_push_null works on every type.  cs_column_push_str
** validates UTF-8 (CS_EENCODING) and stores the NFC form of S.
** Errors: CS_ETYPE, CS_EMISUSE (frozen), CS_ENOMEM, CS_EENCODING. */
int cs_column_push_i64(cs_column *col, int64_t v);
int cs_column_push_f64(cs_column *col, double v);
int cs_column_push_bool(cs_column *col, int v);
int cs_column_push_date(cs_column *col, int32_t days);
int cs_column_push_str(cs_column *col, const char *s, size_t len);
int cs_column_push_null(cs_column *col);
/* Appends a value of any type; a null value pushes null.  An int64
** value into a float64 column is widened.  Errors: as above. */
int cs_column_push_value(cs_column *col, const cs_value *v);

cs_type cs_column_type(const cs_column *col);
size_t cs_column_len(const cs_column *col);
size_t cs_column_nulls(const cs_column *col);
cs_engine *cs_column_engine(const cs_column *col);
int cs_column_is_null(const cs_column *col, size_t row);

/* Reads row ROW (< len) into *OUT.  A string borrows from COL. */
void cs_column_get(const cs_column *col, size_t row, cs_value *out);

/* Raw typed arrays for kernels (borrowed; NULL for another type).
** A null row holds an unspecified value in these arrays. */
const int64_t *cs_column_i64s(const cs_column *col);
const double *cs_column_f64s(const cs_column *col);
const uint8_t *cs_column_bools(const cs_column *col);
const int32_t *cs_column_dates(const cs_column *col);
/* String columns: one dictionary code per row, and the dictionary. */
const uint32_t *cs_column_codes(const cs_column *col);
size_t cs_column_dict_size(const cs_column *col);
const char *cs_column_dict_str(const cs_column *col, uint32_t code,
                               size_t *len);

/* Whole-column aggregates, computed in one pass over the typed array.
** COUNT counts non-null values.  SUM is exact for int64 and bool (the
** number of trues) columns and a double for float64; MEAN is NaN and
** MIN/MAX are null when COUNT is 0.  MIN/MAX of strings compare bytes.
** SUM and MEAN are meaningless (0, NaN) for string and date columns. */
typedef struct cs_stats {
    size_t count;
    size_t nulls;
    int64_t isum;     /* int64 and bool columns */
    double fsum;      /* every numeric column */
    double mean;
    cs_value min, max;
} cs_stats;

/* Errors: CS_EOVERFLOW when the exact sum of an int64 column does not
** fit in int64 (the message names the column's length and the sum's
** sign); *OUT is then filled in all but ISUM (FSUM and MEAN come from
** the exact sum).  CS_EINTERRUPT. */
int cs_column_stats(const cs_column *col, cs_stats *out);

/* ------------------------------------------------------------------ */
/* Datasets                                                           */
/* ------------------------------------------------------------------ */
/* A dataset is an ordered set of uniquely named columns of equal
** length.  Ownership: a dataset holds one reference to each of its
** columns; it is built with cs_dataset_add() by the code that created
** it and is immutable once handed to anyone else.  Every operation
** returns a new dataset that may share columns (never copies them when
** it can share).  A dataset has a single owner who frees it with
** cs_dataset_free().  Datasets sharing columns may be freed in any
** order. */
typedef struct cs_dataset cs_dataset;

/* Creates an empty dataset (0 columns, 0 rows).  Errors: CS_ENOMEM. */
int cs_dataset_new(cs_engine *eng, cs_dataset **out);
void cs_dataset_free(cs_dataset *ds);

/* Appends column COL named NAME.  Borrows COL (adds a reference and
** freezes it).  Errors: CS_EEXIST (name taken), CS_EINVAL (length
** differs from the other columns, empty name), CS_ENOMEM. */
int cs_dataset_add(cs_dataset *ds, const char *name, cs_column *col);

cs_engine *cs_dataset_engine(const cs_dataset *ds);
size_t cs_dataset_nrows(const cs_dataset *ds);
size_t cs_dataset_ncols(const cs_dataset *ds);
/* Column I (< ncols), borrowed; it holds exactly the dataset's rows.
** A dataset made by a filter or sort may be a view of another's columns:
** its columns are then gathered on first access, so this can return
** NULL when memory runs out (cs_errmsg says so). */
const char *cs_dataset_colname(const cs_dataset *ds, size_t i);
cs_column *cs_dataset_column(const cs_dataset *ds, size_t i);

/* The content fingerprint of DS into OUT: the SHA-256 of its column
** names and types and of every value in row order (nulls, NaN and -0
** canonical).  Equal content gives an equal fingerprint, however DS was
** built.  Errors: CS_ENOMEM. */
int cs_dataset_fingerprint(const cs_dataset *ds, char out[CS_HASH_HEX]);
/* Index of column NAME, or -1. */
ptrdiff_t cs_dataset_find(const cs_dataset *ds, const char *name);
/* Column NAME, borrowed; NULL and an error message naming the column
** (and listing those that exist) when absent. */
cs_column *cs_dataset_get(const cs_dataset *ds, const char *name);

/* A new dataset of rows ROWS[0..N) of DS, in that order (rows may
** repeat).  Errors: CS_EINVAL (row out of range), CS_ENOMEM. */
int cs_dataset_take(const cs_dataset *ds, const size_t *rows, size_t n,
                    cs_dataset **out);
/* Rows [OFFSET, OFFSET+N) clipped to the dataset. */
int cs_dataset_slice(const cs_dataset *ds, size_t offset, size_t n,
                     cs_dataset **out);

/* Formats DS as an aligned text table: header, rule, up to MAX_ROWS
** rows (0 = all; when rows are left out, the first and last halves are
** shown with a "… N more rows" line), columns fitted to WIDTH display
** cells (0 = unlimited) by eliding middle columns.  Numbers are
** right-aligned, nulls shown as "∅", widths are Unicode display
** widths.  On CS_OK *OUT is a new NUL-terminated string (cs_free_str).
** Errors: CS_ENOMEM. */
typedef struct cs_format_options {
    size_t max_rows;
    size_t width;
    int show_types;   /* a line of type names under the header */
} cs_format_options;
int cs_dataset_format(const cs_dataset *ds, const cs_format_options *opt,
                      char **out);

/* ------------------------------------------------------------------ */
/* Expressions (expr.c)                                               */
/* ------------------------------------------------------------------ */
/* Lua-flavoured expressions over a dataset's columns, compiled once and
** evaluated a column at a time:
**   status == 'active' and kind ~= 'THT'      regular_workers + seasonal_workers
**   revenue_vnd / 1e9     profit_vnd < 0 or profit_vnd == nil
**   kind in ('HTX', 'THT')     year(founded) >= 2018     `tên cột` + 1
** Nulls follow SQL's three-valued logic: null in arithmetic or in a
** comparison gives null; x == nil and x ~= nil test for null; "and"/"or"
** are Kleene logic.  Integer overflow is an error, never a wrap.
**
** Names: identifiers (ASCII letters, digits, _ and any non-ASCII UTF-8,
** NFC-normalised) or `backquoted`; a name followed by '(' is a function.
** Literals: int64 (too large: an error), float (1e9, .5, 1.), '...' or
** "..." with \\ \' \" \n \t \r, true, false, nil.  Precedence as in Lua:
** or < and < comparisons, in, not in < .. (right) < + - < * / // % <
** unary not, - < ^ (right; -2^2 == -4).  != is accepted for ~=.
** Types: int64 with int64 gives int64 for + - * // %; "/" and "^" give
** float64; int64 mixed with float64 widens.  // and % floor as in Lua,
** but an int64 // or % by zero gives null (floats follow IEEE: inf,
** nan).  int64 and float64 compare exactly (even beyond 2^53); strings
** compare by bytes; dates compare with dates or with a 'YYYY-MM-DD'
** literal; bools only with == and ~=.  ".." joins strings, numbers (as
** Lua's tostring) and dates (ISO).  x in (...) takes literals: null
** when x is null, true when found, else null when the list holds nil,
** else false.  nil alone has no type: it may be compared with == and ~=,
** listed in "in", or be an argument of if/coalesce.
** Functions: abs(x); round(x [, digits]) (halves away from zero; digits
** an integer literal in -18..18; the type of x); floor(x), ceil(x)
** (int64: out of range is CS_EOVERFLOW); coalesce(a, ...) (the first
** non-null); if(cond, a, b) (a null cond picks b); year(d), month(d),
** day(d) (int64); lower(s), upper(s) (per code point, Vietnamese
** included); len(s) (code points); date('YYYY-MM-DD').  Every argument
** of if and coalesce is evaluated, so an overflow in a branch not taken
** is still an error.  String functions and comparisons run once per
** distinct dictionary value. */
typedef struct cs_expr cs_expr;

/* Compiles TEXT against the column names and types of DS (borrowed for
** the call only).  On CS_OK *OUT is new (cs_expr_free).  On error *OUT
** is NULL and cs_errmsg() reads "expression 'TEXT': position N: ..."
** (N 1-based, in characters).  Errors: CS_EPARSE (syntax), CS_ENOTFOUND
** (unknown column or function), CS_ETYPE (operand types), CS_EENCODING
** (invalid UTF-8), CS_ENOMEM. */
int cs_expr_compile(const cs_dataset *ds, const char *text, cs_expr **out);
void cs_expr_free(cs_expr *e);
/* The type of the values E produces. */
cs_type cs_expr_type(const cs_expr *e);
/* 1 when E is a bare column reference; *INDEX is then its column. */
int cs_expr_is_column(const cs_expr *e, size_t *index);

/* Evaluates E over every row of DS, which must have the columns E was
** compiled against (same positions, names and types), into a new column
** of cs_dataset_nrows(DS) values (release it with cs_column_release;
** when E is a bare column of a dense DS it is that column, frozen, with
** a new reference).  Errors: CS_EOVERFLOW (naming the expression and
** the row), CS_EINVAL (DS does not match), CS_EINTERRUPT, CS_ENOMEM. */
int cs_expr_eval(const cs_expr *e, const cs_dataset *ds, cs_column **out);

/* ------------------------------------------------------------------ */
/* Verbs.  Each returns a new dataset (*OUT, cs_dataset_free) and      */
/* borrows its inputs; on error *OUT is NULL.                          */
/* ------------------------------------------------------------------ */
/* Rows where COND is true (not false, not null): a view.  COND must be
** a bool expression.  Errors: those of cs_expr_compile/eval. */
int cs_dataset_filter(const cs_dataset *ds, const char *cond,
                      cs_dataset **out);
/* Adds or replaces columns: each EXPRS[i] is "expression as name" (the
** last " as " outside quotes and parentheses; the name may be
** backquoted); without "as" the column is named by the expression's
** text.  A replaced column keeps its position; new ones are appended in
** order; later expressions see earlier results.  The result is dense
** (a view's columns are gathered).  Errors: those of cs_expr_compile and
** cs_expr_eval; CS_EPARSE for a missing name. */
int cs_dataset_mutate(const cs_dataset *ds, const char *const *exprs,
                      size_t n, cs_dataset **out);
/* Keeps (select) or removes (drop) the named columns; select keeps the
** order given.  These and rename share DS's columns (a view stays a view
** of the same rows).  Errors: CS_ENOTFOUND naming the column, CS_EEXIST
** (select naming a column twice). */
int cs_dataset_select(const cs_dataset *ds, const char *const *names,
                      size_t n, cs_dataset **out);
int cs_dataset_drop(const cs_dataset *ds, const char *const *names,
                    size_t n, cs_dataset **out);
/* Renames FROM[i] to TO[i], all at once (so names may be swapped).
** Errors: CS_ENOTFOUND, CS_EEXIST (a name would be taken twice),
** CS_EINVAL (a column renamed twice, an empty name), CS_EENCODING. */
int cs_dataset_rename(const cs_dataset *ds, const char *const *from,
                      const char *const *to, size_t n, cs_dataset **out);
/* The rows of A then those of B, which must have the same column names
** (in any order: B's are matched by name) and types; int64 with float64
** gives float64.  Errors: CS_EINVAL naming the column, CS_ETYPE. */
int cs_dataset_concat(const cs_dataset *a, const cs_dataset *b,
                      cs_dataset **out);

/* ------------------------------------------------------------------ */
/* Grouping and aggregation (groupby.c)                               */
/* ------------------------------------------------------------------ */
/* Groups DS by the columns KEYS[0..NKEYS) (none: one group of all rows,
** even when DS is empty) and computes AGGS, each "func(args) [as name]":
**   count() count(x) count_distinct(x) sum(x) mean(x) wmean(x, w) min(x)
**   max(x) median(x) quantile(x, q) stddev(x) var(x) first(x) last(x)
**   share(x)
** (count(*) is count()) where x and w are expressions (a bare or `quoted` column name is read
** in place) and q a number literal in [0, 1].  The result has the keys,
** then the aggregates in the order given, named by "as" (the name may be
** `quoted`) or by their trimmed text.  Groups come in the order of their
** first row; a null key value is a group of its own, all NaNs form one,
** and 0 and -0 one.  Aggregates skip nulls; count(x) counts non-nulls, count()
** rows; sum, mean, min, max... of a group without non-null values are
** null (and var, stddev with fewer than two).  Result types: counts
** int64; sum of int64 int64 (exact), of float64 float64, of bool the
** int64 number of trues; min, max, first, last the type of x (strings
** by bytes; NaN is a float minimum or maximum only of a group holding
** nothing else); mean, wmean, median, quantile, stddev, var and share
** float64.  quantile is exact with linear interpolation (R type 7, NaN
** sorting last); stddev and var are sample (n - 1).  wmean(x, w) is
** sum(x * w) / sum(w) over the rows where both are non-null, null when
** that sum of weights is 0.  share(x) is the group's sum of x over the
** sum of x in all of DS, null when that total is 0.  count_distinct
** counts distinct non-null values.  Only count, count_distinct, min,
** max, first and last take string or date x.
** Errors, with messages naming the aggregate: CS_EPARSE (syntax, arity),
** CS_ENOTFOUND (unknown function or column), CS_ETYPE, CS_EINVAL
** (quantile's q outside [0, 1]), CS_EEXIST (a key given twice, or a
** result name taken), CS_EOVERFLOW (an int64 sum, naming the group; DS
** has 2^32 - 1 rows or more), CS_EINTERRUPT, CS_ENOMEM. */
int cs_dataset_agg(const cs_dataset *ds, const char *const *keys,
                   size_t nkeys, const char *const *aggs, size_t naggs,
                   cs_dataset **out);
/* The distinct combinations of KEYS (all columns when NKEYS is 0), in
** the order of their first row.  Errors: as cs_dataset_agg. */
int cs_dataset_distinct(const cs_dataset *ds, const char *const *keys,
                        size_t nkeys, cs_dataset **out);
/* One row per distinct combination of ROWS (one row when NROWS is 0),
** one column per distinct value of the column COLS, in order of first
** appearance, named by the value's text ("NA" for null, "(empty)" for
** the empty string, floats in their shortest exact form, dates ISO,
** bools true/false); cells the aggregate VALUE (as in cs_dataset_agg,
** its "as" ignored) of that cell's rows; a missing cell is 0 for count,
** count(x) and count_distinct, else null.  Errors: as cs_dataset_agg;
** CS_EINVAL when COLS is one of ROWS; CS_EEXIST when a value's text
** names a row key or another value's column. */
int cs_dataset_pivot(const cs_dataset *ds, const char *const *rows,
                     size_t nrows, const char *cols, const char *value,
                     cs_dataset **out);

/* ------------------------------------------------------------------ */
/* Sorting (sort.c) and joins (join.c)                                */
/* ------------------------------------------------------------------ */
typedef enum cs_collation {
    CS_COLLATE_VI = 0,   /* Vietnamese alphabetical order (ICU) */
    CS_COLLATE_BYTES     /* UTF-8 byte order */
} cs_collation;

/* Sorts DS by KEYS, each "name" or "name asc" or "name desc" (asc/desc
** in any case, spaces around; the name may be `backquoted`; a key that
** is wholly a column's name is that column, so a column may be called
** "desc"); stable; nulls last in either direction; strings by COLL
** (CS_COLLATE_VI: ICU's "vi" at tertiary strength: letters, then tones,
** then case); bools false < true; NaN is greater than every number (so
** last ascending, first descending, before the nulls).  NKEYS 0 keeps
** the order.  Returns a view.  Errors: CS_ENOTFOUND (naming the key and
** listing the columns), CS_EPARSE (a bad key), CS_EINVAL (a bad COLL, or
** ICU has no Vietnamese collation), CS_EOVERFLOW (2^32 rows or more),
** CS_EMISUSE (a NULL key), CS_EINTERRUPT, CS_ENOMEM. */
int cs_dataset_sort(const cs_dataset *ds, const char *const *keys,
                    size_t nkeys, cs_collation coll, cs_dataset **out);

typedef enum cs_join_how {
    CS_JOIN_INNER = 0,
    CS_JOIN_LEFT,
    CS_JOIN_SEMI,    /* left rows with a match, once each */
    CS_JOIN_ANTI     /* left rows without a match */
} cs_join_how;

/* Hash join of LEFT and RIGHT on LKEYS[i] == RKEYS[i] (RKEYS NULL: the
** same names as LKEYS).  Key pairs must have the same type; strings
** match by their text across dictionaries; float keys match by value
** (-0 == 0); nulls and NaN never match.  Output: left's columns, then
** right's columns except its keys; a right column whose name left has
** gets SUFFIX (NULL: "_right").  Rows come in left order, and for one
** left row in right order; a left join gives an unmatched left row once
** with nulls on the right.  Semi and anti joins return left's columns
** only, as a view of left (a left row with a null key is kept by anti).
** Errors: CS_ENOTFOUND (naming the key and the side), CS_ETYPE (key
** types differ: "join key types differ: left 'a' is int64, right 'b' is
** string"), CS_EEXIST (a suffixed name is still taken), CS_EINVAL (no
** keys, a bad HOW), CS_EOVERFLOW (2^32 - 1 rows or more on a side),
** CS_EMISUSE (a NULL key), CS_ENOMEM, CS_EINTERRUPT. */
int cs_dataset_join(const cs_dataset *left, const cs_dataset *right,
                    const char *const *lkeys, const char *const *rkeys,
                    size_t nkeys, cs_join_how how, const char *suffix,
                    cs_dataset **out);
/* The same, matching string keys by their Vietnamese name keys
** (cs_text_name_key: "Huyện Lạc Thuỷ" matches "Lạc Thủy"); the key
** columns of both sides stay in the result as they were written.  Up to
** 8 string keys.  Errors: as cs_dataset_join; CS_ETYPE for a key that is
** not a string. */
int cs_dataset_join_names(const cs_dataset *left, const cs_dataset *right,
                          const char *const *lkeys, const char *const *rkeys,
                          size_t nkeys, cs_join_how how, const char *suffix,
                          cs_dataset **out);

/* ------------------------------------------------------------------ */
/* Text                                                               */
/* ------------------------------------------------------------------ */
/* Display width (terminal cells) of UTF-8 text S[0..LEN); invalid
** bytes count as one cell each. */
size_t cs_utf8_width(const char *s, size_t len);
/* The edit distance (insertions, deletions, substitutions of bytes)
** between A and B, for "did you mean" hints; (size_t)-1 when either is
** longer than 64 bytes. */
size_t cs_text_distance(const char *a, const char *b);

/* A key for matching Vietnamese place names from different sources:
** case-folded, the tone of each word moved to its end as a digit
** (so "Hoà" and "Hòa" give "hoa1", "Thuỷ" and "Thủy" "thuy4"), Ð and Đ
** as đ, punctuation and extra spaces dropped, and the type words at the
** start ("Xã", "Huyện", "Phường", "Thị trấn", "Thành phố", "Tỉnh"...)
** left out: "Thị trấn Vụ Bản" and "TT. Vụ Bản" both give "vu5 ban3".
** LOOSE also drops every mark (for sources written without them): "vu
** ban".  On CS_OK *OUT is a new string (free with cs_free_str) of
** *OUTLEN bytes.  Errors: CS_EENCODING (invalid UTF-8), CS_ENOMEM. */
int cs_text_name_key(cs_engine *eng, const char *s, size_t len, int loose,
                     char **out, size_t *outlen);
/* The NFC form of UTF-8 text S[0..LEN) (letters typed decomposed, "a"
** then a combining mark, become one code point).  On CS_OK *OUT is a new
** string (free with cs_free_str) of *OUTLEN bytes.  Errors: CS_EENCODING
** (invalid UTF-8), CS_EINVAL (a zero byte in S), CS_ENOMEM. */
int cs_text_nfc(cs_engine *eng, const char *s, size_t len, char **out,
                size_t *outlen);
/* Returns 1 when S[0..LEN) is valid UTF-8 (no overlongs, surrogates or
** values beyond U+10FFFF); else 0 and *BAD_OFFSET = first bad byte. */
int cs_utf8_valid(const char *s, size_t len, size_t *bad_offset);

/* ------------------------------------------------------------------ */
/* CSV                                                                */
/* ------------------------------------------------------------------ */
typedef struct cs_csv_options {
    char sep;                 /* ',' ';' '\t' or '|'; 0 = detect */
    char decimal;             /* '.' (default) or ',' */
    char thousands;           /* 0 (default), '.', ',' or ' ' */
    int header;               /* 1 (default): first row names columns */
    const char *const *na;    /* null markers besides the unquoted empty
                                 field, replacing the default {"NA"} */
    size_t nna;
    const char *date_format;  /* NULL = ISO YYYY-MM-DD; e.g. "%d/%m/%Y" */
    const char *encoding;     /* NULL/"utf-8", "cp1258", "tcvn3", "utf-16",
                                 "utf-16le", "utf-16be"; NULL reads a file
                                 starting with a UTF-16 byte order mark as
                                 UTF-16 */
    /* Schema: these columns get these types instead of inferred ones. */
    const char *const *schema_names;
    const cs_type *schema_types;
    size_t nschema;
} cs_csv_options;

/* Fills OPT with the defaults. */
void cs_csv_options_init(cs_csv_options *opt);

/* Reads the CSV file PATH into a new dataset.  Types are inferred from
** the whole file unless given in OPT's schema.  OPT may be NULL.
** On error *OUT is NULL and cs_errmsg() reads "PATH:LINE:COLUMN: ...".
** Errors: CS_ENOTFOUND, CS_EIO, CS_EPARSE, CS_EENCODING, CS_ETYPE,
** CS_EINVAL (bad option), CS_ENOMEM, CS_EINTERRUPT. */
int cs_csv_read(cs_engine *eng, const char *path, const cs_csv_options *opt,
                cs_dataset **out);

/* The same over BUF[0..LEN), which is borrowed; NAME stands for the
** path in messages. */
int cs_csv_read_buffer(cs_engine *eng, const char *buf, size_t len,
                       const char *name, const cs_csv_options *opt,
                       cs_dataset **out);

typedef struct cs_csv_write_options {
    char sep;        /* ',' (default) */
    char decimal;    /* '.' (default) or ',' */
    int bom;         /* write a UTF-8 byte order mark */
    int crlf;        /* CRLF line ends */
    int header;      /* 1 (default) */
} cs_csv_write_options;

void cs_csv_write_options_init(cs_csv_write_options *opt);

/* Writes DS to PATH: to a temporary file beside it, renamed over PATH
** only when complete.  Nulls are unquoted empty fields, empty strings
** "".  Floats are written with the shortest text that reads back to
** the same double.  Errors: CS_EIO, CS_EINVAL, CS_ENOMEM. */
int cs_csv_write(const cs_dataset *ds, const char *path,
                 const cs_csv_write_options *opt);

/* The same, into a new NUL-terminated string of *LEN bytes; the text
** may hold NUL bytes of its own, so free it with cs_free(eng, *out,
** *len + 1). */
int cs_csv_write_string(const cs_dataset *ds, const cs_csv_write_options *opt,
                        char **out, size_t *len);

/* ------------------------------------------------------------------ */
/* Store: one SQLite file of tables                                    */
/* ------------------------------------------------------------------ */
/* Tables are plain SQL tables (any SQLite tool can query them); their
** coopstat types are recorded beside them, so that every type and null
** survives a round trip.  The store's own tables are named coopstat_*;
** their schema is versioned (PRAGMA user_version) and migrated forward
** on open.  Every change runs in a transaction: a failed call leaves
** the store as it was.  Parameters are bound, never spliced into SQL. */
typedef struct cs_store cs_store;

typedef enum cs_write_mode {
    CS_WRITE_CREATE,    /* a new table; CS_EEXIST if it exists */
    CS_WRITE_REPLACE,   /* drop the table if it exists, then create */
    CS_WRITE_APPEND     /* add rows; names and types must match */
} cs_write_mode;

/* Opens (creating if needed) the store at PATH, in WAL mode, migrating
** its schema.  Errors: CS_EIO (cannot open, not a database), CS_EINVAL
** (a newer schema), CS_EBUSY, CS_ENOMEM. */
int cs_store_open(cs_engine *eng, const char *path, cs_store **out);
/* Closes ST, rolling back any transaction left open.  Accepts NULL. */
void cs_store_close(cs_store *st);
/* The schema version this coopstat writes. */
int cs_store_schema_version(void);
/* Bounds the memory SQLite may use in this process (all stores) to BYTES
** (0: no bound; negative: only asks); returns the previous bound.  When
** SQLite needs more, the store call fails with CS_ENOMEM and changes
** nothing.  Scheduled runs set it from their memory limit. */
int64_t cs_store_heap_limit(int64_t bytes);

/* Writes DS as TABLE in one transaction.  Errors: CS_EEXIST, CS_ENOTFOUND
** (append to no table), CS_ETYPE (append of other columns), CS_EINVAL
** (bad name: empty, or coopstat_* / sqlite_*), CS_ESQL, CS_EIO. */
int cs_store_write(cs_store *st, const char *table, const cs_dataset *ds,
                   cs_write_mode mode);
/* Reads TABLE (only COLS[0..NCOLS) when NCOLS > 0) into a new dataset,
** with its recorded types.  Errors: CS_ENOTFOUND (table or column),
** CS_ETYPE (a value changed by SQL no longer fits its type). */
int cs_store_read(cs_store *st, const char *table, const char *const *cols,
                  size_t ncols, cs_dataset **out);
/* Runs one SELECT with PARAMS bound to its ?s into a new dataset.  Column
** types follow the values (int64 widening to float64, text over
** numbers) and declared DATE/BOOLEAN columns.  Errors: CS_ESQL (with the
** character position of a syntax error), CS_EINVAL (parameter count). */
int cs_store_query(cs_store *st, const char *sql, const cs_value *params,
                   size_t nparams, cs_dataset **out);
/* Runs statements that return no rows, all in one transaction; PARAMS
** go with a single statement.  *CHANGES (may be NULL) gets the rows
** changed. */
int cs_store_exec(cs_store *st, const char *sql, const cs_value *params,
                  size_t nparams, int64_t *changes);
/* The tables and views of the store (not its own): columns name, kind. */
int cs_store_tables(cs_store *st, cs_dataset **out);
/* *FOUND = whether TABLE exists. */
int cs_store_has_table(cs_store *st, const char *table, int *found);

/* Transactions nest (savepoints).  A rollback keeps the engine's error
** message (the cause).  cs_store_depth() is the number open. */
int cs_store_begin(cs_store *st);
/* Opens the outermost transaction taking the write lock at once (BEGIN
** IMMEDIATE), so that what it reads cannot change before it writes: the
** lease of a scheduled run.  Closed by cs_store_commit/rollback.
** Errors: CS_EMISUSE inside a transaction, CS_EBUSY. */
int cs_store_begin_immediate(cs_store *st);
int cs_store_commit(cs_store *st);
int cs_store_rollback(cs_store *st);
int cs_store_depth(const cs_store *st);
/* Makes the SQL running on ST stop with CS_EINTERRUPT (signal-safe). */
void cs_store_interrupt(cs_store *st);
cs_engine *cs_store_engine(const cs_store *st);

#endif
