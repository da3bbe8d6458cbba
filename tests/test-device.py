#!/usr/bin/env python3
"""login --device: the device flow, for a machine without a browser at
all. Polls at the interval Zoho gives, slow_down, refusal and expiry,
and a move to the data centre Zoho names (other_dc). Against the mock
Zoho Accounts server."""
import os
import re
import urllib.parse

from harness import (CLIENT_ID, SECRET, Terminal, check, check_clean_end_of, decline_save,
                     in_private_network, main, make_certificate, mode_of, read_json, run)


def device_args(mock, *extra):
    return ["login", "--device", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--scope", "ZohoCliq.Channels.READ", "--timeout", "60", *extra]


def polls(mock):
    """The device flow's polls (the pre-flight check, a poll of its own
    kind with a made-up code, is not one)."""
    return [r for r in mock.requests("/oauth/v3/device/token") if not mock.is_preflight(r)]


def poll_times(mock):
    return [r["time"] for r in polls(mock)]


def case_approved(home):
    mock = home.mock()
    r = run(home, *device_args(mock), env={"BROWSER": None, "DISPLAY": None})
    check(r.returncode == 0, "the device flow failed", r)
    start = mock.requests("/oauth/v3/device/code")
    check(len(start) == 1, "expected one device code request", start)
    b = urllib.parse.parse_qs(start[0]["body"])
    check(b["grant_type"] == ["device_request"] and b["access_type"] == ["offline"]
          and b["prompt"] == ["consent"] and b["scope"] == ["ZohoCliq.Channels.READ"], "start", b)
    sent = polls(mock)
    check(len(sent) == 3, "expected three polls", sent)
    pb = urllib.parse.parse_qs(sent[0]["body"])
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
    sent = polls(mock)
    check(sent[0]["listener"] == "plain" and
          all(p["listener"] == "https://accounts.zoho.eu" for p in sent[1:]) and len(sent) > 1,
          "the polls did not move to accounts.zoho.eu", [p["listener"] for p in sent])
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
        check(paths == ["/oauth/v3/device/token", "/oauth/v3/device/code"] +
              ["/oauth/v3/device/token"] * 3
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
    check(len(polls(mock)) == 1, "polled on after other_dc=mars")


DEVICE_COUNTDOWN = re.compile(r"waiting for the sign-in with the code\.\.\. (\d+:\d\d) left "
                              r"\(Ctrl-C to stop\)")


def case_countdown(home):
    """At a terminal the device flow shows the browser flow's countdown,
    counting down to the code's end, cleared when the sign-in is approved;
    "(Ctrl-C to stop)" is said on it, not twice."""
    mock = home.mock("device-approve-after=4")
    t = Terminal(home, *device_args(mock), env={"BROWSER": None, "DISPLAY": None})
    decline_save(t)
    rc = t.wait(60)
    check(rc == 0, "the device flow failed", t.text())
    shown = DEVICE_COUNTDOWN.findall(t.text())
    check(len(set(shown)) >= 3 and shown == sorted(shown, reverse=True),
          "no countdown counting down", shown, repr(t.text()))
    check_clean_end_of(t, "signed in", DEVICE_COUNTDOWN)
    check(t.text().count("Ctrl-C to stop") == len(shown), "(Ctrl-C to stop) said elsewhere too",
          repr(t.text()))


def case_browser_fails(home):
    """A $BROWSER that fails at once: the device flow says so, never that
    it opened the browser, and goes on (the code is on the screen)."""
    mock = home.mock()
    r = run(home, *device_args(mock), env={"BROWSER": "false"})
    check(r.returncode == 0, "the device flow failed", r)
    check("the browser ('false' from $BROWSER) exited with an error" in r.stderr,
          "the failure is not said", r)
    check("opened your browser" not in r.stderr, "a browser that failed was said to open", r)
    r = run(home, *device_args(mock, "--force"))
    check(r.returncode == 0 and "opened your browser there" in r.stderr,
          "a browser that started was not said to open", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
