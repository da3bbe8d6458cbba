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
	LOG_VERBOSE = 2,
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

#endif
