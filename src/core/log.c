#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"

static enum log_level current = LOG_NORMAL;
static bool demoted;

void log_errors_as_warnings(bool on)
{
	demoted = on;
}

bool log_errors_are_warnings(void)
{
	return demoted;
}

void log_set_level(enum log_level level)
{
	current = level;
}

enum log_level log_get_level(void)
{
	return current;
}

bool log_verbose(void)
{
	return current >= LOG_VERBOSE;
}

static void emit(const char *prefix, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void emit(const char *prefix, const char *fmt, va_list ap)
{
	int saved = errno;
	/* stderr is unbuffered: build the line first so that it leaves in one
	 * write and stays whole when several processes share a terminal. */
	char small[512];
	char *line = small;
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		line = malloc((size_t)n + 1);
		if (line)
			vsnprintf(line, (size_t)n + 1, fmt, copy);
		else
			line = small; /* truncated, but still said */
	}
	va_end(copy);
	if (n < 0)
		small[0] = '\0';
	fprintf(stderr, "%s%s\n", prefix, line);
	if (line != small)
		free(line);
	errno = saved;
}

void log_error(const char *fmt, ...)
{
	if (current < LOG_QUIET)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(demoted ? "zoho-oauth: warning: " : "zoho-oauth: error: ", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	if (current < LOG_QUIET)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit("zoho-oauth: warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	if (current < LOG_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit("zoho-oauth: ", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (current < LOG_VERBOSE)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit("zoho-oauth: debug: ", fmt, ap);
	va_end(ap);
}
