#ifndef ZOHO_OAUTH_ASK_H
#define ZOHO_OAUTH_ASK_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Questions on the terminal. Only asked when both stdin and stderr are
 * terminals: on a pipe nobody answers, and callers warn instead.
 */
bool ask_possible(void);

/*
 * Print question (already safe to print) and " [Y/n] " on stderr and
 * read one line from stdin: empty or y/yes gives 1, n/no 0; anything else
 * asks again (three times at most, then 0). End of input gives 0. A signal
 * gives -1 (signals_caught() says which).
 */
int ask_yes_no(const char *question);

/*
 * Print prompt on stderr and read one line (at most out_len - 1 bytes;
 * blanks around it dropped) into out. Returns 1 with a line (perhaps
 * empty), 0 at the end of input or for a longer line, -1 on a signal.
 */
int ask_line(const char *prompt, char *out, size_t out_len);

/*
 * What must not show on the screen (a client secret, a one-time code):
 * print prompt (on a terminal only) and read one line from stdin, without
 * echo when stdin is a terminal (the Enter still ends the line on
 * screen). At most out_len - 1 bytes, wiped from our buffers after use.
 */
enum ask_hidden_result {
	ASK_HIDDEN_LINE,        /* out holds the line (perhaps empty) */
	ASK_HIDDEN_END,         /* the end of input before a line */
	ASK_HIDDEN_TOO_LONG,    /* more than out_len - 1 bytes (the rest not read) */
	ASK_HIDDEN_SIGNAL,      /* a signal (signals_caught() says which) */
	ASK_HIDDEN_FAILED,      /* the terminal or the read failed: errno */
};
enum ask_hidden_result ask_hidden(const char *prompt, char *out, size_t out_len);

#endif
