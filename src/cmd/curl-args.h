#ifndef ZOHO_OAUTH_CURL_ARGS_H
#define ZOHO_OAUTH_CURL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * What zoho-oauth curl must know about the curl options a user gave after
 * the URL: whether they name another URL (which would get the token too),
 * read something from stdin (so the request must not be repeated), or
 * send the output somewhere we would not see it.
 *
 * curl's options are matched by their full names (curl also takes unique
 * abbreviations). What is not known is taken for an option without a
 * value, so that whatever follows it is looked at as a URL and refused:
 * the way to be wrong here without sending the token somewhere unchecked.
 */
struct curl_scan {
	bool reads_stdin;     /* a body, header, cookie or form part from stdin */
	bool output_elsewhere; /* -o FILE, -O, --remote-name-all, -N: stdout is not the body,
	                       * or it is wanted as it arrives */
	bool dump_header;     /* -D: the user's; ours can't be added */
	bool progress_bar;    /* -#: curl is to draw a progress bar */
	bool shows_token;     /* -v, --trace, --trace-ascii, --libcurl: curl will show or
	                       * write the request's headers */
	bool fail;            /* -f, --fail: curl hides the body of an HTTP error */
	/* When refused: which argument (1 = the first after the URL) and why. */
	int refused_at;
	char why[256];
};

/* Scan args[0..n), the arguments after the URL. False when they are refused
 * (out->why says why, without quoting any value). */
bool curl_args_scan(char *const *args, int n, struct curl_scan *out);

#endif
