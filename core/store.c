/*
** store.c: the store, one SQLite file holding the analysts' tables.
** Tables are plain SQL tables, queryable by any SQLite tool; their
** coopstat types (which SQL's five storage classes cannot tell apart:
** bool from int64, date from text) are kept in coopstat_columns.  Every
** change happens in a transaction (a savepoint, so that changes nest),
** and parameters are always bound, never spliced into SQL text.
*/
#include "csint.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cs_store {
    cs_engine *eng;
    sqlite3 *db;
    int depth;          /* open savepoints */
};

/* The schema of the store's own tables, by version (PRAGMA user_version).
** A store is migrated forward step by step when opened. */
static const char *const migrations[] = {
    /* 1: the coopstat type of each column of each table. */
    "CREATE TABLE coopstat_columns ("
    " tbl TEXT NOT NULL, pos INTEGER NOT NULL, name TEXT NOT NULL,"
    " type TEXT NOT NULL, PRIMARY KEY (tbl, pos));",
    /* 2: each table's row count and a version bumped by every write
    ** through coopstat. */
    "CREATE TABLE coopstat_tables ("
    " name TEXT PRIMARY KEY, nrows INTEGER NOT NULL,"
    " version INTEGER NOT NULL, changed_at TEXT NOT NULL);"
    "INSERT INTO coopstat_tables (name, nrows, version, changed_at)"
    " SELECT DISTINCT tbl, 0, 1, datetime('now') FROM coopstat_columns;",
};

#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

int cs_store_schema_version(void) { return SCHEMA_VERSION; }

/* Sets an error from SQLite's last one on ST, prefixed by WHAT. */
static int sql_error(cs_store *st, const char *what)
{
    int code = sqlite3_errcode(st->db);
    int rc = code == SQLITE_NOMEM ? CS_ENOMEM
             : code == SQLITE_BUSY || code == SQLITE_LOCKED ? CS_EBUSY
             : code == SQLITE_INTERRUPT ? CS_EINTERRUPT
             : code == SQLITE_CANTOPEN || code == SQLITE_IOERR ||
                   code == SQLITE_FULL || code == SQLITE_READONLY ||
                   code == SQLITE_NOTADB || code == SQLITE_CORRUPT
                 ? CS_EIO
                 : CS_ESQL;
    return cs__error(st->eng, rc, "%s: %s", what, sqlite3_errmsg(st->db));
}

/* Prepares the one statement SQL; an error names the position of a
** syntax error in SQL when SQLite knows it. */
static int prepare(cs_store *st, const char *sql, sqlite3_stmt **stmt,
                   const char **tail)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, stmt, tail) == SQLITE_OK)
        return CS_OK;
    {
        int off = sqlite3_error_offset(st->db);
        char what[64];
        if (off >= 0)
            snprintf(what, sizeof what, "SQL error at character %d", off + 1);
        else
            snprintf(what, sizeof what, "SQL error");
        return sql_error(st, what);
    }
}

static int exec(cs_store *st, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) == SQLITE_OK) return CS_OK;
    sqlite3_free(msg);
    return sql_error(st, "SQL error");
}

/* Appends NAME quoted as an SQL identifier ("a""b"). */
static int add_ident(cs_buf *b, const char *name)
{
    int rc = cs__buf_addc(b, '"');
    for (; !rc && *name; name++) {
        if (*name == '"') rc = cs__buf_addc(b, '"');
        if (!rc) rc = cs__buf_addc(b, *name);
    }
    return rc ? rc : cs__buf_addc(b, '"');
}

/* ------------------------------------------------------------------ */
/* Transactions                                                        */
/* ------------------------------------------------------------------ */
int cs_store_begin(cs_store *st)
{
    char sql[48];
    int rc;
    snprintf(sql, sizeof sql, "SAVEPOINT cs_%d", st->depth + 1);
    if ((rc = exec(st, sql))) return rc;
    st->depth++;
    return CS_OK;
}

int cs_store_commit(cs_store *st)
{
    char sql[48];
    int rc;
    if (st->depth == 0)
        return cs__error(st->eng, CS_EMISUSE, "no transaction to commit");
    snprintf(sql, sizeof sql, "RELEASE cs_%d", st->depth);
    if ((rc = exec(st, sql))) return rc;
    st->depth--;
    return CS_OK;
}

int cs_store_rollback(cs_store *st)
{
    char sql[64];
    char *msg = NULL;
    if (st->depth == 0)
        return cs__error(st->eng, CS_EMISUSE, "no transaction to roll back");
    /* Keeps the error that caused the rollback as the engine's. */
    snprintf(sql, sizeof sql, "ROLLBACK TO cs_%d; RELEASE cs_%d", st->depth,
             st->depth);
    st->depth--;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        return CS_ESQL;
    }
    return CS_OK;
}

int cs_store_depth(const cs_store *st) { return st->depth; }

/* ------------------------------------------------------------------ */
/* Opening                                                             */
/* ------------------------------------------------------------------ */
static int user_version(cs_store *st, int *v)
{
    sqlite3_stmt *s;
    int rc = prepare(st, "PRAGMA user_version", &s, NULL);
    if (rc) return rc;
    if (sqlite3_step(s) != SQLITE_ROW) {
        sqlite3_finalize(s);
        return sql_error(st, "reading the schema version");
    }
    *v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return CS_OK;
}

/* Brings the store's own tables to SCHEMA_VERSION, in one transaction. */
static int migrate(cs_store *st, const char *path)
{
    int v = 0, rc;
    char sql[64];
    if ((rc = exec(st, "BEGIN IMMEDIATE"))) return rc;
    if ((rc = user_version(st, &v))) goto fail;
    if (v > SCHEMA_VERSION) {
        rc = cs__error(st->eng, CS_EINVAL,
                       "%s: store schema version %d is newer than this "
                       "coopstat's (%d)",
                       path, v, SCHEMA_VERSION);
        goto fail;
    }
    for (; v < SCHEMA_VERSION; v++)
        if ((rc = exec(st, migrations[v]))) goto fail;
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", SCHEMA_VERSION);
    if ((rc = exec(st, sql))) goto fail;
    return exec(st, "COMMIT");
fail:
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int cs_store_open(cs_engine *eng, const char *path, cs_store **out)
{
    cs_store *st;
    int rc;
    *out = NULL;
    if (!(st = cs__alloc(eng, sizeof *st))) return cs__oom(eng);
    memset(st, 0, sizeof *st);
    st->eng = eng;
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        rc = st->db ? cs__error(eng, CS_EIO, "%s: cannot open the store: %s",
                                path, sqlite3_errmsg(st->db))
                    : cs__oom(eng);
        goto fail;
    }
    sqlite3_extended_result_codes(st->db, 0);
    /* A double-quoted name that is no column must be an error, not the
    ** string it would otherwise silently become. */
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DQS_DML, 0, (int *)NULL);
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DQS_DDL, 0, (int *)NULL);
    sqlite3_busy_timeout(st->db, 5000);
    /* WAL: readers never wait for the writer; NORMAL sync is durable
    ** across a process crash, which is what a killed job is. */
    if ((rc = exec(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = "
                       "NORMAL; PRAGMA foreign_keys = ON")))
        goto fail;
    if ((rc = migrate(st, path))) goto fail;
    *out = st;
    return CS_OK;
fail:
    if (rc == CS_ESQL || rc == CS_EIO) {
        /* "file is not a database" and the like name the file. */
        char msg[sizeof eng->errmsg];
        snprintf(msg, sizeof msg, "%s", eng->errmsg);
        if (strncmp(msg, path, strlen(path)) != 0)
            cs__error(eng, rc, "%s: %s", path, msg);
    }
    sqlite3_close(st->db);
    cs__free(eng, st, sizeof *st);
    return rc;
}

void cs_store_close(cs_store *st)
{
    if (!st) return;
    while (st->depth) cs_store_rollback(st);
    sqlite3_close_v2(st->db);
    cs__free(st->eng, st, sizeof *st);
}

cs_engine *cs_store_engine(const cs_store *st) { return st->eng; }

void cs_store_interrupt(cs_store *st) { sqlite3_interrupt(st->db); }

/* ------------------------------------------------------------------ */
/* Parameters                                                          */
/* ------------------------------------------------------------------ */
static int bind_all(cs_store *st, sqlite3_stmt *s, const cs_value *p,
                    size_t np)
{
    int want = sqlite3_bind_parameter_count(s), k, rc = SQLITE_OK;
    char date[16];
    if ((size_t)want != np)
        return cs__error(st->eng, CS_EINVAL,
                         "the statement has %d parameter%s, %zu given", want,
                         want == 1 ? "" : "s", np);
    for (k = 0; k < want && rc == SQLITE_OK; k++) {
        const cs_value *v = &p[k];
        if (v->isnull) {
            rc = sqlite3_bind_null(s, k + 1);
            continue;
        }
        switch (v->type) {
        case CS_TYPE_I64: rc = sqlite3_bind_int64(s, k + 1, v->u.i); break;
        case CS_TYPE_F64: rc = sqlite3_bind_double(s, k + 1, v->u.f); break;
        case CS_TYPE_BOOL: rc = sqlite3_bind_int(s, k + 1, v->u.b != 0); break;
        case CS_TYPE_STR:
            rc = sqlite3_bind_text64(s, k + 1, v->u.s.p, v->u.s.len,
                                     SQLITE_TRANSIENT, SQLITE_UTF8);
            break;
        case CS_TYPE_DATE:
            cs_date_format(v->u.d, date);
            rc = sqlite3_bind_text(s, k + 1, date, -1, SQLITE_TRANSIENT);
            break;
        default:
            return cs__error(st->eng, CS_EINVAL, "parameter %d: bad type",
                             k + 1);
        }
    }
    return rc == SQLITE_OK ? CS_OK : sql_error(st, "binding a parameter");
}

/* ------------------------------------------------------------------ */
/* Tables and their types                                              */
/* ------------------------------------------------------------------ */
static const char *decl_type(cs_type t)
{
    switch (t) {
    case CS_TYPE_I64: return "INTEGER";
    case CS_TYPE_F64: return "REAL";
    case CS_TYPE_BOOL: return "BOOLEAN";
    case CS_TYPE_DATE: return "DATE";
    default: return "TEXT";
    }
}

/* The coopstat type a declared SQL type suggests (0: none). */
static cs_type type_of_decl(const char *decl)
{
    if (!decl) return 0;
    if (sqlite3_stricmp(decl, "DATE") == 0) return CS_TYPE_DATE;
    if (sqlite3_stricmp(decl, "BOOLEAN") == 0 ||
        sqlite3_stricmp(decl, "BOOL") == 0)
        return CS_TYPE_BOOL;
    return 0;
}

int cs_store_has_table(cs_store *st, const char *table, int *found)
{
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT 1 FROM sqlite_schema WHERE type IN "
                     "('table', 'view') AND name = ?",
                     &s, NULL);
    if (rc) return rc;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    sqlite3_finalize(s);
    return rc == SQLITE_ROW || rc == SQLITE_DONE
               ? CS_OK
               : sql_error(st, "looking for a table");
}

/* The names and coopstat types recorded for TABLE's columns, in order
** (none when the table is not coopstat's); freed with free_recorded(). */
typedef struct rec_col {
    char *name;
    cs_type type;
} rec_col;

typedef struct recorded {
    size_t n, cap;
    rec_col *c;
} recorded;

static void free_recorded(cs_engine *eng, recorded *r)
{
    size_t k;
    for (k = 0; k < r->n; k++) cs_free_str(eng, r->c[k].name);
    cs__free(eng, r->c, r->cap * sizeof *r->c);
    memset(r, 0, sizeof *r);
}

static int recorded_types(cs_store *st, const char *table, recorded *r)
{
    cs_engine *eng = st->eng;
    sqlite3_stmt *s;
    int rc = prepare(st,
                     "SELECT name, type FROM coopstat_columns WHERE tbl = ? "
                     "ORDER BY pos",
                     &s, NULL);
    memset(r, 0, sizeof *r);
    if (rc) return rc;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *nm = (const char *)sqlite3_column_text(s, 0);
        const char *ty = (const char *)sqlite3_column_text(s, 1);
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 16;
            rec_col *c = cs__realloc(eng, r->c, r->cap * sizeof *c,
                                     cap * sizeof *c);
            if (!c) {
                sqlite3_finalize(s);
                return cs__oom(eng);
            }
            r->c = c;
            r->cap = cap;
        }
        r->c[r->n].type = cs_type_from_name(ty ? ty : "");
        r->c[r->n].name =
            cs__strndup(eng, nm ? nm : "", nm ? strlen(nm) : 0);
        if (!r->c[r->n].name) {
            sqlite3_finalize(s);
            return cs__oom(eng);
        }
        r->n++;
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? CS_OK : sql_error(st, "reading column types");
}

/* ------------------------------------------------------------------ */
/* Results: columns built from SQLite values                           */
/* ------------------------------------------------------------------ */
/* A result column whose type settles as values come: int64 widens to
** float64, numbers become text when text comes; a declared DATE or
** BOOLEAN column reads ISO dates and 0/1. */
typedef struct rcol {
    cs_column *col;
    cs_type hint;       /* from the declared type, or the recorded one */
    int fixed;          /* HINT is the recorded type: values must obey */
    size_t pending;     /* nulls before the first value */
} rcol;

/* A new column of type T holding FROM's values converted (numbers to
** text, int64 to float64). */
static int convert(cs_engine *eng, cs_column **colp, cs_type t)
{
    cs_column *from = *colp, *to;
    size_t i;
    char tmp[40];
    int rc = cs_column_new(eng, t, &to);
    if (rc) return rc;
    if ((rc = cs_column_reserve(to, from->len))) goto fail;
    for (i = 0; i < from->len && !rc; i++) {
        cs_value v;
        cs_column_get(from, i, &v);
        if (v.isnull) {
            rc = cs_column_push_null(to);
        } else if (t == CS_TYPE_F64) {
            rc = cs_column_push_f64(to, (double)v.u.i);
        } else {
            switch (v.type) {
            case CS_TYPE_I64: snprintf(tmp, sizeof tmp, "%lld", (long long)v.u.i); break;
            case CS_TYPE_F64: cs__format_double(v.u.f, tmp, sizeof tmp); break;
            case CS_TYPE_BOOL: snprintf(tmp, sizeof tmp, "%d", v.u.b); break;
            case CS_TYPE_DATE: cs_date_format(v.u.d, tmp); break;
            default: tmp[0] = '\0'; break;
            }
            rc = cs_column_push_str(to, tmp, strlen(tmp));
        }
    }
    if (rc) goto fail;
    cs_column_release(from);
    *colp = to;
    return CS_OK;
fail:
    cs_column_release(to);
    return rc;
}

/* Appends value K of row S to R (row ROW of the result, for messages). */
static int take_value(cs_store *st, sqlite3_stmt *s, int k, rcol *r,
                      size_t row, const char *what)
{
    cs_engine *eng = st->eng;
    int vt = sqlite3_column_type(s, k), rc;
    cs_type want;
    size_t i;
    if (vt == SQLITE_NULL) {
        if (!r->col) {
            r->pending++;
            return CS_OK;
        }
        return cs_column_push_null(r->col);
    }
    if (!r->col) {
        /* The first value decides, with the declared type's hint. */
        want = r->hint ? r->hint
               : vt == SQLITE_INTEGER ? CS_TYPE_I64
               : vt == SQLITE_FLOAT ? CS_TYPE_F64
                                    : CS_TYPE_STR;
        if ((rc = cs_column_new(eng, want, &r->col))) return rc;
        for (i = 0; i < r->pending; i++)
            if ((rc = cs_column_push_null(r->col))) return rc;
    }
    switch (r->col->type) {
    case CS_TYPE_I64:
        if (vt == SQLITE_INTEGER)
            return cs_column_push_i64(r->col, sqlite3_column_int64(s, k));
        if (r->fixed) break;
        if (vt == SQLITE_FLOAT) {
            if ((rc = convert(eng, &r->col, CS_TYPE_F64))) return rc;
            return cs_column_push_f64(r->col, sqlite3_column_double(s, k));
        }
        if ((rc = convert(eng, &r->col, CS_TYPE_STR))) return rc;
        break;
    case CS_TYPE_F64:
        if (vt == SQLITE_INTEGER || vt == SQLITE_FLOAT)
            return cs_column_push_f64(r->col, sqlite3_column_double(s, k));
        if (r->fixed) break;
        if ((rc = convert(eng, &r->col, CS_TYPE_STR))) return rc;
        break;
    case CS_TYPE_BOOL:
        if (vt == SQLITE_INTEGER && (uint64_t)sqlite3_column_int64(s, k) <= 1)
            return cs_column_push_bool(r->col, sqlite3_column_int(s, k));
        if (r->fixed) break;
        if ((rc = convert(eng, &r->col, CS_TYPE_STR))) return rc;
        break;
    case CS_TYPE_DATE:
        if (vt == SQLITE_TEXT) {
            int32_t d;
            if (cs_date_parse((const char *)sqlite3_column_text(s, k),
                              (size_t)sqlite3_column_bytes(s, k), NULL,
                              &d) == CS_OK)
                return cs_column_push_date(r->col, d);
        }
        if (r->fixed) break;
        if ((rc = convert(eng, &r->col, CS_TYPE_STR))) return rc;
        break;
    default:
        break;
    }
    if (r->col->type == CS_TYPE_STR) {
        const char *p = (const char *)sqlite3_column_text(s, k);
        int n = sqlite3_column_bytes(s, k);
        if (!p && n == 0) p = "";
        if (!p) return cs__oom(eng);
        if (vt == SQLITE_BLOB)
            return cs__error(eng, CS_ETYPE, "%s, row %zu, column %d: a blob",
                             what, row + 1, k + 1);
        rc = cs_column_push_str(r->col, p, (size_t)n);
        if (rc == CS_EENCODING) {
            char msg[sizeof eng->errmsg];
            snprintf(msg, sizeof msg, "%s", eng->errmsg);
            cs__error(eng, rc, "%s, row %zu, column '%s': %s", what, row + 1,
                      sqlite3_column_name(s, k), msg);
        }
        return rc;
    }
    return cs__error(eng, CS_ETYPE,
                     "%s, row %zu, column '%s': '%s' is not %s", what,
                     row + 1, sqlite3_column_name(s, k),
                     (const char *)sqlite3_column_text(s, k),
                     cs_type_name(r->col->type));
}

/* Steps S to the end into a new dataset.  TYPES (may be NULL) are the
** recorded types of its columns, which the values must obey. */
static int collect(cs_store *st, sqlite3_stmt *s, const cs_type *types,
                   const char *what, cs_dataset **out)
{
    cs_engine *eng = st->eng;
    int nc = sqlite3_column_count(s), k, step;
    size_t row = 0;
    rcol *rcs = NULL;
    cs_dataset *ds = NULL;
    int rc = CS_OK;
    *out = NULL;
    if (!(rcs = cs__alloc(eng, (size_t)(nc ? nc : 1) * sizeof *rcs)))
        return cs__oom(eng);
    memset(rcs, 0, (size_t)(nc ? nc : 1) * sizeof *rcs);
    for (k = 0; k < nc; k++) {
        rcs[k].hint = types ? types[k] : type_of_decl(sqlite3_column_decltype(s, k));
        rcs[k].fixed = types != NULL;
    }
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        for (k = 0; k < nc; k++)
            if ((rc = take_value(st, s, k, &rcs[k], row, what))) goto done;
        row++;
        if ((row & 4095) == 0 && (rc = cs__check_interrupt(eng))) goto done;
    }
    if (step != SQLITE_DONE) {
        rc = sql_error(st, what);
        goto done;
    }
    if ((rc = cs_dataset_new(eng, &ds))) goto done;
    for (k = 0; k < nc; k++) {
        const char *name = sqlite3_column_name(s, k);
        rcol *r = &rcs[k];
        size_t i;
        if (!r->col) {
            /* Only nulls (or no row): the recorded or hinted type. */
            cs_type t = r->hint ? r->hint : CS_TYPE_STR;
            if ((rc = cs_column_new(eng, t, &r->col))) goto done;
            for (i = 0; i < r->pending; i++)
                if ((rc = cs_column_push_null(r->col))) goto done;
        }
        if (!name) {
            rc = cs__oom(eng);
            goto done;
        }
        if ((rc = cs_dataset_add(ds, name, r->col))) {
            if (rc == CS_EEXIST)
                cs__error(eng, rc,
                          "%s: two result columns are named '%s' (name them "
                          "with AS)",
                          what, name);
            goto done;
        }
    }
    *out = ds;
    ds = NULL;
done:
    for (k = 0; k < nc; k++) cs_column_release(rcs[k].col);
    cs__free(eng, rcs, (size_t)(nc ? nc : 1) * sizeof *rcs);
    cs_dataset_free(ds);
    return rc;
}

int cs_store_query(cs_store *st, const char *sql, const cs_value *params,
                   size_t nparams, cs_dataset **out)
{
    sqlite3_stmt *s = NULL;
    const char *tail;
    int rc;
    *out = NULL;
    if ((rc = prepare(st, sql, &s, &tail))) return rc;
    if (!s) return cs__error(st->eng, CS_EINVAL, "the query is empty");
    while (*tail == ' ' || *tail == '\t' || *tail == '\n' || *tail == '\r' ||
           *tail == ';')
        tail++;
    if (*tail) {
        sqlite3_finalize(s);
        return cs__error(st->eng, CS_EINVAL,
                         "a query is one statement; more follows at "
                         "character %zu",
                         (size_t)(tail - sql) + 1);
    }
    if (!(rc = bind_all(st, s, params, nparams)))
        rc = collect(st, s, NULL, "query", out);
    sqlite3_finalize(s);
    return rc;
}

int cs_store_exec(cs_store *st, const char *sql, const cs_value *params,
                  size_t nparams, int64_t *changes)
{
    const char *p = sql;
    int rc = CS_OK, nstmt = 0;
    int64_t before = sqlite3_total_changes64(st->db);
    /* Several statements run in one transaction, all or none. */
    if ((rc = cs_store_begin(st))) return rc;
    while (*p) {
        sqlite3_stmt *s = NULL;
        const char *tail;
        if ((rc = prepare(st, p, &s, &tail))) goto fail;
        if (!s) break;   /* only blanks or comments were left */
        if (nstmt++ && nparams) {
            sqlite3_finalize(s);
            rc = cs__error(st->eng, CS_EINVAL,
                           "parameters go with one statement; another "
                           "starts at character %zu",
                           (size_t)(p - sql) + 1);
            goto fail;
        }
        rc = bind_all(st, s, params, nparams);
        while (!rc && (rc = sqlite3_step(s)) == SQLITE_ROW) rc = CS_OK;
        rc = rc == SQLITE_DONE || rc == CS_OK ? CS_OK
                                              : sql_error(st, "SQL error");
        sqlite3_finalize(s);
        if (rc) goto fail;
        p = tail;
    }
    if ((rc = cs_store_commit(st))) goto fail;
    if (changes) *changes = sqlite3_total_changes64(st->db) - before;
    return CS_OK;
fail:
    cs_store_rollback(st);
    return rc;
}

int cs_store_tables(cs_store *st, cs_dataset **out)
{
    return cs_store_query(
        st,
        "SELECT name AS name, type AS kind FROM sqlite_schema WHERE type IN "
        "('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND "
        "name NOT LIKE 'coopstat\\_%' ESCAPE '\\' ORDER BY name",
        NULL, 0, out);
}

/* ------------------------------------------------------------------ */
/* Reading a table                                                     */
/* ------------------------------------------------------------------ */
int cs_store_read(cs_store *st, const char *table, const char *const *cols,
                  size_t ncols, cs_dataset **out)
{
    cs_engine *eng = st->eng;
    cs_buf sql;
    sqlite3_stmt *s = NULL;
    cs_type *want = NULL;
    recorded rec = {0, 0, NULL};
    size_t k, j, nw = 0;
    int rc, found, typed = 1;
    char what[300];
    *out = NULL;
    cs__buf_init(&sql, eng);
    if ((rc = cs_store_has_table(st, table, &found))) return rc;
    if (!found)
        return cs__error(eng, CS_ENOTFOUND, "no table '%s' in the store",
                         table);
    if ((rc = recorded_types(st, table, &rec))) goto done;
    nw = ncols ? ncols : rec.n;
    if (!(want = cs__alloc(eng, (nw ? nw : 1) * sizeof *want))) {
        rc = cs__oom(eng);
        goto done;
    }
    rc = cs__buf_add(&sql, "SELECT ", 7);
    if (!rc && ncols == 0) rc = cs__buf_add(&sql, "*", 1);
    for (k = 0; k < ncols && !rc; k++) {
        if (k) rc = cs__buf_add(&sql, ", ", 2);
        if (!rc) rc = add_ident(&sql, cols[k]);
    }
    if (!rc) rc = cs__buf_add(&sql, " FROM ", 6);
    if (!rc) rc = add_ident(&sql, table);
    if (rc) goto done;
    if ((rc = prepare(st, sql.p, &s, NULL))) {
        if (ncols) {
            /* Most likely a column that is not there: say which. */
            char msg[sizeof eng->errmsg];
            snprintf(msg, sizeof msg, "%s", eng->errmsg);
            rc = cs__error(eng, CS_ENOTFOUND, "table '%s': %s", table, msg);
        }
        goto done;
    }
    /* Recorded types apply when they still describe the table (an SQL
    ** ALTER TABLE may have changed it behind coopstat's back). */
    if ((size_t)sqlite3_column_count(s) != nw || rec.n == 0) typed = 0;
    for (k = 0; typed && k < nw; k++) {
        const char *name = sqlite3_column_name(s, (int)k);
        want[k] = 0;
        for (j = 0; j < rec.n; j++)
            if (name && strcmp(rec.c[j].name, name) == 0)
                want[k] = rec.c[j].type;
        if (!want[k]) typed = 0;
    }
    snprintf(what, sizeof what, "table '%s'", table);
    rc = collect(st, s, typed ? want : NULL, what, out);
done:
    sqlite3_finalize(s);
    free_recorded(eng, &rec);
    cs__free(eng, want, (nw ? nw : 1) * sizeof *want);
    cs__buf_free(&sql);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Writing a table                                                     */
/* ------------------------------------------------------------------ */
static int create_table(cs_store *st, const char *table, const cs_dataset *ds)
{
    cs_buf b;
    size_t k;
    int rc;
    cs__buf_init(&b, st->eng);
    rc = cs__buf_add(&b, "CREATE TABLE ", 13);
    if (!rc) rc = add_ident(&b, table);
    if (!rc) rc = cs__buf_add(&b, " (", 2);
    for (k = 0; k < ds->ncols && !rc; k++) {
        const cs_column *col = ds->cols[k];
        if (k) rc = cs__buf_add(&b, ", ", 2);
        if (!rc) rc = add_ident(&b, ds->names[k]);
        if (!rc) rc = cs__buf_printf(&b, " %s", decl_type(col->type));
    }
    if (!rc) rc = cs__buf_add(&b, ")", 1);
    if (!rc) rc = exec(st, b.p);
    cs__buf_free(&b);
    return rc;
}

/* Records DS's column types for TABLE (after deleting older ones). */
static int record_types(cs_store *st, const char *table, const cs_dataset *ds)
{
    sqlite3_stmt *s = NULL;
    size_t k;
    int rc = prepare(st, "DELETE FROM coopstat_columns WHERE tbl = ?", &s,
                     NULL);
    if (rc) return rc;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_DONE ? CS_OK
                                        : sql_error(st, "recording types");
    sqlite3_finalize(s);
    if (rc) return rc;
    if ((rc = prepare(st,
                      "INSERT INTO coopstat_columns (tbl, pos, name, type) "
                      "VALUES (?, ?, ?, ?)",
                      &s, NULL)))
        return rc;
    for (k = 0; k < ds->ncols && !rc; k++) {
        const cs_column *col = ds->cols[k];
        sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)k);
        sqlite3_bind_text(s, 3, ds->names[k], -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 4, cs_type_name(col->type), -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? CS_OK
                                            : sql_error(st, "recording types");
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return rc;
}

/* Bumps TABLE's version and sets its row count in coopstat_tables:
** NROWS, or counted when NROWS < 0 (after an append, since SQL may have
** changed the table since coopstat last counted it). */
static int touch_table(cs_store *st, const char *table, int64_t nrows)
{
    sqlite3_stmt *s;
    cs_buf b;
    int rc;
    cs__buf_init(&b, st->eng);
    rc = cs__buf_printf(&b, "%s",
                        "INSERT INTO coopstat_tables (name, nrows, version, "
                        "changed_at) VALUES (?1, ");
    if (!rc && nrows >= 0) rc = cs__buf_printf(&b, "?2");
    if (!rc && nrows < 0) rc = cs__buf_printf(&b, "(SELECT count(*) FROM ");
    if (!rc && nrows < 0) rc = add_ident(&b, table);
    if (!rc && nrows < 0) rc = cs__buf_addc(&b, ')');
    if (!rc)
        rc = cs__buf_printf(&b, "%s",
                            ", 1, datetime('now')) ON CONFLICT (name) DO "
                            "UPDATE SET nrows = excluded.nrows, version = "
                            "version + 1, changed_at = excluded.changed_at");
    if (!rc) rc = prepare(st, b.p, &s, NULL);
    cs__buf_free(&b);
    if (rc) return rc;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    if (nrows >= 0) sqlite3_bind_int64(s, 2, nrows);
    rc = sqlite3_step(s) == SQLITE_DONE ? CS_OK
                                        : sql_error(st, "recording a write");
    sqlite3_finalize(s);
    return rc;
}

/* Checks that DS fits TABLE for an append: the same column names, and
** the same types when the table's types are recorded. */
static int check_append(cs_store *st, const char *table, const cs_dataset *ds)
{
    cs_engine *eng = st->eng;
    recorded rec;
    size_t k;
    int rc = recorded_types(st, table, &rec);
    if (rc || rec.n == 0) goto done;   /* not coopstat's: SQLite will say */
    if (rec.n != ds->ncols) {
        rc = cs__error(eng, CS_ETYPE,
                       "append to '%s': the table has %zu columns, the data "
                       "%zu",
                       table, rec.n, ds->ncols);
        goto done;
    }
    for (k = 0; k < rec.n; k++) {
        cs_type t = ds->cols[k]->type;
        if (strcmp(rec.c[k].name, ds->names[k]) != 0) {
            rc = cs__error(eng, CS_ETYPE,
                           "append to '%s': column %zu is '%s' in the table, "
                           "'%s' in the data",
                           table, k + 1, rec.c[k].name, ds->names[k]);
            goto done;
        }
        if (rec.c[k].type != t) {
            rc = cs__error(eng, CS_ETYPE,
                           "append to '%s': column '%s' is %s in the table, "
                           "%s in the data",
                           table, rec.c[k].name, cs_type_name(rec.c[k].type),
                           cs_type_name(t));
            goto done;
        }
    }
done:
    free_recorded(eng, &rec);
    return rc;
}

static int insert_rows(cs_store *st, const char *table, const cs_dataset *ds)
{
    cs_engine *eng = st->eng;
    cs_buf b;
    sqlite3_stmt *s = NULL;
    size_t k, i, nc = ds->ncols;
    int rc;
    char date[16];
    cs__buf_init(&b, eng);
    rc = cs__buf_add(&b, "INSERT INTO ", 12);
    if (!rc) rc = add_ident(&b, table);
    if (!rc) rc = cs__buf_add(&b, " (", 2);
    for (k = 0; k < nc && !rc; k++) {
        if (k) rc = cs__buf_add(&b, ", ", 2);
        if (!rc) rc = add_ident(&b, ds->names[k]);
    }
    if (!rc) rc = cs__buf_add(&b, ") VALUES (", 10);
    for (k = 0; k < nc && !rc; k++) rc = cs__buf_add(&b, k ? ", ?" : "?", k ? 3 : 1);
    if (!rc) rc = cs__buf_add(&b, ")", 1);
    if (!rc) rc = prepare(st, b.p, &s, NULL);
    cs__buf_free(&b);
    if (rc) return rc;
    for (i = 0; i < ds->nrows && !rc; i++) {
        for (k = 0; k < nc; k++) {
            const uint32_t *sel;
            const cs_column *col = cs__dataset_base(ds, k, &sel);
            size_t r = sel ? sel[i] : i;
            int bk = (int)k + 1;
            if (col->valid && !cs__bit(col->valid, r)) {
                sqlite3_bind_null(s, bk);
                continue;
            }
            switch (col->type) {
            case CS_TYPE_I64:
                sqlite3_bind_int64(s, bk, ((const int64_t *)col->data)[r]);
                break;
            case CS_TYPE_F64:
                sqlite3_bind_double(s, bk, ((const double *)col->data)[r]);
                break;
            case CS_TYPE_BOOL:
                sqlite3_bind_int(s, bk, ((const uint8_t *)col->data)[r]);
                break;
            case CS_TYPE_DATE:
                cs_date_format(((const int32_t *)col->data)[r], date);
                sqlite3_bind_text(s, bk, date, -1, SQLITE_TRANSIENT);
                break;
            case CS_TYPE_STR: {
                size_t len;
                const char *p = cs__dict_str(
                    col->dict, ((const uint32_t *)col->data)[r], &len);
                sqlite3_bind_text64(s, bk, p, len, SQLITE_STATIC, SQLITE_UTF8);
                break;
            }
            }
        }
        if (sqlite3_step(s) != SQLITE_DONE)
            rc = sql_error(st, "writing a row");
        sqlite3_reset(s);
        if (!rc && (i & 4095) == 4095) rc = cs__check_interrupt(eng);
    }
    sqlite3_finalize(s);
    return rc;
}

int cs_store_write(cs_store *st, const char *table, const cs_dataset *ds,
                   cs_write_mode mode)
{
    cs_engine *eng = st->eng;
    int rc, found;
    cs_buf b;
    if (!table || !*table)
        return cs__error(eng, CS_EINVAL, "a table needs a name");
    if (strncmp(table, "coopstat_", 9) == 0 || strncmp(table, "sqlite_", 7) == 0)
        return cs__error(eng, CS_EINVAL,
                         "'%s': names beginning with coopstat_ or sqlite_ "
                         "are the store's own",
                         table);
    if (ds->ncols == 0)
        return cs__error(eng, CS_EINVAL, "'%s': a table needs a column",
                         table);
    if (mode != CS_WRITE_CREATE && mode != CS_WRITE_REPLACE &&
        mode != CS_WRITE_APPEND)
        return cs__error(eng, CS_EINVAL, "bad write mode %d", (int)mode);
    if ((rc = cs_store_begin(st))) return rc;
    if ((rc = cs_store_has_table(st, table, &found))) goto fail;
    if (found && mode == CS_WRITE_CREATE) {
        rc = cs__error(eng, CS_EEXIST,
                       "table '%s' exists (mode \"replace\" or \"append\")",
                       table);
        goto fail;
    }
    if (!found && mode == CS_WRITE_APPEND) {
        rc = cs__error(eng, CS_ENOTFOUND, "no table '%s' to append to", table);
        goto fail;
    }
    if (found && mode == CS_WRITE_REPLACE) {
        cs__buf_init(&b, eng);
        rc = cs__buf_add(&b, "DROP TABLE ", 11);
        if (!rc) rc = add_ident(&b, table);
        if (!rc) rc = exec(st, b.p);
        cs__buf_free(&b);
        if (rc) goto fail;
    }
    if (mode == CS_WRITE_APPEND) {
        if ((rc = check_append(st, table, ds))) goto fail;
    } else if ((rc = create_table(st, table, ds)) ||
               (rc = record_types(st, table, ds))) {
        goto fail;
    }
    if ((rc = insert_rows(st, table, ds)) ||
        (rc = touch_table(st, table,
                          mode == CS_WRITE_APPEND ? -1
                                                  : (int64_t)ds->nrows)))
        goto fail;
    return cs_store_commit(st);
fail:
    cs_store_rollback(st);
    return rc;
}
