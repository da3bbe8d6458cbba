#ifndef ZOHO_OAUTH_CONFIG_FILE_H
#define ZOHO_OAUTH_CONFIG_FILE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * One profile of the config file
 * ${XDG_CONFIG_HOME:-~/.config}/zoho-oauth/config, an INI file with one
 * [profile NAME] section per profile:
 *
 *   [profile work]
 *   client_id = 1000.XXXX
 *   dc = eu                      ; or accounts_url = https://...
 *   scope = ZohoCliq.Channels.READ,
 *           ZohoCliq.Messages.CREATE   ; indented lines continue a value
 *   redirect_uri = http://localhost:8976/callback
 *   client_secret_file = ~/.config/zoho-oauth/work.secret
 *   access_type = offline
 *   lock_timeout = 60            ; seconds
 *   preflight = no               ; skip login's check of the client
 *   store = keyring              ; or file, or postgresql://...
 *   live_tokens = 30             ; Zoho's live access tokens per refresh token
 *   refresh_ahead = no           ; never renew a token behind a caller
 *   check_interval = 60          ; a shared store: seconds between looks at the row
 *   machine_offset = 40          ; a shared store: this machine's place among the
 *                                ; fleet's refresh moments, 0-100 (auto: its own)
 *
 * Every value is checked as it is read (settings/keys.h, as the command
 * line's); strings are owned (NULL: unset). What is wrong in the file is
 * kept as a problem of the section it is in, and the rest is still read:
 * a mistake in one profile's section does not stop another profile, and a
 * value that can't be used is left unset, for the caller to decide whether
 * the command needs it.
 */
#define CONFIG_PROBLEMS_MAX 8
#define CONFIG_PROBLEM_MAX 1200
#define CONFIG_KEY_MAX 32

struct config_problem {
	char text[CONFIG_PROBLEM_MAX]; /* "PATH:LINE: what is wrong" */
	char section[80];              /* "profile NAME", another header, or "" (none) */
	char key[CONFIG_KEY_MAX];      /* the setting it is about; "" for a line that is none */
	bool mine;                     /* in the section of the profile asked for */
};

struct config_profile {
	char *client_id;
	char *dc;
	char *accounts_url;
	char *scope;              /* comma-joined, validated */
	char *redirect_uri;       /* validated */
	char *client_secret_file; /* absolute, "~/" expanded */
	char *access_type;        /* "offline" or "online" */
	long lock_timeout;        /* seconds; -1: unset */
	long keyring_timeout;     /* seconds; -1: unset */
	long live_tokens;         /* Zoho's limit of live access tokens per refresh
	                           * token, as this machine believes it; -1: unset */
	bool no_preflight;        /* preflight = no */
	int refresh_ahead;        /* refresh_ahead = yes (1) or no (0); -1: unset */
	long check_interval;      /* seconds; -1: unset */
	long machine_offset;      /* percent, 0-100; -1: unset or auto */
	char *store;              /* "file", "keyring", or a database */
	bool found;               /* the section exists */
	struct config_problem problems[CONFIG_PROBLEMS_MAX]; /* the first ones, in the file's order */
	int n_problems;           /* how many there were (beyond the array: counted only) */
};

/* The first problem of the profile's own section with key (NULL: with
 * any key, or none), or NULL. */
const struct config_problem *config_problem_of(const struct config_profile *c, const char *key);

/* ${XDG_CONFIG_HOME:-$HOME/.config}/zoho-oauth/config; caller frees. */
char *config_default_path(void);

/*
 * Read the config file at path: the section of profile, and the problems
 * of the whole file. A missing file is not an error; one that can't be
 * read (a symbolic link, a FIFO, too big) is reported and gives false.
 */
bool config_load(const char *path, const char *profile, struct config_profile *out);

/* The same for text already in memory; name is used in messages. */
void config_parse(const char *text, size_t len, const char *name, const char *profile,
		struct config_profile *out);
void config_finish(struct config_profile *c);

/* The profiles the config file at path has sections for, in the order of
 * the file, each once (none when there is no file): *names is an array of
 * *n owned strings, freed with config_names_free(). false (reported) when
 * the file can't be read. */
bool config_profile_names(const char *path, char ***names, size_t *n);
void config_names_free(char **names, size_t n);

/*
 * Add a [profile NAME] section with body ("key = value" lines, checked
 * here as the reader would) to the config file at path: atomically, mode
 * 0600, the file's text kept byte for byte before it. A section of that
 * name that exists already is refused (reported) unless its settings are
 * the same. With dry_run nothing is written: the checks only, made before
 * a sign-in so that its result can be kept. Returns 0 when written (or
 * writable), 1 when the section is there already with these settings, -1
 * after an error (reported).
 */
int config_save_section(const char *path, const char *name, const char *body, bool dry_run);

/*
 * Offer the name of each [profile NAME] section of the config file at
 * path to near (core/text.h), for did-you-mean of profile names; names
 * are copied into names (n slots of PROFILE_NAME_MAX + 1 bytes), so that
 * near's pointers stay good. Returns how many were copied; a missing or
 * unreadable file offers nothing.
 */
struct text_nearest;
size_t config_offer_profiles(const char *path, const char *typo, struct text_nearest *near,
		char (*names)[65], size_t n);

#endif
