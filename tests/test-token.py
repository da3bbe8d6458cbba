#!/usr/bin/env python3
"""token, header and refresh: the cached token and the small front that
serves it, a refresh when one is due, and only one however many callers
(the lock, single flight), Zoho's throttle and limits, a refresh token
that no longer works, and clocks that are wrong. Against the mock Zoho
Accounts server; token files are written as login writes them."""
import concurrent.futures
import os
import shutil
import subprocess
import time

from harness import (BINARY, CLIENT_ID, SCOPES, SECRET, SKIP, Background, Holder, body_of, check,
                     current_tokens, file_state, lock_of, login_args, main, mode_of, no_audit, read_json, run,
                     setup_login, status_json, wait_for, write_config, write_tokens)


# --- the cached token and the front ---

def case_cached(home):
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "token", r)
    r = run(home, "header")
    check(r.returncode == 0 and
          r.stdout == "Authorization: Zoho-oauthtoken %s\n" % data["access_token"], "header", r)
    check(r.stderr == "", "a cached token should print nothing on stderr", r)
    check(mock.requests() == [], "a token with time left made a request")
    check(not os.path.exists(home.token_file() + ".lock"), "the fast path took the lock")


def loaded_libraries(home, *args):
    """The shared libraries the dynamic loader opened for a run."""
    r = run(home, *args, env={"LD_DEBUG": "libs"})
    return r, {line.split("file=", 1)[1].split()[0] for line in r.stderr.splitlines()
               if "file=" in line}


def elf_interpreter(path):
    """The PT_INTERP of a 64-bit little-endian ELF file (the dynamic
    loader it asks for), or None: a static program has none."""
    import struct
    with open(path, "rb") as f:
        head = f.read(64)
        check(head[:4] == b"\x7fELF" and head[4] == 2 and head[5] == 1, "not a 64-bit LE ELF", path)
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, p_offset, _, _, p_filesz = struct.unpack("<IIQQQQ", f.read(40))
            if p_type == 3:
                f.seek(p_offset)
                return f.read(p_filesz).rstrip(b"\0").decode()
    return None


def case_front_static(home):
    """Where the build links the front statically (no sanitizer, Debian's
    archives there: meson says so to the tests), it asks for no dynamic
    loader at all, still serves a cached token and still hands a refresh
    to the full program; otherwise it is dynamic."""
    static = os.environ.get("ZOHO_OAUTH_STATIC_FRONT")
    check(static in ("0", "1"), "meson did not say how the front is linked")
    interp = elf_interpreter(BINARY)
    if static == "0":
        check(interp, "a dynamic front without a dynamic loader?")
        return
    check(interp is None, "the front asks for the dynamic loader %s" % interp)
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "no token", r)
    write_tokens(home, mock, expires_in=10)
    r = run(home, "token")
    check(r.returncode == 0 and len(mock.token_requests()) == 1 and
          r.stdout.strip() == current_tokens(home)["access_token"], "no refresh", r)


def case_fast_path(home):
    """A cached token is served without loading the network libraries; a
    refresh loads them (in the full program)."""
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    r, libs = loaded_libraries(home, "token")
    check(r.stdout == data["access_token"] + "\n", "no token", r)
    heavy = [l for l in libs if "curl" in l or "microhttpd" in l or "gnutls" in l or "glib" in l]
    check(not heavy, "the cached path loaded %s" % heavy)
    write_tokens(home, mock, expires_in=10)
    r, libs = loaded_libraries(home, "token")
    check(r.returncode == 0 and any("curl" in l for l in libs), "a refresh did not use libcurl", r)
    check(len(mock.token_requests()) == 1, "expected one refresh")


def case_front_defers(home):
    """What the front doesn't serve gets the full program's answer."""
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    for args, status in ((["token", "--min-valid", "5000"], 2), (["token", "--profile", "../x"], 2),
                         (["token", "--bogus"], 2), (["header", "--token-file", ""], 2),
                         (["token", "--max-time", "soon"], 2), (["token", "extra"], 2),
                         (["token", "--help"], 0), (["token", "--min-valid"], 2)):
        r = run(home, *args)
        check(r.returncode == status, "%s should exit %d" % (args, status), r)
        check(data["access_token"] not in r.stdout, "%s printed the token" % args, r)
    for args in (["token", "--min-valid=60"], ["token", "--profile=default", "-q"],
                 ["header", "-v", "--token-file", home.token_file()],
                 ["token", "--max-time", "5"]):
        r = run(home, *args)
        # (-v says where the token came from; token@verbose_source.)
        said = "" if "-v" not in args else \
            "zoho-oauth: debug: profile 'default': the stored access token, valid for"
        check(r.returncode == 0 and data["access_token"] in r.stdout and
              r.stderr.startswith(said) and r.stderr.count("\n") == (1 if said else 0), args, r)
    check(mock.requests() == [], "a cached token made a request")


def case_front_options_first(home):
    """Options before the command (zoho-oauth -p work token, as in git) are
    the same options: a cached token is still the front's to serve, without
    the full program; what the front doesn't serve gets the full program's
    answer, as after the command."""
    mock = home.mock()
    work = write_tokens(home, mock, profile="work", expires_in=3000,
                        access_token="1000.access.work")["access_token"] + "\n"
    default = write_tokens(home, mock, expires_in=3000, refresh="1000.refresh.default",
                           access_token="1000.access.default")["access_token"] + "\n"
    header = "Authorization: Zoho-oauthtoken "
    for args, want in ((["-p", "work", "token"], work),
                       (["--profile", "work", "header"], header + work),
                       (["--profile=work", "-q", "token"], work),
                       (["-q", "token"], default),
                       (["--token-file", home.token_file("work"), "token"], work),
                       (["-v", "--min-valid", "60", "header", "-p", "work"], header + work)):
        r, libs = loaded_libraries(home, *args)
        check(r.returncode == 0 and r.stdout == want, "%s: not the cached token" % args, r)
        heavy = [l for l in libs if "curl" in l or "microhttpd" in l or "gnutls" in l]
        check(not heavy, "%s: the full program served it (it loaded %s)" % (args, heavy))
        r = run(home, *args)
        said = "" if "-v" not in args else "zoho-oauth: debug: profile 'work': the stored"
        check(r.returncode == 0 and r.stdout == want and r.stderr.startswith(said) and
              r.stderr.count("\n") == (1 if said else 0), args, r)
    for args, status in ((["--json", "token"], 2), (["--min-valid", "5000", "token"], 2),
                         (["-p", "work"], 2), (["--bogus", "token"], 2),
                         (["-p", "work", "--help", "token"], 0)):
        r = run(home, *args)
        check(r.returncode == status, "%s should exit %d" % (args, status), r)
        check(work not in r.stdout and default not in r.stdout, "%s printed a token" % args, r)
    check(mock.requests() == [], "a cached token made a request")


def case_min_valid(home):
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=120)
    r = run(home, "token", "--min-valid", "60")
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "token", r)
    check(mock.requests() == [], "--min-valid 60 still refreshed a token with 120 s left")
    r = run(home, "header", "--min-valid", "600")
    check(r.returncode == 0 and len(mock.token_requests()) == 1, "--min-valid 600", r)


def case_missing(home):
    for cmd in ("token", "header", "refresh", "revoke"):
        r = run(home, cmd)
        check(r.returncode == 7, "%s without a token file should exit 7" % cmd, r)
        check("zoho-oauth login" in r.stderr and home.token_file() in r.stderr, "message", r)


# --- refresh ---

def case_refresh_when_expiring(home):
    mock = home.mock()
    old = write_tokens(home, mock, expires_in=120)
    r = run(home, "token")
    check(r.returncode == 0, "token failed", r)
    reqs = mock.token_requests()
    check(len(reqs) == 1, "expected one refresh request", reqs)
    b = body_of(reqs[0])
    check(b["grant_type"] == ["refresh_token"] and b["refresh_token"] == [old["refresh_token"]]
          and b["client_secret"] == [SECRET] and b["client_id"] == [CLIENT_ID], "request", b)
    check(reqs[0]["query"] == "", "the refresh put something in the URL", reqs[0])
    new = current_tokens(home)
    check(r.stdout == new["access_token"] + "\n", "printed token is not the stored one", r)
    check(new["access_token"] != old["access_token"], "the access token did not change")
    check(new["refresh_token"] == old["refresh_token"], "the refresh token was not kept")
    check(abs(new["expires_at"] - time.time() - 3600) < 60, "expires_at not renewed", new)
    check(new["client_secret"] == SECRET and new["scope"] == old["scope"], "fields lost", new)
    check(mode_of(home.token_file()) == 0o600, "the file is no longer 0600")
    # Still fresh: the next call makes no request.
    r = run(home, "token")
    check(r.stdout == new["access_token"] + "\n" and len(mock.token_requests()) == 1,
          "a fresh token was refreshed again", r)


def case_expiry_from_the_request(home):
    """A token's life begins when Zoho issues it, which is no earlier than
    the request left: its expiry is counted from then, so an answer that
    takes its time to arrive (4 s here), or a refresher stopped while it
    does, can't make the token seem to live longer than it does (before,
    the expiry was counted from when the answer was read: 4 s late)."""
    mock = home.mock("expires-in=30", "answer-delay=4")
    write_tokens(home, mock, expires_in=-10)
    r = run(home, "refresh")
    check(r.returncode == 0, "refresh", r)
    [req] = mock.token_requests()
    new = current_tokens(home)
    check(new["expires_at"] <= req["time"] + 30 + 1 and new["expires_at"] - new["obtained_at"]
          == 30, "the expiry counted from the answer, not the request (%.1f s after it)"
          % (new["expires_at"] - req["time"] - 30), new)


def case_forced_refresh(home):
    mock = home.mock()
    old = write_tokens(home, mock, expires_in=3000)
    r = run(home, "refresh")
    check(r.returncode == 0 and r.stdout == "", "refresh", r)
    check(len(mock.token_requests()) == 1, "refresh made no request")
    new = current_tokens(home)
    check(new["access_token"] != old["access_token"], "the token did not change")
    check(new["refresh_token"] == old["refresh_token"], "the refresh token changed")
    check(new["access_token"] not in r.stderr, "the token was printed on stderr", r)


def case_refresh_online(home):
    """refresh on a profile signed in with online access: it says there is
    no refresh token and how to get one, not that the token is 'about to
    expire'; Zoho is not asked."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000, refresh=None)
    r = run(home, "refresh")
    check(r.returncode == 7, "refresh without a refresh token should exit 7", r)
    check("about to expire" not in r.stderr and "has expired" not in r.stderr,
          "misleading message", r)
    check("no refresh token" in r.stderr and "online access" in r.stderr
          and "zoho-oauth login --access-type offline" in r.stderr,
          "the message does not say how to get a refresh token", r)
    check(not mock.token_requests(), "Zoho was asked", mock.requests())
    write_tokens(home, mock, profile="work", expires_in=3000, refresh=None)
    r = run(home, "refresh", "--profile", "work")
    check(r.returncode == 7 and "zoho-oauth login --profile work --access-type offline"
          in r.stderr, "the hint does not name the profile", r)


def case_online_expired(home):
    """token on an expired online-access profile: exit 7, 'has expired',
    and the way to a refresh token; Zoho is not asked."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10, refresh=None)
    r = run(home, "token")
    check(r.returncode == 7 and "no refresh token" in r.stderr, "online token expired", r)
    check("has expired" in r.stderr and "--access-type offline" in r.stderr, "message", r)
    check(mock.requests() == [], "Zoho was asked anyway")


def case_revoked_refresh_token(home):
    mock = home.mock()
    write_tokens(home, mock, expires_in=10, refresh=None)
    write_tokens(home, None, expires_in=10, refresh="1000.revoked.elsewhere",
                 accounts_server=mock.url)
    before = file_state(home.token_file())
    r = run(home, "token")
    check(r.returncode == 7, "a revoked refresh token should exit 7", r)
    check("zoho-oauth login" in r.stderr and "revoked" in r.stderr, "message", r)
    check(file_state(home.token_file()) == before, "the token file changed")


# --- Zoho's throttle and limits ---

def tokens_but_throttle(path):
    """The token file without the throttle it remembers."""
    data = read_json(path)
    data.pop("throttled_until", None)
    return data


def case_throttle(home):
    """An expired token and Zoho's throttle: status 5, saying until when,
    and the throttle is remembered: the next call doesn't ask Zoho."""
    mock = home.mock("throttle")
    write_tokens(home, mock, expires_in=-10)
    before = read_json(home.token_file())
    r = run(home, "token")
    check(r.returncode == 5, "the throttle should exit 5", r)
    check("throttl" in r.stderr and "until" in r.stderr, "message does not say until when", r)
    check("You have made too many requests" in r.stderr, "Zoho's error_description not shown", r)
    check(r.stdout == "", "something was printed on stdout", r)
    check(tokens_but_throttle(home.token_file()) == before, "the tokens changed")
    until = read_json(home.token_file()).get("throttled_until", 0)
    check(abs(until - time.time() - 600) < 30, "the throttle was not remembered", until)
    r = run(home, "token")
    check(r.returncode == 5 and len(mock.token_requests()) == 1,
          "a call inside the throttle window asked Zoho again", r)
    check(mode_of(home.token_file()) == 0o600, "the token file is no longer 0600")


def case_throttle_token_valid(home):
    """Zoho throttles the refresh while the access token still has time
    left: the token is printed (exit 0) with a warning that says until
    when, and nobody asks Zoho again within the window."""
    mock = home.mock("throttle")
    data = write_tokens(home, mock, expires_in=120)
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "the valid token", r)
    check("still valid" in r.stderr and "error:" not in r.stderr, "no warning", r)
    check("too many requests" in r.stderr, "Zoho's description not shown", r)
    r = run(home, "header")
    check(r.returncode == 0 and data["access_token"] in r.stdout, "header", r)
    check("until" in r.stderr and len(mock.token_requests()) == 1, "asked again", r)


def case_throttle_without_status(home):
    """The throttle recognised by its error text without status failure."""
    mock = home.mock("throttle-nostatus")
    write_tokens(home, mock, expires_in=-10)
    r = run(home, "token")
    check(r.returncode == 5 and "throttl" in r.stderr and "10 minutes" in r.stderr, "throttle", r)
    check("too many requests" in r.stderr, "Zoho's description not shown", r)


def case_refresh_limit(home):
    """Zoho's own limit: the 11th refresh within 10 minutes is refused."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    for i in range(10):
        r = run(home, "refresh")
        check(r.returncode == 0, "refresh %d failed" % (i + 1), r)
    before = current_tokens(home)
    r = run(home, "refresh")
    check(r.returncode == 5 and "10 minutes" in r.stderr, "the 11th refresh", r)
    check(tokens_but_throttle(home.token_file()) == before, "the tokens changed")
    # Remembered: a 12th is not even sent.
    r = run(home, "refresh")
    check(r.returncode == 5 and len(mock.token_requests()) == 11, "a 12th refresh was sent", r)


# --- single flight: many callers, one refresh ---

def case_concurrent(home):
    """Twenty callers on an expiring token: one refresh, one token."""
    mock = home.mock("token-delay=0.5")
    write_tokens(home, mock, expires_in=30)
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        runs = list(pool.map(lambda _: run(home, "token"), range(20)))
    for r in runs:
        check(r.returncode == 0, "a concurrent token call failed", r)
    outputs = {r.stdout for r in runs}
    check(len(outputs) == 1, "the callers printed different tokens", outputs)
    check(len(mock.token_requests()) == 1,
          "expected exactly one refresh, saw %d" % len(mock.token_requests()))
    check(outputs.pop() == current_tokens(home)["access_token"] + "\n", "not the stored one")


def case_short_lived_tokens(home):
    """Zoho may issue access tokens that live less than --min-valid: twenty
    callers on an expired token still make one refresh, and the next call
    uses the new token."""
    mock = home.mock("expires-in=120", "token-delay=0.5")
    write_tokens(home, mock, expires_in=-10)
    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        runs = list(pool.map(lambda _: run(home, "token"), range(20)))
    for r in runs:
        check(r.returncode == 0, "a caller failed", r)
    check(len({r.stdout for r in runs}) == 1, "the callers printed different tokens")
    check(len(mock.token_requests()) == 1, "%d refreshes for 20 callers" % len(mock.token_requests()))
    r = run(home, "token")
    check(r.stdout == runs[0].stdout and len(mock.token_requests()) == 1,
          "a token refreshed a moment ago was refreshed again", r)


def case_refresh_waits_for_refresher(home):
    """A refresher that holds the lock a while (a slow Zoho) is waited for,
    and what it stored is used: one refresh."""
    mock = home.mock("token-delay=2")
    write_tokens(home, mock, expires_in=-10)
    first = Background(home, "token")
    check(wait_for(lambda: mock.token_requests(), 10), "the first refresh never started")
    r = run(home, "token", timeout=30)
    check(first.wait(30) == 0, "the refresher failed", first.stderr())
    check(r.returncode == 0 and r.stdout == first.out, "the waiter got another token", r)
    check(len(mock.token_requests()) == 1, "the waiter refreshed again")


def front_with_counter(home):
    """A copy of the front whose zoho-oauth-full (found beside it) is a
    wrapper that counts its runs before it runs the real one."""
    d = os.path.join(home.root, "bin")
    os.makedirs(d)
    front = os.path.join(d, "zoho-oauth")
    shutil.copy2(BINARY, front)
    full = os.path.join(os.path.dirname(os.path.abspath(BINARY)), "zoho-oauth-full")
    log = os.path.join(home.root, "full-runs")
    with open(os.path.join(d, "zoho-oauth-full"), "w") as f:
        f.write('#!/bin/sh\necho "$$" >> %s\nexec %s "$@"\n' % (log, full))
    os.chmod(os.path.join(d, "zoho-oauth-full"), 0o755)
    return front, log


def case_front_waits(home):
    """Thirty callers on an expired token: they wait for the one refresher
    in the small program; only the refresher runs the full one, with the
    lock handed over (else it would wait for itself)."""
    mock = home.mock("token-delay=1")
    write_tokens(home, mock, expires_in=-10)
    front, log = front_with_counter(home)
    start = time.monotonic()
    procs = [subprocess.Popen([front, "token"], env=home.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(30)]
    outs = [p.communicate(timeout=60) for p in procs]
    elapsed = time.monotonic() - start
    check(all(p.returncode == 0 for p in procs), "a caller failed", outs)
    check(len({o[0] for o in outs}) == 1, "the callers printed different tokens")
    check(len(mock.token_requests()) == 1, "%d refreshes" % len(mock.token_requests()))
    runs = open(log).read().split() if os.path.exists(log) else []
    check(len(runs) == 1, "the full program ran %d times for 30 callers" % len(runs))
    # The refresher didn't wait for the lock it holds: about one delay of
    # the mock, not the lock timeout (35 s).
    check(elapsed < 15, "the burst took %.1f s" % elapsed)


# --- the lock: waited on with a deadline ---

def case_lock_busy(home):
    """A held lock and an expired token: exit 8 (busy) within the lock
    timeout, saying who holds it, once; never a hang."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10)
    holder = Holder(lock_of(home))
    try:
        r = run(home, "token", "--lock-timeout", "3", timeout=20)
        check(r.returncode == 8, "a held lock should give status 8", r)
        check(r.elapsed < 6, "waited %.1f s with --lock-timeout 3" % r.elapsed)
        check("process %d (python3)" % holder.proc.pid in r.stderr, "the holder is not named", r)
        check(r.stderr.count("zoho-oauth: waiting for") == 1, "the wait was not said once", r)
        check(r.stdout == "" and not mock.token_requests(), "something was done anyway", r)
        r = run(home, "revoke", "--lock-timeout", "1", timeout=20)
        check(r.returncode == 8 and os.path.exists(home.token_file()), "revoke under a held lock", r)
        # One is singular: "after 1 second", not "1 seconds".
        check("gave up after 1 second waiting" in r.stderr, "the count is not said right", r)
        r = run(home, "refresh", "--lock-timeout", "0", timeout=20)
        check(r.returncode == 8 and r.elapsed < 3, "--lock-timeout 0 tries once", r)
    finally:
        holder.release()
    r = run(home, "token")
    check(r.returncode == 0 and len(mock.token_requests()) == 1, "token once the lock is free", r)


def case_lock_busy_token_valid(home):
    """The lock is held but the access token still has time left (though
    less than --min-valid): it is printed, with a warning."""
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=120)
    holder = Holder(lock_of(home))
    try:
        r = run(home, "token", "--lock-timeout", "1", timeout=20)
        check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "the valid token", r)
        check("still valid" in r.stderr and "python3" in r.stderr, "no warning naming the holder", r)
        r = run(home, "header", "--lock-timeout", "1", timeout=20)
        check(r.returncode == 0 and data["access_token"] in r.stdout, "header", r)
    finally:
        holder.release()
    check(not mock.token_requests(), "a refresh happened under another's lock")


def case_lock_default_timeout(home):
    """The default wait is a little more than the network limit
    (--max-time + 5): with --max-time 1, six seconds."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10)
    holder = Holder(lock_of(home))
    try:
        r = run(home, "token", "--max-time", "1", timeout=30)
        check(r.returncode == 8 and 5 < r.elapsed < 10, "waited %.1f s" % r.elapsed, r)
    finally:
        holder.release()


def case_lock_timeout_config(home):
    """lock_timeout in the profile's section of the config."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10)
    write_config(home, "[profile default]\nlock_timeout = 1\n")
    holder = Holder(lock_of(home))
    try:
        r = run(home, "token", timeout=30)
        check(r.returncode == 8 and r.elapsed < 4, "lock_timeout = 1 waited %.1f s" % r.elapsed, r)
    finally:
        holder.release()


def case_lock_file_replaced(home):
    """A waiter whose lock file is removed and replaced while it waits (as
    revoke removes it) locks the new one, not the dead one: it never
    refreshes while someone holds the lock at the path."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10)
    first = Holder(lock_of(home))
    waiter = Background(home, "token", "--lock-timeout", "20")
    time.sleep(1.5)  # waiting on the first lock file
    os.unlink(lock_of(home))
    second = Holder(lock_of(home))
    first.release()
    time.sleep(2)
    check(not mock.token_requests(), "refreshed while another process held the lock")
    check(waiter.proc.poll() is None, "the waiter gave up", waiter.stderr())
    second.release()
    check(waiter.wait(20) == 0 and len(mock.token_requests()) == 1, "after the release",
          waiter.stderr())


# --- the clock ---

def case_clock_ahead(home):
    """A token file written while the clock was an hour ahead: its times
    lie in the future, so it is refreshed, not served."""
    mock = home.mock()
    now = int(time.time())
    data = write_tokens(home, mock, obtained_at=now + 3600, expires_at=now + 7200)
    r = run(home, "token")
    check(r.returncode == 0 and len(mock.token_requests()) == 1, "not refreshed", r)
    check(r.stdout != data["access_token"] + "\n", "the future token was served", r)
    check(current_tokens(home)["obtained_at"] <= time.time(), "still in the future")
    r = run(home, "status", "--json")
    check(r.returncode == 0, "status", r)
    status_json(r)


def case_clock_before_2001(home):
    """A token file written by a clock stuck in 1970 (before NTP) reads
    back, as expired: the next call refreshes."""
    mock = home.mock()
    write_tokens(home, mock, obtained_at=5, expires_at=3605)
    r = run(home, "token")
    check(r.returncode == 0 and len(mock.token_requests()) == 1, "not refreshed", r)


def case_relogin_hint_once(home):
    """refresh -p dev on a refresh token Zoho no longer honours: one error,
    whose hint names the profile."""
    mock = home.mock()
    write_tokens(home, None, profile="dev", expires_in=10, refresh="1000.revoked.elsewhere",
                 accounts_server=mock.url)
    r = run(home, "refresh", "-p", "dev")
    check(r.returncode == 7, "a revoked refresh token", r)
    said = [l for l in r.stderr.splitlines() if l.startswith("zoho-oauth:")]
    hints = [l for l in said if "zoho-oauth login" in l]
    check(len(hints) == 1 and "zoho-oauth login --profile dev" in hints[0] and
          sum(l.startswith("zoho-oauth: error:") for l in said) == 1, "the hint", r)


def opens_of(home, path, *args):
    """How many times a run opens path (strace), and the run."""
    log = os.path.join(home.root, "strace.log")
    if os.path.exists(log):
        os.unlink(log)
    # (LeakSanitizer can't run under ptrace: the ASan build's leaks are
    # checked by every other case.)
    env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0"}
    r = run(home, *args, env=env,
            prefix=("strace", "-f", "-qq", "-e", "trace=open,openat", "-o", log, "--"))
    n = sum(1 for line in open(log) if '"%s"' % path in line and "= -1" not in line)
    return n, r


@no_audit  # it traces itself
def case_reads_record_twice_at_most(home):
    """A cached token reads the token file once; an expiring one twice
    (before the lock and after it, the front's lock handed over to the full
    program); a login over working tokens once."""
    if not shutil.which("strace"):
        return SKIP
    mock, port = setup_login(home)
    write_tokens(home, mock, expires_in=3000)
    n, r = opens_of(home, home.token_file(), "token")
    check(r.returncode == 0 and n == 1, "a cached token opened the file %d times" % n, r)
    write_tokens(home, mock, expires_in=10)
    n, r = opens_of(home, home.token_file(), "token")
    check(r.returncode == 0 and len(mock.token_requests()) == 1 and n == 2,
          "an expiring token opened the file %d times" % n, r)
    write_tokens(home, mock, expires_in=3000, scope=SCOPES)
    n, r = opens_of(home, home.token_file(), *login_args(mock, port))
    check(r.returncode == 0 and "nothing to do" in r.stderr and n == 1,
          "a login over working tokens opened the file %d times" % n, r)


def case_verbose_source(home):
    """token -v says where the token came from, once: the stored one (the
    front says it), one refreshed now, one kept although its refresh
    failed."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    r = run(home, "token", "-v")
    check(r.returncode == 0 and "debug: profile 'default': the stored access token, valid for "
          in r.stderr and "minutes (%s)" % home.token_file() in r.stderr, "from the store", r)
    write_tokens(home, mock, expires_in=10)
    r = run(home, "token", "-v")
    check(r.returncode == 0 and "a new access token, refreshed now, valid for" in r.stderr,
          "refreshed", r)
    write_tokens(home, mock, expires_in=200)
    mock.set_mode("html-502")
    r = run(home, "token", "-v")
    check(r.returncode == 0 and "the stored access token, although its refresh failed" in r.stderr,
          "kept", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
