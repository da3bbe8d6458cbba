#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "core/exit-status.h"
#include "core/claim.h"
#include "core/log.h"
#include "core/signals.h"
#include "core/util.h"
#include "signin/loopback.h"
#include "signin/pkce.h"

/*
 * Limits for stray or hostile local clients. A browser's request with
 * localhost cookies fits in 32 KiB; bigger requests get 414/431 from
 * libmicrohttpd. Idle connections are dropped after 10 seconds, and up to
 * 512 may be open at once.
 *
 * The idle timeout alone does not stop a client that trickles a byte every
 * few seconds, and the connection limit is for all clients together: some
 * 515 such connections would hold the listener full for good, and the
 * browser's redirect would never be read. So each connection also has a
 * deadline for its whole request head (a browser sends it at once), and no
 * more than HEAD_SOFT_LIMIT connections may be waiting for theirs: past
 * that, each new one pushes out the oldest. Those are shut down
 * (shutdown(2)); libmicrohttpd then sees the end and closes them itself.
 * The browser's connection, the newest, gets its request read at once.
 */
#define CONN_MEMORY (32 * 1024)
#define CONN_TIMEOUT 10
#define CONN_LIMIT 512
#define HEAD_DEADLINE_MS 5000
#define HEAD_SOFT_LIMIT 64
#define WATCH_TICK_MS 250
#define LISTEN_BACKLOG 256

enum phase {
	WAITING,   /* no valid callback yet */
	CLAIMED,   /* one is being handled */
	ABORTED,   /* the one-time link was used twice: take nothing more */
	FINISHED,  /* the outcome page is ready */
};

/* The one-time link: 256 random bits, base64url, after a '/'. */
#define LAUNCH_RANDOM_BYTES 32
#define LAUNCH_PATH_LEN (1 + PKCE_STATE_LEN)

struct request {
	char *uri;       /* raw request target, as the client sent it */
	bool suspended;  /* we hold this one until the outcome is known */
	bool head_seen;  /* its connection was told (conn_head_done) */
};

/*
 * One TCP connection, from libmicrohttpd's STARTED notification to its
 * CLOSED one (its socket context). libmicrohttpd 0.9.75 calls CLOSED in
 * its polling thread before it close()s the socket (in every path:
 * cleanup, idle timeout, daemon stop; checked under strace), and CLOSED
 * takes conns_lock, so while a record is in the list under that lock its
 * fd is still this connection's, never a reused number.
 */
struct conn {
	struct conn *prev, *next;  /* in loopback.conns, oldest head first */
	int fd;
	int64_t head_since;        /* when its current request head began */
	bool in_head;              /* waiting for a complete request head */
	bool shut;                 /* shut down by us */
};

struct loopback {
	const struct redirect *redirect;
	struct claim claim;            /* the port, for another login to name us */
	const char *state;
	struct MHD_Daemon *daemons[2];
	int notify[2];                 /* pipe: a byte per event for the waiter */

	pthread_mutex_t lock;
	enum phase phase;
	struct callback claimed;       /* until taken */
	bool have_claimed;
	struct MHD_Connection *held;   /* the suspended browser request */
	struct request *held_req;
	const struct page *outcome;
	char *outcome_detail;
	bool outcome_served;
	bool browser_waiting;          /* a held request was answered with 303 */

	/* The one-time link the browser is started with (loopback_launch). */
	char launch_path[LAUNCH_PATH_LEN + 1]; /* "" when there is none */
	char *launch_target;           /* the consent URL it sends the browser to */
	unsigned launch_uses;          /* requests for it so far (saturating) */
	bool aborted;                  /* it was requested twice before commit */
	bool committed;                /* loopback_commit(): the outcome stands */

	/* Every connection of both daemons (struct conn), under conns_lock,
	 * which is taken last: nothing else is locked while holding it. */
	pthread_mutex_t conns_lock;
	pthread_cond_t conns_wake;     /* tells the watcher to stop */
	struct conn *conns_head, *conns_tail;
	unsigned in_head;              /* how many wait for their request head */
	unsigned long shed;            /* how many were shut down, ever */
	bool watching;                 /* the watcher thread runs */
	bool stopping;
	pthread_t watcher;
};

static void notify(struct loopback *lb)
{
	char c = 1;
	ssize_t n = write(lb->notify[1], &c, 1);
	(void)n;
}

static void html_escape_append(struct buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': buf_append_str(b, "&amp;"); break;
		case '<': buf_append_str(b, "&lt;"); break;
		case '>': buf_append_str(b, "&gt;"); break;
		case '"': buf_append_str(b, "&quot;"); break;
		case '\'': buf_append_str(b, "&#39;"); break;
		default: buf_append(b, s, 1); break;
		}
	}
}

static char *page_render(const struct page *p, const char *detail, size_t *len)
{
	struct buf b = { 0 };
	if (!buf_append_str(&b, p->head))
		return NULL;
	html_escape_append(&b, detail);
	if (!buf_append_str(&b, p->tail)) {
		buf_finish(&b);
		return NULL;
	}
	*len = b.len;
	return b.data;
}

static void security_headers(struct MHD_Response *r)
{
	MHD_add_response_header(r, "Cache-Control", "no-store");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

static enum MHD_Result send_page(struct MHD_Connection *c, unsigned code, const struct page *p,
		const char *detail)
{
	size_t len;
	char *html = page_render(p, detail, &len);
	if (!html)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, html, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(html);
		return MHD_NO;
	}
	security_headers(r);
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Content-Security-Policy", p->csp);
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned code, const char *text,
		const char *name, const char *value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
		MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	security_headers(r);
	MHD_add_response_header(r, "Content-Type", "text/plain; charset=utf-8");
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'");
	if (name)
		MHD_add_response_header(r, name, value);
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* After the outcome is known, the held browser request is sent here. */
static enum MHD_Result send_see_other(struct loopback *lb, struct MHD_Connection *c)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	security_headers(r);
	/* The bare path: the code leaves the address bar and the history. */
	MHD_add_response_header(r, "Location", lb->redirect->path);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}

/* The one-time link's first request: on to the consent URL. No body, and
 * the pages' headers: no-store (never replayed from a cache), no-referrer
 * (the link does not reach Zoho in a Referer). */
static enum MHD_Result send_launch(struct MHD_Connection *c, const char *target)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	security_headers(r);
	MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'");
	MHD_add_response_header(r, "Location", target);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_SEE_OTHER, r);
	MHD_destroy_response(r);
	return ret;
}

/* Whether the request's path (uri[0..path_len)) is the one-time link; in
 * constant time, as it is a secret. */
static bool is_launch_path(struct loopback *lb, const char *uri, size_t path_len)
{
	char want[LAUNCH_PATH_LEN + 1], got[LAUNCH_PATH_LEN + 1];
	pthread_mutex_lock(&lb->lock);
	memcpy(want, lb->launch_path, sizeof(want));
	pthread_mutex_unlock(&lb->lock);
	if (!want[0] || path_len != strlen(want))
		return false;
	memcpy(got, uri, path_len);
	got[path_len] = '\0';
	return secret_equal(got, want);
}

/*
 * A request for the one-time link, of any method. The first GET is sent to
 * the consent URL. Any second request means that someone else knows the
 * link (another local user can read the browser's command line) and may
 * have had the consent URL, with our state, first: whoever it is, the
 * sign-in stops (loopback_aborted) unless its outcome was already
 * committed.
 */
static enum MHD_Result answer_launch(struct loopback *lb, struct MHD_Connection *c,
		const char *method)
{
	pthread_mutex_lock(&lb->lock);
	if (lb->launch_uses < 2)
		lb->launch_uses++;
	bool first = lb->launch_uses == 1;
	bool stop = !first && !lb->committed && lb->phase != FINISHED;
	if (stop) {
		lb->aborted = true;
		if (lb->phase == WAITING)
			lb->phase = ABORTED;
	}
	char *target = first ? strdup(lb->launch_target) : NULL;
	pthread_mutex_unlock(&lb->lock);

	if (first) {
		enum MHD_Result ret;
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
			ret = send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Only GET is allowed here.\n",
				MHD_HTTP_HEADER_ALLOW, "GET");
		else
			ret = target ? send_launch(c, target) : MHD_NO;
		secret_free(target);
		return ret;
	}
	if (stop) {
		/* The answer is queued before the main thread is told: told
		 * first, it could stop the listener before the page was sent. */
		log_debug("listener: the one-time link was requested a second time");
		enum MHD_Result ret = send_page(c, MHD_HTTP_GONE, &page_stopped, NULL);
		notify(lb);
		return ret;
	}
	return send_page(c, MHD_HTTP_GONE, &page_bad_request,
		"This sign-in link was already used.");
}

/* --- connections: the request-head deadline and the soft limit --- */

static void conn_unlink(struct loopback *lb, struct conn *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		lb->conns_head = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		lb->conns_tail = k->prev;
	k->prev = k->next = NULL;
}

static void conn_append(struct loopback *lb, struct conn *k)
{
	k->prev = lb->conns_tail;
	k->next = NULL;
	if (lb->conns_tail)
		lb->conns_tail->next = k;
	else
		lb->conns_head = k;
	lb->conns_tail = k;
}

/* Under conns_lock: end a connection that is waiting for its head. */
static void conn_shed(struct loopback *lb, struct conn *k)
{
	shutdown(k->fd, SHUT_RDWR);
	k->shut = true;
	lb->in_head--;
	lb->shed++;
}

/* Under conns_lock: a connection starts waiting for a request head (a new
 * one, or one whose last request is done); past the soft limit, the
 * oldest waiting one makes room. */
static void conn_head_begins(struct loopback *lb, struct conn *k)
{
	k->in_head = true;
	k->head_since = monotonic_ms();
	conn_append(lb, k);
	lb->in_head++;
	for (struct conn *old = lb->conns_head; old && lb->in_head > HEAD_SOFT_LIMIT; old = old->next)
		if (old->in_head && !old->shut && old != k)
			conn_shed(lb, old);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
		enum MHD_ConnectionNotificationCode toe)
{
	struct loopback *lb = cls;
	struct conn *k = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info = MHD_get_connection_info(c,
			MHD_CONNECTION_INFO_CONNECTION_FD);
		k = info ? calloc(1, sizeof(*k)) : NULL;
		*socket_context = k;
		if (!k) {
			/* Untracked, it could outstay every limit: refuse it
			 * (the socket is still open: we are in its thread). */
			if (info)
				shutdown(info->connect_fd, SHUT_RDWR);
			return;
		}
		k->fd = info->connect_fd;
		pthread_mutex_lock(&lb->conns_lock);
		conn_head_begins(lb, k);
		pthread_mutex_unlock(&lb->conns_lock);
		return;
	}
	/* MHD_CONNECTION_NOTIFY_CLOSED, before libmicrohttpd closes the fd. */
	if (!k)
		return;
	pthread_mutex_lock(&lb->conns_lock);
	conn_unlink(lb, k);
	if (k->in_head && !k->shut)
		lb->in_head--;
	pthread_mutex_unlock(&lb->conns_lock);
	free(k);
	*socket_context = NULL;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return info ? info->socket_context : NULL;
}

/* The access handler's first call for a request: its head is complete. */
static void conn_head_done(struct loopback *lb, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);
	if (!k)
		return;
	pthread_mutex_lock(&lb->conns_lock);
	if (k->in_head) {
		k->in_head = false;
		if (!k->shut)
			lb->in_head--;
	}
	pthread_mutex_unlock(&lb->conns_lock);
}

/* A request is done; a kept-alive connection waits for the next head,
 * with a deadline of its own. */
static void conn_request_done(struct loopback *lb, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);
	if (!k)
		return;
	pthread_mutex_lock(&lb->conns_lock);
	if (!k->in_head && !k->shut) {
		conn_unlink(lb, k);
		conn_head_begins(lb, k);
	}
	pthread_mutex_unlock(&lb->conns_lock);
}

/* The watcher: a thread that ends every connection whose request head is
 * past its deadline, however busy it keeps the line. */
static void *watch_heads(void *arg)
{
	struct loopback *lb = arg;
	unsigned long said = 0;

	pthread_mutex_lock(&lb->conns_lock);
	while (!lb->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += WATCH_TICK_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&lb->conns_wake, &lb->conns_lock, &until);
		if (lb->stopping)
			break;
		int64_t now = monotonic_ms();
		for (struct conn *k = lb->conns_head; k; k = k->next)
			if (k->in_head && !k->shut && now - k->head_since >= HEAD_DEADLINE_MS)
				conn_shed(lb, k);
		if (lb->shed != said && log_verbose()) {
			/* Not under the lock: a write to stderr may block. */
			unsigned long n = lb->shed - said;
			said = lb->shed;
			pthread_mutex_unlock(&lb->conns_lock);
			log_debug("listener: closed %lu connection(s) that did not send a request in time "
				"(%d s) or were too many waiting for one (%d)", n, HEAD_DEADLINE_MS / 1000,
				HEAD_SOFT_LIMIT);
			pthread_mutex_lock(&lb->conns_lock);
		}
	}
	pthread_mutex_unlock(&lb->conns_lock);
	return NULL;
}

static bool watcher_start(struct loopback *lb)
{
	pthread_attr_t attr;
	if (pthread_attr_init(&attr) != 0)
		return false;
	/* It only walks a list: a small stack keeps the login's memory low. */
	pthread_attr_setstacksize(&attr, 256 * 1024);
	lb->watching = pthread_create(&lb->watcher, &attr, watch_heads, lb) == 0;
	pthread_attr_destroy(&attr);
	return lb->watching;
}

static void watcher_stop(struct loopback *lb)
{
	if (!lb->watching)
		return;
	pthread_mutex_lock(&lb->conns_lock);
	lb->stopping = true;
	pthread_cond_signal(&lb->conns_wake);
	pthread_mutex_unlock(&lb->conns_lock);
	pthread_join(lb->watcher, NULL);
	lb->watching = false;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct request *req = calloc(1, sizeof(*req));
	if (req)
		req->uri = strdup(uri);
	return req;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
		enum MHD_RequestTerminationCode toe)
{
	struct request *req = *req_cls;
	if (req && req->head_seen)
		conn_request_done(cls, c);
	if (req) {
		secret_free(req->uri);
		free(req);
	}
	*req_cls = NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
		const char *method, const char *version, const char *upload_data,
		size_t *upload_data_size, void **req_cls)
{
	struct loopback *lb = cls;
	struct request *req = *req_cls;
	const struct redirect *r = lb->redirect;

	if (!req || !req->uri)
		return MHD_NO; /* out of memory: drop the connection */
	if (!req->head_seen) {
		req->head_seen = true;
		conn_head_done(lb, c);
	}

	if (req->suspended) {
		/* Resumed by loopback_finish(). */
		req->suspended = false;
		return send_see_other(lb, c);
	}

	const char *host = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!redirect_host_matches(r, host)) {
		log_debug("listener: refused a request for host '%s'", host ? host : "(none)");
		return send_text(c, MHD_HTTP_FORBIDDEN, "This listener only answers requests for its own "
			"address.\n", NULL, NULL);
	}
	const char *q = strchr(req->uri, '?');
	size_t path_len = q ? (size_t)(q - req->uri) : strlen(req->uri);
	if (is_launch_path(lb, req->uri, path_len))
		return answer_launch(lb, c, method);
	if (path_len != strlen(r->path) || memcmp(req->uri, r->path, path_len) != 0)
		return send_text(c, MHD_HTTP_NOT_FOUND, "Not found.\n", NULL, NULL);
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
		return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "Only GET is allowed here.\n",
			MHD_HTTP_HEADER_ALLOW, "GET");
	/* A GET with a body (or with framing for one) is not a browser
	 * following a redirect; with both Content-Length and
	 * Transfer-Encoding it is a request-smuggling shape. */
	const char *length = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (*upload_data_size != 0 || (length && strcmp(length, "0") != 0) ||
			MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return send_text(c, MHD_HTTP_BAD_REQUEST, "A GET has no body.\n", NULL, NULL);

	pthread_mutex_lock(&lb->lock);
	enum phase phase = lb->phase;
	const struct page *outcome = lb->outcome;
	char *detail = lb->outcome_detail ? strdup(lb->outcome_detail) : NULL;
	pthread_mutex_unlock(&lb->lock);

	if (phase == FINISHED && !q) {
		enum MHD_Result ret = send_page(c, MHD_HTTP_OK, outcome, detail);
		free(detail);
		pthread_mutex_lock(&lb->lock);
		lb->outcome_served = true;
		pthread_mutex_unlock(&lb->lock);
		notify(lb);
		return ret;
	}
	free(detail);
	if (phase == ABORTED)
		return send_page(c, MHD_HTTP_CONFLICT, &page_stopped, NULL);
	if (phase != WAITING)
		return send_page(c, MHD_HTTP_CONFLICT, &page_bad_request,
			"zoho-oauth has already received an answer for this sign-in; this one was ignored.");

	char why[160] = "";
	struct callback cb;
	const char *query = q ? q + 1 : "";
	enum callback_verdict v = callback_parse(query, strlen(query), lb->state, &cb, why, sizeof(why));
	if (v == CALLBACK_BAD) {
		log_warn("ignored a request to the listener: %s", why);
		return send_page(c, MHD_HTTP_BAD_REQUEST, &page_bad_request, why);
	}

	pthread_mutex_lock(&lb->lock);
	bool won = lb->phase == WAITING;
	if (won) {
		lb->phase = CLAIMED;
		callback_move(&lb->claimed, &cb);
		lb->have_claimed = true;
		lb->held = c;
		lb->held_req = req;
		req->suspended = true;
		MHD_suspend_connection(c);
	}
	pthread_mutex_unlock(&lb->lock);
	if (!won) {
		callback_finish(&cb);
		return send_page(c, MHD_HTTP_CONFLICT, &page_bad_request,
			"zoho-oauth has already received an answer for this sign-in; this one was ignored.");
	}
	notify(lb);
	return MHD_YES;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's own messages, shown with -vv only (-v is for ours) and
 * marked as its: format strings of its making, which may quote what a
 * client sent (the log layer escapes that). They end in a newline of
 * their own, which is dropped; any other is shown escaped. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	if (log_get_level() < LOG_TRACE)
		return;
	char line[256];
	vsnprintf(line, sizeof(line), fmt, ap);
	size_t len = strlen(line);
	while (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	log_trace("listener: libmicrohttpd: %s", line);
}

/* Bind ourselves, for a precise error when the port is taken. */
static int listen_socket(int family, long port, bool *unavailable)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;
		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		in6->sin6_addr = in6addr_loopback;
		len = sizeof(*in6);
	}
	*unavailable = false;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*unavailable = family == AF_INET6 && errno == EAFNOSUPPORT;
		return -1;
	}
	/* Lets a new login bind while the last one's sockets sit in
	 * TIME_WAIT; it does not let two listeners share the port. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		int e = errno;
		*unavailable = family == AF_INET6 && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT);
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static struct MHD_Daemon *start_daemon(struct loopback *lb, int fd, bool v6)
{
	unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	/* The logger first: libmicrohttpd prints what comes before it with
	 * its own logger, straight to stderr, past the log layer's escaping. */
	return MHD_start_daemon(flags, 0, NULL, NULL, handle, lb,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, lb,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, lb,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, lb,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, lb,
		MHD_OPTION_END);
}

int loopback_start(const struct redirect *r, const char *state, const char *profile,
		struct loopback **out)
{
	struct loopback *lb = calloc(1, sizeof(*lb));
	int fds[2] = { -1, -1 };
	sigset_t old;

	*out = NULL;
	if (!lb) {
		log_error("out of memory");
		return ZO_FAILURE;
	}
	lb->redirect = r;
	lb->state = state;
	lb->notify[0] = lb->notify[1] = -1;
	lb->claim = (struct claim)CLAIM_NONE;
	pthread_mutex_init(&lb->lock, NULL);
	pthread_mutex_init(&lb->conns_lock, NULL);
	pthread_condattr_t cattr;
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&lb->conns_wake, &cattr);
	pthread_condattr_destroy(&cattr);
	if (pipe2(lb->notify, O_CLOEXEC | O_NONBLOCK) != 0) {
		log_error("cannot create a pipe: %s", strerror(errno));
		loopback_destroy(lb);
		return ZO_FAILURE;
	}

	/* Bind both sockets before starting anything, so that a busy port
	 * fails cleanly. */
	const int families[2] = { AF_INET, AF_INET6 };
	const bool wanted[2] = { r->listen_v4, r->listen_v6 };
	for (int i = 0; i < 2; i++) {
		if (!wanted[i])
			continue;
		bool unavailable;
		fds[i] = listen_socket(families[i], r->port, &unavailable);
		if (fds[i] >= 0)
			continue;
		if (unavailable && r->listen_v4) {
			log_debug("no IPv6 loopback here: listening on 127.0.0.1 only");
			continue;
		}
		int e = errno;
		const char *addr = families[i] == AF_INET ? "127.0.0.1" : "[::1]";
		char name[32], who[CLAIM_LABEL_MAX + 8];
		long pid;
		snprintf(name, sizeof(name), "login-%ld", r->port);
		if (e == EADDRINUSE && claim_holder(name, &pid, who, sizeof(who)))
			log_error("port %ld on %s is held by another zoho-oauth login (pid %ld, profile "
				"'%s') waiting for its browser: finish that sign-in or stop it (Ctrl-C where "
				"it runs, or kill %ld), then run this one again", r->port, addr, pid, who,
				pid);
		else if (e == EADDRINUSE)
			log_error("port %ld on %s is in use by another program: close it (ss -ltnp "
				"'sport = :%ld' shows which), or register another redirect URI with Zoho "
				"and pass it with --redirect-uri", r->port, addr, r->port);
		else
			log_error("cannot listen on %s port %ld: %s", addr, r->port, strerror(e));
		for (int j = 0; j < 2; j++)
			if (fds[j] >= 0)
				close(fds[j]);
		loopback_destroy(lb);
		return ZO_FAILURE;
	}

	/* The listener threads inherit a mask without our three signals, so
	 * those always interrupt the main thread's waits. */
	signals_block(&old);
	if (!watcher_start(lb)) {
		signals_restore(&old);
		for (int j = 0; j < 2; j++)
			if (fds[j] >= 0)
				close(fds[j]);
		log_error("cannot start a thread for the loopback listener");
		loopback_destroy(lb);
		return ZO_FAILURE;
	}
	for (int i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		lb->daemons[i] = start_daemon(lb, fds[i], families[i] == AF_INET6);
		if (!lb->daemons[i]) {
			close(fds[i]);
			for (int j = i + 1; j < 2; j++)
				if (fds[j] >= 0)
					close(fds[j]);
			signals_restore(&old);
			log_error("cannot start the loopback listener on port %ld", r->port);
			loopback_destroy(lb);
			return ZO_FAILURE;
		}
	}
	signals_restore(&old);
	log_debug("listening on %s%s%s port %ld for %s", r->listen_v4 && fds[0] >= 0 ? "127.0.0.1" : "",
		fds[0] >= 0 && fds[1] >= 0 ? " and " : "", fds[1] >= 0 ? "[::1]" : "", r->port, r->path);
	/* The port is ours now: another login that finds it taken can say by
	 * whom. */
	char name[32];
	snprintf(name, sizeof(name), "login-%ld", r->port);
	claim_take(&lb->claim, name, profile);
	*out = lb;
	return ZO_OK;
}

int loopback_fd(const struct loopback *lb)
{
	return lb->notify[0];
}

bool loopback_take(struct loopback *lb, struct callback *out)
{
	char drain[64];
	while (read(lb->notify[0], drain, sizeof(drain)) > 0)
		;
	pthread_mutex_lock(&lb->lock);
	bool have = lb->have_claimed;
	if (have) {
		callback_move(out, &lb->claimed);
		lb->have_claimed = false;
	}
	pthread_mutex_unlock(&lb->lock);
	return have;
}

bool loopback_launch(struct loopback *lb, const char *target, char *out, size_t out_len)
{
	const struct redirect *r = lb->redirect;
	unsigned char raw[LAUNCH_RANDOM_BYTES];
	char path[LAUNCH_PATH_LEN + 3];

	do {
		if (!random_bytes(raw, sizeof(raw))) {
			log_error("cannot get random bytes from the kernel");
			return false;
		}
		path[0] = '/';
		base64url_encode(path + 1, raw, sizeof(raw));
	} while (strcmp(path, r->path) == 0); /* never, but the link must not be the callback */
	explicit_bzero(raw, sizeof(raw));
	if ((size_t)snprintf(out, out_len, "http://%s:%ld%s", r->host, r->port, path) >= out_len) {
		explicit_bzero(path, sizeof(path));
		return false;
	}
	char *copy = xstrdup(target);
	if (!copy) {
		explicit_bzero(path, sizeof(path));
		return false;
	}
	pthread_mutex_lock(&lb->lock);
	secret_free(lb->launch_target);
	lb->launch_target = copy;
	memcpy(lb->launch_path, path, sizeof(lb->launch_path));
	lb->launch_uses = 0;
	pthread_mutex_unlock(&lb->lock);
	explicit_bzero(path, sizeof(path));
	return true;
}

bool loopback_aborted(struct loopback *lb)
{
	pthread_mutex_lock(&lb->lock);
	bool aborted = lb->aborted;
	pthread_mutex_unlock(&lb->lock);
	return aborted;
}

bool loopback_commit(struct loopback *lb)
{
	pthread_mutex_lock(&lb->lock);
	bool ok = !lb->aborted;
	lb->committed = ok;
	pthread_mutex_unlock(&lb->lock);
	return ok;
}

bool loopback_claim(struct loopback *lb)
{
	pthread_mutex_lock(&lb->lock);
	bool won = lb->phase == WAITING;
	if (won)
		lb->phase = CLAIMED;
	pthread_mutex_unlock(&lb->lock);
	return won;
}

void loopback_finish(struct loopback *lb, const struct page *outcome, const char *detail)
{
	pthread_mutex_lock(&lb->lock);
	lb->phase = FINISHED;
	lb->outcome = outcome;
	free(lb->outcome_detail);
	lb->outcome_detail = detail ? strdup(detail) : NULL;
	struct MHD_Connection *held = lb->held;
	lb->held = NULL;
	lb->browser_waiting = held != NULL;
	pthread_mutex_unlock(&lb->lock);
	if (held)
		MHD_resume_connection(held);
}

void loopback_linger(struct loopback *lb, int ms)
{
	int64_t deadline = monotonic_ms() + ms;
	for (;;) {
		pthread_mutex_lock(&lb->lock);
		/* Nobody to wait for when the answer came pasted. */
		bool served = lb->outcome_served || !lb->browser_waiting;
		pthread_mutex_unlock(&lb->lock);
		int64_t left = deadline - monotonic_ms();
		if (served || left <= 0 || signals_caught())
			return;
		struct pollfd p[2] = {
			{ .fd = lb->notify[0], .events = POLLIN },
			{ .fd = signals_fd(), .events = POLLIN },
		};
		if (poll(p, 2, (int)left) > 0 && (p[0].revents & POLLIN)) {
			char drain[64];
			while (read(lb->notify[0], drain, sizeof(drain)) > 0)
				;
		}
	}
}

void loopback_destroy(struct loopback *lb)
{
	if (!lb)
		return;
	watcher_stop(lb);
	for (int i = 0; i < 2; i++)
		if (lb->daemons[i]) {
			/* A held connection must be resumed before the daemon
			 * stops, or libmicrohttpd complains and leaks it. */
			if (lb->held) {
				MHD_resume_connection(lb->held);
				lb->held = NULL;
			}
			MHD_stop_daemon(lb->daemons[i]);
		}
	for (int i = 0; i < 2; i++)
		if (lb->notify[i] >= 0)
			close(lb->notify[i]);
	claim_release(&lb->claim);
	callback_finish(&lb->claimed);
	free(lb->outcome_detail);
	secret_free(lb->launch_target);
	explicit_bzero(lb->launch_path, sizeof(lb->launch_path));
	/* Stopping the daemons told us of every connection's end. */
	pthread_cond_destroy(&lb->conns_wake);
	pthread_mutex_destroy(&lb->conns_lock);
	pthread_mutex_destroy(&lb->lock);
	free(lb);
}
