/*
** storecmd.h: the store commands of the coopstat program (storecmd.c).
*/
#ifndef STORECMD_H
#define STORECMD_H

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
