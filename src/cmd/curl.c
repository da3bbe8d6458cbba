/*
 * zoho-oauth curl: the user's own curl, with the access token added where
 * nobody else sees it, sent only to Zoho's API hosts, and refreshed and
 * tried once more when Zoho says it is no longer valid.
 *
 * curl gets, before the user's arguments:
 *   -q                  no ~/.curlrc: only the command line says what is sent
 *   --globoff           the URL as it is (one request; brackets in queries)
 *   -H @/dev/fd/N       the Authorization header, from a pipe
 *   -D /dev/fd/M        the response headers, to a pipe of ours: the status
 *   --no-progress-meter when curl writes to our pipe but the user's stdout
 *                       is a terminal, where curl would have shown none
 * and its stdout is a pipe of ours too, unless the output is not ours to
 * hold back (see curl-args.h), so that a 401 can be retried without the
 * user ever seeing the first answer. Up to BUFFER_CAP bytes are held; a
 * bigger answer is not Zoho's 401 and is passed on as it comes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/curl-args.h"
#include "cmd/curl.h"
#include "core/exit-status.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/child.h"
#include "core/util.h"
#include "store/refresh.h"
#include "zoho/zoho.h"

/* Zoho's 401 answers are a few hundred bytes. */
#define BUFFER_CAP (64 * 1024)
/* How long curl has to end after we passed it a signal. */
#define SIGNAL_GRACE_MS 5000
#define MAX_OURS 12

struct run {
	int status;       /* curl's exit status, 128 + N for a signal, or ours */
	bool ran;         /* curl was started */
	int http;         /* the last HTTP status in the response headers; 0: none seen */
	bool held;        /* stdout was held back, all of it (body) */
	struct buf body;  /* what was held */
};

/* The last status line of the response headers, read as they come. */
struct header_reader {
	char line[64];
	size_t len;
	bool overlong;
	int status;
};

static void header_feed(struct header_reader *h, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c != '\n') {
			if (h->len < sizeof(h->line) - 1)
				h->line[h->len++] = c;
			continue;
		}
		h->line[h->len] = '\0';
		/* "HTTP/1.1 401 Unauthorized", "HTTP/2 401" */
		if (strncmp(h->line, "HTTP/", 5) == 0) {
			const char *sp = strchr(h->line, ' ');
			long code;
			char digits[4];
			if (sp && strlen(sp + 1) >= 3) {
				memcpy(digits, sp + 1, 3);
				digits[3] = '\0';
				if ((sp[4] == '\0' || sp[4] == ' ' || sp[4] == '\r') &&
						parse_long(digits, 100, 999, &code))
					h->status = (int)code;
			}
		}
		h->len = 0;
	}
}

/* Zoho's word for an access token it no longer honours, as its APIs and
 * its help pages spell it (in either case), and CRM's. */
static bool says_token_invalid(const struct buf *b)
{
	static const char *const codes[] = { "\"INVALID_OAUTHTOKEN\"", "\"INVALID_TOKEN\"" };
	if (!b->data)
		return false;
	for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++) {
		size_t n = strlen(codes[c]);
		for (size_t i = 0; i + n <= b->len; i++)
			if (ascii_ncasecmp_eq(b->data + i, codes[c], n))
				return true;
	}
	return false;
}

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* A pipe whose ends are not 0, 1 or 2 (in case one of those was closed
 * when we started), close-on-exec. */
static bool make_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) != 0)
		return false;
	for (int i = 0; i < 2; i++) {
		if (fds[i] > 2)
			continue;
		int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
		close(fds[i]);
		fds[i] = moved;
	}
	if (fds[0] < 0 || fds[1] < 0) {
		if (fds[0] >= 0)
			close(fds[0]);
		if (fds[1] >= 0)
			close(fds[1]);
		return false;
	}
	return true;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Run curl once with token, stdout held back when hold, the response
 * headers read when dump. Waits for curl however long it takes (its own
 * --max-time bounds it); a signal to us is passed on to it, and it gets
 * SIGNAL_GRACE_MS to end before it is killed.
 */
static void run_curl(const struct settings *s, const char *curl_path, const char *url,
		const char *token, bool hold, bool dump, bool quiet_meter, struct run *r)
{
	int head[2] = { -1, -1 }, hdrs[2] = { -1, -1 }, out[2] = { -1, -1 };
	char head_arg[32], dump_arg[32];
	char **argv = NULL;
	struct buf line = { 0 };
	struct header_reader hr = { .status = 0 };
	struct child c = { .pid = 0, .pidfd = -1 };

	memset(r, 0, sizeof(*r));
	r->status = ZO_FAILURE;
	if (!make_pipe(head) || (dump && !make_pipe(hdrs)) || (hold && !make_pipe(out))) {
		log_error("cannot create a pipe: %s", strerror(errno));
		goto out;
	}
	/* The header, written before curl starts: a pipe holds far more. */
	if (!buf_append_str(&line, "Authorization: Zoho-oauthtoken ") || !buf_append_str(&line, token) ||
			!buf_append(&line, "\n", 1) || !write_all(head[1], line.data, line.len)) {
		log_error("cannot pass the access token to curl: %s", strerror(errno));
		goto out;
	}
	close_fd(&head[1]);
	snprintf(head_arg, sizeof(head_arg), "@/dev/fd/%d", head[0]);
	snprintf(dump_arg, sizeof(dump_arg), "/dev/fd/%d", hdrs[1]);

	int nuser = s->n_curl_args - 1;
	argv = calloc((size_t)(MAX_OURS + nuser + 2), sizeof(*argv));
	if (!argv) {
		log_error("out of memory");
		goto out;
	}
	int n = 0;
	argv[n++] = "curl";
	argv[n++] = "-q";
	argv[n++] = "--globoff";
	argv[n++] = "-H";
	argv[n++] = head_arg;
	if (dump) {
		argv[n++] = "-D";
		argv[n++] = dump_arg;
	}
	if (quiet_meter)
		argv[n++] = "--no-progress-meter";
	argv[n++] = (char *)url;
	for (int i = 0; i < nuser; i++)
		argv[n++] = s->curl_args[1 + i];
	argv[n] = NULL;

	/* curl's stdout is our pipe when it is held back; the header and the
	 * response headers are its descriptors as numbered in its argv. */
	c = (struct child){
		.path = curl_path, .argv = argv,
		.in = CHILD_INHERIT, .out = hold ? out[1] : CHILD_INHERIT, .err = CHILD_INHERIT,
		.keep = { head[0], hdrs[1] }, .n_keep = dump ? 2 : 1,
		.pid = 0, .pidfd = -1,
	};
	int exec_errno;
	if (!child_start(&c, &exec_errno)) {
		if (exec_errno) {
			log_error("cannot run %s: %s", curl_path, strerror(exec_errno));
			r->status = ZO_NO_PROGRAM;
		} else {
			log_error("cannot start curl: %s", strerror(errno));
		}
		goto out;
	}
	r->ran = true;
	close_fd(&head[0]);
	close_fd(&hdrs[1]);
	close_fd(&out[1]);

	r->held = hold;
	bool passing = !hold;  /* held output went over the cap: passed on as it comes */
	bool exited = false;
	int wstatus = 0, sig = 0;
	int64_t kill_at = 0;
	char chunk[16384];
	while (out[0] >= 0 || hdrs[0] >= 0 || !exited) {
		struct pollfd p[4];
		int np = 0, i_out = -1, i_hdr = -1, i_pid = -1, i_sig;
		if (out[0] >= 0) {
			i_out = np;
			p[np++] = (struct pollfd){ .fd = out[0], .events = POLLIN };
		}
		if (hdrs[0] >= 0) {
			i_hdr = np;
			p[np++] = (struct pollfd){ .fd = hdrs[0], .events = POLLIN };
		}
		if (!exited && c.pidfd >= 0) {
			i_pid = np;
			p[np++] = (struct pollfd){ .fd = c.pidfd, .events = POLLIN };
		}
		i_sig = np;
		p[np++] = (struct pollfd){ .fd = signals_fd(), .events = POLLIN };
		int timeout = -1;
		if (kill_at)
			timeout = (int)(kill_at > monotonic_ms() ? kill_at - monotonic_ms() : 0);
		else if (!exited && c.pidfd < 0 && out[0] < 0 && hdrs[0] < 0)
			timeout = 100; /* no pidfd: look again soon */
		int ready = poll(p, (nfds_t)np, timeout);
		if (ready < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (signals_caught() && !sig && !exited) {
			/* Ctrl-C reached curl too (it is in our process group); a
			 * SIGTERM or SIGHUP may have been for us alone. */
			sig = signals_caught();
			kill(c.pid, sig);
			kill_at = monotonic_ms() + SIGNAL_GRACE_MS;
		}
		if (kill_at && monotonic_ms() >= kill_at && !exited) {
			log_warn("curl did not end within %d seconds of the signal: killing it",
				SIGNAL_GRACE_MS / 1000);
			kill(c.pid, SIGKILL);
			kill_at = 0;
		}
		if (ready > 0 && (p[i_sig].revents & POLLIN)) {
			char drain[16];
			while (read(signals_fd(), drain, sizeof(drain)) > 0)
				;
		}
		if (i_out >= 0 && p[i_out].revents) {
			ssize_t k = read(out[0], chunk, sizeof(chunk));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0) {
				close_fd(&out[0]);
			} else if (passing) {
				if (!write_all(1, chunk, (size_t)k))
					close_fd(&out[0]); /* a closed stdout: curl hears of it as it would */
			} else if (r->body.len + (size_t)k > BUFFER_CAP) {
				/* Not Zoho's 401: pass on what was held and the rest as it comes. */
				passing = true;
				r->held = false;
				bool ok = (!r->body.data || write_all(1, r->body.data, r->body.len)) &&
					write_all(1, chunk, (size_t)k);
				buf_finish(&r->body);
				if (!ok)
					close_fd(&out[0]);
			} else if (!buf_append(&r->body, chunk, (size_t)k)) {
				close_fd(&out[0]);
				r->held = false;
			}
		}
		if (i_hdr >= 0 && p[i_hdr].revents) {
			ssize_t k = read(hdrs[0], chunk, sizeof(chunk));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				close_fd(&hdrs[0]);
			else
				header_feed(&hr, chunk, (size_t)k);
		}
		if (!exited && (c.pidfd < 0 || (i_pid >= 0 && p[i_pid].revents)))
			exited = child_ended(&c, &wstatus);
	}
	r->http = hr.status;
	if (WIFEXITED(wstatus))
		r->status = WEXITSTATUS(wstatus);
	else if (WIFSIGNALED(wstatus))
		r->status = ZO_INTERRUPTED + WTERMSIG(wstatus);
	if (sig)
		r->status = ZO_INTERRUPTED + sig;
out:
	if (c.pid > 0) {
		kill(c.pid, SIGKILL);
		child_wait(&c);
	}
	for (int i = 0; i < 2; i++) {
		close_fd(&head[i]);
		close_fd(&hdrs[i]);
		close_fd(&out[i]);
	}
	buf_finish(&line);
	free(argv);
}

/* Pass on what was held back. */
static void release(struct run *r)
{
	if (r->held && r->body.data && !write_all(1, r->body.data, r->body.len) && errno != EPIPE)
		log_error("cannot write to standard output: %s", strerror(errno));
	buf_finish(&r->body);
	r->held = false;
}

/*
 * The URL the token goes to: a path joined to the profile's API (its
 * api_domain, or --service's host of its data centre), or the URL given.
 * NULL after saying why not.
 */
static char *target_url(const struct settings *s, const struct tokens *t, const char *arg)
{
	const struct profile *p = &s->profile;
	const struct zoho_dc *dc = zoho_dc_of(t->accounts_server, t->location);
	struct buf b = { 0 };

	if (arg[0] != '/') {
		if (!ascii_ncasecmp_eq(arg, "https://", 8) && !ascii_ncasecmp_eq(arg, "http://", 7)) {
			log_error("the first argument after zoho-oauth's options must be a URL "
				"(https://...) or a path (/api/...): see 'zoho-oauth curl --help'");
			return NULL;
		}
		if (s->service) {
			log_error("--service is for a path (/api/...), not a whole URL");
			return NULL;
		}
		return xstrdup(arg);
	}
	const char *base;
	if (s->service && strcmp(s->service, "api") != 0) {
		base = zoho_service_origin(dc, s->service);
		if (!base) {
			log_error("profile '%s' has no known data centre (its accounts server is %s), so "
				"there is no %s host to join the path to: give the whole URL", p->name,
				t->accounts_server ? t->accounts_server : "not recorded", s->service);
			return NULL;
		}
	} else {
		base = t->api_domain ? t->api_domain : zoho_service_origin(dc, "api");
		if (!base) {
			log_error("profile '%s' has no api_domain to join the path to: give the whole URL",
				p->name);
			return NULL;
		}
	}
	size_t len = strlen(base);
	if (len > 0 && base[len - 1] == '/')
		len--;
	if (!buf_append(&b, base, len) || !buf_append_str(&b, arg)) {
		buf_finish(&b);
		return NULL;
	}
	return b.data;
}

/* Whether the token may go to url; says why not. */
static bool url_allowed(const struct settings *s, const struct tokens *t, const char *url)
{
	const struct zoho_dc *dc = zoho_dc_of(t->accounts_server, t->location);
	char host[128];
	enum zoho_url_check c = zoho_token_url_check(url, dc, t->api_domain, t->accounts_server,
		s->allow_hosts, s->n_allow_hosts, host, sizeof(host));
	switch (c) {
	case ZOHO_URL_OK:
		return true;
	case ZOHO_URL_MALFORMED:
		log_error("zoho-oauth can't tell where this URL goes: it takes https://HOST[:PORT] "
			"followed by a path, a query or nothing (no user name, no other scheme)");
		return false;
	case ZOHO_URL_INSECURE:
		log_error("refusing to send the access token to %s over plain http, where anyone on "
			"the way can read it: use https", host);
		return false;
	case ZOHO_URL_FOREIGN:
		break;
	}
	if (dc)
		log_error("refusing to send the access token of profile '%s' to %s: it is not a Zoho "
			"API host of the profile's data centre (%s, %s, https on the default port); if it "
			"is meant to have it, pass --allow-host %s before the URL", s->profile.name, host,
			dc->api + 8, dc->cliq + 8, host);
	else
		log_error("refusing to send the access token of profile '%s' to %s: it is not where "
			"the profile's tokens are for; if it is meant to have it, pass --allow-host %s "
			"before the URL", s->profile.name, host, host);
	return false;
}

/* The options only curl takes: --service and --allow-host. */
static int check_options(struct settings *s)
{
	if (s->service && !zoho_service_known(s->service)) {
		char shown[24];
		printable_copy(shown, sizeof(shown), s->service);
		log_error("--service is cliq or api, not '%s'", shown);
		return ZO_USAGE;
	}
	for (size_t i = 0; i < s->n_allow_hosts; i++) {
		const char *h = s->allow_hosts[i];
		size_t len = strlen(h);
		if (len == 0 || len > 253 || h[0] == '.' || h[0] == '-' ||
				strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != len) {
			log_error("--allow-host wants a host name such as api.example.com (no scheme, port "
				"or path)");
			return ZO_USAGE;
		}
	}
	return ZO_OK;
}

int cmd_curl(struct settings *s)
{
	const struct profile *p = &s->profile;
	struct curl_scan scan;
	struct tokens t = { 0 };
	struct store *st = NULL;
	char curl_path[PATH_MAX], hint[PROFILE_HINT_MAX];
	char *url = NULL;
	struct run r = { 0 };
	int status = check_options(s);

	if (status != ZO_OK)
		return status;
	if (!curl_args_scan(s->curl_args + 1, s->n_curl_args - 1, &scan)) {
		log_error("refusing curl's argument %d after the URL: %s", scan.refused_at, scan.why);
		return ZO_USAGE;
	}
	if (!program_find("curl", curl_path, sizeof(curl_path))) {
		log_error("curl is not installed (not found in $PATH): install it, e.g. 'apt-get "
			"install curl'");
		return ZO_NO_PROGRAM;
	}
	struct judge_ask fit = { .min_valid = s->min_valid, .ahead_ok = s->refresh_ahead };
	status = store_open(p, 0, &st);
	if (status == ZO_OK)
		status = fresh_tokens(st, &fit, NULL, &t);
	if (status != ZO_OK)
		goto out;
	url = target_url(s, &t, s->curl_args[0]);
	if (!url || !url_allowed(s, &t, url)) {
		status = ZO_USAGE;
		goto out;
	}
	if (scan.shows_token)
		log_warn("curl's -v, --trace, --trace-ascii and --libcurl show or write the request's "
			"headers, the access token among them");

	/* Hold the output back (so that a 401 can be tried again unseen)
	 * unless it is not ours to hold. */
	bool dump = !scan.dump_header;
	bool hold = dump && !scan.output_elsewhere;
	bool meter = hold && !scan.progress_bar && isatty(1);
	log_debug("running %s for %s%s", curl_path, url, hold ? " (its output held back)" : "");
	run_curl(s, curl_path, url, t.access_token, hold, dump, meter, &r);
	status = r.status;
	if (!r.ran || status >= ZO_INTERRUPTED) {
		release(&r);
		goto out;
	}

	bool invalid = r.http == 401 && r.held && says_token_invalid(&r.body) &&
		(status == 0 || status == 22);
	if (!invalid) {
		bool held = r.held;
		release(&r);
		profile_command(p, "refresh", NULL, hint, sizeof(hint));
		if (r.http == 401 && !held)
			log_info("zoho answered 401 and zoho-oauth did not repeat the request: curl's "
				"output was not held back (-o, -O, -N, -D, or over 64 KiB). If zoho said "
				"INVALID_OAUTHTOKEN, '%s' gets a new token", hint);
		else if (r.http == 401 && scan.fail && !says_token_invalid(&r.body))
			log_info("zoho answered 401, and curl's --fail hides its answer: with "
				"--fail-with-body instead, zoho-oauth can see whether the token was "
				"invalidated (INVALID_OAUTHTOKEN), refresh it and try once more");
		goto out;
	}

	/* Zoho no longer honours this access token (it ends the oldest of a
	 * refresh token's live ones without a word): a new one, once, however
	 * many of us saw the refusal at the same moment. */
	if (scan.reads_stdin) {
		/* The body is gone: what was read from stdin can't be read again.
		 * The answer stands; the new token is for the next call. */
		release(&r);
		log_warn("zoho no longer honours the access token of profile '%s' "
			"(INVALID_OAUTHTOKEN); the request is not repeated, since its body came from "
			"standard input: getting a new token for the next call", p->name);
		struct tokens next;
		struct judge_ask instead = { .dead = t.access_token };
		if (fresh_tokens(st, &instead, NULL, &next) == ZO_OK)
			tokens_finish(&next);
		goto out;
	}
	log_info("zoho no longer honours the access token of profile '%s' (INVALID_OAUTHTOKEN): "
		"getting a new one and trying once more", p->name);
	struct tokens fresh;
	struct judge_ask instead = { .dead = t.access_token };
	int rs = fresh_tokens(st, &instead, NULL, &fresh);
	if (rs != ZO_OK) {
		release(&r);
		status = rs;
		goto out;
	}
	buf_finish(&r.body);
	char *again = target_url(s, &fresh, s->curl_args[0]);
	if (!again || !url_allowed(s, &fresh, again)) {
		free(again);
		tokens_finish(&fresh);
		status = ZO_USAGE;
		goto out;
	}
	run_curl(s, curl_path, again, fresh.access_token, false, dump, false, &r);
	status = r.status;
	if (r.ran && r.http == 401 && status < ZO_INTERRUPTED)
		log_warn("zoho refused the new access token too; not trying again (a token is "
			"refused the same way by another data centre's API)");
	free(again);
	tokens_finish(&fresh);
out:
	if (status >= ZO_INTERRUPTED)
		log_stopped(status, r.ran ? "curl was stopped too" : "nothing was changed");
	free(url);
	tokens_finish(&t);
	store_close(st);
	return status;
}
