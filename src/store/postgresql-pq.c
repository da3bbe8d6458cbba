/*
 * The PostgreSQL module, zoho-oauth-postgresql.so: the one file that
 * knows libpq. Loaded by store/postgresql.c only when a profile's tokens
 * are in a database and the local cache can't answer, so the cached-token
 * path never maps libpq.
 *
 * libpq's blocking calls wait as long as the server or the network
 * makes them, so everything here is asynchronous (PQconnectStartParams,
 * PQsendQueryParams) and polled against a deadline and stop(); a statement
 * still running at its deadline is given up with its connection (never
 * PQcancel(), which waits on the server without a bound). The server
 * bounds each statement too (statement_timeout), the row lock's wait
 * (lock_timeout), and how long a transaction that holds the row may sit
 * idle (idle_in_transaction_session_timeout, while we ask Zoho), each set
 * with SET LOCAL in the transaction it bounds: every statement runs in a
 * transaction (begin(), run_bounded()), and nothing is left on the
 * session, so that a connection pooler in transaction mode (PgBouncer)
 * may give the server connection to another client between two of them.
 * The row's lock is the row's, and the advisory lock transaction-scoped.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "store/postgresql-api.h"

const struct pg_api *zoho_oauth_postgresql(void);

#define RECORD_MAX (64 * 1024) /* a token record is under 2 KiB */
#define SLICE_MS 100           /* how often stop() is asked while waiting */

struct pgs_conn {
	PGconn *pq;
	bool broken;  /* cancelled or lost: only disconnect() is left */
	bool clock_known;
	int64_t clock_offset_ms; /* the server's clock minus ours, at the last begin() */
};

/* Our clock, milliseconds since the epoch. */
static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void say(const struct pg_call *c, const char *text)
{
	if (!c->why || !c->why_len)
		return;
	snprintf(c->why, c->why_len, "%s", text);
	/* libpq's messages end in a newline, some run over several lines. */
	for (char *p = c->why; *p; p++)
		if (*p == '\n')
			*p = (p[1] ? ' ' : '\0');
}

/* Wait until fd is ready for events, the deadline or stop(). */
static enum pgs_result wait_for(const struct pg_call *c, int fd, short events, int64_t deadline)
{
	for (;;) {
		if (c->stop && c->stop())
			return PG_STOPPED;
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return PG_TIMEOUT;
		struct pollfd p = { .fd = fd, .events = events };
		int n = poll(&p, 1, (int)(left < SLICE_MS ? left : SLICE_MS));
		if (n > 0)
			return PG_OK;
		if (n < 0 && errno != EINTR) {
			say(c, strerror(errno));
			return PG_FAILED;
		}
	}
}

/* want, or the conversation's deadline when that comes first. */
static int64_t until(const struct pg_call *c, int64_t want)
{
	return c->deadline_ms > 0 && c->deadline_ms < want ? c->deadline_ms : want;
}

/*
 * The host of conninfo, looked up here rather than by libpq, whose lookup
 * blocks (in PQconnectPoll) for as long as the resolver takes, deaf to
 * Ctrl-C and to our deadline: getaddrinfo_a() in the background, polled
 * against both. Every address found (up to LOOKUP_MAX) goes to libpq as a
 * hostaddr list, each with the name as its host (for TLS and .pgpass), so
 * that libpq tries them in turn as it would have: hosts gets "NAME,NAME",
 * addrs "A1,A2"; both "" when there is nothing to look up (a socket
 * directory, an address, hostaddr given, several hosts: then libpq does
 * as it does). A service's host is found in its file (find_service()) and
 * looked up the same way.
 */
#define LOOKUP_MAX 8
#define LOOKUP_TEXT (LOOKUP_MAX * (INET6_ADDRSTRLEN + 1))

/*
 * A service's connection settings (service=NAME, or $PGSERVICE), read as
 * libpq reads them: the first group named NAME in the file servicefile=
 * names, else $PGSERVICEFILE, else ~/.pg_service.conf; else in
 * pg_service.conf of $PGSYSCONFDIR (else libpq's own directory,
 * PG_SYSCONFDIR). Lines are trimmed at both ends; '#' starts a comment
 * line; "[NAME]" starts a group, and the group found ends at the next;
 * "key=value" as is. Only what the lookup needs is kept: host, hostaddr
 * and port.
 */
#define SERVICE_LINE_MAX 256 /* libpq's own limit for a line */
#define SERVICE_VALUE_MAX 256
struct service {
	const char *name;
	bool found;
	char host[SERVICE_VALUE_MAX], hostaddr[SERVICE_VALUE_MAX], port[32];
};

static void keep(char *into, size_t len, const char *value)
{
	if (!into[0] && strlen(value) < len)
		memcpy(into, value, strlen(value) + 1);
}

static void read_service_file(const char *path, struct service *s)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char buf[SERVICE_LINE_MAX];
	size_t name_len = strlen(s->name);
	while (fgets(buf, sizeof(buf), f)) {
		char *line = buf;
		size_t len = strlen(line);
		if (len >= sizeof(buf) - 1 && line[len - 1] != '\n')
			break; /* too long: libpq refuses the file, and says so */
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			line[--len] = '\0';
		while (*line && isspace((unsigned char)*line))
			line++;
		if (!*line || *line == '#')
			continue;
		if (*line == '[') {
			if (s->found)
				break; /* the group's end */
			s->found = strncmp(line + 1, s->name, name_len) == 0 &&
				line[name_len + 1] == ']';
			continue;
		}
		char *value = s->found ? strchr(line, '=') : NULL;
		if (!value)
			continue;
		*value++ = '\0';
		if (strcmp(line, "host") == 0)
			keep(s->host, sizeof(s->host), value);
		else if (strcmp(line, "hostaddr") == 0)
			keep(s->hostaddr, sizeof(s->hostaddr), value);
		else if (strcmp(line, "port") == 0)
			keep(s->port, sizeof(s->port), value);
	}
	fclose(f);
}

static void find_service(struct service *s, const char *servicefile)
{
	char path[4096];
	const char *file = servicefile && *servicefile ? servicefile : getenv("PGSERVICEFILE");
	if (file && *file) {
		read_service_file(file, s);
	} else {
		const char *home = getenv("HOME");
		struct passwd *pw = home && *home ? NULL : getpwuid(getuid());
		home = pw ? pw->pw_dir : home;
		if (home && *home && (size_t)snprintf(path, sizeof(path), "%s/.pg_service.conf",
				home) < sizeof(path))
			read_service_file(path, s);
	}
	if (s->found)
		return;
	const char *dir = getenv("PGSYSCONFDIR");
	if ((size_t)snprintf(path, sizeof(path), "%s/pg_service.conf",
			dir && *dir ? dir : PG_SYSCONFDIR) < sizeof(path))
		read_service_file(path, s);
}

static enum pgs_result look_up(const struct pg_call *c, const char *conninfo, int64_t deadline,
		char *hosts, size_t hosts_len, char *addrs, size_t addrs_len)
{
	hosts[0] = addrs[0] = '\0';
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (!opts) {
		PQfreemem(err);
		return PG_OK; /* libpq says what is wrong with it */
	}
	const char *host = NULL, *hostaddr = NULL, *port = NULL, *service = NULL,
		*servicefile = NULL;
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			hostaddr = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "service") == 0)
			service = o->val;
		else if (strcmp(o->keyword, "servicefile") == 0) /* libpq 18 */
			servicefile = o->val;
	}
	if (!service || !*service)
		service = getenv("PGSERVICE");
	struct service svc = { 0 };
	if (service && *service) {
		/* Only a host the connection string or the service's own group
		 * names is looked up here; anything else (no such group, no
		 * host in either, an address in the group) is left to libpq,
		 * as before. */
		svc.name = service;
		find_service(&svc, servicefile);
		if (!host && svc.found && svc.host[0])
			host = svc.host;
		if (!svc.found || !host || svc.hostaddr[0]) {
			PQconninfoFree(opts);
			return PG_OK;
		}
		if (!port && svc.port[0])
			port = svc.port;
	}
	if (!host)
		host = getenv("PGHOST");
	unsigned char raw[sizeof(struct in6_addr)];
	if (!host || !*host || host[0] == '/' || host[0] == '@' || strchr(host, ',') ||
			(hostaddr && *hostaddr) || getenv("PGHOSTADDR") ||
			inet_pton(AF_INET, host, raw) == 1 || inet_pton(AF_INET6, host, raw) == 1) {
		PQconninfoFree(opts);
		return PG_OK;
	}
	/* The request, its hints and its names live on the heap: the
	 * lookup's thread reads and writes them until it finishes, which may
	 * be after we gave up on it. */
	struct lookup {
		struct gaicb req;
		struct addrinfo hints;
		char name[SERVICE_VALUE_MAX], port[32];
		struct lookup *next;
	} *lk = calloc(1, sizeof(*lk));
	if (!lk || strlen(host) >= sizeof(lk->name) || (port && strlen(port) >= sizeof(lk->port))) {
		free(lk);
		PQconninfoFree(opts);
		return PG_OK; /* libpq looks it up, as before */
	}
	memcpy(lk->name, host, strlen(host) + 1);
	if (port)
		memcpy(lk->port, port, strlen(port) + 1);
	lk->hints.ai_family = AF_UNSPEC;
	lk->hints.ai_socktype = SOCK_STREAM;
	lk->req.ar_name = lk->name;
	lk->req.ar_service = lk->port[0] ? lk->port : NULL;
	lk->req.ar_request = &lk->hints;
	struct gaicb *list[] = { &lk->req };
	enum pgs_result r = PG_OK;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
		free(lk);
		PQconninfoFree(opts);
		return PG_OK; /* libpq looks it up, as before */
	}
	int e;
	while ((e = gai_error(&lk->req)) == EAI_INPROGRESS) {
		if (c->stop && c->stop()) {
			r = PG_STOPPED;
			break;
		}
		if (now_ms() >= deadline) {
			say(c, "no answer from the name server within the time allowed");
			r = PG_TIMEOUT;
			break;
		}
		struct timespec slice = { 0, 20 * 1000000L };
		nanosleep(&slice, NULL);
	}
	/* Requests given up on (kept reachable: not a leak). */
	static struct lookup *abandoned;
	if (r != PG_OK) {
		/* The lookup's thread finishes on its own, with the request it
		 * was given: left to it, and what it finds is dropped with the
		 * process. */
		if (gai_cancel(&lk->req) == EAI_CANCELED) {
			free(lk);
		} else {
			lk->next = abandoned;
			abandoned = lk;
		}
		lk = NULL;
	} else if (e != 0) {
		char text[256];
		snprintf(text, sizeof(text), "could not look up the database host %.128s: %s", host,
			gai_strerror(e));
		say(c, text);
		r = PG_FAILED;
	} else {
		struct gaicb req = lk->req; /* (done: nobody writes it now) */
		size_t ho = 0, ao = 0;
		int n = 0;
		for (const struct addrinfo *a = req.ar_result; a && n < LOOKUP_MAX; a = a->ai_next) {
			char one[INET6_ADDRSTRLEN];
			const void *in = a->ai_family == AF_INET6 ?
				(const void *)&((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr :
				(const void *)&((const struct sockaddr_in *)a->ai_addr)->sin_addr;
			if ((a->ai_family != AF_INET && a->ai_family != AF_INET6) ||
					!inet_ntop(a->ai_family, in, one, sizeof(one)))
				continue;
			int hw = snprintf(hosts + ho, hosts_len - ho, "%s%s", n ? "," : "", host);
			int aw = snprintf(addrs + ao, addrs_len - ao, "%s%s", n ? "," : "", one);
			if (hw < 0 || aw < 0 || (size_t)hw >= hosts_len - ho ||
					(size_t)aw >= addrs_len - ao)
				break;
			ho += (size_t)hw;
			ao += (size_t)aw;
			n++;
		}
		if (n == 0)
			hosts[0] = addrs[0] = '\0';
		else
			hosts[ho] = addrs[ao] = '\0';
		freeaddrinfo(req.ar_result);
	}
	free(lk);
	PQconninfoFree(opts);
	return r;
}

static void drop_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static enum pgs_result pq_connect(const struct pg_call *c, const char *conninfo, const char *name,
		struct pgs_conn **out)
{
	char timeout[16], user_timeout[16];
	/* Ours first: what the connection string says overrides them (libpq
	 * expands dbname in place, later keywords winning). Over TCP the
	 * keepalives notice a peer that went away within half a minute, not
	 * the kernel's two hours. */
	snprintf(timeout, sizeof(timeout), "%d", (c->timeout_ms + 999) / 1000);
	snprintf(user_timeout, sizeof(user_timeout), "%d", c->timeout_ms);
	int64_t deadline = until(c, now_ms() + c->timeout_ms);
	char *hosts = malloc(LOOKUP_MAX * 256), *addrs = malloc(LOOKUP_TEXT);
	*out = NULL;
	if (!hosts || !addrs) {
		free(hosts);
		free(addrs);
		say(c, "out of memory");
		return PG_FAILED;
	}
	enum pgs_result found = look_up(c, conninfo, deadline, hosts, LOOKUP_MAX * 256, addrs,
		LOOKUP_TEXT);
	if (found != PG_OK) {
		free(hosts);
		free(addrs);
		return found;
	}
	/* After dbname: the addresses found win over libpq's own lookup. */
	const char *keys[] = { "connect_timeout", "fallback_application_name", "keepalives_idle",
		"keepalives_interval", "keepalives_count", "tcp_user_timeout", "dbname",
		addrs[0] ? "host" : NULL, "hostaddr", NULL };
	const char *values[] = { timeout, name, "10", "5", "3", user_timeout, conninfo,
		addrs[0] ? hosts : NULL, addrs, NULL };

	/* A server (or a pooler on this machine) whose queue of connections
	 * waiting to be accepted is full answers a local socket's connect
	 * with EAGAIN at once, where TCP would have retried: so do we, a
	 * little later each time, within the deadline. */
	const char *full_queue = strerror(EAGAIN);
	int64_t pause = 5;
	PGconn *pq;
	for (;;) {
		pq = PQconnectStartParams(keys, values, 1);
		if (!pq) {
			free(hosts);
			free(addrs);
			say(c, "out of memory");
			return PG_FAILED;
		}
		PostgresPollingStatusType st = PGRES_POLLING_WRITING;
		while (PQstatus(pq) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
				st != PGRES_POLLING_FAILED) {
			enum pgs_result r = wait_for(c, PQsocket(pq),
				st == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline);
			if (r != PG_OK) {
				if (r == PG_TIMEOUT)
					say(c, "no connection within the time allowed");
				PQfinish(pq);
				free(hosts);
				free(addrs);
				return r;
			}
			st = PQconnectPoll(pq);
		}
		if (PQstatus(pq) == CONNECTION_OK)
			break;
		bool again = strstr(PQerrorMessage(pq), full_queue) && now_ms() + pause < deadline;
		if (!again || (c->stop && c->stop())) {
			say(c, PQerrorMessage(pq));
			PQfinish(pq);
			free(hosts);
			free(addrs);
			return again ? PG_STOPPED : PG_FAILED;
		}
		PQfinish(pq);
		struct timespec ts = { 0, (long)pause * 1000000L };
		nanosleep(&ts, NULL);
		pause = pause * 2 < 200 ? pause * 2 : 200;
	}
	free(hosts);
	free(addrs);
	struct pgs_conn *conn = calloc(1, sizeof(*conn));
	if (!conn) {
		PQfinish(pq);
		say(c, "out of memory");
		return PG_FAILED;
	}
	conn->pq = pq;
	/* The server's notices would go to stderr as they are, unescaped:
	 * nothing of ours needs them. */
	PQsetNoticeProcessor(pq, drop_notice, NULL);
	*out = conn;
	return PG_OK;
}

/* What an error result means for us. */
static enum pgs_result classify(const struct pg_call *c, PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	say(c, primary ? primary : PQresultErrorMessage(res));
	if (!state)
		return PG_FAILED;
	if (strcmp(state, "55P03") == 0)  /* lock_not_available */
		return PG_BUSY;
	if (strcmp(state, "42P01") == 0)  /* undefined_table */
		return PG_NOT_FOUND;
	if (strcmp(state, "42501") == 0)  /* insufficient_privilege */
		return PG_DENIED;
	if (strcmp(state, "57014") == 0)  /* query_canceled: statement_timeout */
		return PG_TIMEOUT;
	return PG_FAILED;
}

/*
 * One statement, with text parameters, within timeout_ms. *res (when not
 * NULL) is its result on PG_OK, for PQclear().
 */
static enum pgs_result run_as(const struct pg_call *c, struct pgs_conn *conn, int timeout_ms,
		const char *sql, int n, const char *const *params, PGresult **res, bool simple);

static enum pgs_result run(const struct pg_call *c, struct pgs_conn *conn, int timeout_ms,
		const char *sql, int n, const char *const *params, PGresult **res)
{
	return run_as(c, conn, timeout_ms, sql, n, params, res, false);
}

/* The same; simple: sql may be several statements, without parameters
 * (the simple query protocol: one round trip). */

static enum pgs_result run_as(const struct pg_call *c, struct pgs_conn *conn, int timeout_ms,
		const char *sql, int n, const char *const *params, PGresult **res, bool simple)
{
	int64_t deadline = until(c, now_ms() + timeout_ms);
	enum pgs_result r = PG_OK;
	PGresult *last = NULL;

	if (res)
		*res = NULL;
	if (conn->broken) {
		say(c, "the connection was lost");
		return PG_FAILED;
	}
	if (!(simple ? PQsendQuery(conn->pq, sql) :
			PQsendQueryParams(conn->pq, sql, n, NULL, params, NULL, NULL, 0))) {
		say(c, PQerrorMessage(conn->pq));
		conn->broken = true;
		return PG_FAILED;
	}
	while (PQflush(conn->pq) > 0) {
		if ((r = wait_for(c, PQsocket(conn->pq), POLLOUT, deadline)) != PG_OK)
			goto give_up;
	}
	for (;;) {
		while (PQisBusy(conn->pq)) {
			if ((r = wait_for(c, PQsocket(conn->pq), POLLIN, deadline)) != PG_OK)
				goto give_up;
			if (!PQconsumeInput(conn->pq)) {
				say(c, PQerrorMessage(conn->pq));
				conn->broken = true;
				PQclear(last);
				return PG_FAILED;
			}
		}
		PGresult *one = PQgetResult(conn->pq);
		if (!one)
			break;
		PQclear(last);
		last = one;
	}
	if (!last) {
		say(c, PQerrorMessage(conn->pq));
		conn->broken = PQstatus(conn->pq) != CONNECTION_OK;
		return PG_FAILED;
	}
	ExecStatusType st = PQresultStatus(last);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		r = classify(c, last);
		conn->broken = PQstatus(conn->pq) != CONNECTION_OK;
		PQclear(last);
		return r;
	}
	if (res)
		*res = last;
	else
		PQclear(last);
	return PG_OK;

give_up:
	/* The server may still be at it: its statement_timeout ends it, and
	 * the transaction's locks go with the connection, which is dropped
	 * here (disconnect() closes it). No PQcancel(): it opens a connection
	 * of its own and waits for the server without a bound. */
	if (r == PG_TIMEOUT)
		say(c, "no answer within the time allowed");
	PQclear(last);
	conn->broken = true;
	return r;
}

/*
 * A transaction begun, with the server's own bounds for it set: SET LOCAL
 * only, in one round trip. Nothing is set for the session: behind a
 * connection pooler in transaction mode (PgBouncer) the server connection
 * is another client's once the transaction ends, and a session setting
 * would go with it. statement_ms bounds each statement; lock_ms (0: none)
 * the wait for a lock; idle_ms (0: none) how long the transaction may sit
 * idle while it holds the row.
 */
static enum pgs_result begin(const struct pg_call *c, struct pgs_conn *conn, long statement_ms,
		long lock_ms, long idle_ms)
{
	char sql[320];
	PGresult *res;
	int n = snprintf(sql, sizeof(sql), "BEGIN; SET LOCAL statement_timeout = %ld",
		statement_ms > 0 ? statement_ms : 1);
	if (lock_ms > 0)
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, "; SET LOCAL lock_timeout = %ld", lock_ms);
	if (idle_ms > 0)
		n += snprintf(sql + n, sizeof(sql) - (size_t)n,
			"; SET LOCAL idle_in_transaction_session_timeout = %ld", idle_ms);
	/* And the server's clock, in the same round trip: the fleet's clock
	 * (postgresql-api.h). clock_timestamp(), not now(): the transaction's
	 * start is not the moment the answer leaves. */
	snprintf(sql + n, sizeof(sql) - (size_t)n,
		"; SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint");
	int64_t sent = wall_ms();
	enum pgs_result r = run_as(c, conn, c->timeout_ms, sql, 0, NULL, &res, true);
	if (r != PG_OK)
		return r;
	int64_t back = wall_ms();
	char *end;
	const char *text = PQntuples(res) == 1 && PQnfields(res) == 1 ? PQgetvalue(res, 0, 0) : "";
	long long server = strtoll(text, &end, 10);
	/* Halfway through the round trip, as near as we can tell. */
	if (*text && !*end && server > 0) {
		conn->clock_offset_ms = (int64_t)server - (sent + (back - sent) / 2);
		conn->clock_known = true;
	}
	PQclear(res);
	return PG_OK;
}

static bool pq_clock_offset(const struct pgs_conn *conn, int64_t *offset_ms)
{
	*offset_ms = conn && conn->clock_known ? conn->clock_offset_ms : 0;
	return conn && conn->clock_known;
}

static enum pgs_result pq_finish(const struct pg_call *c, struct pgs_conn *conn, bool commit);

/* One statement outside the row's transaction, in a bounded transaction
 * of its own; within it, as it is. */
static enum pgs_result run_bounded(const struct pg_call *c, struct pgs_conn *conn,
		const char *sql, int n, const char *const *params, PGresult **res)
{
	if (res)
		*res = NULL;
	if (!conn->broken && PQtransactionStatus(conn->pq) == PQTRANS_INTRANS)
		return run(c, conn, c->timeout_ms, sql, n, params, res);
	enum pgs_result r = begin(c, conn, c->timeout_ms, 0, 0);
	if (r == PG_OK)
		r = run(c, conn, c->timeout_ms, sql, n, params, res);
	enum pgs_result end = pq_finish(c, conn, r == PG_OK);
	if (r == PG_OK && end != PG_OK) {
		if (res) {
			PQclear(*res);
			*res = NULL;
		}
		r = end;
	}
	return r;
}

#define TABLE_SQL \
	"CREATE TABLE IF NOT EXISTS zoho_oauth_tokens (" \
	" profile text PRIMARY KEY," \
	" client_id text NOT NULL," \
	" accounts_server text NOT NULL," \
	" record text NOT NULL," \
	" issued bigint[] NOT NULL DEFAULT '{}'," \
	" updated_at timestamptz NOT NULL DEFAULT now()," \
	" updated_by text NOT NULL DEFAULT '')"

static enum pgs_result pq_setup(const struct pg_call *c, struct pgs_conn *conn)
{
	PGresult *res;
	enum pgs_result r = run_bounded(c, conn,
		"SELECT to_regclass('zoho_oauth_tokens') IS NOT NULL", 0, NULL, &res);
	if (r != PG_OK)
		return r;
	bool there = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (there)
		return PG_OK;
	r = run_bounded(c, conn, TABLE_SQL, 0, NULL, NULL);
	if (r == PG_FAILED) {
		/* Two first uses at once: the other one's table is as good. */
		if (run_bounded(c, conn, "SELECT to_regclass('zoho_oauth_tokens') IS NOT NULL", 0,
				NULL, &res) == PG_OK) {
			there = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
			PQclear(res);
			if (there)
				return PG_OK;
		}
	}
	return r;
}

/* Times as array_to_string() writes them ("1,2,3"); past PG_MAX_ISSUED,
 * the oldest go. */
static bool parse_times(const char *text, int64_t *times, int *n)
{
	*n = 0;
	if (!*text)
		return true;
	for (const char *p = text;;) {
		int64_t v = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 18) {
			v = v * 10 + (*p++ - '0');
			digits++;
		}
		if (!digits || (*p != ',' && *p != '\0'))
			return false;
		if (*n == PG_MAX_ISSUED) {
			memmove(times, times + 1, sizeof(times[0]) * (PG_MAX_ISSUED - 1));
			(*n)--;
		}
		times[(*n)++] = v;
		if (!*p)
			return true;
		p++;
	}
}

/* A record of client credentials (the record's JSON, as this tool
 * writes it), in SQL: its grants count with the client's others. */
#define CLIENT_GRANT(t) t ".record LIKE '%\"grant\":%\"client_credentials\"%'"
/* The row, what it counts, who wrote it when, and what the client's
 * other client-credentials rows count (only for such a row). */
#define ROW_SELECT \
	"SELECT record, array_to_string(issued, ','), updated_by, " \
	"extract(epoch from updated_at)::bigint, CASE WHEN " CLIENT_GRANT("t") " THEN " \
	"array_to_string(ARRAY(SELECT x FROM zoho_oauth_tokens o, unnest(o.issued) AS x " \
	"WHERE o.client_id = t.client_id AND o.accounts_server = t.accounts_server AND " \
	"o.profile <> t.profile AND " CLIENT_GRANT("o") " ORDER BY x), ',') ELSE '' END " \
	"FROM zoho_oauth_tokens t WHERE profile = $1"

static enum pgs_result pq_fetch(const struct pg_call *c, struct pgs_conn *conn, const char *profile,
		bool lock, int lock_ms, struct pg_row *out)
{
	PGresult *res = NULL;
	enum pgs_result r;
	const char *params[] = { profile };

	memset(out, 0, sizeof(*out));
	if (lock) {
		/* While we hold the row and ask Zoho, the transaction is idle:
		 * a server that ends idle transactions early would free the row
		 * for a second refresh. Not past what our request may take. */
		r = begin(c, conn, (long)lock_ms + c->timeout_ms, lock_ms > 0 ? lock_ms : 1,
			(long)c->hold_ms + c->timeout_ms);
		/* A row that isn't there yet can't be locked: the profile's name
		 * is, so that two first sign-ins don't overwrite each other. */
		if (r == PG_OK)
			r = run(c, conn, c->timeout_ms + lock_ms,
				"SELECT pg_advisory_xact_lock(hashtext('zoho_oauth_tokens:' || $1))", 1,
				params, NULL);
		/* Client credentials: Zoho counts the client's grants, whichever
		 * profile asked, so the client's profiles count under one lock
		 * (always taken after the profile's: no deadlock), held only by
		 * a transaction that may count, not while Zoho answers. */
		if (r == PG_OK && c->client_lock)
			r = run(c, conn, c->timeout_ms + lock_ms,
				"SELECT pg_advisory_xact_lock(hashtext('zoho_oauth_client:' || client_id "
					"|| ' ' || accounts_server)) FROM zoho_oauth_tokens t "
					"WHERE profile = $1 AND " CLIENT_GRANT("t"), 1, params, NULL);
	} else {
		r = PG_OK;
	}
	if (r == PG_OK && lock)
		r = run(c, conn, c->timeout_ms + lock_ms, ROW_SELECT " FOR UPDATE OF t", 1, params,
			&res);
	else if (r == PG_OK)
		r = run_bounded(c, conn, ROW_SELECT, 1, params, &res);
	if (r == PG_NOT_FOUND && lock && !conn->broken) {
		/* No table: the transaction failed; end it, so that a write can
		 * make the table and go on. */
		enum pgs_result end = pq_finish(c, conn, false);
		if (end != PG_OK)
			return end;
	}
	if (r != PG_OK)
		return r;
	if (PQntuples(res) != 1 || PQnfields(res) != 5) {
		PQclear(res);
		return PG_NOT_FOUND;
	}
	int len = PQgetlength(res, 0, 0);
	const char *issued = PQgetvalue(res, 0, 1);
	const char *by = PQgetvalue(res, 0, 2);
	char *end;
	long long at = strtoll(PQgetvalue(res, 0, 3), &end, 10);
	if (len <= 0 || len > RECORD_MAX || memchr(PQgetvalue(res, 0, 0), '\0', (size_t)len) ||
			PQgetlength(res, 0, 1) > PG_MAX_ISSUED * 24 * 4 ||
			!parse_times(issued, out->issued, &out->n_issued) ||
			!parse_times(PQgetvalue(res, 0, 4), out->shared, &out->n_shared) || *end) {
		say(c, "the row does not hold a token record this tool wrote");
		PQclear(res);
		return PG_FAILED;
	}
	snprintf(out->updated_by, sizeof(out->updated_by), "%s", by);
	out->updated_at = at;
	out->record = malloc((size_t)len + 1);
	if (!out->record) {
		say(c, "out of memory");
		PQclear(res);
		return PG_FAILED;
	}
	memcpy(out->record, PQgetvalue(res, 0, 0), (size_t)len);
	out->record[len] = '\0';
	PQclear(res);
	return PG_OK;
}

static enum pgs_result pq_put(const struct pg_call *c, struct pgs_conn *conn, const char *profile,
		const char *client_id, const char *accounts_server, const char *record,
		enum pg_change change, int64_t release_at, int64_t *counted_at, const char *by)
{
	static const char *const hows[] = {
		[PG_SAME] = "same", [PG_ONE_MORE] = "more", [PG_NEW_REFRESH] = "new",
		[PG_RELEASE] = "release",
	};
	char at[24];
	snprintf(at, sizeof(at), "%lld", (long long)release_at);
	const char *params[] = { profile, client_id, accounts_server, record, hows[change], by, at };
	/* issued: the Unix times of the access tokens issued for the current
	 * refresh token in the last hour (Zoho's limits count them), by the
	 * server's clock as the row is written, never a machine's. A release
	 * takes one occurrence of a time counted before out. */
	static const char sql[] =
		"WITH c AS (SELECT extract(epoch from clock_timestamp())::bigint AS now) "
		"INSERT INTO zoho_oauth_tokens AS t "
		"(profile, client_id, accounts_server, record, issued, updated_at, updated_by) "
		"SELECT $1, $2, $3, $4, CASE WHEN $5::text IN ('same', 'release') "
		"THEN '{}'::bigint[] ELSE ARRAY[c.now] END, clock_timestamp(), $6 FROM c "
		"ON CONFLICT (profile) DO UPDATE SET client_id = EXCLUDED.client_id, "
		"accounts_server = EXCLUDED.accounts_server, record = EXCLUDED.record, "
		"issued = CASE $5::text WHEN 'new' THEN ARRAY[(SELECT now FROM c)] "
		"WHEN 'more' THEN ARRAY(SELECT x FROM unnest(t.issued) AS x "
		"WHERE x >= (SELECT now FROM c) - 3600 AND x <= (SELECT now FROM c) + 3600 "
		"ORDER BY x) || (SELECT now FROM c) "
		"WHEN 'release' THEN COALESCE("
		"t.issued[1:array_position(t.issued, $7::bigint) - 1] || "
		"t.issued[array_position(t.issued, $7::bigint) + 1:], t.issued) "
		"ELSE t.issued END, updated_at = clock_timestamp(), updated_by = EXCLUDED.updated_by "
		"RETURNING (SELECT now FROM c)";
	PGresult *res;
	enum pgs_result r = run_bounded(c, conn, sql, 7, params, &res);
	if (r != PG_OK)
		return r;
	if (counted_at) {
		char *end;
		const char *text = PQntuples(res) == 1 && PQnfields(res) == 1 ?
			PQgetvalue(res, 0, 0) : "";
		long long v = strtoll(text, &end, 10);
		*counted_at = *text && !*end && v > 0 ? (int64_t)v : 0;
	}
	PQclear(res);
	return PG_OK;
}

static enum pgs_result pq_remove(const struct pg_call *c, struct pgs_conn *conn, const char *profile)
{
	const char *params[] = { profile };
	enum pgs_result r = run_bounded(c, conn, "DELETE FROM zoho_oauth_tokens WHERE profile = $1",
		1, params, NULL);
	return r == PG_NOT_FOUND ? PG_OK : r;  /* no table: nothing to remove */
}

static enum pgs_result pq_finish(const struct pg_call *c, struct pgs_conn *conn, bool commit)
{
	if (conn->broken)
		return commit ? PG_FAILED : PG_OK;
	PGTransactionStatusType ts = PQtransactionStatus(conn->pq);
	if (ts != PQTRANS_INTRANS && ts != PQTRANS_INERROR)
		return PG_OK;
	PGresult *res;
	enum pgs_result r = run(c, conn, c->timeout_ms, commit ? "COMMIT" : "ROLLBACK", 0, NULL, &res);
	if (r != PG_OK)
		return r;
	/* COMMIT of a transaction that failed says ROLLBACK. */
	if (commit && strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		say(c, "the database rolled the transaction back");
		r = PG_FAILED;
	}
	PQclear(res);
	return r;
}

static void pq_disconnect(struct pgs_conn *conn)
{
	if (!conn)
		return;
	PQfinish(conn->pq);
	free(conn);
}

static void pq_free_row(struct pg_row *row)
{
	if (row->record) {
		size_t n = strlen(row->record);
		volatile char *p = row->record;
		while (n--)
			*p++ = 0;
		free(row->record);
	}
	row->record = NULL;
}

static const struct pg_api api = {
	.version = PG_API_VERSION,
	.connect = pq_connect,
	.setup = pq_setup,
	.fetch = pq_fetch,
	.put = pq_put,
	.remove = pq_remove,
	.finish = pq_finish,
	.clock_offset = pq_clock_offset,
	.disconnect = pq_disconnect,
	.free_row = pq_free_row,
};

const struct pg_api *zoho_oauth_postgresql(void)
{
	return &api;
}
