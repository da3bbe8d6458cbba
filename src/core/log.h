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

void log_set_level(enum log_level level);

/*
 * While on, log_error() says "warning:": for failures that do not fail
 * the command (a refresh that failed while the access token still has
 * time left is reported, and the token served).
 */
void log_errors_as_warnings(bool on);
bool log_errors_are_warnings(void);
enum log_level log_get_level(void);
bool log_verbose(void);

/*
 * While buf is set, log_error() (not as a warning) does not print: the
 * first error is kept in buf, escaped as it would have been shown, for a
 * command that lists it itself (status --all). NULL ends that.
 */
void log_capture_errors(char *buf, size_t len);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
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

#endif
