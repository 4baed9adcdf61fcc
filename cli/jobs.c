/*
** jobs.c: scheduled jobs (coopstat jobs ...) and sandboxed runs
** (coopstat run --sandbox).
**
** A job runs a Lua script or the indicator catalogue on a cron schedule
** or when a table's content changes.  Job definitions and run history
** live in the store (coopstat_jobs, coopstat_job_runs).  Each run:
**   1. takes its lease: in one IMMEDIATE transaction, a row (job, slot,
**      attempt) with status 'running' and this process's pid.  The row is
**      unique, so two schedulers never run a slot twice; a 'running' row
**      whose process is gone is marked 'abandoned' and the slot may be
**      retried;
**   2. forks a child, which sets its limits (setrlimit; an accounting
**      allocator for Lua and the engine; an instruction-count hook for
**      the time), builds a fresh Lua state and runs the job: a script in
**      the sandbox with all its writes in one transaction, or the
**      catalogue (one transaction too).  The child reports through a
**      pipe; a crash of the child cannot take the scheduler down;
**   3. waits with a wall-clock limit (SIGKILL when it passes) and records
**      the outcome: ok, failed, timeout, out_of_memory, killed.  Failed
**      runs are retried with backoff up to --retries.
*/
#define _XOPEN_SOURCE 700 /* gethostname, kill, setenv */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "coopstat.h"
#include "lauxlib.h"
#include "lua.h"

#include "../bindings/lcoopstat.h"
#include "jobs.h"
#include "storecmd.h"

/* Exit statuses of a child, beyond 0 (ok) and 1 (failed). */
enum { CHILD_TIMEOUT = 3, CHILD_OOM = 4, CHILD_SETUP = 5 };

/* ------------------------------------------------------------------ */
/* Limits: an accounting allocator and a time hook                    */
/* ------------------------------------------------------------------ */

typedef struct limits {
    size_t used, max;      /* bytes; max 0: no limit */
    int oom;               /* an allocation was refused */
    double deadline;       /* monotonic seconds; 0: none */
    volatile sig_atomic_t timed_out; /* also set by on_alarm */
    cs_engine *volatile eng;         /* read by on_alarm */
} limits;

static limits g_lim;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* lua_Alloc (and cs_alloc_fn): counts the bytes in use, refuses beyond
** the limit.  For Lua, OSIZE is a type tag when PTR is NULL. */
static void *acct_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    limits *lim = ud;
    size_t old = ptr ? osize : 0;
    void *p;
    if (nsize == 0) {
        free(ptr);
        lim->used -= old;
        return NULL;
    }
    if (lim->max && nsize > old && lim->used - old + nsize > lim->max) {
        lim->oom = 1;
        return NULL;
    }
    p = realloc(ptr, nsize);
    if (!p) {
        lim->oom = 1;
        return NULL;
    }
    lim->used = lim->used - old + nsize;
    return p;
}

/* Every 10,000 instructions: past the deadline, stop the engine's loops
** and raise an error; the hook stays, so the error comes back after a
** pcall that swallowed it.  Threads made later inherit the hook. */
static void time_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (g_lim.deadline > 0 && mono() > g_lim.deadline) {
        g_lim.timed_out = 1;
        if (g_lim.eng) cs_engine_interrupt(g_lim.eng);
        luaL_error(L, "timeout: the run took longer than its limit");
    }
}

/* For a wall-clock limit also while inside C: SIGALRM sets the flag the
** engine's loops and SQLite check. */
static void on_alarm(int sig)
{
    (void)sig;
    g_lim.timed_out = 1;
    /* NOLINTNEXTLINE(bugprone-signal-handler,cert-sig30-c): see coopstat.h. */
    if (g_lim.eng) cs_engine_interrupt(g_lim.eng);
}

/* A Lua state with the limits: MEMORY bytes (0: none), TIMEOUT seconds
** (0: none).  Returns NULL when it cannot be made. */
static lua_State *limited_state(int64_t memory, int64_t timeout)
{
    lua_State *L;
    memset(&g_lim, 0, sizeof g_lim);
    g_lim.max = (size_t)memory;
    L = lua_newstate(acct_alloc, &g_lim);
    if (!L) return NULL;
    lcoopstat_use_lua_allocator(L);
    if (timeout > 0) {
        g_lim.deadline = mono() + (double)timeout;
        lua_sethook(L, time_hook, LUA_MASKCOUNT, 10000);
        signal(SIGALRM, on_alarm);
        alarm((unsigned)timeout + 1);
    }
    return L;
}

/* ------------------------------------------------------------------ */
/* Small helpers                                                      */
/* ------------------------------------------------------------------ */

static int64_t now_s(void) { return (int64_t)time(NULL); }

static void iso(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%d %H:%M:%S %z", &tm);
}

static void iso_utc(int64_t t, char *buf, size_t size)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void hostname(char *buf, size_t size)
{
    if (gethostname(buf, size) != 0) snprintf(buf, size, "?");
    buf[size - 1] = '\0';
}

/* Vietnam when the process has no TZ; a zone without the database falls
** back to the fixed offset (Vietnam has no daylight saving). */
static void default_zone(void)
{
    const char *tz = getenv("TZ");
    if (tz && *tz) return;
    if (access("/usr/share/zoneinfo/Asia/Ho_Chi_Minh", R_OK) == 0)
        setenv("TZ", "Asia/Ho_Chi_Minh", 1);
    else
        setenv("TZ", "<+07>-7", 1);
    tzset();
}

static cs_value v_str(const char *s)
{
    cs_value v;
    memset(&v, 0, sizeof v);
    if (!s) {
        v.isnull = 1;
        v.type = CS_TYPE_STR;
        return v;
    }
    v.type = CS_TYPE_STR;
    v.u.s.p = s;
    v.u.s.len = strlen(s);
    return v;
}

static cs_value v_int(int64_t i)
{
    cs_value v;
    memset(&v, 0, sizeof v);
    v.type = CS_TYPE_I64;
    v.u.i = i;
    return v;
}

static cs_value v_num(double d)
{
    cs_value v;
    memset(&v, 0, sizeof v);
    v.type = CS_TYPE_F64;
    v.u.f = d;
    return v;
}

static cs_value v_null(void)
{
    cs_value v = v_str(NULL);
    return v;
}

typedef struct ctx {
    cs_engine *eng;
    cs_store *st;
} ctx;

static int fail(ctx *c, const char *what)
{
    fprintf(stderr, PROGNAME ": jobs: %s: %s\n", what, cs_errmsg(c->eng));
    return EXIT_ERROR;
}

static int open_ctx(ctx *c)
{
    c->st = NULL;
    if (cs_engine_new(NULL, NULL, &c->eng) != CS_OK) {
        fprintf(stderr, PROGNAME ": out of memory\n");
        return EXIT_ERROR;
    }
    if (cs_store_open(c->eng, store_path(), &c->st) != CS_OK) {
        fprintf(stderr, PROGNAME ": %s\n", cs_errmsg(c->eng));
        cs_engine_free(c->eng);
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

static void close_ctx(ctx *c)
{
    cs_store_close(c->st);
    cs_engine_free(c->eng);
}

static int exec(ctx *c, const char *sql, const cs_value *p, size_t n)
{
    return cs_store_exec(c->st, sql, p, n, NULL);
}

/* Cell (ROW, column NAME) of DS as text (NULL for null), as an integer
** (DEF for null). */
static const char *cell_s(const cs_dataset *ds, size_t row, const char *name, char *buf,
                          size_t size)
{
    ptrdiff_t j = cs_dataset_find(ds, name);
    cs_value v;
    if (j < 0) return NULL;
    cs_column_get(cs_dataset_column(ds, (size_t)j), row, &v);
    if (v.isnull) return NULL;
    switch (v.type) {
    case CS_TYPE_STR: snprintf(buf, size, "%.*s", (int)v.u.s.len, v.u.s.p); break;
    case CS_TYPE_I64: snprintf(buf, size, "%lld", (long long)v.u.i); break;
    case CS_TYPE_F64: snprintf(buf, size, "%.3f", v.u.f); break;
    default: snprintf(buf, size, "?"); break;
    }
    return buf;
}

static int64_t cell_i(const cs_dataset *ds, size_t row, const char *name, int64_t def)
{
    ptrdiff_t j = cs_dataset_find(ds, name);
    cs_value v;
    if (j < 0) return def;
    cs_column_get(cs_dataset_column(ds, (size_t)j), row, &v);
    if (v.isnull) return def;
    if (v.type == CS_TYPE_F64) return (int64_t)v.u.f;
    return v.u.i;
}

static void print_ds(const cs_dataset *ds)
{
    cs_format_options o = {0, 0, 0};
    char *s = NULL;
    if (cs_dataset_format(ds, &o, &s) == CS_OK) {
        fputs(s, stdout);
        cs_free_str(cs_dataset_engine(ds), s);
    }
}

/* ------------------------------------------------------------------ */
/* A job                                                              */
/* ------------------------------------------------------------------ */

typedef struct job {
    char name[128], schedule[128], when_changed[128], script[PATH_MAX], args[2048];
    char indicators[1024], period[32], catch_up[8], allow_read[2048], allow_write[2048];
    char cwd[PATH_MAX], last_fingerprint[CS_HASH_HEX];
    int64_t timeout_s, memory_bytes, retries, enabled, last_slot;
    int has_schedule, has_changed, is_script, has_last_slot;
} job;

/* SRC into DST[0..SIZE), cut to fit. */
static void copy_str(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);
    if (n >= size) n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void copy_cell(const cs_dataset *ds, size_t r, const char *name, char *dst, size_t size)
{
    char buf[PATH_MAX + 2048];
    const char *s = cell_s(ds, r, name, buf, sizeof buf);
    copy_str(dst, size, s ? s : "");
}

static void job_from_row(const cs_dataset *ds, size_t r, job *j)
{
    memset(j, 0, sizeof *j);
    copy_cell(ds, r, "name", j->name, sizeof j->name);
    copy_cell(ds, r, "schedule", j->schedule, sizeof j->schedule);
    copy_cell(ds, r, "when_changed", j->when_changed, sizeof j->when_changed);
    copy_cell(ds, r, "script", j->script, sizeof j->script);
    copy_cell(ds, r, "args", j->args, sizeof j->args);
    copy_cell(ds, r, "indicators", j->indicators, sizeof j->indicators);
    copy_cell(ds, r, "period", j->period, sizeof j->period);
    copy_cell(ds, r, "catch_up", j->catch_up, sizeof j->catch_up);
    copy_cell(ds, r, "allow_read", j->allow_read, sizeof j->allow_read);
    copy_cell(ds, r, "allow_write", j->allow_write, sizeof j->allow_write);
    copy_cell(ds, r, "cwd", j->cwd, sizeof j->cwd);
    copy_cell(ds, r, "last_fingerprint", j->last_fingerprint, sizeof j->last_fingerprint);
    j->timeout_s = cell_i(ds, r, "timeout_s", 600);
    j->memory_bytes = cell_i(ds, r, "memory_bytes", 0);
    j->retries = cell_i(ds, r, "retries", 0);
    j->enabled = cell_i(ds, r, "enabled", 1);
    j->last_slot = cell_i(ds, r, "last_slot", 0);
    j->has_last_slot = cell_i(ds, r, "last_slot", -1) != -1;
    j->has_schedule = j->schedule[0] != '\0';
    j->has_changed = j->when_changed[0] != '\0';
    j->is_script = j->script[0] != '\0';
}

/* The jobs (all, or the one named NAME) into *OUT (caller frees). */
static int load_jobs(ctx *c, const char *name, job **out, size_t *n)
{
    cs_dataset *ds;
    cs_value p = v_str(name);
    size_t i;
    int rc = cs_store_query(c->st, name ? "SELECT * FROM coopstat_jobs WHERE name = ?"
                                        : "SELECT * FROM coopstat_jobs ORDER BY name",
                            &p, name ? 1 : 0, &ds);
    *out = NULL;
    *n = 0;
    if (rc) return rc;
    *n = cs_dataset_nrows(ds);
    *out = calloc(*n ? *n : 1, sizeof **out);
    if (!*out) {
        cs_dataset_free(ds);
        return CS_ENOMEM;
    }
    for (i = 0; i < *n; i++) job_from_row(ds, i, &(*out)[i]);
    cs_dataset_free(ds);
    return CS_OK;
}

static int find_job(ctx *c, const char *name, job *j)
{
    job *all;
    size_t n;
    int rc = load_jobs(c, name, &all, &n);
    if (rc) return fail(c, "reading the jobs");
    if (n == 0) {
        free(all);
        fprintf(stderr, PROGNAME ": jobs: no job '%s' (see 'coopstat jobs list')\n", name);
        return EXIT_ERROR;
    }
    *j = all[0];
    free(all);
    return EXIT_OK;
}

/* The content fingerprint of TABLE, into FP ("" when it does not exist). */
static int table_fingerprint(ctx *c, const char *table, char fp[CS_HASH_HEX])
{
    cs_dataset *ds;
    int found = 0, rc;
    fp[0] = '\0';
    if ((rc = cs_store_has_table(c->st, table, &found)) || !found) return rc;
    if ((rc = cs_store_read(c->st, table, NULL, 0, &ds))) return rc;
    rc = cs_dataset_fingerprint(ds, fp);
    cs_dataset_free(ds);
    return rc;
}

/* ------------------------------------------------------------------ */
/* The child                                                          */
/* ------------------------------------------------------------------ */

/* Runs in the child (in protected mode): builds the spec table and calls
** require("coopstat.jobs").child(spec); leaves the result table. */
static int child_main(lua_State *L)
{
    const job *j = lua_touserdata(L, 1);
    const char *db = lua_tostring(L, 2);
    char *copy, *tok, *save = NULL;
    int i = 0;
    g_lim.eng = lcoopstat_host(L, NULL);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "coopstat");
    lua_call(L, 1, 0);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "coopstat.jobs");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "child");
    lua_newtable(L);
    lua_pushstring(L, j->name);
    lua_setfield(L, -2, "name");
    lua_pushstring(L, db);
    lua_setfield(L, -2, "db_path");
    lua_pushstring(L, j->is_script ? "script" : "indicators");
    lua_setfield(L, -2, "kind");
    lua_pushstring(L, j->script);
    lua_setfield(L, -2, "script");
    lua_pushstring(L, j->indicators);
    lua_setfield(L, -2, "ids");
    lua_pushstring(L, j->period[0] ? j->period : "auto");
    lua_setfield(L, -2, "period");
    /* Lists kept one per line. */
    for (int k = 0; k < 3; k++) {
        const char *src = k == 0 ? j->args : k == 1 ? j->allow_read : j->allow_write;
        lua_newtable(L);
        copy = strdup(src);
        if (!copy) return luaL_error(L, "out of memory");
        i = 0;
        for (tok = strtok_r(copy, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
            lua_pushstring(L, tok);
            lua_rawseti(L, -2, ++i);
        }
        free(copy);
        lua_setfield(L, -2, k == 0 ? "args" : k == 1 ? "allow_read" : "allow_write");
    }
    lua_call(L, 1, 1);
    return 1;
}

/* In the child: writes "status\tvalues\tindicator_run\terror" to FD. */
static void report_result(int fd, const char *status, long long values, long long run,
                          const char *error)
{
    char buf[4096];
    int n = snprintf(buf, sizeof buf, "%s\t%lld\t%lld\t%s", status, values, run,
                     error ? error : "");
    ssize_t w;
    if (n < 0) return;
    if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
    w = write(fd, buf, (size_t)n);
    (void)w;
}

static void run_child(const job *j, int fd)
{
    lua_State *L;
    int st, code = 0;
    struct rlimit rl;
    char *db = realpath(store_path(), NULL); /* before leaving this folder */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (!db) {
        report_result(fd, "failed", 0, 0, "cannot find the store");
        _exit(CHILD_SETUP);
    }
    if (j->cwd[0] && chdir(j->cwd) != 0) {
        report_result(fd, "failed", 0, 0, "cannot enter the job's folder");
        _exit(CHILD_SETUP);
    }
#ifndef CS_SANITIZED
    /* The address space, as a last guard (the sanitizers reserve more
    ** than any sane limit, so their builds rely on the allocator). */
    if (j->memory_bytes > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)j->memory_bytes + ((rlim_t)256 << 20);
        setrlimit(RLIMIT_AS, &rl);
    }
#endif
    if (j->timeout_s > 0) {
        rl.rlim_cur = (rlim_t)j->timeout_s + 5;
        rl.rlim_max = (rlim_t)j->timeout_s + 10;
        setrlimit(RLIMIT_CPU, &rl);
    }
    if (j->memory_bytes > 0) cs_store_heap_limit(j->memory_bytes); /* SQLite's share */
    L = limited_state(j->memory_bytes, j->timeout_s);
    if (!L) {
        report_result(fd, "out_of_memory", 0, 0, "cannot create a Lua state");
        _exit(CHILD_OOM);
    }
    lua_pushcfunction(L, child_main);
    lua_pushlightuserdata(L, (void *)j);
    lua_pushstring(L, db);
    free(db);
    st = lua_pcall(L, 2, 1, 0);
    if (st == LUA_OK && lua_istable(L, -1)) {
        const char *status, *err;
        long long values, run;
        lua_getfield(L, -1, "status");
        lua_getfield(L, -2, "values");
        lua_getfield(L, -3, "indicator_run");
        lua_getfield(L, -4, "error");
        status = lua_tostring(L, -4);
        values = (long long)lua_tointeger(L, -3);
        run = (long long)lua_tointeger(L, -2);
        err = lua_tostring(L, -1);
        report_result(fd, status ? status : "failed", values, run, err);
        code = status && strcmp(status, "ok") == 0 ? 0 : 1;
    } else {
        const char *msg = lua_tostring(L, -1);
        if (g_lim.timed_out) {
            report_result(fd, "timeout", 0, 0, "the run took longer than its time limit");
            code = CHILD_TIMEOUT;
        } else if (g_lim.oom || st == LUA_ERRMEM) {
            report_result(fd, "out_of_memory", 0, 0,
                          "the run needed more memory than its limit");
            code = CHILD_OOM;
        } else {
            report_result(fd, "failed", 0, 0, msg ? msg : "error");
            code = 1;
        }
    }
    lua_close(L);
    _exit(code);
}

/* ------------------------------------------------------------------ */
/* Running a slot: lease, child, outcome                              */
/* ------------------------------------------------------------------ */

static volatile sig_atomic_t g_stop;   /* SIGTERM/SIGINT in the daemon */
static volatile pid_t g_child;

static int alive(int64_t pid)
{
    return pid > 0 && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

/* Takes the lease of (J, SLOT): *ATTEMPT is the attempt to run, 0 when
** the slot must not run (done, running elsewhere, or out of retries).
** Recovers stale leases (their process gone) as 'abandoned'. */
static int take_lease(ctx *c, const job *j, int64_t slot, const char *trigger, int64_t *attempt,
                      int64_t *row)
{
    cs_dataset *ds = NULL;
    cs_value p[9];
    char host[256], me[256], when[32], buf[256];
    size_t i, n;
    int rc, busy = 0, done = 0;
    int64_t tries = 0;
    *attempt = 0;
    *row = 0;
    hostname(me, sizeof me);
    if ((rc = cs_store_begin_immediate(c->st))) return rc;
    p[0] = v_str(j->name);
    p[1] = v_int(slot);
    rc = cs_store_query(c->st, "SELECT id, status, pid, host, attempt FROM coopstat_job_runs "
                               "WHERE job = ? AND slot = ? ORDER BY attempt", p, 2, &ds);
    if (rc) goto fail;
    n = cs_dataset_nrows(ds);
    for (i = 0; i < n; i++) {
        const char *status = cell_s(ds, i, "status", buf, sizeof buf);
        int64_t pid = cell_i(ds, i, "pid", 0);
        const char *h = cell_s(ds, i, "host", host, sizeof host);
        tries = cell_i(ds, i, "attempt", 0);
        if (status && strcmp(status, "running") == 0) {
            if (h && strcmp(h, me) == 0 && !alive(pid)) {
                cs_value q[2];
                q[0] = v_int(cell_i(ds, i, "id", 0));
                q[1] = v_str("its process (pid) ended before the run did");
                if ((rc = exec(c, "UPDATE coopstat_job_runs SET status = 'abandoned', "
                                  "error = ? WHERE id = ?", (cs_value[]){q[1], q[0]}, 2)))
                    goto fail;
                fprintf(stderr, PROGNAME ": jobs: %s: run %lld of process %lld was abandoned\n",
                        j->name, (long long)q[0].u.i, (long long)pid);
            } else {
                busy = 1;
            }
        } else if (status && strcmp(status, "ok") == 0) {
            done = 1;
        }
    }
    cs_dataset_free(ds);
    ds = NULL;
    if (busy || done || tries > j->retries) return cs_store_commit(c->st);
    iso_utc(now_s(), when, sizeof when);
    *attempt = tries + 1;
    p[0] = v_str(j->name);
    p[1] = v_int(slot);
    p[2] = v_int(*attempt);
    p[3] = v_str(trigger);
    p[4] = v_int((int64_t)getpid());
    p[5] = v_str(me);
    p[6] = v_str(when);
    if ((rc = exec(c, "INSERT INTO coopstat_job_runs (job, slot, attempt, trigger, status, pid, "
                      "host, started_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)", p, 7)))
        goto fail;
    if ((rc = cs_store_query(c->st, "SELECT last_insert_rowid() AS id", NULL, 0, &ds))) goto fail;
    *row = cell_i(ds, 0, "id", 0);
    cs_dataset_free(ds);
    return cs_store_commit(c->st);
fail:
    cs_dataset_free(ds);
    cs_store_rollback(c->st);
    *attempt = 0;
    return rc;
}

typedef struct outcome {
    char status[32];
    char error[4096];
    long long values, run;
    double seconds;
} outcome;

/* Forks the child for J and waits for it (at most its time limit, then
** SIGKILL); fills *O. */
static void run_once(const job *j, outcome *o)
{
    int fds[2], status = 0;
    pid_t pid;
    double t0 = mono(), limit = j->timeout_s > 0 ? (double)j->timeout_s + 2.0 : 0;
    char buf[4200];
    size_t got = 0;
    int killed = 0, open_fd = 1;
    double stop_at = 0;
    memset(o, 0, sizeof *o);
    if (pipe(fds) != 0) {
        snprintf(o->status, sizeof o->status, "failed");
        snprintf(o->error, sizeof o->error, "cannot make a pipe: %s", strerror(errno));
        return;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        snprintf(o->status, sizeof o->status, "failed");
        snprintf(o->error, sizeof o->error, "cannot start the run: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        close(fds[0]);
        run_child(j, fds[1]);
    }
    g_child = pid;
    close(fds[1]);
    for (;;) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        double left = limit > 0 ? limit - (mono() - t0) : 1.0;
        int r;
        if (limit > 0 && left <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = 1;
        }
        /* The scheduler is stopping: the run gets 30 s to finish. */
        if (g_stop && stop_at == 0) stop_at = mono() + 30.0;
        if (g_stop && mono() > stop_at && !killed) {
            kill(pid, SIGKILL);
            killed = 2;
        }
        if (!open_fd) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid) break;
            if (w < 0 && errno != EINTR) break;
            {
                struct timespec ts = {0, 20 * 1000 * 1000};
                nanosleep(&ts, NULL);
            }
            continue;
        }
        r = poll(&pfd, 1, (int)((left > 0.2 || limit == 0 ? 0.2 : left) * 1000));
        if (r > 0) {
            ssize_t k = read(fds[0], buf + got, sizeof buf - 1 - got);
            if (k > 0) got += (size_t)k;
            else if (k == 0 || errno != EINTR) open_fd = 0;
            if (got >= sizeof buf - 1) open_fd = 0;
        }
    }
    close(fds[0]);
    g_child = 0;
    buf[got] = '\0';
    o->seconds = mono() - t0;
    if (got > 0) {
        char *f1 = strchr(buf, '\t'), *f2 = f1 ? strchr(f1 + 1, '\t') : NULL,
             *f3 = f2 ? strchr(f2 + 1, '\t') : NULL;
        if (f1 && f2 && f3) {
            *f1 = *f2 = *f3 = '\0';
            copy_str(o->status, sizeof o->status, buf);
            o->values = strtoll(f1 + 1, NULL, 10);
            o->run = strtoll(f2 + 1, NULL, 10);
            copy_str(o->error, sizeof o->error, f3 + 1);
        }
    }
    if (killed == 2) {
        snprintf(o->status, sizeof o->status, "abandoned");
        snprintf(o->error, sizeof o->error, "the scheduler stopped (SIGTERM or SIGINT) and the "
                                             "run did not finish within 30 s");
    } else if (killed) {
        snprintf(o->status, sizeof o->status, "timeout");
        snprintf(o->error, sizeof o->error,
                 "killed after %lld s: the run took longer than its time limit",
                 (long long)j->timeout_s);
    } else if (WIFSIGNALED(status)) {
        snprintf(o->status, sizeof o->status, WTERMSIG(status) == SIGXCPU ? "timeout" : "killed");
        snprintf(o->error, sizeof o->error, "the run ended on signal %d%s", WTERMSIG(status),
                 WTERMSIG(status) == SIGXCPU ? " (its CPU time limit)" : "");
    } else if (o->status[0] == '\0') {
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        snprintf(o->status, sizeof o->status, code == 0 ? "ok"
                                             : code == CHILD_TIMEOUT ? "timeout"
                                             : code == CHILD_OOM ? "out_of_memory"
                                                                 : "failed");
        if (code != 0 && o->error[0] == '\0')
            snprintf(o->error, sizeof o->error, "the run exited with status %d", code);
    }
}

/* Marks the runs 'running' on this host whose process is gone as
** 'abandoned' (a scheduler killed in the middle of a run). */
static int sweep_stale(ctx *c)
{
    cs_dataset *ds;
    cs_value p[2];
    char me[256];
    size_t i, n;
    int rc;
    hostname(me, sizeof me);
    p[0] = v_str(me);
    if ((rc = cs_store_query(c->st, "SELECT id, pid, job FROM coopstat_job_runs "
                                    "WHERE status = 'running' AND host = ?", p, 1, &ds)))
        return rc;
    n = cs_dataset_nrows(ds);
    for (i = 0; i < n && !rc; i++) {
        int64_t pid = cell_i(ds, i, "pid", 0);
        if (alive(pid)) continue;
        p[0] = v_str("its process ended before the run did (killed?)");
        p[1] = v_int(cell_i(ds, i, "id", 0));
        rc = exec(c, "UPDATE coopstat_job_runs SET status = 'abandoned', error = ? "
                     "WHERE id = ? AND status = 'running'", p, 2);
        if (!rc)
            fprintf(stderr, PROGNAME ": jobs: run %lld (process %lld) was abandoned\n",
                    (long long)p[1].u.i, (long long)pid);
    }
    cs_dataset_free(ds);
    return rc;
}

/* Runs the slot SLOT of J (with retries); returns 0 when it ran ok or
** was not to run, 1 when it failed.  *RAN says whether it ran. */
static int run_slot(ctx *c, const job *j, int64_t slot, const char *trigger, int *ran)
{
    int64_t attempt, row;
    outcome o;
    *ran = 0;
    for (;;) {
        char when[32];
        cs_value p[7];
        if (take_lease(c, j, slot, trigger, &attempt, &row) != CS_OK) return fail(c, j->name);
        if (attempt == 0) return *ran ? 1 : 0;
        *ran = 1;
        run_once(j, &o);
        iso_utc(now_s(), when, sizeof when);
        p[0] = v_str(o.status);
        p[1] = v_str(when);
        p[2] = v_num(o.seconds);
        p[3] = o.error[0] ? v_str(o.error) : v_null();
        p[4] = v_int(o.values);
        p[5] = o.run ? v_int(o.run) : v_null();
        p[6] = v_int(row);
        if (exec(c, "UPDATE coopstat_job_runs SET status = ?, finished_at = ?, "
                    "seconds = ?, error = ?, values_written = ?, indicator_run = ? "
                    "WHERE id = ?", p, 7) != CS_OK)
            return fail(c, j->name);
        printf("%s: %s (attempt %lld, %.1f s%s%s)\n", j->name, o.status, (long long)attempt,
               o.seconds, o.error[0] ? ": " : "", o.error);
        fflush(stdout);
        if (strcmp(o.status, "ok") == 0) return 0;
        if (attempt > j->retries || g_stop) return 1;
        {   /* Backoff: 1 s, 2 s, 4 s ... at most a minute. */
            unsigned wait = attempt >= 6 ? 60u : 1u << (attempt - 1);
            struct timespec ts = {(time_t)wait, 0};
            nanosleep(&ts, NULL);
        }
    }
}

/* ------------------------------------------------------------------ */
/* What is due                                                        */
/* ------------------------------------------------------------------ */

#define GRACE 60 /* a slot run within this many seconds is on time */

/* The next slot of J after AFTER (cron jobs), or 0. */
static int64_t next_slot(ctx *c, const job *j, int64_t after)
{
    cs_cron cr;
    int64_t n;
    if (!j->has_schedule) return 0;
    if (cs_cron_parse(c->eng, j->schedule, &cr) != CS_OK) return 0;
    if (cs_cron_next(c->eng, &cr, after, &n) != CS_OK) return 0;
    return n;
}

static int set_last(ctx *c, const job *j, int64_t slot, const char *fp)
{
    cs_value p[3];
    p[0] = v_int(slot);
    p[1] = fp ? v_str(fp) : v_str(j->last_fingerprint[0] ? j->last_fingerprint : NULL);
    p[2] = v_str(j->name);
    return exec(c, "UPDATE coopstat_jobs SET last_slot = ?, last_fingerprint = ? WHERE name = ?",
                p, 3);
}

/* Runs what of J is due at NOW; returns the number of failed runs. */
static int run_due_job(ctx *c, job *j, int64_t now, int *nran)
{
    int failed = 0, ran;
    if (!j->enabled) return 0;
    if (j->has_changed) {
        char fp[CS_HASH_HEX];
        if (table_fingerprint(c, j->when_changed, fp)) return fail(c, j->name), 1;
        if (fp[0] && strcmp(fp, j->last_fingerprint) != 0) {
            /* Recorded first: a failing run does not fire again for the same
            ** content (its retries are its own). */
            if (set_last(c, j, now, fp)) return fail(c, j->name), 1;
            failed += run_slot(c, j, now, "changed", &ran);
            *nran += ran;
        }
        return failed;
    }
    {
        int64_t from = j->has_last_slot ? j->last_slot : now - 1, s = next_slot(c, j, from);
        int64_t latest = 0, count = 0;
        if (s == 0 || s > now) return 0;
        /* The slots that came due since the last one handled. */
        while (s && s <= now && !g_stop) {
            int late = now - s > GRACE;
            if (strcmp(j->catch_up, "all") == 0 || !late) {
                failed += run_slot(c, j, s, late ? "catch-up" : "schedule", &ran);
                *nran += ran;
                count++;
            } else {
                latest = s;
            }
            if (set_last(c, j, s, NULL)) return fail(c, j->name), failed + 1;
            if (count > 1000) break;
            s = next_slot(c, j, s);
        }
        /* "once": the latest missed slot runs, once. */
        if (latest && strcmp(j->catch_up, "once") == 0 && !g_stop) {
            failed += run_slot(c, j, latest, "catch-up", &ran);
            *nran += ran;
        }
    }
    return failed;
}

static int run_due_all(ctx *c, int *nran)
{
    job *all;
    size_t n, i;
    int failed = 0;
    if (load_jobs(c, NULL, &all, &n)) return fail(c, "reading the jobs");
    for (i = 0; i < n && !g_stop; i++) failed += run_due_job(c, &all[i], now_s(), nran);
    free(all);
    return failed;
}

/* ------------------------------------------------------------------ */
/* Commands                                                           */
/* ------------------------------------------------------------------ */

const char jobs_usage[] =
    "usage: " PROGNAME " jobs add NAME (--cron EXPR | --when-changed TABLE)\n"
    "                     (--script FILE.lua [--args ARG...] | --indicators [ID,...]\n"
    "                      [--period auto|P]) [--timeout 10m] [--memory 512M]\n"
    "                     [--retries N] [--catch-up once|all|skip]\n"
    "                     [--allow-read DIR]... [--allow-write DIR]...\n"
    "       " PROGNAME " jobs list | show NAME | remove NAME | enable NAME | disable NAME\n"
    "       " PROGNAME " jobs run NAME | history [NAME] | run-due | daemon\n"
    "  (each takes --db PATH: the store; default $COOPSTAT_DB, else ./coopstat.db)\n"
    "\n"
    "A job runs a Lua script (in the sandbox: see docs/en/jobs.md) or the indicator\n"
    "catalogue ('auto': the latest period in the table reports) on a cron schedule\n"
    "(5 fields or @hourly @daily @weekly @monthly @yearly, in $TZ, Asia/Ho_Chi_Minh\n"
    "when unset) or when a table's content changes.  Each run is a child process\n"
    "with a time limit (default 10m) and a memory limit (default 1G), writes its\n"
    "values in one transaction, and runs at most once per scheduled slot even with\n"
    "two schedulers on the store.  Missed slots: --catch-up once (default: the\n"
    "latest runs once), all, or skip.  Failed runs are retried --retries times\n"
    "(default 0) with backoff.\n"
    "\n"
    "  run       runs NAME now (recorded like a scheduled run); status 1 if it fails\n"
    "  run-due   runs what is due and exits (for cron or a systemd timer)\n"
    "  daemon    stays in the foreground, sleeping until the next due time;\n"
    "            SIGTERM or SIGINT lets the current run finish (at most 30 s),\n"
    "            then exits\n"
    "  history   status, start, duration, error and values written of each run\n";

static int usage(const char *msg, const char *arg)
{
    fprintf(stderr, PROGNAME ": jobs: %s%s%s%s\n%s", msg, arg ? " '" : "", arg ? arg : "",
            arg ? "'" : "", jobs_usage);
    return EXIT_USAGE;
}

/* Appends S and a newline to BUF (a list kept one item per line). */
static int append_line(char *buf, size_t size, const char *s)
{
    size_t n = strlen(buf), k = strlen(s);
    if (strchr(s, '\n') || n + k + 2 > size) return 0;
    memcpy(buf + n, s, k);
    buf[n + k] = '\n';
    buf[n + k + 1] = '\0';
    return 1;
}

static int cmd_add(ctx *c, int argc, char **argv)
{
    job j;
    int i, has_script = 0, has_ind = 0, rc;
    cs_cron cr;
    char when[32], cwd[PATH_MAX];
    cs_value p[17];
    memset(&j, 0, sizeof j);
    j.timeout_s = 600;
    j.memory_bytes = (int64_t)1 << 30;
    snprintf(j.catch_up, sizeof j.catch_up, "once");
    if (argc < 2 || argv[1][0] == '-') return usage("add: missing the job's NAME", NULL);
    if (strlen(argv[1]) >= sizeof j.name) return usage("add: the name is too long", argv[1]);
    snprintf(j.name, sizeof j.name, "%s", argv[1]);
    for (i = 2; i < argc; i++) {
        int more = i + 1 < argc; /* V is "" when there is no next word */
        const char *a = argv[i], *v = more ? argv[i + 1] : "";
        int takes = strcmp(a, "--cron") == 0 || strcmp(a, "--when-changed") == 0 ||
                    strcmp(a, "--script") == 0 || strcmp(a, "--period") == 0 ||
                    strcmp(a, "--timeout") == 0 || strcmp(a, "--memory") == 0 ||
                    strcmp(a, "--retries") == 0 || strcmp(a, "--catch-up") == 0 ||
                    strcmp(a, "--allow-read") == 0 || strcmp(a, "--allow-write") == 0;
        if (takes && !more) return usage("add: option needs a value:", a);
        if (strcmp(a, "--cron") == 0) {
            if (cs_cron_parse(c->eng, v, &cr) != CS_OK) {
                fprintf(stderr, PROGNAME ": jobs: add: --cron %s\n", cs_errmsg(c->eng));
                return EXIT_USAGE;
            }
            snprintf(j.schedule, sizeof j.schedule, "%s", v);
            j.has_schedule = 1;
        } else if (strcmp(a, "--when-changed") == 0) {
            snprintf(j.when_changed, sizeof j.when_changed, "%s", v);
            j.has_changed = 1;
        } else if (strcmp(a, "--script") == 0) {
            char *r = realpath(v, NULL);
            if (!r) {
                fprintf(stderr, PROGNAME ": jobs: add: --script %s: %s\n", v, strerror(errno));
                return EXIT_ERROR;
            }
            snprintf(j.script, sizeof j.script, "%s", r);
            free(r);
            has_script = 1;
        } else if (strcmp(a, "--args") == 0) {
            for (i++; i < argc; i++)
                if (!append_line(j.args, sizeof j.args, argv[i]))
                    return usage("add: --args too long or holding a newline", NULL);
        } else if (strcmp(a, "--indicators") == 0) {
            has_ind = 1;
            if (more && v[0] != '-') {
                snprintf(j.indicators, sizeof j.indicators, "%s", v);
                i++;
            }
        } else if (strcmp(a, "--period") == 0) {
            cs_period per;
            if (strcmp(v, "auto") != 0 && cs_period_parse(v, strlen(v), &per) != CS_OK)
                return usage("add: --period must be auto or a period (2023H1...), not", v);
            snprintf(j.period, sizeof j.period, "%s", v);
        } else if (strcmp(a, "--timeout") == 0) {
            if (cs_parse_duration(v, &j.timeout_s) != CS_OK)
                return usage("add: --timeout takes a duration such as 90s, 10m or 2h, not", v);
        } else if (strcmp(a, "--memory") == 0) {
            if (cs_parse_size(v, &j.memory_bytes) != CS_OK)
                return usage("add: --memory takes a size such as 512M or 2G, not", v);
        } else if (strcmp(a, "--retries") == 0) {
            char *end;
            long r = strtol(v, &end, 10);
            if (*end || r < 0 || r > 100) return usage("add: --retries takes 0 to 100, not", v);
            j.retries = r;
        } else if (strcmp(a, "--catch-up") == 0) {
            if (strcmp(v, "once") != 0 && strcmp(v, "all") != 0 &&
                strcmp(v, "skip") != 0)
                return usage("add: --catch-up must be once, all or skip, not", v);
            snprintf(j.catch_up, sizeof j.catch_up, "%s", v);
        } else if (strcmp(a, "--allow-read") == 0 || strcmp(a, "--allow-write") == 0) {
            char *r = realpath(v, NULL);
            int ok;
            if (!r) {
                fprintf(stderr, PROGNAME ": jobs: add: %s %s: %s\n", a, v, strerror(errno));
                return EXIT_ERROR;
            }
            ok = a[8] == 'r' ? append_line(j.allow_read, sizeof j.allow_read, r)
                             : append_line(j.allow_write, sizeof j.allow_write, r);
            free(r);
            if (!ok) return usage("add: too many folders", NULL);
        } else {
            return usage("add: unknown option", a);
        }
        if (takes) i++;
    }
    if (j.has_schedule == j.has_changed)
        return usage("add: give one of --cron EXPR and --when-changed TABLE", NULL);
    if (has_script == has_ind)
        return usage("add: give one of --script FILE.lua and --indicators", NULL);
    if (has_ind && j.args[0]) return usage("add: --args goes with --script", NULL);
    if (!has_ind && j.period[0]) return usage("add: --period goes with --indicators", NULL);
    if (!getcwd(cwd, sizeof cwd)) snprintf(cwd, sizeof cwd, ".");
    /* Scripts read the working folder's data/ and the sample data unless
    ** told otherwise. */
    if (has_script && !j.allow_read[0]) {
        char path[PATH_MAX + 8], *r;
        snprintf(path, sizeof path, "%s/data", cwd);
        if ((r = realpath(path, NULL))) {
            append_line(j.allow_read, sizeof j.allow_read, r);
            free(r);
        }
        snprintf(path, sizeof path, "%s", CS_SHARE_DIR "/data");
        if ((r = realpath(path, NULL))) {
            append_line(j.allow_read, sizeof j.allow_read, r);
            free(r);
        }
    }
    if (j.has_changed) {
        int found = 0;
        if (cs_store_has_table(c->st, j.when_changed, &found) != CS_OK) return fail(c, "add");
        if (!found) {
            fprintf(stderr, PROGNAME ": jobs: add: --when-changed: the store has no table '%s'\n",
                    j.when_changed);
            return EXIT_ERROR;
        }
        if (table_fingerprint(c, j.when_changed, j.last_fingerprint)) return fail(c, "add");
    }
    iso_utc(now_s(), when, sizeof when);
    p[0] = v_str(j.name);
    p[1] = j.has_schedule ? v_str(j.schedule) : v_null();
    p[2] = j.has_changed ? v_str(j.when_changed) : v_null();
    p[3] = has_script ? v_str(j.script) : v_null();
    p[4] = v_str(j.args);
    p[5] = has_ind ? v_str(j.indicators) : v_null();
    p[6] = has_ind ? v_str(j.period[0] ? j.period : "auto") : v_null();
    p[7] = v_int(j.timeout_s);
    p[8] = v_int(j.memory_bytes);
    p[9] = v_int(j.retries);
    p[10] = v_str(j.catch_up);
    p[11] = v_str(j.allow_read);
    p[12] = v_str(j.allow_write);
    p[13] = v_str(cwd);
    p[14] = v_str(when);
    p[15] = v_int(now_s());
    p[16] = j.has_changed ? v_str(j.last_fingerprint) : v_null();
    rc = exec(c, "INSERT INTO coopstat_jobs (name, schedule, when_changed, script, args, "
                 "indicators, period, timeout_s, memory_bytes, retries, catch_up, allow_read, "
                 "allow_write, cwd, created_at, last_slot, last_fingerprint) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              p, 17);
    if (rc) {
        if (strstr(cs_errmsg(c->eng), "UNIQUE"))
            fprintf(stderr, PROGNAME ": jobs: add: a job named '%s' exists already\n", j.name);
        else
            fail(c, "add");
        return EXIT_ERROR;
    }
    printf("job '%s' added\n", j.name);
    return EXIT_OK;
}

static int cmd_list(ctx *c)
{
    job *all;
    size_t n, i;
    char next[40], buf[300];
    if (load_jobs(c, NULL, &all, &n)) return fail(c, "list");
    if (n == 0) printf("no jobs\n");
    else printf("%-20s %-8s %-26s %-28s %s\n", "name", "enabled", "schedule", "next", "runs");
    for (i = 0; i < n; i++) {
        const job *j = &all[i];
        int64_t nx = j->has_schedule ? next_slot(c, j, now_s() - 1) : 0;
        if (j->has_schedule && nx) iso(nx, next, sizeof next);
        else snprintf(next, sizeof next, "%s", j->has_changed ? "when the table changes" : "-");
        snprintf(buf, sizeof buf, "%s%s", j->has_schedule ? j->schedule : "changed: ",
                 j->has_schedule ? "" : j->when_changed);
        printf("%-20s %-8s %-26s %-28s %s\n", j->name, j->enabled ? "yes" : "no", buf, next,
               j->is_script ? j->script : (j->indicators[0] ? j->indicators : "indicators"));
    }
    free(all);
    return EXIT_OK;
}

static int history(ctx *c, const char *name, int limit)
{
    cs_dataset *ds;
    cs_value p[2];
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT id AS run, job, attempt, trigger, status, started_at, "
             "round(seconds, 2) AS seconds, values_written AS values_, indicator_run, error "
             "FROM coopstat_job_runs WHERE (?1 IS NULL OR job = ?1) ORDER BY id DESC LIMIT ?2");
    p[0] = v_str(name);
    p[1] = v_int(limit);
    if (cs_store_query(c->st, sql, p, 2, &ds)) return fail(c, "history");
    if (cs_dataset_nrows(ds) == 0) printf("no runs yet\n");
    else print_ds(ds);
    cs_dataset_free(ds);
    return EXIT_OK;
}

static int cmd_show(ctx *c, const char *name)
{
    job j;
    char next[40];
    int64_t nx;
    int rc = find_job(c, name, &j);
    if (rc) return rc;
    printf("name        %s\n", j.name);
    printf("enabled     %s\n", j.enabled ? "yes" : "no");
    if (j.has_schedule) {
        nx = next_slot(c, &j, now_s() - 1);
        if (nx) iso(nx, next, sizeof next);
        else snprintf(next, sizeof next, "never");
        printf("schedule    %s (TZ %s); next %s\n", j.schedule, getenv("TZ"), next);
    } else {
        printf("when        the table '%s' changes (fingerprint %.12s)\n", j.when_changed,
               j.last_fingerprint);
    }
    if (j.is_script) printf("script      %s\n", j.script);
    else printf("indicators  %s, period %s\n", j.indicators[0] ? j.indicators : "all", j.period);
    printf("limits      %lld s, %lld MB; retries %lld; catch-up %s\n", (long long)j.timeout_s,
           (long long)(j.memory_bytes >> 20), (long long)j.retries, j.catch_up);
    if (j.is_script) {
        printf("reads       %s", j.allow_read[0] ? "" : "(nothing)\n");
        for (char *s = j.allow_read; *s;) {
            char *e = strchr(s, '\n');
            printf("%.*s%s", (int)(e ? e - s : (ptrdiff_t)strlen(s)), s, e ? "; " : "");
            s = e ? e + 1 : s + strlen(s);
        }
        if (j.allow_read[0]) printf("\n");
    }
    printf("folder      %s\n\nlast runs:\n", j.cwd);
    return history(c, j.name, 5);
}

static int set_enabled(ctx *c, const char *name, int on)
{
    job j;
    cs_value p[2];
    int rc = find_job(c, name, &j);
    if (rc) return rc;
    p[0] = v_int(on);
    p[1] = v_str(name);
    if (exec(c, "UPDATE coopstat_jobs SET enabled = ? WHERE name = ?", p, 2))
        return fail(c, name);
    printf("job '%s' %s\n", name, on ? "enabled" : "disabled");
    return EXIT_OK;
}

static int cmd_remove(ctx *c, const char *name)
{
    job j;
    cs_value p = v_str(name);
    int rc = find_job(c, name, &j);
    if (rc) return rc;
    if (exec(c, "DELETE FROM coopstat_jobs WHERE name = ?", &p, 1)) return fail(c, name);
    printf("job '%s' removed (its run history stays)\n", name);
    return EXIT_OK;
}

static void on_stop(int sig)
{
    (void)sig;
    g_stop = 1;
}

static int cmd_daemon(ctx *c)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("coopstat jobs daemon: pid %ld, store %s, TZ %s\n", (long)getpid(), store_path(),
           getenv("TZ"));
    fflush(stdout);
    while (!g_stop) {
        job *all;
        size_t n, i;
        int ran = 0;
        int64_t wake = now_s() + 60, t = now_s();
        run_due_all(c, &ran);
        if (g_stop) break;
        if (load_jobs(c, NULL, &all, &n)) return fail(c, "daemon");
        for (i = 0; i < n; i++) {
            int64_t nx = all[i].enabled ? next_slot(c, &all[i], t) : 0;
            if (nx && nx < wake) wake = nx;
        }
        free(all);
        /* Sleep until the next due time (a second at a time, so that a
        ** signal is seen quickly). */
        while (!g_stop && now_s() < wake) {
            struct timespec ts = {1, 0};
            nanosleep(&ts, NULL);
        }
    }
    printf("coopstat jobs daemon: stopping\n");
    return EXIT_OK;
}

int cmd_jobs(int argc, char **argv)
{
    ctx c;
    int rc, i, n = 0;
    const char *sub;
    for (i = 1; i < argc; i++)
        if (!take_db_option(argc, argv, &i)) argv[1 + n++] = argv[i];
    argc = n + 1;
    if (argc < 2) return usage("missing a subcommand", NULL);
    sub = argv[1];
    if (is_help(sub)) {
        fputs(jobs_usage, stdout);
        return EXIT_OK;
    }
    for (i = 2; i < argc; i++)
        if (is_help(argv[i])) {
            fputs(jobs_usage, stdout);
            return EXIT_OK;
        }
    default_zone();
    if ((rc = open_ctx(&c))) return rc;
    if ((strcmp(sub, "run") == 0 || strcmp(sub, "run-due") == 0 || strcmp(sub, "daemon") == 0) &&
        sweep_stale(&c)) {
        rc = fail(&c, sub);
        close_ctx(&c);
        return rc;
    }
    if (strcmp(sub, "add") == 0) {
        rc = cmd_add(&c, argc - 1, argv + 1);
    } else if (strcmp(sub, "list") == 0) {
        rc = argc == 2 ? cmd_list(&c) : usage("list takes no argument", NULL);
    } else if (strcmp(sub, "show") == 0 || strcmp(sub, "remove") == 0 ||
               strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0 ||
               strcmp(sub, "run") == 0) {
        if (argc != 3) {
            rc = usage("this subcommand takes one job NAME:", sub);
        } else if (sub[0] == 's') {
            rc = cmd_show(&c, argv[2]);
        } else if (strcmp(sub, "remove") == 0) {
            rc = cmd_remove(&c, argv[2]);
        } else if (strcmp(sub, "run") == 0) {
            job j;
            int ran;
            rc = find_job(&c, argv[2], &j);
            /* A manual run has a slot of its own: minus its time in ms. */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            if (!rc)
                rc = run_slot(&c, &j, -((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000),
                              "manual", &ran) ? EXIT_ERROR : EXIT_OK;
        } else {
            rc = set_enabled(&c, argv[2], sub[0] == 'e');
        }
    } else if (strcmp(sub, "history") == 0) {
        rc = argc <= 3 ? history(&c, argc == 3 ? argv[2] : NULL, 50)
                       : usage("history takes at most one job NAME", NULL);
    } else if (strcmp(sub, "run-due") == 0) {
        int ran = 0;
        rc = run_due_all(&c, &ran) ? EXIT_ERROR : EXIT_OK;
        if (ran == 0) printf("nothing due\n");
    } else if (strcmp(sub, "daemon") == 0) {
        rc = cmd_daemon(&c);
    } else {
        rc = usage("unknown subcommand", sub);
    }
    close_ctx(&c);
    return rc;
}

/* ------------------------------------------------------------------ */
/* coopstat run --sandbox                                             */
/* ------------------------------------------------------------------ */

static int sandbox_main(lua_State *L)
{
    const char *script = lua_tostring(L, 1);
    int nargs = (int)lua_tointeger(L, 2), i;
    g_lim.eng = lcoopstat_host(L, g_db_path);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "coopstat");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "open");
    lua_call(L, 0, 1); /* the store: the only one the script writes to */
    lua_getglobal(L, "require");
    lua_pushliteral(L, "coopstat.sandbox");
    lua_call(L, 1, 1);
    lua_getfield(L, -1, "run_file");
    lua_pushstring(L, script);
    lua_createtable(L, nargs, 0);
    for (i = 0; i < nargs; i++) {
        lua_pushvalue(L, 4 + i);
        lua_rawseti(L, -2, i + 1);
    }
    lua_createtable(L, 0, 3);
    lua_pushvalue(L, 4 + nargs + 1); /* the store */
    lua_setfield(L, -2, "db");
    lua_pushvalue(L, 3);
    lua_setfield(L, -2, "allow_read");
    lua_call(L, 3, 0);
    return 0;
}

int run_sandboxed(const char *script, int nargs, char **args, int64_t timeout, int64_t memory,
                  char **allow, int nallow)
{
    lua_State *L;
    int st, i, rc = EXIT_OK;
    char cwd[PATH_MAX];
    default_zone();
    L = limited_state(memory, timeout);
    if (!L) {
        fprintf(stderr, PROGNAME ": run: cannot create a Lua state\n");
        return EXIT_ERROR;
    }
    lua_pushcfunction(L, sandbox_main);
    lua_pushstring(L, script);
    lua_pushinteger(L, nargs);
    lua_createtable(L, nallow + 2, 0);
    for (i = 0; i < nallow; i++) {
        lua_pushstring(L, allow[i]);
        lua_rawseti(L, -2, i + 1);
    }
    if (nallow == 0 && getcwd(cwd, sizeof cwd)) {
        lua_pushfstring(L, "%s/data", cwd);
        lua_rawseti(L, -2, 1);
        lua_pushliteral(L, CS_SHARE_DIR "/data");
        lua_rawseti(L, -2, 2);
    }
    for (i = 0; i < nargs; i++) lua_pushstring(L, args[i]);
    /* sandbox_main sees: script, nargs, allow, args... (the store after) */
    st = lua_pcall(L, 3 + nargs, 0, 0);
    if (st != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        if (g_lim.timed_out)
            fprintf(stderr, PROGNAME ": run: timeout: the script took longer than %lld s\n",
                    (long long)timeout);
        else if (g_lim.oom || st == LUA_ERRMEM)
            fprintf(stderr, PROGNAME ": run: out of memory: the script needed more than "
                            "%lld MB\n", (long long)(memory >> 20));
        else
            fprintf(stderr, PROGNAME ": %s\n", msg ? msg : "error");
        rc = EXIT_ERROR;
    }
    lua_close(L);
    alarm(0);
    return rc;
}
