/*
** lineedit.c: the line editor over GNU readline's callback interface.
** The editor waits for keys in pselect() with SIGINT, SIGWINCH, SIGTSTP
** and SIGCONT open only there, so a signal never lands inside readline:
** it wakes the wait and is handled here (readline's own signal handling
** is off): Ctrl-C drops the line, Ctrl-Z gives the terminal back.
** The history file is only ever appended to, one write per entry under
** flock(); trimming writes a new file and renames it under the same lock.
*/
#define _DEFAULT_SOURCE /* flock(), the BSD half of <sys/file.h> */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "lineedit.h"

static volatile sig_atomic_t got_int, got_winch, got_tstp, got_cont;

/* The line handler's result, for le_read(). */
static char *got_line;
static int got_done;

/* Completion: what the callback found for the current Tab. */
static le_complete_fn complete_cb;
static void *complete_ud;
static le_completion comp;
static int comp_ok, comp_fresh;
static size_t comp_next;
static char comp_breaks[2];

static char *hist_path;
static size_t hist_max, hist_entries;

void le_signal(int sig)
{
    if (sig == SIGINT) got_int = 1;
    if (sig == SIGWINCH) got_winch = 1;
}

/* Ctrl-Z and fg while editing: the terminal must be given back as the
** shell left it, and set up again (and the line redrawn) on return. */
static void on_job_signal(int sig)
{
    if (sig == SIGTSTP) got_tstp = 1;
    if (sig == SIGCONT) got_cont = 1;
}

static void set_handler(int sig, void (*fn)(int), struct sigaction *old)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, old);
}

static void suspend(void)
{
    sigset_t tstp;
    struct sigaction old;
    rl_cleanup_after_signal();
    set_handler(SIGTSTP, SIG_DFL, &old);
    sigemptyset(&tstp);
    sigaddset(&tstp, SIGTSTP);
    sigprocmask(SIG_UNBLOCK, &tstp, NULL);
    raise(SIGTSTP); /* stops here until fg */
    sigprocmask(SIG_BLOCK, &tstp, NULL);
    sigaction(SIGTSTP, &old, NULL);
    got_cont = 1;
}

/* ------------------------------------------------------------------ */
/* Completion                                                         */
/* ------------------------------------------------------------------ */

static void free_completion(void)
{
    size_t i;
    if (comp.words) {
        for (i = 0; comp.words[i]; i++)
            free(comp.words[i]);
        free(comp.words);
    }
    memset(&comp, 0, sizeof comp);
    comp_ok = 0;
}

/* Readline asks where the word before the cursor starts by the set of
** characters that end words.  The callback knows where it starts; the
** character before it, alone, makes readline find the same place (it is
** checked again in attempted()). */
static char *word_breaks(void)
{
    size_t point = (size_t)rl_point;
    free_completion();
    comp_fresh = 1;
    if (complete_cb && complete_cb(complete_ud, rl_line_buffer, point, &comp)) {
        comp_ok = 1;
        if (comp.start > point) comp.start = point;
    }
    comp_breaks[0] =
        comp_ok && comp.start > 0 ? rl_line_buffer[comp.start - 1] : '\0';
    comp_breaks[1] = '\0';
    return comp_breaks;
}

static char *next_word(const char *text, int state)
{
    size_t len = strlen(text);
    if (state == 0) comp_next = 0;
    while (comp.words && comp.words[comp_next]) {
        const char *w = comp.words[comp_next++];
        if (strncmp(w, text, len) == 0) return strdup(w);
    }
    return NULL;
}

static char **attempted(const char *text, int start, int end)
{
    (void)end;
    rl_attempted_completion_over = 1; /* never readline's own */
    /* On an empty line readline does not look for the word's start. */
    if (!comp_fresh) word_breaks();
    comp_fresh = 0;
    if (!comp_ok || comp.start != (size_t)start) return NULL;
    rl_completion_append_character = (unsigned char)comp.append;
    rl_completion_suppress_append = comp.append == '\0';
    if (comp.files) {
        rl_filename_completion_desired = 1;
        return rl_completion_matches(text, rl_filename_completion_function);
    }
    return rl_completion_matches(text, next_word);
}

/* ------------------------------------------------------------------ */
/* Reading a line                                                     */
/* ------------------------------------------------------------------ */

static void on_line(char *line)
{
    got_line = line;
    got_done = 1;
    /* Leaves the terminal as readline found it while the line runs. */
    rl_callback_handler_remove();
}

/* Ctrl-C while editing: ends a search or a key sequence under way,
** shows ^C after the text and drops the line. */
static void drop_line(void)
{
    rl_callback_sigcleanup();
    rl_free_line_state();
    rl_point = rl_end;
    rl_redisplay();
    fputs("^C\n", rl_outstream);
    fflush(rl_outstream);
    rl_replace_line("", 1);
    rl_callback_handler_remove();
}

int le_read(const char *prompt, char **line)
{
    sigset_t block, saved, open_mask;
    struct sigaction old_tstp, old_cont;
    int fd = fileno(rl_instream), rc = LE_LINE;

    *line = NULL;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGWINCH);
    sigaddset(&block, SIGTSTP);
    sigaddset(&block, SIGCONT);
    sigprocmask(SIG_BLOCK, &block, &saved);
    open_mask = saved;
    sigdelset(&open_mask, SIGINT);
    sigdelset(&open_mask, SIGWINCH);
    sigdelset(&open_mask, SIGTSTP);
    sigdelset(&open_mask, SIGCONT);
    set_handler(SIGTSTP, on_job_signal, &old_tstp);
    set_handler(SIGCONT, on_job_signal, &old_cont);
    got_done = 0;
    got_line = NULL;
    got_tstp = got_cont = 0;
    rl_callback_handler_install(prompt, on_line);
    while (!got_done) {
        fd_set fds;
        if (got_tstp) {
            got_tstp = 0;
            suspend();
        }
        if (got_cont) { /* back from a stop: set up and redraw */
            got_cont = 0;
            rl_deprep_terminal();
            rl_reset_after_signal();
            rl_on_new_line();
            rl_redisplay();
        }
        if (got_winch) {
            got_winch = 0;
            rl_resize_terminal();
        }
        if (got_int) {
            got_int = 0;
            drop_line();
            rc = LE_INTERRUPT;
            break;
        }
        FD_ZERO(&fds);
        FD_SET(fd, &fds);
        if (pselect(fd + 1, &fds, NULL, NULL, NULL, &open_mask) < 0) {
            if (errno == EINTR) continue;
            rl_callback_handler_remove();
            got_done = 1; /* the terminal is gone: as Ctrl-D */
            break;
        }
        rl_callback_read_char();
    }
    sigaction(SIGTSTP, &old_tstp, NULL);
    sigaction(SIGCONT, &old_cont, NULL);
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (rc == LE_INTERRUPT) return rc;
    if (got_line == NULL) return LE_EOF;
    *line = got_line;
    return LE_LINE;
}

void le_open(const char *name, le_complete_fn complete, void *ud)
{
    rl_readline_name = name;
    rl_instream = stdin;
    rl_outstream = isatty(STDOUT_FILENO) ? stdout : stderr;
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    complete_cb = complete;
    complete_ud = ud;
    rl_attempted_completion_function = attempted;
    rl_completion_word_break_hook = word_breaks;
    /* Candidates listed at the first Tab, as data shells do (an
    ** ~/.inputrc may say otherwise). */
    rl_variable_bind("show-all-if-ambiguous", "on");
}

void le_close(void)
{
    free_completion();
    clear_history();
    free(hist_path);
    hist_path = NULL;
}

/* ------------------------------------------------------------------ */
/* History                                                            */
/* ------------------------------------------------------------------ */

/* Whether FD is still the file at hist_path (a trim replaces it). */
static int still_the_file(int fd)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(hist_path, &b) == 0 &&
           a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Keeps the last hist_max entries of the file: a new file renamed over
** it, all under the lock that appenders take. */
static void trim_file(void)
{
    struct stat st;
    char *buf = NULL, *tmp = NULL;
    size_t n = 0, keep, off;
    int fd, out = -1;

    fd = open(hist_path, O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    if (flock(fd, LOCK_EX) != 0 || !still_the_file(fd) || fstat(fd, &st) != 0)
        goto done;
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) goto done;
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    /* From the end, back over hist_max line ends (the last one ends the
    ** file). */
    off = n;
    for (keep = 0; off > 0; off--) {
        if (buf[off - 1] == '\n' && off != n && ++keep == hist_max) break;
    }
    hist_entries = off == 0 ? keep + 1 : keep;
    if (off == 0) goto done; /* nothing to drop */
    tmp = malloc(strlen(hist_path) + 8);
    if (tmp == NULL) goto done;
    sprintf(tmp, "%s.XXXXXX", hist_path);
    out = mkstemp(tmp);
    if (out < 0) goto done;
    if (fchmod(out, st.st_mode & 0777) != 0 ||
        write_all(out, buf + off, n - off) != 0 || fsync(out) != 0 ||
        close(out) != 0) {
        out = -1;
        unlink(tmp);
        goto done;
    }
    out = -1;
    if (rename(tmp, hist_path) != 0) unlink(tmp);
done:
    if (out >= 0) close(out);
    free(tmp);
    free(buf);
    close(fd); /* releases the lock */
}

static void unescape(char *s)
{
    char *w = s;
    for (; *s; s++) {
        if (*s == '\\' && s[1] == 'n') {
            *w++ = '\n';
            s++;
        } else if (*s == '\\' && s[1] == '\\') {
            *w++ = '\\';
            s++;
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
}

void le_history_open(const char *path, size_t max)
{
    FILE *f;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;

    hist_max = max > 0 ? max : 1;
    stifle_history((int)hist_max);
    using_history();
    if (path == NULL || *path == '\0') return;
    hist_path = strdup(path);
    if (hist_path == NULL) return;
    f = fopen(path, "r");
    if (f == NULL) return;
    hist_entries = 0;
    while ((n = getline(&buf, &cap, f)) > 0) {
        if (buf[n - 1] == '\n') buf[--n] = '\0';
        hist_entries++;
        if (n == 0) continue;
        unescape(buf);
        add_history(buf);
    }
    free(buf);
    fclose(f);
    if (hist_entries > hist_max + hist_max / 4) trim_file();
}

/* Appends ENTRY to the file as one line, in one write. */
static void append_entry(const char *entry)
{
    size_t len = 0, i;
    char *line;
    int tries;

    for (i = 0; entry[i]; i++)
        len += entry[i] == '\n' || entry[i] == '\\' ? 2 : 1;
    line = malloc(len + 2);
    if (line == NULL) return;
    len = 0;
    for (i = 0; entry[i]; i++) {
        if (entry[i] == '\n' || entry[i] == '\\') {
            line[len++] = '\\';
            line[len++] = entry[i] == '\n' ? 'n' : '\\';
        } else {
            line[len++] = entry[i];
        }
    }
    line[len++] = '\n';
    /* A trim may rename a new file over the one opened: try again. */
    for (tries = 0; tries < 3; tries++) {
        int fd =
            open(hist_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) break;
        if (flock(fd, LOCK_EX) == 0 && still_the_file(fd)) {
            if (write_all(fd, line, len) == 0) hist_entries++;
            close(fd);
            break;
        }
        close(fd);
    }
    free(line);
    if (hist_entries > hist_max + hist_max / 4) trim_file();
}

void le_history_add(const char *entry)
{
    HIST_ENTRY *last;
    const char *p;
    for (p = entry; *p == ' ' || *p == '\t' || *p == '\n'; p++) {
    }
    if (*p == '\0') return;
    last = history_length > 0 ? history_get(history_base + history_length - 1)
                              : NULL;
    if (last && strcmp(last->line, entry) == 0) return;
    add_history(entry);
    using_history();
    if (hist_path) append_entry(entry);
}
