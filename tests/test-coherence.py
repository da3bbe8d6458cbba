#!/usr/bin/env python3
"""The defects of issue 23 (one profile, one store, one voice), each as a
case that failed before the fix. They move to the files of their
behaviour once the suite is regrouped."""
import json
import os
import signal
import subprocess
import time
import urllib.parse

from harness import (BINARY, CLIENT_ID, SECRET, SKIP, Background, PgCluster, PrivateBus, check,
                     login_args, main, pg_available, read_json, run, setup_login, unprivileged,
                     wait_for, write_config, write_tokens)


def lines_of(text, kind):
    """The lines of stderr that are messages of one kind ("error", "warning")."""
    return [l for l in text.splitlines() if l.startswith("zoho-oauth: %s:" % kind)]


def messages(text):
    return [l for l in text.splitlines() if l.startswith("zoho-oauth:")]


def keyring_available():
    import shutil
    return all(shutil.which(p) for p in ("dbus-daemon", "gnome-keyring-daemon", "secret-tool"))


def in_dir(path):
    """run()'s prefix that starts the tool in path."""
    os.makedirs(path, exist_ok=True)
    return ("env", "-C", path)


def issued_refresh_tokens(mock):
    out = []
    for line in open(mock.log_path + ".answers"):
        body = json.loads(line)["body"]
        if "refresh_token" in body:
            out.append(json.loads(body)["refresh_token"])
    return out


def refresh_bodies(mock):
    return [urllib.parse.parse_qs(e["body"]) for e in mock.token_requests()
            if "grant_type=refresh_token" in e.get("body", "")]


# --- one profile ------------------------------------------------------------

def case_relative_token_file_keyring(home):
    """--token-file tok.json in two projects is two profiles: a login in B
    leaves A's refresh token in the keyring, and A is served A's tokens."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock, port = setup_login(home)
    a, b = os.path.join(home.root, "a"), os.path.join(home.root, "b")
    for d in (a, b):
        r = run(home, *login_args(mock, port, "--store", "keyring", "--token-file", "tok.json",
                                  "--force"), env=bus.env, prefix=in_dir(d))
        check(r.returncode == 0, "login in %s" % d, r)
    first, second = issued_refresh_tokens(mock)[-2:]
    check(first != second, "the mock issued the same refresh token twice")
    r = run(home, "refresh", "--token-file", "tok.json", env=bus.env, prefix=in_dir(a))
    check(r.returncode == 0, "refresh in a", r)
    sent = refresh_bodies(mock)[-1]["refresh_token"][0]
    check(sent == first, "project a refreshed with project b's refresh token", r)
    r = run(home, "refresh", "--token-file", "tok.json", env=bus.env, prefix=in_dir(b))
    check(r.returncode == 0 and refresh_bodies(mock)[-1]["refresh_token"][0] == second,
          "project b refreshed with another refresh token", r)


def case_revoke_hint_has_profile(home):
    """revoke -p dev when Zoho can't be reached: the advice names the
    profile (without it, 'revoke --local' would forget default's tokens)."""
    mock = home.mock("revoke-502")
    write_tokens(home, mock, profile="dev", expires_in=3000)
    write_tokens(home, mock, expires_in=3000, refresh="1000.refresh.default")
    r = run(home, "revoke", "-p", "dev")
    check(r.returncode == 6, "revoke with zoho failing", r)
    check("revoke --local" in r.stderr, "no advice", r)
    for line in messages(r.stderr):
        if "revoke --local" in line:
            check("zoho-oauth revoke --local --profile dev" in line, "advice without the profile", r)
    check(messages(r.stderr)[-1].startswith("zoho-oauth: error:"), "the error is not said last", r)


def case_relogin_hint_once(home):
    """refresh -p dev on a revoked refresh token: one error, whose hint
    names the profile."""
    mock = home.mock()
    write_tokens(home, None, profile="dev", expires_in=10, refresh="1000.revoked.elsewhere",
                 accounts_server=mock.url)
    r = run(home, "refresh", "-p", "dev")
    check(r.returncode == 7, "a revoked refresh token", r)
    hints = [l for l in messages(r.stderr) if "zoho-oauth login" in l]
    check(len(hints) == 1 and "zoho-oauth login --profile dev" in hints[0], "the hint", r)
    check(len(lines_of(r.stderr, "error")) == 1, "more than one error", r)


def case_migrate_pg_to_keyring_keeps_cache(home):
    """migrate from PostgreSQL to the keyring keeps the access token the
    new store cached: the next token costs no refresh."""
    if not keyring_available() or not pg_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    pg = PgCluster(home)
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--store", pg.uri()), env=bus.env)
    check(r.returncode == 0, "login into the database", r)
    before = len(mock.token_requests())
    r = run(home, "migrate", "--to", "keyring", env=bus.env)
    check(r.returncode == 0, "migrate --to keyring", r)
    r = run(home, "token", env=bus.env)
    check(r.returncode == 0, "token", r)
    check(len(mock.token_requests()) == before, "the migration cost a refresh", mock.requests())


def case_migrate_no_tokens(home):
    """migrate of a profile that has no tokens anywhere: exit 7, saying so."""
    r = run(home, "migrate", "--to", "file", "-p", "empty")
    check(r.returncode == 7 and "no tokens" in r.stderr and "nothing to do" not in r.stderr,
          "migrate with no tokens", r)
    r = run(home, "migrate", "--to", "keyring", "-p", "empty")
    check(r.returncode == 7 and "no tokens" in r.stderr, "migrate --to keyring with no tokens", r)


# --- one voice --------------------------------------------------------------

def readonly(home, mock, expires_in):
    write_tokens(home, mock, expires_in=expires_in)
    path = home.token_file()
    open(path + ".lock", "w").close()
    os.chmod(path + ".lock", 0o600)
    prefix = unprivileged(home)
    os.chmod(os.path.dirname(path), 0o500)
    return prefix


def case_readonly_dir_valid_token(home):
    """A read-only token directory, a token with minutes left that is due a
    refresh: served, exit 0, one warning and no error line."""
    mock = home.mock()
    prefix = readonly(home, mock, 200)
    try:
        r = run(home, "token", prefix=prefix)
    finally:
        os.chmod(os.path.dirname(home.token_file()), 0o700)
    check(r.returncode == 0 and r.stdout.strip(), "the valid token was not served", r)
    check(not lines_of(r.stderr, "error"), "an error line on success", r)
    check(len(lines_of(r.stderr, "warning")) == 1, "not one warning", r)


def case_readonly_dir_expired(home):
    """The same with an expired token: exit 1, the error said once, last."""
    mock = home.mock()
    prefix = readonly(home, mock, -10)
    try:
        r = run(home, "token", prefix=prefix)
    finally:
        os.chmod(os.path.dirname(home.token_file()), 0o700)
    check(r.returncode == 1, "expected exit 1", r)
    errors = lines_of(r.stderr, "error")
    check(len(errors) == 1 and len(set(messages(r.stderr))) == len(messages(r.stderr)),
          "the error was not said once", r)
    check(messages(r.stderr)[-1] == errors[0], "the error is not the last message", r)


def case_database_stops_while_expiring(home):
    """The database stops answering while the token runs out: exit 9, and
    the last message is the error (not only warnings)."""
    if not pg_available():
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
    check(r.returncode == 9, "expected exit 9", r)
    check(lines_of(r.stderr, "error") and messages(r.stderr)[-1].startswith("zoho-oauth: error:"),
          "no error said last", r)


def case_sigint_exchange_says(home):
    """Ctrl-C while the code is being exchanged: exit 130 and a line that
    says nothing was saved."""
    mock, port = setup_login(home, "token-delay=20")
    bg = Background(home, *login_args(mock, port), "--no-preflight")
    check(wait_for(lambda: mock.token_requests(), 15), "the exchange never started", bg.stderr())
    bg.signal(signal.SIGINT)
    rc = bg.wait(15)
    check(rc == 130, "expected 130", bg.stderr())
    check("nothing was saved" in bg.stderr(), "Ctrl-C said nothing", bg.stderr())


def case_success_prints_no_error(home):
    """A refresh that works prints no error line, whatever happened on the way."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=10)
    r = run(home, "token")
    check(r.returncode == 0 and not lines_of(r.stderr, "error"), "token", r)


# --- settings ---------------------------------------------------------------

def case_config_error_other_section(home):
    """A typo in another profile's section is a warning: this profile's
    token is refreshed and served."""
    mock = home.mock()
    write_tokens(home, mock, profile="good", expires_in=10)
    write_config(home, "[profile good]\nlock_timeout = 30\n\n[profile bad]\nscpoe = ZohoCliq.Channels.READ\n")
    r = run(home, "token", "-p", "good")
    check(r.returncode == 0 and r.stdout.strip(), "another section's typo stopped the refresh", r)
    check(lines_of(r.stderr, "warning") and "scpoe" in r.stderr and not lines_of(r.stderr, "error"),
          "no warning", r)


def case_config_error_own_section(home):
    """A typo in this profile's own section: a still-valid token is served
    with the warning; a command that needs the section (login) stops."""
    mock, port = setup_login(home)
    write_tokens(home, mock, profile="p", expires_in=200)
    write_config(home, "[profile p]\nscpoe = ZohoCliq.Channels.READ\n")
    r = run(home, "token", "-p", "p")
    check(r.returncode == 0 and r.stdout.strip() and "scpoe" in r.stderr and
          not lines_of(r.stderr, "error"), "the valid token was withheld", r)
    r = run(home, *login_args(mock, port, "-p", "p", "--force"))
    check(r.returncode == 2 and "scpoe" in r.stderr, "login went on with a broken section", r)
    check("did you mean 'scope'" in r.stderr, "no did-you-mean for the key", r)


def case_explicit_new_profile_not_questioned(home):
    """login -p work2 at a terminal where "work" exists: a warning, never a
    question, and the login makes work2."""
    import pty
    import select
    mock, port = setup_login(home)
    write_config(home, "[profile work]\nclient_id = %s\nscope = ZohoCliq.Channels.READ\n" % CLIENT_ID)
    master, slave = pty.openpty()
    e = dict(home.env)
    proc = subprocess.Popen([BINARY, *login_args(mock, port, "-p", "work2")], env=e, stdin=slave,
                            stderr=slave, stdout=subprocess.PIPE)
    os.close(slave)
    seen = b""
    end = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
        if b"[Y/n]" in seen:
            os.write(master, b"\n")  # Enter: what abandoned work2
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    text = seen.decode("utf-8", "replace")
    check("[Y/n]" not in text, "login asked about an explicit new profile name", text)
    check('did you mean "work"' in text, "no warning", text)
    check(os.path.exists(home.token_file("work2")), "work2 was not made", text)


def case_save_profile_question_moves_tokens(home):
    """Answering "save these settings as a profile?" with a name keeps the
    settings and the tokens under that profile."""
    import pty
    import select
    mock, port = setup_login(home)
    master, slave = pty.openpty()
    proc = subprocess.Popen([BINARY, *login_args(mock, port)], env=dict(home.env), stdin=slave,
                            stderr=slave, stdout=subprocess.PIPE)
    os.close(slave)
    seen, answered = b"", False
    end = time.monotonic() + 30
    while proc.poll() is None and time.monotonic() < end:
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                seen += os.read(master, 4096)
            except OSError:
                break
        if not answered and b"save these settings as a profile?" in seen:
            os.write(master, b"cliq\n")
            answered = True
    if proc.poll() is None:
        proc.kill()
    check(proc.wait() == 0 and answered, "login", seen.decode("utf-8", "replace"))
    r = run(home, "token", "-p", "cliq")
    check(r.returncode == 0 and r.stdout.strip(), "the tokens are not in profile cliq", r)


# --- open once, read once ---------------------------------------------------

def opens_of(home, path, *args, env=None):
    """How many times a run opens path (strace), and the run."""
    log = os.path.join(home.root, "strace.log")
    if os.path.exists(log):
        os.unlink(log)
    r = run(home, *args, env=env, prefix=("strace", "-f", "-qq", "-e", "trace=open,openat",
                                          "-o", log, "--"))
    n = sum(1 for line in open(log) if '"%s"' % path in line and "= -1" not in line)
    return n, r


def case_token_reads_record_twice(home):
    """A cached token reads the token file once; an expiring one at most
    twice (before and after the lock); a login over working tokens once."""
    import shutil
    if not shutil.which("strace"):
        return SKIP
    mock, port = setup_login(home)
    write_tokens(home, mock, expires_in=3000)
    n, r = opens_of(home, home.token_file(), "token")
    check(r.returncode == 0 and n == 1, "a cached token opened the file %d times" % n, r)
    write_tokens(home, mock, expires_in=10)
    n, r = opens_of(home, home.token_file(), "token")
    check(r.returncode == 0 and n <= 2, "an expiring token opened the file %d times" % n, r)
    write_tokens(home, mock, expires_in=3000, scope="ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE")
    n, r = opens_of(home, home.token_file(), *login_args(mock, port))
    check(r.returncode == 0 and "nothing to do" in r.stderr and n == 1,
          "a login over working tokens opened the file %d times" % n, r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
