/*
** repl.h: coopstat repl, the interactive Lua session (repl.c), which is
** also what coopstat runs with no command.
*/
#ifndef COOPSTAT_REPL_H
#define COOPSTAT_REPL_H

extern const char repl_usage[];
int cmd_repl(int argc, char **argv);

#endif
