#ifndef ZOHO_OAUTH_LOG_H
#define ZOHO_OAUTH_LOG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Every message goes to stderr, prefixed with the program name; stdout
 * carries only what a command was asked to print. Messages are lower case,
 * name what failed and, where the user can act, what to do.
 */
enum log_level {
	LOG_SILENT = -1, /* nothing at all (fuzz targets) */
	LOG_QUIET = 0, /* errors and warnings only */
	LOG_NORMAL = 1,
	LOG_VERBOSE = 2, /* -v: our own debug messages */
	LOG_TRACE = 3,   /* -vv: the libraries' own messages too (libmicrohttpd) */
};

/* The run's level, set once from -q and -v (main.c, front.c). Nobody
 * changes it to mute a callee: a report (below) holds what must not be
 * said yet. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
bool log_verbose(void);

/*
 * A report: the errors said inside a piece of work whose caller decides
 * how they are said. A caller that knows an error may not be the end (a
 * refresh that fails while the access token still has time left, one
 * profile of status --all, a quiet look at a file) opens a report around
 * the work; every log_error() said inside it, however deep, is held
 * there, escaped as it would have been shown, instead of printed. The
 * caller closes it once, saying what it held as the command's error
 * (report_fail), handing it back as text for a message of its own
 * (report_take), or dropping it (report_drop). Warnings and the rest are
 * said at once, as always.
 *
 * Reports nest, per thread: opening one keeps the one it replaces, and
 * closing gives it back, so a held error said by report_fail() goes to
 * the report around it, if any. Every report opened is closed in the same
 * function, in reverse order.
 */
#define REPORT_HELD_MAX 4096

struct report {
	struct report *outer;
	char held[REPORT_HELD_MAX]; /* the errors held, escaped, one a line */
	size_t len;
	int count;                  /* how many were said (some may not fit) */
};

void report_open(struct report *r);
/* Whether r holds an error. */
bool report_failed(const struct report *r);
/* Close r and say each error it held as an error; hint (our own words,
 * may be NULL) ends the last one ("...: run 'zoho-oauth login'"). */
void report_fail(struct report *r, const char *hint);
/* Close r and copy what it held to out, the errors joined by "; " ("" for
 * none), for the caller to say in a message of its own. */
void report_take(struct report *r, char *out, size_t out_len);
/* The same copy, r left open: for a caller that says the errors
 * (report_fail) and also shows them elsewhere (status --json). */
void report_copy(const struct report *r, char *out, size_t out_len);
/* Close r, saying nothing of what it held. */
void report_drop(struct report *r);

/*
 * The line a command says when a signal stopped it: "stopped (Ctrl-C):
 * what" (SIGTERM and SIGHUP by name), once, at info level even with
 * --quiet. log_stopped_said() tells main.c whether the command said it,
 * or whether its own "nothing was changed" is the truth to say.
 */
void log_stopped(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool log_stopped_said(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A paragraph of our own words with no prefix (the paste instructions),
 * said even with --quiet, escaped and wrapped as every message is. */
void log_paragraph(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shown with -vv only: what a library says (libmicrohttpd's messages). */
void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * A status line (login's countdown): one line on a terminal, redrawn in
 * place. Only where log_status_possible(): stderr is a terminal (TERM is
 * not dumb) and not --quiet; never on a pipe. text is our own, one line,
 * no control characters; it is cut to the terminal's width. Every message
 * clears the line before it is written (from any thread), and the owner
 * draws it again on its next update; log_status_end() clears it for good,
 * leaving the cursor at the start of an empty line.
 */
bool log_status_possible(void);
/*
 * A prompt: text with no newline, the cursor left after it. The next
 * message starts on a line of its own (on a pipe nobody's typing ends the
 * line); log_prompt_done() says the line was ended (a terminal echoed the
 * Enter that answered it).
 */
void log_prompt(const char *text);
void log_prompt_done(void);
void log_status(const char *text);
void log_status_end(void);

/*
 * On a terminal (stderr, TERM not dumb) every message is wrapped at
 * log_wrap_width() columns: 80, or the terminal's width when narrower; 0
 * (no wrapping) on a pipe or in a file. log_wrap() wraps text at width
 * (0: not at all) into out, at spaces, the lines after the first indented
 * by two; a word wider than a line, or a span in single quotes (a
 * command to run), is never broken. It returns the length the
 * whole of it needs, as snprintf does; out is always terminated.
 */
size_t log_wrap_width(void);
size_t log_wrap(const char *text, size_t width, char *out, size_t out_len);

#endif
