/*
** dsspec.h: small datasets from one-line specs, and columns shown as
** text, for table-driven core tests.  A spec is
**   "name:type=v1,v2,...;name2:type=..."   (types i f s b d)
** where an empty value is null and "name:type" alone is an empty column.
*/
#ifndef COOPSTAT_DSSPEC_H
#define COOPSTAT_DSSPEC_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coopstat.h"

static inline int spec_push(cs_column *col, char t, const char *v, size_t len)
{
    char buf[64];
    int32_t d;
    if (len == 0) return cs_column_push_null(col);
    if (t == 's') return cs_column_push_str(col, v, len);
    if (len >= sizeof buf) return CS_EINVAL;
    memcpy(buf, v, len);
    buf[len] = '\0';
    switch (t) {
    case 'i': return cs_column_push_i64(col, strtoll(buf, NULL, 10));
    case 'f': return cs_column_push_f64(col, strtod(buf, NULL));
    case 'b': return cs_column_push_bool(col, strcmp(buf, "true") == 0);
    default:
        if (cs_date_parse(buf, len, NULL, &d)) return CS_EPARSE;
        return cs_column_push_date(col, d);
    }
}

/* Builds the dataset SPEC describes into *OUT; returns a status. */
static inline int spec_dataset(cs_engine *eng, const char *spec, cs_dataset **out)
{
    cs_dataset *ds = NULL;
    const char *p = spec;
    int rc;
    *out = NULL;
    if ((rc = cs_dataset_new(eng, &ds))) return rc;
    while (*p) {
        const char *colon = strchr(p, ':'), *end = strchr(p, ';');
        char name[128], t;
        cs_column *col = NULL;
        cs_type type;
        if (!end) end = p + strlen(p);
        if (!colon || colon > end || (size_t)(colon - p) >= sizeof name) {
            rc = CS_EINVAL;
            break;
        }
        memcpy(name, p, (size_t)(colon - p));
        name[colon - p] = '\0';
        t = colon[1];
        type = t == 'i' ? CS_TYPE_I64 : t == 'f' ? CS_TYPE_F64
             : t == 's' ? CS_TYPE_STR : t == 'b' ? CS_TYPE_BOOL
                                                 : CS_TYPE_DATE;
        if ((rc = cs_column_new(eng, type, &col))) break;
        if (colon[2] == '=') {
            const char *v = colon + 3;
            for (;;) {
                const char *comma = v;
                while (comma < end && *comma != ',') comma++;
                if ((rc = spec_push(col, t, v, (size_t)(comma - v)))) break;
                if (comma >= end) break;
                v = comma + 1;
            }
        }
        if (!rc) rc = cs_dataset_add(ds, name, col);
        cs_column_release(col);
        if (rc) break;
        p = *end ? end + 1 : end;
    }
    if (rc) {
        cs_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return CS_OK;
}

/* The values of COL joined by commas, "nil" for nulls, into BUF. */
static inline const char *show_column(const cs_column *col, char *buf, size_t size)
{
    size_t i, len = 0;
    buf[0] = '\0';
    for (i = 0; i < cs_column_len(col) && len + 80 < size; i++) {
        cs_value v;
        char cell[64];
        const char *s = cell;
        size_t n;
        cs_column_get(col, i, &v);
        if (v.isnull) {
            s = "nil";
        } else {
            switch (v.type) {
            case CS_TYPE_I64:
                snprintf(cell, sizeof cell, "%lld", (long long)v.u.i);
                break;
            case CS_TYPE_F64:
                if (isnan(v.u.f)) s = "nan";
                else snprintf(cell, sizeof cell, "%.15g", v.u.f);
                break;
            case CS_TYPE_BOOL: s = v.u.b ? "true" : "false"; break;
            case CS_TYPE_DATE: cs_date_format(v.u.d, cell); break;
            case CS_TYPE_STR:
                n = v.u.s.len < sizeof cell - 1 ? v.u.s.len : sizeof cell - 1;
                memcpy(cell, v.u.s.p, n);
                cell[n] = '\0';
                break;
            }
        }
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? "," : "",
                                s);
    }
    return buf;
}

#endif
