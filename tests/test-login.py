#!/usr/bin/env python3
"""End-to-end tests of `zoho-oauth login` against the mock Zoho Accounts
server and the stand-in browser. One case per meson test: login@NAME."""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

from harness import (BINARY, CLIENT_ID, SECRET, SKIP, Background, check, listener_get, login_args,
                     main, mode_of, no_audit, port_open, read_json, remote_browser, run,
                     setup_login, wait_for, write_secret, write_tokens)


setup = setup_login


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


def final_page(home):
    recs = home.browser_records()
    check(recs, "the stand-in browser recorded nothing")
    check(recs[0]["error"] is None, "the stand-in browser failed", recs[0])
    return recs[0]["steps"]


def case_success(home, host="localhost"):
    mock, port = setup(home, host=host)
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
    mock, port = setup(home, "refuse")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 3, "refusal should exit 3", r)
    check("refused" in r.stderr and "access_denied" in r.stderr, "no refusal message", r)
    check(not os.path.exists(home.token_file()), "a token file was written")
    check(not mock.token_requests(), "a refused login made a token request")
    steps = final_page(home)
    check("not granted" in steps[-1]["body"], "the browser was not told", steps)


def case_forged_state(home):
    mock, port = setup(home, "forge-state")
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
    mock, port = setup(home, "invalid-code")
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


def case_html_502(home):
    mock, port = setup(home, "html-502")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 6, "an HTML 502 should exit 6", r)
    check("502" in r.stderr, "message does not name the status", r)
    check("<html" not in r.stderr.lower(), "the HTML was dumped on the terminal", r)
    check(not os.path.exists(home.token_file()), "a token file was written")


def case_throttle(home):
    mock, port = setup(home, "throttle")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 5, "the throttle should exit 5", r)
    check("10 minutes" in r.stderr, "message does not say how long to wait", r)
    check(not os.path.exists(home.token_file()), "a token file was written")


def case_ms_expiry(home):
    mock, port = setup(home, "ms-expiry")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login failed", r)
    t = read_json(home.token_file())
    check(abs(t["expires_at"] - time.time() - 3600) < 60,
          "expires_in in milliseconds was not recognised", t)


def case_busy_port(home):
    mock, port = setup(home)
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


def case_not_loopback(home):
    mock, port = setup(home)
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


def case_foreign_host(home):
    mock, port = setup(home)
    r = run(home, *login_args(mock, port, "--timeout", "3"),
            env={"FAKE_BROWSER_MODE": "host=evil.example:%d" % port})
    check(r.returncode == 4, "a foreign Host must not complete the login", r)
    steps = final_page(home)
    check(steps[1]["status"] == 403, "foreign Host header should get 403", steps)
    check(not mock.token_requests(), "a request for a foreign host led to an exchange")


def case_foreign_accounts_server(home):
    evil = home.mock(name="evil")
    mock, port = setup(home, "foreign-server=" + evil.url)
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login should still succeed at the configured server", r)
    check(not evil.requests(), "a request went to the foreign accounts server", evil.requests())
    check(len(mock.token_requests()) == 1, "the code was not exchanged at the configured server")
    check("not a Zoho accounts server" in r.stderr, "no warning about the foreign server", r)
    check(read_json(home.token_file())["accounts_server"] == mock.url, "accounts_server stored")


def case_no_secret(home):
    mock, port = setup(home)
    r = run(home, *login_args(mock, port), env={"ZOHO_CLIENT_SECRET": None})
    check(r.returncode == 2, "a missing secret should exit 2", r)
    for way in ("ZOHO_CLIENT_SECRET", "--client-secret-file", "prompt"):
        check(way in r.stderr, "message does not name " + way, r)
    check(not mock.requests(), "Zoho was contacted")


def case_secret_on_argv(home):
    mock, port = setup(home)
    for args in (["--client-secret", SECRET], ["--client-secret=" + SECRET]):
        r = run(home, *login_args(mock, port), *args)
        check(r.returncode == 2, "a secret on the command line should exit 2", r)
        check(SECRET not in r.stderr, "the secret was echoed", r)
        check("never taken from the command line" in r.stderr, "no explanation", r)


def case_secret_prompt(home):
    """On a terminal, the secret is asked for without echo; Ctrl-C at the
    prompt exits 130 with the terminal's echo restored."""
    import pty
    import termios
    mock, port = setup(home)
    env = dict(home.env)
    del env["ZOHO_CLIENT_SECRET"]
    for interrupt in (False, True):
        master, slave = pty.openpty()
        proc = subprocess.Popen([BINARY, *login_args(mock, port, "--force")], env=env,
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(slave)
        err = b""
        while b"Client secret" not in err:
            chunk = os.read(proc.stderr.fileno(), 4096)
            check(chunk, "no prompt for the secret")
            err += chunk
        time.sleep(0.1)  # the prompt is out; echo is off once it reads
        if interrupt:
            proc.send_signal(signal.SIGINT)
            rc = proc.wait(10)
            check(rc == 130, "Ctrl-C at the prompt should exit 130, not %s" % rc)
            attrs = termios.tcgetattr(master)
            check(attrs[3] & termios.ECHO, "the terminal was left without echo")
        else:
            os.write(master, SECRET.encode() + b"\n")
            out, rest = proc.communicate(timeout=30)
            echoed = b""
            try:
                while True:
                    chunk = os.read(master, 4096)
                    if not chunk:
                        break
                    echoed += chunk
            except OSError:
                pass  # the other side is closed
            check(proc.returncode == 0, "login with the prompted secret failed",
                  (err + rest).decode())
            check(SECRET.encode() not in echoed, "the secret was echoed on the terminal")
            check(SECRET.encode() not in err + rest, "the secret reached stderr")
            body = urllib.parse.parse_qs(mock.token_requests()[-1]["body"])
            check(body["client_secret"] == [SECRET], "the prompted secret was not used")
        os.close(master)


def case_secret_file(home):
    mock, port = setup(home)
    secret_file = write_secret(home, "secret", SECRET + "\n")
    r = run(home, *login_args(mock, port, "--client-secret-file", secret_file),
            env={"ZOHO_CLIENT_SECRET": "wrong-secret"})
    check(r.returncode == 0, "login with --client-secret-file failed", r)
    body = urllib.parse.parse_qs(mock.token_requests()[0]["body"])
    check(body["client_secret"] == [SECRET], "the file's secret was not used", body)


def case_bad_scope(home):
    mock, port = setup(home)
    for scope, words in (("ZohoCliq.Channels.READ, ZohoCliq.Messages.CREATE", "space"),
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
    mock, port = setup(home)
    args = login_args(mock, port)
    i = args.index("--scope")
    args[i + 1] = "ZohoCliq.Channels.READ"
    r = run(home, *args, "--scope", "ZohoCliq.Messages.CREATE,ZohoCliq.Channels.READ",
            "--scope", "ZohoCRM.settings.modules.READ")
    check(r.returncode == 0, "login failed", r)
    q = urllib.parse.parse_qs(mock.requests("/oauth/v2/auth")[0]["query"])
    check(q["scope"] == ["ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE,"
                         "ZohoCRM.settings.modules.READ"], "scopes not joined", q)


def case_stdout(home):
    mock, port = setup(home)
    r = run(home, *login_args(mock, port, "--token-file", "-"))
    check(r.returncode == 0, "login failed", r)
    t = json.loads(r.stdout)
    check(t["access_token"].startswith("1000.") and t["refresh_token"], "no tokens on stdout", r)
    check(not os.path.exists(home.token_file()), "a token file was written too")


def case_options(home):
    mock, port = setup(home)
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


def case_no_browser(home):
    """--no-browser prints the URL; the listener still catches the redirect
    (a user who opens it by hand, or forwards the port over SSH)."""
    mock, port = setup(home)
    bg = Background(home, *login_args(mock, port, "--no-browser"))
    url = bg.consent_url()
    check(not home.browser_records(wait=False), "a browser was started")
    check(wait_for(lambda: port_open(port)), "the listener is not up")

    def req(method, path, host="localhost:%d" % port):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        c.request(method, path, headers={"Host": host})
        resp = c.getresponse()
        resp.read()
        c.close()
        return resp

    check(req("GET", "/other").status == 404, "other paths should 404")
    resp = req("POST", "/callback")
    check(resp.status == 405 and resp.getheader("Allow") == "GET", "POST should 405")
    check(req("GET", "/callback?state=x&code=y").status == 400, "wrong state should 400")
    check(req("GET", "/callback?code=y").status == 400, "missing state should 400")
    check(req("GET", "/callback", host="attacker.example").status == 403, "foreign Host")
    # Now the user opens the URL by hand.
    subprocess.run([sys.executable, home.env["BROWSER"], url], env=home.env, check=True)
    rc = bg.wait(30)
    check(rc == 0, "login failed after the stray requests", bg.stderr())
    check(len(mock.token_requests()) == 1, "expected one exchange")
    check(len(home.browser_records(timeout=1, count=2)) == 1,
          "a browser was started besides the one run by hand")


def case_second_callback(home):
    """The callback again while the first is exchanged (the mock holds the
    token request) and again while login lingers over the outcome page:
    both answered 409, and the code is exchanged once."""
    mock, port = setup(home, "token-delay=2")
    bg = Background(home, *login_args(mock, port), env={"FAKE_BROWSER_MODE": "none"})
    address = remote_browser(bg.consent_url())
    first = {}
    held = threading.Thread(target=lambda: first.update(listener_get(port, address)))
    held.start()
    check(wait_for(mock.token_requests), "the callback was not exchanged", bg.stderr())
    check(held.is_alive(), "the browser's request was answered before the exchange ended", first)
    replay = listener_get(port, address)
    check(replay["status"] == 409 and "already received" in replay["body"],
          "a replay during the exchange was not refused with 409", replay)
    held.join(20)
    check(first.get("status") == 303 and first["location"] == "/callback",
          "the first callback was not answered with 303 once exchanged", first)
    check(bg.proc.poll() is None, "login did not wait for the outcome page", bg.stderr())
    replay = listener_get(port, address)
    check(replay["status"] == 409 and "already received" in replay["body"],
          "a replay after the exchange was not refused with 409", replay)
    page = listener_get(port, "http://localhost:%d/callback" % port)
    check(page["status"] == 200 and "Signed in" in page["body"], "no success page", page)
    check(bg.wait(10) == 0, "login failed", bg.stderr())
    check(len(mock.token_requests()) == 1, "a replayed callback caused a second exchange",
          mock.token_requests())
    check(read_json(home.token_file())["refresh_token"], "no tokens saved")


def case_linger(home):
    """After the outcome login serves its page until the browser has
    fetched it, for at most two seconds (LINGER_MS), and then exits."""
    mock, port = setup(home)
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


def case_launch_link(home):
    """The browser is given a one-time link on the listener, never the
    consent URL: state and the PKCE challenge stay off every command line,
    where any local user can read them (/proc/PID/cmdline). The link's
    first request is sent on to the consent URL."""
    mock, port = setup(home)
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
    mock, port = setup(home)
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
    mock, port = setup(home, "token-delay=2")
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


def case_interrupt(home):
    """Ctrl-C or SIGTERM while waiting for the browser: 130 or 143, nothing
    written, the port released."""
    for sig, expected in ((signal.SIGINT, 130), (signal.SIGTERM, 143)):
        mock, port = setup(home)
        bg = Background(home, *login_args(mock, port), env={"FAKE_BROWSER_MODE": "none"})
        bg.consent_url()
        check(wait_for(lambda: port_open(port)), "the listener is not up")
        bg.signal(sig)
        rc = bg.wait(10)
        check(rc == expected, "signal %d should exit %d, not %s" % (sig, expected, rc), bg.stderr())
        check(not os.path.exists(home.token_file()), "a token file was written")
        check(not port_open(port), "the port is still open after exit")


def case_usage(home):
    r = run(home, "login", "--frobnicate")
    check(r.returncode == 2 and "unknown option --frobnicate" in r.stderr, "unknown option", r)
    r = run(home, "login", "--client-id", CLIENT_ID, "--scope", "ZohoCliq.Channels.READ",
            "--dc", "xx")
    check(r.returncode == 2 and "data centre" in r.stderr, "bad --dc", r)
    r = run(home, "login", "--scope", "ZohoCliq.Channels.READ", env={"ZOHO_CLIENT_ID": None})
    check(r.returncode == 2 and "client id" in r.stderr, "missing client id", r)
    r = run(home, "login", "--client-id", CLIENT_ID, "--scope", "ZohoCliq.Channels.READ",
            "--accounts-url", "http://accounts.example.com")
    check(r.returncode == 2 and "https" in r.stderr, "plain http accounts URL", r)
    r = run(home, "login", "--timeout", "soon")
    check(r.returncode == 2 and "--timeout" in r.stderr, "bad --timeout", r)
    r = run(home, "--help")
    check(r.returncode == 0 and "login" in r.stdout, "--help", r)
    r = run(home, "login", "--help")
    check(r.returncode == 0 and "--redirect-uri" in r.stdout and "Exit status" in r.stdout,
          "login --help", r)
    r = run(home, "frob")
    check(r.returncode == 2, "unknown command", r)


@no_audit
def case_chromium(home):
    """A real browser: headless Chromium completes the login and shows the
    success page, with the page's CSP letting its own style through."""
    import shutil
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("SKIP: Chromium is not installed (apt-get install chromium); .ci/run installs it")
        return SKIP
    mock, port = setup(home)
    dom = os.path.join(home.root, "dom.html")
    log = os.path.join(home.root, "chromium.log")
    env = {"BROWSER": os.path.join(os.path.dirname(__file__), "chromium-browser.sh"),
           "CHROMIUM": chromium, "CHROMIUM_DOM": dom, "CHROMIUM_LOG": log,
           "CHROMIUM_PROFILE": os.path.join(home.root, "chromium-profile")}
    r = run(home, *login_args(mock, port, "--timeout", "60"), env=env, timeout=90)
    check(r.returncode == 0, "login with Chromium failed", r)
    check(len(mock.token_requests()) == 1, "expected one exchange")
    check(wait_for(lambda: os.path.exists(dom) and "</html>" in open(dom).read(), 30),
          "Chromium printed no page")
    page = open(dom).read()
    check("Signed in to Zoho" in page and "close this tab" in page, "not the success page", page)
    check("code=" not in page and "1000." not in page, "the page shows the code or a token", page)
    console = open(log).read() if os.path.exists(log) else ""
    check("Content Security Policy" not in console, "Chromium reported a CSP violation", console)
    t = read_json(home.token_file())
    check(t["access_token"] not in page, "the page shows the token")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
