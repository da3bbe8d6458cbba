#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/child.h"

extern char **environ;

bool program_find(const char *prog, char *out, size_t out_len)
{
	if (strchr(prog, '/')) {
		if (access(prog, X_OK) != 0)
			return false;
		snprintf(out, out_len, "%s", prog);
		return true;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if (len > 0 && (size_t)snprintf(out, out_len, "%.*s/%s", (int)len, path, prog) < out_len &&
				access(out, X_OK) == 0)
			return true;
		path += len + (path[len] == ':');
	}
	return false;
}

char **program_environment(void)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 1, sizeof(*env));
	if (!env)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "ZOHO_CLIENT_SECRET=", 19) != 0)
			env[o++] = environ[i];
	return env;
}
