#!/usr/bin/env python3
"""Refresh ahead: a token past its soft margin (a quarter of the rest of
its lifetime beyond --min-valid: 1,125 s for a one-hour token) is served
at once and renewed behind the caller by a detached refresher, so that no
caller waits for Zoho while its token is valid; and the record a refresh
never rewrites. Against the mock Zoho Accounts server. The harness sets
CI=1, which turns refresh ahead off: these cases turn it on (CI unset)."""
import json
import os
import subprocess
import time

from harness import (BINARY, SECRET, Holder, cache_path, check, current_tokens, file_state,
                     lock_of, main, mode_of, no_audit, read_json, run, status_json, tool_env,
                     wait_for, write_config, write_tokens)

AHEAD = {"CI": None}
# Left of a one-hour token: past the soft margin (1,125 s), not the hard
# one (300 s).
IN_SOFT = 1000


def refreshes(mock):
    return [e for e in mock.token_requests() if "grant_type=refresh_token" in e.get("body", "")]


def renewed(home, old, profile="default", timeout=15):
    """Wait until the refresher has put a new access token in the cache."""
    return wait_for(lambda: current_tokens(home, profile)["access_token"] != old, timeout)


def refreshers(profile):
    """The detached refreshers of profile now running: zoho-oauth-full
    refresh --profile PROFILE."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")[:-1]
        except OSError:
            continue
        if (len(argv) >= 4 and argv[0].endswith(b"zoho-oauth-full") and
                argv[1:4] == [b"refresh", b"--profile", profile.encode()]):
            found.append(int(pid))
    return found


def stat_fields(pid):
    """/proc/PID/stat's fields after the command name (field 3 on)."""
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def case_served_at_once_renewed_behind(home):
    """Past the soft margin: the stored token is printed at once, exit 0,
    and one refresh happens behind the caller; the next call gets the new
    token without a request."""
    mock = home.mock()
    old = write_tokens(home, mock, expires_in=IN_SOFT)
    r = run(home, "token", env=AHEAD)
    check(r.returncode == 0 and r.stdout == old["access_token"] + "\n" and r.stderr == "",
          "the stored token was not served at once, silently", r)
    check(renewed(home, old["access_token"]), "nothing renewed the token behind the caller",
          mock.requests())
    check(len(refreshes(mock)) == 1, "expected exactly one refresh", mock.requests())
    new = current_tokens(home)
    check(new["expires_at"] - time.time() > 3500, "the renewed token is not a fresh one", new)
    r = run(home, "header", env=AHEAD)
    check(r.returncode == 0 and new["access_token"] in r.stdout and len(refreshes(mock)) == 1,
          "the next call did not get the renewed token as it is", r)
    # Before the soft margin nothing is renewed.
    write_tokens(home, mock, expires_in=1200)
    r = run(home, "token", env=AHEAD)
    time.sleep(1)
    check(r.returncode == 0 and len(refreshes(mock)) == 1, "renewed before the soft margin", r)


@no_audit  # strace -f would wait for the detached refresher
def case_detached_from_the_caller(home):
    """$(zoho-oauth token) returns at once while Zoho takes 3 s: the
    refresher has no part of the caller's pipes (stdin, stdout and stderr
    on /dev/null, nothing else but the lock), runs in a session of its own
    with no terminal, in /, at idle priority, with no secret on its command
    line; and it hands the lock back when done."""
    mock = home.mock("token-delay=3")
    profile = "detached-%d" % os.getpid()
    old = write_tokens(home, mock, profile=profile, expires_in=IN_SOFT)
    # One more descriptor the caller inherits (as from a shell or a job
    # runner): its pipe must end with the caller too.
    extra_r, extra_w = os.pipe()
    start = time.monotonic()
    p = subprocess.run([BINARY, "token", "-p", profile], env=tool_env(home, AHEAD),
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
                       pass_fds=(extra_w,))
    elapsed = time.monotonic() - start
    os.close(extra_w)
    check(p.returncode == 0 and p.stdout == old["access_token"] + "\n",
          "the caller was not served", p.stdout, p.stderr)
    check(elapsed < 2, "the caller's pipes stayed open %.1f s (the refresher kept them)" % elapsed)
    check(os.read(extra_r, 1) == b"" and time.monotonic() - start < 2,
          "an inherited descriptor stayed open in the refresher")
    os.close(extra_r)
    check(wait_for(lambda: refreshers(profile), 5), "no refresher is running")
    pid = refreshers(profile)[0]
    fields = stat_fields(pid)
    check(int(fields[3]) != os.getsid(0) and int(fields[3]) != pid,
          "the refresher is not in a session of its own (or leads it)", fields[:6])
    check(int(fields[4]) == 0, "the refresher has a controlling terminal", fields[:6])
    check(int(fields[38]) == 5, "the refresher is not at idle priority (SCHED_IDLE)", fields[38])
    cmdline = open("/proc/%d/cmdline" % pid, "rb").read()
    check(SECRET.encode() not in cmdline and old["refresh_token"].encode() not in cmdline,
          "a secret is on the refresher's command line")
    if os.geteuid() == 0:  # (its /proc entries are not ours to read otherwise: not dumpable)
        # (What it opens itself, the connection to Zoho, comes after.)
        links = {fd: os.readlink("/proc/%d/fd/%d" % (pid, fd)) for fd in range(4)}
        check(all(links[fd] == "/dev/null" for fd in (0, 1, 2)) and
              links[3] == lock_of(home).replace("default.json", profile + ".json"),
              "the refresher's stdio is not /dev/null, or 3 not the lock", links)
        check(os.readlink("/proc/%d/cwd" % pid) == "/", "the refresher is not in /")
    check(renewed(home, old["access_token"], profile), "the refresher did not renew the token")
    check(wait_for(lambda: not refreshers(profile), 10), "the refresher did not end")
    # The lock is free again: a forced refresh does not wait.
    r = run(home, "refresh", "-p", profile, "--lock-timeout", "0", env=AHEAD)
    check(r.returncode == 0, "the lock was not handed back", r)


def case_nothing_started_when_lock_held(home):
    """The profile's lock is held (someone is refreshing, or stuck): the
    caller is served and starts nothing; once it is free, a call does."""
    mock = home.mock()
    profile = "held-%d" % os.getpid()  # (other cases' refreshers are "default"'s)
    old = write_tokens(home, mock, profile=profile, expires_in=IN_SOFT)
    holder = Holder(home.token_file(profile) + ".lock")
    try:
        start = time.monotonic()
        r = run(home, "token", "-p", profile, env=AHEAD)
        check(r.returncode == 0 and r.stdout == old["access_token"] + "\n" and
              time.monotonic() - start < 5, "not served at once under a held lock", r)
        time.sleep(1.5)
        check(not refreshes(mock) and not refreshers(profile),
              "something was started although the lock was held", mock.requests())
    finally:
        holder.release()
    r = run(home, "token", "-p", profile, env=AHEAD)
    check(r.returncode == 0 and renewed(home, old["access_token"], profile),
          "nothing was renewed once the lock was free", mock.requests())


def case_failure_remembered(home):
    """A refresh ahead that fails is remembered in the cache: a refresh
    token Zoho no longer honours starts nothing more until a new sign-in,
    and the next call and status say so (served all the same); Zoho's
    throttle starts nothing until it ends; other trouble (Zoho's 502)
    waits 60 s, after which a call tries again."""
    mock = home.mock()
    # A refresh token the mock never issued: Zoho's invalid_code.
    old = write_tokens(home, None, expires_in=IN_SOFT, refresh="1000.revoked",
                       accounts_server=mock.url)
    r = run(home, "token", env=AHEAD)
    check(r.returncode == 0 and r.stdout == old["access_token"] + "\n", "not served", r)
    cache = cache_path(home.env, home.token_file())
    check(wait_for(lambda: os.path.exists(cache) and "ahead_failed_at" in read_json(cache), 15),
          "the failure was not remembered", mock.requests())
    check(mode_of(cache) == 0o600, "the cache is not 0600")
    r = run(home, "token", env=AHEAD)
    time.sleep(1)
    check(r.returncode == 0 and r.stdout == old["access_token"] + "\n", "not served", r)
    check(len(refreshes(mock)) == 1, "a refresher started again", mock.requests())
    check("could not be renewed ahead of time" in r.stderr and
          "no new try before a new sign-in: run 'zoho-oauth login'" in r.stderr,
          "the next call does not say what happened", r)
    r = run(home, "status", env=AHEAD)
    check(r.returncode == 0 and "renewal ahead:" in r.stdout and "sign-in" in r.stdout,
          "status does not say it", r)
    j = status_json(run(home, "status", "--json", env=AHEAD))
    check(j["ahead"]["failed_at"] and j["ahead"]["retry_at"] is None and
          j["ahead"]["exit_status"] == 7 and "zoho" in j["ahead"]["error"].lower(),
          "status --json does not say it", j)
    # Zoho's throttle: nothing until it ends.
    mock2 = home.mock("throttle")
    old = write_tokens(home, mock2, expires_in=IN_SOFT)
    run(home, "token", env=AHEAD)
    check(wait_for(lambda: os.path.exists(cache) and "ahead_failed_at" in read_json(cache), 15),
          "the throttle was not remembered")
    r = run(home, "token", env=AHEAD)
    time.sleep(1)
    check(len(refreshes(mock2)) == 1 and "the next try is after" in r.stderr,
          "a refresher started during the throttle", r)
    # A 502: a minute, then again.
    mock3 = home.mock("html-502")
    old = write_tokens(home, mock3, expires_in=IN_SOFT)
    run(home, "token", env=AHEAD)
    check(wait_for(lambda: os.path.exists(cache) and "ahead_failed_at" in read_json(cache), 15),
          "the 502 was not remembered")
    data = read_json(cache)
    check(55 <= data["ahead_retry_at"] - time.time() <= 61, "not a minute's wait", data)
    run(home, "token", env=AHEAD)
    time.sleep(1)
    check(len(refreshes(mock3)) == 1, "a refresher started within the minute")
    data["ahead_retry_at"] = int(time.time()) - 1  # the minute is over
    with open(cache, "w") as f:
        json.dump(data, f)
    mock3.set_mode("-html-502")
    run(home, "token", env=AHEAD)
    check(renewed(home, old["access_token"]), "no new try after the minute", mock3.requests())
    r = run(home, "status", "--json", env=AHEAD)
    check(status_json(r)["ahead"] is None, "the failure outlived a success", r)


def case_turned_off(home):
    """refresh_ahead = no, --no-refresh-ahead, and $CI (a CI runner kills
    what a job leaves behind) each turn it off: the token is served and
    nothing is renewed; refresh_ahead = yes turns it on under $CI."""
    mock = home.mock()
    old = write_tokens(home, mock, expires_in=IN_SOFT)
    write_config(home, "[profile default]\nrefresh_ahead = no\n")
    for args, env in ((["token"], AHEAD), (["header"], AHEAD)):
        r = run(home, *args, env=env)
        check(r.returncode == 0 and old["access_token"] in r.stdout, "not served", r)
    write_config(home, "")
    r = run(home, "token", "--no-refresh-ahead", env=AHEAD)
    check(r.returncode == 0, "--no-refresh-ahead", r)
    r = run(home, "token", env={"CI": "true"})
    check(r.returncode == 0, "under $CI", r)
    time.sleep(1.5)
    check(not refreshes(mock), "renewed although turned off", mock.requests())
    write_config(home, "[profile default]\nrefresh_ahead = yes\n")
    r = run(home, "token", env={"CI": "true"})
    check(r.returncode == 0 and renewed(home, old["access_token"]),
          "refresh_ahead = yes did not turn it on under $CI", mock.requests())


def case_record_untouched_by_refreshes(home):
    """A refresh writes the access-token cache (0600, in $XDG_RUNTIME_DIR
    when there is one, else PATH.cache), never the token file: the record
    with the refresh token stays byte for byte, same inode, through
    refreshes, refreshes ahead and a refresher killed mid-request."""
    mock = home.mock("token-delay=0.5")
    runtime = os.path.join(home.root, "run")
    os.makedirs(runtime, mode=0o700)
    env = dict(AHEAD, XDG_RUNTIME_DIR=runtime)
    old = write_tokens(home, mock, expires_in=IN_SOFT)
    before = file_state(home.token_file())
    for _ in range(3):
        r = run(home, "refresh", env=env)
        check(r.returncode == 0, "refresh", r)
    cache = cache_path(tool_env(home, env), home.token_file())
    check(cache.startswith(runtime + "/zoho-oauth/") and os.path.exists(cache) and
          mode_of(cache) == 0o600,
          "the cache is not 0600 in $XDG_RUNTIME_DIR/zoho-oauth/", cache)
    check(read_json(cache)["for"] == home.token_file(), "the cache does not name its token file")
    # A refresher killed while Zoho answers.
    p = subprocess.Popen([BINARY, "refresh"], env=tool_env(home, env),
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: len(refreshes(mock)) == 4, 10)
    p.kill()
    p.wait(10)
    write_back = current_tokens(home, env=tool_env(home, env))["access_token"]
    r = run(home, "token", env=env)
    check(r.returncode == 0 and r.stdout.strip() == write_back, "token after the kill", r)
    check(file_state(home.token_file()) == before, "the token file was rewritten")
    check(read_json(home.token_file())["refresh_token"] == old["refresh_token"],
          "jq -r .refresh_token no longer reads the refresh token")
    # Without a runtime directory: beside the token file.
    r = run(home, "refresh")
    check(r.returncode == 0 and os.path.exists(home.token_file() + ".cache") and
          mode_of(home.token_file() + ".cache") == 0o600, "no PATH.cache without a runtime dir", r)
    check(file_state(home.token_file()) == before, "the token file was rewritten")


def case_old_token_files(home):
    """A token file as older releases wrote it (the access token in it,
    no cache) is read as it is and left byte for byte by a refresh; one
    with no access token at all is refreshed, not refused."""
    mock = home.mock()
    old = write_tokens(home, mock, expires_in=3000)
    before = file_state(home.token_file())
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout == old["access_token"] + "\n", "the old file's token", r)
    r = run(home, "refresh")
    check(r.returncode == 0 and file_state(home.token_file()) == before,
          "the old file was rewritten by a refresh", r)
    data = read_json(home.token_file())
    for k in ("access_token", "expires_at", "obtained_at"):
        del data[k]
    with open(home.token_file(), "w") as f:
        json.dump(data, f)
    os.unlink(home.token_file() + ".cache")
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout.strip().startswith("1000.") and
          len(refreshes(mock)) == 2, "a record without an access token was not refreshed", r)


def case_full_program_too(home):
    """Where the full program serves the token (an option the front leaves
    to it, and curl), it renews behind the caller the same way, once."""
    mock = home.mock()
    old = write_tokens(home, mock, expires_in=IN_SOFT)
    r = run(home, "token", "--connect-timeout", "5", "-v", env=AHEAD)
    check(r.returncode == 0 and r.stdout == old["access_token"] + "\n" and
          "being renewed behind this call" in r.stderr, "the full program did not say it", r)
    check(renewed(home, old["access_token"]) and len(refreshes(mock)) == 1,
          "the full program did not renew behind the caller", mock.requests())


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
