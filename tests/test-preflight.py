#!/usr/bin/env python3
"""A first run that can't go wrong: the pre-flight check. Before the browser
opens (or the device flow starts), login exchanges a made-up code at the
token endpoint with the real client ID, secret and redirect URI; the mock
answers as Zoho does, client first. A wrong client, secret or redirect URI
ends the login at once, status 5, with no browser; network trouble is a
warning and the login goes on."""
import os
import urllib.parse

from harness import (CLIENT_ID, SECRET, Terminal, check, console_code, exchange_args, login_args,
                     main, read_json, run, screen, setup_login, unwrap, write_config)


def preflights(mock):
    return mock.preflight_requests()


def no_browser(home, mock):
    check(not mock.requests("/oauth/v2/auth"), "the consent page was asked for")
    check(not home.browser_records(wait=False), "the browser was started")


def case_ok(home):
    """A right client: one pre-flight, before the consent page, then the
    login as ever."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login failed", r)
    pf = preflights(mock)
    check(len(pf) == 1, "expected one pre-flight request", mock.requests())
    form = urllib.parse.parse_qs(pf[0]["body"])
    check(form["client_id"] == [CLIENT_ID] and form["client_secret"] == [SECRET]
          and form["redirect_uri"] == ["http://localhost:%d/callback" % port],
          "the pre-flight did not carry the real client", form)
    check(pf[0]["query"] == "", "the pre-flight put something in the URL", pf[0])
    order = [e["path"] for e in mock.requests()]
    check(order.index("/oauth/v2/token") < order.index("/oauth/v2/auth"),
          "the pre-flight came after the consent page", order)
    check(len(mock.token_requests()) == 1, "the code was not exchanged once", mock.requests())
    check(read_json(home.token_file())["refresh_token"], "no tokens")


def case_wrong_client(home):
    """An unknown client ID (another DC, usually): status 5, the console."""
    mock, port = setup_login(home)
    args = login_args(mock, port)
    args[args.index(CLIENT_ID)] = "1000.NOSUCHCLIENT"
    r = run(home, *args)
    check(r.returncode == 5, "wrong client: expected status 5", r)
    check("does not know client ID 1000.NOSUCHCLIENT" in r.stderr and "--dc" in r.stderr
          and "--no-preflight" in r.stderr, "the message does not say what to fix", r)
    check(r.elapsed < 10, "took %.1f s" % r.elapsed)
    no_browser(home, mock)


def case_wrong_secret(home):
    """A wrong secret: status 5 before the browser, the secret not shown."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port), env={"ZOHO_CLIENT_SECRET": "wrong-secret-1234"})
    check(r.returncode == 5, "wrong secret: expected status 5", r)
    check("refused the client secret" in r.stderr, "the message does not say what is wrong", r)
    check("API console" in r.stderr, "the message does not say where the secret is", r)
    check("wrong-secret-1234" not in r.stderr + r.stdout, "the secret was printed", r)
    check(not os.path.exists(home.token_file()), "a token file was written")
    no_browser(home, mock)


def case_wrong_redirect(home):
    """A redirect URI the client doesn't have: status 5, the URI named."""
    mock, port = setup_login(home)
    args = login_args(mock, port)
    good = "http://localhost:%d/callback" % port
    bad = "http://localhost:%d/oauth" % port
    args[args.index(good)] = bad
    r = run(home, *args)
    check(r.returncode == 5, "wrong redirect URI: expected status 5", r)
    check(bad in r.stderr and "byte for byte" in r.stderr, "the URI is not named", r)
    no_browser(home, mock)


def case_no_preflight(home):
    """--no-preflight: no made-up code is sent, and a wrong secret is found
    out only at the exchange, as before."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--no-preflight"))
    check(r.returncode == 0, "login failed", r)
    check(not preflights(mock), "a pre-flight was sent anyway", mock.requests())


def case_config_preflight(home):
    """preflight = no in a profile turns the check off; anything but yes or
    no is refused (status 2) before anything is sent."""
    mock, port = setup_login(home)
    base = ("[profile default]\nclient_id = %s\naccounts_url = %s\nscope = ZohoCliq.Channels.READ\n"
            "redirect_uri = http://localhost:%d/callback\n" % (CLIENT_ID, mock.url, port))
    write_config(home, base + "preflight = maybe\n")
    r = run(home, "login", "--timeout", "20")
    check(r.returncode == 2 and "preflight is yes or no" in r.stderr, "preflight = maybe", r)
    check(not mock.requests(), "something was sent", mock.requests())
    write_config(home, base + "preflight = no\n")
    r = run(home, "login", "--timeout", "20")
    check(r.returncode == 0, "login failed", r)
    check(not preflights(mock) and len(mock.token_requests()) == 1, "preflight = no was not heeded",
          mock.requests())


def case_network_trouble(home):
    """The pre-flight's answer is a gateway's HTML page: a warning, and the
    login goes on to a token file."""
    mock, port = setup_login(home, "preflight-502")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login did not go on after a failed pre-flight", r)
    check("could not check the client" in r.stderr and "going on" in r.stderr,
          "no warning about the pre-flight", r)
    check(len(preflights(mock)) == 1 and len(mock.token_requests()) == 1, "requests",
          mock.requests())
    check(read_json(home.token_file())["refresh_token"], "no tokens")


def case_device_wrong_secret(home):
    """The device flow uses the secret only after the user approved: the
    pre-flight finds a wrong one before a code is even asked for."""
    mock, port = setup_login(home)
    r = run(home, "login", "--device", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--scope", "ZohoCliq.Channels.READ", "--timeout", "20",
            env={"ZOHO_CLIENT_SECRET": "wrong-secret-1234"})
    check(r.returncode == 5, "device flow, wrong secret: expected status 5", r)
    check("refused the client secret" in r.stderr, "the message does not say what is wrong", r)
    check(not mock.requests("/oauth/v3/device/code"), "device codes were asked for",
          mock.requests())
    pf = preflights(mock)
    check(len(pf) == 1 and "redirect_uri" not in urllib.parse.parse_qs(pf[0]["body"]),
          "the device pre-flight should carry no redirect URI", pf)


def device_args(mock):
    return ["login", "--device", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--scope", "ZohoCliq.Channels.READ", "--timeout", "20"]


def case_device_own_kind(home):
    """The device flow is checked with a request of its own kind (a poll of
    the device-token endpoint, with a made-up device code), so an answer
    about redirect URIs, which it has none of, never stops it."""
    mock = home.mock("redirect-required", "device-approve-after=1")
    r = run(home, *device_args(mock), env={"BROWSER": None, "DISPLAY": None})
    check(r.returncode == 0, "a valid device login was stopped", r)
    pf = preflights(mock)
    check(len(pf) == 1 and pf[0]["path"] == "/oauth/v3/device/token", "the pre-flight's kind", pf)
    form = urllib.parse.parse_qs(pf[0]["body"])
    check(form["grant_type"] == ["device_token"] and form["client_id"] == [CLIENT_ID] and
          form["client_secret"] == [SECRET] and "redirect_uri" not in form,
          "the pre-flight did not carry the real client", form)
    check(read_json(home.token_file())["refresh_token"], "no tokens")


def case_exchange_checked(home):
    """exchange --code - is checked too, before the code is read: a wrong
    secret is found before anyone types a code that ages; an answer about
    redirect URIs (a console code has none) is a warning, and the code is
    exchanged. A code on the command line is its own check (no pre-flight:
    Zoho looks at the client first)."""
    mock = home.mock()
    code = console_code(mock)
    r = run(home, *exchange_args(mock, "--code", "-"), input=code + "\n",
            env={"ZOHO_CLIENT_SECRET": "wrong-secret-1234"})
    check(r.returncode == 5 and "refused the client secret" in r.stderr, "a wrong secret", r)
    check(len(preflights(mock)) == 1 and not mock.token_requests(),
          "the code was sent with a secret the pre-flight could have found wrong",
          mock.requests())
    mock.set_mode("redirect-required")
    r = run(home, *exchange_args(mock, "--code", "-"), input=code + "\n")
    check(r.returncode == 0 and "does not concern a console code" in r.stderr,
          "the exchange was stopped by an answer that does not concern it", r)
    check(read_json(home.token_file())["refresh_token"], "no tokens")
    before = len(preflights(mock))
    r = run(home, *exchange_args(mock, "--code", console_code(mock), "--force"))
    check(r.returncode == 0 and len(preflights(mock)) == before, "a pre-flight for --code CODE", r)


def case_wrong_client_at_terminal(home):
    """At a terminal the pre-flight's error (some 250 characters) is
    wrapped at 80 columns, the lines after the first indented by two; the
    same words as on a pipe."""
    mock, port = setup_login(home)
    args = login_args(mock, port)
    args[args.index(CLIENT_ID)] = "1000.NOSUCHCLIENT"
    piped = run(home, *args)
    said = [l for l in piped.stderr.split("\n") if l.startswith("zoho-oauth: error: ")]
    check(piped.returncode == 5 and len(said) == 1 and len(said[0]) > 160,
          "on a pipe the error is not one long line", piped)
    t = Terminal(home, *args, cols=120)
    rc = t.wait(20)
    lines = [l for l in screen(t.text()) if l]
    check(rc == 5, "wrong client at a terminal: expected status 5", t.text())
    check(all(len(l) <= 80 for l in lines), "lines wider than 80 columns", "\n".join(lines))
    first = [i for i, l in enumerate(lines) if l.startswith("zoho-oauth: error: ")]
    check(len(first) == 1 and lines[first[0] + 1].startswith("  "),
          "the error is not wrapped with an indent", "\n".join(lines))
    check(said[0] in unwrap(t.text()), "the words differ from the pipe's", repr(t.text()))


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
