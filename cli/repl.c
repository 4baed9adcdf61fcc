/*
** repl.c: coopstat repl, the interactive Lua session, and with standard
** input not a terminal a reader of statements to the end.  This file owns
** the loop, Ctrl-C and the terminal's size; bindings/lua/repl.lua compiles
** what is typed, shows values, runs the dot-commands and completes;
** lineedit.c edits lines.  Every call into Lua is protected, and the
** statement's own calls are "armed": Ctrl-C then interrupts them.
*/
#define _DEFAULT_SOURCE /* struct winsize, TIOCGWINSZ; setenv */

#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "coopstat.h"
#include "lauxlib.h"
#include "lua.h"

#include "../bindings/lcoopstat.h"
#include "lineedit.h"
#include "repl.h"
#include "storecmd.h"

#define HISTORY_MAX 10000
#define TRACEBACK_REG "coopstat.repl.traceback"

const char repl_usage[] =
    "usage: " PROGNAME " [repl] [--db PATH]\n"
    "\n"
    "Opens an interactive Lua session with the coopstat module loaded: cs\n"
    "is the module, db the store (--db, else $COOPSTAT_DB, else\n"
    "./coopstat.db; opened when first used).  An expression shows its\n"
    "value, the last one kept in _; .help lists the dot-commands.  History\n"
    "is kept in ~/.coopstat_history, or $COOPSTAT_HISTORY (empty: none).\n"
    "With standard input not a terminal, reads statements to the end,\n"
    "shows their values without prompts and exits with status 1 if one\n"
    "failed.\n";

typedef struct repl {
    lua_State *L;
    cs_engine *eng;
    int mod;         /* stack index of the coopstat.repl table */
    int interactive; /* standard input is a terminal */
    int color;       /* colours on standard error */
    int failed;      /* a statement failed */
    int quit;
    int status;  /* the exit status */
    char *chunk; /* the lines of an unfinished chunk */
    size_t len, cap;
    char *line;      /* the line being handled (free()) */
    size_t line_cap; /* its buffer's size, when read by getline() */
} repl;

/* For the signal handlers. */
static lua_State *g_L;
static cs_engine *g_eng;
static volatile sig_atomic_t g_running, g_interactive;
/* When the running statement was first interrupted (ms, 0: not yet). */
static volatile long long g_first_int;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int msghandler(lua_State *L);

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    lua_sethook(L, NULL, 0, 0);
    /* A C loop that saw the flag has raised its own error ("query:
    ** interrupted"): its message handler must not fail in turn. */
    if (ar->event == LUA_HOOKCALL && lua_getinfo(L, "f", ar)) {
        int handler = lua_tocfunction(L, -1) == msghandler;
        lua_pop(L, 1);
        if (handler) return;
    }
    luaL_error(L, "interrupted!");
}

/* At the prompt Ctrl-C drops the line (lineedit); while a statement runs
** it stops it as lua.c does, through a hook and the engine's flag, which
** long C loops and SQLite's progress handler watch.  A second Ctrl-C
** within 2 s, for work that does not stop, leaves the REPL.  Only
** async-signal-safe calls here. */
static void on_sigint(int sig)
{
    long long now;
    if (!g_running) {
        if (g_interactive) {
            le_signal(sig);
        } else { /* reading a script: Ctrl-C ends the program */
            signal(sig, SIG_DFL);
            raise(sig);
        }
        return;
    }
    now = now_ms();
    if (g_first_int && now - g_first_int < 2000) {
        static const char msg[] =
            "\n" PROGNAME ": interrupted twice: leaving the REPL\n";
        ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
        (void)w;
        _exit(130);
    }
    g_first_int = now;
    if (g_eng) cs_engine_interrupt(g_eng);
    lua_sethook(g_L, stop_hook,
                LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

static void on_sigwinch(int sig)
{
    le_signal(sig);
}

static void set_handler(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a wait ends on Ctrl-C */
    sigaction(sig, &sa, NULL);
}

/* The message handler: keeps the traceback aside (shown with
** .traceback on) and returns the message alone. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL &&
        !(luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING))
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    else if (msg != NULL)
        lua_pushvalue(L, 1);
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, TRACEBACK_REG);
    return 1;
}

static int option_on(repl *r, const char *name)
{
    int on;
    lua_getfield(r->L, r->mod, "options");
    lua_getfield(r->L, -1, name);
    on = lua_toboolean(r->L, -1);
    lua_pop(r->L, 2);
    return on;
}

/* Prints the error message on top of the stack (and pops it), with the
** traceback kept by msghandler when .traceback is on. */
static void report(repl *r)
{
    lua_State *L = r->L;
    const char *msg = lua_tostring(L, -1);
    fflush(stdout);
    if (msg == NULL) msg = "(error object is not a string)";
    fprintf(stderr, "%s%s%s\n", r->color ? "\033[31m" : "", msg,
            r->color ? "\033[0m" : "");
    lua_pop(L, 1);
    if (option_on(r, "traceback")) {
        if (lua_getfield(L, LUA_REGISTRYINDEX, TRACEBACK_REG) == LUA_TSTRING)
            fprintf(stderr, "%s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, TRACEBACK_REG);
    fflush(stderr);
    r->failed = 1;
}

/* Calls the function under NARGS arguments at the top, protected and
** with Ctrl-C armed; returns its status with the results (or the
** message) in its place. */
static int call_armed(repl *r, int nargs, int nres)
{
    lua_State *L = r->L;
    int fn = lua_gettop(L) - nargs, st;
    lua_pushcfunction(L, msghandler);
    lua_insert(L, fn);
    g_first_int = 0;
    cs_engine_clear_interrupt(r->eng);
    fflush(stdout);
    g_running = 1;
    st = lua_pcall(L, nargs, nres, fn);
    g_running = 0;
    lua_sethook(L, NULL, 0, 0);
    cs_engine_clear_interrupt(r->eng);
    lua_remove(L, fn);
    if (g_first_int) {
        if (r->interactive)
            fputc('\n', stdout); /* after the echoed ^C */
        else
            r->quit = 1; /* a script stops at Ctrl-C, as with run */
    }
    return st;
}

/* Tells repl.lua the terminal's size (0 when values do not go to one),
** and keeps $COLUMNS and $LINES right for print(ds). */
static void update_size(repl *r)
{
    struct winsize ws;
    int cols = 0, rows = 0;
    if (r->interactive && isatty(STDOUT_FILENO) &&
        ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
        char buf[16];
        cols = ws.ws_col;
        rows = ws.ws_row;
        snprintf(buf, sizeof buf, "%d", cols);
        setenv("COLUMNS", buf, 1);
        snprintf(buf, sizeof buf, "%d", rows);
        setenv("LINES", buf, 1);
    }
    lua_pushinteger(r->L, cols);
    lua_setfield(r->L, r->mod, "width");
    lua_pushinteger(r->L, rows);
    lua_setfield(r->L, r->mod, "height");
}

static void print_time(repl *r, const struct timespec *t0, clock_t c0)
{
    struct timespec t1;
    clock_t c1 = clock();
    double wall, cpu;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    wall = (double)(t1.tv_sec - t0->tv_sec) +
           (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
    cpu = (double)(c1 - c0) / CLOCKS_PER_SEC;
    printf("%stime: %.3f s (cpu %.3f s)%s\n", r->color ? "\033[2m" : "", wall,
           cpu, r->color ? "\033[0m" : "");
}

/* Runs the chunk as a statement and shows its values; returns 0 when
** the chunk is unfinished (nothing is run) unless FINAL. */
static int run_chunk(repl *r, int final)
{
    lua_State *L = r->L;
    int base, st, n, timer;
    struct timespec t0;
    clock_t c0;

    lua_getfield(L, r->mod, "compile");
    lua_pushlstring(L, r->chunk, r->len);
    lua_pushboolean(L, final);
    if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
        report(r);
        return 1;
    }
    if (lua_isnil(L, -2)) {
        const char *msg = lua_tostring(L, -1);
        if (msg && strcmp(msg, "incomplete") == 0) {
            lua_pop(L, 2);
            return 0;
        }
        if (r->interactive) le_history_add(r->chunk);
        lua_remove(L, -2);
        report(r);
        return 1;
    }
    lua_pop(L, 1);
    if (r->interactive) le_history_add(r->chunk);
    base = lua_gettop(L);
    update_size(r);
    timer = option_on(r, "timer");
    clock_gettime(CLOCK_MONOTONIC, &t0);
    c0 = clock();
    st = call_armed(r, 0, LUA_MULTRET);
    if (st != LUA_OK) {
        report(r);
    } else if ((n = lua_gettop(L) - base + 1) > 0) {
        lua_getfield(L, r->mod, "show");
        lua_insert(L, base);
        lua_pushinteger(L, n);
        lua_insert(L, base + 1);
        if (call_armed(r, n + 1, 0) != LUA_OK) report(r);
    }
    fflush(stdout);
    if (timer) print_time(r, &t0, c0);
    lua_settop(L, base - 1);
    return 1;
}

static void run_dot(repl *r, const char *line)
{
    lua_State *L = r->L;
    if (r->interactive) le_history_add(line);
    update_size(r);
    lua_getfield(L, r->mod, "dot");
    lua_pushstring(L, line);
    if (call_armed(r, 1, 1) != LUA_OK) {
        report(r);
        return;
    }
    if (lua_type(L, -1) == LUA_TSTRING &&
        strcmp(lua_tostring(L, -1), "quit") == 0)
        r->quit = 1;
    lua_pop(L, 1);
    fflush(stdout);
}

/* A dot-command: a line starting with "." and a letter, not in a chunk. */
static int is_dot(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s[0] == '.' &&
           ((s[1] >= 'a' && s[1] <= 'z') || (s[1] >= 'A' && s[1] <= 'Z'));
}

static int blank(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return 0;
    return 1;
}

static void chunk_add(repl *r, const char *s, size_t n)
{
    size_t need = r->len + n + 2;
    if (need > r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        char *p;
        while (cap < need)
            cap *= 2;
        p = realloc(r->chunk, cap);
        if (p == NULL) {
            fprintf(stderr, PROGNAME ": out of memory\n");
            exit(EXIT_ERROR);
        }
        r->chunk = p;
        r->cap = cap;
    }
    if (r->len) r->chunk[r->len++] = '\n';
    memcpy(r->chunk + r->len, s, n);
    r->len += n;
    r->chunk[r->len] = '\0';
}

/* Letters typed decomposed ("a" then a combining mark) become the
** composed ones the data holds, so "Lạc Sơn" compares equal however it
** was typed.  Text that is not UTF-8 is left as it is. */
static void normalize_line(repl *r)
{
    char *nfc;
    size_t n;
    if (cs_text_nfc(r->eng, r->line, strlen(r->line), &nfc, &n) != CS_OK)
        return;
    if (strcmp(nfc, r->line) != 0) {
        char *copy = malloc(n + 1);
        if (copy) {
            memcpy(copy, nfc, n + 1);
            free(r->line);
            r->line = copy;
            r->line_cap = n + 1;
        }
    }
    cs_free_str(r->eng, nfc);
}

static int read_line(repl *r)
{
    if (r->interactive) {
        const char *prompt =
            r->len == 0
                ? (r->color ? "\001\033[1;32m\002cs>\001\033[0m\002 " : "cs> ")
                : (r->color ? "\001\033[2m\002..>\001\033[0m\002 " : "..> ");
        int st;
        free(r->line);
        r->line = NULL;
        st = le_read(prompt, &r->line);
        if (st == LE_LINE) r->line_cap = strlen(r->line) + 1;
        return st;
    } else {
        ssize_t n = getline(&r->line, &r->line_cap, stdin);
        if (n < 0) return LE_EOF;
        if (n > 0 && r->line[n - 1] == '\n') r->line[--n] = '\0';
        if (n > 0 && r->line[n - 1] == '\r') r->line[--n] = '\0';
        return LE_LINE;
    }
}

/* Tab: asks repl.lua for the candidates (protected: a failure is no
** candidate). */
static int complete(void *ud, const char *line, size_t point,
                    le_completion *out)
{
    repl *r = ud;
    lua_State *L = r->L;
    int top = lua_gettop(L), ok = 0;
    lua_getfield(L, r->mod, "complete");
    lua_pushlstring(L, line, point);
    if (lua_pcall(L, 1, 4, 0) == LUA_OK && lua_isinteger(L, -4) &&
        lua_istable(L, -3)) {
        lua_Integer start = lua_tointeger(L, -4), i, n;
        const char *app = lua_tostring(L, -2);
        n = (lua_Integer)lua_rawlen(L, -3);
        out->start = start < 0 ? 0 : (size_t)start;
        out->files = lua_toboolean(L, -1);
        out->append = app ? app[0] : '\0';
        out->words = calloc((size_t)n + 1, sizeof *out->words);
        for (i = 0; out->words && i < n; i++) {
            const char *w;
            lua_rawgeti(L, -3, i + 1);
            w = lua_tostring(L, -1);
            out->words[i] = strdup(w ? w : "");
            lua_pop(L, 1);
        }
        ok = out->words != NULL;
    }
    lua_settop(L, top);
    return ok;
}

static const char *history_path(char *buf, size_t size)
{
    const char *p = getenv("COOPSTAT_HISTORY");
    const char *home;
    if (p) return p;
    home = getenv("HOME");
    if (home == NULL || *home == '\0') return NULL;
    snprintf(buf, size, "%s/.coopstat_history", home);
    return buf;
}

/* The loop, in protected mode (errors outside any statement, such as
** running out of memory, end it). */
static int repl_main(lua_State *L)
{
    repl *r = lua_touserdata(L, 1);
    char hist[4096];
    const char *db = g_db_path ? g_db_path : getenv("COOPSTAT_DB");

    luaL_checkversion(L);
    r->eng = g_eng = lcoopstat_host(L, g_db_path);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "coopstat.repl");
    lua_getglobal(L, "require");
    lua_pushliteral(L, "coopstat");
    lua_call(L, 1, 0); /* which preloads its Lua parts */
    lua_call(L, 1, 1);
    r->mod = lua_gettop(L);
    lua_getfield(L, r->mod, "start");
    lua_pushstring(L, db && *db ? db : "coopstat.db");
    lua_call(L, 1, 0);

    if (r->interactive) {
        le_open(PROGNAME, complete, r);
        le_history_open(history_path(hist, sizeof hist), HISTORY_MAX);
        printf("%s" PROGNAME " %s (%s)%s  .help for help, Ctrl-D to leave\n",
               r->color ? "\033[1m" : "", CS_VERSION, LUA_RELEASE,
               r->color ? "\033[0m" : "");
        fflush(stdout);
    }
    while (!r->quit) {
        int st = read_line(r);
        if (st == LE_EOF) {
            if (r->len && !r->interactive) {
                run_chunk(r, 1); /* reports what is missing */
                r->len = 0;
            }
            if (r->interactive) {
                if (r->len) le_history_add(r->chunk);
                fputc('\n', stdout);
            }
            break;
        }
        if (st == LE_INTERRUPT) { /* the unfinished chunk is dropped */
            if (r->len) le_history_add(r->chunk);
            r->len = 0;
            continue;
        }
        normalize_line(r);
        if (r->len == 0 && is_dot(r->line)) {
            run_dot(r, r->line);
            continue;
        }
        chunk_add(r, r->line, strlen(r->line));
        if (blank(r->chunk, r->len)) {
            r->len = 0;
            continue;
        }
        if (run_chunk(r, 0)) r->len = 0;
    }
    r->status = r->interactive || !r->failed ? EXIT_OK : EXIT_ERROR;
    return 0;
}

int cmd_repl(int argc, char **argv)
{
    repl r;
    lua_State *L;
    int i, st;

    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(repl_usage, stdout);
            return EXIT_OK;
        }
        if (take_db_option(argc, argv, &i)) continue;
        fprintf(stderr, PROGNAME ": repl: unknown %s '%s'\n%s",
                argv[i][0] == '-' ? "option" : "argument", argv[i], repl_usage);
        return EXIT_USAGE;
    }

    memset(&r, 0, sizeof r);
    r.status = EXIT_ERROR;
    r.interactive = isatty(STDIN_FILENO);
    if (r.interactive) {
        const char *term = getenv("TERM");
        /* Readline edits UTF-8 only under a UTF-8 character type. */
        setlocale(LC_CTYPE, "");
        if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
            setlocale(LC_CTYPE, "C.UTF-8");
        r.color = isatty(STDERR_FILENO) && isatty(STDOUT_FILENO) &&
                  getenv("NO_COLOR") == NULL &&
                  !(term && strcmp(term, "dumb") == 0);
    }
    g_interactive = r.interactive;

    L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, PROGNAME ": cannot create a Lua state: not enough "
                                 "memory\n");
        return EXIT_ERROR;
    }
    r.L = g_L = L;
    set_handler(SIGINT, on_sigint);
    if (r.interactive) set_handler(SIGWINCH, on_sigwinch);
    lua_pushcfunction(L, repl_main);
    lua_pushlightuserdata(L, &r);
    st = lua_pcall(L, 1, 0, 0);
    if (st != LUA_OK) {
        fprintf(stderr, PROGNAME ": %s\n", lua_tostring(L, -1));
        r.status = EXIT_ERROR;
    }
    signal(SIGINT, SIG_DFL);
    if (r.interactive) signal(SIGWINCH, SIG_DFL);
    fflush(stdout);
    g_eng = NULL;
    lua_close(L);
    g_L = NULL;
    if (r.interactive) le_close();
    free(r.chunk);
    free(r.line);
    return r.status;
}
