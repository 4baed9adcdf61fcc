/*
** jobs.h: scheduled jobs (coopstat jobs ...) and sandboxed runs
** (coopstat run --sandbox), in jobs.c.
*/
#ifndef JOBS_H
#define JOBS_H

#include <stdint.h>

extern const char jobs_usage[];
int cmd_jobs(int argc, char **argv);

/* Runs SCRIPT with NARGS ARGS in the sandbox, with the time limit TIMEOUT
** seconds and MEMORY bytes (0: none), reading files only under the
** NALLOW folders ALLOW (none given: ./data and the installed sample
** data).  Returns the exit status. */
int run_sandboxed(const char *script, int nargs, char **args, int64_t timeout, int64_t memory,
                  char **allow, int nallow);

#endif
