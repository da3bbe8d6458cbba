#!/usr/bin/env python3
"""The PostgreSQL store, against a real PostgreSQL: a throwaway cluster of
the test's own (initdb and pg_ctl from Debian's postgresql, the socket in
the test's directory, no TCP; as nobody when the tests run as root).

A "machine" is a HOME with its own XDG directories and runtime directory:
one login on one of them, and the others have only a config profile that
names the same database. The mock Zoho enforces Zoho's limits (10 new
access tokens per refresh token per 10 minutes, a cap on live access
tokens) and answers 401 for a token it no longer honours.
(Its revoke is test-revoke.py's, its migrations test-migrate.py's.)"""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request

from harness import (BINARY, CLIENT_ID, SECRET, SKIP, Background, PgBouncer, PgCluster, check,
                     configure, faketime, fleet, in_private_network, login_args, machine, main,
                     mode_of, needs, no_audit, pgbouncer_available, postgresql_available,
                     read_json, row, run, setup_login, status_json, token_path, tool_env,
                     wait_for, write_config)


def at(seconds, env):
    """run()'s keywords for a machine's env, its clock seconds ahead
    (faketime: it reaches the full program only, never a static front: for
    a call the front may answer alone, move the token's times instead,
    age())."""
    k = faketime("%+d" % seconds)
    k["env"] = dict(env, **k["env"])
    return k


def refreshes(mock):
    return [e for e in mock.token_requests()
            if "grant_type=refresh_token" in e.get("body", "")]


def age(pg, envs, seconds):
    """As if seconds had gone by for the whole fleet: the shared access
    token's times and the times of the tokens counted against Zoho's
    limits moved back in the row, and the token's in each machine's cache.
    (The database's clock is the fleet's: faking one machine's clock makes
    that machine's clock wrong, not time pass.)"""
    record = row(pg)
    for k in ("expires_at", "obtained_at", "reserved_until"):
        if k in record:
            record[k] -= seconds
    pg.psql("UPDATE zoho_oauth_tokens SET record = $r$%s$r$, issued = ARRAY(SELECT x - %d "
            "FROM unnest(issued) AS x ORDER BY x) WHERE profile = 'default'"
            % (json.dumps(record), seconds))
    for env in envs:
        cache = read_json(token_path(env))["access_cache"]
        data = read_json(cache)
        for k in ("expires_at", "obtained_at"):
            data[k] -= seconds
        with open(cache, "w") as f:  # (in place: it stays 0600)
            json.dump(data, f)


def case_login_shares(home):
    """One login: the row holds the tokens (refresh token and client secret
    included), the machine that signed in keeps metadata without secrets,
    and a machine with only a config profile gets the same access token
    without any request to Zoho, and keeps its own metadata from then on."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    record = row(pg)
    check(record.get("refresh_token", "").startswith("1000.") and record.get("client_secret") ==
          SECRET, "the row lacks the refresh token or the client secret", record)
    check(row(pg, "array_length(issued, 1)") == "1", "the login's access token is not counted")
    meta = read_json(token_path(a))
    check(meta["store"] == pg.uri() and meta.get("refresh_token") is True and
          "client_secret" not in meta and mode_of(token_path(a)) == 0o600,
          "the local metadata is wrong", meta)
    before = len(mock.token_requests())
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == record["access_token"],
          "machine b did not get the shared token", r)
    check(len(mock.token_requests()) == before, "machine b asked zoho", mock.requests())
    check(os.path.exists(token_path(b)) and read_json(token_path(b)).get("refresh_token") is True,
          "machine b keeps no metadata, or secrets in it")
    # From the cache now: the database may even be gone.
    pg.stop()
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == record["access_token"],
          "machine b's cached token needed the database", r)
    pg.start()
    r = run(home, "status", env=c)
    check(r.returncode == 0 and "PostgreSQL" in r.stdout and
          "1 of 10 new access tokens" in r.stdout, "status shows no budget", r)
    r = run(home, "status", "--json", env=c)
    j = status_json(r)
    check(j["store"] == "postgresql" and j["budget"]["in_window"] == 1 and
          j["budget"]["window_cap"] == 10 and j["budget"]["spent_until"] is None,
          "status --json has no budget", r)
    # A second login on another machine finds the working token: no new
    # refresh token (Zoho keeps 20 per user).
    r = run(home, "login", "--timeout", "20", env=c)
    check(r.returncode == 0 and "nothing to do" in r.stderr, "login on machine c signed in again", r)


def case_fleet_burst(home):
    """Three machines, 20 `token` callers each, all at once, on an access
    token about to expire: Zoho sees exactly one refresh and all 60 print
    the same new token."""
    if not postgresql_available():
        return SKIP
    pg, mock, envs = fleet(home)
    for env in envs[1:]:
        r = run(home, "status", env=env)  # each machine's metadata and cache
        check(r.returncode == 0, "status", r)
    # 58 minutes on: 2 left, less than the 5-minute margin.
    age(pg, envs, 3480)
    before = len(refreshes(mock))
    results = []
    lock = threading.Lock()
    go = threading.Event()

    def caller(env):
        go.wait()
        r = run(home, "token", timeout=90, env=env)
        with lock:
            results.append(r)
    threads = [threading.Thread(target=caller, args=(env,)) for env in envs for _ in range(20)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(120)
    check(len(results) == 60 and all(r.returncode == 0 for r in results),
          "callers failed", [str(r) for r in results if r.returncode][:3])
    tokens = {r.stdout.strip() for r in results}
    check(len(refreshes(mock)) - before == 1, "zoho saw %d refreshes" % (len(refreshes(mock)) - before))
    check(len(tokens) == 1 and tokens == {row(pg)["access_token"]},
          "the callers printed different tokens", tokens)


def case_killed_refresher(home):
    """A refresher killed (SIGKILL) while Zoho is answering: its row lock
    dies with its connection, the next caller on another machine refreshes
    within the lock timeout, and the refresh token is intact."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home, "expires-in=200")
    refresh_token = row(pg)["refresh_token"]
    mock.set_mode("token-delay=30")
    bg = Background(home, "refresh", env=a)
    check(wait_for(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                                   "application_name LIKE 'zoho-oauth on %'") == "1", timeout=20),
          "the refresher never connected", bg.stderr())
    time.sleep(0.5)  # it holds the row now, and waits for Zoho
    os.kill(bg.pid(), signal.SIGKILL)
    bg.wait(10)
    mock.set_mode("token-delay=0,expires-in=3600")
    start = time.monotonic()
    r = run(home, "token", "--lock-timeout", "20", env=b)
    took = time.monotonic() - start
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"],
          "the next caller got no token", r)
    check(took < 20, "the next caller waited out the lock timeout (%.1fs)" % took)
    check(row(pg)["refresh_token"] == refresh_token, "the refresh token changed")


def case_row_busy(home):
    """A machine that can't have the row within --lock-timeout (another
    machine refreshes against a slow Zoho) gives up with exit 8, naming the
    row, not a lock file; the other machine's refresh is not disturbed."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    mock.set_mode("token-delay=6")
    bg = Background(home, "refresh", env=a)
    check(wait_for(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                                   "application_name LIKE 'zoho-oauth on %'") == "1", timeout=20),
          "the refresher never connected", bg.stderr())
    time.sleep(0.5)
    r = run(home, "refresh", "--lock-timeout", "2", env=b)
    check(r.returncode == 8 and "row in " + pg.uri() in r.stderr, "the busy row was not named", r)
    check(bg.wait(30) == 0, "the refresher failed", bg.stderr())
    check(len(refreshes(mock)) == 1, "more than one refresh", mock.requests())


HOLD_ROW = "BEGIN; SELECT 1 FROM zoho_oauth_tokens WHERE profile = 'default' FOR UPDATE; " \
           "SELECT pg_sleep(%d); COMMIT"


def row_held(pg):
    """Whether psql holds the row (its session waits in pg_sleep)."""
    return pg.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%%pg_sleep%%' "
                   "AND pid <> pg_backend_pid()") == "1"


def case_database_frozen(home):
    """The database host freezes (every server process stopped) while a
    refresh waits for the row: the refresh gives up within its limits
    (exit 9) instead of hanging, even on a signal-free path."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    holder = pg.psql_background(HOLD_ROW % 60)
    check(wait_for(lambda: row_held(pg), timeout=20), "psql never held the row")
    start = time.monotonic()
    bg = Background(home, "refresh", "--lock-timeout", "3", "--connect-timeout", "2", env=b)
    time.sleep(1)
    procs = pg.processes()
    for p in procs:
        os.kill(p, signal.SIGSTOP)
    try:
        try:
            rc = bg.wait(25)
        except Exception:
            rc = None
        took = time.monotonic() - start
    finally:
        for p in procs:
            os.kill(p, signal.SIGCONT)
    # The documented bound: the lock's wait and the connection's, 3 + 2 s,
    # for the whole conversation (and a little for starting up).
    check(rc == 9 and took < 6.5, "the refresh outlived its bound on a frozen database (%s, "
          "%.1fs)" % (rc, took), bg.stderr())
    holder.kill()


def case_login_idle_session(home):
    """A server (or a pooler) that ends idle sessions: the connection made
    to check the database before the browser is not the one the save uses,
    so a slow sign-in still lands in the row."""
    if not postgresql_available():
        return SKIP
    pg = PgCluster(home)
    pg.set("idle_session_timeout", "1s")
    mock, port = setup_login(home, "token-delay=2")
    r = run(home, *login_args(mock, port, "--store", pg.uri()))
    check(r.returncode == 0, "login with idle sessions ended", r)
    check(row(pg)["refresh_token"] == mock.issued_refresh_tokens()[-1],
          "the row lacks the new refresh token")


def case_login_signal_while_saving(home):
    """A sign-in whose save waits for the row (another machine holds it)
    is not stopped by SIGTERM: the refresh token Zoho just issued is saved
    once the row is free."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    old = row(pg)["refresh_token"]
    holder = pg.psql_background(HOLD_ROW % 4)
    check(wait_for(lambda: row_held(pg), timeout=20), "psql never held the row")
    # b signs in anew (a fresh port registered at the mock), while the row is held.
    mock_b, port_b = setup_login(home)
    configure(b, mock_b, pg.uri())
    bg = Background(home, *login_args(mock_b, port_b, "--store", pg.uri(), "--force",
                                      "--lock-timeout", "20"), env=b)
    check(wait_for(lambda: len(mock_b.token_requests()) == 1, timeout=20), "no exchange",
          bg.stderr())
    time.sleep(0.5)
    bg.signal(signal.SIGTERM)
    rc = bg.wait(30)
    holder.wait(30)
    new = row(pg)["refresh_token"]
    check(new != old and rc in (0, 143), "the new refresh token was lost (%s)" % rc, bg.stderr())


def case_idle_in_transaction(home):
    """A server that ends idle transactions early
    (idle_in_transaction_session_timeout) can't free the row while its
    holder waits for a slow Zoho: one refresh for two machines."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    pg.set("idle_in_transaction_session_timeout", "1s")
    mock.set_mode("token-delay=3")
    age(pg, [], 3480)  # 2 minutes left: b must wait for a's refresh
    before = len(refreshes(mock))
    bg = Background(home, "refresh", env=a)
    check(wait_for(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                                   "application_name LIKE 'zoho-oauth on %'") == "1", timeout=20),
          "the refresher never connected", bg.stderr())
    r = run(home, "token", env=b)
    check(bg.wait(30) == 0 and r.returncode == 0, "a caller failed", r, bg.stderr())
    check(len(refreshes(mock)) - before == 1, "%d refreshes" % (len(refreshes(mock)) - before))
    check(r.stdout.strip() == row(pg)["access_token"], "b did not get the stored token", r)


def case_clock_ahead(home):
    """A machine whose clock runs two minutes ahead spends the budget: a
    machine with the right clock counts those refreshes (the row's times
    are the database's), and holds back."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    for _ in range(9):
        r = run(home, "refresh", **at(120, a))
        check(r.returncode == 0, "refresh on a", r)
    r = run(home, "refresh", env=b)
    check(r.returncode == 5 and "have used what Zoho allows" in r.stderr,
          "b refreshed past the budget", r)
    check(len(refreshes(mock)) == 9, "%d refreshes" % len(refreshes(mock)))


def case_clock_off_an_hour(home):
    """The database's clock is the fleet's. The budget is spent (the
    login's token and nine refreshes in ten minutes): a machine whose clock
    is 61 minutes ahead, and one 61 minutes behind, hold back too (before,
    the one ahead took the fleet's times for a wrong clock, refreshed an
    11th time and wrote the times away). And a machine an hour behind takes
    the row's token as it is (before, a token obtained 'an hour in the
    future' was not believed and refreshed)."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    r = run(home, "token", **at(-3660, c))
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"],
          "a machine an hour behind did not take the row's token", r)
    check(len(refreshes(mock)) == 0, "a machine an hour behind refreshed", mock.requests())
    for _ in range(9):
        r = run(home, "refresh", env=a)
        check(r.returncode == 0, "refresh on a", r)
    for env, name in ((b, "ahead"), (c, "behind")):
        r = run(home, "refresh", **at(3660 if env is b else -3660, env))
        check(r.returncode == 5 and "have used what Zoho allows" in r.stderr,
              "the machine 61 minutes %s refreshed past the budget" % name, r)
    check(len(refreshes(mock)) == 9 and row(pg, "array_length(issued, 1)") == "10",
          "%d refreshes, the row counts %s" % (len(refreshes(mock)),
                                               row(pg, "array_length(issued, 1)")))


def case_clock_ahead_writes_database_time(home):
    """A machine ten minutes ahead refreshes: the row's expiry is the
    database's clock plus the token's hour, not its own (before, the others
    served a token for ten minutes after Zoho had ended it); it keeps its
    offset in its cache, and the times there by its own clock."""
    if not postgresql_available():
        return SKIP
    pg, mock, (_, b, c) = fleet(home)
    start = time.time()
    r = run(home, "refresh", **at(600, b))
    end = time.time()
    check(r.returncode == 0, "refresh on b", r)
    expires = row(pg)["expires_at"]
    check(start + 3600 - 2 <= expires <= end + 3600 + 2,
          "the row's expiry is %+.0f s off the database's clock" % (expires - end - 3600), row(pg))
    cache = read_json(read_json(token_path(b))["access_cache"])
    check(abs(cache.get("clock_offset", 0) + 600) <= 2 and
          abs(cache["expires_at"] - expires - 600) <= 2,
          "b's cache does not keep its offset and its own clock's times", cache)
    r = run(home, "token", env=c)
    cache = read_json(read_json(token_path(c))["access_cache"])
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"] and
          abs(cache["expires_at"] - expires) <= 2, "machine c did not take the row's token "
          "with the row's expiry", r, cache)


def case_counted_before_asking(home):
    """Count before you ask: nine refreshers killed (SIGKILL) while their
    request is at Zoho (the mock answers in 2 s) are each counted in the
    row, so once the login's token and those nine fill Zoho's ten per ten
    minutes, the next refresh holds back (exit 5) instead of being Zoho's
    eleventh; before, the row counted only the login and the next refresh
    went to Zoho. A refresh Zoho refuses is taken back out of the count,
    and no mark of it is left in the row."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    # A refusal first: counted while asked, taken back once Zoho said no.
    mock.set_mode("invalid-code")
    r = run(home, "refresh", env=a)
    check(r.returncode == 7, "a refused refresh", r)
    check(row(pg, "array_length(issued, 1)") == "1" and "reserved_until" not in row(pg),
          "the refused refresh is still counted or marked", row(pg, "issued"), row(pg))
    mock.set_mode("-invalid-code")
    mock.set_mode("token-delay=2")
    asked = len(refreshes(mock))
    for i in range(9):
        bg = Background(home, "refresh", env=b)
        check(wait_for(lambda: len(refreshes(mock)) == asked + i + 1, timeout=15),
              "refresh %d never reached zoho" % (i + 1), bg.stderr())
        check(row(pg, "array_length(issued, 1)") == str(i + 2),
              "refresh %d reached zoho uncounted" % (i + 1), row(pg, "issued"))
        os.kill(bg.pid(), signal.SIGKILL)
        bg.wait(10)
        # Its mark ('on its way') dies --max-time + 5 s on; forty seconds
        # pass for the whole fleet instead of waiting.
        age(pg, [], 40)
    r = run(home, "refresh", env=c)
    check(r.returncode == 5 and "have used what Zoho allows" in r.stderr,
          "the refresh after nine killed ones was not held back", r)
    check(len(refreshes(mock)) == asked + 9,
          "zoho saw %d refreshes" % (len(refreshes(mock)) - asked))


def case_others_wait_for_counted_refresh(home):
    """While machine a's counted refresh is at Zoho (the row's lock long
    let go, the mark in it), machine c, whose token needs a refresh too,
    waits for a's token instead of asking Zoho itself: one refresh."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    age(pg, [], 3500)  # 100 s left: past every margin
    mock.set_mode("token-delay=3")
    bg = Background(home, "refresh", env=a)
    check(wait_for(lambda: len(refreshes(mock)) == 1, timeout=15), "a never asked zoho",
          bg.stderr())
    check("reserved_until" in row(pg), "a's refresh is not marked in the row", row(pg))
    start = time.monotonic()
    r = run(home, "token", env=c)
    took = time.monotonic() - start
    check(bg.wait(30) == 0, "a's refresh failed", bg.stderr())
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"] and took > 1,
          "c did not wait for a's token (%.1f s)" % took, r)
    check(len(refreshes(mock)) == 1 and "reserved_until" not in row(pg),
          "%d refreshes; the mark left: %s" % (len(refreshes(mock)), "reserved_until" in row(pg)))


def case_dead_refreshers_mark(home):
    """A refresher killed while Zoho answers leaves its count and its mark
    (its hold on the row dies with its connection): a machine whose token
    needs a refresh does not ask Zoho while the mark lives (--max-time + 5
    s from when it was made: 8 s here), then renews; both refreshes are
    counted. That machine's clock is an hour behind the database's: the
    mark's time is the database's, read by its own clock like every other
    time of the row (before, it took the mark for live an hour longer)."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    age(pg, [], 3500)  # 100 s left: past every margin
    mock.set_mode("token-delay=30")
    bg = Background(home, "refresh", "--max-time", "3", env=a)
    check(wait_for(lambda: len(refreshes(mock)) == 1, timeout=15), "a never asked zoho",
          bg.stderr())
    marked = time.monotonic()
    os.kill(bg.pid(), signal.SIGKILL)
    bg.wait(10)
    mock.set_mode("token-delay=0")
    r = run(home, "token", "--lock-timeout", "20", **at(-3600, c))
    took = time.monotonic() - marked
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"],
          "c got no token", r)
    check(6 < took < 15, "c asked zoho %.1f s after the mark was made, not once it died" % took)
    check(len(refreshes(mock)) == 2 and row(pg, "array_length(issued, 1)") == "3",
          "%d refreshes, the row counts %s" % (len(refreshes(mock)),
                                               row(pg, "array_length(issued, 1)")))


def case_frozen_refresher(home):
    """A refresher frozen (SIGSTOP) while its counted request is at Zoho,
    for longer than its mark lives (--max-time + 5 s) and than the server
    lets its hold on the row sit idle: the fleet is not stuck behind it
    (machine c renews, counted too, within its lock timeout), and once the
    frozen one is continued, past curl's deadline, it fails without taking
    anything back or writing over c's token: Zoho saw two refreshes and
    the row counts three (the login's and both), holds c's token, no mark,
    and the same refresh token."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    age(pg, [], 3500)  # 100 s left: past every margin
    refresh_token = row(pg)["refresh_token"]
    mock.set_mode("token-delay=25")
    bg = Background(home, "refresh", "--max-time", "3", env=a)
    check(wait_for(lambda: len(refreshes(mock)) == 1, timeout=15), "a never asked zoho",
          bg.stderr())
    os.kill(bg.pid(), signal.SIGSTOP)
    frozen = time.monotonic()
    try:
        mock.set_mode("token-delay=0")
        r = run(home, "token", "--lock-timeout", "30", env=c)
        took = time.monotonic() - frozen
    finally:
        os.kill(bg.pid(), signal.SIGCONT)
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"] and took < 25,
          "c got no token while a was frozen, or waited out its lock timeout (%.1f s)" % took, r)
    served = r.stdout.strip()
    status = bg.wait(30)
    check(status == 6 and "within the time limit" in bg.stderr(),
          "the frozen refresher, continued past its deadline", status, bg.stderr())
    record = row(pg)
    check(len(refreshes(mock)) == 2 and row(pg, "array_length(issued, 1)") == "3",
          "zoho saw %d refreshes, the row counts %s" % (len(refreshes(mock)),
                                                       row(pg, "array_length(issued, 1)")))
    check(record["access_token"] == served and "reserved_until" not in record and
          record["refresh_token"] == refresh_token, "the row after the frozen refresher", record)


def case_late_refresher_does_not_send(home):
    """A refresh whose mark ('on its way', --max-time + 5 s: 6 s here) is
    over before its request could leave, and which no longer holds the
    row, asks Zoho nothing: another machine may be asking already. The
    database writes the count slowly (a trigger sleeps 7 s in it), and a
    session of psql, queued for the profile's lock behind the refresher,
    is given it as the count commits and keeps it 3 s (the refresher waits
    2 s to hold the row again), so the refresher gives up (status 9, said
    why), its count goes back, and Zoho sees nothing (before, it asked
    anyway)."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    age(pg, [], 3500)  # 100 s left: past every margin
    pg.psql("CREATE FUNCTION zoho_slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF "
            "cardinality(NEW.issued) > cardinality(OLD.issued) THEN PERFORM pg_sleep(7); END "
            "IF; RETURN NEW; END $$; CREATE TRIGGER zoho_slow BEFORE UPDATE ON "
            "zoho_oauth_tokens FOR EACH ROW EXECUTE FUNCTION zoho_slow()")
    bg = Background(home, "refresh", "--max-time", "1", env=a)
    check(wait_for(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE "
                                   "'%%UPDATE%%' AND state = 'active' AND pid <> "
                                   "pg_backend_pid()") == "1", timeout=15),
          "the count was never written", bg.stderr())
    # The profile's lock (a heavyweight lock: handed to the first waiter
    # as the count's transaction ends, before the refresher can ask again).
    holder = pg.psql_background("SELECT pg_advisory_lock(hashtext('zoho_oauth_tokens:default'));"
                                " SELECT pg_sleep(3)")
    try:
        check(wait_for(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                                       "wait_event_type = 'Lock' AND query LIKE "
                                       "'%%pg_advisory_lock%%' AND pid <> pg_backend_pid()")
                       == "1", timeout=15), "psql never queued for the lock", bg.stderr())
        status = bg.wait(40)
    finally:
        holder.kill()
    check(status == 9 and "nothing was asked of zoho" in bg.stderr(),
          "the late refresher", status, bg.stderr())
    check(len(refreshes(mock)) == 0, "zoho was asked after the mark was over", mock.requests())
    check(row(pg, "array_length(issued, 1)") == "1" and "reserved_until" not in row(pg),
          "the count or the mark was left", row(pg, "issued"), row(pg))


def case_row_not_writable(home):
    """A role that may lock the row but not write it (no INSERT, which the
    upsert needs): a refresh can't be counted in the row before it is
    asked for, so nothing is asked of Zoho (a refresh nobody counts could
    take the fleet past Zoho's limits); the still-valid token is served
    with a warning that says so, and once it has expired the call fails
    with status 9. The row is unchanged. (Before, the refresh was made,
    served, and left uncounted.)"""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    pg.psql("CREATE ROLE reader LOGIN; GRANT SELECT, UPDATE ON zoho_oauth_tokens TO reader")
    configure(b, mock, pg.uri(user="reader"))
    # 58 minutes on for the shared token (machine b has no cache yet): a
    # refresh is due.
    age(pg, [], 3480)
    was = row(pg)
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == was["access_token"] and
          "nothing was asked" in r.stderr and "warning" in r.stderr,
          "the still-valid token was not served with a warning", r)
    check(not refreshes(mock), "zoho was asked for a refresh nobody counted", mock.requests())
    check(row(pg) == was, "the row changed")
    age(pg, [b], 200)
    r = run(home, "token", env=b)
    check(r.returncode == 9 and "nothing was asked" in r.stderr and not refreshes(mock),
          "an expired token without a countable refresh", r, mock.requests())


def case_server_notices_escaped(home):
    """A server notice (a trigger's RAISE WARNING with terminal escapes)
    never reaches the terminal as it is."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    pg.psql("CREATE FUNCTION shout() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE WARNING E'\\033[2J\\033]0;owned\\007'; RETURN NEW; END $$; "
            "CREATE TRIGGER shout BEFORE UPDATE ON zoho_oauth_tokens FOR EACH ROW "
            "EXECUTE FUNCTION shout()")
    r = run(home, "refresh", env=b)
    check(r.returncode == 0 and "\x1b" not in r.stderr and "\x07" not in r.stderr,
          "a raw escape reached stderr", repr(r.stderr))


def api_alive(mock, token):
    req = urllib.request.Request(mock.api_url + "/api/v2/channels",
                                 headers={"Authorization": "Zoho-oauthtoken " + token})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status == 200
    except urllib.error.HTTPError:
        return False


def case_window_limits(home):
    """An hour of a fleet that refreshes far too often (every machine runs
    `refresh` every simulated two minutes, and `token` callers too), with
    the mock enforcing Zoho's ten per ten minutes and keeping only ten live
    access tokens: Zoho never throttles, nobody is ever handed a token Zoho
    has ended, and the refreshes that are held back say so and serve the
    current token."""
    if not postgresql_available():
        return SKIP
    pg, mock, envs = fleet(home, "access-cap=10")
    held_back = 0
    for step in range(30):  # 30 x 2 minutes
        if step:
            mock.advance(120)
            age(pg, envs, 120)
        for env in envs:
            r = run(home, "refresh", env=env)
            check(r.returncode in (0, 5), "refresh failed", r)
            if r.returncode == 5:
                check("have used what Zoho allows" in r.stderr, "held back without saying why", r)
                held_back += 1
            r = run(home, "token", env=env)
            check(r.returncode == 0, "token failed", r)
            check(api_alive(mock, r.stdout.strip()),
                  "step %d: machine was handed a token zoho has ended" % step, r)
    throttled = [a for a in open(mock.log_path + ".answers") if "Access Denied" in a]
    check(not throttled, "zoho throttled the fleet", throttled[:2])
    # 90 forced refreshes asked for in an hour; at most ten per hour may be
    # made without ending a live token.
    made = len(refreshes(mock))
    check(held_back > 0 and made <= 10 + 1, "the budget held nothing back: %d refreshes" % made)


def case_database_down(home):
    """The database stopped: a machine whose cached token still has time
    keeps serving it (the front needs no database; when a refresh is due,
    with a warning); a refresh that needs the database gives exit 9 within
    the connect timeout, saying which database; a machine that never
    cached the token gets exit 9 too; nothing is lost once it is back."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    r = run(home, "token", env=b)
    check(r.returncode == 0, "token", r)
    shared = r.stdout.strip()
    refresh_token = row(pg)["refresh_token"]
    pg.stop()
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == shared and not r.stderr,
          "the cached token needed the database", r)
    start = time.monotonic()
    # 56 minutes on, 4 left: less than the 5-minute margin, so a refresh
    # is due, and can't happen; the token still works: served.
    r = run(home, "token", "--connect-timeout", "3", **at(3360, b))
    check(r.returncode == 0 and r.stdout.strip() == shared and "warning" in r.stderr and
          pg.uri() in r.stderr, "the still-valid token was not served", r)
    r = run(home, "refresh", "--connect-timeout", "3", env=b)
    check(r.returncode == 9 and pg.uri() in r.stderr, "refresh with the database down", r)
    r = run(home, "token", "--connect-timeout", "3", env=c)
    check(r.returncode == 9 and pg.uri() in r.stderr, "a new machine with the database down", r)
    took = time.monotonic() - start
    check(took < 20, "three calls with the database down took %.1fs" % took)
    pg.start()
    r = run(home, "refresh", env=c)
    check(r.returncode == 0 and row(pg)["refresh_token"] == refresh_token,
          "refresh once the database is back", r)


def case_other_client(home):
    """A machine whose config names another client than the row's: told
    so (exit 1), nothing cached, nothing sent to Zoho."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b) = fleet(home, machines=2)
    configure(b, mock, pg.uri())
    cfg = os.path.join(b["XDG_CONFIG_HOME"], "zoho-oauth", "config")
    text = open(cfg).read().replace(CLIENT_ID, "1000.OTHERCLIENT")
    open(cfg, "w").write(text)
    before = len(mock.requests())
    r = run(home, "token", env=b)
    check(r.returncode == 1 and "1000.OTHERCLIENT" in r.stderr and "client_id" in r.stderr,
          "another client's tokens were served", r)
    check(not os.path.exists(token_path(b)) and len(mock.requests()) == before,
          "something was cached or sent")


def case_no_table_no_right(home):
    """A role that may not create the table: login says so before the
    browser opens (exit 9), naming the table, and nothing is written."""
    if not postgresql_available():
        return SKIP
    pg = PgCluster(home)
    pg.psql("CREATE ROLE fleet LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--store", pg.uri(user="fleet")))
    check(r.returncode == 9 and "zoho_oauth_tokens" in r.stderr and "may not create" in r.stderr,
          "no right to create the table", r)
    check(not home.browser_records(wait=False), "the browser opened")
    check(not os.path.exists(home.token_file()), "a file was written")
    # Made by the DBA as the README says, the role needs only the rights on it.
    pg.psql(open(os.path.join(os.path.dirname(__file__), "..", "data",
                              "postgresql-table.sql")).read())
    pg.psql("GRANT SELECT, INSERT, UPDATE, DELETE ON zoho_oauth_tokens TO fleet")
    r = run(home, *login_args(mock, port, "--store", pg.uri(user="fleet")))
    check(r.returncode == 0, "login into a table the DBA made", r)


def case_front_loads_no_libpq(home):
    """The cached-token path of a database profile maps no libpq."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a,) = fleet(home, machines=1)
    r = run(home, "token", env=dict(a, LD_DEBUG="libs"))
    check(r.returncode == 0, "token", r)
    check("libpq" not in r.stderr and "zoho-oauth-postgresql" not in r.stderr,
          "the cached token loaded libpq", r.stderr[-2000:])


@needs("!postgresql")
def case_not_built(home):
    """Built without libpq: a database store says so (exit 9) before the
    browser opens, and writes nothing."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--store", "postgresql://db.example/zoho"))
    check(r.returncode == 9 and "without PostgreSQL support" in r.stderr, "not built", r)
    check(not home.browser_records(wait=False) and not os.path.exists(home.token_file()),
          "the browser opened or a file was written")


def case_database_stops_while_expiring(home):
    """The database stops answering while the token runs out: exit 9, and
    the last message is the error (not warnings only)."""
    if not postgresql_available():
        return SKIP
    pg = PgCluster(home)
    mock, port = setup_login(home, "expires-in=12")
    r = run(home, *login_args(mock, port, "--store", pg.uri()))
    check(r.returncode == 0, "login", r)
    cache = read_json(read_json(home.token_file())["access_cache"])
    # 12 s tokens: the margin is half their life. Once 5 s are left, a
    # refresh is due and the token still valid; the database's silence
    # then outlasts it.
    time.sleep(max(0, cache["expires_at"] - 5 - time.time()))
    procs = pg.processes()
    for p in procs:
        os.kill(p, signal.SIGSTOP)
    try:
        r = run(home, "token", "--connect-timeout", "8", timeout=40)
    finally:
        for p in procs:
            os.kill(p, signal.SIGCONT)
    said = [l for l in r.stderr.splitlines() if l.startswith("zoho-oauth:")]
    check(r.returncode == 9 and said and said[-1].startswith("zoho-oauth: error:") and
          pg.uri() in said[-1], "no error said last", r)


def case_live_tokens_expire(home):
    """Only tokens still alive count against the live tokens: a token lives
    as long as Zoho said (20 s here), so ten issued 12 minutes ago (out of
    Zoho's 10-minute window too) hold nothing back, and the expired token
    is renewed (before, anything issued in the last hour counted as alive:
    exit 5, no refresh for 48 minutes)."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home, "expires-in=20")
    pg.psql("UPDATE zoho_oauth_tokens SET issued = ARRAY(SELECT extract(epoch FROM "
            "clock_timestamp())::bigint - 720 - g FROM generate_series(1, 10) AS g)")
    age(pg, [], 30)  # the login's 20 s token: expired
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"] and
          len(refreshes(mock)) == 1, "the expired token was not renewed", r)


def case_live_tokens_settable(home):
    """Zoho's pages give 10, 15 or 30 live access tokens per refresh token;
    the fleet counts against 10 unless its login was told more (live_tokens
    in the config): the row keeps the figure for every machine, and a
    machine's own config may only lower it. Forced refreshes two minutes
    apart (never ten in ten minutes): with 30 all twelve are made; a
    machine that says 10 holds back once ten are alive."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home, "access-cap=30", extra="live_tokens = 30\n")
    check(row(pg).get("live_tokens") == 30, "the login did not keep its figure in the row", row(pg))
    configure(c, mock, pg.uri(), "live_tokens = 10\n")
    check(status_json(run(home, "status", "--json", env=b))["budget"]["live_cap"] == 30,
          "machine b does not count against the row's 30")
    check(status_json(run(home, "status", "--json", env=c))["budget"]["live_cap"] == 10,
          "machine c's own 10 does not lower it")
    for step in range(1, 12):
        mock.advance(120)
        age(pg, [], 120)
        r = run(home, "refresh", env=b)
        check(r.returncode == 0, "refresh %d held back with a cap of 30" % step, r)
    check(len(refreshes(mock)) == 11 and row(pg).get("live_tokens") == 30,
          "the refreshes did not keep the row's figure", row(pg))
    mock.advance(120)
    age(pg, [], 120)
    r = run(home, "refresh", env=c)
    check(r.returncode == 5 and "have used what Zoho allows" in r.stderr,
          "machine c, at 10, did not hold back with twelve alive", r)
    check(len(refreshes(mock)) == 11, "machine c refreshed anyway")
    # A new login from a machine that says nothing: the strictest again.
    configure(a, mock, pg.uri())
    r = run(home, "login", "--force", "--timeout", "20", env=a)
    check(r.returncode == 0 and "live_tokens" not in row(pg), "the login kept the old figure", r)
    check(status_json(run(home, "status", "--json", env=b))["budget"]["live_cap"] == 10,
          "machine b's 30 raised the row's figure")


def case_refresh_ahead(home):
    """On a shared row, refresh ahead is how one machine renews the fleet's
    token before anyone waits: a machine past the soft margin is served at
    once and renews the row behind it; another that looks later finds the
    row renewed and asks Zoho nothing."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    run(home, "token", env=b)
    run(home, "token", env=c)
    age(pg, [a, b, c], 2600)  # 1,000 s left of the hour: past the soft margin
    old = row(pg)["access_token"]
    before = len(refreshes(mock))
    r = run(home, "token", env=dict(b, CI=None))
    check(r.returncode == 0 and r.stdout.strip() == old, "machine b was not served at once", r)
    check(wait_for(lambda: row(pg)["access_token"] != old, 15), "the row was not renewed ahead")
    check(len(refreshes(mock)) == before + 1, "expected one refresh", mock.requests())
    r = run(home, "token", env=dict(c, CI=None))
    check(r.returncode == 0, "machine c", r)
    time.sleep(2)
    check(len(refreshes(mock)) == before + 1, "machine c refreshed again", mock.requests())
    r = run(home, "token", env=dict(c, CI=None))
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"],
          "machine c did not get the renewed token", r)


def case_failed_ahead_keeps_machine(home):
    """A renewal ahead that fails (Zoho throttles it) is remembered in the
    machine's cache with what the cache held for the front: the machine's
    place among the fleet's refresh moments, its clock's offset and the
    next look at the row (before, the noted cache dropped them, and the
    front judged as a machine alone with no look at the row due)."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    configure(b, mock, pg.uri(), "machine_offset = 40\n")
    run(home, "token", env=b)
    age(pg, [b], 2600)  # 1,000 s left of the hour: past the soft margin
    mock.set_mode("throttle")
    r = run(home, "token", env=dict(b, CI=None))
    check(r.returncode == 0, "machine b was not served at once", r)
    path = read_json(token_path(b))["access_cache"]
    check(wait_for(lambda: "ahead_error" in read_json(path), 15),
          "the failed renewal ahead was not remembered", read_json(path))
    cache = read_json(path)
    check(cache.get("spread") == 400 and "clock_offset" in cache and cache.get("check_by"),
          "the cache noted after the failed renewal ahead", cache)


def case_refresh_moments_spread(home):
    """A fleet's machines reach the margins at moments of their own, so
    that a thousand of them don't all ask for the row in the same second.
    With 600 s left of the hour (not yet the 300 s margin of a machine
    alone) the machine furthest out (machine_offset = 100: 712 s) renews
    the row and waits for it; the one at 0 and the one half-way (506 s)
    serve their token and ask nothing. Behind the callers likewise: 1,500 s
    left is past the furthest one's soft moment (1,537 s), not the others'
    (1,125 and 1,331 s). The front judges by the place the full program
    wrote in the machine's cache."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    for env, offset in ((a, 0), (b, 50), (c, 100)):
        configure(env, mock, pg.uri(), "machine_offset = %d\n" % offset)
        r = run(home, "token", env=env)
        check(r.returncode == 0, "token on a fresh machine", r)
    caches = [read_json(read_json(token_path(env))["access_cache"]) for env in (a, b, c)]
    check([x.get("spread") for x in caches] == [None, 500, 1000],
          "the caches do not carry the machines' places", caches)

    age(pg, [a, b, c], 3000)  # 600 s left
    old = row(pg)["access_token"]
    before = len(refreshes(mock))
    for env, name in ((a, "a"), (b, "b")):
        r = run(home, "token", env=env)
        check(r.returncode == 0 and r.stdout.strip() == old,
              "machine %s did not serve its token" % name, r)
    check(len(refreshes(mock)) == before, "a machine renewed before its moment",
          mock.requests())
    r = run(home, "token", env=c)
    new = row(pg)["access_token"]
    check(r.returncode == 0 and new != old and r.stdout.strip() == new,
          "the machine furthest out did not renew the row at 600 s left", r)
    check(len(refreshes(mock)) == before + 1, "expected one refresh", mock.requests())

    # a and b take the renewed token at their next look at the row (as if
    # check_interval had gone by).
    for env, name in ((a, "a"), (b, "b")):
        path = read_json(token_path(env))["access_cache"]
        cache = read_json(path)
        cache["check_by"] = 1
        with open(path, "w") as f:
            json.dump(cache, f)
        r = run(home, "token", env=env)
        check(r.returncode == 0 and r.stdout.strip() == new,
              "machine %s did not take the renewed token from the row" % name, r)

    # Behind the callers: refresh ahead on (CI unset), 1,500 s left.
    age(pg, [a, b, c], 2100)
    old = row(pg)["access_token"]
    before = len(refreshes(mock))
    for env, name in ((a, "a"), (b, "b")):
        r = run(home, "token", env=dict(env, CI=None))
        check(r.returncode == 0 and r.stdout.strip() == old,
              "machine %s was not served at once" % name, r)
    time.sleep(2)
    check(len(refreshes(mock)) == before and row(pg)["access_token"] == old,
          "a machine renewed ahead before its moment", mock.requests())
    r = run(home, "token", env=dict(c, CI=None))
    check(r.returncode == 0 and r.stdout.strip() == old, "machine c was not served at once", r)
    check(wait_for(lambda: row(pg)["access_token"] != old, 15),
          "the machine furthest out did not renew the row behind its caller")
    check(len(refreshes(mock)) == before + 1, "expected one refresh", mock.requests())


def transactions(pg):
    """Transactions the database has seen (each call of this adds one, once
    its connection ends)."""
    return int(pg.psql("SELECT xact_commit + xact_rollback FROM pg_stat_database "
                       "WHERE datname = current_database()"))


def case_spent_budget_remembered(home):
    """The fleet has used what Zoho allows (ten new access tokens in ten
    minutes) and the token has expired: the first call learns it from the
    row and says until when (exit 5); the machine remembers it in its
    cache, and the next 29 calls say the same without a database
    transaction. What the cache kept for the front (the machine's place
    among the fleet's refresh moments, its clock's offset, the next look
    at the row) is kept beside what it remembers (failed_ahead_keeps_machine
    is the path where it was lost)."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    configure(b, mock, pg.uri(), "machine_offset = 40\n")
    for _ in range(9):
        r = run(home, "refresh", env=a)
        check(r.returncode == 0, "refresh", r)
    run(home, "token", env=b)
    age(pg, [a, b], 3700)
    r = run(home, "token", env=b)
    check(r.returncode == 5 and "have used what Zoho allows" in r.stderr, "the first call", r)
    cache = read_json(read_json(token_path(b))["access_cache"])
    check(cache.get("budget_until") and cache.get("spread") == 400 and "clock_offset" in cache
          and cache.get("check_by"), "the cache noted with the spent budget", cache)
    before = transactions(pg)
    overhead = transactions(pg) - before  # what a look itself costs
    before += overhead
    for _ in range(29):
        r = run(home, "token", env=b)
        check(r.returncode == 5 and "have used what Zoho allows" in r.stderr and
              "until" in r.stderr, "a later call", r)
    spent = transactions(pg) - before - overhead
    check(spent == 0, "29 calls made %d database transactions" % spent)
    check(len(refreshes(mock)) == 9, "zoho was asked", mock.requests())


def case_through_pgbouncer(home):
    """Through PgBouncer in transaction mode with a pool of one server
    connection (every transaction may get the connection another client
    just had): sign-in, shared tokens, one refresh for a burst on two
    machines, and no setting of ours left on the server connection for the
    next client (a session-level SET would follow the connection)."""
    if not postgresql_available() or not pgbouncer_available():
        return SKIP
    bouncers = []

    def through(pg):
        bouncers.append(PgBouncer(home, pg, pool_size=1))
        return bouncers[0].uri()
    pg, mock, (a, b, c) = fleet(home, "token-delay=0.3", through=through)
    bouncer = bouncers[0]
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"],
          "machine b did not get the shared token through the pooler", r)
    age(pg, [a, b], 3500)
    before = len(refreshes(mock))
    procs = [Background(home, "token", env=env) for env in (a, b, a, b, a, b)]
    for p in procs:
        check(p.wait(60) == 0, "a caller failed through the pooler", p.stderr())
    check(len(refreshes(mock)) == before + 1, "the burst made %d refreshes"
          % (len(refreshes(mock)) - before), mock.requests())
    for setting in ("statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
        check(bouncer.psql("SHOW %s" % setting) == "0",
              "%s of ours stayed on the pooled server connection" % setting)


def case_pooler_queue_full(home):
    """A pooler whose queue of connections waiting to be accepted is full
    (PgBouncer with a listen backlog of 1, sixty machines connecting at
    once): a local socket's connect says EAGAIN at once, where TCP would
    retry; the store retries within its deadline, so every caller gets
    the row's token (before, some gave up with status 9)."""
    if not postgresql_available() or not pgbouncer_available():
        return SKIP
    bouncers = []

    def through(pg):
        bouncers.append(PgBouncer(home, pg, pool_size=2, backlog=1))
        return bouncers[0].uri()
    pg, mock, (a, b, c) = fleet(home, through=through)
    envs = [machine(home, "q%d" % i) for i in range(60)]
    for env in envs:
        configure(env, mock, bouncers[0].uri())
    shared = row(pg)["access_token"]
    procs = [subprocess.Popen([BINARY, "token"], env=tool_env(home, env),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for env in envs]
    results = [(p.wait(60), p.stdout.read().strip(), p.stderr.read()) for p in procs]
    failed = [r for r in results if r[0] != 0 or r[1] != shared]
    check(not failed, "%d of 60 callers failed" % len(failed), failed[:2])


@no_audit  # the signal would reach strace too
def silent_name_server(home):
    """This case, again, in a network of its own whose name server (on
    loopback) swallows every question: the resolver would wait 30 s."""
    in_private_network(home, resolv="nameserver 127.0.0.1\noptions timeout:30 attempts:1\n")
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 53))
    return sink


def lookup_bounded(home, env, what, said):
    """'token' waits on the name server: within --connect-timeout (exit
    9, saying one of said), and Ctrl-C ends the wait at once (exit 130)."""
    r = run(home, "token", "--connect-timeout", "2", env=env, timeout=60)
    check(r.returncode == 9 and r.elapsed < 5, "%s outlived --connect-timeout (%.1f s)"
          % (what, r.elapsed), r)
    check(any(s in r.stderr for s in said), "not said why", r)
    p = subprocess.Popen([BINARY, "token", "--connect-timeout", "20"], env=tool_env(home, env),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    check(p.returncode == 130 and time.monotonic() - start < 2,
          "Ctrl-C did not end %s at once (%.1f s, exit %d)"
          % (what, time.monotonic() - start, p.returncode), err)


def case_name_lookup_bounded(home):
    """A database host whose name server never answers (the resolver would
    wait 30 s): the lookup is ours, so --connect-timeout bounds it (exit 9
    within it) and Ctrl-C ends it at once (exit 130)."""
    sink = silent_name_server(home)
    mock = home.mock()
    write_config(home, "[profile default]\nclient_id = %s\naccounts_url = %s\nstore = "
                 "postgresql://postgres@db.fleet.example/postgres\n" % (CLIENT_ID, mock.url))
    lookup_bounded(home, None, "the lookup", ("db.fleet.example", "name server"))
    sink.close()


def case_service_lookup_bounded(home):
    """The same name server, the host named by a service (store =
    service=fleet, its host in the file $PGSERVICEFILE names): we find the
    host where and as libpq would and look it up ourselves, so
    --connect-timeout bounds it and Ctrl-C ends it at once (before, libpq
    looked it up: 30 s, exit 9, deaf to Ctrl-C)."""
    sink = silent_name_server(home)
    mock = home.mock()
    services = os.path.join(home.root, "pg_service.conf")
    with open(services, "w") as f:
        # As libpq reads it: trimmed lines, '#' comments, the first
        # group of the name (not one whose name starts with it, nor a
        # later one of the same name).
        f.write("[fleet2]\nhost=127.0.0.1\n\n[fleet]\n  # the fleet's database\n"
                "  host=db.fleet.example  \n  port=5432\n  dbname=postgres\n  user=postgres\n"
                "\n[fleet]\nhost=127.0.0.1\n")
    write_config(home, "[profile default]\nclient_id = %s\naccounts_url = %s\nstore = "
                 "service=fleet\n" % (CLIENT_ID, mock.url))
    lookup_bounded(home, {"PGSERVICEFILE": services}, "the service's lookup", ("name server",))
    sink.close()


def case_service_names_the_database(home):
    """store = service=fleet, the service (in $PGSERVICEFILE) naming the
    cluster's socket directory: sign-in and a second machine's token go
    through it, as libpq reads it (nothing of ours to look up)."""
    if not postgresql_available():
        return SKIP
    services = os.path.join(home.root, "pg_service.conf")
    home.env["PGSERVICEFILE"] = services

    def through(pg):
        with open(services, "w") as f:
            f.write("[fleet]\nhost=%s\ndbname=postgres\nuser=postgres\n" % pg.socket_dir)
        return "service=fleet"
    pg, mock, (a, b, c) = fleet(home, through=through)
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"],
          "machine b did not get the row's token through the service", r)


def case_read_before_lock(home):
    """A machine whose cached token has expired reads the row before it
    locks it: another machine renewed the token already, so it takes that
    one at once and never waits for the row, which someone holds."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    run(home, "token", env=b)
    age(pg, [a, b], 3700)  # both caches and the row: expired
    r = run(home, "refresh", env=a)
    check(r.returncode == 0, "machine a's refresh", r)
    renewed = row(pg)["access_token"]
    before = len(refreshes(mock))
    holder = pg.psql_background(HOLD_ROW % 60)
    check(wait_for(lambda: row_held(pg), timeout=20), "psql never held the row")
    try:
        r = run(home, "token", "--lock-timeout", "5", env=b)
    finally:
        holder.kill()
    check(r.returncode == 0 and r.stdout.strip() == renewed and r.elapsed < 3,
          "machine b waited for the row instead of reading it (%.1f s)" % r.elapsed, r)
    check(len(refreshes(mock)) == before, "machine b refreshed again", mock.requests())


def case_revoke_reaches_fleet(home):
    """A revoke on one machine reaches the others: each serving its cached
    token looks at the row at most every check_interval seconds (here 1),
    and once it is gone says so, forgets the tokens too and exits 7; a new
    login elsewhere is taken up the same way. Between looks, the cache
    serves without asking the database."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home, extra="check_interval = 1\n")
    for env in (b, c):
        r = run(home, "token", env=env)
        check(r.returncode == 0, "a machine's first token", r)
    # A new login on a: the others take it up at their next look.
    r = run(home, "login", "--force", "--timeout", "20", env=a)
    check(r.returncode == 0, "the new login on machine a", r)
    time.sleep(1.2)
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"],
          "machine b kept serving the tokens a new login replaced", r)
    r = run(home, "revoke", env=a)
    check(r.returncode == 0 and "stop serving their cached access token within 1 second" in
          r.stderr, "revoke does not say how long until every machine stops", r)
    time.sleep(1.2)
    for env in (b, c):
        r = run(home, "token", env=env)
        check(r.returncode == 7 and "revoked on another machine" in r.stderr,
              "a machine still served a revoked profile's token", r)
        check(not os.path.exists(token_path(env)), "the machine did not forget the tokens")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES, needs=("postgresql",))
