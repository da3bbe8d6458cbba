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

/*
 * Wrapping: on a terminal a message is wrapped at 80 columns (or the
 * terminal's width, when narrower), at spaces, the lines after the first
 * indented by two; a word wider than that (a URL, a path) or a quoted
 * command ('zoho-oauth login -p work') is never broken, so that it can
 * still be copied. On a pipe or in a file
 * every message is one line, for grep and for scripts.
 */
#define WRAP_COLUMNS 80
#define WRAP_INDENT "  "

size_t log_wrap_width(void)
{
	static int tty = -1;
	if (tty < 0) {
		const char *term = getenv("TERM");
		tty = isatty(STDERR_FILENO) && !(term && strcmp(term, "dumb") == 0);
	}
	if (!tty)
		return 0;
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20 && ws.ws_col < WRAP_COLUMNS)
		return ws.ws_col;
	return WRAP_COLUMNS;
}

/* Columns taken by text[0..len): UTF-8 continuation bytes take none. */
static size_t columns(const char *text, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)text[i] & 0xC0) != 0x80;
	return n;
}

/* Whether q, in text, opens or closes a quoted command or name ('zoho-oauth
 * login -p work'): a quote after a space, a bracket or the start opens one,
 * the next quote closes it. A quoted span is never broken, so that what it
 * names can be copied whole; an apostrophe (README's) opens nothing. */
static bool quote_toggles(const char *text, const char *q, bool quoted)
{
	if (*q != '\'')
		return quoted;
	if (quoted)
		return false;
	return q == text || q[-1] == ' ' || q[-1] == '(';
}

size_t log_wrap(const char *text, size_t width, char *out, size_t out_len)
{
	size_t o = 0, len = strlen(text);
	const char *s = text, *end = text + len;
	bool first = true;
#define PUT(p, n) do { \
		size_t n_ = (n), fit_ = o < out_len ? out_len - o : 0; \
		if (fit_) \
			memcpy(out + o, (p), n_ < fit_ ? n_ : fit_); \
		o += n_; \
	} while (0)
	while (s < end) {
		size_t room = first ? width : width - (sizeof(WRAP_INDENT) - 1);
		if (!first)
			PUT(WRAP_INDENT, sizeof(WRAP_INDENT) - 1);
		const char *cut = NULL;
		if (width == 0 || columns(s, (size_t)(end - s)) <= room) {
			cut = end;
		} else {
			/* The last space that keeps the line within room, past any
			 * spaces the line starts with (they are the message's own). */
			const char *word = s;
			while (word < end && *word == ' ')
				word++;
			size_t used = columns(s, (size_t)(word - s));
			bool quoted = false;
			const char *q = word;
			for (; q < end && used <= room; q++) {
				quoted = quote_toggles(text, q, quoted);
				if (*q == ' ' && !quoted)
					cut = q;
				used += ((unsigned char)*q & 0xC0) != 0x80;
			}
			/* One wide word: whole, on its own line. */
			for (; !cut && q < end; q++) {
				quoted = quote_toggles(text, q, quoted);
				if (*q == ' ' && !quoted)
					cut = q;
			}
			if (!cut)
				cut = end;
		}
		const char *stop = cut;
		while (stop > s && stop[-1] == ' ' && cut != end)
			stop--;
		PUT(s, (size_t)(stop - s));
		s = cut;
		while (s < end && *s == ' ')
			s++;
		if (s < end)
			PUT("\n", 1);
		first = false;
	}
#undef PUT
	if (out_len)
		out[o < out_len ? o : out_len - 1] = '\0';
	return o;
}

/* One message to stderr, already escaped, wrapped on a terminal. stderr is
 * unbuffered: the text is built first so that it leaves in one write and
 * stays whole when several processes share a terminal. */
static void say(const char *prefix, const char *shown)
{
	size_t width = log_wrap_width();
	char small[1024], *line = small, *wrapped = NULL;
	size_t need = strlen(prefix) + strlen(shown) + 1;
	if (need > sizeof(small) && (line = malloc(need)) == NULL)
		line = small;
	snprintf(line, line == small ? sizeof(small) : need, "%s%s", prefix, shown);
	if (width) {
		/* At most an indent and a newline for every space, and one. */
		size_t spaces = 1;
		for (const char *q = line; *q; q++)
			spaces += *q == ' ';
		size_t room = strlen(line) + spaces * (sizeof(WRAP_INDENT)) + 1;
		wrapped = malloc(room);
		if (wrapped)
			log_wrap(line, width, wrapped, room);
	}
	pthread_mutex_lock(&out_lock);
	status_clear();
	fprintf(stderr, "%s%s\n", prompt_open ? "\n" : "", wrapped ? wrapped : line);
	prompt_open = false;
	pthread_mutex_unlock(&out_lock);
	free(wrapped);
	if (line != small)
		free(line);
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
 * message is meant to hold a newline or a tab (the consent URL and the
 * device code, set apart on lines of their own, are written by their
 * callers with fprintf and hold only our own text), so one shows as \n or
 * \t and every message is one line, but for the wrapping of say(). Each is
 * cut at LOG_LINE_MAX.
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
	const char *name = sig == 2 ? "Ctrl-C" : sig == 15 ? "SIGTERM" : sig == 1 ? "SIGHUP" : NULL;
	if (name)
		snprintf(prefix, sizeof(prefix), "zoho-oauth: stopped (%s): ", name);
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

void log_paragraph(const char *fmt, ...)
{
	if (current < LOG_QUIET)
		return;
	va_list ap;
	va_start(ap, fmt);
	emit(false, "", fmt, ap);
	va_end(ap);
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
