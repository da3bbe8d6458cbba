#include <stdio.h>
#include <string.h>

#include "config.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/text.h"
#include "core/util.h"
#include "settings/cli.h"
#include "zoho/zoho.h"

enum opt_id {
	OPT_HELP = 'h',
	OPT_QUIET = 'q',
	OPT_VERBOSE = 'v',
	OPT_PROFILE = 256,
	OPT_TOKEN_FILE,
	OPT_CLIENT_ID,
	OPT_CLIENT_SECRET_FILE,
	OPT_DC,
	OPT_ACCOUNTS_URL,
	OPT_REDIRECT_URI,
	OPT_SCOPE,
	OPT_ACCESS_TYPE,
	OPT_NO_CONSENT_PROMPT,
	OPT_NO_PKCE,
	OPT_TIMEOUT,
	OPT_NO_BROWSER,
	OPT_NO_PREFLIGHT,
	OPT_CONNECT_TIMEOUT,
	OPT_MAX_TIME,
	OPT_CACERT,
	OPT_MIN_VALID,
	OPT_FORCE,
	OPT_JSON,
	OPT_LOCAL,
	OPT_DEVICE,
	OPT_CLIENT_CREDENTIALS,
	OPT_SOID,
	OPT_CODE,
	OPT_LOCK_TIMEOUT,
	OPT_STORE,
	OPT_TO,
	OPT_KEYRING_TIMEOUT,
	OPT_SERVICE,
	OPT_ALLOW_HOST,
	OPT_ALL,
	OPT_ONLINE,
	OPT_VERSION,
	OPT_SAVE_PROFILE,
	OPT_NO_REFRESH_AHEAD,
};

#define ON(c) (1u << (c))
#define ALL (~0u)
/* Commands that may talk to Zoho. */
#define NET (ON(CMD_LOGIN) | ON(CMD_TOKEN) | ON(CMD_HEADER) | ON(CMD_REFRESH) | ON(CMD_REVOKE) | \
	ON(CMD_EXCHANGE) | ON(CMD_CURL) | ON(CMD_STATUS))
/* Commands that sign in and so need a client. */
#define SIGNIN (ON(CMD_LOGIN) | ON(CMD_EXCHANGE))

struct opt_spec {
	const char *name;
	int id;
	const char *arg;       /* NULL: takes no argument */
	unsigned commands;     /* where it applies */
	const char *help;
};

static const struct opt_spec specs[] = {
	{ "profile", OPT_PROFILE, "NAME", ALL,
		"profile to use (default: $ZOHO_OAUTH_PROFILE, else default)" },
	{ "token-file", OPT_TOKEN_FILE, "PATH", ALL,
		"token file (default: $XDG_DATA_HOME/zoho-oauth/PROFILE.json)" },
	{ "client-id", OPT_CLIENT_ID, "ID", SIGNIN,
		"client ID from Zoho's API console (or ZOHO_CLIENT_ID)" },
	{ "client-secret-file", OPT_CLIENT_SECRET_FILE, "FILE", SIGNIN,
		"read the client secret from FILE (else ZOHO_CLIENT_SECRET, else a prompt)" },
	{ "scope", OPT_SCOPE, "LIST", SIGNIN,
		"scopes, comma-separated, e.g. ZohoCliq.Channels.READ (repeatable)" },
	{ "code", OPT_CODE, "CODE", ON(CMD_EXCHANGE),
		"the code from the API console; - reads it from stdin" },
	{ "save-profile", OPT_SAVE_PROFILE, "NAME", ON(CMD_LOGIN),
		"once signed in, keep these settings as [profile NAME] in the config file "
		"(never the secret itself) and use NAME as this login's profile" },
	{ "device", OPT_DEVICE, NULL, ON(CMD_LOGIN),
		"sign in with a code on another device (a Non-browser client)" },
	{ "client-credentials", OPT_CLIENT_CREDENTIALS, NULL, ON(CMD_LOGIN),
		"no user: a Self Client's ID and secret get each access token (no refresh "
		"token; the secret is kept as one would be)" },
	{ "soid", OPT_SOID, "SERVICE.ORG_ID", ON(CMD_LOGIN),
		"with --client-credentials: the organisation the tokens are for, e.g. "
		"ZohoCRM.600000434 (Zoho asks for it when the service has several)" },
	{ "dc", OPT_DC, "DC", SIGNIN,
		"data centre: {dcs} (default: us)" },
	{ "accounts-url", OPT_ACCOUNTS_URL, "URL", SIGNIN,
		"accounts server to use instead of the data centre's (https; plain http only on "
		"a loopback host, for tests)" },
	{ "redirect-uri", OPT_REDIRECT_URI, "URI", ON(CMD_LOGIN),
		"registered redirect URI (default: http://localhost:8976/callback)" },
	{ "access-type", OPT_ACCESS_TYPE, "TYPE", ON(CMD_LOGIN),
		"offline (with a refresh token, the default) or online" },
	{ "no-consent-prompt", OPT_NO_CONSENT_PROMPT, NULL, ON(CMD_LOGIN),
		"don't send prompt=consent (Zoho may then omit the refresh token)" },
	{ "no-pkce", OPT_NO_PKCE, NULL, ON(CMD_LOGIN),
		"don't use PKCE" },
	{ "timeout", OPT_TIMEOUT, "SECONDS", ON(CMD_LOGIN),
		"how long to wait for the browser (default: 300)" },
	{ "no-browser", OPT_NO_BROWSER, NULL, ON(CMD_LOGIN),
		"don't open a browser: print the URL and take the pasted address" },
	{ "no-preflight", OPT_NO_PREFLIGHT, NULL, SIGNIN,
		"don't ask Zoho to check the client before signing in" },
	/* What it does differs: help_more says it for each command. */
	{ "force", OPT_FORCE, NULL, SIGNIN | ON(CMD_MIGRATE), "" },
	{ "min-valid", OPT_MIN_VALID, "SECONDS", ON(CMD_TOKEN) | ON(CMD_HEADER) | ON(CMD_CURL),
		"refresh first when fewer seconds remain (default: 300)" },
	{ "no-refresh-ahead", OPT_NO_REFRESH_AHEAD, NULL, ON(CMD_TOKEN) | ON(CMD_HEADER) | ON(CMD_CURL),
		"don't renew the token behind this call when it nears the margin (default: do, "
		"unless $CI is set)" },
	{ "service", OPT_SERVICE, "NAME", ON(CMD_CURL),
		"join a path to this API of the profile's data centre: cliq (cliq.zoho.*) or api "
		"(the default: the profile's api_domain)" },
	{ "allow-host", OPT_ALLOW_HOST, "HOST", ON(CMD_CURL),
		"also send the token to HOST (https; repeatable)" },
	{ "json", OPT_JSON, NULL, ON(CMD_STATUS), "print the status as JSON" },
	{ "all", OPT_ALL, NULL, ON(CMD_STATUS),
		"every profile: the config's sections and the token files" },
	{ "online", OPT_ONLINE, NULL, ON(CMD_STATUS),
		"ask Zoho whether the refresh token works (costs one refresh) and whose it is" },
	{ "local", OPT_LOCAL, NULL, ON(CMD_REVOKE),
		"only forget the tokens here; don't ask Zoho to revoke them" },
	{ "connect-timeout", OPT_CONNECT_TIMEOUT, "SECONDS", NET,
		"limit for connecting to Zoho, and to a database store and for each of its "
		"statements (default: 10)" },
	{ "max-time", OPT_MAX_TIME, "SECONDS", NET,
		"limit for a whole request to Zoho (default: 30)" },
	{ "lock-timeout", OPT_LOCK_TIMEOUT, "SECONDS", NET | ON(CMD_MIGRATE),
		"wait at most this long for another zoho-oauth holding the lock (default: "
		"--max-time + 5)" },
	{ "store", OPT_STORE, "STORE", SIGNIN,
		"where to keep the tokens: file (the default), keyring, or a PostgreSQL "
		"database shared by many machines (postgresql://... or service=NAME)" },
	{ "to", OPT_TO, "STORE", ON(CMD_MIGRATE),
		"the store to move the tokens to: file, keyring, postgresql://... or "
		"service=NAME" },
	{ "keyring-timeout", OPT_KEYRING_TIMEOUT, "SECONDS", NET | ON(CMD_STATUS) | ON(CMD_MIGRATE),
		"wait at most this long for each answer from the keyring (default: 5)" },
	{ "cacert", OPT_CACERT, "FILE", NET,
		"trust the CA certificates in FILE for Zoho's server (proxies, tests)" },
	{ "quiet", OPT_QUIET, NULL, ALL, "print errors and warnings only" },
	{ "verbose", OPT_VERBOSE, NULL, ALL,
		"say more (no secrets); -vv: libmicrohttpd's too" },
	{ "help", OPT_HELP, NULL, ALL, "show this help" },
	{ "version", OPT_VERSION, NULL, ALL, "show the version" },
};

#define N_SPECS (sizeof(specs) / sizeof(specs[0]))
_Static_assert(N_SPECS <= 64, "struct cli's given has a bit per option");

/* What an option's help adds for some of its commands only (all it says,
 * where its own help is empty). */
static const struct {
	int id;
	unsigned commands;
	const char *text;
} help_more[] = {
	{ OPT_TOKEN_FILE, SIGNIN, "; '-' writes the tokens to stdout" },
	{ OPT_SCOPE, ON(CMD_EXCHANGE), "; recorded only when Zoho's answer lacks them" },
	{ OPT_FORCE, SIGNIN, "sign in even if the profile already holds a working refresh token" },
	{ OPT_FORCE, ON(CMD_MIGRATE), "replace what a shared database already holds for the "
		"profile (another machine's sign-in)" },
};

static const char *more_help(const struct opt_spec *spec, enum command cmd)
{
	for (size_t i = 0; i < sizeof(help_more) / sizeof(help_more[0]); i++)
		if (help_more[i].id == spec->id && (help_more[i].commands & ON(cmd)))
			return help_more[i].text;
	return "";
}

static const struct {
	enum command cmd;
	const char *name;
	const char *summary;
} commands[] = {
	{ CMD_LOGIN, "login", "sign in with the browser and store the tokens" },
	{ CMD_TOKEN, "token", "print a valid access token, refreshing it when needed" },
	{ CMD_HEADER, "header", "print an Authorization header with a valid access token" },
	{ CMD_REFRESH, "refresh", "get a new access token now" },
	{ CMD_STATUS, "status", "show what is stored for a profile (never the secrets)" },
	{ CMD_REVOKE, "revoke", "revoke the refresh token at Zoho and forget the tokens" },
	{ CMD_EXCHANGE, "exchange", "store the tokens for a code made in the API console (Self Client)" },
	{ CMD_MIGRATE, "migrate", "move a profile's tokens to another store (--to keyring, file...)" },
	{ CMD_CURL, "curl", "call a Zoho API with curl, the access token added out of sight" },
};

/* What each command's help ends with: two or three real uses, each a
 * comment saying what it does and the command line, one line each (a
 * line starting "  --" would be taken for an option by the completions). */
static const struct {
	enum command cmd;
	const char *lines;
} examples[] = {
	{ CMD_LOGIN,
		"# Sign in to Cliq in the EU data centre (the client secret is asked for)\n"
		"zoho-oauth login --client-id 1000.XXXX --dc eu --scope ZohoCliq.Channels.READ\n"
		"# No browser here: show a code to enter on another device (Non-browser client)\n"
		"zoho-oauth login --device --client-id 1000.XXXX --scope ZohoCliq.Channels.READ\n"
		"# Sign in again with profile work's client and scopes, though its token works\n"
		"zoho-oauth -p work login --force\n" },
	{ CMD_TOKEN,
		"# Print profile work's access token, refreshed first when about to expire\n"
		"zoho-oauth -p work token\n"
		"# A token that stays valid for at least 15 more minutes, kept for a script\n"
		"token=$(zoho-oauth token --min-valid 900)\n"
		"# A project's own token file instead of a profile's\n"
		"zoho-oauth token --token-file ./zoho-token.json\n" },
	{ CMD_HEADER,
		"# Call a Zoho API, the token kept off curl's command line (and out of ps)\n"
		"zoho-oauth header | curl -sS -H @- https://www.zohoapis.com/crm/v2/Leads\n"
		"# The same for profile cliq, whose client is in the EU data centre\n"
		"zoho-oauth -p cliq header | curl -H @- https://cliq.zoho.eu/api/v2/channels\n" },
	{ CMD_REFRESH,
		"# Get a new access token now (Zoho allows 10 per refresh token in 10 minutes)\n"
		"zoho-oauth refresh -p work\n"
		"# Refresh quietly, then show how long the new access token lasts\n"
		"zoho-oauth -q refresh && zoho-oauth status\n" },
	{ CMD_STATUS,
		"# What profile work holds: client, data centre, scopes and the time left\n"
		"zoho-oauth status -p work\n"
		"# Every profile, from the config file and the token files\n"
		"zoho-oauth status --all\n"
		"# Ask Zoho whether the refresh token still works (this costs one refresh)\n"
		"zoho-oauth status --online --json | jq .online.refresh_token_works\n" },
	{ CMD_REVOKE,
		"# Revoke profile work's refresh token at Zoho and forget its tokens here\n"
		"zoho-oauth revoke -p work\n"
		"# Forget the tokens on this machine only; Zoho still honours them\n"
		"zoho-oauth revoke --local\n" },
	{ CMD_EXCHANGE,
		"# Store the tokens for a Self Client's code, pasted on standard input\n"
		"zoho-oauth exchange --client-id 1000.XXXX --dc eu --code -\n"
		"# For profile crm (its client from the config file), the code from a file\n"
		"zoho-oauth -p crm exchange --code - < code.txt\n" },
	{ CMD_MIGRATE,
		"# Move the default profile's tokens into the desktop keyring (no new sign-in)\n"
		"zoho-oauth migrate --to keyring\n"
		"# And back into a token file\n"
		"zoho-oauth migrate --to file\n"
		"# Share profile ci with other machines through a PostgreSQL database\n"
		"zoho-oauth migrate -p ci --to postgresql://zoho@db.example.com/ops\n" },
	{ CMD_CURL,
		"# List the Cliq channels of profile cliq, at Cliq's host of its data centre\n"
		"zoho-oauth curl -p cliq --service cliq /api/v2/channels -sS\n"
		"# A CRM call to the profile's api_domain, the answer to a file\n"
		"zoho-oauth curl /crm/v2/Leads -sS --fail-with-body -o leads.json\n" },
};

/* Short names of options whose id is not their letter. */
static const struct {
	char c;
	int id;
} short_names[] = {
	{ 'p', OPT_PROFILE },
};

static char short_of(const struct opt_spec *spec)
{
	if (spec->id < 256)
		return (char)spec->id;
	for (size_t i = 0; i < sizeof(short_names) / sizeof(short_names[0]); i++)
		if (short_names[i].id == spec->id)
			return short_names[i].c;
	return 0;
}

const char *command_name(enum command cmd)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].cmd == cmd)
			return commands[i].name;
	return "zoho-oauth";
}

/* Set by cli_parse(..., quiet): nothing is printed. */
static bool silent;

/* An option's help after its 34 columns of name, wrapped to end by
 * column 80; a continued line never starts with '-', so that the shell
 * completions, which take "  --NAME" at the start of a line for an
 * option, see only the options. */
#define HELP_INDENT 34
#define HELP_WIDTH 80

static void print_wrapped(FILE *f, const char *text)
{
	const size_t room = HELP_WIDTH - HELP_INDENT;
	while (strlen(text) > room) {
		size_t cut = 0;
		for (size_t i = 1; i <= room; i++)
			if (text[i] == ' ' && text[i + 1] != '-')
				cut = i;
		if (cut == 0)
			break; /* one long word: let it run over */
		fprintf(f, "%.*s\n%*s", (int)cut, text, HELP_INDENT, "");
		text += cut + 1;
	}
	fprintf(f, "%s\n", text);
}

static void exit_statuses(FILE *f);

/* The options cmd takes, one a line (CMD_NONE: those every command
 * takes). */
static void print_options(FILE *f, enum command cmd)
{
	for (size_t i = 0; i < N_SPECS; i++) {
		if (!(specs[i].commands & ON(cmd)))
			continue;
		char opt[48], help[512];
		snprintf(opt, sizeof(opt), "--%s%s%s", specs[i].name, specs[i].arg ? " " : "",
			specs[i].arg ? specs[i].arg : "");
		/* The data centres come from their one table. */
		const char *dcs = strstr(specs[i].help, "{dcs}");
		const char *more = more_help(&specs[i], cmd);
		if (dcs)
			snprintf(help, sizeof(help), "%.*s%s%s%s", (int)(dcs - specs[i].help),
				specs[i].help, zoho_dc_list(), dcs + 5, more);
		else
			snprintf(help, sizeof(help), "%s%s", specs[i].help, more);
		if (short_of(&specs[i]))
			fprintf(f, "  -%c, %-27s ", short_of(&specs[i]), opt);
		else
			fprintf(f, "      %-27s ", opt);
		print_wrapped(f, help);
	}
}

static void print_examples(FILE *f, enum command cmd)
{
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		if (examples[i].cmd != cmd)
			continue;
		fprintf(f, "\nExamples:\n");
		for (const char *line = examples[i].lines; *line;) {
			size_t len = strcspn(line, "\n");
			fprintf(f, "  %.*s\n", (int)len, line);
			line += len + (line[len] == '\n');
		}
	}
}

static void usage(FILE *f, enum command cmd)
{
	if (silent)
		return;
	if (cmd == CMD_NONE) {
		fprintf(f, "usage: zoho-oauth [OPTIONS] COMMAND [OPTIONS]\n"
			"       zoho-oauth help [COMMAND]\n\n"
			"Get Zoho OAuth 2.0 tokens onto this machine and keep them fresh.\n\n"
			"Commands:\n");
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
		fprintf(f, "  %-10s %s\n", "help", "show this help, or with a COMMAND its options and "
			"examples");
		fprintf(f, "\nOptions every command takes, before the command or after it:\n");
		print_options(f, CMD_NONE);
		fprintf(f, "\nRun 'zoho-oauth help COMMAND' (or 'zoho-oauth COMMAND --help') for a "
			"command's\nother options, which may come before it too, and its examples; "
			"or see\nzoho-oauth(1).\n");
		exit_statuses(f);
		return;
	}
	if (cmd == CMD_CURL)
		fprintf(f, "usage: zoho-oauth curl [OPTIONS] URL-OR-PATH [CURL OPTIONS...]\n\n");
	else
		fprintf(f, "usage: zoho-oauth %s [OPTIONS]\n\n", command_name(cmd));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].cmd == cmd)
			fprintf(f, "%c%s.\n\nOptions:\n", commands[i].summary[0] - 'a' + 'A',
				commands[i].summary + 1);
	print_options(f, cmd);
	if (cmd == CMD_CURL)
		fprintf(f, "\nzoho-oauth's options come before the URL or path; from there on, everything\n"
			"goes to curl as it is. A path (/api/v2/channels) is joined to the profile's\n"
			"api_domain, or with --service cliq to Cliq's host of its data centre. The\n"
			"token goes only to Zoho's API hosts of that data centre (or --allow-host),\n"
			"through a pipe, never on a command line. On Zoho's 401 INVALID_OAUTHTOKEN it\n"
			"is refreshed and the request made once more, unless curl's output was not\n"
			"held back (-o, -O, -N, -D, over 64 KiB) or the body came from stdin.\n"
			"The exit status is curl's once curl ran (but a failed refresh after a 401\n"
			"gives its own); zoho-oauth's (see 'zoho-oauth --help') come with a message\n"
			"starting 'zoho-oauth:', and 127 means curl is not installed.\n");
	print_examples(f, cmd);
}

/* Every status of core/exit-status.h (tests/test-messages.py checks). */
static void exit_statuses(FILE *f)
{
	fprintf(f, "\nExit status: 0 ok, 1 failure, 2 usage, 3 refused, 4 timed out, 5 rejected by\n"
		"Zoho, 6 network or server, 7 login needed, 8 busy (another process holds the\n"
		"lock), 9 the keyring or database can't be used, 127 a program is missing\n"
		"(curl, zoho-oauth-full), 128 + N a signal (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).\n"
		"See zoho-oauth(1).\n");
}

static void print_version(void)
{
	if (!silent)
		printf("zoho-oauth %s (%sportal, %skeyring, %spostgresql)\n", VERSION,
			HAVE_LIBPORTAL ? "+" : "-", HAVE_KEYRING ? "+" : "-", HAVE_POSTGRESQL ? "+" : "-");
}

static bool parse_seconds(const char *name, const char *arg, long max, long *out)
{
	if (!parse_long(arg, 1, max, out)) {
		log_error("--%s wants a whole number of seconds from 1 to %ld, not '%s'", name, max, arg);
		return false;
	}
	return true;
}

static const struct opt_spec *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < N_SPECS; i++)
		if (strlen(specs[i].name) == len && memcmp(specs[i].name, name, len) == 0)
			return &specs[i];
	return NULL;
}

/* The option a mistyped --NAME probably meant, or NULL. */
static const char *near_option(const char *name, size_t len)
{
	struct text_nearest n = { 0 };
	for (size_t i = 0; i < N_SPECS; i++)
		text_nearest_offer(&n, name, len, specs[i].name);
	return n.name;
}

static const struct opt_spec *find_short(char c)
{
	for (size_t i = 0; i < N_SPECS; i++)
		if (short_of(&specs[i]) == c)
			return &specs[i];
	return NULL;
}

/* Apply one option. Returns -1 to go on, or an exit status. */
static int apply(struct cli *out, const struct opt_spec *spec, const char *arg)
{
	switch (spec->id) {
	case OPT_HELP:
		usage(stdout, out->cmd);
		return ZO_OK;
	case OPT_VERSION:
		print_version();
		return ZO_OK;
	case OPT_QUIET: out->verbosity = -1; break;
	case OPT_VERBOSE: out->verbosity = out->verbosity < 1 ? 1 : 2; break;
	case OPT_PROFILE: out->profile = arg; break;
	case OPT_SAVE_PROFILE: out->save_profile = arg; break;
	case OPT_TOKEN_FILE: out->token_file = arg; break;
	case OPT_CLIENT_ID: out->client_id = arg; break;
	case OPT_CLIENT_SECRET_FILE: out->client_secret_file = arg; break;
	case OPT_DC: out->dc = arg; break;
	case OPT_ACCOUNTS_URL: out->accounts_url = arg; break;
	case OPT_REDIRECT_URI: out->redirect_uri = arg; break;
	case OPT_ACCESS_TYPE: out->access_type = arg; break;
	case OPT_CACERT: out->cacert = arg; break;
	case OPT_NO_CONSENT_PROMPT: out->no_consent_prompt = true; break;
	case OPT_NO_PKCE: out->no_pkce = true; break;
	case OPT_NO_BROWSER: out->no_browser = true; break;
	case OPT_NO_PREFLIGHT: out->no_preflight = true; break;
	case OPT_NO_REFRESH_AHEAD: out->no_refresh_ahead = true; break;
	case OPT_FORCE: out->force = true; break;
	case OPT_JSON: out->json = true; break;
	case OPT_ALL: out->all = true; break;
	case OPT_ONLINE: out->online = true; break;
	case OPT_LOCAL: out->local = true; break;
	case OPT_DEVICE: out->device = true; break;
	case OPT_CLIENT_CREDENTIALS: out->client_credentials = true; break;
	case OPT_SOID: out->soid = arg; break;
	case OPT_CODE: out->code = arg; break;
	case OPT_SERVICE: out->service = arg; break;
	case OPT_ALLOW_HOST:
		if (out->n_allow_hosts == CLI_MAX_HOSTS) {
			log_error("too many --allow-host options (at most %d)", CLI_MAX_HOSTS);
			return ZO_USAGE;
		}
		out->allow_hosts[out->n_allow_hosts++] = arg;
		break;
	case OPT_MIN_VALID:
		if (!parse_long(arg, 0, 3000, &out->min_valid)) {
			log_error("--min-valid wants a whole number of seconds from 0 to 3000, not '%s'", arg);
			return ZO_USAGE;
		}
		break;
	case OPT_SCOPE:
		if (out->n_scopes == CLI_MAX_SCOPES) {
			log_error("too many --scope options (at most %d)", CLI_MAX_SCOPES);
			return ZO_USAGE;
		}
		out->scopes[out->n_scopes++] = arg;
		break;
	case OPT_TIMEOUT:
		if (!parse_seconds("timeout", arg, 86400, &out->timeout))
			return ZO_USAGE;
		break;
	case OPT_CONNECT_TIMEOUT:
		if (!parse_seconds("connect-timeout", arg, 300, &out->connect_timeout))
			return ZO_USAGE;
		break;
	case OPT_MAX_TIME:
		if (!parse_seconds("max-time", arg, 600, &out->max_time))
			return ZO_USAGE;
		break;
	case OPT_STORE:
	case OPT_TO: out->store = arg; break;
	case OPT_KEYRING_TIMEOUT:
		if (!parse_seconds("keyring-timeout", arg, 600, &out->keyring_timeout))
			return ZO_USAGE;
		break;
	case OPT_LOCK_TIMEOUT:
		if (!parse_long(arg, 0, 3600, &out->lock_timeout)) {
			log_error("--lock-timeout wants a whole number of seconds from 0 to 3600, not '%s'",
				arg);
			return ZO_USAGE;
		}
		break;
	}
	return -1;
}

static const char *curl_hint(enum command cmd)
{
	return cmd == CMD_CURL ? " (curl's own options go after the URL or path)" : "";
}

/*
 * Our own option parser rather than getopt_long(): getopt_long takes any
 * unambiguous prefix, so "--client-secret VALUE" would quietly become
 * "--client-secret-file VALUE" and the secret would end up in an error
 * message. Here long options match exactly, and nothing a user typed
 * after '=' is ever echoed.
 */
static int parse(int argc, char **argv, struct cli *out);

/* No such command: say so, with the one it was probably meant to be. */
static void unknown_command(const char *name)
{
	char shown[32];
	struct text_nearest n = { 0 };
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		text_nearest_offer(&n, name, strlen(name), commands[i].name);
	printable_copy(shown, sizeof(shown), name);
	if (n.name)
		log_error("unknown command '%s': did you mean '%s'? (run 'zoho-oauth --help' for "
			"the list)", shown, n.name);
	else
		log_error("unknown command '%s': run 'zoho-oauth --help' for the list", shown);
}

int cli_parse(int argc, char **argv, struct cli *out, bool quiet)
{
	struct report held;
	silent = quiet;
	if (quiet)
		report_open(&held);
	int rc = parse(argc, argv, out);
	if (quiet)
		report_drop(&held);
	silent = false;
	return rc;
}

bool cli_only(const struct cli *c, const char *const *names)
{
	for (size_t i = 0; i < N_SPECS; i++) {
		if (!(c->given & ((uint64_t)1 << i)))
			continue;
		bool listed = false;
		for (const char *const *n = names; *n && !listed; n++)
			listed = strcmp(*n, specs[i].name) == 0;
		if (!listed)
			return false;
	}
	return true;
}

/* Whether an argument is written as an option: "-p", "--profile=work",
 * "-vv"; not "-" or "--". */
static bool is_option(const char *a)
{
	return a[0] == '-' && a[1] && strcmp(a, "--") != 0;
}

/*
 * Where the command is: past the options before it and their values, as
 * in git ("zoho-oauth -p work token"). An unknown option is taken to have
 * no value; read_option() says what is wrong with it before the word
 * found here is looked at. argc when there is no command.
 */
static int command_at(int argc, char **argv)
{
	int i = 1;
	while (i < argc && is_option(argv[i])) {
		const char *a = argv[i++];
		const struct opt_spec *spec = NULL;
		if (a[1] == '-' && !strchr(a, '='))
			spec = find_long(a + 2, strlen(a + 2));
		else if (a[1] != '-' && !a[2])
			spec = find_short(a[1]);
		if (spec && spec->arg)
			i++;
	}
	return i < argc ? i : argc;
}

static enum command command_of(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return commands[i].cmd;
	return CMD_NONE;
}

/* One option as written: "-vv" is --verbose twice. */
struct option_use {
	const struct opt_spec *spec;
	const char *value; /* points into argv; NULL: none */
	int times;
};

/*
 * Read the option at argv[*i] and its value (after '=', or the next
 * argument: *i is moved past it), before the command or after it alike.
 * For a command (not CMD_NONE), an option it doesn't take is refused and
 * the hints name its help; else they name the general help. false: said
 * what is wrong.
 */
static bool read_option(int argc, char **argv, int *i, enum command cmd, struct option_use *use)
{
	const char *a = argv[*i];
	const char *name = cmd == CMD_NONE ? "" : command_name(cmd);
	const char *space = cmd == CMD_NONE ? "" : " ";
	char shown[48];

	use->value = NULL;
	use->times = 1;
	if (strncmp(a, "--", 2) == 0 && a[2]) {
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		printable_copy(shown, sizeof(shown), a);
		shown[len + 2 < sizeof(shown) ? len + 2 : sizeof(shown) - 1] = '\0';
		if ((len == 13 && memcmp(a + 2, "client-secret", 13) == 0)) {
			log_error("the client secret is never taken from the command line (it would "
				"show in ps and in shell history): set ZOHO_CLIENT_SECRET, pass "
				"--client-secret-file FILE, or let the prompt ask for it");
			return false;
		}
		use->spec = find_long(a + 2, len);
		if (!use->spec) {
			const char *near = near_option(a + 2, len);
			if (near)
				log_error("unknown option %s: did you mean --%s? (see 'zoho-oauth %s%s"
					"--help')%s", shown, near, name, space, curl_hint(cmd));
			else
				log_error("unknown option %s: see 'zoho-oauth %s%s--help'%s", shown, name,
					space, curl_hint(cmd));
			return false;
		}
		if (eq && !use->spec->arg) {
			log_error("option %s takes no value", shown);
			return false;
		}
		use->value = eq ? eq + 1 : NULL;
	} else if (a[0] == '-' && a[1] && a[1] != '-' && !a[2]) {
		snprintf(shown, sizeof(shown), "-%c", a[1]);
		use->spec = find_short(a[1]);
		if (!use->spec) {
			log_error("unknown option %s: see 'zoho-oauth %s%s--help'%s", shown, name, space,
				curl_hint(cmd));
			return false;
		}
	} else if (a[0] == '-' && a[1] == 'v' && strspn(a + 1, "v") == strlen(a + 1)) {
		use->spec = find_short('v');
		use->times = (int)strlen(a + 1);
		return true;
	} else {
		char arg[24];
		printable_copy(arg, sizeof(arg), a);
		log_error("unexpected argument '%s': see 'zoho-oauth %s%s--help'%s", arg, name, space,
			curl_hint(cmd));
		return false;
	}
	if (cmd != CMD_NONE && !(use->spec->commands & ON(cmd))) {
		log_error("--%s does not apply to '%s': see 'zoho-oauth %s --help'", use->spec->name,
			name, name);
		return false;
	}
	if (use->spec->arg && !use->value) {
		if (*i + 1 >= argc) {
			log_error("option %s needs a value (%s)", shown, use->spec->arg);
			return false;
		}
		use->value = argv[++*i];
	}
	return true;
}

/* Note an option as given and apply it. Returns -1 to go on, or an exit
 * status. */
static int take_option(struct cli *out, const struct option_use *use)
{
	for (int t = 0; t < use->times; t++) {
		out->given |= (uint64_t)1 << (use->spec - specs);
		int rc = apply(out, use->spec, use->value);
		if (rc >= 0)
			return rc;
	}
	return -1;
}

/*
 * Nothing to run: "help [COMMAND]", "version", a word that is no
 * command, or options alone, each after any options. Those are read
 * first, and their mistakes said; without a word, --help and --version
 * do what they say, and anything else lacks its command.
 */
static int parse_no_command(int argc, char **argv, int at, struct cli *out)
{
	const char *word = at < argc ? argv[at] : NULL;
	bool help = word && strcmp(word, "help") == 0;
	bool version = word && strcmp(word, "version") == 0;

	for (int i = 1; i < at; i++) {
		struct option_use use;
		if (!read_option(argc, argv, &i, CMD_NONE, &use))
			return ZO_USAGE;
		if ((help || version) && !(use.spec->commands & ON(CMD_NONE))) {
			log_error("--%s does not apply to '%s': see 'zoho-oauth --help'", use.spec->name,
				word);
			return ZO_USAGE;
		}
		if (!word && (use.spec->id == OPT_HELP || use.spec->id == OPT_VERSION))
			return apply(out, use.spec, NULL);
	}
	if (help) {
		const char *of = at + 1 < argc ? argv[at + 1] : "help";
		if (strcmp(of, "help") == 0) {
			usage(stdout, CMD_NONE);
			return ZO_OK;
		}
		if (command_of(of) == CMD_NONE) {
			unknown_command(of);
			return ZO_USAGE;
		}
		usage(stdout, command_of(of));
		return ZO_OK;
	}
	if (version) {
		print_version();
		return ZO_OK;
	}
	if (word) {
		unknown_command(word);
		return ZO_USAGE;
	}
	char list[160] = "";
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			commands[i].name);
	log_error("a command is missing after the options: zoho-oauth [OPTIONS] COMMAND "
		"[OPTIONS], where COMMAND is one of %s (see 'zoho-oauth --help')", list);
	return ZO_USAGE;
}

static int parse(int argc, char **argv, struct cli *out)
{
	memset(out, 0, sizeof(*out));
	out->timeout = out->connect_timeout = out->max_time = out->min_valid = out->lock_timeout =
		out->keyring_timeout = -1;

	if (argc < 2) {
		usage(stderr, CMD_NONE);
		return ZO_USAGE;
	}
	int at = command_at(argc, argv);
	out->cmd = at < argc ? command_of(argv[at]) : CMD_NONE;
	if (out->cmd == CMD_NONE)
		return parse_no_command(argc, argv, at, out);

	/* The options before the command, then those after it: the same. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (i == at)
			continue;
		/* curl: our options end at the URL or path (or at "--"); the rest
		 * is curl's, untouched. */
		if (i > at && out->cmd == CMD_CURL && (a[0] != '-' || strcmp(a, "--") == 0)) {
			i += a[0] == '-';
			out->curl_args = argv + i;
			out->n_curl_args = argc - i;
			break;
		}
		struct option_use use;
		if (!read_option(argc, argv, &i, out->cmd, &use))
			return ZO_USAGE;
		int rc = take_option(out, &use);
		if (rc >= 0)
			return rc;
	}
	if (out->cmd == CMD_CURL && out->n_curl_args == 0) {
		log_error("zoho-oauth curl needs a URL or a path, e.g. 'zoho-oauth curl "
			"/api/v2/channels' (see 'zoho-oauth curl --help')");
		return ZO_USAGE;
	}
	return -1;
}
