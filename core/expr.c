/*
** expr.c: Lua-flavoured expressions, compiled to a typed tree and run a
** block of rows at a time.  Each node fills a typed array and a byte
** validity array per block (validity NULL: no null in the block); strings
** are dictionary codes, and string work (comparisons with a constant,
** lower, len, in) runs once per distinct code, cached in per-node tables.
*/
#include "csint.h"
#include "exprint.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* The kernels below are written for the vectoriser (restrict operands,
** one operation per loop), but GCC's -O2 cost model ("very cheap")
** refuses any loop that needs a remainder; let it weigh them. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("vect-cost-model=dynamic")
#endif

/* Rows per block: a node's block buffer (8 bytes a row) stays in L1/L2. */
#define BLOCK 2048
_Static_assert(BLOCK % 64 == 0, "blocks hold whole validity words");
/* Deeper trees are refused, so compiling and evaluating (both
** recursive) cannot exhaust the C stack. */
#define MAX_DEPTH 200
#define MAX_ARGS 64

enum {
    OP_COL, OP_CONST,
    OP_NEG, OP_NOT, OP_TOF,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_IDIV, OP_MOD, OP_POW,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE,
    OP_CONCAT, OP_AND, OP_OR, OP_ISNULL, OP_NOTNULL, OP_IN, OP_NOTIN,
    OP_ABS, OP_ROUND, OP_FLOOR, OP_CEIL, OP_COALESCE, OP_IF,
    OP_YEAR, OP_MONTH, OP_DAY, OP_LOWER, OP_UPPER, OP_LEN, OP_NAME_KEY
};

typedef struct node {
    int op;
    cs_type type;          /* of the result; 0 for a nil not yet typed */
    size_t pos;            /* byte offset of the operator or operand */
    const char *name;      /* the operator or function, for messages */
    int kid[3];
    int depth;
    int used;              /* reachable from the root */
    /* OP_COL */
    size_t col;
    char *colname;
    /* OP_CONST: int64, bool and date values in i */
    int isnull;
    int64_t i;
    double f;
    cs_dict *sdict;        /* a string constant is code 0 of its own dict */
    /* OP_IN: items of the operand's type (floats in lf, others in li) */
    size_t nlist, lcap;
    int64_t *li;
    double *lf;
    cs_dict *ldict;        /* string items */
    int lnil;              /* nil is one of the items */
    int digits;            /* OP_ROUND */
} node;

struct cs_expr {
    cs_engine *eng;
    char *text;
    size_t textlen;
    node *nodes;
    size_t n, cap;
    int root;
};

/* Messages quote at most this many bytes of the text, so that the
** detail after it fits the engine's message buffer. */
#define QUOTE_MAX 120

/* How many bytes of TEXT a message quotes (cut at a character). */
static int quoted(const char *text, size_t len)
{
    if (len <= QUOTE_MAX) return (int)len;
    len = QUOTE_MAX;
    while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) len--;
    return (int)len;
}

#define QUOTE(text, len) quoted(text, len), text, \
    (size_t)quoted(text, len) < (len) ? "..." : ""

/* ------------------------------------------------------------------ */
/* Compiling                                                          */
/* ------------------------------------------------------------------ */

enum {
    T_EOF, T_NAME, T_QNAME, T_INT, T_FLT, T_STR, T_TRUE, T_FALSE, T_NIL,
    T_AND, T_OR, T_NOT, T_IN, T_OP, T_LP, T_RP, T_COMMA
};

typedef struct parser {
    cs_engine *eng;
    const cs_dataset *ds;
    cs_expr *e;
    const char *s;
    size_t len, i;
    int tok;
    size_t ts, te;         /* the current token's bytes */
    const char *op;        /* T_OP: a static spelling */
    int64_t ival;
    double fval;
    cs_buf sval;           /* T_STR, T_NAME, T_QNAME: NFC text */
    cs_buf tmp;
    int depth;
    int rc;
} parser;

#define ND(p, k) (&(p)->e->nodes[(k)])

static size_t charpos(const char *s, size_t off)
{
    size_t i, n = 1;
    for (i = 0; i < off; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) n++;
    return n;
}

static int fail(parser *p, size_t at, int rc, const char *fmt, ...)
    CS_PRINTF(4, 5);

/* Records error RC at byte offset AT of the text; returns -1, the
** parser's "no node". */
static int fail(parser *p, size_t at, int rc, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->rc = cs__error(p->eng, rc, "expression '%.*s%s': position %zu: %s",
                      QUOTE(p->e->text, p->e->textlen), charpos(p->s, at),
                      msg);
    return -1;
}

static int oom(parser *p)
{
    p->rc = cs__oom(p->eng);
    return -1;
}

static const char *tname(cs_type t) { return t ? cs_type_name(t) : "nil"; }
static int isnum(cs_type t) { return t == CS_TYPE_I64 || t == CS_TYPE_F64; }

static int namechar(unsigned char c)
{
    return c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z') ||
           (c >= '0' && c <= '9') || c >= 0x80;
}

static int isdigit_(char c) { return c >= '0' && c <= '9'; }

/* Validates S[0..LEN) (found at byte AT) and stores its NFC form in
** p->sval. */
static int set_text(parser *p, const char *s, size_t len, size_t at)
{
    size_t bad;
    int rc;
    if (!cs_utf8_valid(s, len, &bad))
        return fail(p, at, CS_EENCODING, "invalid UTF-8");
    rc = cs__nfc(p->eng, s, len, &p->sval);
    if (rc) {
        p->rc = rc;
        return -1;
    }
    return 0;
}

static int lex_number(parser *p)
{
    const char *s = p->s;
    size_t i = p->i, st = p->i;
    int isf = 0;
    while (i < p->len && isdigit_(s[i])) i++;
    if (i < p->len && s[i] == '.' && !(i + 1 < p->len && s[i + 1] == '.')) {
        isf = 1;
        i++;
        while (i < p->len && isdigit_(s[i])) i++;
    }
    if (i < p->len && (s[i] == 'e' || s[i] == 'E')) {
        size_t j = i + 1;
        if (j < p->len && (s[j] == '+' || s[j] == '-')) j++;
        if (j >= p->len || !isdigit_(s[j]))
            return fail(p, st, CS_EPARSE, "malformed number");
        isf = 1;
        i = j;
        while (i < p->len && isdigit_(s[i])) i++;
    }
    if (i < p->len && namechar((unsigned char)s[i]))
        return fail(p, st, CS_EPARSE, "malformed number");
    p->ts = st;
    p->te = p->i = i;
    if (!isf) {
        int64_t v = 0;
        size_t k;
        for (k = st; k < i; k++)
            if (__builtin_mul_overflow(v, 10, &v) ||
                __builtin_add_overflow(v, s[k] - '0', &v))
                return fail(p, st, CS_EPARSE,
                            "integer literal too large for int64");
        p->tok = T_INT;
        p->ival = v;
    } else {
        int rc;
        p->tmp.len = 0;
        if ((rc = cs__buf_add(&p->tmp, s + st, i - st))) {
            p->rc = rc;
            return -1;
        }
        p->tok = T_FLT;
        p->fval = strtod(p->tmp.p, NULL);
    }
    return 0;
}

static int lex_string(parser *p)
{
    const char *s = p->s;
    char q = s[p->i];
    size_t i = p->i + 1, st = p->i;
    p->tmp.len = 0;
    for (;;) {
        char c, out;
        int rc;
        if (i >= p->len || s[i] == '\n')
            return fail(p, st, CS_EPARSE, "unterminated string");
        c = s[i];
        if (c == q) break;
        if (c == '\\') {
            if (i + 1 >= p->len)
                return fail(p, st, CS_EPARSE, "unterminated string");
            switch (s[i + 1]) {
            case '\\': out = '\\'; break;
            case '\'': out = '\''; break;
            case '"': out = '"'; break;
            case 'n': out = '\n'; break;
            case 't': out = '\t'; break;
            case 'r': out = '\r'; break;
            default:
                return fail(p, i, CS_EPARSE, "invalid escape '\\%c'",
                            s[i + 1]);
            }
            i += 2;
        } else {
            out = c;
            i++;
        }
        if ((rc = cs__buf_addc(&p->tmp, out))) {
            p->rc = rc;
            return -1;
        }
    }
    p->ts = st;
    p->te = p->i = i + 1;
    p->tok = T_STR;
    return set_text(p, p->tmp.p ? p->tmp.p : "", p->tmp.len, st);
}

static const char *const ops2[] = {"==", "~=", "!=", "<=", ">=", "//", ".."};
static const char *const ops1[] = {"+", "-", "*", "/", "%", "^", "<", ">"};

/* Reads the next token into p->tok. */
static int next(parser *p)
{
    const char *s = p->s;
    size_t i = p->i, k;
    unsigned char c;
    while (i < p->len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
                          s[i] == '\r'))
        i++;
    p->i = p->ts = p->te = i;
    if (i >= p->len) {
        p->tok = T_EOF;
        return 0;
    }
    c = (unsigned char)s[i];
    if (isdigit_((char)c) || (c == '.' && i + 1 < p->len && isdigit_(s[i + 1])))
        return lex_number(p);
    if (namechar(c)) {
        static const struct { const char *w; int tok; } kw[] = {
            {"and", T_AND}, {"or", T_OR}, {"not", T_NOT}, {"in", T_IN},
            {"true", T_TRUE}, {"false", T_FALSE}, {"nil", T_NIL}};
        size_t j = i;
        while (j < p->len && namechar((unsigned char)s[j])) j++;
        p->te = p->i = j;
        for (k = 0; k < sizeof kw / sizeof kw[0]; k++)
            if (strlen(kw[k].w) == j - i &&
                memcmp(kw[k].w, s + i, j - i) == 0) {
                p->tok = kw[k].tok;
                return 0;
            }
        p->tok = T_NAME;
        return set_text(p, s + i, j - i, i);
    }
    if (c == '`') {
        size_t j = i + 1;
        while (j < p->len && s[j] != '`') j++;
        if (j >= p->len)
            return fail(p, i, CS_EPARSE, "unterminated `name`");
        if (j == i + 1) return fail(p, i, CS_EPARSE, "empty `name`");
        p->te = p->i = j + 1;
        p->tok = T_QNAME;
        return set_text(p, s + i + 1, j - i - 1, i);
    }
    if (c == '\'' || c == '"') return lex_string(p);
    p->te = p->i = i + 1;
    if (c == '(') p->tok = T_LP;
    else if (c == ')') p->tok = T_RP;
    else if (c == ',') p->tok = T_COMMA;
    else {
        p->tok = T_OP;
        for (k = 0; k < sizeof ops2 / sizeof ops2[0]; k++)
            if (i + 1 < p->len && s[i] == ops2[k][0] &&
                s[i + 1] == ops2[k][1]) {
                p->op = ops2[k];
                p->te = p->i = i + 2;
                return 0;
            }
        for (k = 0; k < sizeof ops1 / sizeof ops1[0]; k++)
            if ((char)c == ops1[k][0]) {
                p->op = ops1[k];
                return 0;
            }
        if (c == '=')
            return fail(p, i, CS_EPARSE, "unexpected '=' (compare with '==')");
        if (c < 0x20 || c == 0x7F)
            return fail(p, i, CS_EPARSE, "unexpected character 0x%02X", c);
        return fail(p, i, CS_EPARSE, "unexpected character '%c'", c);
    }
    return 0;
}

/* Appends a node; returns its index or -1. */
static int add_node(parser *p, int op, cs_type t, size_t at, const char *name,
                    int a, int b, int c)
{
    cs_expr *e = p->e;
    node *nd;
    int kids[3], j, depth = 0;
    if (e->n == e->cap) {
        size_t ncap = e->cap ? e->cap * 2 : 16;
        node *nn = cs__realloc(p->eng, e->nodes, e->cap * sizeof *nn,
                               ncap * sizeof *nn);
        if (!nn) return oom(p);
        e->nodes = nn;
        e->cap = ncap;
    }
    kids[0] = a;
    kids[1] = b;
    kids[2] = c;
    for (j = 0; j < 3; j++)
        if (kids[j] >= 0 && e->nodes[kids[j]].depth > depth)
            depth = e->nodes[kids[j]].depth;
    if (depth + 1 > MAX_DEPTH)
        return fail(p, at, CS_EPARSE, "expression too deeply nested");
    nd = &e->nodes[e->n];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->type = t;
    nd->pos = at;
    nd->name = name;
    memcpy(nd->kid, kids, sizeof kids);
    nd->depth = depth + 1;
    return (int)e->n++;
}

static int const_node(parser *p, cs_type t, size_t at)
{
    return add_node(p, OP_CONST, t, at, NULL, -1, -1, -1);
}

static int const_str(parser *p, const char *s, size_t len, size_t at)
{
    uint32_t code;
    int k = const_node(p, CS_TYPE_STR, at);
    if (k < 0) return -1;
    if ((p->rc = cs__dict_new(p->eng, &ND(p, k)->sdict))) return -1;
    if ((p->rc = cs__dict_intern(ND(p, k)->sdict, s, len, &code))) return -1;
    return k;
}

static int is_const(parser *p, int k, cs_type t)
{
    return ND(p, k)->op == OP_CONST && !ND(p, k)->isnull && ND(p, k)->type == t;
}

/* Turns the string constant K into a date constant. */
static int str_to_date(parser *p, int k)
{
    node *nd = ND(p, k);
    size_t len;
    const char *s = cs__dict_str(nd->sdict, 0, &len);
    int32_t d;
    if (cs_date_parse(s, len, NULL, &d))
        return fail(p, nd->pos, CS_EPARSE, "'%s' is not a date (YYYY-MM-DD)",
                    s);
    cs__dict_release(nd->sdict);
    nd->sdict = NULL;
    nd->type = CS_TYPE_DATE;
    nd->i = d;
    return k;
}

static int to_float(parser *p, int k)
{
    node *nd = ND(p, k);
    if (nd->type == CS_TYPE_F64) return k;
    if (nd->op == OP_CONST) {
        nd->f = (double)nd->i;
        nd->type = CS_TYPE_F64;
        return k;
    }
    return add_node(p, OP_TOF, CS_TYPE_F64, nd->pos, "tofloat", k, -1, -1);
}

static int type_error2(parser *p, size_t at, const char *op, int a, int b)
{
    return fail(p, at, CS_ETYPE, "cannot apply '%s' to %s and %s", op,
                tname(ND(p, a)->type), tname(ND(p, b)->type));
}

static int flip(int op)
{
    switch (op) {
    case OP_LT: return OP_GT;
    case OP_LE: return OP_GE;
    case OP_GT: return OP_LT;
    case OP_GE: return OP_LE;
    }
    return op;
}

static int mk_cmp(parser *p, int op, int a, int b, size_t at, const char *name)
{
    cs_type ta = ND(p, a)->type, tb = ND(p, b)->type;
    if (!ta || !tb) {
        int k;
        if (op != OP_EQ && op != OP_NE) return type_error2(p, at, name, a, b);
        if (!ta && !tb) {
            if ((k = const_node(p, CS_TYPE_BOOL, at)) < 0) return -1;
            ND(p, k)->i = op == OP_EQ;
            return k;
        }
        return add_node(p, op == OP_EQ ? OP_ISNULL : OP_NOTNULL,
                        CS_TYPE_BOOL, at, name, ta ? a : b, -1, -1);
    }
    if (ta == CS_TYPE_DATE && is_const(p, b, CS_TYPE_STR)) {
        if (str_to_date(p, b) < 0) return -1;
        tb = CS_TYPE_DATE;
    } else if (tb == CS_TYPE_DATE && is_const(p, a, CS_TYPE_STR)) {
        if (str_to_date(p, a) < 0) return -1;
        ta = CS_TYPE_DATE;
    }
    if (!(isnum(ta) && isnum(tb)) &&
        !(ta == tb && (ta == CS_TYPE_STR || ta == CS_TYPE_DATE)) &&
        !(ta == tb && ta == CS_TYPE_BOOL && (op == OP_EQ || op == OP_NE)))
        return type_error2(p, at, name, a, b);
    /* year(d) >= 2023 becomes d >= '2023-01-01' (and == a range): one
    ** compare per row instead of a calendar conversion. */
    if (op == OP_EQ || op == OP_NE) {
        int y = ND(p, a)->op == OP_YEAR ? a : ND(p, b)->op == OP_YEAR ? b : -1;
        int k = y == a ? b : a;
        if (y >= 0 && is_const(p, k, CS_TYPE_I64) && ND(p, k)->i > -5000000 &&
            ND(p, k)->i < 5000000) {
            int yr = (int)ND(p, k)->i, lo, hi, x = ND(p, y)->kid[0];
            if ((lo = const_node(p, CS_TYPE_DATE, at)) < 0) return -1;
            ND(p, lo)->i = cs_date_from_ymd(yr, 1, 1);
            if ((hi = const_node(p, CS_TYPE_DATE, at)) < 0) return -1;
            ND(p, hi)->i = cs_date_from_ymd(yr + 1, 1, 1);
            if (op == OP_EQ) {
                if ((lo = add_node(p, OP_GE, CS_TYPE_BOOL, at, name, x, lo,
                                   -1)) < 0 ||
                    (hi = add_node(p, OP_LT, CS_TYPE_BOOL, at, name, x, hi,
                                   -1)) < 0)
                    return -1;
                return add_node(p, OP_AND, CS_TYPE_BOOL, at, name, lo, hi, -1);
            }
            if ((lo = add_node(p, OP_LT, CS_TYPE_BOOL, at, name, x, lo,
                               -1)) < 0 ||
                (hi = add_node(p, OP_GE, CS_TYPE_BOOL, at, name, x, hi,
                               -1)) < 0)
                return -1;
            return add_node(p, OP_OR, CS_TYPE_BOOL, at, name, lo, hi, -1);
        }
    }
    if (op >= OP_LT && op <= OP_GE) {
        int y = -1, k = -1, o = op;
        if (ND(p, a)->op == OP_YEAR && is_const(p, b, CS_TYPE_I64)) {
            y = a;
            k = b;
        } else if (ND(p, b)->op == OP_YEAR && is_const(p, a, CS_TYPE_I64)) {
            y = b;
            k = a;
            o = flip(op);
        }
        if (y >= 0 && ND(p, k)->i > -5000000 && ND(p, k)->i < 5000000) {
            int yr = (int)ND(p, k)->i, d;
            if (o == OP_GT || o == OP_LE) yr++;
            if ((d = const_node(p, CS_TYPE_DATE, at)) < 0) return -1;
            ND(p, d)->i = cs_date_from_ymd(yr, 1, 1);
            o = (o == OP_GT || o == OP_GE) ? OP_GE : OP_LT;
            return add_node(p, o, CS_TYPE_BOOL, at, name, ND(p, y)->kid[0], d,
                            -1);
        }
    }
    return add_node(p, op, CS_TYPE_BOOL, at, name, a, b, -1);
}

static int mk_bin(parser *p, int op, int a, int b, size_t at, const char *name)
{
    cs_type ta = ND(p, a)->type, tb = ND(p, b)->type;
    switch (op) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_IDIV: case OP_MOD:
        if (!isnum(ta) || !isnum(tb)) return type_error2(p, at, name, a, b);
        if (ta == CS_TYPE_I64 && tb == CS_TYPE_I64)
            return add_node(p, op, CS_TYPE_I64, at, name, a, b, -1);
        /* fall through */
    case OP_DIV: case OP_POW:
        if (!isnum(ta) || !isnum(tb)) return type_error2(p, at, name, a, b);
        if ((a = to_float(p, a)) < 0 || (b = to_float(p, b)) < 0) return -1;
        return add_node(p, op, CS_TYPE_F64, at, name, a, b, -1);
    case OP_CONCAT:
        if (!ta || ta == CS_TYPE_BOOL || !tb || tb == CS_TYPE_BOOL)
            return type_error2(p, at, name, a, b);
        return add_node(p, op, CS_TYPE_STR, at, name, a, b, -1);
    case OP_AND: case OP_OR:
        if (ta != CS_TYPE_BOOL || tb != CS_TYPE_BOOL)
            return type_error2(p, at, name, a, b);
        return add_node(p, op, CS_TYPE_BOOL, at, name, a, b, -1);
    default:
        return mk_cmp(p, op, a, b, at, name);
    }
}

/* The common type of branches *A and *B of NAME (ints widen to float;
** a nil takes the other's type); 0 after an error. */
static cs_type unify(parser *p, int *a, int *b, const char *name, size_t at)
{
    cs_type ta = ND(p, *a)->type, tb = ND(p, *b)->type;
    if (!ta && !tb) {
        fail(p, at, CS_ETYPE, "cannot tell the type of '%s' of nil and nil",
             name);
        return (cs_type)0;
    }
    if (!ta) ND(p, *a)->type = ta = tb;
    if (!tb) ND(p, *b)->type = tb = ta;
    if (ta == tb) return ta;
    if (isnum(ta) && isnum(tb)) {
        if ((*a = to_float(p, *a)) < 0 || (*b = to_float(p, *b)) < 0)
            return (cs_type)0;
        return CS_TYPE_F64;
    }
    type_error2(p, at, name, *a, *b);
    return (cs_type)0;
}

static const struct fn {
    const char *name;
    int op, min, max;
} fns[] = {
    {"abs", OP_ABS, 1, 1},         {"round", OP_ROUND, 1, 2},
    {"floor", OP_FLOOR, 1, 1},     {"ceil", OP_CEIL, 1, 1},
    {"coalesce", OP_COALESCE, 1, MAX_ARGS}, {"if", OP_IF, 3, 3},
    {"year", OP_YEAR, 1, 1},       {"month", OP_MONTH, 1, 1},
    {"day", OP_DAY, 1, 1},         {"lower", OP_LOWER, 1, 1},
    {"upper", OP_UPPER, 1, 1},     {"len", OP_LEN, 1, 1},
    {"name_key", OP_NAME_KEY, 1, 1},
    {"date", -1, 1, 1},
};

static int mk_call(parser *p, const struct fn *f, int *args, int nargs,
                   size_t at)
{
    cs_type t0 = ND(p, args[0])->type;
    const char *nm = f->name;
    int k;
    if (nargs < f->min || nargs > f->max) {
        if (f->min == f->max)
            return fail(p, at, CS_EPARSE, "'%s' takes %d argument%s, got %d",
                        nm, f->min, f->min == 1 ? "" : "s", nargs);
        return fail(p, at, CS_EPARSE, "'%s' takes %d to %d arguments, got %d",
                    nm, f->min, f->max, nargs);
    }
    switch (f->op) {
    case OP_ABS: case OP_FLOOR: case OP_CEIL: case OP_ROUND:
        if (!isnum(t0))
            return fail(p, at, CS_ETYPE, "cannot apply '%s' to %s", nm,
                        tname(t0));
        k = add_node(p, f->op,
                     f->op == OP_FLOOR || f->op == OP_CEIL ? CS_TYPE_I64 : t0,
                     at, nm, args[0], -1, -1);
        if (k >= 0 && nargs == 2) {
            if (!is_const(p, args[1], CS_TYPE_I64) || ND(p, args[1])->i < -18 ||
                ND(p, args[1])->i > 18)
                return fail(p, ND(p, args[1])->pos, CS_ETYPE,
                            "the digits of 'round' must be an integer "
                            "literal from -18 to 18");
            ND(p, k)->digits = (int)ND(p, args[1])->i;
        }
        return k;
    case OP_COALESCE: {
        /* coalesce(a, b, c) is coalesce(a, coalesce(b, c)). */
        int acc = args[nargs - 1], j;
        cs_type t;
        if (nargs == 1) {
            if (!t0)
                return fail(p, at, CS_ETYPE,
                            "cannot tell the type of 'coalesce' of nil");
            return args[0];
        }
        for (j = nargs - 2; j >= 0; j--) {
            int a = args[j];
            if (!(t = unify(p, &a, &acc, nm, at))) return -1;
            if ((acc = add_node(p, OP_COALESCE, t, at, nm, a, acc, -1)) < 0)
                return -1;
        }
        return acc;
    }
    case OP_IF: {
        cs_type t;
        if (t0 != CS_TYPE_BOOL)
            return fail(p, at, CS_ETYPE,
                        "the condition of 'if' is %s, not bool", tname(t0));
        if (!(t = unify(p, &args[1], &args[2], nm, at))) return -1;
        return add_node(p, OP_IF, t, at, nm, args[0], args[1], args[2]);
    }
    case OP_YEAR: case OP_MONTH: case OP_DAY:
        if (t0 != CS_TYPE_DATE)
            return fail(p, at, CS_ETYPE, "cannot apply '%s' to %s", nm,
                        tname(t0));
        return add_node(p, f->op, CS_TYPE_I64, at, nm, args[0], -1, -1);
    case OP_LOWER: case OP_UPPER: case OP_LEN: case OP_NAME_KEY:
        if (t0 != CS_TYPE_STR)
            return fail(p, at, CS_ETYPE, "cannot apply '%s' to %s", nm,
                        tname(t0));
        return add_node(p, f->op, f->op == OP_LEN ? CS_TYPE_I64 : CS_TYPE_STR,
                        at, nm, args[0], -1, -1);
    default: /* date('YYYY-MM-DD') */
        if (!is_const(p, args[0], CS_TYPE_STR))
            return fail(p, at, CS_ETYPE, "'date' needs a string literal");
        return str_to_date(p, args[0]);
    }
}

static int column(parser *p, size_t at)
{
    const char *name = p->sval.p;
    ptrdiff_t idx = cs_dataset_find(p->ds, name);
    int k;
    if (idx < 0) {
        const char *near = cs__nearest_column(p->ds, name);
        if (near)
            return fail(p, at, CS_ENOTFOUND,
                        "no column '%s' (did you mean '%s'?)", name, near);
        return fail(p, at, CS_ENOTFOUND, "no column '%s'", name);
    }
    k = add_node(p, OP_COL, p->ds->cols[idx]->type, at, NULL, -1, -1, -1);
    if (k < 0) return -1;
    ND(p, k)->col = (size_t)idx;
    ND(p, k)->colname = cs__strndup(p->eng, name, p->sval.len);
    if (!ND(p, k)->colname) return oom(p);
    return next(p) ? -1 : k;
}

static int subexpr(parser *p, int limit);

static int expect_rp(parser *p, size_t open)
{
    if (p->tok == T_RP) return next(p);
    if (p->tok == T_EOF)
        return fail(p, p->ts, CS_EPARSE, "missing ')' to close '(' at "
                    "position %zu", charpos(p->s, open));
    return fail(p, p->ts, CS_EPARSE, "expected ')' to close '(' at "
                "position %zu, found '%.*s'", charpos(p->s, open),
                (int)(p->te - p->ts), p->s + p->ts);
}

static int call(parser *p, size_t at)
{
    int args[MAX_ARGS], nargs = 0;
    size_t j, open;
    const struct fn *f = NULL;
    for (j = 0; j < sizeof fns / sizeof fns[0]; j++)
        if (strcmp(fns[j].name, p->sval.p) == 0) f = &fns[j];
    if (!f) return fail(p, at, CS_ENOTFOUND, "unknown function '%s'",
                        p->sval.p);
    open = p->ts;
    if (next(p)) return -1;
    if (p->tok != T_RP) {
        for (;;) {
            if (nargs == MAX_ARGS)
                return fail(p, p->ts, CS_EPARSE, "too many arguments");
            if ((args[nargs++] = subexpr(p, 0)) < 0) return -1;
            if (p->tok != T_COMMA) break;
            if (next(p)) return -1;
        }
    }
    if (expect_rp(p, open)) return -1;
    if (nargs == 0)
        return fail(p, at, CS_EPARSE, "'%s' takes %s%d argument%s, got 0",
                    f->name, f->min == f->max ? "" : "at least ", f->min,
                    f->min == 1 ? "" : "s");
    return mk_call(p, f, args, nargs, at);
}

static int simple(parser *p)
{
    size_t at = p->ts;
    int k;
    switch (p->tok) {
    case T_INT:
        if ((k = const_node(p, CS_TYPE_I64, at)) < 0) return -1;
        ND(p, k)->i = p->ival;
        break;
    case T_FLT:
        if ((k = const_node(p, CS_TYPE_F64, at)) < 0) return -1;
        ND(p, k)->f = p->fval;
        break;
    case T_STR:
        if ((k = const_str(p, p->sval.p, p->sval.len, at)) < 0) return -1;
        break;
    case T_TRUE: case T_FALSE:
        if ((k = const_node(p, CS_TYPE_BOOL, at)) < 0) return -1;
        ND(p, k)->i = p->tok == T_TRUE;
        break;
    case T_NIL:
        if ((k = const_node(p, (cs_type)0, at)) < 0) return -1;
        ND(p, k)->isnull = 1;
        break;
    case T_LP:
        if (next(p) || (k = subexpr(p, 0)) < 0) return -1;
        return expect_rp(p, at) ? -1 : k;
    case T_NAME: {
        size_t j = p->i;
        /* A name followed by '(' is a call; peek without lexing. */
        while (j < p->len && (p->s[j] == ' ' || p->s[j] == '\t' ||
                              p->s[j] == '\n' || p->s[j] == '\r'))
            j++;
        if (j < p->len && p->s[j] == '(') {
            /* Lexing '(' leaves the name in p->sval. */
            if (next(p)) return -1;
            return call(p, at);
        }
        return column(p, at);
    }
    case T_QNAME:
        return column(p, at);
    case T_EOF:
        return fail(p, at, CS_EPARSE, "unexpected end of expression");
    default:
        return fail(p, at, CS_EPARSE, "unexpected '%.*s'",
                    (int)(p->te - p->ts), p->s + p->ts);
    }
    return next(p) ? -1 : k;
}

/* Binary operator at the current token: its op and Lua priorities. */
static int binop(parser *p, int *lp, int *rp, const char **name)
{
    static const struct { const char *s; int op, l, r; } tab[] = {
        {"+", OP_ADD, 10, 10}, {"-", OP_SUB, 10, 10}, {"*", OP_MUL, 11, 11},
        {"/", OP_DIV, 11, 11}, {"//", OP_IDIV, 11, 11}, {"%", OP_MOD, 11, 11},
        {"^", OP_POW, 14, 13}, {"..", OP_CONCAT, 9, 8}, {"==", OP_EQ, 3, 3},
        {"~=", OP_NE, 3, 3},   {"!=", OP_NE, 3, 3},    {"<", OP_LT, 3, 3},
        {"<=", OP_LE, 3, 3},   {">", OP_GT, 3, 3},     {">=", OP_GE, 3, 3}};
    size_t j;
    *lp = *rp = 3;
    switch (p->tok) {
    case T_AND: *lp = *rp = 2; *name = "and"; return OP_AND;
    case T_OR: *lp = *rp = 1; *name = "or"; return OP_OR;
    case T_IN: *name = "in"; return OP_IN;
    case T_NOT: {
        /* "x not in (...)": peek for the word "in". */
        size_t i = p->i;
        while (i < p->len && (p->s[i] == ' ' || p->s[i] == '\t' ||
                              p->s[i] == '\n' || p->s[i] == '\r'))
            i++;
        if (i + 2 <= p->len && p->s[i] == 'i' && p->s[i + 1] == 'n' &&
            (i + 2 == p->len || !namechar((unsigned char)p->s[i + 2]))) {
            *name = "not in";
            return OP_NOTIN;
        }
        return 0;
    }
    case T_OP:
        for (j = 0; j < sizeof tab / sizeof tab[0]; j++)
            if (strcmp(tab[j].s, p->op) == 0) {
                *lp = tab[j].l;
                *rp = tab[j].r;
                *name = tab[j].s;
                return tab[j].op;
            }
    }
    return 0;
}

static int in_list(parser *p, int x, int op, size_t at, const char *name)
{
    int items[MAX_ARGS], nitems = 0, j, k;
    size_t open = p->ts;
    cs_type tx = ND(p, x)->type;
    node *nd;
    if (p->tok != T_LP)
        return fail(p, p->ts, CS_EPARSE, "expected '(' after '%s'", name);
    if (next(p)) return -1;
    for (;;) {
        if (nitems == MAX_ARGS)
            return fail(p, p->ts, CS_EPARSE, "too many items in '%s'", name);
        if ((items[nitems++] = subexpr(p, 0)) < 0) return -1;
        if (p->tok != T_COMMA) break;
        if (next(p)) return -1;
    }
    if (expect_rp(p, open)) return -1;
    if (!tx) return fail(p, at, CS_ETYPE, "cannot apply '%s' to nil", name);
    if ((k = add_node(p, op, CS_TYPE_BOOL, at, name, x, -1, -1)) < 0)
        return -1;
    nd = ND(p, k);
    nd->lcap = (size_t)nitems;
    if (tx == CS_TYPE_F64)
        nd->lf = cs__alloc(p->eng, (size_t)nitems * sizeof *nd->lf);
    else if (tx == CS_TYPE_STR)
        p->rc = cs__dict_new(p->eng, &nd->ldict);
    else
        nd->li = cs__alloc(p->eng, (size_t)nitems * sizeof *nd->li);
    if (p->rc) return -1;
    if (!nd->lf && !nd->li && !nd->ldict) return oom(p);
    for (j = 0; j < nitems; j++) {
        node *it;
        cs_type ti;
        if (ND(p, items[j])->op != OP_CONST)
            return fail(p, ND(p, items[j])->pos, CS_EPARSE,
                        "the items of '%s' must be literals", name);
        if (tx == CS_TYPE_DATE && is_const(p, items[j], CS_TYPE_STR) &&
            str_to_date(p, items[j]) < 0)
            return -1;
        it = ND(p, items[j]);
        nd = ND(p, k);
        ti = it->type;
        if (it->isnull) {
            nd->lnil = 1;
        } else if (tx == CS_TYPE_F64 && isnum(ti)) {
            nd->lf[nd->nlist++] = ti == CS_TYPE_F64 ? it->f : (double)it->i;
        } else if (tx == CS_TYPE_I64 && isnum(ti)) {
            /* A float item matches an int only when it is a whole number
            ** in range; other floats can never match. */
            if (ti == CS_TYPE_I64)
                nd->li[nd->nlist++] = it->i;
            else if (it->f == floor(it->f) && it->f >= -9223372036854775808.0 &&
                     it->f < 9223372036854775808.0)
                nd->li[nd->nlist++] = (int64_t)it->f;
        } else if (tx == ti && tx == CS_TYPE_STR) {
            size_t len;
            const char *s = cs__dict_str(it->sdict, 0, &len);
            uint32_t code;
            if ((p->rc = cs__dict_intern(nd->ldict, s, len, &code))) return -1;
        } else if (tx == ti) {
            nd->li[nd->nlist++] = it->i;
        } else {
            return fail(p, it->pos, CS_ETYPE, "cannot apply '%s' to %s and %s",
                        name, tname(tx), tname(ti));
        }
    }
    return k;
}

static int subexpr(parser *p, int limit)
{
    int left, op, lp, rp;
    const char *name = NULL;
    size_t at;
    if (++p->depth > MAX_DEPTH)
        return fail(p, p->ts, CS_EPARSE, "expression too deeply nested");
    if (p->tok == T_NOT || (p->tok == T_OP && strcmp(p->op, "-") == 0)) {
        int neg = p->tok == T_OP;
        cs_type t;
        node *nd;
        at = p->ts;
        if (next(p) || (left = subexpr(p, 12)) < 0) return -1;
        nd = ND(p, left);
        t = nd->type;
        if (neg) {
            if (!isnum(t))
                return fail(p, at, CS_ETYPE, "cannot apply unary '-' to %s",
                            tname(t));
            if (nd->op == OP_CONST && t == CS_TYPE_F64) {
                nd->f = -nd->f;
                nd->pos = at;
            } else if (nd->op == OP_CONST && nd->i != INT64_MIN) {
                nd->i = -nd->i;
                nd->pos = at;
            } else if ((left = add_node(p, OP_NEG, t, at, "-", left, -1,
                                        -1)) < 0) {
                return -1;
            }
        } else {
            if (t != CS_TYPE_BOOL)
                return fail(p, at, CS_ETYPE, "cannot apply 'not' to %s",
                            tname(t));
            if ((left = add_node(p, OP_NOT, t, at, "not", left, -1, -1)) < 0)
                return -1;
        }
    } else if ((left = simple(p)) < 0) {
        return -1;
    }
    while ((op = binop(p, &lp, &rp, &name)) != 0 && lp > limit) {
        at = p->ts;
        if (op == OP_IN || op == OP_NOTIN) {
            if (op == OP_NOTIN && next(p)) return -1;
            if (next(p) || (left = in_list(p, left, op, at, name)) < 0)
                return -1;
        } else {
            int right;
            if (next(p) || (right = subexpr(p, rp)) < 0) return -1;
            if ((left = mk_bin(p, op, left, right, at, name)) < 0) return -1;
        }
    }
    p->depth--;
    return left;
}

static void mark(cs_expr *e, int k)
{
    int j;
    e->nodes[k].used = 1;
    for (j = 0; j < 3; j++)
        if (e->nodes[k].kid[j] >= 0) mark(e, e->nodes[k].kid[j]);
}

void cs_expr_free(cs_expr *e)
{
    size_t k;
    if (!e) return;
    for (k = 0; k < e->n; k++) {
        node *nd = &e->nodes[k];
        if (nd->colname) cs__free(e->eng, nd->colname, strlen(nd->colname) + 1);
        cs__dict_release(nd->sdict);
        cs__dict_release(nd->ldict);
        cs__free(e->eng, nd->li, nd->lcap * sizeof *nd->li);
        cs__free(e->eng, nd->lf, nd->lcap * sizeof *nd->lf);
    }
    cs__free(e->eng, e->nodes, e->cap * sizeof *e->nodes);
    cs__free(e->eng, e->text, e->textlen + 1);
    cs__free(e->eng, e, sizeof *e);
}

int cs_expr_compile(const cs_dataset *ds, const char *text, cs_expr **out)
{
    cs_engine *eng = ds->eng;
    parser p;
    cs_expr *e;
    int root;
    *out = NULL;
    e = cs__alloc(eng, sizeof *e);
    if (!e) return cs__oom(eng);
    memset(e, 0, sizeof *e);
    e->eng = eng;
    e->root = -1;
    e->textlen = strlen(text);
    e->text = cs__strndup(eng, text, e->textlen);
    if (!e->text) {
        cs__free(eng, e, sizeof *e);
        return cs__oom(eng);
    }
    memset(&p, 0, sizeof p);
    p.eng = eng;
    p.ds = ds;
    p.e = e;
    p.s = text;
    p.len = e->textlen;
    cs__buf_init(&p.sval, eng);
    cs__buf_init(&p.tmp, eng);
    if (next(&p) || (root = subexpr(&p, 0)) < 0) goto fail;
    if (p.tok != T_EOF) {
        fail(&p, p.ts, CS_EPARSE, "unexpected '%.*s' after the expression",
             (int)(p.te - p.ts), p.s + p.ts);
        goto fail;
    }
    if (!e->nodes[root].type) {
        fail(&p, e->nodes[root].pos, CS_ETYPE, "nil has no type");
        goto fail;
    }
    e->root = root;
    mark(e, root);
    cs__buf_free(&p.sval);
    cs__buf_free(&p.tmp);
    *out = e;
    return CS_OK;
fail:
    cs__buf_free(&p.sval);
    cs__buf_free(&p.tmp);
    cs_expr_free(e);
    return p.rc ? p.rc : CS_ENOMEM;
}

cs_type cs_expr_type(const cs_expr *e) { return e->nodes[e->root].type; }

int cs_expr_is_column(const cs_expr *e, size_t *index)
{
    if (e->nodes[e->root].op != OP_COL) return 0;
    if (index) *index = e->nodes[e->root].col;
    return 1;
}

/* ------------------------------------------------------------------ */
/* Evaluating                                                         */
/* ------------------------------------------------------------------ */

/* A node's state during one evaluation: the current block's values. */
typedef struct slot {
    const void *data;
    const uint8_t *valid;      /* NULL: no null in the block */
    cs_dict *dict;             /* strings: the dictionary of the codes */
    char *buf;                 /* BLOCK values of 8 bytes at most */
    uint8_t *vbuf;             /* BLOCK validity bytes */
    const cs_column *col;      /* OP_COL: the base column and selection */
    const uint32_t *sel;
    int8_t *tab;               /* a per-code answer, -1 while unknown */
    size_t ntab;
    int64_t *itab;             /* OP_LEN per code, -1 while unknown */
    size_t nitab;
    uint32_t *map[2];          /* per-arm code remaps, UINT32_MAX unknown */
    size_t nmap[2];
    cs_dict *own;              /* a dictionary this node builds */
    uint64_t *pkey;            /* concat of two strings: the code pairs */
    uint32_t *pval;            /* met (UINT64_MAX: empty) and their codes */
    size_t pcap, pn;
    size_t block;              /* the block its values are for, plus 1 */
} slot;

typedef struct run {
    const cs_expr *e;
    cs_engine *eng;
    slot *slots;
    char *mem;
    size_t memsize;
    size_t off;                /* the block's first row */
    size_t block;              /* the block's number, plus 1 */
    cs_buf t1, t2;
} run;

static void run_close(run *r)
{
    size_t k;
    if (r->slots) {
        for (k = 0; k < r->e->n; k++) {
            slot *s = &r->slots[k];
            cs__free(r->eng, s->tab, s->ntab);
            cs__free(r->eng, s->itab, s->nitab * sizeof *s->itab);
            cs__free(r->eng, s->map[0], s->nmap[0] * sizeof(uint32_t));
            cs__free(r->eng, s->map[1], s->nmap[1] * sizeof(uint32_t));
            cs__dict_release(s->own);
            cs__free(r->eng, s->pkey, s->pcap * sizeof *s->pkey);
            cs__free(r->eng, s->pval, s->pcap * sizeof *s->pval);
        }
        cs__free(r->eng, r->slots, r->e->n * sizeof *r->slots);
    }
    cs__free(r->eng, r->mem, r->memsize);
    cs__buf_free(&r->t1);
    cs__buf_free(&r->t2);
}

/* Grows a lazily filled table *T of *N entries of ESZ bytes to NEED
** entries, the new ones all-ones bytes ("unknown"). */
static int grow_tab(cs_engine *eng, void **t, size_t *n, size_t esz,
                    size_t need)
{
    size_t ncap = *n ? *n : 64;
    void *p;
    if (need <= *n) return CS_OK;
    while (ncap < need) ncap *= 2;
    p = cs__realloc(eng, *t, *n * esz, ncap * esz);
    if (!p) return cs__oom(eng);
    memset((char *)p + *n * esz, 0xFF, (ncap - *n) * esz);
    *t = p;
    *n = ncap;
    return CS_OK;
}

static int arm_is_nil(const cs_expr *e, int k)
{
    return e->nodes[k].op == OP_CONST && e->nodes[k].isnull;
}

static int run_open(run *r, const cs_expr *e, const cs_dataset *ds)
{
    size_t k, used = 0, per = BLOCK * 9;
    char *m;
    memset(r, 0, sizeof *r);
    r->e = e;
    r->eng = ds->eng;
    cs__buf_init(&r->t1, r->eng);
    cs__buf_init(&r->t2, r->eng);
    for (k = 0; k < e->n; k++) {
        const node *nd = &e->nodes[k];
        if (!nd->used) continue;
        used++;
        if (nd->op == OP_COL &&
            (nd->col >= ds->ncols ||
             strcmp(ds->names[nd->col], nd->colname) != 0 ||
             ds->cols[nd->col]->type != nd->type))
            return cs__error(r->eng, CS_EINVAL,
                             "expression '%.*s%s': the dataset has no %s "
                             "column '%s' at position %zu",
                             QUOTE(e->text, e->textlen),
                             cs_type_name(nd->type), nd->colname, nd->col + 1);
    }
    r->slots = cs__alloc(r->eng, e->n * sizeof *r->slots);
    if (!r->slots) return cs__oom(r->eng);
    memset(r->slots, 0, e->n * sizeof *r->slots);
    r->memsize = used * per;
    r->mem = m = cs__alloc(r->eng, r->memsize);
    if (!m) return cs__oom(r->eng);
    /* Kids come before their parents in the node array, so one pass in
    ** order sees every kid's dictionary before its parent needs it. */
    for (k = 0; k < e->n; k++) {
        const node *nd = &e->nodes[k];
        slot *s = &r->slots[k];
        size_t i;
        if (!nd->used) continue;
        s->buf = m;
        s->vbuf = (uint8_t *)m + BLOCK * 8;
        s->data = s->buf;
        m += per;
        switch (nd->op) {
        case OP_COL:
            s->col = cs__dataset_base(ds, nd->col, &s->sel);
            s->dict = s->col->dict;
            break;
        case OP_CONST:
            if (nd->isnull) {
                memset(s->buf, 0, BLOCK * 8);
                memset(s->vbuf, 0, BLOCK);
                s->valid = s->vbuf;
                break;
            }
            for (i = 0; i < BLOCK; i++) switch (nd->type) {
                case CS_TYPE_I64: ((int64_t *)(void *)s->buf)[i] = nd->i; break;
                case CS_TYPE_F64: ((double *)(void *)s->buf)[i] = nd->f; break;
                case CS_TYPE_STR: ((uint32_t *)(void *)s->buf)[i] = 0; break;
                case CS_TYPE_BOOL:
                    ((uint8_t *)s->buf)[i] = (uint8_t)nd->i;
                    break;
                case CS_TYPE_DATE:
                    ((int32_t *)(void *)s->buf)[i] = (int32_t)nd->i;
                    break;
                }
            s->dict = nd->sdict;
            break;
        case OP_LOWER: case OP_UPPER: case OP_CONCAT: case OP_NAME_KEY: {
            int rc = cs__dict_new(r->eng, &s->own);
            if (rc) return rc;
            s->dict = s->own;
            break;
        }
        case OP_COALESCE: case OP_IF: {
            int a = nd->op == OP_IF ? nd->kid[1] : nd->kid[0];
            int b = nd->op == OP_IF ? nd->kid[2] : nd->kid[1];
            cs_dict *da = r->slots[a].dict, *db = r->slots[b].dict;
            if (nd->type != CS_TYPE_STR) break;
            /* Branches over one dictionary keep its codes as they are. */
            if (da == db || arm_is_nil(e, a) || arm_is_nil(e, b)) {
                s->dict = arm_is_nil(e, a) ? db : da;
            } else {
                int rc = cs__dict_new(r->eng, &s->own);
                if (rc) return rc;
                s->dict = s->own;
            }
            break;
        }
        }
    }
    return CS_OK;
}

#define V(s, i) ((s)->valid ? (s)->valid[i] : 1)
#define PI64(x) ((const int64_t *)(x)->data)
#define PF64(x) ((const double *)(x)->data)
#define PU32(x) ((const uint32_t *)(x)->data)
#define PU8(x) ((const uint8_t *)(x)->data)
#define PI32(x) ((const int32_t *)(x)->data)
#define OI64(s) ((int64_t *)(void *)(s)->buf)
#define OF64(s) ((double *)(void *)(s)->buf)
#define OU32(s) ((uint32_t *)(void *)(s)->buf)
#define OU8(s) ((uint8_t *)(s)->buf)
#define OI32(s) ((int32_t *)(void *)(s)->buf)

/* ---- kernels: plain loops over restrict arrays ---- */

static void and8(uint8_t *restrict o, const uint8_t *restrict x,
                 const uint8_t *restrict y, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) o[i] = x[i] & y[i];
}

static void or8(uint8_t *restrict o, const uint8_t *restrict x,
                const uint8_t *restrict y, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) o[i] = x[i] | y[i];
}

/* Kleene validity: a valid false (and) or true (or) decides alone.
** WANT is 0 for "and", 1 for "or". */
static void kleene(uint8_t *restrict o, const uint8_t *restrict x,
                   const uint8_t *restrict vx, const uint8_t *restrict y,
                   const uint8_t *restrict vy, uint8_t want, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        o[i] = (uint8_t)((vx[i] & vy[i]) | (vx[i] & (x[i] == want)) |
                         (vy[i] & (y[i] == want)));
}

#define CMP_KERNEL(name, T)                                               \
    static void name(int op, uint8_t *restrict o, const T *restrict x,    \
                     const T *restrict y, size_t n)                       \
    {                                                                     \
        size_t i;                                                         \
        switch (op) {                                                     \
        case OP_EQ: for (i = 0; i < n; i++) o[i] = x[i] == y[i]; break;   \
        case OP_NE: for (i = 0; i < n; i++) o[i] = x[i] != y[i]; break;   \
        case OP_LT: for (i = 0; i < n; i++) o[i] = x[i] < y[i]; break;    \
        case OP_LE: for (i = 0; i < n; i++) o[i] = x[i] <= y[i]; break;   \
        case OP_GT: for (i = 0; i < n; i++) o[i] = x[i] > y[i]; break;    \
        default: for (i = 0; i < n; i++) o[i] = x[i] >= y[i]; break;      \
        }                                                                 \
    }
CMP_KERNEL(cmp_i64, int64_t)
CMP_KERNEL(cmp_f64, double)
CMP_KERNEL(cmp_i32, int32_t)
CMP_KERNEL(cmp_u32, uint32_t)
CMP_KERNEL(cmp_u8, uint8_t)

static void arith_f64(int op, double *restrict o, const double *restrict x,
                      const double *restrict y, size_t n)
{
    size_t i;
    switch (op) {
    case OP_ADD: for (i = 0; i < n; i++) o[i] = x[i] + y[i]; break;
    case OP_SUB: for (i = 0; i < n; i++) o[i] = x[i] - y[i]; break;
    case OP_MUL: for (i = 0; i < n; i++) o[i] = x[i] * y[i]; break;
    case OP_DIV: for (i = 0; i < n; i++) o[i] = x[i] / y[i]; break;
    case OP_IDIV: for (i = 0; i < n; i++) o[i] = floor(x[i] / y[i]); break;
    case OP_POW: for (i = 0; i < n; i++) o[i] = pow(x[i], y[i]); break;
    default:
        /* Lua's float modulo: the sign of the divisor. */
        for (i = 0; i < n; i++) {
            double m = fmod(x[i], y[i]);
            if ((m > 0) ? y[i] < 0 : (m < 0 && y[i] > 0)) m += y[i];
            o[i] = m;
        }
    }
}

/* Wrapping sums and differences with a sign test vectorise; returns
** nonzero when some row overflowed (maybe a null one). */
static uint64_t add_i64(int op, int64_t *restrict o, const int64_t *restrict x,
                        const int64_t *restrict y, size_t n)
{
    uint64_t bad = 0;
    size_t i;
    if (op == OP_ADD) {
        for (i = 0; i < n; i++) {
            uint64_t u = (uint64_t)x[i] + (uint64_t)y[i];
            o[i] = (int64_t)u;
            bad |= ((uint64_t)x[i] ^ u) & ((uint64_t)y[i] ^ u);
        }
    } else {
        for (i = 0; i < n; i++) {
            uint64_t u = (uint64_t)x[i] - (uint64_t)y[i];
            o[i] = (int64_t)u;
            bad |= ((uint64_t)x[i] ^ (uint64_t)y[i]) & ((uint64_t)x[i] ^ u);
        }
    }
    return bad >> 63;
}

static void i64_to_f64(double *restrict o, const int64_t *restrict x, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) o[i] = (double)x[i];
}

static const uint8_t *both(slot *s, const uint8_t *x, const uint8_t *y,
                           size_t n)
{
    if (!x) return y;
    if (!y) return x;
    and8(s->vbuf, x, y, n);
    return s->vbuf;
}

static int ovf_error(run *r, const node *nd, size_t i)
{
    return cs__error(r->eng, CS_EOVERFLOW,
                     "expression '%.*s%s': integer overflow in '%s' "
                     "(row %zu)", QUOTE(r->e->text, r->e->textlen), nd->name,
                     r->off + i + 1);
}

static int range_error(run *r, const node *nd, size_t i)
{
    return cs__error(r->eng, CS_EOVERFLOW,
                     "expression '%.*s%s': '%s' of a value outside the "
                     "int64 range (row %zu)", QUOTE(r->e->text, r->e->textlen),
                     nd->name, r->off + i + 1);
}

static void load_col(run *r, slot *s, cs_type t, size_t n)
{
    const cs_column *col = s->col;
    const uint32_t *sel = s->sel ? s->sel + r->off : NULL;
    size_t i, esz = cs__type_size(t);
    if (!sel) {
        s->data = (const char *)col->data + r->off * esz;
    } else {
        s->data = s->buf;
        switch (esz) {
        case 8: {
            const uint64_t *src = col->data;
            uint64_t *o = (uint64_t *)(void *)s->buf;
            for (i = 0; i < n; i++) o[i] = src[sel[i]];
            break;
        }
        case 4: {
            const uint32_t *src = col->data;
            uint32_t *o = OU32(s);
            for (i = 0; i < n; i++) o[i] = src[sel[i]];
            break;
        }
        default: {
            const uint8_t *src = col->data;
            uint8_t *o = OU8(s);
            for (i = 0; i < n; i++) o[i] = src[sel[i]];
        }
        }
    }
    s->valid = NULL;
    if (col->valid && sel) {
        unsigned acc = 1;
        for (i = 0; i < n; i++) {
            s->vbuf[i] = (uint8_t)cs__bit(col->valid, sel[i]);
            acc &= s->vbuf[i];
        }
        if (!acc) s->valid = s->vbuf;
    } else if (col->valid) {
        /* Blocks start at multiples of 64 rows: expand whole words. */
        const uint64_t *w = col->valid + r->off / 64;
        uint64_t acc = ~(uint64_t)0;
        size_t j;
        for (i = 0; i < n; i += 64) {
            uint64_t bits = w[i / 64];
            size_t m = n - i < 64 ? n - i : 64;
            if (m < 64) bits |= ~(uint64_t)0 << m;
            acc &= bits;
            for (j = 0; j < m; j++) s->vbuf[i + j] = (uint8_t)((bits >> j) & 1);
        }
        if (~acc) s->valid = s->vbuf;
    }
}

static int overflows(int op, int64_t x, int64_t y)
{
    int64_t t;
    switch (op) {
    case OP_ADD: return __builtin_add_overflow(x, y, &t);
    case OP_SUB: return __builtin_sub_overflow(x, y, &t);
    case OP_MUL: return __builtin_mul_overflow(x, y, &t);
    case OP_IDIV: return x == INT64_MIN && y == -1;
    }
    return 0;
}

static int arith_i(run *r, const node *nd, slot *s, const slot *a,
                   const slot *b, size_t n)
{
    const int64_t *x = PI64(a), *y = PI64(b);
    int64_t *o = OI64(s);
    uint64_t bad = 0;
    size_t i;
    s->data = o;
    switch (nd->op) {
    case OP_ADD: case OP_SUB:
        /* The overflowing row is looked for only when some row
        ** overflowed. */
        bad = add_i64(nd->op, o, x, y, n);
        s->valid = both(s, a->valid, b->valid, n);
        break;
    case OP_MUL:
        for (i = 0; i < n; i++) {
            int64_t t;
            bad |= (uint64_t)__builtin_mul_overflow(x[i], y[i], &t);
            o[i] = t;
        }
        s->valid = both(s, a->valid, b->valid, n);
        break;
    default: {
        /* Floor division and modulo as in Lua; a zero divisor gives null
        ** where Lua would raise an error. */
        uint8_t *v = s->vbuf;
        for (i = 0; i < n; i++) {
            int64_t xx = x[i], yy = y[i], q, m;
            v[i] = (uint8_t)(V(a, i) & V(b, i) & (yy != 0));
            if (yy == 0) {
                o[i] = 0;
            } else if (yy == -1) {
                bad |= (uint64_t)(xx == INT64_MIN && nd->op == OP_IDIV);
                o[i] = nd->op == OP_IDIV ? (int64_t)(0 - (uint64_t)xx) : 0;
            } else {
                q = xx / yy;
                m = xx % yy;
                if (m != 0 && (m ^ yy) < 0) {
                    q--;
                    m += yy;
                }
                o[i] = nd->op == OP_IDIV ? q : m;
            }
        }
        s->valid = v;
    }
    }
    if (bad)
        for (i = 0; i < n; i++)
            if (V(s, i) && overflows(nd->op, x[i], y[i]))
                return ovf_error(r, nd, i);
    return CS_OK;
}

static void arith_f(const node *nd, slot *s, const slot *a, const slot *b,
                    size_t n)
{
    const double *x = PF64(a), *y = PF64(b);
    double *o = OF64(s);
    s->data = o;
    s->valid = both(s, a->valid, b->valid, n);
    arith_f64(nd->op, o, x, y, n);
}

/* Compares an int with a float exactly: -1, 0, 1, or 2 when F is NaN. */
static inline int cmp_if(int64_t i, double f)
{
    double fl;
    int64_t k;
    if (f != f) return 2;
    if (f >= 9223372036854775808.0) return -1;
    if (f < -9223372036854775808.0) return 1;
    fl = floor(f);
    k = (int64_t)fl;
    if (i < k) return -1;
    if (i > k) return 1;
    return fl == f ? 0 : -1;
}

/* Whether comparison OP holds for an ordering C (2: unordered). */
static inline uint8_t holds(int op, int c)
{
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c == -1;
    case OP_LE: return c == -1 || c == 0;
    case OP_GT: return c == 1;
    default: return c == 1 || c == 0;
    }
}

static int scmp(const cs_dict *da, uint32_t ca, const cs_dict *db,
                uint32_t cb)
{
    size_t la, lb, m;
    const char *sa = cs__dict_str(da, ca, &la), *sb = cs__dict_str(db, cb, &lb);
    int c;
    m = la < lb ? la : lb;
    c = m ? memcmp(sa, sb, m) : 0;
    if (c) return c < 0 ? -1 : 1;
    return la < lb ? -1 : la > lb;
}

static int compare(run *r, const node *nd, slot *s, const slot *a,
                   const slot *b, size_t n)
{
    const cs_expr *e = r->e;
    cs_type ta = e->nodes[nd->kid[0]].type, tb = e->nodes[nd->kid[1]].type;
    uint8_t *o = OU8(s);
    size_t i;
    s->data = o;
    s->valid = both(s, a->valid, b->valid, n);
    if (ta == CS_TYPE_I64 && tb == CS_TYPE_I64) {
        cmp_i64(nd->op, o, PI64(a), PI64(b), n);
    } else if (ta == CS_TYPE_F64 && tb == CS_TYPE_F64) {
        cmp_f64(nd->op, o, PF64(a), PF64(b), n);
    } else if (ta == CS_TYPE_DATE) {
        cmp_i32(nd->op, o, PI32(a), PI32(b), n);
    } else if (ta == CS_TYPE_BOOL) {
        cmp_u8(nd->op, o, PU8(a), PU8(b), n);
    } else if (ta == CS_TYPE_I64) {
        for (i = 0; i < n; i++)
            o[i] = holds(nd->op, cmp_if(PI64(a)[i], PF64(b)[i]));
    } else if (ta == CS_TYPE_F64) {
        int op = flip(nd->op);
        for (i = 0; i < n; i++)
            o[i] = holds(op, cmp_if(PI64(b)[i], PF64(a)[i]));
    } else {
        /* Strings.  Against a constant: one answer per distinct code. */
        const node *ka = &e->nodes[nd->kid[0]], *kb = &e->nodes[nd->kid[1]];
        const slot *v = a, *c = b;
        int op = nd->op, rc;
        if (ka->op == OP_CONST || kb->op == OP_CONST) {
            const uint32_t *codes;
            if (ka->op == OP_CONST) {
                v = b;
                c = a;
                op = flip(op);
            }
            if ((rc = grow_tab(r->eng, (void **)&s->tab, &s->ntab, 1,
                               v->dict->n)))
                return rc;
            codes = PU32(v);
            if (!v->valid) {
                /* Branch-free when every code met is known already. */
                int8_t unknown = 0;
                for (i = 0; i < n; i++) {
                    int8_t t = s->tab[codes[i]];
                    o[i] = (uint8_t)t;
                    unknown |= t;
                }
                if (unknown >= 0) return CS_OK;
            }
            for (i = 0; i < n; i++) {
                uint32_t code = codes[i];
                int8_t t;
                if (!V(v, i)) {
                    o[i] = 0;
                    continue;
                }
                t = s->tab[code];
                if (t < 0) {
                    t = (int8_t)holds(op, scmp(v->dict, code, c->dict, 0));
                    s->tab[code] = t;
                }
                o[i] = (uint8_t)t;
            }
        } else if (a->dict == b->dict && (op == OP_EQ || op == OP_NE)) {
            /* Codes of one dictionary are equal only for equal text. */
            cmp_u32(op, o, PU32(a), PU32(b), n);
        } else {
            for (i = 0; i < n; i++)
                o[i] = V(s, i) ? holds(op, scmp(a->dict, PU32(a)[i], b->dict,
                                                PU32(b)[i]))
                               : 0;
        }
    }
    return CS_OK;
}

static int in_eval(run *r, const node *nd, slot *s, const slot *a, size_t n)
{
    cs_type t = r->e->nodes[nd->kid[0]].type;
    uint8_t *o = OU8(s), neg = nd->op == OP_NOTIN;
    size_t i, k;
    memset(o, 0, n);
    switch (t) {
    case CS_TYPE_F64:
        for (k = 0; k < nd->nlist; k++)
            for (i = 0; i < n; i++) o[i] |= PF64(a)[i] == nd->lf[k];
        break;
    case CS_TYPE_I64:
        for (k = 0; k < nd->nlist; k++)
            for (i = 0; i < n; i++) o[i] |= PI64(a)[i] == nd->li[k];
        break;
    case CS_TYPE_DATE:
        for (k = 0; k < nd->nlist; k++)
            for (i = 0; i < n; i++) o[i] |= PI32(a)[i] == nd->li[k];
        break;
    case CS_TYPE_BOOL:
        for (k = 0; k < nd->nlist; k++)
            for (i = 0; i < n; i++) o[i] |= PU8(a)[i] == nd->li[k];
        break;
    default: {
        int rc = grow_tab(r->eng, (void **)&s->tab, &s->ntab, 1, a->dict->n);
        int8_t unknown = 0;
        if (rc) return rc;
        if (!a->valid) {
            for (i = 0; i < n; i++) {
                int8_t known = s->tab[PU32(a)[i]];
                o[i] = (uint8_t)known;
                unknown |= known;
            }
            if (unknown >= 0) break;
        }
        for (i = 0; i < n; i++) {
            uint32_t code = PU32(a)[i];
            if (!V(a, i)) continue;
            if (s->tab[code] < 0) {
                size_t len;
                const char *str = cs__dict_str(a->dict, code, &len);
                uint32_t dummy;
                s->tab[code] =
                    (int8_t)cs__dict_find(nd->ldict, str, len, &dummy);
            }
            o[i] = (uint8_t)s->tab[code];
        }
    }
    }
    if (nd->lnil) {
        /* Not found in a list holding nil: unknown, as in SQL. */
        for (i = 0; i < n; i++) s->vbuf[i] = (uint8_t)(V(a, i) & o[i]);
        s->valid = s->vbuf;
    } else {
        s->valid = a->valid;
    }
    if (neg)
        for (i = 0; i < n; i++) o[i] ^= 1;
    s->data = o;
    return CS_OK;
}

/* Appends the text of row I of slot X (of type T) to B, as Lua's
** tostring would write it. */
static int add_piece(cs_buf *b, const slot *x, cs_type t, size_t i)
{
    char num[40];
    size_t len;
    const char *str;
    switch (t) {
    case CS_TYPE_STR:
        str = cs__dict_str(x->dict, PU32(x)[i], &len);
        return cs__buf_add(b, str, len);
    case CS_TYPE_I64:
        snprintf(num, sizeof num, "%lld", (long long)PI64(x)[i]);
        break;
    case CS_TYPE_F64: {
        double f = PF64(x)[i];
        if (f != f) snprintf(num, sizeof num, "%s", "nan");
        else if (isinf(f))
            snprintf(num, sizeof num, "%s", f > 0 ? "inf" : "-inf");
        else {
            int k = snprintf(num, sizeof num, "%.14g", f);
            if (strspn(num, "-0123456789") == (size_t)k)
                snprintf(num + k, sizeof num - (size_t)k, ".0");
        }
        break;
    }
    default:
        cs_date_format(PI32(x)[i], num);
        break;
    }
    return cs__buf_add(b, num, strlen(num));
}

/* Interns text T (valid UTF-8) in D, normalising it first when it is not
** ASCII (joining two NFC strings need not give NFC). */
static int intern_nfc(run *r, cs_dict *d, const cs_buf *t, uint32_t *code)
{
    int rc;
    if (cs__is_ascii(t->p, t->len))
        return cs__dict_intern(d, t->p, t->len, code);
    if ((rc = cs__nfc(r->eng, t->p, t->len, &r->t2))) return rc;
    return cs__dict_intern(d, r->t2.p, r->t2.len, code);
}

/* Where KEY is, or would go, in S's table of code pairs. */
static size_t pair_find(const slot *s, uint64_t key)
{
    size_t mask = s->pcap - 1;
    size_t h = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & mask;
    while (s->pkey[h] != key && s->pkey[h] != UINT64_MAX) h = (h + 1) & mask;
    return h;
}

/* Keeps S's pair table at most half full. */
static int pair_room(run *r, slot *s)
{
    size_t ncap = s->pcap ? s->pcap * 2 : 1024, k, oc = s->pcap;
    uint64_t *ok = s->pkey;
    uint32_t *ov = s->pval;
    if (s->pcap && (s->pn + 1) * 2 <= s->pcap) return CS_OK;
    s->pkey = cs__alloc(r->eng, ncap * sizeof *s->pkey);
    s->pval = cs__alloc(r->eng, ncap * sizeof *s->pval);
    if (!s->pkey || !s->pval) {
        cs__free(r->eng, s->pkey, ncap * sizeof *s->pkey);
        cs__free(r->eng, s->pval, ncap * sizeof *s->pval);
        s->pkey = ok;
        s->pval = ov;
        return cs__oom(r->eng);
    }
    memset(s->pkey, 0xFF, ncap * sizeof *s->pkey);
    s->pcap = ncap;
    for (k = 0; k < oc; k++)
        if (ok[k] != UINT64_MAX) {
            size_t h = pair_find(s, ok[k]);
            s->pkey[h] = ok[k];
            s->pval[h] = ov[k];
        }
    cs__free(r->eng, ok, oc * sizeof *ok);
    cs__free(r->eng, ov, oc * sizeof *ov);
    return CS_OK;
}

/* a .. b.  Two strings are joined once per distinct pair of codes. */
static int concat(run *r, const node *nd, slot *s, const slot *a,
                  const slot *b, size_t n)
{
    cs_type ta = r->e->nodes[nd->kid[0]].type;
    cs_type tb = r->e->nodes[nd->kid[1]].type;
    int pairs = ta == CS_TYPE_STR && tb == CS_TYPE_STR;
    uint32_t *o = OU32(s);
    size_t i, h = 0;
    int rc;
    s->data = o;
    s->valid = both(s, a->valid, b->valid, n);
    for (i = 0; i < n; i++) {
        uint64_t key = 0;
        size_t mid;
        o[i] = 0;
        if (!V(s, i)) continue;
        if (pairs) {
            key = (uint64_t)PU32(a)[i] << 32 | PU32(b)[i];
            if ((rc = pair_room(r, s))) return rc;
            h = pair_find(s, key);
            if (s->pkey[h] == key) {
                o[i] = s->pval[h];
                continue;
            }
        }
        r->t1.len = 0;
        if ((rc = add_piece(&r->t1, a, ta, i))) return rc;
        mid = r->t1.len;
        if ((rc = add_piece(&r->t1, b, tb, i)) ||
            (rc = cs__buf_reserve(&r->t1, 0)))
            return rc;
        /* Both pieces are NFC; so is their join when the second starts
        ** with ASCII (a starter that composes with nothing before it). */
        if (mid == 0 || mid == r->t1.len ||
            (unsigned char)r->t1.p[mid] < 0x80)
            rc = cs__dict_intern(s->own, r->t1.p, r->t1.len, &o[i]);
        else
            rc = intern_nfc(r, s->own, &r->t1, &o[i]);
        if (rc) return rc;
        if (pairs) {
            s->pkey[h] = key;
            s->pval[h] = o[i];
            s->pn++;
        }
    }
    return CS_OK;
}

/* Maps code C of X's dictionary to the code of the same text in S's
** (lower/upper: of the text's case mapping) the first time C is met;
** map_code() then reads the map. */
static int map_fill(run *r, const node *nd, slot *s, int arm, const slot *x,
                    uint32_t c, uint32_t *out)
{
    uint32_t *m = s->map[arm];
    size_t len, j;
    const char *str;
    int rc;
    str = cs__dict_str(x->dict, c, &len);
    r->t1.len = 0;
    if (nd->op == OP_NAME_KEY) {
        char *key;
        size_t klen;
        if ((rc = cs_text_name_key(r->eng, str, len, 0, &key, &klen))) return rc;
        /* A key is NFC: its words are recomposed, its tones ASCII. */
        rc = cs__dict_intern(s->own, key, klen, &m[c]);
        cs_free_str(r->eng, key);
    } else if (nd->op != OP_LOWER && nd->op != OP_UPPER) {
        rc = cs__dict_intern(s->own, str, len, &m[c]);
    } else if (cs__is_ascii(str, len)) {
        if ((rc = cs__buf_add(&r->t1, str, len))) return rc;
        for (j = 0; j < len; j++) {
            char ch = r->t1.p[j];
            if (nd->op == OP_LOWER && ch >= 'A' && ch <= 'Z') ch += 32;
            if (nd->op == OP_UPPER && ch >= 'a' && ch <= 'z') ch -= 32;
            r->t1.p[j] = ch;
        }
        rc = cs__dict_intern(s->own, r->t1.p, len, &m[c]);
    } else {
        /* Per code point simple case mapping (casefolding is not
        ** lowercasing), then NFC again. */
        const utf8proc_uint8_t *u = (const utf8proc_uint8_t *)str;
        utf8proc_ssize_t k = 0, step;
        while ((size_t)k < len) {
            utf8proc_int32_t cp;
            utf8proc_uint8_t enc[4];
            step = utf8proc_iterate(u + k, (utf8proc_ssize_t)len - k, &cp);
            if (step <= 0)
                return cs__error(r->eng, CS_EENCODING, "invalid UTF-8");
            k += step;
            cp = nd->op == OP_LOWER ? utf8proc_tolower(cp)
                                    : utf8proc_toupper(cp);
            if ((rc = cs__buf_add(&r->t1, (const char *)enc,
                                  (size_t)utf8proc_encode_char(cp, enc))))
                return rc;
        }
        if ((rc = cs__buf_reserve(&r->t1, 0))) return rc;
        rc = intern_nfc(r, s->own, &r->t1, &m[c]);
    }
    if (rc) return rc;
    *out = m[c];
    return CS_OK;
}

/* Makes room in S's map for arm ARM for every code of X's dictionary;
** once a block, before map_code. */
static int map_room(run *r, slot *s, int arm, const slot *x)
{
    if (!x->dict) return CS_OK;   /* a nil branch has no codes */
    return grow_tab(r->eng, (void **)&s->map[arm], &s->nmap[arm],
                    sizeof(uint32_t), x->dict->n);
}

static inline int map_code(run *r, const node *nd, slot *s, int arm,
                           const slot *x, uint32_t c, uint32_t *out)
{
    uint32_t v = s->map[arm][c];
    if (v == UINT32_MAX) return map_fill(r, nd, s, arm, x, c, out);
    *out = v;
    return CS_OK;
}

#define PICK_KERNEL(name, T)                                              \
    /* NOLINTBEGIN(bugprone-macro-parentheses): T is a type. */           \
    static void name(T *restrict o, const uint8_t *restrict take,         \
                     const T *restrict x, const T *restrict y, size_t n)  \
    /* NOLINTEND(bugprone-macro-parentheses) */                           \
    {                                                                     \
        size_t i;                                                         \
        for (i = 0; i < n; i++) o[i] = take[i] ? x[i] : y[i];             \
    }
PICK_KERNEL(pick64, uint64_t)
PICK_KERNEL(pick32, uint32_t)
PICK_KERNEL(pick8, uint8_t)

/* coalesce(a, b) and if(c, a, b): TAKE[i] says whether row I comes from
** A or from B; strings from two dictionaries are mapped into S's own. */
static int choose(run *r, const node *nd, slot *s, const slot *a,
                  const slot *b, const uint8_t *take, size_t n)
{
    uint8_t *v = s->vbuf, ones[BLOCK];
    size_t i;
    int rc;
    if (!a->valid && !b->valid) {
        s->valid = NULL;
        memset(v, 1, n);
    } else {
        if (!a->valid || !b->valid) memset(ones, 1, n);
        pick8(v, take, a->valid ? a->valid : ones,
              b->valid ? b->valid : ones, n);
        s->valid = v;
    }
    s->data = s->buf;
    switch (nd->type) {
    case CS_TYPE_I64: case CS_TYPE_F64:
        pick64((uint64_t *)(void *)s->buf, take, a->data, b->data, n);
        break;
    case CS_TYPE_DATE:
        pick32(OU32(s), take, a->data, b->data, n);
        break;
    case CS_TYPE_BOOL:
        pick8(OU8(s), take, a->data, b->data, n);
        break;
    default: {
        uint32_t *o = OU32(s);
        if (!s->own) {
            pick32(o, take, a->data, b->data, n);
            break;
        }
        if ((rc = map_room(r, s, 0, a)) || (rc = map_room(r, s, 1, b)))
            return rc;
        for (i = 0; i < n; i++) {
            o[i] = 0;
            if (!v[i]) continue;
            if (take[i]) rc = map_code(r, nd, s, 0, a, PU32(a)[i], &o[i]);
            else rc = map_code(r, nd, s, 1, b, PU32(b)[i], &o[i]);
            if (rc) return rc;
        }
    }
    }
    return CS_OK;
}

/* Neri and Schneider's calendar conversion ("Euclidean affine functions
** and their application to calendar algorithms", 2022): multiplications
** and shifts only, so it vectorises.  Exact for days in [NS_MIN,
** NS_MAX]; returns nonzero when some day is outside, and the caller
** falls back to cs__civil() for the block. */
#define NS_K (719468u + 146097u * 82u)
#define NS_MIN (-(int64_t)NS_K)
#define NS_MAX ((int64_t)1073741823 - (int64_t)NS_K)

static int ymd_fast(int op, int64_t *restrict o, const int32_t *restrict days,
                    size_t n)
{
    uint32_t out = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t nn = (uint32_t)days[i] + NS_K;
        uint32_t n1 = 4 * nn + 3, c = n1 / 146097, nc = n1 % 146097 / 4;
        uint64_t p2 = (uint64_t)2939745 * (4 * nc + 3);
        uint32_t z = (uint32_t)(p2 >> 32);
        uint32_t ny = (uint32_t)p2 / 2939745 / 4;
        uint32_t n3 = 2141 * ny + 197913, j = ny >= 306;
        int64_t v;
        if (op == OP_YEAR) v = (int64_t)(100 * c + z) - 400 * 82 + j;
        else if (op == OP_MONTH) v = (int64_t)((n3 >> 16) - 12 * j);
        else v = (int64_t)((n3 & 0xFFFF) / 2141) + 1;
        o[i] = v;
        out |= (uint32_t)(days[i] < NS_MIN) | (uint32_t)(days[i] > NS_MAX);
    }
    return out != 0;
}

/* From 1901 to 2099 every fourth year is a leap year, so the year of
** day D (days since 1901-01-01) is 1901 + (4 D + 3) / 1461: one
** multiplication where the general conversion takes several.  Returns
** nonzero when some day is outside those years. */
#define D1901 (-25202)          /* 1901-01-01 */
#define D2099 47481             /* 2099-12-31 */

static int year_fast(int64_t *restrict o, const int32_t *restrict days,
                     size_t n)
{
    uint32_t out = 0;
    size_t i;
    for (i = 0; i < n; i++) {
        uint32_t d = (uint32_t)days[i] - (uint32_t)D1901;
        out |= (uint32_t)(d > (uint32_t)(D2099 - D1901));
        o[i] = 1901 + (int64_t)((4 * d + 3) / 1461);
    }
    return out != 0;
}

static int funcs(run *r, const node *nd, slot *s, const slot *a, size_t n)
{
    size_t i;
    int rc;
    uint64_t bad = 0;
    s->valid = a->valid;
    s->data = s->buf;
    switch (nd->op) {
    case OP_ABS:
        if (nd->type == CS_TYPE_F64) {
            for (i = 0; i < n; i++) OF64(s)[i] = fabs(PF64(a)[i]);
            break;
        }
        for (i = 0; i < n; i++) {
            int64_t x = PI64(a)[i];
            bad |= (uint64_t)(x == INT64_MIN) & V(a, i);
            OI64(s)[i] = x < 0 ? (int64_t)(0 - (uint64_t)x) : x;
        }
        if (bad)
            for (i = 0; i < n; i++)
                if (V(a, i) && PI64(a)[i] == INT64_MIN)
                    return ovf_error(r, nd, i);
        break;
    case OP_ROUND:
        if (nd->type == CS_TYPE_F64) {
            double sc = pow(10, nd->digits);
            for (i = 0; i < n; i++)
                OF64(s)[i] = nd->digits ? round(PF64(a)[i] * sc) / sc
                                        : round(PF64(a)[i]);
        } else if (nd->digits >= 0) {
            s->data = a->data;
        } else {
            /* Halves round away from zero, as for floats. */
            int64_t p = 1, q, m;
            int j;
            for (j = 0; j < -nd->digits; j++) p *= 10;
            for (i = 0; i < n; i++) {
                q = PI64(a)[i] / p;
                m = PI64(a)[i] % p;
                if (m >= p / 2) q++;
                else if (m <= -p / 2) q--;
                if (__builtin_mul_overflow(q, p, &OI64(s)[i]) && V(a, i))
                    return ovf_error(r, nd, i);
            }
        }
        break;
    case OP_FLOOR: case OP_CEIL:
        if (r->e->nodes[nd->kid[0]].type == CS_TYPE_I64) {
            s->data = a->data;
            break;
        }
        for (i = 0; i < n; i++) {
            double f = nd->op == OP_FLOOR ? floor(PF64(a)[i])
                                          : ceil(PF64(a)[i]);
            int ok = f >= -9223372036854775808.0 && f < 9223372036854775808.0;
            OI64(s)[i] = ok ? (int64_t)f : 0;
            if (!ok && V(a, i)) return range_error(r, nd, i);
        }
        break;
    case OP_YEAR: case OP_MONTH: case OP_DAY:
        if (nd->op == OP_YEAR && !year_fast(OI64(s), PI32(a), n)) break;
        if (!ymd_fast(nd->op, OI64(s), PI32(a), n)) break;
        for (i = 0; i < n; i++) {
            int64_t y, m, d;
            cs__civil(PI32(a)[i], &y, &m, &d);
            OI64(s)[i] = nd->op == OP_YEAR ? y : nd->op == OP_MONTH ? m : d;
        }
        break;
    case OP_LEN:
        if ((rc = grow_tab(r->eng, (void **)&s->itab, &s->nitab,
                           sizeof *s->itab, a->dict->n)))
            return rc;
        for (i = 0; i < n; i++) {
            uint32_t c = PU32(a)[i];
            OI64(s)[i] = 0;
            if (!V(a, i)) continue;
            if (s->itab[c] < 0) {
                size_t len, j;
                int64_t cps = 0;
                const char *str = cs__dict_str(a->dict, c, &len);
                for (j = 0; j < len; j++)
                    cps += ((unsigned char)str[j] & 0xC0) != 0x80;
                s->itab[c] = cps;
            }
            OI64(s)[i] = s->itab[c];
        }
        break;
    default: /* lower, upper, name_key */
        if ((rc = map_room(r, s, 0, a))) return rc;
        for (i = 0; i < n; i++) {
            OU32(s)[i] = 0;
            if (V(a, i) &&
                (rc = map_code(r, nd, s, 0, a, PU32(a)[i], &OU32(s)[i])))
                return rc;
        }
    }
    return CS_OK;
}

/* Evaluates node K over the block of N rows at r->off. */
static int ev1(run *r, const node *nd, slot *s, size_t n);

static int ev(run *r, int k, size_t n)
{
    const node *nd = &r->e->nodes[k];
    slot *s = &r->slots[k];
    int rc;
    if (nd->op == OP_CONST) return CS_OK;
    /* A rewrite (year(d) == 2023) may share a node between two parents:
    ** compute it once a block. */
    if (s->block == r->block) return CS_OK;
    if ((rc = ev1(r, nd, s, n))) return rc;
    s->block = r->block;
    return CS_OK;
}

/* Evaluates node ND's kids, then ND itself, for the block of N rows. */
static int ev1(run *r, const node *nd, slot *s, size_t n)
{
    slot *a = NULL, *b = NULL, *c = NULL;
    size_t i;
    int rc;
    if (nd->op == OP_COL) {
        load_col(r, s, nd->type, n);
        return CS_OK;
    }
    if (nd->kid[0] >= 0) {
        if ((rc = ev(r, nd->kid[0], n))) return rc;
        a = &r->slots[nd->kid[0]];
    }
    if (nd->kid[1] >= 0) {
        if ((rc = ev(r, nd->kid[1], n))) return rc;
        b = &r->slots[nd->kid[1]];
    }
    if (nd->kid[2] >= 0) {
        if ((rc = ev(r, nd->kid[2], n))) return rc;
        c = &r->slots[nd->kid[2]];
    }
    /* Compiling gave each operator its operands in order (A, B, then C):
    ** the asserts state it for the reader and the analyzer. */
    switch (nd->op) {
    case OP_NEG:
        assert(a);
        s->valid = a->valid;
        s->data = s->buf;
        if (nd->type == CS_TYPE_F64) {
            for (i = 0; i < n; i++) OF64(s)[i] = -PF64(a)[i];
        } else {
            uint64_t bad = 0;
            for (i = 0; i < n; i++) {
                OI64(s)[i] = (int64_t)(0 - (uint64_t)PI64(a)[i]);
                bad |= (uint64_t)(PI64(a)[i] == INT64_MIN);
            }
            if (bad)
                for (i = 0; i < n; i++)
                    if (V(a, i) && PI64(a)[i] == INT64_MIN)
                        return ovf_error(r, nd, i);
        }
        return CS_OK;
    case OP_NOT:
        assert(a);
        for (i = 0; i < n; i++) OU8(s)[i] = PU8(a)[i] ^ 1;
        s->valid = a->valid;
        s->data = s->buf;
        return CS_OK;
    case OP_TOF:
        assert(a);
        i64_to_f64(OF64(s), PI64(a), n);
        s->valid = a->valid;
        s->data = s->buf;
        return CS_OK;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_IDIV:
    case OP_MOD: case OP_POW:
        assert(a && b);
        if (nd->type == CS_TYPE_I64) return arith_i(r, nd, s, a, b, n);
        arith_f(nd, s, a, b, n);
        return CS_OK;
    case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
        assert(a && b);
        return compare(r, nd, s, a, b, n);
    case OP_CONCAT:
        assert(a && b);
        return concat(r, nd, s, a, b, n);
    case OP_AND: case OP_OR: {
        const uint8_t *x, *y;
        uint8_t *o = OU8(s), ones[BLOCK];
        int isand = nd->op == OP_AND;
        assert(a && b);
        x = PU8(a);
        y = PU8(b);
        if (isand) and8(o, x, y, n);
        else or8(o, x, y, n);
        s->data = o;
        if (!a->valid && !b->valid) {
            s->valid = NULL;
            return CS_OK;
        }
        /* Kleene: a known false decides "and", a known true "or". */
        if (!a->valid || !b->valid) memset(ones, 1, n);
        kleene(s->vbuf, x, a->valid ? a->valid : ones, y,
               b->valid ? b->valid : ones, (uint8_t)!isand, n);
        s->valid = s->vbuf;
        return CS_OK;
    }
    case OP_ISNULL: case OP_NOTNULL: {
        uint8_t *o = OU8(s);
        uint8_t isn = nd->op == OP_ISNULL;
        assert(a);
        for (i = 0; i < n; i++) o[i] = (uint8_t)((V(a, i) ^ 1) ^ (isn ^ 1));
        s->data = o;
        s->valid = NULL;
        return CS_OK;
    }
    case OP_IN: case OP_NOTIN:
        assert(a);
        return in_eval(r, nd, s, a, n);
    case OP_COALESCE: {
        uint8_t take[BLOCK];
        assert(a && b);
        if (a->valid) return choose(r, nd, s, a, b, a->valid, n);
        memset(take, 1, n);
        return choose(r, nd, s, a, b, take, n);
    }
    case OP_IF: {
        uint8_t take[BLOCK];
        assert(a && b && c);
        /* A null condition picks the else branch, as CASE WHEN does. */
        if (!a->valid) return choose(r, nd, s, b, c, PU8(a), n);
        and8(take, PU8(a), a->valid, n);
        return choose(r, nd, s, b, c, take, n);
    }
    default:
        return funcs(r, nd, s, a, n);
    }
}

/* Looks at the interrupt flag every other block. */
static int check_block(run *r, size_t done)
{
    if ((done / BLOCK) % 2 == 0) return cs__check_interrupt(r->eng);
    return CS_OK;
}

/* Bounds of node K's non-null int64 or date values over DS, from its
** columns' bounds (remembered by them) and interval arithmetic: 1 when
** known ([*LO, *HI], empty when *LO > *HI), 0 when not.  A group-by on
** the result then needs no pass of its own. */
static int node_bounds(const cs_expr *e, int k, const cs_dataset *ds,
                       int64_t *lo, int64_t *hi)
{
    const node *nd = &e->nodes[k];
    int64_t a0, a1, b0, b1, p[4];
    int y, m, d, j;
    *lo = INT64_MAX;
    *hi = INT64_MIN;
    switch (nd->op) {
    case OP_COL: {
        const uint32_t *sel;
        const cs_column *col = cs__dataset_base(ds, nd->col, &sel);
        if (col->type != CS_TYPE_I64 && col->type != CS_TYPE_DATE) return 0;
        cs__column_range(col, NULL, 0, lo, hi);
        return 1;
    }
    case OP_CONST:
        if (nd->type != CS_TYPE_I64 && nd->type != CS_TYPE_DATE) return 0;
        if (!nd->isnull) *lo = *hi = nd->i;
        return 1;
    case OP_MONTH:
        *lo = 1, *hi = 12;
        return 1;
    case OP_DAY:
        *lo = 1, *hi = 31;
        return 1;
    case OP_YEAR:
        if (!node_bounds(e, nd->kid[0], ds, &a0, &a1)) return 0;
        if (a0 > a1) return 1;
        cs_date_ymd((int32_t)a0, &y, &m, &d);
        *lo = y;
        cs_date_ymd((int32_t)a1, &y, &m, &d);
        *hi = y;
        return 1;
    case OP_NEG:
        if (nd->type != CS_TYPE_I64 ||
            !node_bounds(e, nd->kid[0], ds, &a0, &a1))
            return 0;
        if (a0 > a1) return 1;
        if (a0 == INT64_MIN) return 0;
        *lo = -a1;
        *hi = -a0;
        return 1;
    case OP_ADD: case OP_SUB: case OP_MUL:
        if (nd->type != CS_TYPE_I64 ||
            e->nodes[nd->kid[0]].type != CS_TYPE_I64 ||
            e->nodes[nd->kid[1]].type != CS_TYPE_I64 ||
            !node_bounds(e, nd->kid[0], ds, &a0, &a1) ||
            !node_bounds(e, nd->kid[1], ds, &b0, &b1))
            return 0;
        if (a0 > a1 || b0 > b1) return 1;
        if (nd->op == OP_ADD)
            return !__builtin_add_overflow(a0, b0, lo) &&
                   !__builtin_add_overflow(a1, b1, hi);
        if (nd->op == OP_SUB)
            return !__builtin_sub_overflow(a0, b1, lo) &&
                   !__builtin_sub_overflow(a1, b0, hi);
        if (__builtin_mul_overflow(a0, b0, &p[0]) ||
            __builtin_mul_overflow(a0, b1, &p[1]) ||
            __builtin_mul_overflow(a1, b0, &p[2]) ||
            __builtin_mul_overflow(a1, b1, &p[3]))
            return 0;
        for (j = 0; j < 4; j++) {
            *lo = p[j] < *lo ? p[j] : *lo;
            *hi = p[j] > *hi ? p[j] : *hi;
        }
        return 1;
    case OP_COALESCE: case OP_IF: {
        /* Either value: the union of both. */
        int x = nd->op == OP_IF ? 1 : 0;
        if (!node_bounds(e, nd->kid[x], ds, &a0, &a1) ||
            !node_bounds(e, nd->kid[x + 1], ds, &b0, &b1))
            return 0;
        *lo = a0 < b0 ? a0 : b0;
        *hi = a1 > b1 ? a1 : b1;
        return 1;
    }
    default:
        return 0;
    }
}

/* Appends the root's block of N values to COL (reserved), zeroing the
** values of null rows as cs_column_push_null does. */
static int put_block(cs_column *col, const slot *s, cs_type t, size_t n)
{
    size_t esz = cs__type_size(t), i, len = col->len;
    char *dst = (char *)col->data + len * esz;
    memcpy(dst, s->data, n * esz);
    if (s->valid) {
        if (!col->valid) {
            size_t bytes = (col->cap + 63) / 64 * sizeof(uint64_t);
            col->valid = cs__alloc(col->eng, bytes);
            if (!col->valid) return cs__oom(col->eng);
            col->vcap = col->cap;
            memset(col->valid, 0, bytes);
            for (i = 0; i < len; i++)
                col->valid[i >> 6] |= (uint64_t)1 << (i & 63);
        }
        /* LEN is a multiple of BLOCK, so whole words are written. */
        for (i = 0; i < n; i += 64) {
            size_t m = n - i < 64 ? n - i : 64, j;
            uint64_t w = 0;
            for (j = 0; j < m; j++) w |= (uint64_t)(s->valid[i + j] & 1) << j;
            col->valid[(len + i) >> 6] = w;
            col->nnull += m - (size_t)__builtin_popcountll(w);
            if (w != (m == 64 ? ~(uint64_t)0 : ((uint64_t)1 << m) - 1))
                for (j = 0; j < m; j++)
                    if (!((w >> j) & 1)) memset(dst + (i + j) * esz, 0, esz);
        }
    } else if (col->valid) {
        for (i = 0; i < n; i += 64) {
            size_t m = n - i < 64 ? n - i : 64;
            col->valid[(len + i) >> 6] =
                m == 64 ? ~(uint64_t)0 : ((uint64_t)1 << m) - 1;
        }
    }
    col->len += n;
    return CS_OK;
}

int cs_expr_eval(const cs_expr *e, const cs_dataset *ds, cs_column **out)
{
    const node *root = &e->nodes[e->root];
    cs_column *col = NULL;
    size_t nrows = ds->nrows, off;
    int64_t lo, hi;
    run r;
    int rc;
    *out = NULL;
    rc = run_open(&r, e, ds);
    if (rc) goto done;
    if (root->op == OP_COL) {
        /* A bare column is shared (dense) or gathered (view), not copied
        ** through the blocks. */
        if (!ds->sel) {
            *out = cs_column_retain(ds->cols[root->col]);
        } else {
            rc = cs__column_gather(ds->cols[root->col], NULL, ds->sel->rows,
                                   ds->sel->n, out);
        }
        goto done;
    }
    if ((rc = cs_column_new(ds->eng, root->type, &col))) goto done;
    if (root->type == CS_TYPE_STR) {
        cs_dict *d = r.slots[e->root].dict;
        cs__dict_release(col->dict);
        col->dict = d;
        cs__dict_retain(d);
    }
    if ((rc = cs_column_reserve(col, nrows))) goto done;
    for (off = 0; off < nrows; off += BLOCK) {
        size_t n = nrows - off < BLOCK ? nrows - off : BLOCK;
        r.off = off;
        r.block = off / BLOCK + 1;
        if ((rc = check_block(&r, off)) || (rc = ev(&r, e->root, n)) ||
            (rc = put_block(col, &r.slots[e->root], root->type, n)))
            goto done;
    }
    if ((root->type == CS_TYPE_I64 || root->type == CS_TYPE_DATE) &&
        node_bounds(e, e->root, ds, &lo, &hi)) {
        col->lo = lo;
        col->hi = hi;
        col->ranged = 1;
    }
    *out = col;
    col = NULL;
done:
    cs_column_release(col);
    run_close(&r);
    return rc;
}

/* Packs the kept rows of a block (V true and VALID) into bits.  Eight
** 0/1 bytes become eight bits with one multiplication. */
static size_t pack_bits(uint64_t *restrict words, const uint8_t *restrict v,
                        const uint8_t *restrict valid, size_t n)
{
    size_t i, j, kept = 0;
    for (i = 0; i < n; i += 64) {
        size_t m = n - i < 64 ? n - i : 64;
        uint64_t w = 0;
        if (m == 64) {
            for (j = 0; j < 64; j += 8) {
                uint64_t x, y;
                memcpy(&x, v + i + j, 8);
                if (valid) {
                    memcpy(&y, valid + i + j, 8);
                    x &= y;
                }
                x &= 0x0101010101010101ull;
                w |= ((x * 0x0102040810204080ull) >> 56) << j;
            }
        } else {
            for (j = 0; j < m; j++)
                w |= (uint64_t)(v[i + j] & (valid ? valid[i + j] : 1) & 1)
                     << j;
        }
        words[i / 64] = w;
        kept += (size_t)__builtin_popcountll(w);
    }
    return kept;
}

int cs__expr_filter(const cs_expr *e, const cs_dataset *ds, cs_sel **out)
{
    cs_engine *eng = ds->eng;
    size_t nrows = ds->nrows, off, m = 0, k = 0, nwords = (nrows + 63) / 64;
    size_t base = ds->ncols ? ds->cols[0]->len : nrows;
    const uint32_t *sel = ds->sel ? ds->sel->rows : NULL;
    uint64_t *bits;
    cs_sel *res = NULL;
    run r;
    int rc;
    *out = NULL;
    if (cs_expr_type(e) != CS_TYPE_BOOL)
        return cs__error(eng, CS_ETYPE,
                         "filter condition '%.*s%s' is %s, not bool",
                         QUOTE(e->text, e->textlen),
                         cs_type_name(cs_expr_type(e)));
    if (base > UINT32_MAX)
        return cs__error(eng, CS_EOVERFLOW, "views need fewer than 2^32 rows");
    /* Two passes: the kept rows as bits (a bit a row), then the exact
    ** selection, so no growing array is copied or over-allocated. */
    bits = cs__alloc(eng, (nwords ? nwords : 1) * sizeof *bits);
    if (!bits) return cs__oom(eng);
    rc = run_open(&r, e, ds);
    for (off = 0; !rc && off < nrows; off += BLOCK) {
        size_t n = nrows - off < BLOCK ? nrows - off : BLOCK;
        const slot *s = &r.slots[e->root];
        r.off = off;
        r.block = off / BLOCK + 1;
        if ((rc = check_block(&r, off)) || (rc = ev(&r, e->root, n))) break;
        m += pack_bits(bits + off / 64, s->data, s->valid, n);
    }
    run_close(&r);
    if (!rc) rc = cs__sel_new(eng, m, &res);
    if (!rc) {
        uint32_t *rows = res->rows;
        for (off = 0; off < nwords; off++) {
            uint64_t w = bits[off];
            while (w) {
                size_t row = off * 64 + (size_t)__builtin_ctzll(w);
                rows[k++] = sel ? sel[row] : (uint32_t)row;
                w &= w - 1;
            }
        }
        *out = res;
    }
    cs__free(eng, bits, (nwords ? nwords : 1) * sizeof *bits);
    return rc;
}
