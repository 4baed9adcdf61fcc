/*
** build.h: building test datasets column by column, shared by the core's
** cmocka tests (after coopstat.h and <string.h>).
*/
#ifndef COOPSTAT_TEST_BUILD_H
#define COOPSTAT_TEST_BUILD_H

/* Adds string column NAME of V[0..N) to DS; a NULL string is null. */
static int add_str(cs_dataset *ds, const char *name, const char *const *v,
                   size_t n)
{
    cs_column *c;
    size_t i;
    int rc = cs_column_new(cs_dataset_engine(ds), CS_TYPE_STR, &c);
    if (rc) return rc;
    for (i = 0; i < n && !rc; i++)
        rc = v[i] ? cs_column_push_str(c, v[i], strlen(v[i]))
                  : cs_column_push_null(c);
    if (!rc) rc = cs_dataset_add(ds, name, c);
    cs_column_release(c);
    return rc;
}

#endif
