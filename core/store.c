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
#include <xxhash.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cs_store {
    cs_engine *eng;
    sqlite3 *db;
    int depth;          /* open savepoints */
    int immediate;      /* the outermost was opened by begin_immediate */
    sqlite3_stmt *sums; /* inserts a part's checksum; prepared once */
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
    /* 3: the columnar copy of each table (see "The columnar copy"), and
    ** whether SQL has changed the table since it was made. */
    "CREATE TABLE coopstat_blocks ("
    " tbl TEXT NOT NULL, col INTEGER NOT NULL, part INTEGER NOT NULL,"
    " data BLOB NOT NULL, UNIQUE (tbl, col, part));"
    "ALTER TABLE coopstat_tables ADD COLUMN stale INTEGER NOT NULL"
    " DEFAULT 1;",
    /* 4: indicator values and their lineage (bindings/lua/indicators.lua):
    ** definitions by the hash of their source, runs, what each
    ** indicator of a run read and gave. */
    "CREATE TABLE coopstat_definitions ("
    " hash TEXT PRIMARY KEY, indicator_id TEXT NOT NULL,"
    " version INTEGER NOT NULL, title_vi TEXT, title_en TEXT, unit TEXT,"
    " measure TEXT NOT NULL, period_type TEXT NOT NULL, dims TEXT NOT NULL,"
    " inputs TEXT NOT NULL, notes TEXT, source TEXT NOT NULL,"
    " created_at TEXT NOT NULL, UNIQUE (indicator_id, version));"
    "CREATE TABLE coopstat_runs ("
    " run_id INTEGER PRIMARY KEY, period TEXT NOT NULL,"
    " started_at TEXT NOT NULL, finished_at TEXT,"
    " engine_version TEXT NOT NULL, status TEXT NOT NULL,"
    " n_ok INTEGER NOT NULL DEFAULT 0, n_failed INTEGER NOT NULL DEFAULT 0,"
    " n_skipped INTEGER NOT NULL DEFAULT 0, origin TEXT);"
    "CREATE TABLE coopstat_run_items ("
    " run_id INTEGER NOT NULL, indicator_id TEXT NOT NULL,"
    " def_hash TEXT NOT NULL, status TEXT NOT NULL, error TEXT,"
    " n_values INTEGER NOT NULL DEFAULT 0, inputs_hash TEXT,"
    " values_hash TEXT, same_as INTEGER, seconds REAL,"
    " PRIMARY KEY (run_id, indicator_id));"
    "CREATE TABLE coopstat_run_inputs ("
    " run_id INTEGER NOT NULL, indicator_id TEXT NOT NULL,"
    " tbl TEXT NOT NULL, fingerprint TEXT NOT NULL,"
    " nrows INTEGER NOT NULL, nrows_used INTEGER NOT NULL,"
    " PRIMARY KEY (run_id, indicator_id, tbl));"
    "CREATE TABLE coopstat_values ("
    " run_id INTEGER NOT NULL, indicator_id TEXT NOT NULL,"
    " period TEXT NOT NULL, district TEXT, kind TEXT,"
    " dims TEXT NOT NULL DEFAULT '', value, n INTEGER);"
    "CREATE INDEX coopstat_values_by_id ON coopstat_values"
    " (indicator_id, period, run_id);",
    /* 5: the administrative units a run's values are on (NULL: the
    ** units of the data; '2025': restated on the units from 1 July 2025). */
    "ALTER TABLE coopstat_runs ADD COLUMN units TEXT;",
    /* 6: scheduled jobs (cli/jobs.c) and their runs.  A run's row is its
    ** lease: (job, slot, attempt) is unique, and a row 'running' names
    ** the process that holds it. */
    "CREATE TABLE coopstat_jobs ("
    " name TEXT PRIMARY KEY, schedule TEXT, when_changed TEXT,"
    " script TEXT, args TEXT NOT NULL DEFAULT '', indicators TEXT,"
    " period TEXT, timeout_s INTEGER NOT NULL, memory_bytes INTEGER NOT NULL,"
    " retries INTEGER NOT NULL DEFAULT 0, catch_up TEXT NOT NULL DEFAULT 'once',"
    " allow_read TEXT NOT NULL DEFAULT '', allow_write TEXT NOT NULL DEFAULT '',"
    " cwd TEXT NOT NULL, enabled INTEGER NOT NULL DEFAULT 1,"
    " created_at TEXT NOT NULL, last_slot INTEGER, last_fingerprint TEXT);"
    "CREATE TABLE coopstat_job_runs ("
    " id INTEGER PRIMARY KEY, job TEXT NOT NULL, slot INTEGER NOT NULL,"
    " attempt INTEGER NOT NULL, trigger TEXT NOT NULL, status TEXT NOT NULL,"
    " pid INTEGER, host TEXT, started_at TEXT NOT NULL, finished_at TEXT,"
    " seconds REAL, error TEXT, values_written INTEGER, indicator_run INTEGER,"
    " UNIQUE (job, slot, attempt));",
    /* 7: a checksum (XXH3, 64 bits) of each part of the columnar copy: a
    ** part whose bytes changed is not read (parts made earlier, without
    ** one, are made again).  A table of its own: a column after the blob
    ** would make every read walk the blob's overflow pages. */
    "CREATE TABLE coopstat_block_sums (block INTEGER PRIMARY KEY, sum INTEGER NOT NULL);"
    "CREATE TRIGGER coopstat_block_sums_gone AFTER DELETE ON coopstat_blocks"
    " BEGIN DELETE FROM coopstat_block_sums WHERE block = old.rowid; END;",
};

#define SCHEMA_VERSION ((int)(sizeof migrations / sizeof migrations[0]))

int cs_store_schema_version(void) { return SCHEMA_VERSION; }

int64_t cs_store_heap_limit(int64_t bytes)
{
    return (int64_t)sqlite3_hard_heap_limit64(bytes < 0 ? -1 : (sqlite3_int64)bytes);
}

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

/* Runs SQL, whose one parameter is TABLE's name. */
static int exec_for(cs_store *st, const char *sql, const char *table,
                    const char *what)
{
    sqlite3_stmt *s;
    int rc = prepare(st, sql, &s, NULL);
    if (rc) return rc;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(s) == SQLITE_DONE ? CS_OK : sql_error(st, what);
    sqlite3_finalize(s);
    return rc;
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

int cs_store_begin_immediate(cs_store *st)
{
    int rc;
    if (st->depth != 0)
        return cs__error(st->eng, CS_EMISUSE, "begin_immediate inside a transaction");
    if ((rc = exec(st, "BEGIN IMMEDIATE"))) return rc;
    if ((rc = cs_store_begin(st))) {
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    st->immediate = 1;
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
    if (st->depth == 0 && st->immediate) {
        st->immediate = 0;
        return exec(st, "COMMIT");
    }
    return CS_OK;
}

int cs_store_rollback(cs_store *st)
{
    char sql[64];
    char *msg = NULL;
    if (st->depth == 0)
        return cs__error(st->eng, CS_EMISUSE, "no transaction to roll back");
    /* Keeps the error that caused the rollback as the engine's. */
    snprintf(sql, sizeof sql, "ROLLBACK TO cs_%d; RELEASE cs_%d%s", st->depth,
             st->depth, st->depth == 1 && st->immediate ? "; ROLLBACK" : "");
    st->depth--;
    if (st->depth == 0) st->immediate = 0;
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

static int on_sqlite_progress(void *eng)
{
    return ((cs_engine *)eng)->interrupted != 0;
}

/* Brings the store's own tables to SCHEMA_VERSION, in one transaction. */
static int migrate(cs_store *st, const char *path)
{
    int v = 0, rc;
    char sql[64];
    /* Up to date: no lock needed (readers must not wait for a writer). */
    if ((rc = user_version(st, &v))) return rc;
    if (v == SCHEMA_VERSION) return CS_OK;
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
    /* cs_engine_interrupt() stops SQL work too (every ~1000 VM steps). */
    sqlite3_progress_handler(st->db, 1000, on_sqlite_progress, st->eng);
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
    sqlite3_finalize(st->sums);
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
    int64_t count = 0;
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
        if (!(rc = bind_all(st, s, params, nparams))) {
            int64_t total = sqlite3_total_changes64(st->db);
            int step;
            while ((step = sqlite3_step(s)) == SQLITE_ROW) continue;
            if (step != SQLITE_DONE) rc = sql_error(st, "SQL error");
            /* The statement's own rows, not those its triggers changed
            ** (the columnar copy's bookkeeping among them). */
            else if (sqlite3_total_changes64(st->db) != total)
                count += sqlite3_changes64(st->db);
        }
        sqlite3_finalize(s);
        if (rc) goto fail;
        p = tail;
    }
    if ((rc = cs_store_commit(st))) goto fail;
    if (changes) *changes = count;
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
/* The columnar copy                                                   */
/* ------------------------------------------------------------------ */
/* Reading a large table row by row through SQLite costs about a
** microsecond a row.  So a table written through coopstat also keeps a
** copy of its columns as they lie in memory, in coopstat_blocks: per
** column, parts of PART_ROWS rows, each a blob of a header, the
** validity bitmap (when the part has a null) and the values (string
** columns: dictionary codes, the dictionary itself in part -1).  Reading
** that copies the blobs straight into columns.  Triggers mark the copy
** stale as soon as SQL changes the table; a stale, missing or damaged
** copy is never read: the table is read through SQL and the copy made
** again. */
#define PART_ROWS ((size_t)1 << 20)
#define BLOCK_MAGIC 0x31425343u        /* "CSB1" in a little-endian file */
#define BLOCK_NULLS 1u                 /* the part holds a validity bitmap */

typedef struct block_head {
    uint32_t magic, flags;
    uint64_t rows;
} block_head;

static const char *const trigger_events[] = {"INSERT", "UPDATE", "DELETE"};

/* Appends S as an SQL string literal ('it''s'). */
static int add_literal(cs_buf *b, const char *s)
{
    int rc = cs__buf_addc(b, '\'');
    for (; !rc && *s; s++) {
        if (*s == '\'') rc = cs__buf_addc(b, '\'');
        if (!rc) rc = cs__buf_addc(b, *s);
    }
    return rc ? rc : cs__buf_addc(b, '\'');
}

/* Inserts the block made of the pieces P[0..N) (LEN[k] bytes each),
** joined in BUF: SQLite then writes its pages once. */
static int put_block(cs_store *st, sqlite3_stmt *ins, cs_buf *buf,
                     const char *table, int col, int64_t part,
                     const void *const *p, const size_t *len, size_t n)
{
    size_t k;
    int rc;
    buf->len = 0;
    for (k = 0; k < n; k++)
        if (len[k] && (rc = cs__buf_add(buf, p[k], len[k]))) return rc;
    sqlite3_bind_text(ins, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_int(ins, 2, col);
    sqlite3_bind_int64(ins, 3, part);
    sqlite3_bind_blob64(ins, 4, buf->len ? buf->p : "", buf->len,
                        SQLITE_STATIC);
    rc = sqlite3_step(ins);
    sqlite3_reset(ins);
    if (rc != SQLITE_DONE) return sql_error(st, "writing the columnar copy");
    if (!st->sums &&
        (rc = prepare(st, "INSERT OR REPLACE INTO coopstat_block_sums VALUES (?, ?)",
                      &st->sums, NULL)))
        return rc;
    sqlite3_bind_int64(st->sums, 1, sqlite3_last_insert_rowid(st->db));
    sqlite3_bind_int64(st->sums, 2,
                       (sqlite3_int64)XXH3_64bits(buf->len ? buf->p : "", buf->len));
    rc = sqlite3_step(st->sums);
    sqlite3_reset(st->sums);
    return rc == SQLITE_DONE ? CS_OK : sql_error(st, "writing the columnar copy");
}

/* The dictionary of string column COL as part -1: the count, each
** string's length, then the bytes. */
static int put_dict(cs_store *st, sqlite3_stmt *ins, cs_buf *buf,
                    const char *table, int k, const cs_column *col)
{
    const cs_dict *d = col->dict;
    uint32_t *lens = cs__alloc(st->eng, ((size_t)d->n + 1) * sizeof *lens);
    const void *p[2];
    size_t len[2];
    uint32_t i;
    int rc;
    if (!lens) return cs__oom(st->eng);
    lens[0] = d->n;
    for (i = 0; i < d->n; i++) {
        if (d->offs[i + 1] - d->offs[i] - 1 > UINT32_MAX) {
            cs__free(st->eng, lens, ((size_t)d->n + 1) * sizeof *lens);
            return cs__error(st->eng, CS_EOVERFLOW, "a string of 4 GB");
        }
        lens[i + 1] = (uint32_t)(d->offs[i + 1] - d->offs[i] - 1);
    }
    /* The bytes hold a NUL after each string, which the copy keeps. */
    p[0] = lens;
    len[0] = ((size_t)d->n + 1) * sizeof *lens;
    p[1] = d->bytes;
    len[1] = d->offs[d->n];
    rc = put_block(st, ins, buf, table, k, -1, p, len, 2);
    cs__free(st->eng, lens, ((size_t)d->n + 1) * sizeof *lens);
    return rc;
}

/* Makes the copy of TABLE from DS (its whole content), with the
** triggers that mark it stale, inside the caller's transaction. */
static int write_copy(cs_store *st, const char *table, const cs_dataset *ds)
{
    sqlite3_stmt *s = NULL;
    cs_buf b, part;
    size_t k, e, p;
    int rc;
    cs__buf_init(&b, st->eng);
    cs__buf_init(&part, st->eng);
    if ((rc = exec_for(st, "DELETE FROM coopstat_blocks WHERE tbl = ?", table,
                       "clearing a copy")))
        return rc;
    if ((rc = prepare(st,
                      "INSERT INTO coopstat_blocks (tbl, col, part, data) "
                      "VALUES (?, ?, ?, ?)",
                      &s, NULL)))
        return rc;
    for (k = 0; k < ds->ncols && !rc; k++) {
        const cs_column *col = cs_dataset_column(ds, k);
        size_t esz, n = ds->nrows;
        if (!col) {
            rc = CS_ENOMEM;
            break;
        }
        esz = cs__type_size(col->type);
        if (col->type == CS_TYPE_STR &&
            (rc = put_dict(st, s, &part, table, (int)k, col)))
            break;
        for (p = 0; p * PART_ROWS < n || (p == 0 && n == 0); p++) {
            size_t r0 = p * PART_ROWS, m = n - r0 < PART_ROWS ? n - r0 : PART_ROWS;
            size_t words = (m + 63) / 64, w, nulls = 0;
            block_head h = {BLOCK_MAGIC, 0, m};
            const void *pc[3];
            size_t len[3];
            for (w = 0; col->valid && w < words; w++) {
                uint64_t word = col->valid[r0 / 64 + w];
                if (w == words - 1 && m % 64)
                    word |= ~(uint64_t)0 << (m % 64);
                nulls += word != ~(uint64_t)0;
            }
            if (nulls) h.flags |= BLOCK_NULLS;
            pc[0] = &h;
            len[0] = sizeof h;
            pc[1] = nulls ? col->valid + r0 / 64 : NULL;
            len[1] = nulls ? words * sizeof(uint64_t) : 0;
            pc[2] = (const char *)col->data + r0 * esz;
            len[2] = m * esz;
            if ((rc = put_block(st, s, &part, table, (int)k, (int64_t)p, pc,
                                len, 3)))
                break;
            if ((rc = cs__check_interrupt(st->eng))) break;
        }
    }
    sqlite3_finalize(s);
    cs__buf_free(&part);
    if (rc) return rc;
    /* The first change made through SQL marks the copy stale; the WHEN
    ** keeps the rows after it to a lookup. */
    for (e = 0; e < 3 && !rc; e++) {
        b.len = 0;
        rc = cs__buf_printf(&b, "CREATE TRIGGER IF NOT EXISTS ");
        if (!rc) {
            char name[32];
            snprintf(name, sizeof name, "coopstat_stale_%c_",
                     trigger_events[e][0] + 32);
            rc = cs__buf_add(&b, "\"", 1);
            if (!rc) rc = cs__buf_add(&b, name, strlen(name));
            for (p = 0; !rc && table[p]; p++) {
                if (table[p] == '"') rc = cs__buf_addc(&b, '"');
                if (!rc) rc = cs__buf_addc(&b, table[p]);
            }
            if (!rc) rc = cs__buf_addc(&b, '"');
        }
        if (!rc) rc = cs__buf_printf(&b, " AFTER %s ON ", trigger_events[e]);
        if (!rc) rc = add_ident(&b, table);
        if (!rc)
            rc = cs__buf_printf(&b, "%s", " WHEN (SELECT stale FROM "
                                          "coopstat_tables WHERE name = ");
        if (!rc) rc = add_literal(&b, table);
        if (!rc)
            rc = cs__buf_printf(&b, "%s",
                                ") = 0 BEGIN UPDATE coopstat_tables SET "
                                "stale = 1 WHERE name = ");
        if (!rc) rc = add_literal(&b, table);
        if (!rc) rc = cs__buf_printf(&b, "; END");
        if (!rc) rc = exec(st, b.p);
    }
    cs__buf_free(&b);
    if (rc) return rc;
    return exec_for(st, "UPDATE coopstat_tables SET stale = 0 WHERE name = ?",
                    table, "recording a copy");
}

/* *ROWS = TABLE's row count when its copy can be read: not stale, its
** three triggers in place (SQL that dropped and made the table again
** dropped them), and the table's columns still the recorded ones. */
static int copy_usable(cs_store *st, const char *table, const recorded *rec,
                       int64_t *rows, int *usable)
{
    sqlite3_stmt *s = NULL;
    cs_buf b;
    int rc, ncol, k;
    *usable = 0;
    if (rec->n == 0) return CS_OK;
    if ((rc = prepare(st,
                      "SELECT t.nrows, (SELECT count(*) FROM sqlite_schema "
                      "WHERE type = 'trigger' AND tbl_name = ?1 AND name "
                      "LIKE 'coopstat\\_stale\\_%' ESCAPE '\\') FROM "
                      "coopstat_tables t WHERE t.name = ?1 AND t.stale = 0",
                      &s, NULL)))
        return rc;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_int(s, 1) == 3) {
        *rows = sqlite3_column_int64(s, 0);
        *usable = 1;
    }
    rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? CS_OK
                                               : sql_error(st, "reading a table");
    sqlite3_finalize(s);
    if (rc || !*usable) return rc;
    *usable = 0;
    cs__buf_init(&b, st->eng);
    rc = cs__buf_printf(&b, "SELECT * FROM ");
    if (!rc) rc = add_ident(&b, table);
    if (!rc) rc = prepare(st, b.p, &s, NULL);
    cs__buf_free(&b);
    if (rc) return rc;
    ncol = sqlite3_column_count(s);
    *usable = (size_t)ncol == rec->n;
    for (k = 0; *usable && k < ncol; k++) {
        const char *name = sqlite3_column_name(s, k);
        *usable = name && strcmp(name, rec->c[k].name) == 0;
    }
    sqlite3_finalize(s);
    return CS_OK;
}

/* Reads a blob of the copy into DST (LEN bytes from offset OFF); 0 when
** the blob is shorter. */
static int blob_get(sqlite3_blob *blob, void *dst, size_t len, size_t off)
{
    if (len == 0) return 1;
    if (off + len > (size_t)sqlite3_blob_bytes(blob)) return 0;
    return sqlite3_blob_read(blob, dst, (int)len, (int)off) == SQLITE_OK;
}

/* Fills COL (empty, of its type) with column K of TABLE's copy, NROWS
** rows; *DAMAGED is set when the blobs do not hold what they should. */
static int read_copy_column(cs_store *st, const char *table, int k,
                            cs_column *col, size_t nrows, int *damaged)
{
    cs_engine *eng = st->eng;
    sqlite3_stmt *s = NULL;
    sqlite3_blob *blob = NULL;
    size_t esz = cs__type_size(col->type), parts = 0, i;
    uint64_t want = 0;
    int rc;
    *damaged = 0;
    if ((rc = cs_column_reserve(col, nrows))) return rc;
    if ((rc = prepare(st,
                      "SELECT b.rowid, b.part, s.sum FROM coopstat_blocks b "
                      "LEFT JOIN coopstat_block_sums s ON s.block = b.rowid "
                      "WHERE b.tbl = ? AND b.col = ? ORDER BY b.part",
                      &s, NULL)))
        return rc;
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, k);
    for (;;) {
        int64_t part;
        int step = sqlite3_step(s);
        if (step == SQLITE_DONE) break;
        if (step != SQLITE_ROW) {
            rc = sql_error(st, "reading the columnar copy");
            break;
        }
        part = sqlite3_column_int64(s, 1);
        if (sqlite3_column_type(s, 2) != SQLITE_INTEGER) {
            *damaged = 1; /* a part made before checksums: made again */
            break;
        }
        want = (uint64_t)sqlite3_column_int64(s, 2);
        if (blob ? sqlite3_blob_reopen(blob, sqlite3_column_int64(s, 0))
                 : sqlite3_blob_open(st->db, "main", "coopstat_blocks",
                                     "data", sqlite3_column_int64(s, 0), 0,
                                     &blob)) {
            rc = sql_error(st, "reading the columnar copy");
            break;
        }
        if (part == -1) {
            /* The dictionary: interned in order, so codes stay. */
            uint32_t n, j, *lens = NULL;
            size_t off, bytes;
            char *text = NULL;
            if (col->type != CS_TYPE_STR || !blob_get(blob, &n, 4, 0) ||
                (size_t)sqlite3_blob_bytes(blob) < 4 + (size_t)n * 4) {
                *damaged = 1;
                break;
            }
            bytes = (size_t)sqlite3_blob_bytes(blob);
            lens = cs__alloc(eng, ((size_t)n + 1) * 4);
            text = cs__alloc(eng, bytes);
            if (!lens || !text) rc = cs__oom(eng);
            else if (!blob_get(blob, lens, ((size_t)n + 1) * 4, 0) ||
                     !blob_get(blob, text, bytes, 0) || XXH3_64bits(text, bytes) != want)
                *damaged = 1;
            off = ((size_t)n + 1) * 4;
            for (j = 0; !rc && !*damaged && j < n; j++) {
                uint32_t code;
                size_t len = lens[j + 1], bad;
                if (len + 1 > bytes - off ||
                    !cs_utf8_valid(text + off, len, &bad)) {
                    *damaged = 1;
                    break;
                }
                rc = cs__dict_intern(col->dict, text + off, len, &code);
                if (!rc && code != j) *damaged = 1;
                off += len + 1;
            }
            cs__free(eng, lens, ((size_t)n + 1) * 4);
            cs__free(eng, text, bytes);
            if (rc || *damaged) break;
            continue;
        }
        {
            block_head h;
            size_t r0 = (size_t)part * PART_ROWS, m, words, off = sizeof h;
            if (part != (int64_t)parts || !blob_get(blob, &h, sizeof h, 0) ||
                h.magic != BLOCK_MAGIC || h.rows > PART_ROWS ||
                r0 + h.rows > nrows ||
                (h.rows < PART_ROWS && r0 + h.rows != nrows)) {
                *damaged = 1;
                break;
            }
            m = (size_t)h.rows;
            words = (m + 63) / 64;
            if (h.flags & BLOCK_NULLS) {
                if (!col->valid) {
                    size_t vb = (col->cap + 63) / 64 * sizeof(uint64_t);
                    if (!(col->valid = cs__alloc(eng, vb))) {
                        rc = cs__oom(eng);
                        break;
                    }
                    col->vcap = col->cap;
                    memset(col->valid, 0xFF, vb);
                }
                if (!blob_get(blob, col->valid + r0 / 64,
                              words * sizeof(uint64_t), off)) {
                    *damaged = 1;
                    break;
                }
                off += words * sizeof(uint64_t);
            }
            if (off + m * esz != (size_t)sqlite3_blob_bytes(blob) ||
                !blob_get(blob, (char *)col->data + r0 * esz, m * esz, off)) {
                *damaged = 1;
                break;
            }
            {   /* The bytes read are the bytes written. */
                XXH3_state_t *x = XXH3_createState();
                int same;
                if (!x) {
                    rc = cs__oom(eng);
                    break;
                }
                XXH3_64bits_reset(x);
                XXH3_64bits_update(x, &h, sizeof h);
                if (h.flags & BLOCK_NULLS)
                    XXH3_64bits_update(x, col->valid + r0 / 64, words * sizeof(uint64_t));
                XXH3_64bits_update(x, (const char *)col->data + r0 * esz, m * esz);
                same = XXH3_64bits_digest(x) == want;
                XXH3_freeState(x);
                if (!same) {
                    *damaged = 1;
                    break;
                }
            }
            parts++;
            if ((rc = cs__check_interrupt(eng))) break;
        }
    }
    sqlite3_blob_close(blob);
    sqlite3_finalize(s);
    if (rc || *damaged) return rc;
    if (parts * PART_ROWS < nrows || (nrows == 0 && parts > 1)) {
        *damaged = 1;
        return CS_OK;
    }
    /* Values the rest of the core trusts: codes in the dictionary, bools
    ** 0 or 1, and the null count. */
    if (col->type == CS_TYPE_STR) {
        const uint32_t *c = col->data;
        uint32_t dn = col->dict->n;
        for (i = 0; i < nrows; i++)
            if (c[i] >= dn && (!col->valid || cs__bit(col->valid, i))) {
                *damaged = 1;
                return CS_OK;
            }
    } else if (col->type == CS_TYPE_BOOL) {
        const uint8_t *c = col->data;
        for (i = 0; i < nrows; i++)
            if (c[i] > 1) {
                *damaged = 1;
                return CS_OK;
            }
    }
    col->len = nrows;
    if (col->valid) {
        size_t w, words = (nrows + 63) / 64;
        for (w = 0; w < words; w++) {
            uint64_t word = col->valid[w];
            if (w == words - 1 && nrows % 64)
                word |= ~(uint64_t)0 << (nrows % 64);
            col->nnull += (size_t)(64 - __builtin_popcountll(word));
        }
        /* Null rows hold zero, as everywhere in the core. */
        for (i = 0; col->nnull && i < nrows; i++)
            if (!cs__bit(col->valid, i))
                memset((char *)col->data + i * esz, 0, esz);
    }
    return CS_OK;
}

/* Reads columns WANT[0..NW) (positions in REC) of TABLE's copy into *OUT;
** *OUT stays NULL when the copy turns out damaged. */
static int read_copy(cs_store *st, const char *table, const recorded *rec,
                     const size_t *want, size_t nw, size_t nrows,
                     cs_dataset **out)
{
    cs_engine *eng = st->eng;
    cs_dataset *ds = NULL;
    size_t k;
    int rc, damaged = 0;
    *out = NULL;
    if ((rc = cs_dataset_new(eng, &ds))) return rc;
    for (k = 0; k < nw && !rc && !damaged; k++) {
        const rec_col *rc_col = &rec->c[want[k]];
        cs_column *col;
        if ((rc = cs_column_new(eng, rc_col->type, &col))) break;
        rc = read_copy_column(st, table, (int)want[k], col, nrows, &damaged);
        if (!rc && !damaged) rc = cs_dataset_add(ds, rc_col->name, col);
        cs_column_release(col);
    }
    if (rc || damaged) {
        cs_dataset_free(ds);
        return rc;
    }
    *out = ds;
    return CS_OK;
}

/* ------------------------------------------------------------------ */
/* Reading a table                                                     */
/* ------------------------------------------------------------------ */
/* Reads TABLE (COLS[0..NCOLS), or every column) from its copy into
** *OUT when the copy can be read; *OUT stays NULL otherwise. */
static int read_through_copy(cs_store *st, const char *table,
                             const recorded *rec, const char *const *cols,
                             size_t ncols, cs_dataset **out)
{
    size_t *pos, k, j, n = ncols ? ncols : rec->n;
    int64_t rows = 0;
    int rc, usable;
    *out = NULL;
    if ((rc = copy_usable(st, table, rec, &rows, &usable)) || !usable ||
        rows < 0)
        return rc;
    if (!(pos = cs__alloc(st->eng, (n ? n : 1) * sizeof *pos)))
        return cs__oom(st->eng);
    for (k = 0; k < n; k++) {
        pos[k] = k;
        if (!ncols) continue;
        for (j = 0; j < rec->n && strcmp(rec->c[j].name, cols[k]) != 0; j++)
            continue;
        if (j == rec->n) break;    /* SQL will name the missing column */
        pos[k] = j;
    }
    if (k == n)
        rc = read_copy(st, table, rec, pos, n, (size_t)rows, out);
    cs__free(st->eng, pos, (n ? n : 1) * sizeof *pos);
    return rc;
}

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
    if (typed && (rc = read_through_copy(st, table, &rec, cols, ncols, out)))
        goto done;
    if (*out) goto done;
    rc = collect(st, s, typed ? want : NULL, what, out);
    /* A whole table read through SQL makes its copy again, for the next
    ** read; a store that cannot be written to now is still read. */
    if (!rc && typed && ncols == 0 && cs_store_begin(st) == CS_OK) {
        if (write_copy(st, table, *out) == CS_OK) cs_store_commit(st);
        else cs_store_rollback(st);
        eng->errmsg[0] = '\0';
    }
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
    int rc = exec_for(st, "DELETE FROM coopstat_columns WHERE tbl = ?", table,
                      "recording types");
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
        if (!rc && (i & 4095) == 4095) {
            rc = cs__check_interrupt(eng);
            cs__progress(eng, "write", i + 1, ds->nrows);
        }
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
    /* SQLite's table width is fixed when it is compiled (2,000 in
    ** Debian's build); a dataset may be wider. */
    if (ds->ncols > (size_t)sqlite3_limit(st->db, SQLITE_LIMIT_COLUMN, -1))
        return cs__error(eng, CS_EINVAL,
                         "'%s': %zu columns, but a store table holds at "
                         "most %d; keep the columns needed (ds:select, "
                         "or import --columns)",
                         table, ds->ncols,
                         sqlite3_limit(st->db, SQLITE_LIMIT_COLUMN, -1));
    if ((rc = cs_store_begin(st))) return rc;
    /* What the store kept of tables dropped through SQL goes now. */
    if ((rc = exec(st, "DELETE FROM coopstat_blocks WHERE tbl NOT IN "
                       "(SELECT name FROM sqlite_schema WHERE type = "
                       "'table')")))
        goto fail;
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
    /* An append leaves the copy stale (its triggers fired): the next
    ** whole read makes it again.  The copy only speeds reading: when it
    ** cannot be made (a dictionary beyond SQLite's blob limit), the
    ** table is written without it and read through SQL. */
    if (mode != CS_WRITE_APPEND) {
        if ((rc = cs_store_begin(st))) goto fail;
        if ((rc = write_copy(st, table, ds)) == CS_OK) {
            if ((rc = cs_store_commit(st))) goto fail;
        } else {
            cs_store_rollback(st);
            if (rc == CS_EINTERRUPT || rc == CS_ENOMEM) goto fail;
            st->eng->errmsg[0] = '\0';
        }
    }
    return cs_store_commit(st);
fail:
    cs_store_rollback(st);
    return rc;
}
