/*
** lineedit.h: the REPL's line editor, a small adapter over GNU readline
** (its callback interface), so that nothing else in the program names
** readline: reading a line with a prompt while Ctrl-C and window changes
** stay the program's, a history file that several REPLs share, and Tab
** completion through a callback.  One editor per process.
*/
#ifndef COOPSTAT_LINEEDIT_H
#define COOPSTAT_LINEEDIT_H

#include <stddef.h>

/* What the completion callback finds for the text before the cursor. */
typedef struct le_completion {
    size_t start; /* byte offset where the word being completed starts */
    int files;    /* 1: complete the word as a file name instead */
    char append;  /* appended after a unique candidate ('\0': nothing) */
    char **words; /* the candidates, NULL-terminated; malloc'ed, as is
                  ** each word: the editor frees them */
} le_completion;

/* Fills OUT for LINE[0..POINT), the text before the cursor; returns 0
** when there is nothing to complete (OUT is then ignored). */
typedef int (*le_complete_fn)(void *ud, const char *line, size_t point,
                              le_completion *out);

enum { LE_LINE, LE_EOF, LE_INTERRUPT };

/* Sets the editor up on the terminal (standard input; prompts go to
** standard output, or standard error when that is not a terminal).
** NAME is the program's name for ~/.inputrc conditionals.  COMPLETE
** (may be NULL) is called on Tab with UD. */
void le_open(const char *name, le_complete_fn complete, void *ud);
/* Frees what the editor holds (the history in memory). */
void le_close(void);

/* Reads a line after PROMPT.  LE_LINE: *LINE is the line, without its
** newline, to free(); LE_EOF: Ctrl-D on an empty line; LE_INTERRUPT:
** Ctrl-C, the line being typed was dropped.  SIGINT and SIGWINCH are
** blocked while it edits and received only while it waits for a key, so
** their handlers must call le_signal(); Ctrl-Z (SIGTSTP, SIGCONT) it
** handles itself.  PROMPT may hold terminal escapes between \001 and
** \002. */
int le_read(const char *prompt, char **line);

/* For the program's signal handlers (async-signal-safe): SIGINT drops
** the line being typed, SIGWINCH makes the editor read the new size. */
void le_signal(int sig);

/* Loads the history kept in PATH (NULL or "": none is kept), one entry a
** line, a newline inside an entry written as \n and a backslash as \\.
** At most MAX entries are kept; a file grown past that is trimmed. */
void le_history_open(const char *path, size_t max);
/* Adds ENTRY (which may span lines) to the history in memory and appends
** it to the file at once, under a lock, so that two REPLs open at the
** same time both keep theirs.  An empty entry or a repeat of the last
** one is not added. */
void le_history_add(const char *entry);

#endif
