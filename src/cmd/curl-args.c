#include <stdio.h>
#include <string.h>

#include "cmd/curl-args.h"

enum kind {
	K_NONE,
	K_URL,        /* --url: another URL */
	K_NEXT,       /* -:, --next: another request */
	K_CONFIG,     /* -K, --config: options we can't see */
	K_TRUSTED,    /* --location-trusted: the header to any host a redirect names */
	K_OUTPUT,     /* -o FILE, -O, --remote-name-all */
	K_NOBUFFER,   /* -N */
	K_DUMP,       /* -D */
	K_BAR,        /* -# */
	K_SHOWS,      /* -v, --trace, --trace-ascii, --libcurl */
	K_FAIL,       /* -f */
	K_DATA,       /* "@-" reads stdin */
	K_NAMED_FILE, /* "[name]@-" reads stdin (--data-urlencode, --url-query, --variable) */
	K_FORM,       /* "name=@-" or "name=<-" reads stdin */
	K_UPLOAD,     /* "-" or "." reads stdin */
	K_HEADER,     /* "@-" reads stdin */
	K_COOKIE,     /* "-" reads stdin */
};

struct curl_opt {
	const char *name;
	char letter;
	bool arg;
	enum kind kind;
};

/* Every curl option that takes a value (curl 7.88's, and the later ones
 * known to take one), and the options without one that matter here. An
 * option that takes no value must never be listed as taking one: its
 * next argument, maybe a URL, would then go unchecked. */
static const struct curl_opt opts[] = {
	{ "abstract-unix-socket", 0, true, K_NONE },
	{ "alt-svc", 0, true, K_NONE },
	{ "aws-sigv4", 0, true, K_NONE },
	{ "cacert", 0, true, K_NONE },
	{ "capath", 0, true, K_NONE },
	{ "cert", 'E', true, K_NONE },
	{ "cert-type", 0, true, K_NONE },
	{ "ciphers", 0, true, K_NONE },
	{ "config", 'K', true, K_CONFIG },
	{ "connect-timeout", 0, true, K_NONE },
	{ "connect-to", 0, true, K_NONE },
	{ "continue-at", 'C', true, K_NONE },
	{ "cookie", 'b', true, K_COOKIE },
	{ "cookie-jar", 'c', true, K_NONE },
	{ "create-file-mode", 0, true, K_NONE },
	{ "crlfile", 0, true, K_NONE },
	{ "curves", 0, true, K_NONE },
	{ "data", 'd', true, K_DATA },
	{ "data-ascii", 0, true, K_DATA },
	{ "data-binary", 0, true, K_DATA },
	{ "data-raw", 0, true, K_NONE },
	{ "data-urlencode", 0, true, K_NAMED_FILE },
	{ "delegation", 0, true, K_NONE },
	{ "dns-interface", 0, true, K_NONE },
	{ "dns-ipv4-addr", 0, true, K_NONE },
	{ "dns-ipv6-addr", 0, true, K_NONE },
	{ "dns-servers", 0, true, K_NONE },
	{ "doh-url", 0, true, K_NONE },
	{ "dump-header", 'D', true, K_DUMP },
	{ "ech", 0, true, K_NONE },
	{ "egd-file", 0, true, K_NONE },
	{ "engine", 0, true, K_NONE },
	{ "etag-compare", 0, true, K_NONE },
	{ "etag-save", 0, true, K_NONE },
	{ "expect100-timeout", 0, true, K_NONE },
	{ "fail", 'f', false, K_FAIL },
	{ "form", 'F', true, K_FORM },
	{ "form-string", 0, true, K_NONE },
	{ "ftp-account", 0, true, K_NONE },
	{ "ftp-alternative-to-user", 0, true, K_NONE },
	{ "ftp-method", 0, true, K_NONE },
	{ "ftp-port", 'P', true, K_NONE },
	{ "ftp-ssl-ccc-mode", 0, true, K_NONE },
	{ "happy-eyeballs-timeout-ms", 0, true, K_NONE },
	{ "haproxy-clientip", 0, true, K_NONE },
	{ "header", 'H', true, K_HEADER },
	{ "hostpubmd5", 0, true, K_NONE },
	{ "hostpubsha256", 0, true, K_NONE },
	{ "hsts", 0, true, K_NONE },
	{ "interface", 0, true, K_NONE },
	{ "ip-tos", 0, true, K_NONE },
	{ "ipfs-gateway", 0, true, K_NONE },
	{ "json", 0, true, K_DATA },
	{ "keepalive-cnt", 0, true, K_NONE },
	{ "keepalive-time", 0, true, K_NONE },
	{ "key", 0, true, K_NONE },
	{ "key-type", 0, true, K_NONE },
	{ "knownhosts", 0, true, K_NONE },
	{ "krb", 0, true, K_NONE },
	{ "libcurl", 0, true, K_SHOWS },
	{ "limit-rate", 0, true, K_NONE },
	{ "local-port", 0, true, K_NONE },
	{ "location-trusted", 0, false, K_TRUSTED },
	{ "login-options", 0, true, K_NONE },
	{ "mail-auth", 0, true, K_NONE },
	{ "mail-from", 0, true, K_NONE },
	{ "mail-rcpt", 0, true, K_NONE },
	{ "max-filesize", 0, true, K_NONE },
	{ "max-redirs", 0, true, K_NONE },
	{ "max-time", 'm', true, K_NONE },
	{ "netrc-file", 0, true, K_NONE },
	{ "next", ':', false, K_NEXT },
	{ "no-buffer", 'N', false, K_NOBUFFER },
	{ "noproxy", 0, true, K_NONE },
	{ "oauth2-bearer", 0, true, K_NONE },
	{ "output", 'o', true, K_OUTPUT },
	{ "output-dir", 0, true, K_NONE },
	{ "parallel-max", 0, true, K_NONE },
	{ "pass", 0, true, K_NONE },
	{ "pinnedpubkey", 0, true, K_NONE },
	{ "preproxy", 0, true, K_NONE },
	{ "progress-bar", '#', false, K_BAR },
	{ "proto", 0, true, K_NONE },
	{ "proto-default", 0, true, K_NONE },
	{ "proto-redir", 0, true, K_NONE },
	{ "proxy", 'x', true, K_NONE },
	{ "proxy-cacert", 0, true, K_NONE },
	{ "proxy-capath", 0, true, K_NONE },
	{ "proxy-cert", 0, true, K_NONE },
	{ "proxy-cert-type", 0, true, K_NONE },
	{ "proxy-ciphers", 0, true, K_NONE },
	{ "proxy-crlfile", 0, true, K_NONE },
	{ "proxy-header", 0, true, K_HEADER },
	{ "proxy-key", 0, true, K_NONE },
	{ "proxy-key-type", 0, true, K_NONE },
	{ "proxy-pass", 0, true, K_NONE },
	{ "proxy-pinnedpubkey", 0, true, K_NONE },
	{ "proxy-service-name", 0, true, K_NONE },
	{ "proxy-tls13-ciphers", 0, true, K_NONE },
	{ "proxy-tlsauthtype", 0, true, K_NONE },
	{ "proxy-tlspassword", 0, true, K_NONE },
	{ "proxy-tlsuser", 0, true, K_NONE },
	{ "proxy-user", 'U', true, K_NONE },
	{ "proxy1.0", 0, true, K_NONE },
	{ "pubkey", 0, true, K_NONE },
	{ "quote", 'Q', true, K_NONE },
	{ "random-file", 0, true, K_NONE },
	{ "range", 'r', true, K_NONE },
	{ "rate", 0, true, K_NONE },
	{ "referer", 'e', true, K_NONE },
	{ "remote-name", 'O', false, K_OUTPUT },
	{ "remote-name-all", 0, false, K_OUTPUT },
	{ "request", 'X', true, K_NONE },
	{ "request-target", 0, true, K_NONE },
	{ "resolve", 0, true, K_NONE },
	{ "retry", 0, true, K_NONE },
	{ "retry-delay", 0, true, K_NONE },
	{ "retry-max-time", 0, true, K_NONE },
	{ "sasl-authzid", 0, true, K_NONE },
	{ "service-name", 0, true, K_NONE },
	{ "sigalgs", 0, true, K_NONE },
	{ "socks4", 0, true, K_NONE },
	{ "socks4a", 0, true, K_NONE },
	{ "socks5", 0, true, K_NONE },
	{ "socks5-gssapi-service", 0, true, K_NONE },
	{ "socks5-hostname", 0, true, K_NONE },
	{ "speed-limit", 'Y', true, K_NONE },
	{ "speed-time", 'y', true, K_NONE },
	{ "ssl-sessions", 0, true, K_NONE },
	{ "stderr", 0, true, K_NONE },
	{ "telnet-option", 't', true, K_NONE },
	{ "tftp-blksize", 0, true, K_NONE },
	{ "time-cond", 'z', true, K_NONE },
	{ "tls-max", 0, true, K_NONE },
	{ "tls13-ciphers", 0, true, K_NONE },
	{ "tlsauthtype", 0, true, K_NONE },
	{ "tlspassword", 0, true, K_NONE },
	{ "tlsuser", 0, true, K_NONE },
	{ "trace", 0, true, K_SHOWS },
	{ "trace-ascii", 0, true, K_SHOWS },
	{ "trace-config", 0, true, K_NONE },
	{ "unix-socket", 0, true, K_NONE },
	{ "upload-file", 'T', true, K_UPLOAD },
	{ "upload-flags", 0, true, K_NONE },
	{ "url", 0, true, K_URL },
	{ "url-query", 0, true, K_NAMED_FILE },
	{ "user", 'u', true, K_NONE },
	{ "user-agent", 'A', true, K_NONE },
	{ "variable", 0, true, K_NAMED_FILE },
	{ "verbose", 'v', false, K_SHOWS },
	{ "vlan-priority", 0, true, K_NONE },
	{ "write-out", 'w', true, K_NONE },
};

#define N_OPTS (sizeof(opts) / sizeof(opts[0]))

static bool refused_kind(enum kind k)
{
	return k == K_URL || k == K_NEXT || k == K_CONFIG || k == K_TRUSTED;
}

/* "[name]@-" with no '=' before the '@' (curl's name@filename). */
static bool named_stdin(const char *v)
{
	if (*v == '+')
		v++; /* --url-query's "+" (no encoding) */
	size_t n = strcspn(v, "=@");
	return v[n] == '@' && strcmp(v + n + 1, "-") == 0;
}

/* "name=@-" or "name=<-", with ";type=..." and such after it. */
static bool form_stdin(const char *v)
{
	const char *eq = strchr(v, '=');
	if (!eq || (eq[1] != '@' && eq[1] != '<') || eq[2] != '-')
		return false;
	return eq[3] == '\0' || eq[3] == ';';
}

static bool value_reads_stdin(enum kind k, const char *v)
{
	switch (k) {
	case K_DATA:
	case K_HEADER:
		return strcmp(v, "@-") == 0;
	case K_NAMED_FILE:
		return named_stdin(v);
	case K_FORM:
		return form_stdin(v);
	case K_UPLOAD:
		return strcmp(v, "-") == 0 || strcmp(v, ".") == 0;
	case K_COOKIE:
		return strcmp(v, "-") == 0;
	default:
		return false;
	}
}

static bool refuse(struct curl_scan *out, int at, const char *why, const char *name)
{
	out->refused_at = at;
	if (name)
		snprintf(out->why, sizeof(out->why), "--%s %s", name, why);
	else
		snprintf(out->why, sizeof(out->why), "%s", why);
	return false;
}

/* Take in one option: its kind, and its value when it has one. */
static bool take(struct curl_scan *out, const struct curl_opt *o, const char *value, bool expand,
		int at)
{
	switch (o->kind) {
	case K_URL:
		return refuse(out, at, "names another URL, which would get the token too: one URL "
			"per call", o->name);
	case K_NEXT:
		return refuse(out, at, "starts another request: one request per call", o->name);
	case K_CONFIG:
		return refuse(out, at, "reads options zoho-oauth can't check (another URL, "
			"--location-trusted): put them on the command line", o->name);
	case K_TRUSTED:
		return refuse(out, at, "would send the token to any host a redirect names; -L alone "
			"keeps it to the first host", o->name);
	case K_OUTPUT:
		if (!value || strcmp(value, "-") != 0)
			out->output_elsewhere = true;
		break;
	case K_NOBUFFER: out->output_elsewhere = true; break;
	case K_DUMP: out->dump_header = true; break;
	case K_BAR: out->progress_bar = true; break;
	case K_SHOWS: out->shows_token = true; break;
	case K_FAIL: out->fail = true; break;
	default:
		break;
	}
	if (value && (value_reads_stdin(o->kind, value) || (expand && strstr(value, "{{"))))
		out->reads_stdin = true;
	return true;
}

static const struct curl_opt *by_name(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (strlen(opts[i].name) == len && memcmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static const struct curl_opt *by_letter(char c)
{
	for (size_t i = 0; i < N_OPTS; i++)
		if (opts[i].letter == c)
			return &opts[i];
	return NULL;
}

bool curl_args_scan(char *const *args, int n, struct curl_scan *out)
{
	memset(out, 0, sizeof(*out));
	bool after_unknown = false; /* the argument before was an option we don't know */

	for (int i = 0; i < n; i++) {
		const char *a = args[i];
		int at = i + 1;
		if (strcmp(a, "--") == 0) {
			/* curl takes everything after it as URLs. */
			if (i + 1 < n)
				return refuse(out, at + 1, "after '--', curl takes every argument for "
					"another URL, which would get the token too: one URL per call", NULL);
			break;
		}
		if (a[0] != '-' || a[1] == '\0') {
			if (after_unknown)
				return refuse(out, at, "it looks like another URL, which would get the "
					"token too (or like the value of the option before it, which zoho-oauth "
					"does not know by that name: write curl's options out in full): one "
					"URL per call", NULL);
			return refuse(out, at, "it looks like another URL, which would get the token "
				"too: one URL per call", NULL);
		}
		after_unknown = false;
		if (a[1] == '-') {
			const char *name = a + 2;
			bool expand = strncmp(name, "expand-", 7) == 0;
			if (expand)
				name += 7; /* curl 8.3's {{variable}} forms of the options */
			const struct curl_opt *o = by_name(name, strlen(name));
			if (!o) {
				/* Not a full name: maybe curl's abbreviation of one. Refuse
				 * what could stand for a refused option; anything else is
				 * taken to have no value. */
				size_t len = strlen(name);
				for (size_t k = 0; k < N_OPTS; k++) {
					if (strncmp(opts[k].name, name, len) != 0)
						continue;
					if (refused_kind(opts[k].kind)) {
						out->refused_at = at;
						snprintf(out->why, sizeof(out->why), "it may stand for curl's "
							"--%s, which zoho-oauth curl refuses: write curl's options "
							"out in full", opts[k].name);
						return false;
					}
					if (!opts[k].arg && opts[k].kind == K_OUTPUT)
						out->output_elsewhere = true;
					if (opts[k].kind == K_NOBUFFER)
						out->output_elsewhere = true;
				}
				after_unknown = true;
				continue;
			}
			const char *value = NULL;
			if (o->arg) {
				if (i + 1 >= n)
					break; /* curl says what is missing */
				value = args[++i];
			}
			if (!take(out, o, value, expand, at))
				return false;
			continue;
		}
		/* A cluster of short options, "-sSo" FILE or "-sSofile". */
		for (const char *c = a + 1; *c; c++) {
			const struct curl_opt *o = by_letter(*c);
			if (!o) {
				after_unknown = true;
				continue;
			}
			const char *value = NULL;
			if (o->arg) {
				if (c[1])
					value = c + 1;
				else if (i + 1 < n)
					value = args[++i];
				else
					return true;
			}
			if (!take(out, o, value, false, at))
				return false;
			if (value)
				break;
		}
	}
	return true;
}
