#include <pwd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/paths.h"
#include "core/util.h"

const char *home_dir(void)
{
	const char *home = getenv("HOME");
	if (home && home[0] == '/')
		return home;
#ifdef ZOHO_OAUTH_FRONT
	/* The password database needs the system's NSS modules, which a
	 * static front can't load: the full program looks. */
	return NULL;
#else
	struct passwd *pw = getpwuid(getuid());
	return pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
#endif
}

char *default_token_file(const char *profile, bool quiet)
{
	char path[PATH_MAX];
	const char *data = getenv("XDG_DATA_HOME");
	int n;
	/* The XDG spec says to ignore a relative value. */
	if (data && data[0] == '/') {
		n = snprintf(path, sizeof(path), "%s/zoho-oauth/%s.json", data, profile);
	} else {
		const char *home = home_dir();
		if (!home) {
			if (!quiet)
				log_error("cannot find your home directory: set HOME or XDG_DATA_HOME, "
					"or pass --token-file");
			return NULL;
		}
		n = snprintf(path, sizeof(path), "%s/.local/share/zoho-oauth/%s.json", home, profile);
	}
	if (n < 0 || (size_t)n >= sizeof(path)) {
		if (!quiet)
			log_error("the token file path is too long: pass --token-file");
		return NULL;
	}
	return quiet ? strdup(path) : xstrdup(path);
}

char *tokens_dir(bool quiet)
{
	char *any = default_token_file("default", quiet);
	if (any)
		*strrchr(any, '/') = '\0';
	return any;
}

const char *runtime_dir(void)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	if (!dir || dir[0] != '/' || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
			st.st_uid != geteuid() || (st.st_mode & 077))
		return NULL;
	return dir;
}
