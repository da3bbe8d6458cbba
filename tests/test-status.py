#!/usr/bin/env python3
"""End-to-end tests of zoho-oauth status: what is stored for a profile
(never a secret), times in local time with the zone and how long until or
ago, every profile at once (--all), and asking Zoho whether the refresh
token still works (--online). Every --json output is held against the shape
zoho-oauth(1) documents (harness/schema.py). Against the mock Zoho
Accounts server."""
import json
import os
import time
import urllib.parse
import urllib.request

from harness import (CLIENT_ID, SECRET, check, current_tokens, json_shape, main, read_json, run, status_json,
                     write_config, write_tokens)


def case_one_profile(home):
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=1800,
                        scope="ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE")
    r = run(home, "status")
    check(r.returncode == 0, "status failed", r)
    for needle in ("default", home.token_file(), CLIENT_ID, mock.url, "ZohoCliq.Messages.CREATE",
                   "yes", "valid, expires "):
        check(needle in r.stdout, "status lacks %r" % needle, r)
    r = run(home, "status", "--json")
    check(r.returncode == 0, "status --json failed", r)
    j = status_json(r)
    check(j["state"] == "signed_in" and j["profile"] == "default" and j["client_id"] == CLIENT_ID
          and j["refresh_token"] is True and j["access_token_valid"] is True
          and 1700 < j["expires_in"] <= 1800
          and j["scopes"] == ["ZohoCliq.Channels.READ", "ZohoCliq.Messages.CREATE"]
          and j["token_file"] == home.token_file() and j["accounts_server"] == mock.url, "json", j)
    for out in (r.stdout, run(home, "status").stdout):
        for secret in (SECRET, data["access_token"], data["refresh_token"]):
            check(secret not in out, "status printed a secret", out)
    write_tokens(home, mock, expires_in=-7200, refresh=None)
    r = run(home, "status")
    check(" (2 hours ago)" in r.stdout and "expired " in r.stdout and "no (online" in r.stdout, "expired status", r)
    check(mock.requests() == [], "status contacted Zoho")


def case_status_missing(home):
    r = run(home, "status")
    check(r.returncode == 7, "status without tokens should exit 7", r)
    check("zoho-oauth login" in r.stderr, "no hint to log in", r)
    r = run(home, "status", "--profile", "work")
    check(r.returncode == 7 and "zoho-oauth login --profile work" in r.stderr, "profile hint", r)


TZ = "XYZ-5:30"


def local(epoch):
    """epoch as the tool shows it in TZ: UTC + 5:30."""
    return time.strftime("%Y-%m-%d %H:%M:%S XYZ", time.gmtime(epoch + 5 * 3600 + 1800))


def case_local_time(home):
    """Each time in local time with the zone, with how long until or ago;
    --json keeps Unix seconds."""
    mock = home.mock()
    now = int(time.time())
    data = write_tokens(home, mock, expires_in=3540, obtained_at=now - 180)
    r = run(home, "status", env={"TZ": TZ})
    check(r.returncode == 0, "status failed", r)
    check("access token:   valid, expires %s (in 5" % local(data["expires_at"]) in r.stdout,
          "the expiry is not in local time with the zone and the time left", r)
    check("obtained:       %s (3 minutes ago)" % local(now - 180) in r.stdout or
          "obtained:       %s (3 minutes ago)" % local(now - 181) in r.stdout,
          "the time obtained is not in local time with how long ago", r)
    r = run(home, "status", "--json", env={"TZ": TZ})
    j = status_json(r)
    check(j["expires_at"] == data["expires_at"] and j["obtained_at"] == now - 180,
          "--json does not keep Unix seconds", j)
    old = write_tokens(home, mock, expires_in=-7200)
    r = run(home, "status", env={"TZ": TZ})
    check("access token:   expired %s (2 hours ago)" % local(old["expires_at"]) in r.stdout,
          "an expired token's time is not in local time with how long ago", r)


CONFIG = """[profile work]
client_id = 1000.WORKCLIENT
dc = eu
scope = ZohoCliq.Channels.READ

[profile ci]
client_id = 1000.CICLIENT
accounts_url = https://accounts.zoho.in
scope = ZohoCliq.Messages.CREATE
"""


def blocks(stdout):
    """status --all's text: one dict of field -> value per profile."""
    found = []
    for block in stdout.strip().split("\n\n"):
        fields = {}
        for line in block.splitlines():
            k, _, v = line.partition(":")
            fields[k.strip()] = v.strip()
        found.append(fields)
    return found


def case_all(home):
    """Two config profiles (one signed in, one not) and a token file that
    no section names: one block each, sorted; status 7 (a profile needs a
    login); no request to Zoho, no secret shown."""
    mock = home.mock()
    write_config(home, CONFIG)
    work = write_tokens(home, mock, profile="work", scope="ZohoCliq.Channels.READ")
    solo = write_tokens(home, mock, profile="solo", expires_in=-60,
                        scope="ZohoCliq.Webhooks.CREATE")
    r = run(home, "status", "--all")
    check(r.returncode == 7, "a profile without tokens: expected status 7", r)
    b = blocks(r.stdout)
    check([x.get("profile") for x in b] == ["ci", "solo", "work"], "not every profile, sorted", r)
    ci, so, wk = b
    check(ci["tokens"] == "none: log in with 'zoho-oauth login --profile ci'" and
          ci["store"] == "file" and ci["accounts"] == "https://accounts.zoho.in" and
          ci["scopes"] == "ZohoCliq.Messages.CREATE", "the profile without tokens", ci)
    check(wk["store"] == "file" and wk["accounts"] == mock.url + " (us)" and
          wk["scopes"] == "ZohoCliq.Channels.READ" and wk["access token"].startswith(
              "valid, expires ") and ("(in 59 minutes)" in wk["access token"] or
                                      "(in 60 minutes)" in wk["access token"]),
          "the signed-in profile", wk)
    check(so["access token"].startswith("expired ") and "ago)" in so["access token"] and
          so["scopes"] == "ZohoCliq.Webhooks.CREATE" and so["token file"] == home.token_file("solo"),
          "the file-only profile", so)
    for secret in (SECRET, work["access_token"], work["refresh_token"], solo["access_token"]):
        check(secret not in r.stdout + r.stderr, "status --all printed a secret", r)
    check(mock.requests() == [], "status --all asked Zoho")
    # All signed in: status 0.
    write_config(home, CONFIG.split("[profile ci]")[0])
    r = run(home, "status", "--all")
    check(r.returncode == 0 and len(blocks(r.stdout)) == 2, "all fine: expected status 0", r)


def case_all_json(home):
    """--all --json: an array, one object per profile, each what status
    --json prints for it (its state: signed_in or no_tokens)."""
    mock = home.mock()
    write_config(home, CONFIG)
    write_tokens(home, mock, profile="work")
    write_tokens(home, mock, profile="solo")
    r = run(home, "status", "--all", "--json")
    check(r.returncode == 7, "expected status 7 (ci has no tokens)", r)
    j = status_json(r)
    check(isinstance(j, list) and [o["profile"] for o in j] == ["ci", "solo", "work"],
          "not an array of every profile", j)
    check(j[0]["state"] == "no_tokens" and j[0]["login"] == "zoho-oauth login --profile ci" and
          j[0]["token_file"] == home.token_file("ci"), "the profile without tokens", j[0])
    for o in j[1:]:
        check(o["client_id"] == CLIENT_ID and o["store"] == "file" and o["refresh_token"] is True
              and o["access_token_valid"] is True and 3500 < o["expires_in"] <= 3600 and
              o["accounts_server"] == mock.url and o["state"] == "signed_in", "a signed-in profile",
              o)


def case_json_path_escaped(home):
    """A token file whose path holds a C1 control (U+009B, CSI) and a byte
    that is not UTF-8: status --json shows neither raw (ASCII only, \\u
    escapes), and a JSON reader gets the path back (the C1 as itself)."""
    mock = home.mock()
    d = os.path.join(home.root, "x\u009b[31m")
    os.makedirs(d, mode=0o700)
    write_tokens(home, mock, path=os.path.join(d, "t.json"))
    r = run(home, "status", "--json", "--token-file", os.path.join(d, "t.json"))
    check(r.returncode == 0, "status --json", r)
    raw = r.stdout.encode("utf-8", "surrogateescape")
    check(all(b < 0x80 for b in raw), "status --json printed non-ASCII bytes", raw[:300])
    check(status_json(r)["token_file"] == os.path.join(d, "t.json"),
          "the path did not come back", r.stdout)
    bad = os.fsencode(home.root) + b"/y\xff"
    os.makedirs(bad, mode=0o700)
    path = os.fsdecode(bad + b"/t.json")
    write_tokens(home, mock, path=path)
    r = run(home, "status", "--json", "--token-file", path)
    raw = r.stdout.encode("utf-8", "surrogateescape")
    check(r.returncode == 0 and all(b < 0x80 for b in raw) and
          status_json(r)["token_file"].endswith("/y\\xff/t.json"),
          "a path that is not UTF-8 was not shown escaped", r)


def case_all_hostile(home):
    """A token file others may read, and one that is not JSON (with a
    terminal escape in it): each listed with its error, the others still
    shown; status 1."""
    mock = home.mock()
    write_tokens(home, mock, profile="good")
    write_tokens(home, mock, profile="open")
    os.chmod(home.token_file("open"), 0o644)
    with open(home.token_file("junk"), "w") as f:
        f.write("\x1b]0;owned\x07 not json")
    os.chmod(home.token_file("junk"), 0o600)
    r = run(home, "status", "--all")
    check(r.returncode == 1, "a token file that can't be used: expected status 1", r)
    b = {x["profile"]: x for x in blocks(r.stdout)}
    check(set(b) == {"good", "junk", "open"}, "not every profile listed", r)
    check(b["good"]["access token"].startswith("valid"), "the good profile", r)
    check("readable by others" in b["open"].get("error", "") or
          "chmod" in b["open"].get("error", ""), "the open file's error", r)
    check(b["junk"].get("error"), "the junk file's error", r)
    check("\x1b" not in r.stdout and "\x07" not in r.stdout, "a control byte reached the terminal")
    r = run(home, "status", "--all", "--json")
    j = {o["profile"]: o for o in status_json(r)}
    check(j["open"]["state"] == "error" and j["open"]["error"] and j["junk"]["state"] == "error"
          and j["good"]["access_token_valid"] is True, "--json errors", j)


STORES = """[profile kr]
store = keyring

[profile db]
store = postgresql://db.example/zoho
"""


def case_json_schema(home):
    """Every --json output has the shape zoho-oauth(1) gives under JSON
    OUTPUT, read from the page (status_json): every key, in its order, of
    its type, null where the entry's state has no value for it, and the
    schema version; here each state the file store can show, alone and in
    --all. (The keyring's and a database's are in their own files.)"""
    top, version = json_shape()
    check([k.name for k in top.keys[:3]] == ["profile", "state", "schema"] and version == 1,
          "zoho-oauth(1) does not list profile, state and schema first, or not schema 1",
          [k.name for k in top.keys])
    mock = home.mock()
    # No profile at all: an empty array, and the error as before.
    r = run(home, "status", "--all", "--json")
    check(r.returncode == 7 and status_json(r) == [] and "no profiles" in r.stderr,
          "--all --json without profiles", r)
    # Signed in: nothing throttled, no budget, not asked online.
    write_tokens(home, mock)
    r = run(home, "status", "--json")
    j = status_json(r)
    check(r.returncode == 0 and j["state"] == "signed_in" and j["status"] == 0 and
          j["error"] is None and j["login"] is None and j["location"] == "us" and
          j["throttled_until"] is None and j["budget"] is None and j["online"] is None,
          "a signed-in profile", j)
    # Expired, no refresh token, throttled, no location or API domain.
    now = int(time.time())
    data = write_tokens(home, mock, expires_in=-60, refresh=None, throttled_until=now + 600)
    del data["location"], data["api_domain"]
    with open(home.token_file(), "w") as f:
        json.dump(data, f)
    r = run(home, "status", "--json")
    j = status_json(r)
    check(r.returncode == 0 and j["refresh_token"] is False and j["access_token_valid"] is False
          and j["expires_in"] < 0 and j["throttled_until"] == now + 600 and j["location"] is None
          and j["api_domain"] is None, "an expired, throttled profile", j)
    # No tokens: the entry on standard output, the error still said.
    for args in ((), ("--online",)):
        r = run(home, "status", "--json", "--profile", "work", *args)
        j = status_json(r)
        check(r.returncode == 7 and j["state"] == "no_tokens" and j["profile"] == "work" and
              j["login"] == "zoho-oauth login --profile work" and j["store"] == "file" and
              j["token_file"] == home.token_file("work") and j["online"] is None,
              "status --json %s without tokens" % " ".join(args), r)
        check("zoho-oauth login --profile work" in r.stderr, "the error is not said", r)
    # A token file that is not valid: its error, on both outputs.
    with open(home.token_file("junk"), "w") as f:
        f.write("not json")
    r = run(home, "status", "--json", "--profile", "junk")
    j = status_json(r)
    check(r.returncode == 1 and j["state"] == "error" and j["status"] == 1 and j["error"] and
          j["error"] in r.stderr and j["store"] is None and j["login"] is None,
          "status --json of a token file that is not valid", r)
    # --all: each state at once; a store where a login would put them.
    write_config(home, STORES)
    r = run(home, "status", "--all", "--json")
    j = {o["profile"]: o for o in status_json(r)}
    check(r.returncode == 1 and sorted(j) == ["db", "default", "junk", "kr"] and
          j["default"]["state"] == "signed_in" and j["junk"]["state"] == "error" and
          j["kr"]["store"] == "keyring" and j["db"]["store"] == "postgresql" and
          j["kr"]["login"] == "zoho-oauth login --profile kr", "--all --json of each state", r)
    check(mock.requests() == [], "status asked Zoho")


def case_all_usage(home):
    r = run(home, "status", "--all", "--profile", "work")
    check(r.returncode == 2 and "drop --profile" in r.stderr, "--all with --profile", r)
    r = run(home, "status", "--all", "--online")
    check(r.returncode == 2 and "--online" in r.stderr, "--all with --online", r)
    r = run(home, "status", "--all")
    check(r.returncode == 7 and "no profiles" in r.stderr and "zoho-oauth login" in r.stderr,
          "no profiles at all", r)


USER_SCOPE = "ZohoCliq.Channels.READ,AaaServer.profile.Read"


def case_online(home):
    """--online: exactly one refresh, through the locked path (the new
    access token is saved), and whose account it is."""
    mock = home.mock()
    data = write_tokens(home, mock, scope=USER_SCOPE)
    r = run(home, "status", "--online")
    check(r.returncode == 0, "status --online failed", r)
    check(len(mock.token_requests()) == 1, "expected exactly one refresh", mock.requests())
    form = urllib.parse.parse_qs(mock.token_requests()[0]["body"])
    check(form["grant_type"] == ["refresh_token"], "not a refresh", form)
    saved = current_tokens(home)
    check(saved["access_token"] != data["access_token"] and
          saved["refresh_token"] == data["refresh_token"], "the new access token was not kept")
    info = mock.requests("/oauth/user/info")
    check(len(info) == 1 and info[0]["method"] == "GET" and
          info[0]["headers"].get("Authorization") == "Zoho-oauthtoken " + saved["access_token"],
          "user info not asked once with the new token", info)
    check("the refresh token works" in r.stdout and "cost one refresh" in r.stdout,
          "the output does not say it works and what it cost", r)
    check("account:        Pat Example <pat@example.com>" in r.stdout, "whose account", r)
    check(saved["access_token"] not in r.stdout + r.stderr, "a token was printed", r)
    r = run(home, "status", "--online", "--json")
    j = status_json(r)
    check(r.returncode == 0 and j["online"]["refresh_token_works"] is True and
          j["online"]["account"] == {"display_name": "Pat Example", "email": "pat@example.com"}
          and j["client_id"] == CLIENT_ID, "--online --json", j)


def case_online_no_user_scope(home):
    """Without AaaServer.profile.Read, user info is not asked for."""
    mock = home.mock()
    write_tokens(home, mock, scope="ZohoCliq.Channels.READ")
    r = run(home, "status", "--online")
    check(r.returncode == 0 and len(mock.token_requests()) == 1, "one refresh", r)
    check(mock.requests("/oauth/user/info") == [], "user info asked without the scope")
    check("not asked (the scopes lack AaaServer.profile.Read)" in r.stdout, "the account line", r)
    r = run(home, "status", "--online", "--json")
    j = status_json(r)
    check(r.returncode == 0 and j["online"]["refresh_token_works"] is True and
          j["online"]["account"] is None, "--online --json without the scope", j)


def case_online_revoked(home):
    """A refresh token Zoho no longer honours: said so, with the login
    command, status 7; the file is left as it was."""
    mock = home.mock()
    data = write_tokens(home, mock, profile="work", scope=USER_SCOPE)
    req = urllib.request.Request(mock.url + "/oauth/v2/token/revoke",
                                 data=urllib.parse.urlencode({"token": data["refresh_token"]})
                                 .encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).read()
    before = open(home.token_file("work")).read()
    r = run(home, "status", "--online", "--profile", "work")
    check(r.returncode == 7, "a revoked refresh token: expected status 7", r)
    check("the refresh token no longer works" in r.stdout and
          "zoho-oauth login --profile work" in r.stdout, "the output does not say so", r)
    check("zoho-oauth login --profile work" in r.stderr, "no login hint on stderr", r)
    check(mock.requests("/oauth/user/info") == [], "user info asked with a dead token")
    check(open(home.token_file("work")).read() == before, "the token file was changed")
    r = run(home, "status", "--online", "--json", "--profile", "work")
    j = status_json(r)
    check(r.returncode == 7 and j["state"] == "signed_in" and j["status"] == 0 and
          j["online"]["refresh_token_works"] is False and j["online"]["status"] == 7 and
          j["online"]["account"] is None, "--online --json of a revoked refresh token", j)


def case_online_hostile_user(home):
    """A name with terminal controls is shown escaped; an answer that is not
    the user info makes the account unknown."""
    mock = home.mock()
    write_tokens(home, mock, scope=USER_SCOPE)
    mock.set_mode(urllib.parse.quote("user-name=Eve\x1b]0;owned\x07\x9b"))
    r = run(home, "status", "--online")
    check(r.returncode == 0, "status --online failed", r)
    check("\x1b" not in r.stdout and "\x07" not in r.stdout and "\x9b" not in r.stdout,
          "a control character reached the terminal", repr(r.stdout))
    check("Eve\\x1b]0;owned\\x07" in r.stdout, "the name is not shown escaped", r)
    mock.set_mode("user-info-html")
    r = run(home, "status", "--online")
    check(r.returncode == 0 and "account:        unknown" in r.stdout, "an HTML answer", r)


def case_help(home):
    """status --help tells of --all and --online, and what --online costs.
    (That every help line fits in 80 columns is messages@help_width.)"""
    r = run(home, "status", "--help")
    check("--all" in r.stdout and "--online" in r.stdout and "costs one refresh" in r.stdout,
          "status --help lacks --all or --online", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
