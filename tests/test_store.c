/*
** test_store.c: the SQLite store: round trips of every type and null,
** write modes, transactions rolled back on error, parameters and table
** names that try SQL injection, query typing, errors, schema migration
** and an out-of-memory sweep.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <sqlite3.h>

#include "coopstat.h"
#include "tally.h"

/* A fresh store file in a private temporary directory. */
static char dir[64], path[96];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/coopstat-store.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    snprintf(path, sizeof path, "%s/t.db", dir);
    return 0;
}

static int teardown(void **state)
{
    char p[128];
    (void)state;
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
    rmdir(dir);
    return 0;
}

static cs_dataset *csv(cs_engine *eng, const char *text)
{
    cs_dataset *ds;
    if (cs_csv_read_buffer(eng, text, strlen(text), "t.csv", NULL, &ds))
        fail_msg("csv: %s", cs_errmsg(eng));
    return ds;
}

/* The dataset as text: names and types, then every cell. */
static char *dump(const cs_dataset *ds)
{
    static char buf[8192];
    size_t k, i, len = 0;
    buf[0] = '\0';
    for (k = 0; k < cs_dataset_ncols(ds); k++)
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%s:%s ",
                                cs_dataset_colname(ds, k),
                                cs_type_name(cs_column_type(
                                    cs_dataset_column(ds, k))));
    for (i = 0; i < cs_dataset_nrows(ds); i++) {
        len += (size_t)snprintf(buf + len, sizeof buf - len, "\n");
        for (k = 0; k < cs_dataset_ncols(ds); k++) {
            cs_value v;
            char t[64];
            cs_column_get(cs_dataset_column(ds, k), i, &v);
            if (v.isnull) snprintf(t, sizeof t, "NULL");
            else switch (v.type) {
            case CS_TYPE_I64: snprintf(t, sizeof t, "%lld", (long long)v.u.i); break;
            case CS_TYPE_F64: snprintf(t, sizeof t, "%.17g", v.u.f); break;
            case CS_TYPE_BOOL: snprintf(t, sizeof t, "%s", v.u.b ? "true" : "false"); break;
            case CS_TYPE_DATE: cs_date_format(v.u.d, t); break;
            case CS_TYPE_STR: snprintf(t, sizeof t, "'%.*s'", (int)v.u.s.len, v.u.s.p); break;
            }
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s|", t);
        }
    }
    return buf;
}

static const char sample[] =
    "id,name,members,revenue,active,founded\n"
    "1,Hợp tác xã Tân Lạc,12,1.5,true,2019-03-01\n"
    "9223372036854775807,\"dòng\nmới, \"\"ngoặc\"\"\",,-0.25,false,1899-12-31\n"
    "-9223372036854775808,\"\",0,,NA,\n"
    "4,NA,7,1e300,true,2024-02-29\n";

static void test_store_round_trip_of_every_type_and_null(void **state)
{
    cs_engine *eng;
    cs_store *st;
    cs_dataset *ds, *back;
    char want[8192];
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    ds = csv(eng, sample);
    snprintf(want, sizeof want, "%s", dump(ds));
    assert_non_null(strstr(want, "active:bool founded:date"));
    assert_int_equal(cs_store_write(st, "orgs", ds, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_read(st, "orgs", NULL, 0, &back), CS_OK);
    assert_string_equal(dump(back), want);
    cs_dataset_free(back);
    /* Only some columns, in the order asked. */
    {
        const char *cols[] = {"founded", "id"};
        assert_int_equal(cs_store_read(st, "orgs", cols, 2, &back), CS_OK);
        assert_string_equal(dump(back),
                            "founded:date id:int64 \n2019-03-01|1|\n"
                            "1899-12-31|9223372036854775807|\n"
                            "NULL|-9223372036854775808|\n2024-02-29|4|");
        cs_dataset_free(back);
    }
    /* Survives closing and reopening; the table is plain SQL. */
    cs_store_close(st);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    assert_int_equal(cs_store_read(st, "orgs", NULL, 0, &back), CS_OK);
    assert_string_equal(dump(back), want);
    cs_dataset_free(back);
    assert_int_equal(
        cs_store_query(st,
                       "select typeof(founded) as t, typeof(active) as a "
                       "from orgs where id = 1",
                       NULL, 0, &back),
        CS_OK);
    assert_string_equal(dump(back), "t:string a:string \n'text'|'integer'|");
    cs_dataset_free(back);
    cs_dataset_free(ds);
    cs_store_close(st);
    cs_engine_free(eng);
}

static void test_store_write_modes(void **state)
{
    cs_engine *eng;
    cs_store *st;
    cs_dataset *a, *b, *c, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    a = csv(eng, "k,v\n1,x\n2,y\n");
    b = csv(eng, "k,v\n3,z\n");
    c = csv(eng, "k,v\nx,1\n");
    assert_int_equal(cs_store_write(st, "t", a, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_write(st, "t", a, CS_WRITE_CREATE), CS_EEXIST);
    assert_string_equal(cs_errmsg(eng),
                        "table 't' exists (mode \"replace\" or \"append\")");
    assert_int_equal(cs_store_write(st, "t", b, CS_WRITE_APPEND), CS_OK);
    assert_int_equal(cs_store_write(st, "t", c, CS_WRITE_APPEND), CS_ETYPE);
    assert_string_equal(cs_errmsg(eng),
                        "append to 't': column 'k' is int64 in the table, "
                        "string in the data");
    assert_int_equal(cs_store_write(st, "nope", b, CS_WRITE_APPEND),
                     CS_ENOTFOUND);
    assert_int_equal(cs_store_read(st, "t", NULL, 0, &r), CS_OK);
    assert_string_equal(dump(r), "k:int64 v:string \n1|'x'|\n2|'y'|\n3|'z'|");
    cs_dataset_free(r);
    assert_int_equal(cs_store_write(st, "t", c, CS_WRITE_REPLACE), CS_OK);
    assert_int_equal(cs_store_read(st, "t", NULL, 0, &r), CS_OK);
    assert_string_equal(dump(r), "k:string v:int64 \n'x'|1|");
    cs_dataset_free(r);
    /* The store's bookkeeping: two writes of t since the replace... */
    assert_int_equal(cs_store_query(st,
                                    "select nrows, version from "
                                    "coopstat_tables where name = 't'",
                                    NULL, 0, &r),
                     CS_OK);
    assert_string_equal(dump(r), "nrows:int64 version:int64 \n1|3|");
    cs_dataset_free(r);
    assert_int_equal(cs_store_write(st, "coopstat_x", a, CS_WRITE_CREATE),
                     CS_EINVAL);
    assert_int_equal(cs_store_write(st, "", a, CS_WRITE_CREATE), CS_EINVAL);
    assert_int_equal(cs_store_tables(st, &r), CS_OK);
    assert_string_equal(dump(r), "name:string kind:string \n't'|'table'|");
    cs_dataset_free(r);
    cs_dataset_free(a);
    cs_dataset_free(b);
    cs_dataset_free(c);
    cs_store_close(st);
    cs_engine_free(eng);
}

/* A write that fails half way, a failed statement among several and a
** rolled-back transaction all leave the store as it was. */
static void test_store_failures_leave_nothing(void **state)
{
    cs_engine *eng;
    cs_store *st;
    cs_dataset *ds, *r;
    int64_t changes = -1;
    int found;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    assert_int_equal(cs_store_exec(st,
                                   "create table c (x integer check (x > 0));"
                                   "insert into c values (5)",
                                   NULL, 0, &changes),
                     CS_OK);
    assert_int_equal(changes, 1);
    ds = csv(eng, "x\n1\n2\n-3\n4\n");
    assert_int_equal(cs_store_write(st, "c", ds, CS_WRITE_APPEND), CS_ESQL);
    assert_non_null(strstr(cs_errmsg(eng), "CHECK constraint failed"));
    assert_int_equal(cs_store_depth(st), 0);
    assert_int_equal(cs_store_query(st, "select x from c", NULL, 0, &r),
                     CS_OK);
    assert_string_equal(dump(r), "x:int64 \n5|");
    cs_dataset_free(r);
    /* Several statements: all or none. */
    assert_int_equal(cs_store_exec(st,
                                   "insert into c values (6); "
                                   "insert into c values (-1)",
                                   NULL, 0, NULL),
                     CS_ESQL);
    assert_int_equal(cs_store_query(st, "select count(*) as n from c", NULL,
                                    0, &r),
                     CS_OK);
    assert_string_equal(dump(r), "n:int64 \n1|");
    cs_dataset_free(r);
    /* A transaction rolled back takes its writes with it; nested ones
    ** commit into their parent. */
    assert_int_equal(cs_store_begin(st), CS_OK);
    assert_int_equal(cs_store_write(st, "gone", ds, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_begin(st), CS_OK);
    assert_int_equal(cs_store_write(st, "gone2", ds, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_commit(st), CS_OK);
    assert_int_equal(cs_store_rollback(st), CS_OK);
    assert_int_equal(cs_store_has_table(st, "gone", &found), CS_OK);
    assert_false(found);
    assert_int_equal(cs_store_has_table(st, "gone2", &found), CS_OK);
    assert_false(found);
    assert_int_equal(cs_store_commit(st), CS_EMISUSE);
    /* A transaction left open is rolled back at close. */
    assert_int_equal(cs_store_begin(st), CS_OK);
    assert_int_equal(cs_store_write(st, "open", ds, CS_WRITE_CREATE), CS_OK);
    cs_store_close(st);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    assert_int_equal(cs_store_has_table(st, "open", &found), CS_OK);
    assert_false(found);
    cs_dataset_free(ds);
    cs_store_close(st);
    cs_engine_free(eng);
}

/* A header of N columns c1..cN and one row of 1..N, as CSV text. */
static char *wide_csv(size_t n)
{
    char *text = malloc(n * 24 + 2), *p = text;
    size_t i;
    if (!text) fail_msg("out of memory");
    for (i = 1; i <= n; i++) p += sprintf(p, "%sc%zu", i > 1 ? "," : "", i);
    *p++ = '\n';
    for (i = 1; i <= n; i++) p += sprintf(p, "%s%zu", i > 1 ? "," : "", i);
    *p++ = '\n';
    *p = '\0';
    return text;
}

/* SQLite's width limit (2,000 columns in Debian's build): a table at it
** is written and read back, one wider is refused before anything is
** written, with the count and the limit in the message. */
static void test_store_column_limit(void **state)
{
    cs_engine *eng;
    cs_store *st;
    cs_dataset *ds, *r;
    char *text;
    int found;
    cs_value v;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    text = wide_csv(2000);
    ds = csv(eng, text);
    free(text);
    assert_int_equal(cs_store_write(st, "w2000", ds, CS_WRITE_CREATE), CS_OK);
    cs_dataset_free(ds);
    assert_int_equal(cs_store_read(st, "w2000", NULL, 0, &r), CS_OK);
    assert_int_equal(cs_dataset_ncols(r), 2000);
    cs_column_get(cs_dataset_column(r, 1999), 0, &v);
    assert_int_equal(v.u.i, 2000);
    cs_dataset_free(r);
    text = wide_csv(2001);
    ds = csv(eng, text);
    free(text);
    assert_int_equal(cs_store_write(st, "w2001", ds, CS_WRITE_CREATE),
                     CS_EINVAL);
    assert_non_null(strstr(cs_errmsg(eng), "'w2001': 2001 columns, but a "
                                           "store table holds at most 2000"));
    assert_int_equal(cs_store_has_table(st, "w2001", &found), CS_OK);
    assert_false(found);
    assert_int_equal(cs_store_depth(st), 0);
    cs_dataset_free(ds);
    cs_store_close(st);
    cs_engine_free(eng);
}

static void test_store_injection_through_parameters_and_names(void **state)
{
    static const char evil[] = "t\"; DROP TABLE keep; --";
    cs_engine *eng;
    cs_store *st;
    cs_dataset *ds, *r;
    cs_value p[2];
    int found;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    ds = csv(eng, "name,\"we\"\"ird col\"\nx,1\ny,2\n");
    assert_int_equal(cs_store_write(st, "keep", ds, CS_WRITE_CREATE), CS_OK);
    /* A table and a column whose names are SQL. */
    assert_int_equal(cs_store_write(st, evil, ds, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_has_table(st, "keep", &found), CS_OK);
    assert_true(found);
    assert_int_equal(cs_store_read(st, evil, NULL, 0, &r), CS_OK);
    assert_string_equal(dump(r),
                        "name:string we\"ird col:int64 \n'x'|1|\n'y'|2|");
    cs_dataset_free(r);
    /* A parameter is a value, never SQL. */
    p[0].type = CS_TYPE_STR;
    p[0].isnull = 0;
    p[0].u.s.p = "x' OR '1'='1";
    p[0].u.s.len = strlen(p[0].u.s.p);
    assert_int_equal(cs_store_query(st,
                                    "select count(*) as n from keep where "
                                    "name = ?",
                                    p, 1, &r),
                     CS_OK);
    assert_string_equal(dump(r), "n:int64 \n0|");
    cs_dataset_free(r);
    p[0].u.s.p = "y";
    p[0].u.s.len = 1;
    p[1].type = CS_TYPE_DATE;
    p[1].isnull = 0;
    p[1].u.d = cs_date_from_ymd(2023, 6, 30);
    assert_int_equal(cs_store_query(st,
                                    "select name, ?2 as d from keep where "
                                    "name = ?1",
                                    p, 1, &r),
                     CS_EINVAL);
    assert_int_equal(cs_store_query(st,
                                    "select name, ?2 as d from keep where "
                                    "name = ?1",
                                    p, 2, &r),
                     CS_OK);
    assert_string_equal(dump(r), "name:string d:string \n'y'|'2023-06-30'|");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_store_close(st);
    cs_engine_free(eng);
}

/* Query results take the type their values have; declared DATE and
** BOOLEAN columns keep theirs; errors say where. */
static void test_store_query_typing_and_errors(void **state)
{
    cs_engine *eng;
    cs_store *st;
    cs_dataset *r;
    cs_value p;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    assert_int_equal(
        cs_store_exec(st,
                      "create table m (a, d DATE, b BOOLEAN);"
                      "insert into m values (NULL, '2023-01-02', 1),"
                      " (1, NULL, 0), (2.5, '2020-02-29', NULL),"
                      " ('x', '2021-12-31', 1)",
                      NULL, 0, NULL),
        CS_OK);
    assert_int_equal(cs_store_query(st, "select a, d, b from m limit 3",
                                    NULL, 0, &r),
                     CS_OK);
    assert_string_equal(dump(r), "a:float64 d:date b:bool \n"
                                 "NULL|2023-01-02|true|\n1|NULL|false|\n"
                                 "2.5|2020-02-29|NULL|");
    cs_dataset_free(r);
    assert_int_equal(cs_store_query(st, "select a from m", NULL, 0, &r),
                     CS_OK);
    assert_string_equal(dump(r), "a:string \nNULL|\n'1'|\n'2.5'|\n'x'|");
    cs_dataset_free(r);
    assert_int_equal(cs_store_query(st, "select a from m where 0", NULL, 0,
                                    &r),
                     CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 0);
    cs_dataset_free(r);
    assert_int_equal(cs_store_query(st, "selec a from m", NULL, 0, &r),
                     CS_ESQL);
    assert_string_equal(cs_errmsg(eng),
                        "SQL error at character 1: near \"selec\": syntax "
                        "error");
    assert_int_equal(cs_store_query(st, "select nope from m", NULL, 0, &r),
                     CS_ESQL);
    assert_non_null(strstr(cs_errmsg(eng), "no such column: nope"));
    assert_int_equal(cs_store_query(st, "select 1; select 2", NULL, 0, &r),
                     CS_EINVAL);
    assert_int_equal(cs_store_query(st, "select 1 as a, 2 as a", NULL, 0, &r),
                     CS_EEXIST);
    p.type = CS_TYPE_I64;
    p.isnull = 0;
    p.u.i = 1;
    assert_int_equal(cs_store_query(st, "select 1", &p, 1, &r), CS_EINVAL);
    assert_string_equal(cs_errmsg(eng), "the statement has 0 parameters, 1 given");
    assert_int_equal(cs_store_read(st, "nope", NULL, 0, &r), CS_ENOTFOUND);
    assert_string_equal(cs_errmsg(eng), "no table 'nope' in the store");
    {
        const char *cols[] = {"zz"};
        assert_int_equal(cs_store_read(st, "m", cols, 1, &r), CS_ENOTFOUND);
        assert_non_null(strstr(cs_errmsg(eng), "no such column: zz"));
    }
    cs_store_close(st);
    cs_engine_free(eng);
}

/* A value changed by SQL so that it no longer fits the recorded type is
** an error naming the table, row and column. */
static void test_store_read_checks_recorded_types(void **state)
{
    cs_engine *eng;
    cs_store *st;
    cs_dataset *ds, *r;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    ds = csv(eng, "k,d\n1,2023-01-01\n2,2023-01-02\n");
    assert_int_equal(cs_store_write(st, "t", ds, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_exec(st, "update t set d = 'soon' where k = 2",
                                   NULL, 0, NULL),
                     CS_OK);
    assert_int_equal(cs_store_read(st, "t", NULL, 0, &r), CS_ETYPE);
    assert_string_equal(cs_errmsg(eng),
                        "table 't', row 2, column 'd': 'soon' is not date");
    cs_dataset_free(ds);
    cs_store_close(st);
    cs_engine_free(eng);
}

/* A store of schema version 1 is brought to the current version with its
** data; a store newer than this coopstat is refused, untouched. */
static void test_store_migrates_older_schema(void **state)
{
    sqlite3 *db;
    cs_engine *eng;
    cs_store *st;
    cs_dataset *r;
    (void)state;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE coopstat_columns (tbl TEXT NOT NULL, pos "
                     "INTEGER NOT NULL, name TEXT NOT NULL, type TEXT NOT "
                     "NULL, PRIMARY KEY (tbl, pos));"
                     "CREATE TABLE old (d DATE);"
                     "INSERT INTO old VALUES ('2022-12-31');"
                     "INSERT INTO coopstat_columns VALUES ('old', 0, 'd', "
                     "'date');"
                     "PRAGMA user_version = 1;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    assert_int_equal(cs_store_query(st, "pragma user_version", NULL, 0, &r),
                     CS_OK);
    assert_int_equal(cs_column_i64s(cs_dataset_column(r, 0))[0],
                     cs_store_schema_version());
    cs_dataset_free(r);
    assert_int_equal(cs_store_query(st, "select name from coopstat_tables",
                                    NULL, 0, &r),
                     CS_OK);
    assert_string_equal(dump(r), "name:string \n'old'|");
    cs_dataset_free(r);
    assert_int_equal(cs_store_read(st, "old", NULL, 0, &r), CS_OK);
    assert_string_equal(dump(r), "d:date \n2022-12-31|");
    cs_dataset_free(r);
    assert_int_equal(cs_store_exec(st, "pragma user_version = 99", NULL, 0,
                                   NULL),
                     CS_OK);
    cs_store_close(st);
    assert_int_equal(cs_store_open(eng, path, &st), CS_EINVAL);
    assert_null(st);
    assert_non_null(strstr(cs_errmsg(eng), "schema version 99 is newer"));
    /* Not a database at all. */
    {
        FILE *f = fopen(path, "wb");
        char p[128];
        fputs("this is not SQLite, only text that is long enough to have a "
              "header of one hundred bytes or more, padded out: "
              "................................................", f);
        fclose(f);
        snprintf(p, sizeof p, "%s-wal", path);
        unlink(p);
        assert_int_equal(cs_store_open(eng, path, &st), CS_EIO);
        assert_non_null(strstr(cs_errmsg(eng), "t.db"));
    }
    cs_engine_free(eng);
}

/* db reads go through the columnar copy while SQL has not touched the
** table (-0.0, which SQL stores as 0, shows which path read it); any
** change through SQL, a table dropped and made again, or a damaged copy
** sends the read through SQL, which also makes the copy again. */
static void test_store_columnar_copy(void **state)
{
    cs_engine *eng;
    cs_store *st;
    cs_dataset *ds, *r;
    sqlite3 *raw;
    sqlite3_blob *blob;
    sqlite3_stmt *q;
    const char *cols[] = {"s", "k"};
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    ds = csv(eng, "k,s,f\n1,a,-0.0\n2,NA,1.5\n3,b,NA\n");
    assert_int_equal(cs_store_write(st, "t", ds, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_read(st, "t", NULL, 0, &r), CS_OK);
    assert_string_equal(dump(r), "k:int64 s:string f:float64 \n"
                                 "1|'a'|-0|\n2|NULL|1.5|\n3|'b'|NULL|");
    cs_dataset_free(r);
    assert_int_equal(cs_store_read(st, "t", cols, 2, &r), CS_OK);
    assert_string_equal(dump(r), "s:string k:int64 \n'a'|1|\nNULL|2|\n'b'|3|");
    cs_dataset_free(r);
    /* Changed through SQL: read through SQL (NaN is NULL there). */
    assert_int_equal(cs_store_exec(st, "update t set k = 10 where k = 1",
                                   NULL, 0, NULL),
                     CS_OK);
    assert_int_equal(cs_store_read(st, "t", NULL, 0, &r), CS_OK);
    assert_string_equal(dump(r), "k:int64 s:string f:float64 \n"
                                 "10|'a'|0|\n2|NULL|1.5|\n3|'b'|NULL|");
    cs_dataset_free(r);
    /* ...which made the copy again: a second change is seen too. */
    assert_int_equal(cs_store_exec(st, "delete from t where k = 2", NULL, 0,
                                   NULL),
                     CS_OK);
    assert_int_equal(cs_store_read(st, "t", cols, 2, &r), CS_OK);
    assert_string_equal(dump(r), "s:string k:int64 \n'a'|10|\n'b'|3|");
    cs_dataset_free(r);
    /* Dropped and made again by SQL, with the same columns. */
    assert_int_equal(cs_store_read(st, "t", NULL, 0, &r), CS_OK);
    cs_dataset_free(r);
    assert_int_equal(cs_store_exec(st,
                                   "drop table t; create table t (k INTEGER, "
                                   "s TEXT, f REAL); insert into t values "
                                   "(7, 'z', 0.5)",
                                   NULL, 0, NULL),
                     CS_OK);
    assert_int_equal(cs_store_read(st, "t", NULL, 0, &r), CS_OK);
    assert_string_equal(dump(r), "k:int64 s:string f:float64 \n7|'z'|0.5|");
    cs_dataset_free(r);
    /* Damaged copies: a string code outside the dictionary, a block cut
    ** short.  Both are read through SQL, and the copy made again. */
    assert_int_equal(cs_store_write(st, "t", ds, CS_WRITE_REPLACE), CS_OK);
    assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw,
                                        "select rowid from coopstat_blocks "
                                        "where tbl = 't' and col = 1 and "
                                        "part = 0",
                                        -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_blob_open(raw, "main", "coopstat_blocks", "data",
                                       sqlite3_column_int64(q, 0), 1, &blob),
                     SQLITE_OK);
    sqlite3_finalize(q);
    {
        /* The header, the validity word (row 2 is null), then codes. */
        uint32_t bad = 99;
        assert_int_equal(sqlite3_blob_write(blob, &bad, 4, 16 + 8),
                         SQLITE_OK);
    }
    sqlite3_blob_close(blob);
    sqlite3_close(raw);
    assert_int_equal(cs_store_read(st, "t", cols, 2, &r), CS_OK);
    assert_string_equal(dump(r), "s:string k:int64 \n'a'|1|\nNULL|2|\n'b'|3|");
    cs_dataset_free(r);
    assert_int_equal(cs_store_exec(st,
                                   "update coopstat_blocks set data = "
                                   "substr(data, 1, length(data) - 8) where "
                                   "tbl = 't' and col = 0",
                                   NULL, 0, NULL),
                     CS_OK);
    assert_int_equal(cs_store_read(st, "t", NULL, 0, &r), CS_OK);
    assert_string_equal(dump(r), "k:int64 s:string f:float64 \n"
                                 "1|'a'|0|\n2|NULL|1.5|\n3|'b'|NULL|");
    cs_dataset_free(r);
    cs_dataset_free(ds);
    /* No row at all. */
    ds = csv(eng, "k,s\n");
    assert_int_equal(cs_store_write(st, "empty", ds, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_read(st, "empty", NULL, 0, &r), CS_OK);
    assert_int_equal(cs_dataset_nrows(r), 0);
    assert_int_equal(cs_dataset_ncols(r), 2);
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_store_close(st);
    cs_engine_free(eng);
}

/* More rows than a block holds: the parts join up, nulls and all. */
static void test_store_copy_of_several_parts(void **state)
{
    enum { N = (1 << 20) + 1000 };
    cs_engine *eng;
    cs_store *st;
    cs_column *x, *d;
    cs_dataset *ds, *r;
    const int64_t *v;
    size_t i;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &st), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_I64, &x), CS_OK);
    assert_int_equal(cs_column_new(eng, CS_TYPE_DATE, &d), CS_OK);
    for (i = 0; i < N; i++) {
        /* Nulls only in the second part of x, only in the first of d. */
        if (i > (1u << 20) && i % 7 == 0)
            assert_int_equal(cs_column_push_null(x), CS_OK);
        else
            assert_int_equal(cs_column_push_i64(x, (int64_t)i * 3), CS_OK);
        if (i % 1000 == 999)
            assert_int_equal(cs_column_push_null(d), CS_OK);
        else
            assert_int_equal(cs_column_push_date(d, (int32_t)(i % 30000)),
                             CS_OK);
    }
    assert_int_equal(cs_dataset_new(eng, &ds), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "x", x), CS_OK);
    assert_int_equal(cs_dataset_add(ds, "d", d), CS_OK);
    assert_int_equal(cs_store_write(st, "big", ds, CS_WRITE_CREATE), CS_OK);
    assert_int_equal(cs_store_read(st, "big", NULL, 0, &r), CS_OK);
    assert_int_equal(cs_dataset_nrows(r), N);
    assert_int_equal(cs_column_nulls(cs_dataset_column(r, 0)),
                     cs_column_nulls(x));
    assert_int_equal(cs_column_nulls(cs_dataset_column(r, 1)),
                     cs_column_nulls(d));
    v = cs_column_i64s(cs_dataset_column(r, 0));
    for (i = 0; i < N; i++) {
        int xn = cs_column_is_null(x, i), dn = cs_column_is_null(d, i);
        if (xn != cs_column_is_null(cs_dataset_column(r, 0), i) ||
            (!xn && v[i] != (int64_t)i * 3) ||
            dn != cs_column_is_null(cs_dataset_column(r, 1), i) ||
            (!dn && cs_column_dates(cs_dataset_column(r, 1))[i] !=
                        (int32_t)(i % 30000)))
            fail_msg("row %zu differs", i);
    }
    cs_dataset_free(r);
    cs_dataset_free(ds);
    cs_column_release(x);
    cs_column_release(d);
    cs_store_close(st);
    cs_engine_free(eng);
}

/* Reading and querying fail cleanly at every allocation of the core's. */
static void test_store_oom_sweep(void **state)
{
    long n;
    int done = 0;
    (void)state;
    for (n = 1; !done && n < 5000; n++) {
        tally t = {0, 0, 0, 0};
        cs_engine *eng;
        cs_store *st = NULL;
        cs_dataset *ds = NULL, *r = NULL;
        int rc;
        if (cs_engine_new(tally_alloc, &t, &eng)) continue;
        if (cs_csv_read_buffer(eng, sample, strlen(sample), "s.csv", NULL,
                               &ds) ||
            cs_store_open(eng, path, &st)) {
            cs_store_close(st);
            cs_dataset_free(ds);
            cs_engine_free(eng);
            continue;
        }
        t.fail_at = t.nalloc + n;
        rc = cs_store_write(st, "o", ds, CS_WRITE_REPLACE);
        if (!rc) rc = cs_store_read(st, "o", NULL, 0, &r);
        cs_dataset_free(r);
        r = NULL;
        if (!rc) rc = cs_store_query(st, "select * from o", NULL, 0, &r);
        cs_dataset_free(r);
        r = NULL;
        if (!rc) {
            cs_value p[2];
            memset(p, 0, sizeof p);
            p[0].type = CS_TYPE_STR;
            p[0].u.s.p = "Hợp tác xã";
            p[0].u.s.len = strlen(p[0].u.s.p);
            p[1].type = CS_TYPE_I64;
            p[1].u.i = 4;
            rc = cs_store_exec(st, "update o set name = ? where id = ?", p, 2, NULL);
            if (!rc) rc = cs_store_query(st, "select name from o where id = ?", p + 1, 1, &r);
            cs_dataset_free(r);
            r = NULL;
        }
        if (!rc) rc = cs_store_tables(st, &r);
        cs_dataset_free(r);
        if (rc == CS_OK) done = 1;
        else assert_int_equal(rc, CS_ENOMEM);
        cs_store_close(st);
        cs_dataset_free(ds);
        cs_engine_free(eng);
        assert_int_equal(t.live, 0);
        assert_int_equal(t.bytes, 0);
    }
    assert_true(done);
}

/* BEGIN IMMEDIATE: a second connection cannot write (or take the lock)
** until it ends; commit and rollback close it; not inside another. */
static void test_store_immediate_transactions(void **state)
{
    cs_engine *eng;
    cs_store *a, *b;
    cs_dataset *ds;
    cs_value v;
    (void)state;
    assert_int_equal(cs_engine_new(NULL, NULL, &eng), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &a), CS_OK);
    assert_int_equal(cs_store_open(eng, path, &b), CS_OK);
    assert_int_equal(cs_store_exec(a, "CREATE TABLE t (x INTEGER)", NULL, 0, NULL), CS_OK);
    assert_int_equal(cs_store_exec(b, "PRAGMA busy_timeout = 100", NULL, 0, NULL), CS_OK);
    assert_int_equal(cs_store_begin_immediate(a), CS_OK);
    assert_int_equal(cs_store_depth(a), 1);
    assert_int_equal(cs_store_exec(a, "INSERT INTO t VALUES (1)", NULL, 0, NULL), CS_OK);
    /* The other connection waits, then gives up: the lock is held. */
    assert_int_equal(cs_store_begin_immediate(b), CS_EBUSY);
    assert_int_equal(cs_store_depth(b), 0);
    /* ... but can still open the store and read (no lock to open it). */
    {
        cs_store *c;
        assert_int_equal(cs_store_open(eng, path, &c), CS_OK);
        assert_int_equal(cs_store_query(c, "SELECT count(*) AS n FROM t", NULL, 0, &ds), CS_OK);
        cs_column_get(cs_dataset_column(ds, 0), 0, &v);
        assert_int_equal(v.u.i, 0); /* not committed yet */
        cs_dataset_free(ds);
        cs_store_close(c);
    }
    assert_int_equal(cs_store_begin_immediate(a), CS_EMISUSE);
    assert_int_equal(cs_store_commit(a), CS_OK);
    assert_int_equal(cs_store_depth(a), 0);
    /* Rolled back: nothing stays, and the lock is free again. */
    assert_int_equal(cs_store_begin_immediate(b), CS_OK);
    assert_int_equal(cs_store_exec(b, "INSERT INTO t VALUES (2)", NULL, 0, NULL), CS_OK);
    assert_int_equal(cs_store_rollback(b), CS_OK);
    assert_int_equal(cs_store_begin_immediate(a), CS_OK);
    assert_int_equal(cs_store_commit(a), CS_OK);
    assert_int_equal(cs_store_query(a, "SELECT group_concat(x) AS xs FROM t", NULL, 0, &ds), CS_OK);
    cs_column_get(cs_dataset_column(ds, 0), 0, &v);
    assert_int_equal(v.u.s.len, 1);
    assert_memory_equal(v.u.s.p, "1", 1);
    cs_dataset_free(ds);
    cs_store_close(a);
    cs_store_close(b);
    cs_engine_free(eng);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_store_round_trip_of_every_type_and_null, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_write_modes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_failures_leave_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_store_injection_through_parameters_and_names, setup,
            teardown),
        cmocka_unit_test_setup_teardown(test_store_query_typing_and_errors,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_read_checks_recorded_types,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_migrates_older_schema,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_columnar_copy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_copy_of_several_parts,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_column_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_oom_sweep, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_immediate_transactions,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
