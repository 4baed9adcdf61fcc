/*
** storecmd.c: the commands that work on the store: init, import, sql,
** tables.  Each takes --db PATH (else $COOPSTAT_DB, else ./coopstat.db).
** They call the core directly; a failure prints one line naming what
** failed and leaves the store as it was (the core writes in
** transactions).
*/
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "coopstat.h"
#include "storecmd.h"

const char *g_db_path;

const char *store_path(void)
{
    const char *p = g_db_path;
    if (!p || !*p) p = getenv("COOPSTAT_DB");
    if (!p || !*p) p = "coopstat.db";
    return p;
}

/* Takes "--db PATH" or "--db=PATH" at ARGV[*I]; 1 when it was one. */
int take_db_option(int argc, char **argv, int *i)
{
    if (strncmp(argv[*i], "--db=", 5) == 0) {
        g_db_path = argv[*i] + 5;
        return 1;
    }
    if (strcmp(argv[*i], "--db") != 0) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, PROGNAME ": option --db needs a path\n");
        exit(EXIT_USAGE);
    }
    g_db_path = argv[++*i];
    return 1;
}

static int fail(cs_engine *eng, const char *what)
{
    fprintf(stderr, PROGNAME ": %s: %s\n", what, cs_errmsg(eng));
    return EXIT_ERROR;
}

static int usage_error(const char *cmd, const char *msg, const char *arg,
                       const char *usage)
{
    fprintf(stderr, PROGNAME ": %s: %s%s%s%s\n%s", cmd, msg, arg ? " '" : "",
            arg ? arg : "", arg ? "'" : "", usage);
    return EXIT_USAGE;
}

static int open_store(cs_engine **eng, cs_store **st)
{
    if (cs_engine_new(NULL, NULL, eng) != CS_OK) {
        fprintf(stderr, PROGNAME ": out of memory\n");
        return EXIT_ERROR;
    }
    if (cs_store_open(*eng, store_path(), st) != CS_OK) {
        fprintf(stderr, PROGNAME ": %s\n", cs_errmsg(*eng));
        cs_engine_free(*eng);
        return EXIT_ERROR;
    }
    return EXIT_OK;
}

static void close_store(cs_engine *eng, cs_store *st)
{
    cs_store_close(st);
    cs_engine_free(eng);
}

/* ------------------------------------------------------------------ */
/* import                                                             */
/* ------------------------------------------------------------------ */
const char import_usage[] =
    "usage: " PROGNAME " import FILE.csv --table NAME [--mode MODE] "
    "[--columns A,B,...]\n"
    "       [reading options] [--db PATH]\n"
    "\n"
    "Reads FILE.csv (types inferred, as cs.read_csv) and writes it to the\n"
    "store as table NAME, in one transaction.  MODE: create (default: the\n"
    "table must not exist), replace, or append (same columns and types).\n"
    "--columns keeps only the columns named, in that order (a store table\n"
    "holds at most 2,000 columns).\n"
    "\n"
    "How the file is read (as the options of cs.read_csv):\n"
    "  --sep C            , ; | or tab (default: detected)\n"
    "  --decimal C        . (default) or ,\n"
    "  --thousands C      . , or space (default: none)\n"
    "  --encoding NAME    utf-8 (default), cp1258, tcvn3, utf-16, utf-16le,\n"
    "                     utf-16be (a UTF-16 byte order mark is followed)\n"
    "  --date-format F    e.g. %d/%m/%Y (default: ISO 2023-06-30)\n"
    "  --na A,B,...       the null markers besides an empty field (default: NA)\n"
    "  --no-header        the first row is data; columns are V1, V2, ...\n"
    "  --schema C=T,...   these columns get type T: int64, float64, string,\n"
    "                     bool or date (e.g. --schema commune_id=string)\n";

static int parse_mode(const char *s, cs_write_mode *m)
{
    if (strcmp(s, "create") == 0) *m = CS_WRITE_CREATE;
    else if (strcmp(s, "replace") == 0) *m = CS_WRITE_REPLACE;
    else if (strcmp(s, "append") == 0) *m = CS_WRITE_APPEND;
    else return 0;
    return 1;
}

/* Reads PATH and writes it as TABLE on ST. */
/* Progress of an import on a terminal: one line on stderr, redrawn at
** most five times a second. */
typedef struct meter {
    double start, last; /* seconds: the phase's start, the last redraw */
    const char *phase;
    int shown;          /* a line is on the screen */
} meter;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* N in a short human form: 1.2 GB, 340 MB; or 1,234,567 rows. */
static void human_bytes(char *buf, size_t size, double n)
{
    if (n >= 1e9) snprintf(buf, size, "%.1f GB", n / 1e9);
    else if (n >= 1e6) snprintf(buf, size, "%.0f MB", n / 1e6);
    else snprintf(buf, size, "%.0f kB", n / 1e3);
}

static void on_progress(void *ud, const cs_progress *p)
{
    meter *m = ud;
    double t = now_seconds(), rate, left;
    char done[32], total[32], speed[32];
    if (m->phase == NULL || strcmp(m->phase, p->phase) != 0) {
        m->phase = p->phase;
        m->start = t;
        m->last = 0;
    }
    if (t - m->last < 0.2 || t - m->start < 0.05) return;
    m->last = t;
    rate = (double)p->done / (t - m->start);
    left = rate > 0 ? (double)(p->total - p->done) / rate : 0;
    if (strcmp(p->phase, "write") == 0) {
        snprintf(done, sizeof done, "%llu", (unsigned long long)p->done);
        snprintf(total, sizeof total, "%llu rows", (unsigned long long)p->total);
        snprintf(speed, sizeof speed, "%.0f rows/s", rate);
    } else {
        size_t len;
        human_bytes(done, sizeof done, (double)p->done);
        human_bytes(total, sizeof total, (double)p->total);
        human_bytes(speed, sizeof speed, rate);
        len = strlen(speed);
        snprintf(speed + len, sizeof speed - len, "/s");
    }
    fprintf(stderr, "\r\033[K%s: %s of %s, %s, %.0f s left",
            strcmp(p->phase, "write") == 0 ? "writing" : "reading", done,
            total, speed, left);
    fflush(stderr);
    m->shown = 1;
}

/* Splits the comma-separated LIST into *NAMES (pointers into *COPY, a
** new copy of LIST; free both), *N of them.  0 when out of memory. */
static int split_names(const char *list, char **copy, char ***names, size_t *n)
{
    size_t k = 1, i;
    const char *q;
    char *p;
    for (q = list; *q; q++) k += *q == ',';
    *copy = strdup(list);
    *names = malloc(k * sizeof **names);
    if (!*copy || !*names) {
        free(*copy);
        free(*names);
        *copy = NULL;
        *names = NULL;
        return 0;
    }
    for (i = 0, p = *copy; i < k; i++) {
        (*names)[i] = p;
        p += strcspn(p, ",");
        *p++ = '\0';
    }
    *n = k;
    return 1;
}

/* Reads PATH and writes it to TABLE; COLUMNS (NULL: all) is the
** comma-separated list of those kept. */
static int import_file(cs_engine *eng, cs_store *st, const char *path,
                       const char *table, cs_write_mode mode,
                       const cs_csv_options *opt, const char *columns)
{
    cs_dataset *ds;
    char what[512];
    meter m = {0, 0, NULL, 0};
    int rc;
    if (isatty(STDERR_FILENO)) cs_engine_set_progress(eng, on_progress, &m);
    rc = cs_csv_read(eng, path, opt, &ds);
    if (rc == CS_OK && columns) {
        char *copy, **names;
        size_t n;
        cs_dataset *kept = NULL;
        if (!split_names(columns, &copy, &names, &n)) {
            cs_engine_set_progress(eng, NULL, NULL);
            cs_dataset_free(ds);
            fprintf(stderr, PROGNAME ": import %s: out of memory\n", path);
            return EXIT_ERROR;
        }
        rc = cs_dataset_select(ds, (const char *const *)names, n, &kept);
        free(names);
        free(copy);
        if (rc == CS_OK) {
            cs_dataset_free(ds);
            ds = kept;
        }
    }
    if (rc == CS_OK) rc = cs_store_write(st, table, ds, mode);
    cs_engine_set_progress(eng, NULL, NULL);
    if (m.shown) fputs("\r\033[K", stderr);
    snprintf(what, sizeof what, "import %s", path);
    if (rc != CS_OK) {
        if (ds) cs_dataset_free(ds);
        return fail(eng, ds ? what : "import");
    }
    fprintf(stderr, "%s: %zu row%s, %zu column%s -> table '%s'\n", path,
            cs_dataset_nrows(ds), cs_dataset_nrows(ds) == 1 ? "" : "s",
            cs_dataset_ncols(ds), cs_dataset_ncols(ds) == 1 ? "" : "s", table);
    cs_dataset_free(ds);
    return EXIT_OK;
}

/* The character of option OPT's value V into *OUT: one byte, or "tab"
** ("\t") or "space"; 0 (after a usage message) when V is not one. */
static int option_char(const char *opt, const char *v, char *out)
{
    if (strcmp(v, "tab") == 0 || strcmp(v, "\\t") == 0) *out = '\t';
    else if (strcmp(v, "space") == 0) *out = ' ';
    else if (v[0] && !v[1]) *out = v[0];
    else {
        char msg[96];
        snprintf(msg, sizeof msg, "%s needs one character (or tab, space), not",
                 opt);
        usage_error("import", msg, v, import_usage);
        return 0;
    }
    return 1;
}

/* What import's reading options hold: the lists, split. */
typedef struct read_opts {
    cs_csv_options csv;
    char *na_copy, **na;
    char *schema_copy, **schema_names;
    cs_type *schema_types;
} read_opts;

static void read_opts_free(read_opts *o)
{
    free(o->na_copy);
    free(o->na);
    free(o->schema_copy);
    free(o->schema_names);
    free(o->schema_types);
}

/* --schema C=T,...: into O; 0 (after a usage message) when bad. */
static int parse_schema(const char *v, read_opts *o)
{
    size_t n, k;
    if (!split_names(v, &o->schema_copy, &o->schema_names, &n) ||
        !(o->schema_types = malloc(n * sizeof *o->schema_types))) {
        fprintf(stderr, PROGNAME ": import: out of memory\n");
        return 0;
    }
    for (k = 0; k < n; k++) {
        char *eq = strrchr(o->schema_names[k], '=');
        if (!eq || eq == o->schema_names[k] ||
            !(o->schema_types[k] = cs_type_from_name(eq + 1))) {
            usage_error("import", "--schema needs COLUMN=TYPE pairs (types "
                        "int64, float64, string, bool, date), not", v,
                        import_usage);
            return 0;
        }
        *eq = '\0';
    }
    o->csv.schema_names = (const char *const *)o->schema_names;
    o->csv.schema_types = o->schema_types;
    o->csv.nschema = n;
    return 1;
}

/* Takes the reading option at ARGV[*I] into O: 1 taken, 0 not one of
** them, -1 bad (a usage message printed). */
static int take_read_option(int argc, char **argv, int *i, read_opts *o)
{
    static const char *const with_value[] = {
        "--sep", "--decimal", "--thousands", "--encoding", "--date-format",
        "--na", "--schema"};
    const char *a = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    size_t n, k;
    if (strcmp(a, "--no-header") == 0) {
        o->csv.header = 0;
        return 1;
    }
    for (k = 0; k < sizeof with_value / sizeof *with_value; k++)
        if (strcmp(a, with_value[k]) == 0) break;
    if (!v || k == sizeof with_value / sizeof *with_value) return 0;
    ++*i;
    if (strcmp(a, "--sep") == 0)
        return option_char(a, v, &o->csv.sep) ? 1 : -1;
    if (strcmp(a, "--decimal") == 0)
        return option_char(a, v, &o->csv.decimal) ? 1 : -1;
    if (strcmp(a, "--thousands") == 0)
        return option_char(a, v, &o->csv.thousands) ? 1 : -1;
    if (strcmp(a, "--encoding") == 0) {
        o->csv.encoding = v;
        return 1;
    }
    if (strcmp(a, "--date-format") == 0) {
        o->csv.date_format = v;
        return 1;
    }
    if (strcmp(a, "--schema") == 0) {
        free(o->schema_copy);
        free(o->schema_names);
        free(o->schema_types);
        o->schema_copy = NULL;
        o->schema_names = NULL;
        o->schema_types = NULL;
        return parse_schema(v, o) ? 1 : -1;
    }
    /* --na */
    free(o->na_copy);
    free(o->na);
    o->na_copy = NULL;
    o->na = NULL;
    if (!split_names(v, &o->na_copy, &o->na, &n)) {
        fprintf(stderr, PROGNAME ": import: out of memory\n");
        return -1;
    }
    o->csv.na = (const char *const *)o->na;
    o->csv.nna = n;
    return 1;
}

int cmd_import(int argc, char **argv)
{
    const char *file = NULL, *table = NULL, *columns = NULL;
    cs_write_mode mode = CS_WRITE_CREATE;
    cs_engine *eng;
    cs_store *st;
    read_opts ro;
    int i, rc = EXIT_OK;
    memset(&ro, 0, sizeof ro);
    cs_csv_options_init(&ro.csv);
    for (i = 1; i < argc && rc == EXIT_OK; i++) {
        int taken = take_read_option(argc, argv, &i, &ro);
        if (taken < 0) {
            rc = EXIT_USAGE;
        } else if (taken || take_db_option(argc, argv, &i)) {
            continue;
        } else if (is_help(argv[i])) {
            fputs(import_usage, stdout);
            read_opts_free(&ro);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--table") == 0 && i + 1 < argc) {
            table = argv[++i];
        } else if (strcmp(argv[i], "--columns") == 0 && i + 1 < argc) {
            columns = argv[++i];
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            if (!parse_mode(argv[++i], &mode))
                rc = usage_error("import", "--mode must be create, "
                                 "replace or append, not", argv[i],
                                 import_usage);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            rc = usage_error("import", "unknown option or missing value",
                             argv[i], import_usage);
        } else if (!file) {
            file = argv[i];
        } else {
            rc = usage_error("import", "one file at a time; extra", argv[i],
                             import_usage);
        }
    }
    if (rc == EXIT_OK && !file)
        rc = usage_error("import", "missing FILE.csv", NULL, import_usage);
    if (rc == EXIT_OK && !table)
        rc = usage_error("import", "missing --table NAME", NULL, import_usage);
    if (rc == EXIT_OK && columns &&
        (!*columns || columns[0] == ',' || strstr(columns, ",,") ||
         columns[strlen(columns) - 1] == ','))
        rc = usage_error("import", "--columns needs names separated by "
                         "commas, not", columns, import_usage);
    if (rc == EXIT_OK && (rc = open_store(&eng, &st)) == EXIT_OK) {
        rc = import_file(eng, st, file, table, mode, &ro.csv, columns);
        close_store(eng, st);
    }
    read_opts_free(&ro);
    return rc;
}

/* ------------------------------------------------------------------ */
/* init                                                               */
/* ------------------------------------------------------------------ */
const char init_usage[] =
    "usage: " PROGNAME " init [--sample] [--db PATH]\n"
    "\n"
    "Creates the store (or brings an existing one to this version's\n"
    "schema).  --sample also imports the bundled Hoa Binh data as tables\n"
    "organizations, reports, published, sectors, admin_units, history,\n"
    "targets and crosswalk_2025 (replacing tables of those names); the\n"
    "data is looked for in $COOPSTAT_DATA, then beside the program.\n";

/* The directory of the bundled sample data, into BUF. */
static int sample_dir(char *buf, size_t size)
{
    static const char *const rel[] = {"/../share/coopstat/data/hoabinh",
                                      "/../data/hoabinh"};
    char exe[PATH_MAX], probe[PATH_MAX + 64];
    const char *env = getenv("COOPSTAT_DATA");
    ssize_t n;
    size_t k;
    if (env && *env) {
        snprintf(buf, size, "%s", env);
        return 1;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    if (strrchr(exe, '/')) *strrchr(exe, '/') = '\0';
    for (k = 0; k < sizeof rel / sizeof *rel; k++) {
        snprintf(probe, sizeof probe, "%s%s/organizations.csv", exe, rel[k]);
        if (access(probe, R_OK) == 0) {
            int len = snprintf(buf, size, "%s%s", exe, rel[k]);
            return len >= 0 && (size_t)len < size; /* 0: it did not fit */
        }
    }
    return 0;
}

int cmd_init(int argc, char **argv)
{
    /* File (relative to the sample directory), table, and the columns
    ** read as text whatever they look like (periods such as 2025, codes). */
    static const char *const text_cols[] = {"period", "old_code", "new_code",
                                            "new_province_code"};
    static const cs_type text_types[] = {CS_TYPE_STR, CS_TYPE_STR, CS_TYPE_STR,
                                         CS_TYPE_STR};
    static const struct {
        const char *file, *table;
        size_t ntext, first; /* text_cols[first .. first+ntext) */
    } files[] = {
        {"organizations.csv", "organizations", 0, 0},
        {"reports_2023h1.csv", "reports", 0, 0},
        {"published_2023h1.csv", "published", 0, 0},
        {"sectors.csv", "sectors", 0, 0},
        {"admin_units_2023.csv", "admin_units", 0, 0},
        {"history.csv", "history", 1, 0},
        {"targets_2025.csv", "targets", 1, 0},
        {"../admin/hoabinh_crosswalk_2025.csv", "crosswalk_2025", 3, 1},
    };
    cs_csv_options opt;
    cs_engine *eng;
    cs_store *st;
    int i, sample = 0, rc = EXIT_OK;
    size_t k;
    char dir[PATH_MAX], path[PATH_MAX + 64];
    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(init_usage, stdout);
            return EXIT_OK;
        }
        if (take_db_option(argc, argv, &i)) continue;
        if (strcmp(argv[i], "--sample") == 0) sample = 1;
        else return usage_error("init", "unknown argument", argv[i],
                                init_usage);
    }
    if (sample && !sample_dir(dir, sizeof dir)) {
        fprintf(stderr, PROGNAME ": init: cannot find the sample data (set "
                                 "COOPSTAT_DATA to its directory)\n");
        return EXIT_ERROR;
    }
    if ((rc = open_store(&eng, &st))) return rc;
    /* All tables or none. */
    if (sample && cs_store_begin(st) != CS_OK) {
        rc = fail(eng, "init");
        goto done;
    }
    for (k = 0; sample && k < sizeof files / sizeof *files; k++) {
        cs_csv_options_init(&opt);
        opt.schema_names = text_cols + files[k].first;
        opt.schema_types = text_types + files[k].first;
        opt.nschema = files[k].ntext;
        snprintf(path, sizeof path, "%s/%s", dir, files[k].file);
        if ((rc = import_file(eng, st, path, files[k].table, CS_WRITE_REPLACE,
                              &opt, NULL)))
            break;
    }
    if (sample) {
        if (rc) cs_store_rollback(st);
        else if (cs_store_commit(st) != CS_OK) rc = fail(eng, "init");
    }
    if (!rc) fprintf(stderr, "store ready: %s\n", store_path());
done:
    close_store(eng, st);
    return rc;
}

/* ------------------------------------------------------------------ */
/* sql and tables                                                     */
/* ------------------------------------------------------------------ */
const char sql_usage[] =
    "usage: " PROGNAME " sql \"SELECT ...\" [--csv | --json] [--db PATH]\n"
    "\n"
    "Runs one SQL statement on the store.  A query prints its rows as an\n"
    "aligned table, or as CSV (--csv) or a JSON array of objects (--json);\n"
    "any other statement prints the number of rows it changed.\n";

const char tables_usage[] =
    "usage: " PROGNAME " tables [--db PATH]\n"
    "\n"
    "Lists the tables and views of the store.\n";

static void json_string(FILE *f, const char *s, size_t len)
{
    size_t i;
    fputc('"', f);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
        else if (c == '\n') fputs("\\n", f);
        else if (c == '\r') fputs("\\r", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c < 0x20) fprintf(f, "\\u%04x", c);
        else fputc(c, f);
    }
    fputc('"', f);
}

static void print_json(FILE *f, const cs_dataset *ds)
{
    size_t i, k, nc = cs_dataset_ncols(ds), nr = cs_dataset_nrows(ds);
    fputc('[', f);
    for (i = 0; i < nr; i++) {
        fputs(i ? ",\n{" : "\n{", f);
        for (k = 0; k < nc; k++) {
            const char *name = cs_dataset_colname(ds, k);
            cs_value v;
            char tmp[32];
            if (k) fputc(',', f);
            json_string(f, name, strlen(name));
            fputc(':', f);
            cs_column_get(cs_dataset_column(ds, k), i, &v);
            if (v.isnull) {
                fputs("null", f);
                continue;
            }
            switch (v.type) {
            case CS_TYPE_I64: fprintf(f, "%lld", (long long)v.u.i); break;
            case CS_TYPE_F64:
                /* JSON has no NaN or infinity. */
                if (v.u.f != v.u.f || v.u.f - v.u.f != 0) fputs("null", f);
                else fprintf(f, "%.17g", v.u.f);
                break;
            case CS_TYPE_BOOL: fputs(v.u.b ? "true" : "false", f); break;
            case CS_TYPE_DATE:
                cs_date_format(v.u.d, tmp);
                json_string(f, tmp, strlen(tmp));
                break;
            case CS_TYPE_STR: json_string(f, v.u.s.p, v.u.s.len); break;
            }
        }
        fputc('}', f);
    }
    fputs(nr ? "\n]\n" : "]\n", f);
}

enum { OUT_TABLE, OUT_CSV, OUT_JSON };

static int print_dataset(cs_engine *eng, const cs_dataset *ds, int how)
{
    char *text = NULL;
    size_t len;
    int rc;
    if (how == OUT_JSON) {
        print_json(stdout, ds);
        return EXIT_OK;
    }
    if (how == OUT_CSV) {
        if (cs_csv_write_string(ds, NULL, &text, &len) != CS_OK)
            return fail(eng, "sql");
        fwrite(text, 1, len, stdout);
        cs_free(eng, text, len + 1);
        return EXIT_OK;
    } else {
        cs_format_options o = {(size_t)-1, 0, 0};
        rc = cs_dataset_format(ds, &o, &text);
    }
    if (rc != CS_OK) return fail(eng, "sql");
    fputs(text, stdout);
    if (how == OUT_TABLE) fputc('\n', stdout);
    cs_free_str(eng, text);
    return EXIT_OK;
}

/* Whether SQL returns rows (a SELECT, VALUES, PRAGMA or WITH). */
static int returns_rows(const char *sql)
{
    static const char *const kw[] = {"select", "values", "pragma", "with",
                                     "explain"};
    size_t k, n;
    while (*sql == ' ' || *sql == '\t' || *sql == '\n' || *sql == '\r' ||
           *sql == '(')
        sql++;
    for (k = 0; k < sizeof kw / sizeof *kw; k++) {
        n = strlen(kw[k]);
        if (strncasecmp(sql, kw[k], n) == 0) return 1;
    }
    return 0;
}

int cmd_sql(int argc, char **argv)
{
    const char *sql = NULL;
    int i, how = OUT_TABLE, rc;
    cs_engine *eng;
    cs_store *st;
    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(sql_usage, stdout);
            return EXIT_OK;
        }
        if (take_db_option(argc, argv, &i)) continue;
        if (strcmp(argv[i], "--csv") == 0) how = OUT_CSV;
        else if (strcmp(argv[i], "--json") == 0) how = OUT_JSON;
        else if (argv[i][0] == '-' && argv[i][1])
            return usage_error("sql", "unknown option", argv[i], sql_usage);
        else if (!sql) sql = argv[i];
        else return usage_error("sql", "one statement (quoted); extra",
                                argv[i], sql_usage);
    }
    if (!sql) return usage_error("sql", "missing the SQL", NULL, sql_usage);
    if ((rc = open_store(&eng, &st))) return rc;
    if (returns_rows(sql)) {
        cs_dataset *ds;
        if (cs_store_query(st, sql, NULL, 0, &ds) != CS_OK) {
            rc = fail(eng, "sql");
        } else {
            rc = print_dataset(eng, ds, how);
            cs_dataset_free(ds);
        }
    } else {
        int64_t changes = 0;
        if (cs_store_exec(st, sql, NULL, 0, &changes) != CS_OK)
            rc = fail(eng, "sql");
        else
            printf("%lld row%s changed\n", (long long)changes,
                   changes == 1 ? "" : "s");
    }
    close_store(eng, st);
    return rc;
}

int cmd_tables(int argc, char **argv)
{
    cs_engine *eng;
    cs_store *st;
    cs_dataset *ds;
    int i, rc;
    for (i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(tables_usage, stdout);
            return EXIT_OK;
        }
        if (take_db_option(argc, argv, &i)) continue;
        return usage_error("tables", "unknown argument", argv[i],
                           tables_usage);
    }
    if ((rc = open_store(&eng, &st))) return rc;
    if (cs_store_query(st,
                       "SELECT s.name AS name, s.type AS kind, t.nrows AS "
                       "rows, t.changed_at AS changed FROM sqlite_schema s "
                       "LEFT JOIN coopstat_tables t ON t.name = s.name WHERE "
                       "s.type IN ('table', 'view') AND s.name NOT LIKE "
                       "'sqlite\\_%' ESCAPE '\\' AND s.name NOT LIKE "
                       "'coopstat\\_%' ESCAPE '\\' ORDER BY s.name",
                       NULL, 0, &ds) != CS_OK) {
        rc = fail(eng, "tables");
    } else {
        rc = print_dataset(eng, ds, OUT_TABLE);
        cs_dataset_free(ds);
    }
    close_store(eng, st);
    return rc;
}
