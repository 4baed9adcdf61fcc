/*
** verbs.c: filter, mutate, select, drop, rename and concat.
** Each returns a new dataset sharing what it does not change: a filter
** is a view of its input's base columns, and select/drop/rename of a
** view stay views over the same base and selection.
*/
#include "csint.h"
#include "exprint.h"

#include <stdio.h>
#include <string.h>

/* Index of column NAME in DS, also trying the NFC form of NAME (names
** in datasets are NFC); -1 when absent. */
static ptrdiff_t find(const cs_dataset *ds, const char *name, cs_buf *tmp)
{
    ptrdiff_t i = cs_dataset_find(ds, name);
    size_t len = strlen(name);
    if (i >= 0 || cs__is_ascii(name, len) || !cs_utf8_valid(name, len, NULL))
        return i;
    if (cs__nfc(ds->eng, name, len, tmp)) return -1;
    return cs_dataset_find(ds, tmp->p);
}

static int not_found(const cs_dataset *ds, const char *verb, const char *name)
{
    char msg[400];
    cs_dataset_get(ds, name);   /* its message lists the columns */
    snprintf(msg, sizeof msg, "%s", cs_errmsg(ds->eng));
    return cs__error(ds->eng, CS_ENOTFOUND, "%s: %s", verb, msg);
}

/* A dataset of DS's base columns IDX[0..N), named NAMES[k] (NULL: their
** own names), showing the same rows as DS: a view sharing DS's
** selection when DS is one, so nothing is gathered. */
static int reshape(const cs_dataset *ds, const size_t *idx,
                   const char *const *names, size_t n, cs_dataset **out)
{
    cs_dataset *res;
    size_t k;
    int rc = cs_dataset_new(ds->eng, &res);
    *out = NULL;
    if (rc) return rc;
    for (k = 0; k < n; k++) {
        const char *nm = names ? names[k] : ds->names[idx[k]];
        if ((rc = cs_dataset_add(res, nm, ds->cols[idx[k]]))) {
            cs_dataset_free(res);
            return rc;
        }
    }
    res->nrows = ds->nrows;
    if (ds->sel) {
        res->sel = ds->sel;
        ds->sel->refs++;
    }
    *out = res;
    return CS_OK;
}

static size_t *alloc_idx(const cs_dataset *ds, size_t n)
{
    return cs__alloc(ds->eng, (n ? n : 1) * sizeof(size_t));
}

static void free_idx(const cs_dataset *ds, size_t *idx, size_t n)
{
    cs__free(ds->eng, idx, (n ? n : 1) * sizeof(size_t));
}

/* Filters through a bool column and cs_dataset_take, for bases too long
** for 32-bit selections. */
static int filter_by_take(const cs_dataset *ds, const cs_expr *e,
                          cs_dataset **out)
{
    cs_column *c = NULL;
    size_t *rows = NULL, m = 0, i, n = ds->nrows;
    int rc = cs_expr_eval(e, ds, &c);
    if (!rc && !(rows = alloc_idx(ds, n))) rc = cs__oom(ds->eng);
    if (!rc) {
        const uint8_t *v = cs_column_bools(c);
        for (i = 0; i < n; i++)
            if (v[i] && !cs_column_is_null(c, i)) rows[m++] = i;
        rc = cs_dataset_take(ds, rows, m, out);
    }
    free_idx(ds, rows, n);
    cs_column_release(c);
    return rc;
}

int cs_dataset_filter(const cs_dataset *ds, const char *cond,
                      cs_dataset **out)
{
    cs_expr *e = NULL;
    cs_sel *sel = NULL;
    int rc;
    *out = NULL;
    if ((rc = cs_expr_compile(ds, cond, &e))) return rc;
    rc = cs__expr_filter(e, ds, &sel);
    if (rc == CS_EOVERFLOW && cs_expr_type(e) == CS_TYPE_BOOL && !sel)
        rc = filter_by_take(ds, e, out);
    cs_expr_free(e);
    if (rc || *out) return rc;
    return cs__dataset_view_sel(ds, sel, out);
}

int cs_dataset_select(const cs_dataset *ds, const char *const *names,
                      size_t n, cs_dataset **out)
{
    size_t *idx, k, j;
    cs_buf tmp;
    int rc = CS_OK;
    *out = NULL;
    if (!(idx = alloc_idx(ds, n))) return cs__oom(ds->eng);
    cs__buf_init(&tmp, ds->eng);
    for (k = 0; k < n && !rc; k++) {
        ptrdiff_t i = find(ds, names[k], &tmp);
        if (i < 0) {
            rc = not_found(ds, "select", names[k]);
            break;
        }
        idx[k] = (size_t)i;
        for (j = 0; j < k; j++)
            if (idx[j] == idx[k])
                rc = cs__error(ds->eng, CS_EEXIST,
                               "select: column '%s' is named twice",
                               ds->names[i]);
    }
    if (!rc) rc = reshape(ds, idx, NULL, n, out);
    cs__buf_free(&tmp);
    free_idx(ds, idx, n);
    return rc;
}

int cs_dataset_drop(const cs_dataset *ds, const char *const *names,
                    size_t n, cs_dataset **out)
{
    size_t *idx, k, m = 0;
    unsigned char *gone;
    cs_buf tmp;
    int rc = CS_OK;
    *out = NULL;
    idx = alloc_idx(ds, ds->ncols);
    gone = cs__alloc(ds->eng, ds->ncols + 1);
    if (!idx || !gone) {
        rc = cs__oom(ds->eng);
        goto done;
    }
    memset(gone, 0, ds->ncols + 1);
    cs__buf_init(&tmp, ds->eng);
    for (k = 0; k < n && !rc; k++) {
        ptrdiff_t i = find(ds, names[k], &tmp);
        if (i < 0) rc = not_found(ds, "drop", names[k]);
        else gone[i] = 1;
    }
    cs__buf_free(&tmp);
    for (k = 0; k < ds->ncols; k++)
        if (!gone[k]) idx[m++] = k;
    if (!rc) rc = reshape(ds, idx, NULL, m, out);
done:
    cs__free(ds->eng, gone, ds->ncols + 1);
    free_idx(ds, idx, ds->ncols);
    return rc;
}

int cs_dataset_rename(const cs_dataset *ds, const char *const *from,
                      const char *const *to, size_t n, cs_dataset **out)
{
    size_t *idx, k, j, nc = ds->ncols;
    const char **names;
    cs_buf tmp, *nfc;
    int rc = CS_OK;
    *out = NULL;
    idx = alloc_idx(ds, nc);
    names = cs__alloc(ds->eng, (nc ? nc : 1) * sizeof *names);
    /* NFC forms of the new names: one buffer each, as names keep
    ** pointing into them until reshape copies them. */
    nfc = cs__alloc(ds->eng, (n ? n : 1) * sizeof *nfc);
    cs__buf_init(&tmp, ds->eng);
    if (!idx || !names || !nfc) {
        cs__free(ds->eng, nfc, (n ? n : 1) * sizeof *nfc);
        nfc = NULL;
        rc = cs__oom(ds->eng);
        goto done;
    }
    for (k = 0; k < n; k++) cs__buf_init(&nfc[k], ds->eng);
    for (k = 0; k < nc; k++) {
        idx[k] = k;
        names[k] = NULL;
    }
    for (k = 0; k < n && !rc; k++) {
        ptrdiff_t i = find(ds, from[k], &tmp);
        size_t bad, len = strlen(to[k]);
        if (i < 0) {
            rc = not_found(ds, "rename", from[k]);
        } else if (names[i]) {
            rc = cs__error(ds->eng, CS_EINVAL,
                           "rename: column '%s' is renamed twice",
                           ds->names[i]);
        } else if (!len) {
            rc = cs__error(ds->eng, CS_EINVAL,
                           "rename: empty new name for column '%s'",
                           ds->names[i]);
        } else if (!cs_utf8_valid(to[k], len, &bad)) {
            rc = cs__error(ds->eng, CS_EENCODING,
                           "rename: new name of column '%s' is not UTF-8",
                           ds->names[i]);
        } else if (!(rc = cs__nfc(ds->eng, to[k], len, &nfc[k]))) {
            names[i] = nfc[k].p;
        }
    }
    for (k = 0; k < nc; k++)
        if (!names[k]) names[k] = ds->names[k];
    for (k = 0; k < nc && !rc; k++)
        for (j = 0; j < k && !rc; j++)
            if (strcmp(names[k], names[j]) == 0)
                rc = cs__error(ds->eng, CS_EEXIST,
                               "rename: column name '%s' would be taken "
                               "twice", names[k]);
    if (!rc) rc = reshape(ds, idx, names, nc, out);
done:
    if (nfc)
        for (k = 0; k < n; k++) cs__buf_free(&nfc[k]);
    cs__free(ds->eng, nfc, (n ? n : 1) * sizeof *nfc);
    cs__buf_free(&tmp);
    cs__free(ds->eng, (void *)names, (nc ? nc : 1) * sizeof *names);
    free_idx(ds, idx, nc);
    return rc;
}

/* ---- mutate ---- */

/* Splits "expression as name" at the last top-level " as " (outside
** quotes, backquotes and parentheses).  *ELEN is the expression's
** length; NAME gets the (backquote-stripped) name, or the trimmed
** expression text when there is no "as". */
static int split_as(cs_engine *eng, const char *s, size_t *elen, cs_buf *name)
{
    size_t len = strlen(s), i, depth = 0, at = 0, b, e;
    int found = 0;
    char q = 0;
    for (i = 0; i < len; i++) {
        char c = s[i];
        if (q) {
            if (c == '\\' && q != '`' && i + 1 < len) i++;
            else if (c == q) q = 0;
            continue;
        }
        if (c == '\'' || c == '"' || c == '`') q = c;
        else if (c == '(') depth++;
        else if (c == ')' && depth) depth--;
        else if (!depth && i > 0 && i + 2 < len && s[i] == 'a' &&
                 s[i + 1] == 's' &&
                 (s[i - 1] == ' ' || s[i - 1] == '\t' || s[i - 1] == '\n') &&
                 (s[i + 2] == ' ' || s[i + 2] == '\t' || s[i + 2] == '\n')) {
            at = i;
            found = 1;
        }
    }
    b = found ? at + 2 : 0;
    e = len;
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n')) b++;
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n'))
        e--;
    if (found && e - b >= 2 && s[b] == '`' && s[e - 1] == '`') {
        b++;
        e--;
    }
    if (e == b)
        return cs__error(eng, CS_EPARSE, "mutate: no name after 'as' in '%s'",
                         s);
    *elen = found ? at : len;
    while (*elen > 0 && (s[*elen - 1] == ' ' || s[*elen - 1] == '\t' ||
                         s[*elen - 1] == '\n'))
        (*elen)--;
    if (!cs_utf8_valid(s + b, e - b, NULL))
        return cs__error(eng, CS_EENCODING,
                         "mutate: the name in '%s' is not UTF-8", s);
    return cs__nfc(eng, s + b, e - b, name);
}

/* A copy of WORK with column COL named NAME replacing the column of
** that name, or appended. */
static int with_column(const cs_dataset *work, const char *name,
                       cs_column *col, cs_dataset **out)
{
    cs_dataset *res;
    ptrdiff_t at = cs_dataset_find(work, name);
    size_t k;
    int rc = cs_dataset_new(work->eng, &res);
    if (rc) return rc;
    for (k = 0; k < work->ncols && !rc; k++)
        rc = cs_dataset_add(res, work->names[k],
                            (ptrdiff_t)k == at ? col : work->cols[k]);
    if (!rc && at < 0) rc = cs_dataset_add(res, name, col);
    if (rc) {
        cs_dataset_free(res);
        return rc;
    }
    res->nrows = col->len;
    *out = res;
    return CS_OK;
}

int cs_dataset_mutate(const cs_dataset *ds, const char *const *exprs,
                      size_t n, cs_dataset **out)
{
    cs_dataset *work = NULL, *next = NULL;
    cs_buf name, text;
    size_t k;
    int rc;
    *out = NULL;
    cs__buf_init(&name, ds->eng);
    cs__buf_init(&text, ds->eng);
    /* New columns are dense, so the result is dense: a view's columns
    ** are gathered (and cached in the view). */
    if ((rc = cs_dataset_new(ds->eng, &work))) goto done;
    for (k = 0; k < ds->ncols; k++) {
        cs_column *c = cs_dataset_column(ds, k);
        if (!c) {
            rc = CS_ENOMEM;
            goto done;
        }
        if ((rc = cs_dataset_add(work, ds->names[k], c))) goto done;
    }
    work->nrows = ds->nrows;
    for (k = 0; k < n; k++) {
        cs_expr *e = NULL;
        cs_column *col = NULL;
        size_t elen = 0;
        if ((rc = split_as(ds->eng, exprs[k], &elen, &name))) goto done;
        text.len = 0;
        if ((rc = cs__buf_add(&text, exprs[k], elen))) goto done;
        if ((rc = cs_expr_compile(work, text.p, &e))) goto done;
        rc = cs_expr_eval(e, work, &col);
        cs_expr_free(e);
        if (rc) goto done;
        rc = with_column(work, name.p, col, &next);
        cs_column_release(col);
        if (rc) goto done;
        cs_dataset_free(work);
        work = next;
    }
    *out = work;
    work = NULL;
done:
    cs_dataset_free(work);
    cs__buf_free(&name);
    cs__buf_free(&text);
    return rc;
}

/* ---- concat ---- */

/* Appends the rows of DS's column I, of type FROM, to COL (reserved).
** Strings from another dictionary are re-interned, each distinct code
** once (MAP, MAPN: scratch). */
static int append_rows(cs_column *col, const cs_dataset *ds, size_t i,
                       uint32_t **map, size_t *mapn)
{
    const uint32_t *sel;
    const cs_column *src = cs__dataset_base(ds, i, &sel);
    size_t r, n = ds->nrows;
    int remap = src->type == CS_TYPE_STR && src->dict != col->dict;
    int rc;
    if (remap) {
        size_t need = src->dict->n ? src->dict->n : 1;
        if (*mapn < need) {
            uint32_t *m = cs__realloc(col->eng, *map, *mapn * sizeof **map,
                                      need * sizeof **map);
            if (!m) return cs__oom(col->eng);
            *map = m;
            *mapn = need;
        }
        memset(*map, 0xFF, need * sizeof **map);
    }
    for (r = 0; r < n; r++) {
        size_t row = sel ? sel[r] : r;
        if ((r & 0xFFFF) == 0 && (rc = cs__check_interrupt(col->eng)))
            return rc;
        if (src->valid && !cs__bit(src->valid, row)) {
            if ((rc = cs_column_push_null(col))) return rc;
            continue;
        }
        switch (col->type) {
        case CS_TYPE_I64:
            CS__PUT(col, int64_t, ((const int64_t *)src->data)[row]);
            break;
        case CS_TYPE_F64:
            CS__PUT(col, double,
                    src->type == CS_TYPE_I64
                        ? (double)((const int64_t *)src->data)[row]
                        : ((const double *)src->data)[row]);
            break;
        case CS_TYPE_BOOL:
            CS__PUT(col, uint8_t, ((const uint8_t *)src->data)[row]);
            break;
        case CS_TYPE_DATE:
            CS__PUT(col, int32_t, ((const int32_t *)src->data)[row]);
            break;
        case CS_TYPE_STR: {
            uint32_t c = ((const uint32_t *)src->data)[row];
            if (remap) {
                if ((*map)[c] == UINT32_MAX) {
                    size_t len;
                    const char *s = cs__dict_str(src->dict, c, &len);
                    if ((rc = cs__dict_intern(col->dict, s, len, &(*map)[c])))
                        return rc;
                }
                c = (*map)[c];
            }
            CS__PUT(col, uint32_t, c);
            break;
        }
        }
    }
    return CS_OK;
}

int cs_dataset_concat(const cs_dataset *a, const cs_dataset *b,
                      cs_dataset **out)
{
    cs_engine *eng = a->eng;
    cs_dataset *res = NULL;
    cs_column *col = NULL;
    uint32_t *map = NULL;
    size_t mapn = 0, i;
    int rc;
    *out = NULL;
    for (i = 0; i < b->ncols; i++)
        if (cs_dataset_find(a, b->names[i]) < 0)
            return cs__error(eng, CS_EINVAL,
                             "concat: column '%s' of the second dataset is "
                             "not in the first", b->names[i]);
    for (i = 0; i < a->ncols; i++) {
        ptrdiff_t j = cs_dataset_find(b, a->names[i]);
        cs_type ta = a->cols[i]->type, tb;
        if (j < 0)
            return cs__error(eng, CS_EINVAL,
                             "concat: column '%s' is missing from the second "
                             "dataset", a->names[i]);
        tb = b->cols[j]->type;
        if (ta != tb && !((ta == CS_TYPE_I64 || ta == CS_TYPE_F64) &&
                          (tb == CS_TYPE_I64 || tb == CS_TYPE_F64)))
            return cs__error(eng, CS_ETYPE,
                             "concat: column '%s' is %s in the first dataset "
                             "and %s in the second", a->names[i],
                             cs_type_name(ta), cs_type_name(tb));
    }
    if ((rc = cs_dataset_new(eng, &res))) return rc;
    for (i = 0; i < a->ncols; i++) {
        size_t j = (size_t)cs_dataset_find(b, a->names[i]), total;
        const cs_column *ca = a->cols[i], *cb = b->cols[j];
        cs_type t = ca->type == cb->type ? ca->type : CS_TYPE_F64;
        if ((rc = cs_column_new(eng, t, &col))) goto done;
        if (t == CS_TYPE_STR && ca->dict == cb->dict) {
            /* One dictionary (both from the same source): codes stay. */
            cs__dict_release(col->dict);
            col->dict = ca->dict;
            cs__dict_retain(col->dict);
        }
        if (__builtin_add_overflow(a->nrows, b->nrows, &total)) {
            rc = cs__error(eng, CS_EOVERFLOW, "concat: too many rows");
            goto done;
        }
        if ((rc = cs_column_reserve(col, total)) ||
            (rc = append_rows(col, a, i, &map, &mapn)) ||
            (rc = append_rows(col, b, j, &map, &mapn)) ||
            (rc = cs_dataset_add(res, a->names[i], col)))
            goto done;
        cs_column_release(col);
        col = NULL;
    }
    res->nrows = a->nrows + b->nrows;
    *out = res;
    res = NULL;
done:
    cs__free(eng, map, mapn * sizeof *map);
    cs_column_release(col);
    cs_dataset_free(res);
    return rc;
}
