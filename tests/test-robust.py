#!/usr/bin/env python3
"""Never hang, never lose a token Zoho issued, never trust the clock or the
neighbours: waits on the lock, refreshes that fail while the token still
works, files that are not what they seem, and clocks that are wrong.
Against the mock Zoho Accounts server, on loopback."""
import concurrent.futures
import fcntl
import os
import shutil
import signal
import socket
import stat
import subprocess
import threading
import time
import urllib.parse

from harness import (BINARY, CLIENT_ID, SECRET, Background, check, faketime, login_args, main,
                     mode_of, read_json, run, setup_login, unprivileged, wait_for, write_config,
                     write_tokens)


class Holder:
    """Another process's lock on the token file's lock file, as a stuck
    zoho-oauth (or an editor, or a stopped job) would hold it."""

    def __init__(self, path):
        self.path = path
        self.proc = subprocess.Popen(
            ["python3", "-c", "import fcntl,os,sys,time\n"
             "fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT,0o600)\n"
             "fcntl.flock(fd,fcntl.LOCK_EX)\nprint('held',flush=True)\nsys.stdin.read()",
             path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        check(self.proc.stdout.readline().strip() == "held", "could not take the lock")

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)


def lock_of(home):
    return home.token_file() + ".lock"


# --- waiting on others ---

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


def case_revoke_keeps_waiters_apart(home):
    """revoke removes the lock file while it holds it; a login started
    meanwhile and a waiting refresher never both hold a lock."""
    mock = home.mock("revoke-delay=2")
    write_tokens(home, mock, expires_in=-10)
    revoker = Background(home, "revoke")
    check(wait_for(lambda: mock.requests("/oauth/v2/token/revoke"), 10), "no revocation")
    r = run(home, "token", timeout=30)
    check(revoker.wait(30) == 0, "revoke failed", revoker.stderr())
    check(r.returncode == 7 and "zoho-oauth login" in r.stderr, "token after revoke", r)
    check(not mock.token_requests(), "a refresh of a revoked token")


# --- login under a held lock, and interrupted after the exchange ---

def case_login_lock_held(home):
    """A lock that can't be had when the tokens arrive: login keeps within
    --timeout and writes them beside the token file, 0600, saying where."""
    mock, port = setup_login(home)
    old = write_tokens(home, mock, expires_in=3000)
    holder = Holder(lock_of(home))
    try:
        r = run(home, *login_args(mock, port, "--force", "--timeout", "6"), timeout=30)
    finally:
        holder.release()
    check(r.returncode == 0, "login failed", r)
    check(r.elapsed < 9, "login outlived its --timeout by %.1f s" % (r.elapsed - 6))
    check(read_json(home.token_file())["refresh_token"] == old["refresh_token"],
          "the file under the lock was written")
    d = os.path.dirname(home.token_file())
    aside = [n for n in os.listdir(d) if n.startswith("default.json.new-")]
    check(len(aside) == 1, "no tokens beside the file", os.listdir(d))
    path = os.path.join(d, aside[0])
    check(mode_of(path) == 0o600, "the saved tokens are mode %o" % mode_of(path))
    saved = read_json(path)
    issued = mock.token_requests()
    check(len(issued) == 1 and saved["refresh_token"] != old["refresh_token"] and
          saved["refresh_token"].startswith("1000."), "not the refresh token Zoho issued", saved)
    check(path in r.stderr and "mv " in r.stderr, "the terminal doesn't say where they went", r)
    # They are a valid token file.
    r = run(home, "status", "--token-file", path)
    check(r.returncode == 0, "the saved tokens don't read back", r)


def case_login_sigint_after_exchange(home):
    """Ctrl-C after Zoho answered, while the save waits for the lock: the
    tokens are still saved."""
    mock, port = setup_login(home)
    write_tokens(home, mock, expires_in=3000)
    holder = Holder(lock_of(home))
    bg = Background(home, *login_args(mock, port, "--force", "--lock-timeout", "30"))
    try:
        check(wait_for(lambda: mock.token_requests(), 15), "no exchange", bg.stderr())
        time.sleep(1)
        bg.signal(signal.SIGINT)
        time.sleep(0.5)
        check(bg.proc.poll() is None, "login ended before the tokens were saved", bg.stderr())
    finally:
        holder.release()
    rc = bg.wait(30)
    answers = [l for l in open(mock.log_path + ".answers") if "refresh_token" in l]
    check(answers, "the mock issued no refresh token")
    data = read_json(home.token_file())
    check(data["refresh_token"] in answers[-1], "the issued refresh token was lost", bg.stderr())
    check(rc == 0, "login exited %s" % rc, bg.stderr())


# --- files that are not what they seem ---

def case_fifo(home):
    """A FIFO, a socket or a device at the token path, the config or the
    secret file: refused at once, naming it; never waited on."""
    mock, port = setup_login(home)
    path = home.token_file()
    os.makedirs(os.path.dirname(path), mode=0o700)
    os.mkfifo(path, 0o600)
    for cmd in ("token", "header", "status", "refresh", "revoke"):
        r = run(home, cmd, timeout=10)
        check(r.returncode == 1 and path in r.stderr and "FIFO" in r.stderr, cmd, r)
    os.unlink(path)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path)
    r = run(home, "token", timeout=10)
    check(r.returncode == 1 and "socket" in r.stderr, "a socket", r)
    sock.close()
    os.unlink(path)
    r = run(home, "token", "--token-file", "/dev/zero", timeout=10)
    check(r.returncode == 1 and "device" in r.stderr, "a device", r)
    fifo = os.path.join(home.root, "secret")
    os.mkfifo(fifo, 0o600)
    r = run(home, *login_args(mock, port, "--client-secret-file", fifo), timeout=10)
    check(r.returncode == 1 and "FIFO" in r.stderr, "a FIFO as the secret file", r)
    cfg = os.path.join(home.env["XDG_CONFIG_HOME"], "zoho-oauth")
    os.makedirs(cfg)
    os.mkfifo(os.path.join(cfg, "config"), 0o600)
    r = run(home, *login_args(mock, port), timeout=10)
    check(r.returncode == 2 and "FIFO" in r.stderr, "a FIFO as the config", r)
    check(not mock.requests(), "Zoho was asked")


def case_directory_modes(home):
    """A token directory others may write (without the sticky bit), or that
    another user owns, is refused with what to run; /tmp-like sticky
    directories are fine."""
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    d = os.path.dirname(home.token_file())
    os.chmod(d, 0o777)
    r = run(home, "token")
    check(r.returncode == 1 and "chmod go-w %s" % d in r.stderr and r.stdout == "", "0777", r)
    os.chmod(d, 0o1777)
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "1777", r)
    os.chmod(d, 0o700)
    # An ancestor writable by others counts too.
    parent = os.path.dirname(d)
    os.chmod(parent, 0o777)
    r = run(home, "status")
    check(r.returncode == 1 and parent in r.stderr, "a writable parent", r)
    os.chmod(parent, 0o755)
    if os.geteuid() == 0:
        os.chown(d, 65534, 65534)
        r = run(home, "token")
        check(r.returncode == 1 and "another user" in r.stderr, "a foreign directory", r)
        os.chown(d, 0, 0)
    r = run(home, "token")
    check(r.returncode == 0, "back to normal", r)


def case_temp_files(home):
    """Only this tool's temporary files of writers that are gone are
    cleared: not a user's .default.json.backup, not a live writer's."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10)
    d = os.path.dirname(home.token_file())
    backup = os.path.join(d, ".default.json.backup")
    lookalike = os.path.join(d, ".default.json.Ab3xYz")
    for p in (backup, lookalike):
        with open(p, "w") as f:
            f.write("mine\n")
    dead = os.path.join(d, ".default.json.zoho-oauth-dead01")
    live = os.path.join(d, ".default.json.zoho-oauth-live01")
    for p in (dead, live):
        with open(p, "w") as f:
            f.write("{}")
    live_fd = os.open(live, os.O_RDONLY)
    fcntl.flock(live_fd, fcntl.LOCK_EX)
    r = run(home, "token")
    check(r.returncode == 0, "token", r)
    check(os.path.exists(backup) and os.path.exists(lookalike), "a user's file was removed",
          os.listdir(d))
    check(os.path.exists(live), "a live writer's file was removed")
    check(not os.path.exists(dead), "a dead writer's file was kept")
    os.close(live_fd)


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
    check(read_json(home.token_file())["obtained_at"] <= time.time(), "still in the future")
    r = run(home, "status", "--json")
    check(r.returncode == 0, "status", r)


def case_clock_before_2001(home):
    """A token file written by a clock stuck in 1970 (before NTP) reads
    back, as expired: the next call refreshes."""
    mock = home.mock()
    write_tokens(home, mock, obtained_at=5, expires_at=3605)
    r = run(home, "token")
    check(r.returncode == 0 and len(mock.token_requests()) == 1, "not refreshed", r)


def case_login_with_1999_clock(home):
    """login on a machine whose clock says 1999 (faketime): the file it
    writes is one the tool reads, once the clock is right."""
    clock = faketime("@1999-01-01 00:00:00")
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port), **clock)
    check(r.returncode == 0, "login with the clock in 1999", r)
    check(read_json(home.token_file())["obtained_at"] < 10 ** 9, "the clock was not faked")
    r = run(home, "token")
    check(r.returncode == 0 and len(mock.token_requests()) == 2, "not refreshed once read", r)


# --- what Zoho sends, and what we echo ---

def case_api_domain(home):
    """An api_domain that is not a Zoho API host is not stored; the tokens
    are."""
    mock, port = setup_login(home, "api-domain=https://evil.example.com")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login", r)
    data = read_json(home.token_file())
    check(data["api_domain"] != "https://evil.example.com", "stored as given", data)
    check("not a Zoho API host" in r.stderr, "no warning", r)
    mock.set_mode("api-domain=https://user@www.zohoapis.com")
    r = run(home, "refresh")
    check(r.returncode == 0 and "not a Zoho API host" in r.stderr, "refresh", r)
    check(read_json(home.token_file())["api_domain"] == data["api_domain"], "replaced")


def case_secret_file_not_echoed(home):
    """A secret pasted where its file's name belongs is never echoed."""
    mock, port = setup_login(home)
    pasted = "1000.f00dcafe0123456789abcdefdeadbeef"
    for value in (pasted, "/no/such/dir/" + pasted):
        r = run(home, *login_args(mock, port, "--client-secret-file", value))
        check(r.returncode == 1, "login with a missing secret file", r)
        check(pasted not in r.stderr and pasted not in r.stdout, "the value was echoed", r)
        check("--client-secret-file" in r.stderr, "the message doesn't say which option", r)


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


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
