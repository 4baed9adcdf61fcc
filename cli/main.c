/*
** main.c: the coopstat program, a thin layer over the Lua module as
** lua.c is over Lua.  Subcommands come from one table; those planned
** but not built yet are listed there too, and refuse to run.
** Exit status: 0 success, 1 a script or runtime error, 2 a usage error.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "coopstat.h"
#include "lauxlib.h"
#include "lua.h"

#include "../bindings/lcoopstat.h"
#include "jobs.h"
#include "repl.h"
#include "storecmd.h"


typedef struct command {
    const char *name;
    /* NULL: planned, not available in this version. */
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int cmd_run(int argc, char **argv);
static int cmd_help(int argc, char **argv);
static int cmd_lua(int argc, char **argv);

static const command commands[] = {
    {"run", cmd_run, "run a Lua script with the coopstat module"},
    {"help", cmd_help, "show help for a command"},
    {"repl", cmd_repl, "interactive Lua prompt with coopstat loaded (the default)"},
    {"init", cmd_init, "create the store (SQLite); --sample adds the Hoa Binh data"},
    {"import", cmd_import, "import a CSV file into the store as a table"},
    {"sql", cmd_sql, "run SQL against the store"},
    {"tables", cmd_tables, "list the tables in the store"},
    {"indicators", cmd_lua, "list, run, show, explain and export indicators"},
    {"validate", cmd_lua, "check published and computed figures against the rules"},
    {"report", cmd_lua, "write the indicator report (HTML, XLSX or Markdown)"},
    {"jobs", cmd_jobs, "scheduled jobs: add, list, run, run-due, daemon, history"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const char run_usage[] =
    "usage: " PROGNAME " run [--db PATH] [--] SCRIPT.lua [ARGS...]\n"
    "       " PROGNAME " run [--db PATH] - [ARGS...]   (the script on stdin)\n"
    "       " PROGNAME " run --sandbox [--timeout 10m] [--memory 512M]\n"
    "                    [--allow-read DIR]... SCRIPT.lua [ARGS...]\n"
    "\n"
    "Runs a Lua 5.4 script.  require(\"coopstat\") loads the built-in\n"
    "module.  The script sees its arguments in the global table 'arg'\n"
    "(arg[0] is the script, arg[1] the first argument) and as '...'.\n"
    "cs.open() with no path opens the --db store (else $COOPSTAT_DB, else\n"
    "./coopstat.db).  Errors are reported with a traceback and exit\n"
    "status 1.\n"
    "\n"
    "--sandbox runs the script as a scheduled job's script runs: in a\n"
    "restricted environment (only the coopstat module; no os.execute,\n"
    "io.popen, debug, binary chunks; files read only under the --allow-read\n"
    "folders, default ./data and the installed sample data; writes only\n"
    "through the store), with the time and memory limits given.\n";

static const command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

/* Lists the commands that are AVAILABLE (1) or only planned (0). */
static void list_summaries(FILE *f, int available)
{
    size_t i;
    for (i = 0; i < NCOMMANDS; i++)
        if ((commands[i].run != NULL) == available)
            fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: " PROGNAME " COMMAND [ARGS...]\n"
               "       " PROGNAME " --version | --help\n\nCommands:\n");
    list_summaries(f, 1);
    {
        size_t i, planned = 0;
        for (i = 0; i < NCOMMANDS; i++) planned += commands[i].run == NULL;
        if (planned) {
            fprintf(f, "\nPlanned, not available in this version:\n");
            list_summaries(f, 0);
        }
    }
    fprintf(f, "\nRun '" PROGNAME " COMMAND --help' for a command's options."
               "\nWith no command, " PROGNAME " starts the REPL (" PROGNAME
               " repl).\n");
}

static void list_commands(FILE *f)
{
    size_t i;
    fprintf(f, "Commands: ");
    for (i = 0; i < NCOMMANDS; i++)
        fprintf(f, "%s%s", i ? ", " : "", commands[i].name);
    fprintf(f, "\n");
}

static int unknown_command(const char *name)
{
    size_t i, best = (size_t)-1;
    const char *guess = NULL;
    for (i = 0; i < NCOMMANDS; i++) {
        size_t d = cs_text_distance(name, commands[i].name);
        if (d < best) {
            best = d;
            guess = commands[i].name;
        }
    }
    fprintf(stderr, PROGNAME ": unknown command '%s'.", name);
    if (guess && best <= 2) fprintf(stderr, " Did you mean '%s'?", guess);
    fprintf(stderr, " ");
    list_commands(stderr);
    return EXIT_USAGE;
}

static int not_available(const char *name)
{
    fprintf(stderr, PROGNAME ": '%s' is not available in this version\n", name);
    return EXIT_USAGE;
}

/* coopstat help [COMMAND] */
static int cmd_help(int argc, char **argv)
{
    const command *c;
    if (argc < 2 || is_help(argv[1])) {
        usage(stdout);
        return EXIT_OK;
    }
    c = find_command(argv[1]);
    if (c == NULL) return unknown_command(argv[1]);
    if (c->run == cmd_run) {
        fputs(run_usage, stdout);
        return EXIT_OK;
    }
    if (c->run == cmd_import || c->run == cmd_init || c->run == cmd_sql ||
        c->run == cmd_tables) {
        fputs(c->run == cmd_import ? import_usage
              : c->run == cmd_init ? init_usage
              : c->run == cmd_sql  ? sql_usage
                                   : tables_usage,
              stdout);
        return EXIT_OK;
    }
    if (c->run == NULL) return not_available(c->name);
    if (c->run == cmd_repl) {
        fputs(repl_usage, stdout);
        return EXIT_OK;
    }
    if (c->run == cmd_jobs) {
        fputs(jobs_usage, stdout);
        return EXIT_OK;
    }
    if (c->run == cmd_lua) {
        char *args[] = {argv[1], "--help", NULL};
        return cmd_lua(2, args);
    }
    usage(stdout);
    return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* run                                                                */
/* ------------------------------------------------------------------ */

/* For SIGINT: the running state and the module's engine.  As in lua.c,
** the handler only sets a hook (and the engine's flag, which is
** signal-safe), and the hook raises the error. */
static lua_State *g_L;
static cs_engine *volatile g_eng;

static void stop_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    lua_sethook(L, NULL, 0, 0);
    if (g_eng) cs_engine_clear_interrupt(g_eng);
    luaL_error(L, "interrupted!");
}

static void on_sigint(int sig)
{
    signal(sig, SIG_DFL); /* a second Ctrl-C kills the process */
    /* NOLINTNEXTLINE(bugprone-signal-handler,cert-sig30-c): see coopstat.h. */
    if (g_eng) cs_engine_interrupt(g_eng);
    /* NOLINTNEXTLINE(bugprone-signal-handler,cert-sig30-c): as lua.c does. */
    lua_sethook(g_L, stop_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
}

/* The message handler: adds a traceback, as lua.c's msghandler. */
static int msghandler(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)",
                              luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

typedef struct run_args {
    const char *command; /* a command written in Lua (coopstat.cli) */
    const char *script;  /* NULL: stdin */
    int nargs;
    char **args;
    int status; /* the exit status */
} run_args;

static void report(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    if (msg == NULL) msg = "(error object is not a string)";
    fprintf(stderr, PROGNAME ": %s\n", msg);
    fflush(stderr);
}

/* Sets the global 'arg': the script at 0, its arguments from 1. */
static void set_arg(lua_State *L, const run_args *ra)
{
    int i;
    lua_createtable(L, ra->nargs, 1);
    lua_pushstring(L, ra->script ? ra->script : "-");
    lua_rawseti(L, -2, 0);
    for (i = 0; i < ra->nargs; i++) {
        lua_pushstring(L, ra->args[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setglobal(L, "arg");
}

/* Runs inside lua_pcall so that errors while setting up (out of
** memory) are caught too. */
static int pmain(lua_State *L)
{
    run_args *ra = lua_touserdata(L, 1);
    int i, st, msgh;
    luaL_checkversion(L);
    g_eng = lcoopstat_host(L, g_db_path);
    set_arg(L, ra);

    lua_pushcfunction(L, msghandler);
    msgh = lua_gettop(L);
    if (ra->command) { /* require("coopstat.cli").main(command, args...) */
        lua_getglobal(L, "require");
        lua_pushliteral(L, "coopstat"); /* which preloads its Lua parts */
        lua_call(L, 1, 0);
        lua_getglobal(L, "require");
        lua_pushliteral(L, "coopstat.cli");
        lua_call(L, 1, 1);
        lua_getfield(L, -1, "main");
        lua_remove(L, -2);
        lua_pushstring(L, ra->command);
        st = LUA_OK;
    } else
        st = luaL_loadfile(L, ra->script);
    if (st == LUA_OK) {
        int nres = ra->command ? 1 : 0;
        luaL_checkstack(L, ra->nargs, "too many arguments to script");
        for (i = 0; i < ra->nargs; i++)
            lua_pushstring(L, ra->args[i]);
        signal(SIGINT, on_sigint);
        st = lua_pcall(L, ra->nargs + (ra->command != NULL), nres, msgh);
        signal(SIGINT, SIG_DFL);
    }
    if (st != LUA_OK) report(L);
    ra->status = st == LUA_OK ? EXIT_OK : EXIT_ERROR;
    if (st == LUA_OK && ra->command)
        ra->status = (int)luaL_optinteger(L, -1, EXIT_OK);
    return 0;
}

/* coopstat run [--] SCRIPT [ARGS...] */
static int run_state(run_args *ra);

static int cmd_run(int argc, char **argv)
{
    run_args ra = {.status = EXIT_ERROR};
    int i = 1, sandbox = 0, nallow = 0;
    int64_t timeout = 0, memory = 0;
    char **allow = argv; /* the --allow-read folders, gathered in place */
    if (argc > 1 && is_help(argv[1])) {
        fputs(run_usage, stdout);
        return EXIT_OK;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        int takes = strcmp(a, "--timeout") == 0 || strcmp(a, "--memory") == 0 ||
                    strcmp(a, "--allow-read") == 0;
        if (take_db_option(argc, argv, &i)) continue;
        if (strcmp(a, "--sandbox") == 0) {
            sandbox = 1;
            continue;
        }
        if (!takes) break;
        if (i + 1 >= argc) {
            fprintf(stderr, PROGNAME ": run: option %s needs a value\n%s", a, run_usage);
            return EXIT_USAGE;
        }
        if ((strcmp(a, "--timeout") == 0 && cs_parse_duration(argv[i + 1], &timeout)) ||
            (strcmp(a, "--memory") == 0 && cs_parse_size(argv[i + 1], &memory))) {
            fprintf(stderr, PROGNAME ": run: %s '%s': expected %s\n", a, argv[i + 1],
                    a[2] == 't' ? "a duration such as 90s, 10m or 2h"
                                : "a size such as 512M or 2G");
            return EXIT_USAGE;
        }
        if (strcmp(a, "--allow-read") == 0) allow[nallow++] = argv[i + 1];
        i++;
    }
    if (!sandbox && (timeout || memory || nallow)) {
        fprintf(stderr, PROGNAME ": run: --timeout, --memory and --allow-read go with "
                        "--sandbox\n");
        return EXIT_USAGE;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    else if (i < argc && argv[i][0] == '-' && argv[i][1] != '\0') {
        fprintf(stderr, PROGNAME ": run: unknown option '%s'\n%s", argv[i],
                run_usage);
        return EXIT_USAGE;
    }
    if (i >= argc) {
        fprintf(stderr, PROGNAME ": run: missing the script to run\n%s",
                run_usage);
        return EXIT_USAGE;
    }
    if (sandbox) {
        if (strcmp(argv[i], "-") == 0) {
            fprintf(stderr, PROGNAME ": run: --sandbox needs a script file, not stdin\n");
            return EXIT_USAGE;
        }
        return run_sandboxed(argv[i], argc - i - 1, argv + i + 1, timeout, memory, allow,
                             nallow);
    }
    ra.command = NULL;
    ra.script = strcmp(argv[i], "-") == 0 ? NULL : argv[i];
    ra.nargs = argc - i - 1;
    ra.args = argv + i + 1;
    return run_state(&ra);
}

/* The commands written in Lua (indicators, validate, report): the module
** coopstat.cli parses their arguments and returns the exit status. */
static int cmd_lua(int argc, char **argv)
{
    run_args ra = {.status = EXIT_ERROR};
    int i, n = 0;
    /* --db is the host's option, taken out before the rest. */
    for (i = 1; i < argc; i++)
        if (!take_db_option(argc, argv, &i)) argv[1 + n++] = argv[i];
    ra.command = argv[0];
    ra.script = NULL;
    ra.nargs = n;
    ra.args = argv + 1;
    return run_state(&ra);
}

/* Runs RA in a new Lua state; returns the exit status. */
static int run_state(run_args *ra_)
{
    run_args ra = *ra_;
    lua_State *L;
    int st;
    ra.status = EXIT_ERROR;

    L = luaL_newstate();
    if (L == NULL) {
        fprintf(stderr, PROGNAME ": cannot create a Lua state: not enough "
                                 "memory\n");
        return EXIT_ERROR;
    }
    g_L = L;
    lua_pushcfunction(L, pmain);
    lua_pushlightuserdata(L, &ra);
    st = lua_pcall(L, 1, 0, 0);
    if (st != LUA_OK) report(L); /* ra.status is still EXIT_ERROR */
    g_eng = NULL;
    lua_close(L);
    g_L = NULL;
    return ra.status;
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    const command *c;
    if (argc < 2) return cmd_repl(argc, argv); /* no command: the REPL */
    if (is_help(argv[1])) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf(PROGNAME " %s (%s, SQLite %s)\n", CS_VERSION, LUA_RELEASE,
               sqlite3_libversion());
        return EXIT_OK;
    }
    /* --db PATH before the command applies to it. */
    while (argc > 1 && strncmp(argv[1], "--db", 4) == 0) {
        int i = 1;
        if (!take_db_option(argc, argv, &i)) break;
        argv[i] = argv[0];
        argc -= i;
        argv += i;
    }
    if (argc < 2) return cmd_repl(argc, argv); /* coopstat --db PATH */
    if (argv[1][0] == '-') {
        fprintf(stderr, PROGNAME ": unknown option '%s'\n", argv[1]);
        usage(stderr);
        return EXIT_USAGE;
    }
    c = find_command(argv[1]);
    if (c == NULL) return unknown_command(argv[1]);
    if (c->run == NULL) return not_available(c->name);
    return c->run(argc - 1, argv + 1);
}
