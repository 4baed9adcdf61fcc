/*
** dataset.c: ordered sets of named, equally long columns.
** A dataset holds one reference to each column; operations build new
** datasets that share the columns they do not change.  A view shares
** the columns of another dataset and shows a selection of their rows.
*/
#include "csint.h"

#include <string.h>

int cs_dataset_new(cs_engine *eng, cs_dataset **out)
{
    cs_dataset *ds = cs__alloc(eng, sizeof *ds);
    *out = NULL;
    if (!ds) return cs__oom(eng);
    memset(ds, 0, sizeof *ds);
    ds->eng = eng;
    *out = ds;
    return CS_OK;
}

void cs_dataset_free(cs_dataset *ds)
{
    size_t i;
    if (!ds) return;
    for (i = 0; i < ds->ncols; i++) {
        cs__free(ds->eng, ds->names[i], strlen(ds->names[i]) + 1);
        cs_column_release(ds->cols[i]);
        if (ds->dense) cs_column_release(ds->dense[i]);
    }
    cs__free(ds->eng, ds->names, ds->capcols * sizeof *ds->names);
    cs__free(ds->eng, ds->cols, ds->capcols * sizeof(cs_column *));
    cs__free(ds->eng, ds->dense, ds->capcols * sizeof(cs_column *));
    cs__sel_release(ds->sel);
    cs__free(ds->eng, ds, sizeof *ds);
}

int cs__sel_new(cs_engine *eng, size_t n, cs_sel **out)
{
    cs_sel *sel = cs__alloc(eng, sizeof *sel);
    size_t bytes;
    *out = NULL;
    if (!sel) return cs__oom(eng);
    if (!cs__mul_ok(n ? n : 1, sizeof *sel->rows, &bytes) ||
        (sel->rows = cs__alloc(eng, bytes)) == NULL) {
        cs__free(eng, sel, sizeof *sel);
        return cs__oom(eng);
    }
    sel->eng = eng;
    sel->refs = 1;
    sel->n = n;
    *out = sel;
    return CS_OK;
}

void cs__sel_release(cs_sel *sel)
{
    if (!sel || --sel->refs > 0) return;
    cs__free(sel->eng, sel->rows, (sel->n ? sel->n : 1) * sizeof *sel->rows);
    cs__free(sel->eng, sel, sizeof *sel);
}

int cs_dataset_add(cs_dataset *ds, const char *name, cs_column *col)
{
    char *copy;
    if (ds->sel)
        return cs__error(ds->eng, CS_EMISUSE, "a view cannot take columns");
    if (!name || !*name)
        return cs__error(ds->eng, CS_EINVAL, "a column needs a name");
    if (cs_dataset_find(ds, name) >= 0)
        return cs__error(ds->eng, CS_EEXIST, "duplicate column name '%s'",
                         name);
    if (ds->ncols > 0 && col->len != ds->nrows)
        return cs__error(ds->eng, CS_EINVAL,
                         "column '%s' has %zu rows, the dataset has %zu",
                         name, col->len, ds->nrows);
    if (ds->ncols == ds->capcols) {
        /* Both arrays are replaced or neither, so an allocation failure
        ** leaves the dataset as it was. */
        size_t ncap = ds->capcols ? ds->capcols * 2 : 8;
        char **names = cs__alloc(ds->eng, ncap * sizeof *names);
        cs_column **cols = cs__alloc(ds->eng, ncap * sizeof(cs_column *));
        if (!names || !cols) {
            cs__free(ds->eng, names, ncap * sizeof *names);
            cs__free(ds->eng, cols, ncap * sizeof(cs_column *));
            return cs__oom(ds->eng);
        }
        if (ds->ncols) {
            memcpy(names, ds->names, ds->ncols * sizeof *names);
            memcpy(cols, ds->cols, ds->ncols * sizeof(cs_column *));
        }
        cs__free(ds->eng, ds->names, ds->capcols * sizeof *names);
        cs__free(ds->eng, ds->cols, ds->capcols * sizeof(cs_column *));
        ds->names = names;
        ds->cols = cols;
        ds->capcols = ncap;
    }
    if (cs__is_ascii(name, strlen(name))) {
        copy = cs__strndup(ds->eng, name, strlen(name));
    } else {
        /* Names are NFC, like the text in columns. */
        cs_buf b;
        int rc;
        cs__buf_init(&b, ds->eng);
        rc = cs__nfc(ds->eng, name, strlen(name), &b);
        copy = rc ? NULL : cs__strndup(ds->eng, b.p, b.len);
        cs__buf_free(&b);
        if (rc) return rc;
    }
    if (!copy) return cs__oom(ds->eng);
    col->frozen = 1;
    cs__buf_free(&col->scratch);
    ds->names[ds->ncols] = copy;
    ds->cols[ds->ncols] = cs_column_retain(col);
    ds->ncols++;
    ds->nrows = col->len;
    return CS_OK;
}

cs_engine *cs_dataset_engine(const cs_dataset *ds) { return ds->eng; }
size_t cs_dataset_nrows(const cs_dataset *ds) { return ds->nrows; }
size_t cs_dataset_ncols(const cs_dataset *ds) { return ds->ncols; }

const char *cs_dataset_colname(const cs_dataset *ds, size_t i)
{
    return i < ds->ncols ? ds->names[i] : NULL;
}

cs_column *cs_dataset_column(const cs_dataset *ds, size_t i)
{
    cs_dataset *mut = (cs_dataset *)ds; /* a cache, not a change */
    if (i >= ds->ncols) return NULL;
    if (!ds->sel) return ds->cols[i];
    if (!ds->dense) {
        size_t bytes = ds->capcols * sizeof(cs_column *);
        mut->dense = cs__alloc(ds->eng, bytes);
        if (!mut->dense) {
            cs__oom(ds->eng);
            return NULL;
        }
        memset(mut->dense, 0, bytes);
    }
    if (!ds->dense[i] &&
        cs__column_gather(ds->cols[i], NULL, ds->sel->rows, ds->sel->n,
                          &mut->dense[i]))
        return NULL;
    ds->dense[i]->frozen = 1;
    return ds->dense[i];
}

ptrdiff_t cs_dataset_find(const cs_dataset *ds, const char *name)
{
    size_t i, len = strlen(name);
    cs_buf b;
    ptrdiff_t found = -1;
    /* Names are stored in NFC; a name typed decomposed still finds its
    ** column.  Without memory for that, the name is compared as given. */
    cs__buf_init(&b, ds->eng);
    if (!cs__is_ascii(name, len) && cs_utf8_valid(name, len, NULL) &&
        cs__nfc(ds->eng, name, len, &b) == CS_OK)
        name = b.p;
    for (i = 0; i < ds->ncols && found < 0; i++)
        if (strcmp(ds->names[i], name) == 0) found = (ptrdiff_t)i;
    cs__buf_free(&b);
    return found;
}

const char *cs__list_columns(const cs_dataset *ds, char *buf, size_t size)
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
            memcpy(buf + used, ", ", 3); /* with the NUL */
            used += 2;
        }
        memcpy(buf + used, ds->names[i], len + 1);
        used += len;
    }
    return buf;
}

const char *cs__nearest_column(const cs_dataset *ds, const char *name)
{
    size_t j, best = 3, d;
    const char *near = NULL;
    for (j = 0; j < ds->ncols; j++) {
        d = cs_text_distance(name, ds->names[j]);
        if (d < best) {
            best = d;
            near = ds->names[j];
        }
    }
    return near;
}

int cs__no_column(const cs_dataset *ds, const char *prefix, const char *name)
{
    const char *near = cs__nearest_column(ds, name);
    char cols[320];
    cs__list_columns(ds, cols, sizeof cols);
    if (near)
        return cs__error(ds->eng, CS_ENOTFOUND,
                         "%sno column '%.200s' (did you mean '%s'? columns: "
                         "%s)", prefix, name, near, cols);
    return cs__error(ds->eng, CS_ENOTFOUND,
                     "%sno column '%.200s' (columns: %s)", prefix, name,
                     ds->ncols ? cols : "none");
}

cs_column *cs_dataset_get(const cs_dataset *ds, const char *name)
{
    ptrdiff_t i = cs_dataset_find(ds, name);
    if (i >= 0) return cs_dataset_column(ds, (size_t)i);
    cs__no_column(ds, "", name);
    return NULL;
}

/* A new dense dataset of DS's columns, gathered at R64 or R32. */
static int gather(const cs_dataset *ds, const size_t *r64, const uint32_t *r32,
                  size_t n, cs_dataset **out)
{
    cs_dataset *res = NULL;
    size_t i;
    int rc = cs_dataset_new(ds->eng, &res);
    if (rc) return rc;
    for (i = 0; i < ds->ncols; i++) {
        cs_column *col;
        rc = cs__column_gather(ds->cols[i], r64, r32, n, &col);
        if (rc) goto fail;
        rc = cs_dataset_add(res, ds->names[i], col);
        cs_column_release(col);
        if (rc) goto fail;
    }
    res->nrows = n;
    *out = res;
    return CS_OK;
fail:
    cs_dataset_free(res);
    return rc;
}

int cs_dataset_take(const cs_dataset *ds, const size_t *rows, size_t n,
                    cs_dataset **out)
{
    cs_sel *base = NULL;
    size_t i;
    int rc;
    *out = NULL;
    for (i = 0; i < n; i++)
        if (rows[i] >= ds->nrows)
            return cs__error(ds->eng, CS_EINVAL,
                             "row %zu is out of range (%zu rows)", rows[i] + 1,
                             ds->nrows);
    if (!ds->sel) return gather(ds, rows, NULL, n, out);
    /* Rows of a view are rows of its base: compose, then gather. */
    rc = cs__sel_new(ds->eng, n, &base);
    if (rc) return rc;
    for (i = 0; i < n; i++) base->rows[i] = ds->sel->rows[rows[i]];
    rc = gather(ds, NULL, base->rows, n, out);
    cs__sel_release(base);
    return rc;
}

int cs__dataset_view_sel(const cs_dataset *ds, cs_sel *sel,
                         cs_dataset **out)
{
    cs_dataset *v = NULL;
    size_t i;
    int rc = cs_dataset_new(ds->eng, &v);
    *out = NULL;
    for (i = 0; !rc && i < ds->ncols; i++)
        rc = cs_dataset_add(v, ds->names[i], ds->cols[i]);
    if (rc) {
        cs__sel_release(sel);
        cs_dataset_free(v);
        return rc;
    }
    v->nrows = sel->n;
    v->sel = sel;
    *out = v;
    return CS_OK;
}

int cs__dataset_view(const cs_dataset *ds, const uint32_t *pos, size_t n,
                     cs_dataset **out)
{
    cs_sel *sel = NULL;
    size_t i, base_rows = ds->ncols ? ds->cols[0]->len : ds->nrows;
    int rc;
    *out = NULL;
    if (base_rows > UINT32_MAX)
        return cs__error(ds->eng, CS_EOVERFLOW,
                         "views need fewer than 2^32 rows");
    rc = cs__sel_new(ds->eng, n, &sel);
    if (rc) return rc;
    for (i = 0; i < n; i++)
        sel->rows[i] = ds->sel ? ds->sel->rows[pos[i]] : pos[i];
    return cs__dataset_view_sel(ds, sel, out);
}

int cs_dataset_slice(const cs_dataset *ds, size_t offset, size_t n,
                     cs_dataset **out)
{
    size_t *rows, i;
    int rc;
    if (offset > ds->nrows) offset = ds->nrows;
    if (n > ds->nrows - offset) n = ds->nrows - offset;
    rows = cs__alloc(ds->eng, (n ? n : 1) * sizeof *rows);
    *out = NULL;
    if (!rows) return cs__oom(ds->eng);
    for (i = 0; i < n; i++) rows[i] = offset + i;
    rc = cs_dataset_take(ds, rows, n, out);
    cs__free(ds->eng, rows, (n ? n : 1) * sizeof *rows);
    return rc;
}
