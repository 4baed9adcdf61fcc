/*
** test_verbs.c: filter, mutate, select, drop, rename and concat: views
** where possible, nulls, empty and one-row inputs, Vietnamese names,
** the documented errors, and an OOM sweep.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csint.h"   /* views are internal */

#include "dsspec.h"
#include "tally.h"

#define ORGS                                                             \
    "district:s=\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c,Mai Ch\xC3\xA2u,,"    \
    "L\xE1\xBA\xA1" "c S\xC6\xA1n,Mai Ch\xC3\xA2u;"                      \
    "members:i=12,3,40,,7;rev:f=1.5,0.25,,8,2;"                          \
    "active:b=true,false,true,,true;"                                    \
    "founded:d=2018-01-01,2023-06-30,2020-02-29,2024-01-01,"

#define N(a) (sizeof(a) / sizeof((a)[0]))

typedef struct fx {
    cs_engine *eng;
    cs_dataset *ds;
    char buf[1024];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_int_equal(cs_engine_new(NULL, NULL, &f->eng), CS_OK);
    assert_int_equal(spec_dataset(f->eng, ORGS, &f->ds), CS_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    cs_dataset_free(f->ds);
    cs_engine_free(f->eng);
    free(f);
    return 0;
}

/* Column NAME of DS shown as text. */
static const char *col(fx *f, const cs_dataset *ds, const char *name)
{
    cs_column *c = cs_dataset_get(ds, name);
    assert_non_null(c);
    return show_column(c, f->buf, sizeof f->buf);
}

/* The column names of DS, comma-separated. */
static const char *names(fx *f, const cs_dataset *ds)
{
    size_t i, len = 0;
    f->buf[0] = '\0';
    for (i = 0; i < cs_dataset_ncols(ds); i++)
        len += (size_t)snprintf(f->buf + len, sizeof f->buf - len, "%s%s",
                                i ? "," : "", cs_dataset_colname(ds, i));
    return f->buf;
}

static void test_verbs_filter_keeps_true_rows_as_a_view(void **state)
{
    fx *f = *state;
    cs_dataset *v, *vv;
    assert_int_equal(cs_dataset_filter(f->ds, "members > 5", &v), CS_OK);
    assert_non_null(v->sel);
    assert_ptr_equal(v->cols[0], f->ds->cols[0]);   /* shared, not copied */
    assert_int_equal(cs_dataset_nrows(v), 3);
    assert_string_equal(col(f, v, "members"), "12,40,7");
    /* A filter of a view composes; nulls of the condition drop rows. */
    assert_int_equal(cs_dataset_filter(v, "rev > 1", &vv), CS_OK);
    assert_string_equal(col(f, vv, "members"), "12,7");
    assert_string_equal(col(f, vv, "district"),
                        "\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c,Mai Ch\xC3\xA2u");
    cs_dataset_free(vv);
    assert_int_equal(cs_dataset_filter(v, "district == nil", &vv), CS_OK);
    assert_string_equal(col(f, vv, "members"), "40");
    cs_dataset_free(vv);
    cs_dataset_free(v);
    /* Null conditions are not true. */
    assert_int_equal(cs_dataset_filter(f->ds, "active", &v), CS_OK);
    assert_string_equal(col(f, v, "members"), "12,40,7");
    cs_dataset_free(v);
    assert_int_equal(cs_dataset_filter(f->ds, "not active", &v), CS_OK);
    assert_string_equal(col(f, v, "members"), "3");
    cs_dataset_free(v);
    assert_int_equal(cs_dataset_filter(f->ds,
                                       "founded >= '2020-01-01' and "
                                       "district in ('Mai Ch\xC3\xA2u', nil)",
                                       &v),
                     CS_OK);
    assert_string_equal(col(f, v, "members"), "3");
    cs_dataset_free(v);
}

static void test_verbs_filter_edges(void **state)
{
    fx *f = *state;
    cs_dataset *ds, *v;
    /* All-null condition: no rows, all columns. */
    assert_int_equal(spec_dataset(f->eng, "x:i=,,;s:s=a,b,c", &ds), CS_OK);
    assert_int_equal(cs_dataset_filter(ds, "x > 0", &v), CS_OK);
    assert_int_equal(cs_dataset_nrows(v), 0);
    assert_int_equal(cs_dataset_ncols(v), 2);
    assert_string_equal(col(f, v, "s"), "");
    cs_dataset_free(v);
    assert_int_equal(cs_dataset_filter(ds, "true", &v), CS_OK);
    assert_string_equal(col(f, v, "s"), "a,b,c");
    cs_dataset_free(v);
    cs_dataset_free(ds);
    /* Empty input, and one row. */
    assert_int_equal(spec_dataset(f->eng, "x:i;s:s", &ds), CS_OK);
    assert_int_equal(cs_dataset_filter(ds, "x > 0 or s == 'a'", &v), CS_OK);
    assert_int_equal(cs_dataset_nrows(v), 0);
    cs_dataset_free(v);
    cs_dataset_free(ds);
    assert_int_equal(spec_dataset(f->eng, "x:i=5", &ds), CS_OK);
    assert_int_equal(cs_dataset_filter(ds, "x == 5", &v), CS_OK);
    assert_string_equal(col(f, v, "x"), "5");
    cs_dataset_free(v);
    assert_int_equal(cs_dataset_filter(ds, "x ~= 5", &v), CS_OK);
    assert_int_equal(cs_dataset_nrows(v), 0);
    cs_dataset_free(v);
    cs_dataset_free(ds);
}

static void test_verbs_filter_errors(void **state)
{
    fx *f = *state;
    cs_dataset *v = (cs_dataset *)f;
    assert_int_equal(cs_dataset_filter(f->ds, "members + 1", &v), CS_ETYPE);
    assert_null(v);
    assert_string_equal(cs_errmsg(f->eng),
                        "filter condition 'members + 1' is int64, not bool");
    assert_int_equal(cs_dataset_filter(f->ds, "membres > 1", &v),
                     CS_ENOTFOUND);
    assert_string_equal(cs_errmsg(f->eng),
                        "expression 'membres > 1': position 1: no column "
                        "'membres' (did you mean 'members'?)");
    assert_int_equal(cs_dataset_filter(f->ds, "members > ", &v), CS_EPARSE);
    assert_int_equal(cs_dataset_filter(f->ds, "members * 9223372036854775807 "
                                              "> 0", &v),
                     CS_EOVERFLOW);
    assert_null(v);
    cs_engine_interrupt(f->eng);
    assert_int_equal(cs_dataset_filter(f->ds, "members > 1", &v),
                     CS_EINTERRUPT);
    assert_null(v);
    cs_engine_clear_interrupt(f->eng);
}

static void test_verbs_mutate_adds_and_replaces(void **state)
{
    fx *f = *state;
    cs_dataset *m;
    const char *const exprs[] = {
        "members * 2 as double",
        "rev / 2 as rev",                       /* replaced in place */
        "double + 1 as `s\xE1\xBB\x91 ng\xC6\xB0\xE1\xBB\x9Di`",
        "'a as b' .. district as label",        /* 'as' in a string */
        "members",                              /* a bare column */
        "year(founded)",                        /* named by its text */
        ("if(active, 'c\xC3\xB3', 'kh\xC3\xB4ng') as  "
         "tr\xE1\xBA\xA1ng_th\xC3\xA1i "),
    };
    assert_int_equal(cs_dataset_mutate(f->ds, exprs, N(exprs), &m), CS_OK);
    assert_string_equal(names(f, m),
                        "district,members,rev,active,founded,double,"
                        "s\xE1\xBB\x91 ng\xC6\xB0\xE1\xBB\x9Di,label,"
                        "year(founded),tr\xE1\xBA\xA1ng_th\xC3\xA1i");
    assert_string_equal(col(f, m, "double"), "24,6,80,nil,14");
    assert_string_equal(col(f, m, "rev"), "0.75,0.125,nil,4,1");
    assert_string_equal(col(f, m, "s\xE1\xBB\x91 ng\xC6\xB0\xE1\xBB\x9Di"),
                        "25,7,81,nil,15");
    assert_string_equal(col(f, m, "label"),
                        "a as b\xC4\x90\xC3\xA0 B\xE1\xBA\xAF" "c,"
                        "a as bMai Ch\xC3\xA2u,nil,"
                        "a as bL\xE1\xBA\xA1" "c S\xC6\xA1n,"
                        "a as bMai Ch\xC3\xA2u");
    assert_string_equal(col(f, m, "year(founded)"), "2018,2023,2020,2024,nil");
    assert_string_equal(col(f, m, "tr\xE1\xBA\xA1ng_th\xC3\xA1i"),
                        "c\xC3\xB3,kh\xC3\xB4ng,c\xC3\xB3,kh\xC3\xB4ng,"
                        "c\xC3\xB3");
    /* Unchanged columns are shared. */
    assert_ptr_equal(cs_dataset_get(m, "district"), cs_dataset_get(f->ds,
                                                                   "district"));
    cs_dataset_free(m);
    assert_int_equal(cs_dataset_mutate(f->ds, NULL, 0, &m), CS_OK);
    assert_int_equal(cs_dataset_ncols(m), 5);
    cs_dataset_free(m);
}

static void test_verbs_mutate_over_a_view_and_errors(void **state)
{
    fx *f = *state;
    cs_dataset *v, *m = (cs_dataset *)f;
    const char *const ok[] = {"members - 1 as m1"};
    const char *const bad[] = {"members + 1 as x", "x + district as y"};
    const char *const noname[] = {"members as "};
    assert_int_equal(cs_dataset_filter(f->ds, "members ~= nil", &v), CS_OK);
    assert_int_equal(cs_dataset_mutate(v, ok, 1, &m), CS_OK);
    assert_null(m->sel);
    assert_int_equal(cs_dataset_nrows(m), 4);
    assert_string_equal(col(f, m, "m1"), "11,2,39,6");
    assert_string_equal(col(f, m, "rev"), "1.5,0.25,nil,2");
    cs_dataset_free(m);
    assert_int_equal(cs_dataset_mutate(v, bad, 2, &m), CS_ETYPE);
    assert_null(m);
    assert_string_equal(cs_errmsg(f->eng),
                        "expression 'x + district': position 3: cannot apply "
                        "'+' to int64 and string");
    assert_int_equal(cs_dataset_mutate(v, noname, 1, &m), CS_EPARSE);
    assert_non_null(strstr(cs_errmsg(f->eng), "no name after 'as'"));
    cs_dataset_free(v);
}

static void test_verbs_select_drop_rename(void **state)
{
    fx *f = *state;
    cs_dataset *v, *s = (cs_dataset *)f;
    const char *const sel[] = {"rev", "district"};
    const char *const dup[] = {"rev", "rev"};
    const char *const missing[] = {"rev", "revenue"};
    const char *const drop[] = {"members", "active", "founded"};
    const char *const from[] = {"rev", "district"};
    const char *const to[] = {"doanh thu", "huy\xE1\xBB\x87n"};
    const char *const swap_from[] = {"rev", "members"};
    const char *const swap_to[] = {"members", "rev"};
    /* A decomposed spelling of a name finds its NFC column. */
    const char *const nfd[] = {"huye\xCC\xA3\xCC\x82n"};
    assert_int_equal(cs_dataset_select(f->ds, sel, 2, &s), CS_OK);
    assert_string_equal(names(f, s), "rev,district");
    assert_ptr_equal(cs_dataset_column(s, 0), cs_dataset_get(f->ds, "rev"));
    cs_dataset_free(s);
    assert_int_equal(cs_dataset_select(f->ds, dup, 2, &s), CS_EEXIST);
    assert_null(s);
    assert_int_equal(cs_dataset_select(f->ds, missing, 2, &s), CS_ENOTFOUND);
    assert_string_equal(cs_errmsg(f->eng),
                        "select: no column 'revenue' (columns: district, "
                        "members, rev, active, founded)");
    assert_int_equal(cs_dataset_drop(f->ds, drop, 3, &s), CS_OK);
    assert_string_equal(names(f, s), "district,rev");
    cs_dataset_free(s);
    assert_int_equal(cs_dataset_drop(f->ds, missing, 2, &s), CS_ENOTFOUND);
    assert_non_null(strstr(cs_errmsg(f->eng), "drop: no column 'revenue'"));
    assert_int_equal(cs_dataset_rename(f->ds, from, to, 2, &s), CS_OK);
    assert_string_equal(names(f, s), "huy\xE1\xBB\x87n,members,doanh thu,"
                                     "active,founded");
    {
        cs_dataset *t;
        assert_int_equal(cs_dataset_select(s, nfd, 1, &t), CS_OK);
        assert_int_equal(cs_dataset_ncols(t), 1);
        cs_dataset_free(t);
    }
    cs_dataset_free(s);
    assert_int_equal(cs_dataset_rename(f->ds, swap_from, swap_to, 2, &s),
                     CS_OK);
    assert_string_equal(names(f, s), "district,rev,members,active,founded");
    assert_string_equal(col(f, s, "rev"), "12,3,40,nil,7");
    cs_dataset_free(s);
    assert_int_equal(cs_dataset_rename(f->ds, swap_from, swap_to, 1, &s),
                     CS_EEXIST);
    assert_string_equal(cs_errmsg(f->eng),
                        "rename: column name 'members' would be taken twice");
    assert_int_equal(cs_dataset_rename(f->ds, missing + 1, to, 1, &s),
                     CS_ENOTFOUND);
    assert_int_equal(cs_dataset_rename(f->ds, dup, to, 2, &s), CS_EINVAL);
    assert_string_equal(cs_errmsg(f->eng),
                        "rename: column 'rev' is renamed twice");
    {
        const char *const badname[] = {"r\xFF"};
        assert_int_equal(cs_dataset_rename(f->ds, from, badname, 1, &s),
                         CS_EENCODING);
        assert_int_equal(cs_dataset_rename(f->ds, from, swap_from + 1, 1, &s),
                         CS_EEXIST);
    }
    /* Over a view, the results stay views of the same selection. */
    assert_int_equal(cs_dataset_filter(f->ds, "members > 5", &v), CS_OK);
    assert_int_equal(cs_dataset_select(v, sel, 2, &s), CS_OK);
    assert_ptr_equal(s->sel, v->sel);
    assert_string_equal(col(f, s, "rev"), "1.5,nil,2");
    cs_dataset_free(s);
    assert_int_equal(cs_dataset_drop(v, drop, 3, &s), CS_OK);
    assert_ptr_equal(s->sel, v->sel);
    assert_int_equal(cs_dataset_nrows(s), 3);
    cs_dataset_free(s);
    assert_int_equal(cs_dataset_rename(v, from, to, 2, &s), CS_OK);
    assert_string_equal(col(f, s, "doanh thu"), "1.5,nil,2");
    cs_dataset_free(v);   /* s outlives v */
    assert_string_equal(col(f, s, "members"), "12,40,7");
    cs_dataset_free(s);
    /* Selecting nothing keeps the rows. */
    assert_int_equal(cs_dataset_select(f->ds, NULL, 0, &s), CS_OK);
    assert_int_equal(cs_dataset_ncols(s), 0);
    cs_dataset_free(s);
}

static void test_verbs_concat(void **state)
{
    fx *f = *state;
    cs_dataset *a, *b, *c = (cs_dataset *)f, *v;
    assert_int_equal(spec_dataset(f->eng, "k:s=x,y,;n:i=1,,3;d:d=2020-01-01,,",
                                  &a), CS_OK);
    assert_int_equal(spec_dataset(f->eng, "n:f=0.5,;k:s=y,z;d:d=,2021-02-03",
                                  &b), CS_OK);
    assert_int_equal(cs_dataset_concat(a, b, &c), CS_OK);
    assert_string_equal(names(f, c), "k,n,d");
    assert_int_equal(cs_column_type(cs_dataset_get(c, "n")), CS_TYPE_F64);
    assert_string_equal(col(f, c, "n"), "1,nil,3,0.5,nil");
    assert_string_equal(col(f, c, "k"), "x,y,nil,y,z");
    assert_string_equal(col(f, c, "d"), "2020-01-01,nil,nil,nil,2021-02-03");
    assert_int_equal(cs_column_dict_size(cs_dataset_get(c, "k")), 3);
    cs_dataset_free(c);
    /* Views of one source share its dictionary. */
    assert_int_equal(cs_dataset_filter(a, "n == nil", &v), CS_OK);
    assert_int_equal(cs_dataset_concat(v, a, &c), CS_OK);
    assert_string_equal(col(f, c, "k"), "y,x,y,nil");
    assert_ptr_equal(cs_dataset_get(c, "k")->dict,
                     cs_dataset_get(a, "k")->dict);
    cs_dataset_free(c);
    cs_dataset_free(v);
    cs_dataset_free(b);
    /* Errors name the column. */
    assert_int_equal(spec_dataset(f->eng, "k:i=1;n:i=1;d:d=", &b), CS_OK);
    assert_int_equal(cs_dataset_concat(a, b, &c), CS_ETYPE);
    assert_null(c);
    assert_string_equal(cs_errmsg(f->eng),
                        "concat: column 'k' is string in the first dataset "
                        "and int64 in the second");
    cs_dataset_free(b);
    assert_int_equal(spec_dataset(f->eng, "k:s=a;n:i=1", &b), CS_OK);
    assert_int_equal(cs_dataset_concat(a, b, &c), CS_EINVAL);
    assert_string_equal(cs_errmsg(f->eng),
                        "concat: column 'd' is missing from the second "
                        "dataset");
    assert_int_equal(cs_dataset_concat(b, a, &c), CS_EINVAL);
    assert_string_equal(cs_errmsg(f->eng),
                        "concat: column 'd' of the second dataset is not in "
                        "the first");
    cs_dataset_free(b);
    /* Empty inputs. */
    assert_int_equal(spec_dataset(f->eng, "d:d;n:i;k:s", &b), CS_OK);
    assert_int_equal(cs_dataset_concat(b, a, &c), CS_OK);
    assert_string_equal(col(f, c, "k"), "x,y,nil");
    cs_dataset_free(c);
    assert_int_equal(cs_dataset_concat(b, b, &c), CS_OK);
    assert_int_equal(cs_dataset_nrows(c), 0);
    cs_dataset_free(c);
    cs_dataset_free(b);
    cs_dataset_free(a);
}

/* Every verb fails cleanly at every allocation. */
static void test_verbs_oom_sweep(void **state)
{
    long n;
    (void)state;
    for (n = 1; n < 5000; n++) {
        tally t = {0, 0, 0, 0};
        cs_engine *eng;
        cs_dataset *ds = NULL, *v = NULL, *m = NULL, *s = NULL, *r = NULL,
                   *c = NULL, *d = NULL;
        const char *const exprs[] = {"members * 2 as m2",
                                     "lower(district) .. m2 as `l\xE1\xBA\xA1"
                                     "c`"};
        const char *const sel[] = {"m2", "district"};
        const char *const from[] = {"m2"};
        const char *const to[] = {"hai"};
        int rc;
        if (cs_engine_new(tally_alloc, &t, &eng)) continue;
        assert_int_equal(spec_dataset(eng, ORGS, &ds), CS_OK);
        t.fail_at = t.nalloc + n;
        rc = cs_dataset_filter(ds, "members > 5 or district == 'x'", &v);
        if (!rc) rc = cs_dataset_mutate(v, exprs, 2, &m);
        if (!rc) rc = cs_dataset_select(m, sel, 2, &s);
        if (!rc) rc = cs_dataset_rename(s, from, to, 1, &r);
        if (!rc) rc = cs_dataset_drop(m, from, 1, &d);
        if (!rc) rc = cs_dataset_concat(m, m, &c);
        if (rc) assert_int_equal(rc, CS_ENOMEM);
        cs_dataset_free(c);
        cs_dataset_free(d);
        cs_dataset_free(r);
        cs_dataset_free(s);
        cs_dataset_free(m);
        cs_dataset_free(v);
        cs_dataset_free(ds);
        cs_engine_free(eng);
        assert_int_equal(t.live, 0);
        assert_true(t.bytes == 0);
        if (!rc) break;
    }
    assert_true(n > 10 && n < 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_verbs_filter_keeps_true_rows_as_a_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verbs_filter_edges, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_verbs_filter_errors, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_verbs_mutate_adds_and_replaces,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_verbs_mutate_over_a_view_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verbs_select_drop_rename, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_verbs_concat, setup, teardown),
        cmocka_unit_test(test_verbs_oom_sweep),
    };
    return cmocka_run_group_tests_name("verbs", tests, NULL, NULL);
}
