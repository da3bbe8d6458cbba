#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ask.h"
#include "core/log.h"
#include "core/secure-file.h"
#include "core/signals.h"
#include "core/util.h"
#include "settings/secret.h"

#define SECRET_MAX 512

static char *from_env;

void secret_take_from_environment(void)
{
	char *v = getenv("ZOHO_CLIENT_SECRET");
	if (!v)
		return;
	if (!from_env)
		from_env = strdup(v);
	/* The value lives in memory other processes of this user can read
	 * (/proc/PID/environ): wipe it there too, then drop the variable. */
	explicit_bzero(v, strlen(v));
	unsetenv("ZOHO_CLIENT_SECRET");
}

bool secret_in_environment(void)
{
	return from_env != NULL;
}

void secret_forget_environment(void)
{
	secret_free(from_env);
	from_env = NULL;
}

static bool is_blank(char c)
{
	return c == '\n' || c == '\r' || c == ' ' || c == '\t';
}

/* A secret is printable ASCII without spaces, on one line; the blank lines
 * and white space after it (editors add them) are stripped. */
static bool clean(char *s, const char *where)
{
	size_t len = strlen(s);
	while (len > 0 && is_blank(s[len - 1]))
		s[--len] = '\0';
	if (len == 0) {
		log_error("the client secret in %s is empty", where);
		return false;
	}
	if (len > SECRET_MAX) {
		log_error("the client secret in %s is longer than %d characters", where, SECRET_MAX);
		return false;
	}
	if (strpbrk(s, "\r\n")) {
		log_error("the client secret in %s is on more than one line (write only the secret, "
			"on one line)", where);
		return false;
	}
	for (const char *p = s; *p; p++) {
		if (*p <= ' ' || *p >= 0x7f) {
			log_error("the client secret in %s holds a space or a control character "
				"(one secret, on one line)", where);
			return false;
		}
	}
	return true;
}

/* label names the file without its name: what was given as a file name
 * may be the secret itself, pasted in the wrong place, and must not be
 * echoed. */
static int from_file(const char *file, const char *label, char **out)
{
	struct buf b = { 0 };
	struct stat st;
	switch (secure_read(file, label, SECRET_MAX + 16, true, &b, &st)) {
	case READ_MISSING:
		log_error("%s does not exist (its name is not shown, in case it is the secret "
			"itself: the option takes the name of a file holding the secret)", label);
		return ZO_FAILURE;
	case READ_FAILED:
		return ZO_FAILURE;
	case READ_OK:
		break;
	}
	/* A file that exists may be named. */
	if (st.st_mode & 077)
		log_warn("%s can be read by other users: chmod 600 %s", file, file);
	if (strlen(b.data) != b.len) {
		log_error("the client secret in %s holds a NUL byte", file);
		buf_finish(&b);
		return ZO_FAILURE;
	}
	if (!clean(b.data, file)) {
		buf_finish(&b);
		return ZO_FAILURE;
	}
	*out = xstrdup(b.data);
	buf_finish(&b);
	return *out ? ZO_OK : ZO_FAILURE;
}

static int from_prompt(char **out)
{
	char line[SECRET_MAX + 2];
	int status = ZO_OK;
	switch (ask_hidden("Client secret (not shown): ", line, sizeof(line))) {
	case ASK_HIDDEN_LINE:
	case ASK_HIDDEN_END:
		break;
	case ASK_HIDDEN_TOO_LONG:
		log_error("the client secret is longer than %d characters", SECRET_MAX);
		status = ZO_USAGE;
		break;
	case ASK_HIDDEN_SIGNAL:
		status = ZO_INTERRUPTED + signals_caught();
		break;
	case ASK_HIDDEN_FAILED:
		log_error("cannot read the client secret from the terminal: %s", strerror(errno));
		status = ZO_FAILURE;
		break;
	}
	if (status == ZO_OK && !clean(line, "the prompt"))
		status = ZO_USAGE;
	if (status == ZO_OK && !(*out = xstrdup(line)))
		status = ZO_FAILURE;
	explicit_bzero(line, sizeof(line));
	return status;
}

int secret_obtain(const char *file, const char *label, char **out)
{
	*out = NULL;
	secret_take_from_environment();
	if (file)
		return from_file(file, label ? label : "the client secret file", out);
	if (from_env) {
		if (!clean(from_env, "ZOHO_CLIENT_SECRET"))
			return ZO_USAGE;
		*out = xstrdup(from_env);
		return *out ? ZO_OK : ZO_FAILURE;
	}
	if (isatty(STDIN_FILENO))
		return from_prompt(out);
	log_error("no client secret: set ZOHO_CLIENT_SECRET, pass --client-secret-file FILE, "
		"or run in a terminal to be prompted (it is never taken from the command line)");
	return ZO_USAGE;
}
