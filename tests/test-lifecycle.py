#!/usr/bin/env python3
"""End-to-end tests of what comes after login: token, header, refresh,
status, revoke, profiles and the config file. Against the mock Zoho
Accounts server; token files are written as login writes them."""
import concurrent.futures
import json
import os
import signal
import subprocess
import time
import urllib.parse
import urllib.request

from harness import (BINARY, CLIENT_ID, DATA, SECRET, SKIP, Background, body_of, check, complete,
                     file_state, free_port, main, mode_of, read_json, run, write_config,
                     write_secret, write_tokens)


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
    new = read_json(home.token_file())
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
          r.stdout.strip() == read_json(home.token_file())["access_token"], "no refresh", r)


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
        check(r.returncode == 0 and data["access_token"] in r.stdout and r.stderr == "", args, r)
    check(mock.requests() == [], "a cached token made a request")


def case_min_valid(home):
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=120)
    r = run(home, "token", "--min-valid", "60")
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "token", r)
    check(mock.requests() == [], "--min-valid 60 still refreshed a token with 120 s left")
    r = run(home, "header", "--min-valid", "600")
    check(r.returncode == 0 and len(mock.token_requests()) == 1, "--min-valid 600", r)


def case_forced_refresh(home):
    mock = home.mock()
    old = write_tokens(home, mock, expires_in=3000)
    r = run(home, "refresh")
    check(r.returncode == 0 and r.stdout == "", "refresh", r)
    check(len(mock.token_requests()) == 1, "refresh made no request")
    new = read_json(home.token_file())
    check(new["access_token"] != old["access_token"], "the token did not change")
    check(new["refresh_token"] == old["refresh_token"], "the refresh token changed")
    check(new["access_token"] not in r.stderr, "the token was printed on stderr", r)


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
    check(outputs.pop() == read_json(home.token_file())["access_token"] + "\n", "not the stored one")


def case_status(home):
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
    j = json.loads(r.stdout)
    check(j["profile"] == "default" and j["client_id"] == CLIENT_ID and j["refresh_token"] is True
          and j["access_token_valid"] is True and 1700 < j["expires_in"] <= 1800
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


def case_revoke(home):
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


def case_refresh_limit(home):
    """Zoho's own limit: the 11th refresh within 10 minutes is refused."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    for i in range(10):
        r = run(home, "refresh")
        check(r.returncode == 0, "refresh %d failed" % (i + 1), r)
    before = read_json(home.token_file())
    r = run(home, "refresh")
    check(r.returncode == 5 and "10 minutes" in r.stderr, "the 11th refresh", r)
    check(tokens_but_throttle(home.token_file()) == before, "the tokens changed")
    # Remembered: a 12th is not even sent.
    r = run(home, "refresh")
    check(r.returncode == 5 and len(mock.token_requests()) == 11, "a 12th refresh was sent", r)


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


def case_online_expired(home):
    """token on an expired online-access profile: exit 7, 'has expired',
    and the way to a refresh token; Zoho is not asked."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10, refresh=None)
    r = run(home, "token")
    check(r.returncode == 7 and "no refresh token" in r.stderr, "online token expired", r)
    check("has expired" in r.stderr and "--access-type offline" in r.stderr, "message", r)
    check(mock.requests() == [], "Zoho was asked anyway")


def case_missing(home):
    for cmd in ("token", "header", "refresh", "revoke"):
        r = run(home, cmd)
        check(r.returncode == 7, "%s without a token file should exit 7" % cmd, r)
        check("zoho-oauth login" in r.stderr and home.token_file() in r.stderr, "message", r)


def case_corrupt(home):
    mock = home.mock()
    write_tokens(home, mock, expires_in=10)
    path = home.token_file()
    text = open(path).read()
    with open(path, "w") as f:
        f.write(text[: len(text) // 2])
    before = file_state(path)
    for cmd in ("token", "status", "refresh", "revoke"):
        r = run(home, cmd)
        check(r.returncode == 1, "%s on a truncated file should exit 1" % cmd, r)
        check(path in r.stderr and "not a valid token file" in r.stderr, "message", r)
        check(file_state(path) == before, "the corrupt file was changed by " + cmd)
    # Valid JSON with a wrong type is just as corrupt.
    write_tokens(home, mock, expires_in=10, expires_at="soon")
    r = run(home, "token")
    check(r.returncode == 1 and "expires_at" in r.stderr, "wrong type", r)
    check(mock.requests("/oauth/v2/token") == [], "a corrupt file led to a request")


def case_world_readable(home):
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    os.chmod(home.token_file(), 0o644)
    r = run(home, "token")
    check(r.returncode == 1, "a world-readable token file should be refused", r)
    check("chmod 600" in r.stderr and r.stdout == "", "message", r)
    os.chmod(home.token_file(), 0o600)
    check(run(home, "token").returncode == 0, "token after chmod 600")


def case_symlink(home):
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000, path=os.path.join(home.root, "elsewhere.json"))
    os.makedirs(os.path.dirname(home.token_file()), exist_ok=True)
    os.symlink(os.path.join(home.root, "elsewhere.json"), home.token_file())
    r = run(home, "token")
    check(r.returncode == 1 and "symbolic link" in r.stderr, "a symlinked token file", r)
    check(data["access_token"] not in r.stdout, "the token was printed")


def case_profiles(home):
    mock = home.mock()
    default = write_tokens(home, mock, expires_in=3000)
    work = write_tokens(home, mock, profile="work", expires_in=3000, refresh="1000.work.refresh")
    check(run(home, "token").stdout == default["access_token"] + "\n", "default profile")
    check(run(home, "token", "--profile", "work").stdout == work["access_token"] + "\n", "--profile")
    r = run(home, "token", env={"ZOHO_OAUTH_PROFILE": "work"})
    check(r.stdout == work["access_token"] + "\n", "ZOHO_OAUTH_PROFILE", r)
    r = run(home, "token", "--profile", "default", env={"ZOHO_OAUTH_PROFILE": "work"})
    check(r.stdout == default["access_token"] + "\n", "--profile beats ZOHO_OAUTH_PROFILE", r)
    other = os.path.join(home.root, "other.json")
    third = write_tokens(home, mock, path=other, expires_in=3000, refresh="1000.third")
    r = run(home, "token", env={"ZOHO_OAUTH_TOKEN_FILE": other})
    check(r.stdout == third["access_token"] + "\n", "ZOHO_OAUTH_TOKEN_FILE", r)
    r = run(home, "token", "--token-file", home.token_file("work"),
            env={"ZOHO_OAUTH_TOKEN_FILE": other})
    check(r.stdout == work["access_token"] + "\n", "--token-file beats the environment", r)
    r = run(home, "token", "--profile", "../etc")
    check(r.returncode == 2, "a profile name with a slash should be refused", r)
    r = run(home, "token", "--token-file", "-")
    check(r.returncode == 2, "token --token-file - should be refused", r)


def consent_query(home, *args, env=None):
    """Start login with --no-browser, read the consent URL it prints, stop it."""
    # The client IDs are made up: the pre-flight would stop them.
    bg = Background(home, "login", "--no-browser", "--no-preflight", "--timeout", "20", *args,
                    env=env)
    url = bg.consent_url()
    bg.signal(signal.SIGTERM)
    rc = bg.wait(10)
    check(rc == 143, "SIGTERM should exit 143, not %s" % rc, bg.stderr())
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


def case_config(home):
    mock = home.mock()
    port = free_port()
    write_config(home, """# zoho-oauth profiles
[profile work]
client_id = 1000.FROMCONFIG
accounts_url = %s
scope = ZohoCliq.Channels.READ,
        ZohoCliq.Messages.CREATE
redirect_uri = http://localhost:%d/callback
access_type = online   ; a comment

[profile other]
client_id = 1000.OTHER
dc = eu
scope = ZohoCRM.modules.ALL
""" % (mock.url, port))
    env = {"ZOHO_CLIENT_ID": None}
    q = consent_query(home, "--profile", "work", env=env)
    check(q["client_id"] == "1000.FROMCONFIG", "client_id from the config", q)
    check(q["scope"] == "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE", "continued scope", q)
    check(q["redirect_uri"] == "http://localhost:%d/callback" % port, "redirect_uri", q)
    check(q["access_type"] == "online", "access_type from the config", q)
    q = consent_query(home, env={"ZOHO_CLIENT_ID": None, "ZOHO_OAUTH_PROFILE": "work"})
    check(q["client_id"] == "1000.FROMCONFIG", "ZOHO_OAUTH_PROFILE picks the section", q)
    # The environment beats the file, the command line beats both.
    q = consent_query(home, "--profile", "work", env={"ZOHO_CLIENT_ID": "1000.FROMENV"})
    check(q["client_id"] == "1000.FROMENV", "ZOHO_CLIENT_ID over the config", q)
    q = consent_query(home, "--profile", "work", "--client-id", "1000.FROMFLAG",
                      "--scope", "ZohoCliq.Users.READ", "--access-type", "offline",
                      env={"ZOHO_CLIENT_ID": "1000.FROMENV"})
    check(q["client_id"] == "1000.FROMFLAG" and q["scope"] == "ZohoCliq.Users.READ"
          and q["access_type"] == "offline", "flags over everything", q)
    # The other profile: dc = eu.
    bg = Background(home, "login", "--no-browser", "--profile", "other", "--timeout", "20",
                    "--redirect-uri", "http://localhost:%d/callback" % free_port(),
                    env={"ZOHO_CLIENT_ID": None})
    url = bg.consent_url()
    bg.signal(signal.SIGINT)
    check(bg.wait(10) == 130, "SIGINT should exit 130")
    check(url.startswith("https://accounts.zoho.eu/oauth/v2/auth?") and "1000.OTHER" in url,
          "dc = eu from the config", url)


def case_config_secret(home):
    """The secret: --client-secret-file, then ZOHO_CLIENT_SECRET, then the
    config's client_secret_file."""
    port = free_port()
    mock = home.mock(redirect_uris=["http://localhost:%d/callback" % port])

    write_config(home, """[profile default]
client_id = %s
accounts_url = %s
scope = ZohoCliq.Channels.READ
redirect_uri = http://localhost:%d/callback
client_secret_file = %s
""" % (CLIENT_ID, mock.url, port, write_secret(home, "config-secret", "from-config\n")))
    flag_file = write_secret(home, "flag-secret", "from-flag\n")
    for args, env, expected in (([], {"ZOHO_CLIENT_SECRET": None}, "from-config"),
                                ([], {"ZOHO_CLIENT_SECRET": "from-env"}, "from-env"),
                                (["--client-secret-file", flag_file],
                                 {"ZOHO_CLIENT_SECRET": "from-env"}, "from-flag")):
        r = run(home, "login", "--force", *args, env=env)
        check(r.returncode == 5, "the wrong secret should be refused", r)
        # The pre-flight refuses it, before any browser.
        used = body_of(mock.preflight_requests()[-1])["client_secret"]
        check(used == [expected], "expected the secret %s, got %s" % (expected, used))
        check(expected not in r.stderr, "the secret was printed", r)


def case_config_errors(home):
    long_line = "scope = " + ",".join(["ZohoCliq.Channels.READ"] * 12)
    for text, line, words in (
            ("[profile a]\nclient_id = 1000.A\ncolour = blue\n", 3, "unknown setting 'colour'"),
            ("[profile a]\nscope = ZohoCliq.Channels\n", 2, "missing a part"),
            ("client_id = 1000.A\n", 1, "before any [profile NAME]"),
            ("[work]\nclient_id = 1000.A\n", 2, "[work] is not a section"),
            ("[profile a]\nclient_secret = abc\n", 2, "does not belong in the config"),
            ("[profile a]\ndc = mars\n", 2, "unknown data centre"),
            ("[profile a]\nclient_id = 1000.A\nclient_id = 1000.B\n", 3, "set twice"),
            ("[profile a]\n" + long_line + "\n", 2, "longer than"),
            ("[profile a]\nredirect_uri = http://example.com:1/cb\n", 2, "not on this machine"),
            ("[profile a]\nthis line is wrong\n", 2, "not a 'name = value' line"),
            ("[profile a]\ndc = eu\naccounts_url = https://accounts.zoho.eu\n", 3, "both"),
    ):
        path = write_config(home, text)
        r = run(home, "login", "--profile", "a", "--client-id", CLIENT_ID,
                "--scope", "ZohoCliq.Channels.READ")
        check(r.returncode == 2, "config error %r should exit 2" % words, r)
        check("%s:%d:" % (path, line) in r.stderr and words in r.stderr,
              "expected '%s:%d: ...%s'" % (path, line, words), r)
        check("abc" not in r.stderr or "client_secret" not in text, "echoed a secret", r)


def case_login_already(home):
    port = free_port()
    mock = home.mock(redirect_uris=["http://localhost:%d/callback" % port])
    args = ["login", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--redirect-uri", "http://localhost:%d/callback" % port,
            "--scope", "ZohoCliq.Channels.READ", "--timeout", "20"]
    data = write_tokens(home, mock, expires_in=3000)
    before = file_state(home.token_file())
    r = run(home, *args)
    check(r.returncode == 0 and "already holds a working refresh token" in r.stderr
          and "--force" in r.stderr, "login over working tokens", r)
    check(mock.requests() == [], "login over working tokens contacted Zoho")
    check(file_state(home.token_file()) == before, "the token file changed")
    # An expired access token: a refresh shows the refresh token works.
    write_tokens(home, mock, expires_in=-100)
    r = run(home, *args)
    check(r.returncode == 0 and "already holds" in r.stderr, "expired access token", r)
    check(len(mock.token_requests()) == 1 and not mock.requests("/oauth/v2/auth"),
          "expected one refresh and no sign-in")
    # More scopes than stored: sign in again.
    r = run(home, *args[:-4], "--scope", "ZohoCliq.Channels.READ,ZohoCliq.Users.READ",
            "--timeout", "20")
    check(r.returncode == 0 and "lack scopes" in r.stderr, "new scopes", r)
    check(len(mock.requests("/oauth/v2/auth")) == 1, "no sign-in for new scopes")
    # A revoked refresh token: sign in again.
    write_tokens(home, None, expires_in=-100, refresh="1000.revoked", accounts_server=mock.url)
    r = run(home, *args)
    check(r.returncode == 0 and "no longer works" in r.stderr, "revoked refresh token", r)
    check(len(mock.requests("/oauth/v2/auth")) == 2, "no sign-in after revocation")
    # --force signs in whatever is stored.
    r = run(home, *args, "--force")
    check(r.returncode == 0 and len(mock.requests("/oauth/v2/auth")) == 3, "--force", r)


def case_example_config(home):
    """The shipped example parses, and means what its comments say."""
    write_config(home, open(os.path.join(DATA, "config.example")).read())
    q = consent_query(home, "--redirect-uri", "http://localhost:%d/cb" % free_port(),
                      env={"ZOHO_CLIENT_ID": None})
    check(q["client_id"] == "1000.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "client_id", q)
    check(q["scope"] == "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE", "scope", q)
    check(q["access_type"] == "offline", "access_type", q)
    q = consent_query(home, "--profile", "crm-reports", "--redirect-uri",
                      "http://localhost:%d/cb" % free_port(), env={"ZOHO_CLIENT_ID": None})
    check(q["client_id"] == "1000.YYYYYYYYYYYYYYYYYYYYYYYYYYYYYY", "second profile", q)


def case_errors_said_once(home):
    """Each failure is reported once, as one error line; what to do next is
    not a second error."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    path = home.token_file()
    with open(path, "w") as f:
        f.write("{bad")
    login = ["login", "--client-id", CLIENT_ID, "--scope", "ZohoCliq.Channels.READ",
             "--accounts-url", mock.url]
    r = run(home, *login)
    check(r.returncode == 1 and r.stderr.count("error:") == 1, "login over a corrupt file", r)
    write_tokens(home, mock, expires_in=-10)
    mock.stop()
    for args, status in ((login, 6), (["revoke", "--connect-timeout", "2"], 6),
                         (["token", "--connect-timeout", "2"], 6)):
        r = run(home, *args)
        check(r.returncode == status and r.stderr.count("error:") == 1,
              "%s: not one error line" % args[0], r)


def case_completion_bash(home):
    write_config(home, "[profile work]\nclient_id = 1000.A\n[profile  home ]\n")
    mock = home.mock()
    write_tokens(home, mock, profile="ci")
    check(complete(home, ["zoho-oauth", "to"]) == {"token"}, "commands")
    check({"--min-valid", "--profile", "--token-file"} <= complete(home, ["zoho-oauth", "token", "--"]),
          "token options")
    check("--scope" not in complete(home, ["zoho-oauth", "token", "--"]), "login-only option")
    check("--redirect-uri" in complete(home, ["zoho-oauth", "login", "--re"]), "login options")
    check(complete(home, ["zoho-oauth", "status", "--profile", ""]) == {"work", "ci"}, "profiles",
          complete(home, ["zoho-oauth", "status", "--profile", ""]))
    check(complete(home, ["zoho-oauth", "login", "--dc", "e"]) == {"eu"}, "data centres")
    # The list of data centres runs over a wrapped help line.
    check(complete(home, ["zoho-oauth", "login", "--dc", "c"]) == {"ca", "cn"}, "data centres",
          complete(home, ["zoho-oauth", "login", "--dc", "c"]))
    check(complete(home, ["zoho-oauth", "mi"]) == {"migrate"}, "migrate")
    check(complete(home, ["zoho-oauth", "migrate", "--to", ""]) == {"file", "keyring", "postgresql://", "service="}, "stores")


def case_completion_zsh(home):
    import shutil
    zsh = shutil.which("zsh")
    if not zsh:
        print("SKIP: zsh is not installed (apt-get install zsh)")
        return SKIP
    r = subprocess.run([zsh, "-n", os.path.join(DATA, "_zoho-oauth")], capture_output=True, text=True)
    check(r.returncode == 0, "zsh cannot parse _zoho-oauth", r.stderr)
    # Load it in a real completion system and list the commands it offers.
    script = r"""
fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D
autoload -Uz _zoho-oauth
print -r -- ${functions[_zoho-oauth]:+loaded}
"""
    r = subprocess.run([zsh, "-f", "-c", script, "zsh", DATA], capture_output=True, text=True,
                       env=home.env)
    check("loaded" in r.stdout, "zsh could not load the completion", r.stdout + r.stderr)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
