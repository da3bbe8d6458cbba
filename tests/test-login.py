#!/usr/bin/env python3
"""zoho-oauth login in the browser, against the mock Zoho Accounts server
and the stand-in browser: the consent page and back to the loopback
listener, the pages the browser is shown, what Zoho may answer, the
one-time link the browser is started with, the desktop portal, the wait
and its countdown, signals, and keeping what Zoho issued. The check
before the browser opens is test-preflight.py; signing in without a
browser, test-paste.py; the listener under attack, test-listener.py."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

from harness import (BINARY, CLEAR, CLIENT_ID, HERE, SECRET, SKIP, Background, Holder, Terminal,
                     check, check_clean_end_of, decline_save, faketime, file_state, final_page,
                     free_port, listener_get, lock_of, login_args, main, mode_of, no_audit,
                     port_open, read_json, remote_browser, run, screen, setup_login, unprivileged,
                     wait_for, write_tokens)


def assert_no_secrets(home, r, extra=()):
    """The client secret, code verifier and tokens appear nowhere they should not."""
    tokens = []
    path = home.token_file()
    if os.path.exists(path):
        data = read_json(path)
        tokens = [data.get("access_token"), data.get("refresh_token")]
    needles = [SECRET, *[t for t in tokens if t], *extra]
    for n in needles:
        check(n not in r.stderr, "a secret reached stderr", r)
        check(n not in r.stdout, "a secret reached stdout", r)
    for rec in home.browser_records(wait=False):
        blob = json.dumps(rec["argv"]) + json.dumps(rec["env"])
        for n in needles:
            check(n not in blob, "a secret reached the browser's argv or environment")


def assert_secret_only_in_token_bodies(mock):
    for req in mock.requests():
        check(SECRET not in req["query"], "the secret was in a URL", req)
        check(SECRET not in json.dumps(req["headers"]), "the secret was in a header", req)
        if SECRET in req["body"]:
            check(req["method"] == "POST" and req["path"] == "/oauth/v2/token",
                  "the secret was sent somewhere other than the token endpoint", req)


def case_success(home, host="localhost"):
    mock, port = setup_login(home, host=host)
    r = run(home, *login_args(mock, port, host=host))
    check(r.returncode == 0, "login failed", r)
    check(r.stdout == "", "login printed on stdout", r)
    path = home.token_file()
    check(mode_of(path) == 0o600, "token file mode is %o" % mode_of(path))
    check(mode_of(os.path.dirname(path)) == 0o700, "token directory is not 0700")
    check(path in r.stderr, "the terminal does not say where the tokens went", r)
    t = read_json(path)
    for field in ("access_token", "refresh_token", "token_type", "api_domain", "expires_at",
                  "scope", "client_id", "client_secret", "accounts_server", "location",
                  "obtained_at"):
        check(t.get(field) is not None, "token file lacks " + field, t)
    check(t["client_id"] == CLIENT_ID and t["client_secret"] == SECRET, "client fields wrong", t)
    check(t["accounts_server"] == mock.url, "accounts_server wrong", t)
    check(t["location"] == "us", "location wrong", t)
    check(isinstance(t["expires_at"], int) and abs(t["expires_at"] - time.time() - 3600) < 60,
          "expires_at is not about an hour away", t)
    check(t["refresh_token"].startswith("1000."), "no refresh token", t)
    check(not [f for f in os.listdir(os.path.dirname(path)) if f.startswith(".")],
          "a temporary file was left behind")

    auth = mock.requests("/oauth/v2/auth")
    check(len(auth) == 1, "expected one consent request", auth)
    q = urllib.parse.parse_qs(auth[0]["query"])
    check(q["redirect_uri"] == ["http://%s:%d/callback" % (host, port)], "redirect_uri", q)
    check(q["access_type"] == ["offline"] and q["prompt"] == ["consent"], "offline/consent", q)
    check(q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) == 43, "PKCE", q)
    check(len(q["state"][0]) >= 22, "state too short", q)
    check(q["scope"] == ["ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE"], "scope", q)

    tok = mock.token_requests()
    check(len(tok) == 1, "expected exactly one token request", tok)
    check(tok[0]["query"] == "", "token request had a query string", tok[0])
    body = urllib.parse.parse_qs(tok[0]["body"])
    check(body["grant_type"] == ["authorization_code"], "grant_type", body)
    check(body["client_secret"] == [SECRET], "secret not in the body", body)
    check(body["redirect_uri"] == ["http://%s:%d/callback" % (host, port)], "redirect_uri", body)
    check(len(body["code_verifier"][0]) >= 43, "code_verifier", body)
    check(tok[0]["headers"].get("Content-Type") == "application/x-www-form-urlencoded",
          "token request content type", tok[0])
    assert_secret_only_in_token_bodies(mock)

    steps = final_page(home)
    check(steps[1]["status"] == 303, "the callback was not answered with 303", steps)
    check(steps[1]["location"] == "/callback", "303 target keeps the code", steps[1])
    check(steps[2]["status"] == 200 and "Signed in" in steps[2]["body"], "no success page", steps)
    h = steps[2]["headers"]
    check(h.get("Cache-Control") == "no-store" and h.get("Referrer-Policy") == "no-referrer",
          "page headers", h)
    check("default-src 'none'" in h.get("Content-Security-Policy", ""), "no strict CSP", h)
    assert_no_secrets(home, r, [body["code_verifier"][0], body["code"][0]])


def case_success_ipv4(home):
    case_success(home, host="127.0.0.1")


def case_refused(home):
    mock, port = setup_login(home, "refuse")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 3, "refusal should exit 3", r)
    check("refused" in r.stderr and "access_denied" in r.stderr, "no refusal message", r)
    check(not os.path.exists(home.token_file()), "a token file was written")
    check(not mock.token_requests(), "a refused login made a token request")
    steps = final_page(home)
    check("not granted" in steps[-1]["body"], "the browser was not told", steps)


def case_forged_state(home):
    mock, port = setup_login(home, "forge-state")
    start = time.monotonic()
    r = run(home, *login_args(mock, port, "--timeout", "3"))
    check(r.returncode == 4, "a forged state must not end the login; expected a timeout", r)
    check(time.monotonic() - start >= 2.5, "gave up before --timeout")
    check(not mock.token_requests(), "a forged state led to an exchange")
    check(not os.path.exists(home.token_file()), "a token file was written")
    steps = final_page(home)
    check(steps[1]["status"] == 400, "a forged state should get 400", steps)
    check("state" in steps[1]["body"], "the 400 page does not say why", steps[1])


def case_invalid_code(home):
    mock, port = setup_login(home, "invalid-code")
    path = home.token_file()
    write_tokens(home, mock)
    previous = open(path).read()
    before = os.stat(path)
    r = run(home, *login_args(mock, port, "--force"))
    check(r.returncode == 5, "invalid_code should exit 5", r)
    check("expired or was already" in r.stderr, "message does not explain invalid_code", r)
    after = os.stat(path)
    check(open(path).read() == previous, "the existing token file changed")
    check((before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns),
          "the existing token file was replaced")
    steps = final_page(home)
    check("did not complete" in steps[-1]["body"], "browser not told of the failure", steps)
    # The command to run again names the profile.
    r = run(home, *login_args(mock, port, "--force", "-p", "dev"))
    check(r.returncode == 5 and "run 'zoho-oauth login --profile dev' again" in r.stderr,
          "the hint does not name the profile", r)


def case_html_502(home):
    mock, port = setup_login(home, "html-502")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 6, "an HTML 502 should exit 6", r)
    check("502" in r.stderr, "message does not name the status", r)
    check("<html" not in r.stderr.lower(), "the HTML was dumped on the terminal", r)
    check(not os.path.exists(home.token_file()), "a token file was written")


def case_throttle(home):
    mock, port = setup_login(home, "throttle")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 5, "the throttle should exit 5", r)
    check("10 minutes" in r.stderr, "message does not say how long to wait", r)
    check(not os.path.exists(home.token_file()), "a token file was written")


def case_ms_expiry(home):
    mock, port = setup_login(home, "ms-expiry")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login failed", r)
    t = read_json(home.token_file())
    check(abs(t["expires_at"] - time.time() - 3600) < 60,
          "expires_in in milliseconds was not recognised", t)


def case_busy_port(home):
    mock, port = setup_login(home)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(1)
        r = run(home, *login_args(mock, port), timeout=20)
    check(r.returncode == 1, "a busy port should exit 1", r)
    check(str(port) in r.stderr and "in use" in r.stderr, "message does not name the port", r)
    check(r.elapsed < 10, "did not fail at once")
    # A browser started just before the exit would record (and ask the
    # mock) only after it: give it a second.
    check(not home.browser_records(timeout=1), "the browser was opened anyway")
    check(not mock.requests(), "Zoho was contacted anyway")


def case_port_held_by_another_login(home):
    """The port is held by another zoho-oauth login waiting for its
    browser: the message says so, with its pid and profile, not "another
    program"."""
    mock, port = setup_login(home)
    first = Background(home, *login_args(mock, port, "-p", "work", "--no-preflight"),
                       env={"FAKE_BROWSER_MODE": "none"})
    check(wait_for(lambda: port_open(port)), "the first login does not listen", first.stderr())
    r = run(home, *login_args(mock, port, "-p", "other", "--no-preflight"), timeout=20)
    first.signal(signal.SIGINT)
    first.wait(15)
    check(r.returncode == 1, "a port held by another login should exit 1", r)
    # (Under the secrets audit, the process started is strace.)
    pid = r"\d+" if home.audit else str(first.proc.pid)
    check(re.search(r"held by another zoho-oauth login \(pid %s, profile 'work'\)" % pid, r.stderr)
          and "in use by another program" not in r.stderr, "the holder is not named", r)


def case_not_loopback(home):
    mock, port = setup_login(home)
    for uri, words in (("http://example.com:%d/callback" % port, "not on this machine"),
                       ("https://localhost:%d/callback" % port, "plain http"),
                       ("http://localhost/callback", "no port"),
                       ("http://0.0.0.0:%d/callback" % port, "not on this machine")):
        args = login_args(mock, port)
        args[args.index("--redirect-uri") + 1] = uri
        r = run(home, *args)
        check(r.returncode == 2, "redirect URI %s should exit 2" % uri, r)
        check(words in r.stderr and "register" in r.stderr, "message for %s" % uri, r)
    check(not mock.requests(), "Zoho was contacted")


def case_foreign_accounts_server(home):
    evil = home.mock(name="evil")
    mock, port = setup_login(home, "foreign-server=" + evil.url)
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login should still succeed at the configured server", r)
    check(not evil.requests(), "a request went to the foreign accounts server", evil.requests())
    check(len(mock.token_requests()) == 1, "the code was not exchanged at the configured server")
    check("not a Zoho accounts server" in r.stderr, "no warning about the foreign server", r)
    check(read_json(home.token_file())["accounts_server"] == mock.url, "accounts_server stored")


def case_unknown_zoho_accounts_server(home):
    """The redirect names a Zoho accounts server of the documented shape
    that the data-centre table lacks: not trusted with the secret either,
    but said as what it is, with the way to use it if it is real."""
    mock, port = setup_login(home, "foreign-server=https://accounts.zoho.sg")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0 and len(mock.token_requests()) == 1,
          "the code was not exchanged at the configured server", r)
    check("a Zoho data centre this zoho-oauth does not know" in r.stderr and
          "--accounts-url https://accounts.zoho.sg" in r.stderr and
          "not a Zoho accounts server" not in r.stderr, "the message", r)


def case_bad_scope(home):
    mock, port = setup_login(home)
    for scope, words in (("ZohoCliq.Channels.READ ZohoCliq.Messages.CREATE", "space"),
                         ("ZohoCliq.Channels.READ,,ZohoCliq.Messages.CREATE", "empty item"),
                         ("ZohoCliq.Channels", "missing"),
                         ("ZohoCliq.Channels.", "missing its operation"),
                         ("ZohoCliq.Channels.REED", "not an operation")):
        args = login_args(mock, port)
        args[args.index("--scope") + 1] = scope
        r = run(home, *args)
        check(r.returncode == 2, "scope %r should exit 2" % scope, r)
        check(words in r.stderr, "message for %r" % scope, r)
    check(not mock.requests(), "Zoho was contacted")


def case_scope_joined(home):
    mock, port = setup_login(home)
    args = login_args(mock, port)
    i = args.index("--scope")
    args[i + 1] = "ZohoCliq.Channels.READ"
    r = run(home, *args, "--scope", "ZohoCliq.Messages.CREATE,ZohoCliq.Channels.READ",
            "--scope", "ZohoCRM.settings.modules.READ")
    check(r.returncode == 0, "login failed", r)
    q = urllib.parse.parse_qs(mock.requests("/oauth/v2/auth")[0]["query"])
    check(q["scope"] == ["ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE,"
                         "ZohoCRM.settings.modules.READ"], "scopes not joined", q)


def case_scope_list_copied_with_spaces(home):
    """A list copied from a page, with blanks after (or around) its
    commas, is taken, and sent without them."""
    mock, port = setup_login(home)
    args = login_args(mock, port)
    args[args.index("--scope") + 1] = "ZohoCliq.Channels.READ, ZohoCliq.Messages.CREATE ,ZohoCliq.Chats.READ"
    r = run(home, *args)
    check(r.returncode == 0, "login failed", r)
    q = urllib.parse.parse_qs(mock.requests("/oauth/v2/auth")[0]["query"])
    check(q["scope"] == ["ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE,ZohoCliq.Chats.READ"],
          "the blanks were sent", q)


def case_stdout(home):
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--token-file", "-"))
    check(r.returncode == 0, "login failed", r)
    t = json.loads(r.stdout)
    check(t["access_token"].startswith("1000.") and t["refresh_token"], "no tokens on stdout", r)
    check(not os.path.exists(home.token_file()), "a token file was written too")


def case_options(home):
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--no-pkce", "--no-consent-prompt",
                              "--access-type", "online"))
    check(r.returncode == 0, "login failed", r)
    q = urllib.parse.parse_qs(mock.requests("/oauth/v2/auth")[0]["query"])
    check("code_challenge" not in q and "prompt" not in q, "PKCE or prompt still sent", q)
    check(q["access_type"] == ["online"], "access_type", q)
    body = urllib.parse.parse_qs(mock.token_requests()[0]["body"])
    check("code_verifier" not in body, "a verifier was sent without PKCE", body)
    t = read_json(home.token_file())
    check(t["refresh_token"] is None, "online access should store no refresh token", t)


def case_no_refresh_token_consent(home):
    """prompt=consent was sent (no --no-consent-prompt) and Zoho still sent
    no refresh token: the advice must not tell the user to drop an option
    they did not pass."""
    mock, port = setup_login(home, "no-refresh-token")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login failed", r)
    check("no refresh token" in r.stderr, "no warning", r)
    check("without --no-consent-prompt" not in r.stderr,
          "advice about an option that was not passed", r)
    check("prompt=consent" in r.stderr, "the warning does not say consent was asked for", r)


def case_no_refresh_token_no_consent(home):
    """With --no-consent-prompt, the advice is to sign in without it."""
    mock, port = setup_login(home, "no-refresh-token")
    r = run(home, *login_args(mock, port, "--no-consent-prompt"))
    check(r.returncode == 0, "login failed", r)
    check("no refresh token" in r.stderr and "without --no-consent-prompt" in r.stderr,
          "the advice does not name the option", r)


# --- the one-time link the browser is started with ---

def case_launch_link(home):
    """The browser is given a one-time link on the listener, never the
    consent URL: state and the PKCE challenge stay off every command line,
    where any local user can read them (/proc/PID/cmdline). The link's
    first request is sent on to the consent URL."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login failed", r)
    auth = mock.requests("/oauth/v2/auth")
    check(len(auth) == 1, "expected one consent request", auth)
    q = urllib.parse.parse_qs(auth[0]["query"])
    state, challenge = q["state"][0], q["code_challenge"][0]
    recs = home.browser_records()
    check(len(recs) == 1, "expected one browser", recs)
    started = json.dumps(recs[0]["argv"]) + json.dumps(recs[0]["env"])
    for value in (state, challenge, urllib.parse.quote(state), urllib.parse.quote(challenge)):
        check(value not in started, "state or the PKCE challenge is on the browser's command "
              "line or in its environment", recs[0]["argv"])
    # Its arguments, not argv[0]: the browser's own path may hold "oauth"
    # (a clone in a directory named zoho-oauth).
    check("oauth" not in json.dumps(recs[0]["argv"][1:]), "the browser was given a Zoho URL",
          recs[0]["argv"])
    link = recs[0]["argv"][-1]
    m = re.fullmatch(r"http://localhost:%d/([A-Za-z0-9_-]+)" % port, link)
    check(m and len(m.group(1)) >= 22, "not a one-time link of at least 128 bits: %r" % link)
    launch = recs[0]["launch"]
    check(len(launch) == 1 and launch[0]["status"] in (302, 303), "the link did not redirect",
          launch)
    consent = launch[0]["location"]
    check(consent == mock.url + "/oauth/v2/auth?" + auth[0]["query"],
          "the link did not lead to the consent URL", consent)
    h = launch[0]["headers"]
    check(h.get("Cache-Control") == "no-store" and h.get("Referrer-Policy") == "no-referrer"
          and h.get("X-Frame-Options") == "DENY" and h.get("X-Content-Type-Options") == "nosniff",
          "the redirect lacks the pages' security headers", h)
    # The terminal still shows the consent URL itself, for the user.
    check(consent in r.stderr, "the consent URL is not on the terminal", r)
    check(link not in r.stderr, "the one-time link was printed", r)
    steps = final_page(home)
    check(steps[-1]["status"] == 200 and "Signed in" in steps[-1]["body"], "no success page", steps)
    check(len(mock.token_requests()) == 1, "expected one exchange")


def case_launch_link_twice(home):
    """A second request for the one-time link means another program has it
    (read from the browser's command line, say): the login stops at once,
    with status 3 and nothing saved, and a callback arriving afterwards is
    not exchanged."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port), env={"FAKE_BROWSER_MODE": "launch-twice"})
    check(r.returncode == 3, "a reused one-time link should end the login with status 3", r)
    check("another program" in r.stderr and "login again" in r.stderr,
          "the message does not say what happened and what to do", r)
    check(not os.path.exists(home.token_file()), "a token file was written")
    check(not mock.token_requests(), "a code was exchanged after the link was reused",
          mock.token_requests())
    recs = home.browser_records()
    launch = recs[0]["launch"]
    check(len(launch) == 2 and launch[0]["status"] == 303, "the first request", launch)
    check(launch[1]["status"] == 410 and launch[1]["location"] is None,
          "the second request was not refused", launch[1])
    check("another program" in launch[1]["body"], "the second request's page does not say why",
          launch[1])
    # The browser went on to Zoho and back (or found the listener gone).
    steps = recs[0]["steps"]
    check(recs[0]["error"] or (len(steps) >= 2 and steps[1]["status"] == 409),
          "the callback after the reused link was not turned away", recs[0])


def browser_link_from_proc(port):
    """What another local program can do: read the browser's command line."""
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"fake-browser.py") for a in argv):
            for a in argv:
                if a.startswith(b"http://localhost:%d/" % port):
                    return a.decode()
    return None


def case_launch_link_during_exchange(home):
    """The one-time link, read from the browser's command line, is opened
    again while the code is being exchanged: the tokens are not saved, and
    the browser is told why."""
    mock, port = setup_login(home, "token-delay=2")
    bg = Background(home, *login_args(mock, port))
    check(wait_for(lambda: mock.token_requests(), 15), "the exchange never started", bg.stderr())
    link = browser_link_from_proc(port)
    check(link, "no browser with a link on its command line")
    page = listener_get(port, link)
    check(page["status"] == 410 and "another program" in page["body"],
          "the reused link got %d" % page["status"], page["body"])
    rc = bg.wait(30)
    check(rc == 3, "expected status 3, got %s" % rc, bg.stderr())
    check("another program" in bg.stderr(), "no message", bg.stderr())
    check(not os.path.exists(home.token_file()), "the tokens were saved")
    steps = final_page(home)
    check("another program" in steps[-1]["body"], "the browser was not told", steps[-1])


def case_not_dumpable(home):
    """Other processes of the same user can't read the running tool's
    memory or environment: it is not dumpable, so its /proc files belong
    to root. Run as an unprivileged user so that ownership means something."""
    mock, port = setup_login(home)
    prefix = unprivileged(home)
    if not prefix and os.geteuid() == 0:
        return SKIP
    bg_env = {"FAKE_BROWSER_MODE": "none"}
    args = login_args(mock, port, "--no-browser")
    e = dict(home.env)
    e.update(bg_env)
    proc = subprocess.Popen([*prefix, BINARY, *args], env=e, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        check(wait_for(lambda: port_open(port)), "the listener is not up")
        uid = os.stat("/proc/%d/environ" % proc.pid).st_uid
        check(uid == 0, "/proc/PID/environ belongs to uid %d: the process is dumpable" % uid)
        if os.geteuid() != 0:
            try:
                open("/proc/%d/environ" % proc.pid, "rb").read()
                check(False, "another process of the same user read the environment")
            except PermissionError:
                pass
    finally:
        proc.terminate()
        proc.wait(10)


def case_linger(home):
    """After the outcome login serves its page until the browser has
    fetched it, for at most two seconds (LINGER_MS), and then exits."""
    mock, port = setup_login(home)
    for fetch_page in (True, False):
        bg = Background(home, *login_args(mock, port, "--force"),
                        env={"FAKE_BROWSER_MODE": "none"})
        first = listener_get(port, remote_browser(bg.consent_url()))
        answered = time.monotonic()
        check(first["status"] == 303, "the callback was not answered with 303", first)
        if fetch_page:
            page = listener_get(port, "http://localhost:%d/callback" % port)
            check(page["status"] == 200 and "Signed in" in page["body"], "no success page", page)
        check(bg.wait(10) == 0, "login failed", bg.stderr())
        waited = time.monotonic() - answered
        if fetch_page:
            check(waited < 1.5, "login went on waiting %.1f s after the page was fetched" % waited)
        else:
            check(1.8 <= waited < 4, "login waited %.1f s for a page nobody fetched, not 2" % waited)
    check(len(mock.token_requests()) == 2, "expected one exchange per login")


# --- the desktop portal ---

def case_portal(home):
    """In a (pretend) Snap, with no $BROWSER and no display, the consent URL
    goes to the desktop portal's OpenURI on the session bus. A fake portal
    (tests/fake-portal.py) answers there and plays the browser."""
    dbus_run = shutil.which("dbus-run-session")
    system_python = "/usr/bin/python3"
    if not dbus_run or not os.path.exists(system_python) or subprocess.run(
            [system_python, "-c", "import gi"], capture_output=True).returncode != 0:
        print("SKIP: needs dbus-run-session and python3-gi (tools/install-deps installs them)")
        return SKIP
    if "DBUS_SESSION_BUS_ADDRESS" not in os.environ:
        env = dict(os.environ)
        r = subprocess.run([dbus_run, "--", sys.executable, *sys.argv], env=env)
        sys.exit(r.returncode)
    with_portal = "+portal" in run(home, "--version").stdout
    mock, port = setup_login(home)
    portal_log = os.path.join(home.root, "portal.jsonl")
    portal = subprocess.Popen([system_python, os.path.join(HERE, "fake-portal.py"), portal_log],
                              env={**home.env, "DBUS_SESSION_BUS_ADDRESS":
                                   os.environ["DBUS_SESSION_BUS_ADDRESS"]})
    try:
        check(wait_for(lambda: os.path.exists(portal_log + ".ready")), "the fake portal did not start")
        env = {"BROWSER": None, "DISPLAY": None, "WAYLAND_DISPLAY": None,
               "SNAP": "/snap/zoho-oauth/1", "SNAP_NAME": "zoho-oauth",
               "DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}
        bg = Background(home, *login_args(mock, port), env=env)
        if with_portal:
            check(bg.wait(30) == 0, "login through the portal failed", bg.stderr())
            check("the desktop portal" in bg.stderr(), "not opened through the portal", bg.stderr())
            calls = [json.loads(l) for l in open(portal_log)]
            check(len(calls) == 1 and "/oauth/v2/auth?" in calls[0]["uri"], "portal calls", calls)
            check(len(mock.token_requests()) == 1, "expected one exchange")
        else:
            # Built without libportal: no browser, and nobody at a
            # terminal (pipes): the quick end.
            check(bg.wait(10) == 2, "no browser, no terminal: expected status 2", bg.stderr())
            check(not os.path.exists(portal_log) or not open(portal_log).read(), "portal used")
    finally:
        portal.terminate()
        portal.wait(10)


# --- the wait for the browser, and its countdown on a terminal ---

COUNTDOWN = re.compile(r"waiting for the sign-in in the browser\.\.\. (\d+:\d\d) left "
                       r"\(Ctrl-C to stop\)")


HINT_ENV = "ZOHO_OAUTH_HINT_AFTER"  # undocumented: seconds before the hint (default 20)


def countdowns(text):
    return COUNTDOWN.findall(text)


def check_clean_end(t, said):
    check_clean_end_of(t, said, COUNTDOWN)


@no_audit  # the terminal's SIGINT would reach strace too
def case_countdown_ctrl_c(home):
    """On a terminal: one line, rewritten in place (\\r + clear) about once a
    second and counting down; Ctrl-C clears it, says the sign-in stopped on
    a line of its own, exit 130, nothing saved."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port), env={"FAKE_BROWSER_MODE": "none"})
    check(wait_for(lambda: len(set(countdowns(t.text()))) >= 3, 15),
          "no countdown counting down", repr(t.text()))
    text = t.text()
    check("0:20 left" in text or "0:19 left" in text, "the countdown does not start at --timeout",
          repr(text))
    shown = countdowns(text)
    check(shown == sorted(shown, reverse=True), "the countdown does not count down", shown)
    # Once a second, not more: 3 different values in the first seconds,
    # each drawn a few times at most.
    check(len(shown) <= 3 * len(set(shown)) + 2, "the line is redrawn too often", shown)
    for m in COUNTDOWN.finditer(text):
        check(text[:m.start()].endswith(CLEAR), "a countdown not drawn over the line",
              repr(text[max(0, m.start() - 40):m.end()]))
    check(len(screen(text)[-1]) < 80, "the countdown line is too long", repr(screen(text)[-1]))
    t.type("\x03")  # Ctrl-C, as typed
    rc = t.wait(10)
    check(rc == 130, "Ctrl-C: expected status 130, got %s" % rc, repr(t.text()))
    check_clean_end(t, "stopped")
    check(not mock.token_requests(), "a code was exchanged", mock.requests())
    check(not os.path.exists(home.token_file()), "a token file was written")


def case_countdown_timeout(home):
    """The timeout ends the line cleanly too: the error on a line of its own."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port, "--timeout", "3"), env={"FAKE_BROWSER_MODE": "none"})
    rc = t.wait(20)
    check(rc == 4, "expected the timeout's status 4, got %s" % rc, repr(t.text()))
    check(countdowns(t.text()), "no countdown was shown", repr(t.text()))
    check_clean_end(t, "no answer from the browser within 3 seconds")


def open_link_and_return(home, port):
    """What the browser would do, by hand: the one-time link, the consent
    page, then the callback on the listener. Returns the listener's status."""
    rec = home.browser_records(wait=True)
    check(rec, "the browser was not started")
    link = listener_get(port, rec[0]["argv"][-1])
    check(link["status"] == 303, "the one-time link got %s" % link["status"])
    return listener_get(port, remote_browser(link["location"]))["status"]


def case_countdown_redirect(home):
    """The redirect ends the line: the next message on a clean line."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port), env={"FAKE_BROWSER_MODE": "none"})
    check(wait_for(lambda: countdowns(t.text()), 10), "no countdown", repr(t.text()))
    # The browser's record is written when it exits: it recorded the link.
    check(open_link_and_return(home, port) == 303, "the callback was not taken")
    decline_save(t)
    rc = t.wait(20)
    check(rc == 0, "login failed", repr(t.text()))
    check_clean_end(t, "exchanging the code")
    check(read_json(home.token_file())["refresh_token"], "no tokens")
    # Ctrl-C is offered on the countdown's line, and nowhere else.
    check(t.text().count("(Ctrl-C to stop)") == len(countdowns(t.text())),
          "(Ctrl-C to stop) said twice", repr(t.text()))


def case_countdown_not_on_pipe(home):
    """stderr a pipe: no countdown, no \\r, no escape sequence."""
    mock, port = setup_login(home)
    bg = Background(home, *login_args(mock, port, "--timeout", "3"),
                    env={"FAKE_BROWSER_MODE": "none", HINT_ENV: "60"})
    rc = bg.wait(20)
    err = bg.stderr()
    check(rc == 4, "expected a timeout, got %s" % rc, err)
    check("\r" not in err and "\x1b" not in err and "left (Ctrl-C" not in err,
          "countdown bytes on a pipe", repr(err))


def case_countdown_quiet(home):
    """--quiet: no countdown on a terminal either (only errors, warnings
    and what one needs to sign in)."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port, "--timeout", "2", "-q"),
                 env={"FAKE_BROWSER_MODE": "none"})
    rc = t.wait(20)
    check(rc == 4, "expected a timeout, got %s" % rc, repr(t.text()))
    check(not countdowns(t.text()) and "\x1b[K" not in t.text(), "a countdown under --quiet",
          repr(t.text()))


# --- the hint about Zoho's error pages ---

def check_hint(text, mock, port):
    check(text.count("Invalid Redirect Uri") == 1, "the hint is not shown once", repr(text))
    check("Invalid Client" in text, "the hint does not explain Invalid Client", repr(text))
    check("http://localhost:%d/callback" % port in text.split("Invalid Redirect Uri", 1)[1],
          "the hint does not show the redirect URI in use", repr(text))
    host = urllib.parse.urlsplit(mock.url).netloc
    check(host in text.split("Invalid Client", 1)[1], "the hint does not show the accounts host",
          repr(text))
    check("Ctrl-C is safe" in text and "nothing is written" in text,
          "the hint does not say Ctrl-C is safe", repr(text))
    # Our own text within 80 columns (the URI and host are what they are).
    lines = screen(text)
    first = [i for i, l in enumerate(lines) if "no answer yet" in l][0]
    last = [i for i, l in enumerate(lines) if "Ctrl-C is safe" in l][0]
    check(last - first == 7, "the hint is not 8 lines", lines[first:last + 1])
    for line in lines[first:last + 1]:
        check(line.startswith("zoho-oauth: "), "a hint line without the prefix", line)
        if "http" not in line:
            check(len(line) <= 80, "a line longer than 80 columns", line)


@no_audit  # the terminal's SIGINT would reach strace too
def case_hint_terminal(home):
    """After the (shortened) delay, once: what Zoho's error pages mean, on
    lines of its own, the countdown going on below."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port), env={"FAKE_BROWSER_MODE": "none", HINT_ENV: "1"})
    t.wait_for_text("Ctrl-C is safe", 10)
    start = len(t.text())
    check(wait_for(lambda: countdowns(t.text()[start:]), 5), "the countdown stopped after the hint",
          repr(t.text()))
    time.sleep(1.5)
    t.type("\x03")
    check(t.wait(10) == 130, "Ctrl-C", repr(t.text()))
    text = t.text()
    check_hint(text, mock, port)
    check_clean_end(t, "Invalid Redirect Uri")
    check(not any(COUNTDOWN.search(l) and "Invalid" in l for l in screen(text)),
          "the hint is glued to the countdown", "\n".join(screen(text)))


def case_hint_pipe(home):
    """On a pipe too (it helps in a log), once; without the variable the
    hint waits its 20 s."""
    mock, port = setup_login(home)
    bg = Background(home, *login_args(mock, port), env={"FAKE_BROWSER_MODE": "none", HINT_ENV: "1"})
    bg.wait_for_stderr("Ctrl-C is safe", 10)
    time.sleep(1.5)
    bg.signal(signal.SIGINT)
    check(bg.wait(10) == 130, "SIGINT", bg.stderr())
    check_hint(bg.stderr(), mock, port)
    r = run(home, *login_args(mock, port, "--timeout", "3"), env={"FAKE_BROWSER_MODE": "none"})
    check(r.returncode == 4 and "Invalid Redirect Uri" not in r.stderr,
          "the hint came before its 20 s", r)


# --- signals ---

def case_interrupt(home):
    """Ctrl-C or SIGTERM while waiting for the browser: 130 or 143, nothing
    written, the port released."""
    for sig, expected in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        mock, port = setup_login(home)
        bg = Background(home, *login_args(mock, port), env={"FAKE_BROWSER_MODE": "none"})
        bg.consent_url()
        check(wait_for(lambda: port_open(port)), "the listener is not up")
        bg.signal(sig)
        rc = bg.wait(10)
        check(rc == expected, "signal %d should exit %d, not %s" % (sig, expected, rc), bg.stderr())
        check(not os.path.exists(home.token_file()), "a token file was written")
        check(not port_open(port), "the port is still open after exit")


def signal_during_exchange(home, sig, expected, said):
    """A signal while the code is exchanged: the status, a line that says
    nothing was saved, and nothing left behind."""
    mock, port = setup_login(home, "token-delay=20")
    bg = Background(home, *login_args(mock, port), "--no-preflight")
    check(wait_for(lambda: mock.token_requests(), 15), "the exchange never started", bg.stderr())
    start = time.monotonic()
    bg.signal(sig)
    rc = bg.wait(15)
    check(rc == expected, "expected %d, got %s" % (expected, rc), bg.stderr())
    check("zoho-oauth: stopped (%s): nothing was saved" % said in bg.stderr(),
          "the stop did not say what was saved", bg.stderr())
    check(time.monotonic() - start < 5, "took %.1f s to stop" % (time.monotonic() - start))
    check(not os.path.exists(home.token_file()), "a token file was written")
    check(not [n for n in os.listdir(home.root) if n.endswith(".json")], "stray files")
    check(not port_open(port), "the port is still open")


def case_sigint_exchange(home):
    signal_during_exchange(home, signal.SIGINT, 130, "Ctrl-C")


def case_sigterm_exchange(home):
    signal_during_exchange(home, signal.SIGTERM, 143, "SIGTERM")


# --- keeping what Zoho issued ---

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


def case_browser_named_as_set(home):
    """The browser is named in messages as the user set it: the whole
    $BROWSER command (here a wrapper, as 'flatpak run ...' is), not the
    file name of the program it starts; xdg-open by its name."""
    mock, port = setup_login(home)
    bindir = os.path.join(home.root, "bin")
    os.makedirs(bindir, exist_ok=True)
    os.symlink(home.env["BROWSER"], os.path.join(bindir, "stand-in-browser"))
    path = bindir + ":" + os.environ["PATH"]
    browser = "env ZOHO_TEST_WRAPPER=1 stand-in-browser"
    r = run(home, *login_args(mock, port), env={"BROWSER": browser, "PATH": path})
    check(r.returncode == 0, "login through a wrapper failed", r)
    check("opened your browser ('%s' from $BROWSER)" % browser in r.stderr,
          "the browser is not named as $BROWSER has it", r)
    # No $BROWSER, a display: xdg-open (here the stand-in browser).
    os.symlink(home.env["BROWSER"], os.path.join(bindir, "xdg-open"))
    r = run(home, *login_args(mock, port, "--force"),
            env={"BROWSER": None, "DISPLAY": ":99", "PATH": bindir + ":" + os.environ["PATH"]})
    check(r.returncode == 0 and "opened your browser (xdg-open)" in r.stderr,
          "xdg-open is not named", r)
    check(len(mock.token_requests()) == 2, "expected two exchanges", mock.requests())


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
