#!/usr/bin/env python3
"""End-to-end tests of signing in without a local browser: pasting the
redirect URL, the device flow (login --device), console codes (exchange),
and the desktop portal. Against the mock Zoho Accounts server."""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
import json

from harness import (CLIENT_ID, HERE, SECRET, SKIP, Background, check, console_code, exchange_args,
                     in_private_network, listener_get, login_args, main, make_certificate,
                     mode_of, read_json, remote_browser, run, setup_login, wait_for)


def case_paste(home):
    mock, port = setup_login(home)
    bg = Background(home, *login_args(mock, port, "--no-browser"))
    address = remote_browser(bg.consent_url())
    bg.wait_for_stderr("paste it here")
    bg.type("  " + address + "  \n")
    rc = bg.wait(30)
    check(rc == 0, "a pasted address did not complete the login", bg.stderr())
    check(len(mock.token_requests()) == 1, "expected one exchange")
    check(mode_of(home.token_file()) == 0o600, "token file mode")
    check(SECRET not in bg.stderr() and bg.out == "", "secrets or stdout", bg.stderr())


def complaints(bg):
    """The reason given for each refused paste, in order."""
    return [line.split("sent your browser to: ", 1)[1].split(". Paste the whole", 1)[0]
            for line in bg.stderr().splitlines() if "that is not the address" in line]


def case_paste_bad_then_good(home):
    mock, port = setup_login(home)
    bg = Background(home, *login_args(mock, port, "--no-browser"))
    address = remote_browser(bg.consent_url())
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)
    state = q["state"][0]
    forged = address.replace("state=" + state, "state=" + state[:-1] + ("A" if state[-1] != "A" else "B"))
    for bad, words in ((forged, "state"),
                       ("hello", "does not start with"),
                       (address.replace(str(port), str(port + 1)), "does not start with"),
                       (address.split("?")[0], "no query"),
                       (address + "&code=again", "more than once")):
        before = len(complaints(bg))
        bg.type(bad + "\n")
        check(wait_for(lambda: len(complaints(bg)) > before),
              "no complaint about %r" % bad, bg.stderr())
        # This paste's own reason: the consent URL on stderr holds "state=",
        # and earlier complaints the same words, so all of stderr proves nothing.
        check(words in complaints(bg)[before], "why for %r" % bad, bg.stderr())
    check(not mock.token_requests(), "a bad paste led to an exchange")
    check(bg.proc.poll() is None, "a bad paste ended the login")
    bg.type(address + "\n")
    check(bg.wait(30) == 0, "the good paste after bad ones failed", bg.stderr())
    check(len(mock.token_requests()) == 1, "expected one exchange")


def case_paste_timeout(home):
    mock, port = setup_login(home)
    bg = Background(home, *login_args(mock, port, "--no-browser", "--timeout", "3"))
    address = remote_browser(bg.consent_url())
    bg.type(address.replace("state=", "state=x") + "\n")
    rc = bg.wait(20)
    check(rc == 4, "expected a timeout after a bad paste, got %s" % rc, bg.stderr())
    check(not mock.token_requests() and not os.path.exists(home.token_file()), "exchanged")


def case_paste_race(home):
    """The pasted address and the browser's callback at the same moment:
    one exchange, whichever wins. The mock holds the exchange, so the
    listener is still up to answer the callback either way."""
    mock, port = setup_login(home, "token-delay=1")
    bg = Background(home, *login_args(mock, port, "--no-browser"))
    address = remote_browser(bg.consent_url())
    bg.wait_for_stderr("paste it here")
    callback = []
    t = threading.Thread(target=lambda: callback.append(listener_get(port, address)["status"]))
    t.start()
    bg.type(address + "\n")
    t.join(20)
    # 303: the callback won (the paste is ignored); 409: the paste won.
    check(callback and callback[0] in (303, 409),
          "the callback got %s, not 303 or 409" % callback, bg.stderr())
    check(bg.wait(30) == 0, "login failed", bg.stderr())
    check(len(mock.token_requests()) == 1,
          "paste and callback made %d exchanges" % len(mock.token_requests()))


def case_paste_stdin_closed(home):
    """A closed stdin means nobody pastes; the listener still works (ssh -L)."""
    mock, port = setup_login(home)
    bg = Background(home, *login_args(mock, port, "--no-browser"))
    url = bg.consent_url()
    bg.close_stdin()
    time.sleep(0.3)
    check(bg.proc.poll() is None, "a closed stdin ended the login")
    address = remote_browser(url)
    check(listener_get(port, address)["status"] == 303, "the listener did not take the callback")
    check(bg.wait(30) == 0, "login failed", bg.stderr())


# --- the device flow ---

def device_args(mock, *extra):
    return ["login", "--device", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--scope", "ZohoCliq.Channels.READ", "--timeout", "60", *extra]


def poll_times(mock):
    return [r["time"] for r in mock.requests("/oauth/v3/device/token")]


def case_device(home):
    mock = home.mock()
    r = run(home, *device_args(mock), env={"BROWSER": None, "DISPLAY": None})
    check(r.returncode == 0, "the device flow failed", r)
    start = mock.requests("/oauth/v3/device/code")
    check(len(start) == 1, "expected one device code request", start)
    b = urllib.parse.parse_qs(start[0]["body"])
    check(b["grant_type"] == ["device_request"] and b["access_type"] == ["offline"]
          and b["prompt"] == ["consent"] and b["scope"] == ["ZohoCliq.Channels.READ"], "start", b)
    polls = mock.requests("/oauth/v3/device/token")
    check(len(polls) == 3, "expected three polls", polls)
    pb = urllib.parse.parse_qs(polls[0]["body"])
    check(pb["grant_type"] == ["device_token"] and pb["client_secret"] == [SECRET], "poll", pb)
    times = [start[0]["time"]] + poll_times(mock)
    gaps = [b - a for a, b in zip(times, times[1:])]
    check(all(g >= 0.95 for g in gaps), "polled faster than the 1000 ms interval: %s" % gaps)
    check(all(g < 3 for g in gaps), "polled much slower than the interval: %s" % gaps)
    user_code = [l for l in r.stderr.splitlines() if "enter the code" in l]
    check(user_code and "/oauth/v3/device" in r.stderr, "no code or URL shown", r)
    t = read_json(home.token_file())
    check(t["refresh_token"] and t["accounts_server"] == mock.url, "token file", t)
    check(mode_of(home.token_file()) == 0o600, "mode")
    check(t["access_token"] not in r.stderr and SECRET not in r.stderr, "secret printed", r)


def case_device_interval_seconds(home):
    mock = home.mock("device-interval=1", "device-approve-after=2")
    r = run(home, *device_args(mock))
    check(r.returncode == 0, "the device flow failed", r)
    times = [mock.requests("/oauth/v3/device/code")[0]["time"]] + poll_times(mock)
    gaps = [b - a for a, b in zip(times, times[1:])]
    check(all(0.95 <= g < 3 for g in gaps), "an interval of 1 (seconds) was misread: %s" % gaps)


def case_device_denied(home):
    mock = home.mock("device-deny")
    r = run(home, *device_args(mock))
    check(r.returncode == 3 and "refused" in r.stderr, "denied", r)
    check(not os.path.exists(home.token_file()), "a token file was written")


def case_device_expired(home):
    mock = home.mock("device-expire")
    r = run(home, *device_args(mock))
    check(r.returncode == 4 and "expired" in r.stderr, "expired answer", r)
    check(not os.path.exists(home.token_file()), "a token file was written")


def case_device_lifetime(home):
    """The codes' lifetime (3 s here) and --timeout end the wait."""
    mock = home.mock("device-expires=3", "device-approve-after=100")
    r = run(home, *device_args(mock))
    check(r.returncode == 4 and "expired" in r.stderr, "the code's lifetime", r)
    check(r.elapsed < 10, "waited %.1f s past a 3 s code" % r.elapsed)
    mock.set_mode("device-expires=300000")
    r = run(home, *device_args(mock)[:-2], "--timeout", "2")
    check(r.returncode == 4 and "--timeout" in r.stderr and r.elapsed < 8, "--timeout", r)


def case_device_slow_down(home):
    mock = home.mock("device-slow-down-at=1", "device-approve-after=2")
    r = run(home, *device_args(mock), timeout=80)
    check(r.returncode == 0, "the device flow failed after slow_down", r)
    times = poll_times(mock)
    check(len(times) == 2, "expected two polls", times)
    check(times[1] - times[0] >= 29.5,
          "after slow_down the next poll came %.1f s later, not 30" % (times[1] - times[0]))


def case_device_other_dc(home):
    """other_dc: go on at the data centre Zoho names, from the DC table.
    accounts.zoho.eu is the mock, on loopback in a private network."""
    in_private_network(home, ["accounts.zoho.eu"])
    ca, cert, key = make_certificate(home, ["accounts.zoho.eu"])
    mock = home.mock("device-other-dc=eu", tls=(cert, key), extra_tls="443:accounts.zoho.eu")
    r = run(home, *device_args(mock, "--cacert", ca))
    check(r.returncode == 0, "the device flow failed across data centres", r)
    polls = mock.requests("/oauth/v3/device/token")
    check(polls[0]["listener"] == "plain" and
          all(p["listener"] == "https://accounts.zoho.eu" for p in polls[1:]) and len(polls) > 1,
          "the polls did not move to accounts.zoho.eu", [p["listener"] for p in polls])
    t = read_json(home.token_file())
    check(t["accounts_server"] == "https://accounts.zoho.eu" and t["location"] == "eu"
          and t["api_domain"], "token file", t)
    check("other data centre (eu)" in r.stderr, "the move was not said", r)


def case_device_other_dc_url(home):
    """other_dc naming a server by URL, not by DC key: the configured
    accounts URL is trusted. The later polls go there, and the token file
    names it (one trailing slash or any case of scheme and host change
    nothing, and leave no "//" in a poll's path)."""
    mock = home.mock()
    for given in (mock.url, mock.url.replace("http://", "HTTP://") + "/"):
        mock.set_mode("device-other-dc=" + given)
        before = len(mock.requests())
        r = run(home, *device_args(mock, "--force"), env={"BROWSER": None, "DISPLAY": None})
        check(r.returncode == 0, "the device flow failed after other_dc=%s" % given, r)
        # The pre-flight check of the client first, then the flow.
        paths = [q["path"] for q in mock.requests()[before:]]
        check(paths == ["/oauth/v2/token", "/oauth/v3/device/code"] + ["/oauth/v3/device/token"] * 3
              and mock.is_preflight(mock.requests()[before]),
              "after other_dc=%s the requests went to %s" % (given, paths))
        t = read_json(home.token_file())
        check(t["accounts_server"] == mock.url, "the token file's accounts_server is %r, not %r"
              % (t["accounts_server"], mock.url), t)
        check("another data centre" in r.stderr, "the move was not said", r)
        # The stored server is one a refresh can use.
        r = run(home, "refresh")
        check(r.returncode == 0, "refresh against the stored accounts_server failed", r)


def case_device_other_dc_unknown(home):
    mock = home.mock("device-other-dc=mars")
    r = run(home, *device_args(mock))
    check(r.returncode == 5 and "mars" in r.stderr, "an unknown data centre", r)
    check(len(mock.requests("/oauth/v3/device/token")) == 1, "polled on after other_dc=mars")


# --- console codes ---

def case_exchange(home):
    mock = home.mock()
    code = console_code(mock)
    r = run(home, *exchange_args(mock, "--code", code))
    check(r.returncode == 0, "exchange failed", r)
    reqs = mock.token_requests()
    b = urllib.parse.parse_qs(reqs[0]["body"])
    check(b["grant_type"] == ["authorization_code"] and b["code"] == [code]
          and "redirect_uri" not in b and b["client_secret"] == [SECRET], "request", b)
    t = read_json(home.token_file())
    check(t["refresh_token"] and t["scope"] == "ZohoCliq.Users.READ", "token file", t)
    check(mode_of(home.token_file()) == 0o600, "mode")
    # The same code again: refused, with the hint.
    r = run(home, *exchange_args(mock, "--code", code, "--force"))
    check(r.returncode == 5, "a reused code should exit 5", r)
    check("3 to 10 minutes" in r.stderr and "once" in r.stderr, "no hint about console codes", r)
    check(read_json(home.token_file()) == t, "the failed exchange changed the token file")


def case_exchange_stdin(home):
    mock = home.mock()
    code = console_code(mock)
    r = run(home, *exchange_args(mock, "--code", "-"), input=code + "\n")
    check(r.returncode == 0, "exchange --code - failed", r)
    check(code not in r.stderr, "the code was echoed", r)
    check(read_json(home.token_file())["refresh_token"], "no tokens")
    r = run(home, *exchange_args(mock, "--code", "-", "--force"), input="not a code!\n")
    check(r.returncode == 2, "a malformed code should exit 2", r)
    r = run(home, "exchange", "--client-id", CLIENT_ID)
    check(r.returncode == 2 and "--code" in r.stderr, "missing --code", r)


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


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
