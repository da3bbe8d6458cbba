#!/usr/bin/env python3
"""revoke: the refresh token revoked at Zoho and the tokens forgotten, in
each store; kept when Zoho can't be reached (and --local to forget them
anyway); and the lock's waiters kept apart while revoke removes it."""
import json
import os
import urllib.request

from harness import (SKIP, Background, PrivateBus, body_of, cache_files, check, file_state, fleet,
                     keyring_available, keyring_login, lookup, main, needs, postgresql_available,
                     run, token_path, wait_for, write_tokens)


def case_file(home):
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    r = run(home, "revoke")
    check(r.returncode == 0, "revoke failed", r)
    reqs = mock.requests("/oauth/v2/token/revoke")
    check(len(reqs) == 1 and body_of(reqs[0])["token"] == [data["refresh_token"]],
          "the mock did not see the refresh token", reqs)
    check(data["refresh_token"] not in reqs[0]["query"], "the token was sent in the URL")
    check(not os.path.exists(home.token_file()), "the token file is still there")
    check(not os.path.exists(home.token_file() + ".lock"), "the lock file is still there")
    with urllib.request.urlopen(mock.url + "/mock/state") as resp:
        check(data["refresh_token"] not in json.load(resp)["refresh_tokens"], "not revoked")
    r = run(home, "token")
    check(r.returncode == 7 and "zoho-oauth login" in r.stderr, "token after revoke", r)


def case_revoke_unreachable(home):
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    before = file_state(home.token_file())
    mock.stop()
    r = run(home, "revoke", "--connect-timeout", "2")
    check(r.returncode == 6, "revoke without Zoho should exit 6", r)
    check("--local" in r.stderr and "kept" in r.stderr, "message", r)
    check(file_state(home.token_file()) == before, "the token file changed")
    r = run(home, "revoke", "--local")
    check(r.returncode == 0, "revoke --local failed", r)
    check(not os.path.exists(home.token_file()), "revoke --local kept the file")
    check("without revoking" in r.stderr, "no warning that the token still works", r)


def case_revoke_server_error(home):
    mock = home.mock("revoke-502")
    write_tokens(home, mock, expires_in=3000)
    before = file_state(home.token_file())
    r = run(home, "revoke")
    check(r.returncode == 6, "a 502 from the revoke endpoint should exit 6", r)
    check(file_state(home.token_file()) == before, "the token file changed")


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


@needs("keyring")
def case_keyring(home):
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock, port, _ = keyring_login(home, bus)
    refresh = mock.issued_refresh_tokens()[-1]
    r = run(home, "revoke", env=bus.env)
    check(r.returncode == 0, "revoke", r)
    reqs = mock.requests("/oauth/v2/token/revoke")
    check(len(reqs) == 1 and refresh in reqs[0]["body"], "Zoho was not asked to revoke it", reqs)
    check(lookup(bus, "refresh-token") is None and lookup(bus, "client-secret") is None,
          "the keyring items are still there")
    check(not os.path.exists(home.token_file()) and not cache_files(bus), "files left behind")


@needs("postgresql")
def case_postgresql(home):
    """revoke on one machine revokes at Zoho and removes the row; the next
    machine is told to sign in again (exit 7)."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    r = run(home, "token", env=b)
    check(r.returncode == 0, "token", r)
    r = run(home, "revoke", env=a)
    check(r.returncode == 0 and pg.psql("SELECT count(*) FROM zoho_oauth_tokens") == "0",
          "revoke left the row", r)
    r = run(home, "refresh", env=b)
    check(r.returncode == 7 and "sign in again" in r.stderr, "refresh after revoke elsewhere", r)


@needs("postgresql")
def case_postgresql_local(home):
    """revoke --local on one machine forgets the profile there only: the
    row stays, and the other machines go on."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, _) = fleet(home)
    r = run(home, "token", env=b)
    check(r.returncode == 0, "token", r)
    r = run(home, "revoke", "--local", env=b)
    check(r.returncode == 0 and not os.path.exists(token_path(b)), "revoke --local", r)
    check(pg.psql("SELECT count(*) FROM zoho_oauth_tokens") == "1", "the row went")
    r = run(home, "token", env=a)
    check(r.returncode == 0, "machine a lost the profile", r)
    check(not mock.requests("/oauth/v2/token/revoke"), "zoho was asked to revoke")


def case_hint_has_profile(home):
    """revoke -p dev when Zoho can't confirm it: the advice names the
    profile (without it, 'revoke --local' would forget default's tokens),
    and the error is said last, once."""
    mock = home.mock("revoke-502")
    write_tokens(home, mock, profile="dev", expires_in=3000)
    write_tokens(home, mock, expires_in=3000, refresh="1000.refresh.default")
    r = run(home, "revoke", "-p", "dev")
    check(r.returncode == 6 and "revoke --local" in r.stderr, "revoke with zoho failing", r)
    said = [l for l in r.stderr.splitlines() if l.startswith("zoho-oauth:")]
    for line in said:
        if "revoke --local" in line:
            check("zoho-oauth revoke --local --profile dev" in line, "advice without the profile", r)
    check(said[-1].startswith("zoho-oauth: error:") and
          sum(l.startswith("zoho-oauth: error:") for l in said) == 1,
          "the error is not said once, last", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
