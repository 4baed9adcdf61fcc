/*
** storecmd.h: the store commands of the coopstat program (storecmd.c),
** and what every command shares (the name, exit statuses, --help).
*/
#ifndef STORECMD_H
#define STORECMD_H

#include <string.h>

/* Shared by the commands (main.c, storecmd.c). */
#define PROGNAME "coopstat"
enum { EXIT_OK = 0, EXIT_ERROR = 1, EXIT_USAGE = 2 };

static inline int is_help(const char *s)
{
    return strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0;
}

/* The store the commands open: --db, else $COOPSTAT_DB, else
** ./coopstat.db. */
extern const char *g_db_path;
const char *store_path(void);
/* Takes "--db PATH" or "--db=PATH" at ARGV[*I] (advancing *I past the
** path); 1 when it was one.  Exits with status 2 when PATH is missing. */
int take_db_option(int argc, char **argv, int *i);

extern const char import_usage[], init_usage[], sql_usage[], tables_usage[];
int cmd_init(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_sql(int argc, char **argv);
int cmd_tables(int argc, char **argv);

#endif
