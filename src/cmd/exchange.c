#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd/exchange.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/util.h"
#include "signin/signin.h"
#include "zoho/token-endpoint.h"

#define CODE_MAX 1024

/* The code from stdin ("--code -"): one line, so it stays out of shell
 * history and ps. */
static int read_code(char **out)
{
	char line[CODE_MAX + 2];
	size_t len = 0;
	if (isatty(STDIN_FILENO))
		fputs("Code from the API console: ", stderr);
	for (;;) {
		char c;
		ssize_t n = read(STDIN_FILENO, &c, 1);
		if (n < 0 && errno == EINTR && !signals_caught())
			continue;
		if (n < 0 && signals_caught())
			return ZO_INTERRUPTED + signals_caught();
		if (n < 0) {
			log_error("cannot read the code from stdin: %s", strerror(errno));
			return ZO_FAILURE;
		}
		if (n == 0 || c == '\n')
			break;
		if (len > CODE_MAX) {
			explicit_bzero(line, sizeof(line));
			log_error("the code on stdin is longer than %d characters", CODE_MAX);
			return ZO_USAGE;
		}
		line[len++] = c;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	line[len] = '\0';
	char *start = line + strspn(line, " \t");
	*out = xstrdup(start);
	explicit_bzero(line, sizeof(line));
	return *out ? ZO_OK : ZO_FAILURE;
}

static bool code_ok(const char *code)
{
	size_t len = strlen(code);
	return len > 0 && len <= CODE_MAX && strspn(code, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~") == len;
}

int cmd_exchange(const struct settings *s)
{
	char *code = NULL;
	struct signin si = { 0 };
	char summary[512];
	struct tokens t;
	bool done;
	int status;

	if (!s->code) {
		log_error("no code: pass --code CODE, or --code - to read it from stdin (generate "
			"it in the API console: your Self Client, \"Generate Code\")");
		return ZO_USAGE;
	}
	if (!s->client_id) {
		log_error("no client id: pass --client-id, set ZOHO_CLIENT_ID, or add client_id to "
			"[profile %s] in the config (the Self Client's \"Client ID\")", s->profile);
		return ZO_USAGE;
	}
	if (strcmp(s->code, "-") == 0) {
		status = read_code(&code);
		if (status != ZO_OK)
			return status;
	} else if (!(code = xstrdup(s->code))) {
		return ZO_FAILURE;
	}
	if (!code_ok(code)) {
		log_error("that is not a code from the API console (letters, digits, '.', '-', '_')");
		status = ZO_USAGE;
		goto out;
	}
	status = signin_begin(&si, s, &done);
	if (status != ZO_OK || done)
		goto out;

	struct token_request req = {
		.grant = GRANT_SELF_CLIENT_CODE,
		.client_id = s->client_id,
		.client_secret = si.secret,
		.code = code,
	};
	log_info("exchanging the code at %s", s->accounts_url);
	status = exchange_tokens(s->accounts_url, &req, &s->net, &t, summary, sizeof(summary), NULL);
	if (status == ZO_OK) {
		status = signin_save(&si, &t, s->accounts_url, NULL);
		tokens_finish(&t);
		if (status == ZO_OK)
			signin_report(&si);
	}
out:
	secret_free(code);
	signin_finish(&si);
	return status;
}
