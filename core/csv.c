/*
** csv.c: the RFC 4180 CSV reader and writer.
** The reader maps the file and tokenises it twice in place: pass 1 checks
** the structure and every value and infers one type per column from the
** whole file; pass 2 pushes typed values into columns reserved to the
** exact row count.  All input errors surface in pass 1, so pass 2 can
** only run out of memory or be interrupted.
*/
/*
** Choices where the issue left room, as the reader implements them:
** - Positions in messages are "NAME:LINE:COLUMN:", LINE the 1-based
**   physical line where the field (or, for a ragged row, the row) starts
**   and COLUMN the 1-based byte offset of that start within its line.
**   Bytes are counted in the UTF-8 text after any byte order mark; for
**   cp1258/tcvn3/utf-16 input that is the converted text, except for
**   bytes the conversion rejects, which are located in the original
**   bytes.
** - Quoting decides nulls: an unquoted empty field or NA marker is null,
**   a quoted one ("" or "NA") is that string.  Quoted text takes part in
**   type inference like unquoted text, so "12" is a number.  Spaces
**   around an unquoted number, bool or date (" 12 ", typed by hand) are
**   dropped; inside quotes they are kept, so " 12 " quoted is text (the
**   writer quotes text with such spaces); text values keep them always.
** - A '"' inside an unquoted field is literal; text between a closing
**   quote and the separator ("ab"c) is an error.  A lone CR not followed
**   by LF (or the end of input) is data, not a line end.
** - Blank lines at the end of the input are ignored, except that in a
**   one-column file, where a blank line is a null, only the last one is
**   (the writer adds one line end after a final null to match).  In a
**   wider file a blank line before the end is a ragged row.
** - A number is -?(0|[1-9][0-9]*)(D[0-9]*)?([eE][+-]?[0-9]+)? (D the
**   decimal mark; ".5" is also one), the integer part optionally grouped
**   by threes with the thousands mark.  A leading '+' makes it text, so
**   that phone numbers such as +84912345678 stay strings.  Leading zeros
**   (00412), integers beyond int64, overflow to infinity and "inf"/"nan"
**   are text for inference; under a float64 schema, big integers, NaN and
**   Inf (any case, signed) are accepted.  Numbers of 512 bytes or more
**   are text.
** - Bool and date columns are inferred only when every non-null value
**   parses; with a custom date format a column of, say, %Y%m%d values
**   is a date column, not int64.  Columns named *_code (any case) are
**   strings unless the schema says otherwise.
** - Header names lose surrounding spaces (only) and are NFC; an empty
**   one is V<k> (the name a read without header gives column k, as when
**   Excel leaves a trailing separator); a duplicate or NUL-containing
**   name is CS_EPARSE.  An empty input, or
**   one of only blank lines, is a dataset of 0 columns whatever the
**   options say.
*/
#define _DEFAULT_SOURCE   /* madvise(2) */
#include "csint.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void cs_csv_options_init(cs_csv_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->sep = 0;
    opt->decimal = '.';
    opt->thousands = 0;
    opt->header = 1;
}

void cs_csv_write_options_init(cs_csv_write_options *opt)
{
    memset(opt, 0, sizeof *opt);
    opt->sep = ',';
    opt->decimal = '.';
    opt->header = 1;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

static const char *const default_na[] = {"NA"};

/* Writes C for a message: ',' or 0x07. */
static const char *show_char(char c, char buf[8])
{
    unsigned char u = (unsigned char)c;
    if (u == '\t')
        snprintf(buf, 8, "'\\t'");
    else if (u >= 0x20 && u < 0x7F)
        snprintf(buf, 8, "'%c'", c);
    else
        snprintf(buf, 8, "0x%02X", (unsigned)u);
    return buf;
}

/* Copies at most 40 bytes of S into BUF for a message, cut on a UTF-8
** boundary, with control characters shown as '?'. */
static const char *show_value(const char *s, size_t len, char buf[64])
{
    size_t n = len, i;
    if (n > 40) {
        n = 40;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    for (i = 0; i < n; i++)
        buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
    if (n < len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}

static int ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int ascii_ieq(const char *a, size_t alen, const char *b)
{
    size_t i;
    for (i = 0; i < alen; i++)
        if (!b[i] || ascii_lower((unsigned char)a[i]) != ascii_lower(b[i]))
            return 0;
    return b[i] == '\0';
}

/* S equals the ASCII literal LIT, ignoring case. */
static int name_is(const char *s, const char *lit)
{
    return ascii_ieq(s, strlen(s), lit);
}

static int is_digit(char c)
{
    return (unsigned)((unsigned char)c - '0') < 10u;
}

static const char *errno_text(int e, char buf[128])
{
    if (strerror_r(e, buf, 128) != 0) snprintf(buf, 128, "error %d", e);
    return buf;
}

/* ------------------------------------------------------------------ */
/* Values                                                             */
/* ------------------------------------------------------------------ */

enum { NUM_NONE, NUM_INT, NUM_FLOAT, NUM_BIG };

#define NUMBUF 512

static const double pow10tab[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Classifies S[0..LEN) as an int64 (*IV), a float (*DV), an integer too
** big for int64 (*DV) or not a number.  DEC is the decimal mark, THS the
** thousands mark or 0.  Exact mantissas below 2^53 with small exponents
** are computed directly (one correctly rounded operation); the rest go
** through strtod on a normalised copy. */
static int parse_number(const char *s, size_t len, char dec, char ths,
                        int64_t *iv, double *dv)
{
    const char *p = s, *e = s + len, *ds;
    uint64_t m = 0;
    int neg = 0, isfloat = 0;
    size_t nint, nfrac = 0;
    long ex = 0;
    char buf[NUMBUF];
    size_t n;
    double v;

    /* M takes every digit; past 19 of them it may wrap, and the exact
    ** paths below are not taken. */
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    for (ds = p; p < e && is_digit(*p); p++)
        m = m * 10 + (uint64_t)(*p - '0');
    nint = (size_t)(p - ds);
    if (nint > 1 && *ds == '0') return NUM_NONE;
    if (ths && p < e && *p == ths) {
        if (nint == 0 || nint > 3 || *ds == '0') return NUM_NONE;
        while (p < e && *p == ths) {
            if (e - p < 4 || !is_digit(p[1]) || !is_digit(p[2]) ||
                !is_digit(p[3]))
                return NUM_NONE;
            m = m * 1000 + (uint64_t)((p[1] - '0') * 100 +
                                      (p[2] - '0') * 10 + (p[3] - '0'));
            nint += 3;
            p += 4;
        }
        if (p < e && is_digit(*p)) return NUM_NONE;
    }
    if (p < e && *p == dec) {
        const char *fs = ++p;
        isfloat = 1;
        for (; p < e && is_digit(*p); p++)
            m = m * 10 + (uint64_t)(*p - '0');
        nfrac = (size_t)(p - fs);
    }
    if (nint + nfrac == 0) return NUM_NONE;
    if (p < e && (*p == 'e' || *p == 'E')) {
        int eneg = 0;
        size_t nexp = 0;
        isfloat = 1;
        p++;
        if (p < e && (*p == '+' || *p == '-')) eneg = *p++ == '-';
        for (; p < e && is_digit(*p); p++, nexp++)
            if (ex < 100000) ex = ex * 10 + (*p - '0');
        if (nexp == 0) return NUM_NONE;
        if (eneg) ex = -ex;
    }
    if (p != e) return NUM_NONE;
    if (!isfloat && nint <= 19) {
        if (m <= (uint64_t)INT64_MAX) {
            *iv = neg ? -(int64_t)m : (int64_t)m;
            return NUM_INT;
        }
        if (neg && m == (uint64_t)INT64_MAX + 1u) {
            *iv = INT64_MIN;
            return NUM_INT;
        }
    }
    if (isfloat && nint + nfrac <= 19 && m <= ((uint64_t)1 << 53)) {
        long e10 = ex - (long)nfrac;
        if (e10 >= -22 && e10 <= 22) {
            v = (double)m;
            v = e10 < 0 ? v / pow10tab[-e10] : v * pow10tab[e10];
            *dv = neg ? -v : v;
            return NUM_FLOAT;
        }
    }
    if (len >= NUMBUF) return NUM_NONE;
    for (n = 0, p = s; p < e; p++) {
        if (ths && *p == ths) continue;
        buf[n++] = *p == dec ? '.' : *p;
    }
    buf[n] = '\0';
    v = strtod(buf, NULL);
    if (isinf(v)) return NUM_NONE;
    *dv = v;
    return isfloat ? NUM_FLOAT : NUM_BIG;
}

/* NaN and infinities, accepted only when float64 is asked for. */
static int parse_special(const char *s, size_t len, double *dv)
{
    int neg = 0;
    if (len && (*s == '-' || *s == '+')) {
        neg = *s == '-';
        s++;
        len--;
    }
    if (ascii_ieq(s, len, "nan")) {
        *dv = NAN;
        return 1;
    }
    if (ascii_ieq(s, len, "inf") || ascii_ieq(s, len, "infinity")) {
        *dv = neg ? -INFINITY : INFINITY;
        return 1;
    }
    return 0;
}

static int parse_bool(const char *s, size_t len, int *b)
{
    if (len == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "TRUE", 4) ||
                     !memcmp(s, "True", 4))) {
        *b = 1;
        return 1;
    }
    if (len == 5 && (!memcmp(s, "false", 5) || !memcmp(s, "FALSE", 5) ||
                     !memcmp(s, "False", 5))) {
        *b = 0;
        return 1;
    }
    return 0;
}

static int parse_date(const char *s, size_t len, const char *fmt,
                      int32_t *d)
{
    if (!fmt && (len != 10 || s[4] != '-' || s[7] != '-')) return 0;
    return cs_date_parse(s, len, fmt, d) == CS_OK;
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

typedef struct ropts {
    char sep, decimal, thousands;
    int header;
    const char *const *na;
    size_t nna;
    const char *date_format;
    const char *encoding;   /* as given, for messages */
    const char *iconv_name; /* NULL for UTF-8 */
    const char *const *schema_names;
    const cs_type *schema_types;
    size_t nschema;
} ropts;

static int is_sep(char c)
{
    return c == ',' || c == ';' || c == '\t' || c == '|';
}

static int check_thousands(cs_engine *eng, char ths, char dec, char sep,
                           int detected)
{
    char b[8];
    if (!ths) return CS_OK;
    if (ths != '.' && ths != ',' && ths != ' ')
        return cs__error(eng, CS_EINVAL,
                         "option 'thousands': must be 0, '.', ',' or ' ', "
                         "not %s", show_char(ths, b));
    if (ths == dec)
        return cs__error(eng, CS_EINVAL,
                         "option 'thousands': %s is also the decimal mark",
                         show_char(ths, b));
    if (ths == sep)
        return cs__error(eng, CS_EINVAL,
                         "option 'thousands': %s is also the separator%s",
                         show_char(ths, b), detected ? " (detected)" : "");
    return CS_OK;
}

static int load_options(cs_engine *eng, const cs_csv_options *opt,
                        ropts *o)
{
    cs_csv_options def;
    char b[8];
    size_t i;
    int rc;

    if (!opt) {
        cs_csv_options_init(&def);
        opt = &def;
    }
    memset(o, 0, sizeof *o);
    o->sep = opt->sep;
    o->decimal = opt->decimal ? opt->decimal : '.';
    o->thousands = opt->thousands;
    o->header = opt->header != 0;
    o->date_format = opt->date_format;
    o->encoding = opt->encoding;
    if (o->sep && !is_sep(o->sep))
        return cs__error(eng, CS_EINVAL,
                         "option 'sep': must be ',', ';', '\\t' or '|' "
                         "(or left out to detect it), not %s",
                         show_char(o->sep, b));
    if (o->decimal != '.' && o->decimal != ',')
        return cs__error(eng, CS_EINVAL,
                         "option 'decimal': must be '.' or ',', not %s",
                         show_char(o->decimal, b));
    rc = check_thousands(eng, o->thousands, o->decimal, o->sep, 0);
    if (rc) return rc;
    if (opt->na) {
        o->na = opt->na;
        o->nna = opt->nna;
        for (i = 0; i < o->nna; i++)
            if (!o->na[i])
                return cs__error(eng, CS_EINVAL,
                                 "option 'na': entry %zu is NULL", i + 1);
    } else {
        o->na = default_na;
        o->nna = 1;
    }
    if (!o->encoding || name_is(o->encoding, "utf-8") ||
        name_is(o->encoding, "utf8")) {
        o->iconv_name = NULL;
    } else if (name_is(o->encoding, "cp1258") ||
               name_is(o->encoding, "windows-1258")) {
        o->iconv_name = "CP1258";
    } else if (name_is(o->encoding, "tcvn3") ||
               name_is(o->encoding, "tcvn") ||
               name_is(o->encoding, "tcvn5712-1")) {
        o->iconv_name = "TCVN5712-1";
    } else if (name_is(o->encoding, "utf-16") ||
               name_is(o->encoding, "utf16")) {
        o->iconv_name = "UTF-16"; /* its byte order mark, else big-endian */
    } else if (name_is(o->encoding, "utf-16le")) {
        o->iconv_name = "UTF-16LE";
    } else if (name_is(o->encoding, "utf-16be")) {
        o->iconv_name = "UTF-16BE";
    } else {
        return cs__error(eng, CS_EINVAL,
                         "option 'encoding': unknown encoding '%s' "
                         "(use utf-8, cp1258, tcvn3 or utf-16)", o->encoding);
    }
    if (opt->nschema && (!opt->schema_names || !opt->schema_types))
        return cs__error(eng, CS_EINVAL,
                         "option 'schema_names': %zu entries but no %s",
                         opt->nschema,
                         opt->schema_names ? "types" : "names");
    for (i = 0; i < opt->nschema; i++) {
        const char *nm = opt->schema_names[i];
        if (!nm)
            return cs__error(eng, CS_EINVAL,
                             "option 'schema_names': entry %zu is NULL",
                             i + 1);
        if (!cs_type_name(opt->schema_types[i]))
            return cs__error(eng, CS_EINVAL,
                             "option 'schema_types': invalid type %d for "
                             "column '%s'", (int)opt->schema_types[i], nm);
    }
    o->schema_names = opt->schema_names;
    o->schema_types = opt->schema_types;
    o->nschema = opt->nschema;
    return CS_OK;
}

/* ------------------------------------------------------------------ */
/* Tokeniser                                                          */
/* ------------------------------------------------------------------ */

typedef struct field {
    const char *s;      /* the value: in the input, or the scratch buffer */
    size_t len;
    const char *at;     /* first raw byte (the opening quote if quoted) */
    int quoted;
    int escaped;        /* S is in the scratch buffer */
    int hi;             /* may hold bytes >= 0x80: UTF-8 needs checking */
} field;

typedef struct reader {
    cs_engine *eng;
    const char *name;
    const char *start;     /* line 1, column 1 (after any BOM) */
    const char *p, *end;   /* the cursor and the end of the data */
    char sep, decimal, thousands;
    const char *date_format;
    const char *const *na;
    size_t nna, namax;
    size_t *nalen;
    unsigned char nafirst[256];
    unsigned char stop[256]; /* bytes that end an unquoted field */
    uint64_t sepmask;        /* the separator in every byte */
    cs_buf scratch;          /* unescaped quoted fields */
    const char *released;    /* mapped input: pages before this are given
                                back (NULL: the input is not mapped) */
} reader;

static int is_na(const reader *r, const char *s, size_t len)
{
    size_t i;
    if (len == 0) return 1;
    if (len > r->namax || !r->nafirst[(unsigned char)*s]) return 0;
    for (i = 0; i < r->nna; i++)
        if (r->nalen[i] == len && memcmp(r->na[i], s, len) == 0) return 1;
    return 0;
}

static int is_null(const reader *r, const field *f)
{
    return !f->quoted && is_na(r, f->s, f->len);
}

/* Sets the message "NAME:LINE:COL: ..." for a field starting at AT.  The
** tokeniser does not track lines, so they are counted here, once. */
static int error_at(const reader *r, int rc, const char *at,
                    const char *fmt, ...) CS_PRINTF(4, 5);
static int error_at(const reader *r, int rc, const char *at,
                    const char *fmt, ...)
{
    const char *p = r->start, *ls = r->start, *nl;
    size_t line = 1;
    char msg[400];
    va_list ap;
    while (p < at && (nl = memchr(p, '\n', (size_t)(at - p))) != NULL) {
        line++;
        p = ls = nl + 1;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return cs__error(r->eng, rc, "%s:%zu:%zu: %s", r->name, line,
                     (size_t)(at - ls) + 1, msg);
}

static int quoted_field(reader *r, field *f, int *eor)
{
    const char *p = r->p + 1, *end = r->end, *seg = p, *q;
    int esc = 0, rc;

    for (;;) {
        q = memchr(p, '"', (size_t)(end - p));
        if (!q) {
            /* The code written out: the analyzer does not follow the
            ** variadic error_at, and would go on with F half filled. */
            (void)error_at(r, CS_EPARSE, f->at,
                           "unterminated quoted field (opened here)");
            return CS_EPARSE;
        }
        if (q + 1 < end && q[1] == '"') {
            if (!esc) r->scratch.len = 0;
            esc = 1;
            rc = cs__buf_add(&r->scratch, seg, (size_t)(q + 1 - seg));
            if (rc) return rc;
            p = seg = q + 2;
            continue;
        }
        break;
    }
    if (esc) {
        rc = cs__buf_add(&r->scratch, seg, (size_t)(q - seg));
        if (rc) return rc;
        f->s = r->scratch.p;
        f->len = r->scratch.len;
    } else {
        f->s = seg;
        f->len = (size_t)(q - seg);
    }
    f->quoted = 1;
    f->escaped = esc;
    f->hi = 1;
    p = q + 1;
    if (p == end) {
        *eor = 1;
    } else if (*p == r->sep) {
        p++;
        *eor = 0;
    } else if (*p == '\n') {
        p++;
        *eor = 1;
    } else if (*p == '\r' && (p + 1 == end || p[1] == '\n')) {
        p += p + 1 == end ? 1 : 2;
        *eor = 1;
    } else {
        char b[8];
        return error_at(r, CS_EPARSE, f->at,
                        "unexpected %s after the closing quote of a quoted "
                        "field", show_char(*p, b));
    }
    r->p = p;
    return CS_OK;
}

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/* Nonzero when some byte of W equals the byte repeated in PAT. */
static uint64_t has_byte(uint64_t w, uint64_t pat)
{
    uint64_t x = w ^ pat;
    return (x - ONES) & ~x & HIGHS;
}

/* Reads the field at the cursor into *F; *EOR is set when it ends the row
** (at a line end or the end of the data).  Unquoted fields, the common
** case, are scanned eight bytes at a time for the separator, CR and LF,
** noting on the way whether any byte is beyond ASCII. */
static int next_field(reader *r, field *f, int *eor)
{
    const char *p = r->p, *end = r->end;
    const unsigned char *stop = r->stop;
    uint64_t hi = 0;

    f->at = p;
    if (p < end && *p == '"') return quoted_field(r, f, eor);
    f->s = p;
    f->quoted = 0;
    f->escaped = 0;
    for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* The lowest flagged byte is exact (only bytes after a match can
        ** be flagged wrongly), and on a little-endian machine it is the
        ** first match in memory. */
        while (end - p >= 8) {
            uint64_t w, m;
            unsigned k;
            memcpy(&w, p, 8);
            m = has_byte(w, r->sepmask) | has_byte(w, 0x0A * ONES) |
                has_byte(w, 0x0D * ONES);
            if (!m) {
                hi |= w;
                p += 8;
                continue;
            }
            k = (unsigned)__builtin_ctzll(m) >> 3;
            if (k) hi |= w & ((((uint64_t)1) << (k * 8)) - 1);
            p += k;
            break;
        }
#endif
        while (p < end && !stop[(unsigned char)*p]) hi |= (unsigned char)*p++;
        if (p == end) {
            f->len = (size_t)(p - f->s);
            *eor = 1;
            break;
        }
        if (*p == r->sep) {
            f->len = (size_t)(p - f->s);
            p++;
            *eor = 0;
            break;
        }
        if (*p == '\n') {
            f->len = (size_t)(p - f->s);
            p++;
            *eor = 1;
            break;
        }
        /* A CR: a line end before LF or the end, else data. */
        if (p + 1 == end || p[1] == '\n') {
            f->len = (size_t)(p - f->s);
            p += p + 1 == end ? 1 : 2;
            *eor = 1;
            break;
        }
        p++;
    }
    f->hi = (hi & HIGHS) != 0;
    r->p = p;
    return CS_OK;
}

static int check_utf8(const reader *r, const field *f, size_t fieldno,
                      const char *colname)
{
    size_t bad;
    if (!f->hi || cs_utf8_valid(f->s, f->len, &bad)) return CS_OK;
    if (colname)
        return error_at(r, CS_EENCODING, f->at,
                        "invalid UTF-8 (byte 0x%02X at byte %zu of field "
                        "%zu, column '%s')",
                        (unsigned)(unsigned char)f->s[bad], bad + 1,
                        fieldno, colname);
    return error_at(r, CS_EENCODING, f->at,
                    "invalid UTF-8 (byte 0x%02X at byte %zu of field %zu)",
                    (unsigned)(unsigned char)f->s[bad], bad + 1, fieldno);
}

/* Picks the separator with the most occurrences outside quotes in the
** first record; ties go to the earlier of , ; \t |. */
static char detect_sep(const char *p, const char *end)
{
    static const char cand[4] = {',', ';', '\t', '|'};
    size_t count[4] = {0, 0, 0, 0}, best = 0;
    int inq = 0, i;
    for (; p < end; p++) {
        char c = *p;
        if (c == '"') {
            inq = !inq;
        } else if (!inq) {
            if (c == '\n') break;
            for (i = 0; i < 4; i++)
                if (c == cand[i]) count[i]++;
        }
    }
    for (i = 1; i < 4; i++)
        if (count[i] > count[best]) best = (size_t)i;
    return cand[best];
}

/* The trailing run of CR and LF bytes: its start, and how many line ends
** it holds (CRLF counting once). */
static const char *trailing_blank(const char *start, const char *end,
                                  size_t *nends)
{
    const char *q = end, *p;
    size_t n = 0;
    while (q > start && (q[-1] == '\n' || q[-1] == '\r')) q--;
    for (p = q; p < end; p++)
        if (*p == '\n' || (*p == '\r' && (p + 1 == end || p[1] != '\n')))
            n++;
    *nends = n;
    return q;
}

/* The position after the first K line ends from P. */
static const char *skip_ends(const char *p, const char *end, size_t k)
{
    while (k > 0 && p < end) {
        if (*p == '\r' && p + 1 < end && p[1] == '\n') p++;
        p++;
        k--;
    }
    return p;
}

/* ------------------------------------------------------------------ */
/* The reader proper                                                  */
/* ------------------------------------------------------------------ */

enum {
    CAN_INT = 1,
    CAN_FLOAT = 2,
    CAN_BOOL = 4,
    CAN_DATE = 8,
    SEEN = 16
};

/* String columns remember the last few raw values they saw, keyed by a
** cheap hash, with their dictionary codes: a repeated value, the rule in
** categorical columns, then skips NFC and interning. */
typedef struct scache {
    const char *p;      /* in the input, which outlives pass 2 */
    size_t len;
    uint32_t code;
} scache;

#define SCACHE 64

static size_t scache_slot(const char *s, size_t len)
{
    uint32_t h = (uint32_t)len * 0x9E3779B1u;
    h ^= (uint32_t)(unsigned char)s[0] * 0x85EBCA6Bu;
    h ^= (uint32_t)(unsigned char)s[len / 2] * 0xC2B2AE35u;
    h ^= (uint32_t)(unsigned char)s[len - 1] * 0x27D4EB2Fu;
    return (size_t)(h >> 26) & (SCACHE - 1);
}

/* Pass 1 stores each value as it goes, in the type the column's values
** so far allow (SPEC); when a later value rules that type out, the
** stored values are converted (int64 to float64, which is exact to the
** same rounding as reading the text as a float) or, for any other
** change, dropped and the column is read again in pass 2 (RESCAN). */
typedef struct colinfo {
    size_t name;        /* offset of the NUL-terminated name in names */
    cs_type want;       /* from the schema, or 0 */
    cs_type type;       /* the final type */
    cs_type spec;       /* the type being stored in pass 1, 0 before */
    int rescan;         /* pass 2 must read this column */
    unsigned flags;
    cs_column *col;
    scache *cache;      /* string columns: SCACHE entries */
} colinfo;

typedef struct job {
    reader r;
    const ropts *o;
    colinfo *cols;
    size_t ncols, capcols;
    cs_buf names;
    cs_buf tmp;
    uint32_t *tab;      /* name hash table: index+1, 0 empty */
    size_t ntab;
    size_t nrows;       /* rows read so far, then in all */
    size_t nrescan;     /* columns pass 2 must read */
} job;

static const char *colname(const job *j, size_t i)
{
    return j->names.p + j->cols[i].name;
}

static int add_col(job *j, const char *name, size_t len)
{
    colinfo *c;
    int rc;
    if (j->ncols == j->capcols) {
        size_t ncap = j->capcols ? j->capcols * 2 : 16, bytes, obytes;
        colinfo *nc;
        if (!cs__mul_ok(ncap, sizeof *nc, &bytes)) return cs__oom(j->r.eng);
        obytes = j->capcols * sizeof *nc;
        nc = cs__realloc(j->r.eng, j->cols, obytes, bytes);
        if (!nc) return cs__oom(j->r.eng);
        j->cols = nc;
        j->capcols = ncap;
    }
    c = &j->cols[j->ncols];
    memset(c, 0, sizeof *c);
    c->name = j->names.len;
    rc = cs__buf_add(&j->names, name, len);
    if (rc) return rc;
    rc = cs__buf_addc(&j->names, '\0');
    if (rc) return rc;
    j->ncols++;
    return CS_OK;
}

static int ends_with_code(const char *s)
{
    size_t n = strlen(s);
    return n >= 5 && ascii_ieq(s + n - 5, 5, "_code");
}

/* The slot of name S[0..LEN) in the hash table: its own or an empty one. */
static uint32_t *tab_slot(const job *j, const char *s, size_t len)
{
    size_t mask = j->ntab - 1, i = (size_t)cs__hash(s, len) & mask;
    for (;; i = (i + 1) & mask) {
        uint32_t v = j->tab[i];
        const char *nm;
        if (!v) return &j->tab[i];
        nm = colname(j, v - 1);
        if (strlen(nm) == len && memcmp(nm, s, len) == 0) return &j->tab[i];
    }
}

/* Keeps the table at most half full with room for one more name. */
static int tab_reserve(job *j)
{
    cs_engine *eng = j->r.eng;
    uint32_t *old = j->tab;
    size_t oldn = j->ntab, n = oldn ? oldn : 16, bytes, i;
    while (n / 2 < j->ncols + 1) {
        if (n > SIZE_MAX / 4) return cs__oom(eng);
        n *= 2;
    }
    if (n == oldn) return CS_OK;
    if (!cs__mul_ok(n, sizeof *old, &bytes)) return cs__oom(eng);
    j->tab = cs__alloc(eng, bytes);
    if (!j->tab) {
        j->tab = old;
        return cs__oom(eng);
    }
    memset(j->tab, 0, bytes);
    j->ntab = n;
    for (i = 0; i < j->ncols; i++) {
        const char *nm = colname(j, i);
        *tab_slot(j, nm, strlen(nm)) = (uint32_t)(i + 1);
    }
    cs__free(eng, old, oldn * sizeof *old);
    return CS_OK;
}

/* Adds column NAME (NFC already); F locates it for a duplicate. */
static int add_name(job *j, const char *name, size_t len, const field *f)
{
    uint32_t *slot;
    int rc;
    if (j->ncols >= UINT32_MAX - 1)
        return error_at(&j->r, CS_EPARSE, f->at, "too many columns");
    rc = tab_reserve(j);
    if (rc) return rc;
    slot = tab_slot(j, name, len);
    if (*slot) {
        char b[64];
        return error_at(&j->r, CS_EPARSE, f->at, "duplicate column name '%s'",
                         show_value(name, len, b));
    }
    rc = add_col(j, name, len);
    if (rc) return rc;
    *slot = (uint32_t)j->ncols;
    return CS_OK;
}

/* Header names: trimmed, checked and normalised. */
static int read_header(job *j)
{
    reader *r = &j->r;
    field f;
    int eor = 0, rc;
    size_t k = 0;

    while (!eor) {
        const char *s;
        size_t len;
        rc = next_field(r, &f, &eor);
        if (rc) return rc;
        k++;
        rc = check_utf8(r, &f, k, NULL);
        if (rc) return rc;
        s = f.s;
        len = f.len;
        while (len && *s == ' ') {
            s++;
            len--;
        }
        while (len && s[len - 1] == ' ') len--;
        if (len == 0) { /* a column Excel left unnamed: its V name */
            char vname[32];
            snprintf(vname, sizeof vname, "V%zu", k);
            rc = add_name(j, vname, strlen(vname), &f);
            if (rc) return rc;
            continue;
        }
        if (memchr(s, '\0', len))
            return error_at(r, CS_EPARSE, f.at,
                             "the name of column %zu holds a NUL byte", k);
        rc = cs__nfc(r->eng, s, len, &j->tmp);
        if (rc) return rc;
        rc = add_name(j, j->tmp.p, j->tmp.len, &f);
        if (rc) return rc;
    }
    return CS_OK;
}

/* Without a header the first row only counts the columns: V1, V2, ... */
static int default_names(job *j)
{
    reader *r = &j->r;
    const char *p = r->p;
    size_t n = 0, k;
    field f;
    int eor = 0, rc;
    char nm[32];

    while (!eor) {
        rc = next_field(r, &f, &eor);
        if (rc) return rc;
        n++;
    }
    r->p = p;
    for (k = 1; k <= n; k++) {
        int len = snprintf(nm, sizeof nm, "V%zu", k);
        rc = add_name(j, nm, (size_t)len, &f);
        if (rc) return rc;
    }
    return CS_OK;
}

static int apply_schema(job *j)
{
    const ropts *o = j->o;
    cs_engine *eng = j->r.eng;
    size_t i, bad;
    char b[64];
    int rc;

    for (i = 0; i < o->nschema; i++) {
        const char *nm = o->schema_names[i];
        size_t len = strlen(nm);
        uint32_t *slot;
        colinfo *c;
        if (!cs_utf8_valid(nm, len, &bad))
            return cs__error(eng, CS_EINVAL,
                             "option 'schema': '%s' is not valid "
                             "UTF-8", show_value(nm, bad, b));
        rc = cs__nfc(eng, nm, len, &j->tmp);
        if (rc) return rc;
        slot = tab_slot(j, j->tmp.p, j->tmp.len);
        if (!*slot)
            return cs__error(eng, CS_EINVAL,
                             "option 'schema': %s has no column '%s'",
                             j->r.name, show_value(nm, len, b));
        c = &j->cols[*slot - 1];
        if (c->want)
            return cs__error(eng, CS_EINVAL,
                             "option 'schema': column '%s' is given "
                             "twice", show_value(nm, len, b));
        c->want = o->schema_types[i];
    }
    for (i = 0; i < j->ncols; i++) {
        colinfo *c = &j->cols[i];
        if (!c->want && !ends_with_code(colname(j, i)))
            c->flags = CAN_INT | CAN_FLOAT | CAN_BOOL | CAN_DATE;
    }
    return CS_OK;
}

static int type_error(const job *j, const field *f, size_t ci, cs_type t,
                      const char *extra)
{
    char b[64];
    return error_at(&j->r, CS_ETYPE, f->at,
                     "value '%s' is not a valid %s for column '%s'%s",
                     show_value(f->s, f->len, b), cs_type_name(t),
                     colname(j, ci), extra);
}

/* A value as pass 1 parsed it, for storing without parsing again. */
typedef struct parsed {
    int num;            /* NUM_* */
    int64_t iv;
    double dv;
    int b;
    int32_t d;
} parsed;

/* The type a column's flags allow, in the order of preference. */
static cs_type best_type(unsigned fl)
{
    if (fl & CAN_BOOL) return CS_TYPE_BOOL;
    if (fl & CAN_DATE) return CS_TYPE_DATE;
    if (fl & CAN_INT) return CS_TYPE_I64;
    if (fl & CAN_FLOAT) return CS_TYPE_F64;
    return CS_TYPE_STR;
}

/* Appends the string F to the string column of C, through C's cache of
** recent raw values. */
static int store_str(cs_engine *eng, colinfo *c, const field *f)
{
    cs_column *col = c->col;
    scache *e;
    int rc;
    if (!f->len || f->escaped) return cs_column_push_str(col, f->s, f->len);
    if (!c->cache) {
        c->cache = cs__alloc(eng, SCACHE * sizeof *c->cache);
        if (!c->cache) return cs__oom(eng);
        memset(c->cache, 0, SCACHE * sizeof *c->cache);
    }
    e = &c->cache[scache_slot(f->s, f->len)];
    if (e->len == f->len && memcmp(e->p, f->s, f->len) == 0) {
        if (col->len < col->cap) {
            CS__PUT(col, uint32_t, e->code);
            return CS_OK;
        }
        return cs__column_push_code(col, e->code);
    }
    rc = cs_column_push_str(col, f->s, f->len);
    if (rc) return rc;
    e->p = f->s;
    e->len = f->len;
    e->code = ((const uint32_t *)col->data)[col->len - 1];
    return CS_OK;
}

#define STORE(col, ctype, v, push)                                       \
    do {                                                                 \
        if ((col)->len < (col)->cap) {                                   \
            CS__PUT(col, ctype, v);                                      \
            return CS_OK;                                                \
        }                                                                \
        return push(col, v);                                             \
    } while (0)

/* Appends F, parsed as P, to C's column as a value of type T. */
static int store(cs_engine *eng, colinfo *c, cs_type t, const field *f,
                 const parsed *p)
{
    cs_column *col = c->col;
    switch (t) {
    case CS_TYPE_I64: STORE(col, int64_t, p->iv, cs_column_push_i64);
    case CS_TYPE_F64:
        STORE(col, double, p->num == NUM_INT ? (double)p->iv : p->dv,
              cs_column_push_f64);
    case CS_TYPE_BOOL: STORE(col, uint8_t, (uint8_t)p->b, cs_column_push_bool);
    case CS_TYPE_DATE: STORE(col, int32_t, p->d, cs_column_push_date);
    case CS_TYPE_STR: return store_str(eng, c, f);
    }
    return CS_OK;
}

/* Turns C's stored int64 values into float64 ones, in place. */
static void widen_to_float(colinfo *c)
{
    cs_column *col = c->col;
    int64_t *iv = col->data;
    double *dv = col->data;
    size_t i;
    for (i = 0; i < col->len; i++) dv[i] = (double)iv[i];
    col->type = CS_TYPE_F64;
    c->spec = CS_TYPE_F64;
}

/* Starts storing C as type T: LEAD nulls come before the first value. */
static int start_column(job *j, colinfo *c, cs_type t, size_t lead)
{
    size_t i;
    int rc = cs_column_new(j->r.eng, t, &c->col);
    if (rc) return rc;
    c->spec = t;
    for (i = 0; i < lead; i++) {
        rc = cs_column_push_null(c->col);
        if (rc) return rc;
    }
    return CS_OK;
}

/* A value typed by hand with spaces around it (" 12 "): when F is
** unquoted and has them, 1 with *S, *LEN its text without them.  Numbers,
** bools and dates are read again from that text when F itself is not
** one (so the common case costs nothing); a quoted field is read as it
** is (the writer quotes text with such spaces, which must read back as
** text), and text values keep their spaces. */
static int trimmed(const field *f, const char **s, size_t *len)
{
    const char *b = f->s, *e = f->s + f->len;
    if (f->quoted || f->len == 0 || (*b != ' ' && e[-1] != ' ')) return 0;
    while (b < e && *b == ' ') b++;
    while (e > b && e[-1] == ' ') e--;
    *s = b;
    *len = (size_t)(e - b);
    return 1;
}

/* The types of FL that S[0..LEN) can still be, its values in *P. */
static inline unsigned narrow(const reader *r, unsigned fl, const char *s,
                              size_t len, parsed *p)
{
    if (fl & (CAN_INT | CAN_FLOAT)) {
        p->num = parse_number(s, len, r->decimal, r->thousands, &p->iv, &p->dv);
        if (p->num == NUM_FLOAT)
            fl &= ~(unsigned)CAN_INT;
        else if (p->num != NUM_INT)
            fl &= ~(unsigned)(CAN_INT | CAN_FLOAT);
    }
    if ((fl & CAN_BOOL) && !parse_bool(s, len, &p->b))
        fl &= ~(unsigned)CAN_BOOL;
    if ((fl & CAN_DATE) && !parse_date(s, len, r->date_format, &p->d))
        fl &= ~(unsigned)CAN_DATE;
    return fl;
}

/* The same on a value's text without the spaces around it (trimmed):
** rare, so kept out of the reading loop. */
CS_NOINLINE static unsigned narrow_trimmed(const reader *r, unsigned fl,
                                           const char *s, size_t len,
                                           parsed *p)
{
    return narrow(r, fl, s, len, p);
}

/* Parses S[0..LEN) as a value of type T into *P; 0 when it is not one. */
static int parse_text_as(const reader *r, cs_type t, const char *s, size_t len,
                         parsed *p)
{
    p->num = NUM_NONE;
    switch (t) {
    case CS_TYPE_STR:
        return 1;
    case CS_TYPE_I64:
        p->num = parse_number(s, len, r->decimal, r->thousands, &p->iv, &p->dv);
        return p->num == NUM_INT;
    case CS_TYPE_F64:
        p->num = parse_number(s, len, r->decimal, r->thousands, &p->iv, &p->dv);
        return p->num != NUM_NONE || parse_special(s, len, &p->dv);
    case CS_TYPE_BOOL:
        return parse_bool(s, len, &p->b);
    case CS_TYPE_DATE:
        return parse_date(s, len, r->date_format, &p->d);
    }
    return 0;
}

/* The same on F's text without the spaces around it (trimmed): rare, so
** kept out of the reading loop. */
CS_NOINLINE static int parse_trimmed_as(const reader *r, cs_type t,
                                        const field *f, parsed *p)
{
    const char *s;
    size_t len;
    return trimmed(f, &s, &len) && parse_text_as(r, t, s, len, p);
}

/* Parses F as a value of type T into *P; 0 when it is not one. */
static int parse_as(const reader *r, cs_type t, const field *f, parsed *p)
{
    return parse_text_as(r, t, f->s, f->len, p) || parse_trimmed_as(r, t, f, p);
}

/* Pass 2 on one value of a column being read again, which pass 1 has
** checked.  Columns were reserved to the row count. */
static int push_field(const reader *r, colinfo *c, const field *f)
{
    parsed p;
    if (is_null(r, f)) return cs_column_push_null(c->col);
    if (c->col->len >= c->col->cap)
        return error_at(r, CS_EPARSE, f->at, "input changed while being read");
    if (!parse_as(r, c->type, f, &p))
        return error_at(r, CS_EPARSE, f->at, "value changed while being read");
    return store(r->eng, c, c->type, f, &p);
}

/* Pass 1 on one value: checks it, narrows its column's type and stores
** it (see colinfo). */
static int check_field(job *j, size_t ci, const field *f)
{
    const reader *r = &j->r;
    colinfo *c = &j->cols[ci];
    unsigned fl = c->flags;
    cs_type t;
    /* Zeroed: T comes from FL's bits, which the analyzer cannot tie
    ** back to the parse that filled P. */
    parsed p = {.num = NUM_NONE};
    const char *vs = NULL;
    size_t vlen = 0;
    int rc;

    if (f->hi) {
        rc = check_utf8(r, f, ci + 1, colname(j, ci));
        if (rc) return rc;
    }
    if (is_null(r, f)) {
        if (c->spec) return cs_column_push_null(c->col);
        return CS_OK;
    }
    if (c->want) {
        int ok = parse_as(r, c->want, f, &p);
        if (!ok)
            return type_error(j, f, ci, c->want,
                              c->want == CS_TYPE_I64 && p.num == NUM_BIG
                                  ? " (out of range)"
                                  : "");
        if (!c->spec && (rc = start_column(j, c, c->want, j->nrows)))
            return rc;
        return store(r->eng, c, c->want, f, &p);
    }
    fl = narrow(r, fl, f->s, f->len, &p);
    if (fl != c->flags && trimmed(f, &vs, &vlen))
        fl = narrow_trimmed(r, c->flags, vs, vlen, &p);
    c->flags = fl | SEEN;
    if (c->rescan) return CS_OK;
    t = best_type(fl);
    if (!c->spec) {
        rc = start_column(j, c, t, j->nrows);
        if (rc) return rc;
    } else if (t != c->spec) {
        if (c->spec == CS_TYPE_I64 && t == CS_TYPE_F64) {
            widen_to_float(c);
        } else {
            /* The stored values cannot become T: read the column again. */
            cs_column_release(c->col);
            c->col = NULL;
            c->spec = 0;
            c->rescan = 1;
            j->nrescan++;
            return CS_OK;
        }
    }
    return store(r->eng, c, t, f, &p);
}

/* A mapped file's pages stay resident once read, doubling the memory a
** large read holds; pass 1 gives back what it has read, in steps of
** RELEASE_STEP bytes.  Pages read again later (pass 2, messages) are
** faulted back in from the page cache. */
#define RELEASE_STEP ((size_t)64 << 20)

static void release_read(reader *r)
{
    size_t page, n;
    if (!r->released || (size_t)(r->p - r->released) < RELEASE_STEP) return;
    page = (size_t)sysconf(_SC_PAGESIZE);
    n = (size_t)(r->p - r->released) / page * page;
    madvise((void *)r->released, n, MADV_DONTNEED);
    r->released += n;
}

static int pass1(job *j)
{
    reader *r = &j->r;
    size_t tick = 0;
    field f;
    int rc;

    while (r->p < r->end) {
        const char *row = r->p;
        size_t k = 0;
        int eor = 0;
        while (!eor) {
            rc = next_field(r, &f, &eor);
            if (rc) return rc;
            if (k < j->ncols) {
                rc = check_field(j, k, &f);
                if (rc) return rc;
            }
            k++;
        }
        if (k != j->ncols)
            return error_at(r, CS_EPARSE, row,
                             "row has %zu field%s, %s has %zu", k,
                             k == 1 ? "" : "s",
                             j->o->header ? "header" : "first row",
                             j->ncols);
        j->nrows++;
        if (++tick == CS_INTERRUPT_STRIDE) {
            tick = 0;
            rc = cs__check_interrupt(r->eng);
            if (rc) return rc;
            release_read(r);
            cs__progress(r->eng, "read", (uint64_t)(r->p - r->start),
                         (uint64_t)(r->end - r->start));
        }
    }
    return CS_OK;
}

static int pass2(job *j)
{
    reader *r = &j->r;
    size_t tick = 0;
    field f;
    int rc;

    while (r->p < r->end) {
        size_t k = 0;
        int eor = 0;
        while (!eor) {
            rc = next_field(r, &f, &eor);
            if (rc) return rc;
            if (k >= j->ncols)
                return error_at(r, CS_EPARSE, f.at, "input changed while "
                                 "being read");
            if (j->cols[k].rescan) {
                rc = push_field(r, &j->cols[k], &f);
                if (rc) return rc;
            }
            k++;
        }
        if (k != j->ncols)
            return error_at(r, CS_EPARSE, f.at, "input changed while being "
                             "read");
        if (++tick == CS_INTERRUPT_STRIDE) {
            tick = 0;
            rc = cs__check_interrupt(r->eng);
            if (rc) return rc;
            cs__progress(r->eng, "reread", (uint64_t)(r->p - r->start),
                         (uint64_t)(r->end - r->start));
        }
    }
    return CS_OK;
}

static cs_type final_type(const colinfo *c)
{
    if (c->want) return c->want;
    if (!(c->flags & SEEN)) return CS_TYPE_STR;
    if (c->flags & CAN_BOOL) return CS_TYPE_BOOL;
    if (c->flags & CAN_DATE) return CS_TYPE_DATE;
    if (c->flags & CAN_INT) return CS_TYPE_I64;
    if (c->flags & CAN_FLOAT) return CS_TYPE_F64;
    return CS_TYPE_STR;
}

/* Converts IN[0..LEN) from O's encoding into OUT (UTF-8). */
static int convert(cs_engine *eng, const char *name, const ropts *o,
                   const char *in, size_t len, cs_buf *out)
{
    iconv_t cd = iconv_open("UTF-8", o->iconv_name);
    char *ip = (char *)in; /* iconv's API is not const-correct */
    size_t il = len;
    int rc = CS_OK, flushing = 0;

    /* NOLINTNEXTLINE(performance-no-int-to-ptr): iconv's error value. */
    if (cd == (iconv_t)-1)
        return cs__error(eng, CS_EINVAL,
                         "option 'encoding': '%s' is not available from "
                         "this system's iconv", o->encoding);
    for (;;) {
        size_t want = il + il / 2 + 64, ol = want, res;
        char *op;
        int e;
        rc = cs__buf_reserve(out, want);
        if (rc) break;
        op = out->p + out->len;
        if (!flushing)
            res = iconv(cd, &ip, &il, &op, &ol);
        else
            res = iconv(cd, NULL, NULL, &op, &ol);
        e = errno;
        out->len = (size_t)(op - out->p);
        if (res != (size_t)-1) {
            if (flushing) break;
            flushing = 1;
            continue;
        }
        if (e == E2BIG) continue;
        {
            size_t off = (size_t)(ip - in), line = 1, col, i, ls = 0;
            for (i = 0; i < off; i++)
                if (in[i] == '\n') {
                    line++;
                    ls = i + 1;
                }
            col = off - ls + 1;
            if (e == EILSEQ && off < len)
                rc = cs__error(eng, CS_EENCODING,
                               "%s:%zu:%zu: byte 0x%02X is not valid %s",
                               name, line, col,
                               (unsigned)(unsigned char)in[off], o->encoding);
            else
                rc = cs__error(eng, CS_EENCODING,
                               "%s:%zu:%zu: incomplete %s character at the "
                               "end of the input", name, line, col,
                               o->encoding);
        }
        break;
    }
    iconv_close(cd);
    return rc;
}

static int setup_na(reader *r, const ropts *o)
{
    size_t i;
    r->na = o->na;
    r->nna = o->nna;
    if (!r->nna) return CS_OK;
    r->nalen = cs__alloc(r->eng, r->nna * sizeof *r->nalen);
    if (!r->nalen) return cs__oom(r->eng);
    for (i = 0; i < r->nna; i++) {
        size_t n = strlen(r->na[i]);
        r->nalen[i] = n;
        if (n > r->namax) r->namax = n;
        if (n) r->nafirst[(unsigned char)r->na[i][0]] = 1;
    }
    return CS_OK;
}

/* 1 when the first bytes of BUF have zeros in at least half of the odd
** places and in no even one, or the other way round (UTF-16 text, whose
** characters are mostly ASCII, Vietnamese letters included). */
static int looks_utf16(const char *buf, size_t len)
{
    size_t n = len < 64 ? len : 64, i, zeros[2] = {0, 0};
    if (n < 4) return 0;
    n &= ~(size_t)1;
    for (i = 0; i < n; i++) zeros[i & 1] += buf[i] == '\0';
    return (zeros[0] * 2 >= n / 2 && zeros[1] == 0) ||
           (zeros[1] * 2 >= n / 2 && zeros[0] == 0);
}

static int parse_text(cs_engine *eng, const char *buf, size_t len,
                      int mapped, const char *name, const ropts *o,
                      cs_dataset **out)
{
    job j;
    reader *r = &j.r;
    ropts utf16;
    cs_buf conv;
    cs_dataset *ds = NULL;
    const char *start, *end, *tail, *data;
    size_t nends, nkeep, i;
    int rc;

    *out = NULL;
    memset(&j, 0, sizeof j);
    j.o = o;
    r->eng = eng;
    r->name = name;
    cs__buf_init(&conv, eng);
    cs__buf_init(&j.names, eng);
    cs__buf_init(&j.tmp, eng);
    cs__buf_init(&r->scratch, eng);

    /* Excel's "Unicode text" is UTF-16 with a byte order mark: read as
    ** such when no encoding is given. */
    if (!o->encoding && len >= 2 &&
        (memcmp(buf, "\xFF\xFE", 2) == 0 || memcmp(buf, "\xFE\xFF", 2) == 0)) {
        utf16 = *o;
        utf16.encoding = "utf-16";
        utf16.iconv_name = "UTF-16";
        o = j.o = &utf16;
    }
    if (!o->encoding && looks_utf16(buf, len)) {
        rc = cs__error(eng, CS_EENCODING,
                       "%s: the file looks like UTF-16 without a byte order "
                       "mark (zero bytes in every other place): give the "
                       "encoding, "
                       "utf-16le or utf-16be", name);
        goto done;
    }
    if (o->iconv_name && len) {
        rc = convert(eng, name, o, buf, len, &conv);
        if (rc) goto done;
        buf = conv.p;
        len = conv.len;
    }
    start = buf;
    end = buf + len;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) start += 3;
    tail = trailing_blank(start, end, &nends);
    if (tail == start) {
        rc = cs_dataset_new(eng, &ds);
        goto done;
    }

    r->sep = o->sep ? o->sep : detect_sep(start, tail);
    rc = check_thousands(eng, o->thousands, o->decimal, r->sep, !o->sep);
    if (rc) goto done;
    r->decimal = o->decimal;
    r->thousands = o->thousands;
    r->date_format = o->date_format;
    rc = setup_na(r, o);
    if (rc) goto done;
    r->stop[(unsigned char)r->sep] = 1;
    r->stop['\n'] = 1;
    r->stop['\r'] = 1;
    r->sepmask = (uint64_t)(unsigned char)r->sep * ONES;
    r->p = start;
    r->end = end;
    r->start = start;
    r->released = mapped && !o->iconv_name ? buf : NULL;

    rc = o->header ? read_header(&j) : default_names(&j);
    if (rc) goto done;
    rc = apply_schema(&j);
    if (rc) goto done;

    /* A blank line is a null in a one-column file, so only the last
    ** trailing one is dropped there; see the top of the file. */
    if (j.ncols == 1)
        nkeep = nends > 1 ? nends - 1 : nends;
    else
        nkeep = nends ? 1 : 0;
    r->end = skip_ends(tail, end, nkeep);
    if (r->p > r->end) r->p = r->end;
    data = r->p;

    rc = pass1(&j);
    if (rc) goto done;
    for (i = 0; i < j.ncols; i++) {
        colinfo *c = &j.cols[i];
        c->type = final_type(c);
        if (c->spec) continue;      /* stored by pass 1 */
        rc = cs_column_new(eng, c->type, &c->col);
        if (!rc) rc = cs_column_reserve(c->col, j.nrows);
        if (rc) goto done;
        if (!c->rescan) {           /* every value was null */
            size_t k;
            for (k = 0; k < j.nrows && !rc; k++)
                rc = cs_column_push_null(c->col);
            if (rc) goto done;
        }
    }
    if (j.nrescan) {
        r->p = data;
        rc = pass2(&j);
        if (rc) goto done;
    }

    rc = cs_dataset_new(eng, &ds);
    if (rc) goto done;
    for (i = 0; i < j.ncols; i++) {
        rc = cs_dataset_add(ds, colname(&j, i), j.cols[i].col);
        if (rc) goto done;
    }

done:
    for (i = 0; i < j.ncols; i++) {
        cs_column_release(j.cols[i].col);
        cs__free(eng, j.cols[i].cache, SCACHE * sizeof *j.cols[i].cache);
    }
    cs__free(eng, j.cols, j.capcols * sizeof *j.cols);
    cs__free(eng, j.tab, j.ntab * sizeof *j.tab);
    cs__free(eng, r->nalen, r->nna * sizeof *r->nalen);
    cs__buf_free(&r->scratch);
    cs__buf_free(&j.tmp);
    cs__buf_free(&j.names);
    cs__buf_free(&conv);
    if (rc) {
        cs_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return CS_OK;
}

int cs_csv_read_buffer(cs_engine *eng, const char *buf, size_t len,
                       const char *name, const cs_csv_options *opt,
                       cs_dataset **out)
{
    ropts o;
    int rc;
    *out = NULL;
    rc = load_options(eng, opt, &o);
    if (rc) return rc;
    if (!buf && len) return cs__error(eng, CS_EINVAL, "no buffer to read");
    return parse_text(eng, buf ? buf : "", len, 0, name ? name : "<buffer>",
                      &o, out);
}

/* Reads FD to its end into B, for pipes and other unmappable files. */
static int slurp(cs_engine *eng, int fd, const char *path, cs_buf *b)
{
    char eb[128];
    for (;;) {
        ssize_t n;
        int rc = cs__buf_reserve(b, 65536);
        if (rc) return rc;
        n = read(fd, b->p + b->len, 65536);
        if (n < 0) {
            int e = errno;
            if (e == EINTR) continue;
            return cs__error(eng, CS_EIO, "%s: cannot read: %s", path,
                             errno_text(e, eb));
        }
        if (n == 0) return CS_OK;
        b->len += (size_t)n;
    }
}

int cs_csv_read(cs_engine *eng, const char *path, const cs_csv_options *opt,
                cs_dataset **out)
{
    ropts o;
    struct stat st;
    char eb[128];
    int fd, rc, e;
    cs_buf b;

    *out = NULL;
    rc = load_options(eng, opt, &o);
    if (rc) return rc;
    if (!path || !*path) return cs__error(eng, CS_EINVAL, "no file name");
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        if (e == ENOENT || e == ENOTDIR)
            return cs__error(eng, CS_ENOTFOUND, "%s: no such file", path);
        return cs__error(eng, CS_EIO, "%s: cannot open: %s", path,
                         errno_text(e, eb));
    }
    if (fstat(fd, &st) != 0) {
        e = errno;
        close(fd);
        return cs__error(eng, CS_EIO, "%s: cannot stat: %s", path,
                         errno_text(e, eb));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return cs__error(eng, CS_EIO, "%s: is a directory", path);
    }
    /* Mapping keeps a file of several gigabytes out of the heap; an
    ** empty or special file (a pipe, /proc) is read instead. */
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        size_t size = (size_t)st.st_size;
        void *map;
        if ((uintmax_t)st.st_size > (uintmax_t)SIZE_MAX) {
            close(fd);
            return cs__error(eng, CS_EIO, "%s: too large to map", path);
        }
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        e = errno;
        close(fd);
        if (map == MAP_FAILED)
            return cs__error(eng, CS_EIO, "%s: cannot map: %s", path,
                             errno_text(e, eb));
        madvise(map, size, MADV_SEQUENTIAL);
        rc = parse_text(eng, map, size, 1, path, &o, out);
        munmap(map, size);
        return rc;
    }
    cs__buf_init(&b, eng);
    rc = slurp(eng, fd, path, &b);
    close(fd);
    if (!rc) rc = parse_text(eng, b.p ? b.p : "", b.len, 0, path, &o, out);
    cs__buf_free(&b);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Writer                                                             */
/* ------------------------------------------------------------------ */

typedef struct writer {
    cs_engine *eng;
    cs_buf b;
    int fd;               /* -1 when writing to memory */
    const char *path;
    cs_csv_write_options o;
    const char *eol;
    size_t neol;
} writer;

static int check_wopts(cs_engine *eng, const cs_csv_write_options *opt,
                       cs_csv_write_options *o)
{
    char b[8];
    if (opt)
        *o = *opt;
    else
        cs_csv_write_options_init(o);
    if (!o->decimal) o->decimal = '.';
    if (!is_sep(o->sep))
        return cs__error(eng, CS_EINVAL,
                         "option 'sep': must be ',', ';', '\\t' or '|', "
                         "not %s", show_char(o->sep, b));
    if (o->decimal != '.' && o->decimal != ',')
        return cs__error(eng, CS_EINVAL,
                         "option 'decimal': must be '.' or ',', not %s",
                         show_char(o->decimal, b));
    return CS_OK;
}

static int w_flush(writer *w)
{
    char eb[128];
    size_t off = 0;
    if (w->fd < 0) return CS_OK;
    while (off < w->b.len) {
        ssize_t n = write(w->fd, w->b.p + off, w->b.len - off);
        if (n < 0) {
            int e = errno;
            if (e == EINTR) continue;
            return cs__error(w->eng, CS_EIO, "%s: cannot write: %s",
                             w->path, errno_text(e, eb));
        }
        off += (size_t)n;
    }
    w->b.len = 0;
    return CS_OK;
}

/* Quoting keeps separators, quotes and line ends inside the field, keeps
** surrounding spaces visible, makes "" an empty string rather than a null
** and "NA" a string rather than the null marker.  Header names are also
** quoted when they hold any separator, so that detection reads them back
** right. */
static int needs_quote(const char *s, size_t len, char sep, int header)
{
    size_t i;
    if (len == 0) return 1;
    if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
        s[len - 1] == '\t')
        return 1;
    if (len == 2 && s[0] == 'N' && s[1] == 'A') return 1;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (c == sep || c == '"' || c == '\n' || c == '\r') return 1;
        if (header && is_sep(c)) return 1;
    }
    return 0;
}

static int w_str(writer *w, const char *s, size_t len, int header)
{
    size_t i, need;
    char *d;
    int rc;
    if (!needs_quote(s, len, w->o.sep, header))
        return cs__buf_add(&w->b, s, len);
    if (!cs__mul_ok(len, 2, &need) || need > SIZE_MAX - 2)
        return cs__oom(w->eng);
    rc = cs__buf_reserve(&w->b, need + 2);
    if (rc) return rc;
    d = w->b.p + w->b.len;
    *d++ = '"';
    for (i = 0; i < len; i++) {
        if (s[i] == '"') *d++ = '"';
        *d++ = s[i];
    }
    *d++ = '"';
    w->b.len = (size_t)(d - w->b.p);
    return CS_OK;
}

static size_t fmt_i64(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0, i = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) buf[i++] = '-';
    while (n) buf[i++] = tmp[--n];
    return i;
}

/* Writes V as M / 10^D with the smallest D for which that quotient is V:
** strtod rounds the same exact decimal to the same double, so the text
** reads back to V.  Returns 0 when no such D <= 17 exists with M < 2^53
** (very large, very small or long values), for the slower path. */
static size_t fmt_f64_fixed(double v, char *buf)
{
    double a = fabs(v);
    char dig[24];
    size_t nd = 0, n = 0, i;
    uint64_t m = 0;
    int d;

    if (!(a >= 1e-17 && a < 1e15)) return 0;
    for (d = 0; d <= 17; d++) {
        double x = a * pow10tab[d];
        if (x >= 9007199254740992.0) return 0;
        m = (uint64_t)(x + 0.5);
        if ((double)m / pow10tab[d] == a) break;
    }
    if (d > 17) return 0;
    do {
        dig[nd++] = (char)('0' + m % 10);
        m /= 10;
    } while (m);
    if (v < 0) buf[n++] = '-';
    if (nd <= (size_t)d) {
        buf[n++] = '0';
        buf[n++] = '.';
        for (i = nd; i < (size_t)d; i++) buf[n++] = '0';
        while (nd) buf[n++] = dig[--nd];
    } else {
        while (nd > (size_t)d) buf[n++] = dig[--nd];
        buf[n++] = '.';
        if (d == 0) buf[n++] = '0';
        while (nd) buf[n++] = dig[--nd];
    }
    buf[n] = '\0';
    return n;
}

/* Floats are written so that they read back to the same double and as
** floats: integral values get ".0".  Most values take the exact decimal
** path above; the rest the shortest of %.15g, %.16g and %.17g. */
static size_t fmt_f64(double v, char dec, char *buf)
{
    int n = 0, prec;
    char *dot;
    if (isnan(v)) {
        memcpy(buf, "NaN", 4);
        return 3;
    }
    if (isinf(v)) {
        memcpy(buf, v < 0 ? "-Inf" : "Inf", v < 0 ? 5 : 4);
        return v < 0 ? 4 : 3;
    }
    if (v == 0) {
        n = signbit(v) ? 4 : 3;
        memcpy(buf, signbit(v) ? "-0.0" : "0.0", (size_t)n + 1);
    } else if ((n = (int)fmt_f64_fixed(v, buf)) == 0) {
        for (prec = 15; prec <= 17; prec++) {
            n = snprintf(buf, 40, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) break;
        }
        if (!strchr(buf, '.') && !strchr(buf, 'e')) {
            buf[n++] = '.';
            buf[n++] = '0';
            buf[n] = '\0';
        }
    }
    if (dec != '.' && (dot = strchr(buf, '.')) != NULL) *dot = dec;
    return (size_t)n;
}

static int w_cell(writer *w, const cs_column *col, size_t row)
{
    char *d;
    size_t n;
    int rc;

    if (cs_column_is_null(col, row)) return CS_OK;
    if (col->type == CS_TYPE_STR) {
        const char *s = cs_column_dict_str(col, cs_column_codes(col)[row],
                                           &n);
        return w_str(w, s, n, 0);
    }
    rc = cs__buf_reserve(&w->b, 48);
    if (rc) return rc;
    d = w->b.p + w->b.len;
    switch (col->type) {
    case CS_TYPE_I64:
        n = fmt_i64(cs_column_i64s(col)[row], d);
        break;
    case CS_TYPE_F64:
        n = fmt_f64(cs_column_f64s(col)[row], w->o.decimal, d + 1);
        if (w->o.decimal == w->o.sep && memchr(d + 1, w->o.sep, n)) {
            d[0] = '"';
            d[n + 1] = '"';
            n += 2;
        } else {
            memmove(d, d + 1, n);
        }
        break;
    case CS_TYPE_BOOL:
        n = cs_column_bools(col)[row] ? 4 : 5;
        memcpy(d, n == 4 ? "true" : "false", n);
        break;
    case CS_TYPE_DATE:
        cs_date_format(cs_column_dates(col)[row], d);
        n = strlen(d);
        break;
    default:
        return cs__error(w->eng, CS_EINVAL, "column of unknown type %d",
                         (int)col->type);
    }
    w->b.len += n;
    return CS_OK;
}

static int w_body(writer *w, const cs_dataset *ds)
{
    size_t nc = cs_dataset_ncols(ds), nr = cs_dataset_nrows(ds), i, k;
    size_t tick = 0;
    int rc;

    if (w->o.bom) {
        rc = cs__buf_add(&w->b, "\xEF\xBB\xBF", 3);
        if (rc) return rc;
    }
    if (nc == 0) return w_flush(w);
    if (w->o.header) {
        for (k = 0; k < nc; k++) {
            const char *nm = cs_dataset_colname(ds, k);
            if (k && (rc = cs__buf_addc(&w->b, w->o.sep)) != CS_OK)
                return rc;
            rc = w_str(w, nm, strlen(nm), 1);
            if (rc) return rc;
        }
        rc = cs__buf_add(&w->b, w->eol, w->neol);
        if (rc) return rc;
    }
    for (i = 0; i < nr; i++) {
        for (k = 0; k < nc; k++) {
            if (k && (rc = cs__buf_addc(&w->b, w->o.sep)) != CS_OK)
                return rc;
            rc = w_cell(w, cs_dataset_column(ds, k), i);
            if (rc) return rc;
        }
        rc = cs__buf_add(&w->b, w->eol, w->neol);
        if (rc) return rc;
        if (w->fd >= 0 && w->b.len >= 65536 && (rc = w_flush(w)) != CS_OK)
            return rc;
        if (++tick == CS_INTERRUPT_STRIDE) {
            tick = 0;
            rc = cs__check_interrupt(w->eng);
            if (rc) return rc;
        }
    }
    /* The reader drops one trailing blank line, which in a one-column
    ** file would swallow a final null; this line end stands for it. */
    if (nc == 1 && nr > 0 && cs_column_is_null(cs_dataset_column(ds, 0),
                                               nr - 1)) {
        rc = cs__buf_add(&w->b, w->eol, w->neol);
        if (rc) return rc;
    }
    return w_flush(w);
}

static int w_init(writer *w, const cs_dataset *ds,
                  const cs_csv_write_options *opt)
{
    memset(w, 0, sizeof *w);
    w->eng = cs_dataset_engine(ds);
    w->fd = -1;
    cs__buf_init(&w->b, w->eng);
    if (check_wopts(w->eng, opt, &w->o)) return CS_EINVAL;
    w->eol = w->o.crlf ? "\r\n" : "\n";
    w->neol = w->o.crlf ? 2 : 1;
    return CS_OK;
}

int cs_csv_write_string(const cs_dataset *ds, const cs_csv_write_options *opt,
                        char **out, size_t *len)
{
    writer w;
    size_t n;
    int rc;

    *out = NULL;
    if (len) *len = 0;
    if (!ds) return CS_EMISUSE;
    rc = w_init(&w, ds, opt);
    if (rc) return rc;
    rc = cs__buf_reserve(&w.b, 0);
    if (!rc) rc = w_body(&w, ds);
    if (!rc) {
        n = w.b.len;
        *out = cs__buf_detach(&w.b);
        if (!*out) {
            rc = cs__oom(w.eng);
        } else if (len) {
            *len = n;
        }
    }
    cs__buf_free(&w.b);
    return rc;
}

int cs_csv_write(const cs_dataset *ds, const char *path,
                 const cs_csv_write_options *opt)
{
    writer w;
    struct stat st;
    char *tmp = NULL, eb[128];
    size_t plen, tlen = 0;
    mode_t mode = 0644;
    int rc, fd = -1, e;

    if (!ds) return CS_EMISUSE;
    rc = w_init(&w, ds, opt);
    if (rc) return rc;
    if (!path || !*path)
        return cs__error(w.eng, CS_EINVAL, "no file name to write to");
    w.path = path;
    plen = strlen(path);
    tlen = plen + sizeof ".tmp-XXXXXX";
    tmp = cs__alloc(w.eng, tlen);
    if (!tmp) return cs__oom(w.eng);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    fd = mkstemp(tmp);
    if (fd < 0) {
        e = errno;
        rc = cs__error(w.eng, CS_EIO,
                       "%s: cannot create a temporary file beside it: %s",
                       path, errno_text(e, eb));
        cs__free(w.eng, tmp, tlen);
        return rc;
    }
    /* mkstemp makes the file private; give it the mode of the file it
    ** replaces, or the usual 0644. */
    if (stat(path, &st) == 0) mode = st.st_mode & 07777;
    (void)fchmod(fd, mode);
    w.fd = fd;
    rc = w_body(&w, ds);
    if (rc) goto fail;
    if (fsync(fd) != 0) {
        e = errno;
        rc = cs__error(w.eng, CS_EIO, "%s: cannot sync: %s", path,
                       errno_text(e, eb));
        goto fail;
    }
    fd = -1;
    if (close(w.fd) != 0) {
        e = errno;
        rc = cs__error(w.eng, CS_EIO, "%s: cannot close: %s", path,
                       errno_text(e, eb));
        goto fail;
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        rc = cs__error(w.eng, CS_EIO, "%s: cannot rename the temporary file "
                       "over it: %s", path, errno_text(e, eb));
        goto fail;
    }
    cs__buf_free(&w.b);
    cs__free(w.eng, tmp, tlen);
    return CS_OK;

fail:
    if (fd >= 0) close(fd);
    unlink(tmp);
    cs__buf_free(&w.b);
    cs__free(w.eng, tmp, tlen);
    return rc;
}
