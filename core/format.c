/*
** format.c: datasets as aligned text tables, for print() and the CLI.
** Widths are display widths (Vietnamese letters with combining marks take
** one cell); long cells are cut at a code point with "…"; when the table
** is wider than asked, middle columns give way to a "…" column.
*/
#include "csint.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CELL 40      /* display cells of the widest column */
#define ELLIPSIS "\xE2\x80\xA6"
#define NULL_MARK "\xE2\x88\x85"  /* ∅ */
#define RULE "\xE2\x94\x80"       /* ─ */

void cs__format_double(double v, char *buf, size_t size)
{
    int prec;
    if (isnan(v)) {
        snprintf(buf, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v > 0 ? "Inf" : "-Inf");
        return;
    }
    for (prec = 15; prec <= 17; prec++) {
        char *end;
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, &end) == v) break;
    }
}

/* Appends the text of a cell (no padding) to B. */
static int cell_text(const cs_column *col, size_t row, cs_buf *b)
{
    cs_value v;
    char tmp[64];
    size_t i;
    cs_column_get(col, row, &v);
    if (v.isnull) return cs__buf_add(b, NULL_MARK, strlen(NULL_MARK));
    switch (v.type) {
    case CS_TYPE_I64:
        snprintf(tmp, sizeof tmp, "%lld", (long long)v.u.i);
        break;
    case CS_TYPE_F64:
        cs__format_double(v.u.f, tmp, sizeof tmp);
        break;
    case CS_TYPE_BOOL:
        snprintf(tmp, sizeof tmp, "%s", v.u.b ? "true" : "false");
        break;
    case CS_TYPE_DATE:
        cs_date_format(v.u.d, tmp);
        break;
    case CS_TYPE_STR:
        /* Control characters would break the table's lines. */
        for (i = 0; i < v.u.s.len; i++) {
            unsigned char c = (unsigned char)v.u.s.p[i];
            int rc = c < 0x20 ? cs__buf_printf(b, "\\x%02X", c)
                              : cs__buf_addc(b, (char)c);
            if (rc) return rc;
        }
        return CS_OK;
    }
    return cs__buf_add(b, tmp, strlen(tmp));
}

/* Byte length of the longest prefix of S that fits in MAXW cells. */
static size_t fit_prefix(const char *s, size_t len, size_t maxw)
{
    size_t i = 0, w = 0;
    while (i < len) {
        size_t n = 1, cw;
        while (i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80) n++;
        cw = cs_utf8_width(s + i, n);
        if (w + cw > maxw) break;
        w += cw;
        i += n;
    }
    return i;
}

/* Appends S padded (or cut) to W cells, right-aligned when RIGHT. */
static int pad(cs_buf *b, const char *s, size_t len, size_t w, int right)
{
    size_t sw = cs_utf8_width(s, len), k;
    int rc = CS_OK;
    if (sw > w) {
        len = fit_prefix(s, len, w - 1);
        sw = cs_utf8_width(s, len);
        if ((rc = cs__buf_add(b, s, len))) return rc;
        if ((rc = cs__buf_add(b, ELLIPSIS, strlen(ELLIPSIS)))) return rc;
        for (k = sw + 1; k < w && !rc; k++) rc = cs__buf_addc(b, ' ');
        return rc;
    }
    if (!right && (rc = cs__buf_add(b, s, len))) return rc;
    for (k = sw; k < w && !rc; k++) rc = cs__buf_addc(b, ' ');
    if (!rc && right) rc = cs__buf_add(b, s, len);
    return rc;
}

typedef struct fmt_state {
    const cs_dataset *ds;
    size_t *rows, nshown;     /* rows shown, in order */
    size_t head;              /* rows before the "more rows" line */
    size_t *widths;           /* per column */
    char *shown;              /* per column: 1 = printed */
    size_t gap;               /* index after which the "…" column goes */
    int elided;
} fmt_state;

static int is_numeric(cs_type t)
{
    return t == CS_TYPE_I64 || t == CS_TYPE_F64;
}

static int emit_row(fmt_state *st, cs_buf *out, cs_buf *cell, size_t row,
                    int kind)
{
    size_t c, first = 1;
    int rc = CS_OK;
    for (c = 0; c < st->ds->ncols && !rc; c++) {
        const cs_column *col = st->ds->cols[c];
        size_t k;
        if (!st->shown[c]) continue;
        if (!first) rc = cs__buf_add(out, "  ", 2);
        first = 0;
        if (rc) break;
        cell->len = 0;
        if (kind == 0) {
            rc = cs__buf_add(cell, st->ds->names[c], strlen(st->ds->names[c]));
            if (!rc)
                rc = pad(out, cell->p, cell->len, st->widths[c],
                         is_numeric(col->type));
        } else if (kind == 1) {
            const char *tn = cs_type_name(col->type);
            rc = pad(out, tn, strlen(tn), st->widths[c],
                     is_numeric(col->type));
        } else if (kind == 2) {
            for (k = 0; k < st->widths[c] && !rc; k++)
                rc = cs__buf_add(out, RULE, strlen(RULE));
        } else {
            rc = cell_text(col, row, cell);
            if (!rc)
                rc = pad(out, cell->p, cell->len, st->widths[c],
                         is_numeric(col->type));
        }
        if (!rc && st->elided && c == st->gap)
            rc = cs__buf_add(out, "  " ELLIPSIS, 2 + strlen(ELLIPSIS));
    }
    /* Trailing spaces are noise in a terminal and in test output. */
    while (out->len && out->p[out->len - 1] == ' ') out->len--;
    if (!rc) rc = cs__buf_addc(out, '\n');
    return rc;
}

/* A table still wider than WIDTH (the one column kept is wider than the
** screen) has its widest shown column narrowed, down to one cell. */
static void narrow(fmt_state *st, size_t width)
{
    size_t c, total = st->elided ? 3 : 0, n = 0;
    for (c = 0; c < st->ds->ncols; c++)
        if (st->shown[c]) total += st->widths[c] + (n++ ? 2 : 0);
    while (total > width) {
        size_t best = st->ds->ncols;
        for (c = 0; c < st->ds->ncols; c++)
            if (st->shown[c] && st->widths[c] > 1 &&
                (best == st->ds->ncols || st->widths[c] > st->widths[best]))
                best = c;
        if (best == st->ds->ncols) break;
        st->widths[best]--;
        total--;
    }
}

int cs_dataset_format(const cs_dataset *ds, const cs_format_options *opt,
                      char **out)
{
    cs_engine *eng = ds->eng;
    fmt_state st;
    cs_buf b, cell;
    size_t nrows = ds->nrows, ncols = ds->ncols, c, r, total, maxr;
    int rc = CS_OK;

    *out = NULL;
    memset(&st, 0, sizeof st);
    st.ds = ds;
    cs__buf_init(&b, eng);
    cs__buf_init(&cell, eng);
    maxr = opt && opt->max_rows ? opt->max_rows : nrows;
    st.nshown = nrows > maxr ? maxr : nrows;
    st.head = nrows > maxr ? (maxr + 1) / 2 : nrows;
    st.rows = cs__alloc(eng, (st.nshown + 1) * sizeof *st.rows);
    st.widths = cs__alloc(eng, (ncols + 1) * sizeof *st.widths);
    st.shown = cs__alloc(eng, ncols + 1);
    if (!st.rows || !st.widths || !st.shown) {
        rc = cs__oom(eng);
        goto done;
    }
    /* Rows to show, as rows of the base columns (a view maps them). */
    for (r = 0; r < st.nshown; r++) {
        size_t pos = r < st.head ? r : nrows - (st.nshown - r);
        st.rows[r] = ds->sel ? ds->sel->rows[pos] : pos;
    }

    for (c = 0; c < ncols; c++) {
        const cs_column *col = ds->cols[c];
        size_t w = cs_utf8_width(ds->names[c], strlen(ds->names[c]));
        if (opt && opt->show_types) {
            size_t tw = strlen(cs_type_name(col->type));
            w = tw > w ? tw : w;
        }
        for (r = 0; r < st.nshown; r++) {
            size_t cw;
            cell.len = 0;
            if ((rc = cell_text(col, st.rows[r], &cell))) goto done;
            cw = cs_utf8_width(cell.p, cell.len);
            w = cw > w ? cw : w;
        }
        st.widths[c] = w > MAX_CELL ? MAX_CELL : w;
        st.shown[c] = 1;
    }

    /* Fit the width: keep columns from both ends, alternately. */
    total = 0;
    for (c = 0; c < ncols; c++) total += st.widths[c] + (c ? 2 : 0);
    if (opt && opt->width && total > opt->width && ncols > 1) {
        size_t left = 0, right = ncols, used = 3;   /* the "…" column */
        int side = 0;
        memset(st.shown, 0, ncols);
        while (left < right) {
            size_t c2 = side == 0 ? left : right - 1;
            size_t need = st.widths[c2] + 2;
            if (used + need > opt->width) break;
            used += need;
            st.shown[c2] = 1;
            if (side == 0) left++;
            else right--;
            side = !side;
        }
        if (left == 0) st.shown[left++] = 1;   /* always one column */
        st.elided = left < right;
        st.gap = left - 1;
    }
    if (opt && opt->width) narrow(&st, opt->width);

    if (ncols > 0) {
        if ((rc = emit_row(&st, &b, &cell, 0, 0))) goto done;
        if (opt && opt->show_types && (rc = emit_row(&st, &b, &cell, 0, 1)))
            goto done;
        if ((rc = emit_row(&st, &b, &cell, 0, 2))) goto done;
        /* r runs to nshown itself: with one row shown, the "more rows"
        ** line comes after it. */
        for (r = 0; r <= st.nshown; r++) {
            if (r == st.head && nrows > st.nshown &&
                (rc = cs__buf_printf(&b, ELLIPSIS " %zu more rows\n",
                                     nrows - st.nshown)))
                goto done;
            if (r == st.nshown) break;
            if ((rc = emit_row(&st, &b, &cell, st.rows[r], 3))) goto done;
        }
    }
    rc = cs__buf_printf(&b, "(%zu row%s, %zu column%s)\n", nrows,
                        nrows == 1 ? "" : "s", ncols, ncols == 1 ? "" : "s");
    if (rc) goto done;
    *out = cs__buf_detach(&b);
    if (!*out) rc = cs__oom(eng);
done:
    cs__buf_free(&b);
    cs__buf_free(&cell);
    cs__free(eng, st.rows, (st.nshown + 1) * sizeof *st.rows);
    cs__free(eng, st.widths, (ncols + 1) * sizeof *st.widths);
    cs__free(eng, st.shown, ncols + 1);
    return rc;
}
