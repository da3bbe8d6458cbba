#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/log.h"
#include "core/text.h"

static enum log_level current = LOG_NORMAL;
/* The innermost report open in this thread (the listener's threads have
 * none: what they say is said). */
static _Thread_local struct report *open_report;
static bool stopped_said;

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

/*
 * The status line: one line at the bottom of a terminal, drawn again in
 * place (\r, then ESC [ K clears to the end of the line). Any message
 * clears it first, under the same lock as its own write, so that no
 * message is ever glued to it, from whichever thread; its owner draws it
 * again on its next update.
 */
#define CLEAR_LINE "\r\033[K"
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static bool status_shown;
static bool prompt_open;

void log_prompt(const char *text)
{
	pthread_mutex_lock(&out_lock);
	fputs(text, stderr);
	prompt_open = true;
	pthread_mutex_unlock(&out_lock);
}

void log_prompt_done(void)
{
	pthread_mutex_lock(&out_lock);
	prompt_open = false;
	pthread_mutex_unlock(&out_lock);
}

bool log_status_possible(void)
{
	const char *term = getenv("TERM");
	return current >= LOG_NORMAL && isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
}

void log_status(const char *text)
{
	char line[256];
	struct winsize ws;
	size_t len = strlen(text);
	/* Longer than the terminal is wide, it would wrap, and \r would go
	 * back to its last row only. */
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && len >= ws.ws_col)
		len = (size_t)ws.ws_col - 1;
	if (len >= sizeof(line) - sizeof(CLEAR_LINE))
		len = sizeof(line) - sizeof(CLEAR_LINE);
	memcpy(line, CLEAR_LINE, sizeof(CLEAR_LINE) - 1);
	memcpy(line + sizeof(CLEAR_LINE) - 1, text, len);
	len += sizeof(CLEAR_LINE) - 1;
	pthread_mutex_lock(&out_lock);
	ssize_t n = write(STDERR_FILENO, line, len);
	(void)n;
	status_shown = true;
	pthread_mutex_unlock(&out_lock);
}

/* Under out_lock. */
static void status_clear(void)
{
	if (!status_shown)
		return;
	ssize_t n = write(STDERR_FILENO, CLEAR_LINE, sizeof(CLEAR_LINE) - 1);
	(void)n;
	status_shown = false;
}

void log_status_end(void)
{
	pthread_mutex_lock(&out_lock);
	status_clear();
	pthread_mutex_unlock(&out_lock);
}

static void emit(bool error, const char *prefix, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* One line to stderr, already escaped. stderr is unbuffered: the line is
 * built first so that it leaves in one write and stays whole when several
 * processes share a terminal. */
static void say(const char *prefix, const char *shown)
{
	pthread_mutex_lock(&out_lock);
	status_clear();
	fprintf(stderr, "%s%s%s\n", prompt_open ? "\n" : "", prefix, shown);
	prompt_open = false;
	pthread_mutex_unlock(&out_lock);
}

static void hold(struct report *r, const char *shown)
{
	size_t n = strlen(shown);
	r->count++;
	if (r->len + n + 2 > sizeof(r->held))
		return; /* counted; the first ones are the ones to fix */
	memcpy(r->held + r->len, shown, n);
	r->len += n;
	r->held[r->len++] = '\n';
	r->held[r->len] = '\0';
}

/* An error, escaped: held by the open report, else said. */
static void error_line(const char *shown)
{
	if (open_report)
		hold(open_report, shown);
	else
		say("zoho-oauth: error: ", shown);
}

/*
 * Messages carry text from outside (a Host header, a query key, Zoho's
 * error text, libmicrohttpd's and libcurl's words), so every one is passed
 * through text_escape() here, where no caller can forget it: a control
 * character shows as \x1b or \u009b instead of acting on the terminal. No
 * message is meant to hold a newline or a tab (the few multi-line texts,
 * the consent URL and the paste instructions, are written by their callers
 * with fprintf and hold only our own text), so one shows as \n or \t and
 * every message stays one line. Each is cut at LOG_LINE_MAX.
 */
#define LOG_LINE_MAX 8192

static void emit(bool error, const char *prefix, const char *fmt, va_list ap)
{
	int saved = errno;
	char small[512], shown_small[1024];
	char *line = small, *shown = shown_small;
	size_t shown_len = sizeof(shown_small);
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
	size_t len = strlen(line);
	if (TEXT_ESCAPE_MAX(len) > sizeof(shown_small)) {
		size_t want = TEXT_ESCAPE_MAX(len) < LOG_LINE_MAX ? TEXT_ESCAPE_MAX(len) : LOG_LINE_MAX;
		char *big = malloc(want);
		if (big) {
			shown = big;
			shown_len = want;
		}
	}
	text_escape(shown, shown_len, line, len);
	if (error)
		error_line(shown);
	else
		say(prefix, shown);
	if (shown != shown_small)
		free(shown);
	if (line != small)
		free(line);
	errno = saved;
}

void report_open(struct report *r)
{
	r->outer = open_report;
	r->held[0] = '\0';
	r->len = 0;
	r->count = 0;
	open_report = r;
}

bool report_failed(const struct report *r)
{
	return r->count > 0;
}

static void report_close(struct report *r)
{
	/* Reports close in the reverse order of their opening. */
	if (open_report == r)
		open_report = r->outer;
}

void report_fail(struct report *r, const char *hint)
{
	char last[REPORT_HELD_MAX + 512];
	report_close(r);
	for (char *p = r->held; *p;) {
		char *nl = strchr(p, '\n');
		*nl = '\0';
		if (!nl[1] && hint) {
			size_t n = (size_t)snprintf(last, sizeof(last), "%s; ", p);
			if (n < sizeof(last))
				text_escape(last + n, sizeof(last) - n, hint, strlen(hint));
			error_line(last);
		} else {
			error_line(p);
		}
		p = nl + 1;
	}
	r->len = 0;
	r->held[0] = '\0';
}

void report_copy(const struct report *r, char *out, size_t out_len)
{
	size_t o = 0;
	if (out_len == 0)
		return;
	out[0] = '\0';
	for (const char *p = r->held; *p && o + 1 < out_len;) {
		size_t n = strcspn(p, "\n");
		int w = snprintf(out + o, out_len - o, "%s%.*s", o ? "; " : "", (int)n, p);
		if (w < 0 || (size_t)w >= out_len - o)
			break;
		o += (size_t)w;
		p += n + (p[n] == '\n');
	}
}

void report_take(struct report *r, char *out, size_t out_len)
{
	report_close(r);
	report_copy(r, out, out_len);
}

void report_drop(struct report *r)
{
	report_close(r);
}

void log_stopped(int status, const char *fmt, ...)
{
	char what[512], prefix[64];
	int sig = status - 128;
	va_list ap;
	if (stopped_said || current < LOG_QUIET)
		return;
	stopped_said = true;
	if (sig == 2)
		snprintf(prefix, sizeof(prefix), "zoho-oauth: stopped (Ctrl-C): ");
	else if (sig == 15)
		snprintf(prefix, sizeof(prefix), "zoho-oauth: stopped (SIGTERM): ");
	else if (sig == 1)
		snprintf(prefix, sizeof(prefix), "zoho-oauth: stopped (SIGHUP): ");
	else
		snprintf(prefix, sizeof(prefix), "zoho-oauth: stopped (signal %d): ", sig);
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char shown[TEXT_ESCAPE_MAX(sizeof(what))];
	text_escape(shown, sizeof(shown), what, strlen(what));
	say(prefix, shown);
}

bool log_stopped_said(void)
{
	return stopped_said;
}

void log_error(const char *fmt, ...)
{
	if (current < LOG_QUIET)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(true, "zoho-oauth: error: ", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	if (current < LOG_QUIET)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(false, "zoho-oauth: warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	if (current < LOG_NORMAL)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(false, "zoho-oauth: ", fmt, ap);
	va_end(ap);
}

void log_trace(const char *fmt, ...)
{
	if (current < LOG_TRACE)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(false, "zoho-oauth: debug: ", fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	if (current < LOG_VERBOSE)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(false, "zoho-oauth: debug: ", fmt, ap);
	va_end(ap);
}
