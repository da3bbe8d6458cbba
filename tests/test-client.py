#!/usr/bin/env python3
"""login --client-credentials: a Self Client's own grant, for machines with
no user. No browser, no refresh token: the client ID and secret (kept as a
refresh token is), the scope and an optional soid get each access token,
through the same path a refresh takes, on every store. Against the mock
Zoho Accounts server (its client_credentials grant, with multi-org for a
service that needs a soid)."""
import json
import os
import time
import urllib.parse

from harness import (CLIENT_ID, SCOPES, SECRET, SKIP, Background, PgCluster, PrivateBus,
                     cache_path, check, configure, keyring_available, lookup, machine, main,
                     mode_of, needs, postgresql_available, read_json, row, run, status_json,
                     token_path, wait_for)


def cc_requests(mock):
    return [e for e in mock.token_requests()
            if "grant_type=client_credentials" in e.get("body", "")]


def login(home, mock, *extra, env=None):
    return run(home, "login", "--client-credentials", "--client-id", CLIENT_ID,
               "--accounts-url", mock.url, "--scope", SCOPES, *extra, env=env)


def expire(path):
    """The record's access token an hour old (in place: it stays 0600)."""
    data = read_json(path)
    now = int(time.time())
    data["obtained_at"], data["expires_at"] = now - 3610, now - 10
    with open(path, "w") as f:
        json.dump(data, f)


def case_login_and_renew(home):
    """One POST with the client's credentials in the body (nothing secret
    in the URL, no browser): the record keeps the client ID and secret and
    says it is client credentials, with no refresh token; token serves it,
    and once it has expired asks again the same way (the record left as it
    was, the new token in the cache); status says what renews it."""
    mock = home.mock()
    r = login(home, mock)
    check(r.returncode == 0 and "signed in" in r.stderr, "login --client-credentials", r)
    path = home.token_file()
    record = read_json(path)
    check(mode_of(path) == 0o600 and record.get("grant") == "client_credentials" and
          record.get("refresh_token") is None and record["client_secret"] == SECRET and
          record["scope"] == SCOPES, "the record", record)
    [req] = cc_requests(mock)
    body = urllib.parse.parse_qs(req["body"])
    check(body["client_id"] == [CLIENT_ID] and body["client_secret"] == [SECRET] and
          body["scope"] == [SCOPES] and "soid" not in body and not req["query"],
          "the request", req)
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout.strip() == record["access_token"], "token", r)
    expire(path)
    was = open(path).read()
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout.strip() not in ("", record["access_token"]),
          "the expired token was not renewed", r)
    check(len(cc_requests(mock)) == 2 and open(path).read() == was and
          r.stdout.strip() == read_json(cache_path(home.env, path))["access_token"],
          "the renewal did not ask with the credentials and keep the record", mock.requests())
    j = status_json(run(home, "status", "--json"))
    check(j["grant"] == "client_credentials" and j["refresh_token"] is False and
          j["soid"] is None, "status --json", j)
    r = run(home, "status")
    check("client credentials" in r.stdout, "status", r)


def case_soid(home):
    """A service with several organisations answers missing_org_info: the
    message names --soid, and nothing is written; with --soid the soid goes
    with every request and is kept; a malformed one is refused before
    anything is sent."""
    mock = home.mock("multi-org")
    r = login(home, mock)
    check(r.returncode == 5 and "--soid" in r.stderr and not os.path.exists(home.token_file()),
          "missing_org_info", r)
    r = login(home, mock, "--soid", "not an org")
    check(r.returncode == 2 and len(cc_requests(mock)) == 1, "a malformed soid was sent", r)
    r = run(home, "login", "--soid", "ZohoCRM.600000434", "--client-id", CLIENT_ID,
            "--accounts-url", mock.url, "--scope", SCOPES)
    check(r.returncode == 2 and "--client-credentials" in r.stderr, "--soid alone", r)
    r = login(home, mock, "--soid", "ZohoCRM.600000434")
    check(r.returncode == 0 and read_json(home.token_file())["soid"] == "ZohoCRM.600000434",
          "login with --soid", r)
    expire(home.token_file())
    r = run(home, "token")
    bodies = [urllib.parse.parse_qs(e["body"]) for e in cc_requests(mock)]
    check(r.returncode == 0 and bodies[-1].get("soid") == ["ZohoCRM.600000434"] and
          len(bodies) == 3, "the renewal without the soid", r, bodies)


def case_secret_regenerated(home):
    """The client secret regenerated in the console: the renewal is refused
    (exit 7) with the command that signs in again with credentials."""
    mock = home.mock()
    check(login(home, mock).returncode == 0, "login")
    path = home.token_file()
    data = read_json(path)
    data["client_secret"] = "regenerated-elsewhere"
    with open(path, "w") as f:
        json.dump(data, f)
    expire(path)
    r = run(home, "token")
    check(r.returncode == 7 and "login --client-credentials" in r.stderr, "a refused secret", r)


def case_revoke_forgets(home):
    """revoke: there is no token to revoke at Zoho, so the profile is
    forgotten and the message says to regenerate the secret in the API
    console; Zoho's revoke endpoint is not called."""
    mock = home.mock()
    check(login(home, mock).returncode == 0, "login")
    r = run(home, "revoke")
    check(r.returncode == 0 and not os.path.exists(home.token_file()) and
          "Regenerate" in r.stderr and "api-console" in r.stderr, "revoke", r)
    check(not mock.requests("/oauth/v2/token/revoke"), "revoke asked Zoho", mock.requests())


@needs("keyring")
def case_keyring(home):
    """In the keyring: the client secret is the keyring's, the metadata on
    disk holds none and says client credentials; a renewal fetches the
    secret from the keyring."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock = home.mock()
    r = login(home, mock, "--store", "keyring", env=bus.env)
    check(r.returncode == 0, "login --store keyring", r)
    text = open(home.token_file()).read()
    meta = json.loads(text)
    check(meta.get("grant") == "client_credentials" and meta["refresh_token"] is False and
          SECRET not in text, "the metadata", meta)
    check(lookup(bus, "client-secret") == SECRET and lookup(bus, "refresh-token") is None,
          "the keyring's items")
    for p in [os.path.join(bus.runtime, "zoho-oauth", n)
              for n in os.listdir(os.path.join(bus.runtime, "zoho-oauth"))]:
        data = read_json(p)
        data["obtained_at"], data["expires_at"] = int(time.time()) - 3610, int(time.time()) - 10
        with open(p, "w") as f:
            json.dump(data, f)
    r = run(home, "token", env=bus.env)
    check(r.returncode == 0 and len(cc_requests(mock)) == 2, "the renewal from the keyring", r)


@needs("postgresql")
def case_fleet(home):
    """On a shared database: one machine signs in with credentials, another
    with only a config profile serves the row's token, and a renewal on it
    is counted in the row like a refresh (two tokens counted, one request
    each)."""
    if not postgresql_available():
        return SKIP
    pg = PgCluster(home)
    mock = home.mock()
    a, b = machine(home, "m0"), machine(home, "m1")
    for env in (a, b):
        configure(env, mock, pg.uri())
    r = login(home, mock, "--store", pg.uri(), env=a)
    check(r.returncode == 0 and row(pg).get("grant") == "client_credentials" and
          row(pg).get("refresh_token") is None, "login --store postgresql://", r, row(pg))
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"], "machine b", r)
    record = row(pg)
    for k in ("expires_at", "obtained_at"):
        record[k] -= 3600
    pg.psql("UPDATE zoho_oauth_tokens SET record = $r$%s$r$" % json.dumps(record))
    cache = read_json(token_path(b))["access_cache"]
    os.unlink(cache)
    r = run(home, "token", env=b)
    check(r.returncode == 0 and r.stdout.strip() == row(pg)["access_token"] and
          len(cc_requests(mock)) == 2 and row(pg, "array_length(issued, 1)") == "2",
          "the renewal on b", r, row(pg, "issued"))


def two_profiles_of_one_client(home):
    """A database and a machine with two client-credentials profiles of
    one client (two soids), both signed in."""
    pg = PgCluster(home)
    mock = home.mock()
    a = machine(home, "m0")
    configure(a, mock, pg.uri())
    with open(os.path.join(a["XDG_CONFIG_HOME"], "zoho-oauth", "config"), "a") as f:
        f.write("\n[profile other]\nclient_id = %s\naccounts_url = %s\nscope = %s\n"
                "store = %s\nmachine_offset = 0\n" % (CLIENT_ID, mock.url, SCOPES, pg.uri()))
    for profile, soid in (("default", "ZohoCRM.600000001"), ("other", "ZohoCRM.600000002")):
        r = login(home, mock, "--profile", profile, "--store", pg.uri(), "--soid", soid, env=a)
        check(r.returncode == 0, "login --client-credentials --profile " + profile, r)
    return pg, mock, a


@needs("postgresql")
def case_fleet_budget_per_client(home):
    """Zoho counts a client's client-credentials grants together, whichever
    profile asks: two profiles of one client (two soids) in one database
    share the budget of ten in ten minutes. Once their rows count ten
    between them, a renewal of either holds back (exit 5, said why) and
    Zoho sees no eleventh request (before, each row counted alone and
    the eleventh went to Zoho, which throttled it)."""
    if not postgresql_available():
        return SKIP
    pg, mock, a = two_profiles_of_one_client(home)
    for profile, times in (("default", 5), ("other", 3)):
        for _ in range(times):
            r = run(home, "refresh", "--profile", profile, env=a)
            check(r.returncode == 0, "a renewal of " + profile, r)
    check(len(cc_requests(mock)) == 10, "zoho saw %d grants" % len(cc_requests(mock)))
    for profile in ("default", "other"):
        r = run(home, "refresh", "--profile", profile, env=a)
        check(r.returncode == 5 and "client's other client-credentials profiles" in r.stderr,
              "the eleventh renewal (%s) was not held back" % profile, r)
    check(len(cc_requests(mock)) == 10, "zoho saw %d grants" % len(cc_requests(mock)))


@needs("postgresql")
def case_client_lock_only_while_counting(home):
    """The client's lock is held while a renewal is counted, not while Zoho
    answers: with one profile's request at Zoho (it answers in 3 s), the
    other profile's renewal reaches Zoho before that answer (before, it
    waited for the first to be stored)."""
    if not postgresql_available():
        return SKIP
    pg, mock, a = two_profiles_of_one_client(home)
    mock.set_mode("token-delay=3")
    bg = Background(home, "refresh", env=a)
    check(wait_for(lambda: len(cc_requests(mock)) == 3, timeout=15), "the first renewal",
          bg.stderr())
    r = run(home, "refresh", "--profile", "other", env=a)
    check(r.returncode == 0 and bg.wait(30) == 0, "the renewals", r, bg.stderr())
    first, second = cc_requests(mock)[2:4]
    check(second["time"] - first["time"] < 2.5, "the second renewal reached zoho %.1f s after "
          "the first, once it was stored" % (second["time"] - first["time"]))


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
