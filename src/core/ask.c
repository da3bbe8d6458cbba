#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "core/ask.h"
#include "core/signals.h"
#include "core/util.h"

bool ask_possible(void)
{
	return isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
}

/* One line from stdin, a byte at a time (nothing after it is taken from
 * whoever reads stdin next). 1: a line; 0: end of input or too long (the
 * rest of the line is read and dropped); -1: a signal. */
static int read_line(char *out, size_t out_len)
{
	size_t n = 0;
	bool too_long = false;
	for (;;) {
		char c;
		ssize_t r = read(STDIN_FILENO, &c, 1);
		if (signals_caught())
			return -1;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			out[0] = '\0';
			return 0;
		}
		if (c == '\n')
			break;
		if (n + 1 < out_len)
			out[n++] = c;
		else
			too_long = true;
	}
	out[n] = '\0';
	if (too_long)
		return 0;
	/* Blanks (and a terminal's \r) around the answer don't count. */
	size_t start = strspn(out, " \t\r");
	while (n > start && (out[n - 1] == ' ' || out[n - 1] == '\t' || out[n - 1] == '\r'))
		out[--n] = '\0';
	memmove(out, out + start, n - start + 1);
	return 1;
}

int ask_yes_no(const char *question)
{
	char answer[16];
	for (int tries = 0; tries < 3; tries++) {
		fprintf(stderr, "%s [Y/n] ", question);
		fflush(stderr);
		int r = read_line(answer, sizeof(answer));
		if (r < 0) {
			fputc('\n', stderr);
			return -1;
		}
		if (r == 0) {
			fputc('\n', stderr);
			return 0;
		}
		if (!answer[0] || ascii_casecmp_eq(answer, "y") || ascii_casecmp_eq(answer, "yes"))
			return 1;
		if (ascii_casecmp_eq(answer, "n") || ascii_casecmp_eq(answer, "no"))
			return 0;
		fputs("please answer y or n\n", stderr);
	}
	return 0;
}

int ask_line(const char *prompt, char *out, size_t out_len)
{
	fprintf(stderr, "%s ", prompt);
	fflush(stderr);
	int r = read_line(out, out_len);
	if (r <= 0)
		fputc('\n', stderr);
	return r;
}

enum ask_hidden_result ask_hidden(const char *prompt, char *out, size_t out_len)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO);
	enum ask_hidden_result result = ASK_HIDDEN_LINE;
	size_t len = 0;
	bool any = false;

	if (tty) {
		if (tcgetattr(STDIN_FILENO, &old) != 0)
			return ASK_HIDDEN_FAILED;
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		fputs(prompt, stderr);
		fflush(stderr);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	for (;;) {
		char c;
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (signals_caught()) {
			result = ASK_HIDDEN_SIGNAL;
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			result = ASK_HIDDEN_FAILED;
			break;
		}
		if (n == 0) {
			if (!any)
				result = ASK_HIDDEN_END;
			break;
		}
		any = true;
		if (c == '\n')
			break;
		if (len + 1 >= out_len) {
			result = ASK_HIDDEN_TOO_LONG;
			break;
		}
		out[len++] = c;
		c = 0;
	}
	if (tty) {
		int saved = errno;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		errno = saved;
		if (result == ASK_HIDDEN_SIGNAL)
			fputc('\n', stderr);
	}
	out[len < out_len ? len : out_len - 1] = '\0';
	if (result != ASK_HIDDEN_LINE)
		explicit_bzero(out, out_len);
	return result;
}
