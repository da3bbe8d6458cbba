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

#endif
