#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/paths.h"
#include "core/util.h"
#include "settings/profile.h"

bool profile_name_ok(const char *name)
{
	size_t len = strlen(name);
	return len > 0 && len <= PROFILE_NAME_MAX && name[0] != '.' &&
		strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

static const char *first(const char *a, const char *b)
{
	return a && *a ? a : b && *b ? b : NULL;
}

/* "." and ".." and doubled slashes out of an absolute path, in place. */
static void normalise(char *path)
{
	char *out = path;
	const char *in = path;
	while (*in) {
		while (*in == '/')
			in++;
		const char *end = in + strcspn(in, "/");
		size_t n = (size_t)(end - in);
		if (n == 0)
			break;
		if (n == 1 && in[0] == '.') {
			/* nothing */
		} else if (n == 2 && in[0] == '.' && in[1] == '.') {
			while (out > path && *--out != '/')
				;
		} else {
			*out++ = '/';
			memmove(out, in, n);
			out += n;
		}
		in = end;
	}
	if (out == path)
		*out++ = '/';
	*out = '\0';
}

/*
 * path, absolute: joined to the working directory when relative, and
 * normalised by hand ("." and ".." and doubled slashes out). Symbolic
 * links are left as they are: an absolute path written before stays the
 * same key (the keyring's items are found by it). NULL, said unless quiet,
 * when it can't be made or names no file.
 */
static char *absolute(const char *path, bool quiet)
{
	char joined[2 * PATH_MAX];
	if (path[0] == '/') {
		if ((size_t)snprintf(joined, sizeof(joined), "%s", path) >= sizeof(joined))
			goto too_long;
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd))) {
			if (!quiet)
				log_error("the token file %s is a relative path, and the working directory "
					"can't be found (%s): give an absolute path", path, strerror(errno));
			return NULL;
		}
		if ((size_t)snprintf(joined, sizeof(joined), "%s/%s", cwd, path) >= sizeof(joined))
			goto too_long;
	}
	const char *base = strrchr(joined, '/') + 1;
	if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
		if (!quiet)
			log_error("the token file %s names a directory, not a file", path);
		return NULL;
	}
	normalise(joined);
	if (strlen(joined) >= PATH_MAX)
		goto too_long;
	return quiet ? strdup(joined) : xstrdup(joined);
too_long:
	if (!quiet)
		log_error("the token file path is too long: %.64s...", path);
	return NULL;
}

bool profile_locate(const char *cli_profile, const char *cli_token_file, bool quiet,
		struct profile *p)
{
	const char *name = first(cli_profile, getenv("ZOHO_OAUTH_PROFILE"));
	if (!name)
		name = "default";
	if (!profile_name_ok(name)) {
		if (!quiet)
			log_error("profile name '%.64s' is not allowed: use letters, digits, '.', '_' "
				"and '-'", name);
		return false;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	if (cli_token_file && !*cli_token_file) {
		if (!quiet)
			log_error("--token-file is empty");
		return false;
	}
	const char *given = first(cli_token_file, getenv("ZOHO_OAUTH_TOKEN_FILE"));
	p->path_given = given != NULL;
	if (given) {
		p->token_path = absolute(given, quiet);
	} else {
		char *path = default_token_file(name, quiet);
		p->token_path = path ? absolute(path, quiet) : NULL;
		free(path);
	}
	return p->token_path != NULL;
}

void profile_command(const struct profile *p, const char *command, const char *more, char *out,
		size_t len)
{
	bool named = strcmp(p->name, "default") != 0;
	snprintf(out, len, "zoho-oauth %s%s%s%s%s%s%s", command, named ? " --profile " : "",
		named ? p->name : "", p->path_given ? " --token-file " : "",
		p->path_given ? p->token_path : "", more ? " " : "", more ? more : "");
}

bool profile_lock_path(const struct profile *p, char *out, size_t len)
{
	int n = snprintf(out, len, "%s.lock", p->token_path);
	return n > 0 && (size_t)n < len;
}

bool profile_cache_path(const struct profile *p, char *out, size_t len)
{
	const char *runtime = runtime_dir();
	int n;
	if (runtime) {
		/* One per token path: FNV-1a of it keeps two profiles (or two
		 * --token-file paths of the same name) apart. */
		uint64_t h = 14695981039346656037ULL;
		for (const unsigned char *c = (const unsigned char *)p->token_path; *c; c++)
			h = (h ^ *c) * 1099511628211ULL;
		const char *base = strrchr(p->token_path, '/') + 1;
		n = snprintf(out, len, "%s/zoho-oauth/%.64s-%08llx.json", runtime, base,
			(unsigned long long)(h & 0xffffffffULL));
	} else {
		n = snprintf(out, len, "%s.cache", p->token_path);
	}
	return n > 0 && (size_t)n < len;
}

void profile_finish(struct profile *p)
{
	free(p->token_path);
	free(p->store);
	free(p->client_id);
	free(p->accounts_url);
	free(p->scope);
	free(p->redirect_uri);
	free(p->cacert);
	free(p->waits_broken);
	memset(p, 0, sizeof(*p));
}
