#!/usr/bin/env python3
"""Signing in without a browser on this machine: login prints the consent
URL, and the address the browser was sent to is pasted back (or the
listener is reached through ssh -L); and what login does when no browser
could be started, at a terminal and on pipes. Against the mock Zoho
Accounts server."""
import http.client
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse

from harness import (SECRET, Background, Terminal, check, decline_save, listener_get, login_args,
                     main, mode_of, port_open, remote_browser, run, screen, setup_login, unwrap,
                     wait_for)


def complaints(bg):
    """The reason given for each refused paste, in order."""
    return [line.split("sent your browser to: ", 1)[1].split(". Paste the whole", 1)[0]
            for line in bg.stderr().splitlines() if "that is not the address" in line]


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


def case_no_browser(home):
    """--no-browser prints the URL; the listener still catches the redirect
    (a user who opens it by hand, or forwards the port over SSH)."""
    mock, port = setup_login(home)
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


# --- no browser could be started ---

NO_BROWSER = {"BROWSER": None, "DISPLAY": None, "WAYLAND_DISPLAY": None}


def check_ends_at_once(r, mock):
    check(r.returncode == 2, "expected status 2 (nobody can sign in), got %s" % r.returncode, r)
    check(r.elapsed < 8, "took %.1f s, not at once (--timeout 60)" % r.elapsed, r)
    for word in ("--device", "exchange", "--no-browser"):
        check(word in r.stderr, "the message does not point at %s" % word, r)
    check(not mock.token_requests(), "a code was exchanged", mock.requests())


def case_no_browser_no_terminal(home):
    """No browser could be started, stdin and stderr are pipes, no
    --no-browser: say so and end at once, not after --timeout."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--timeout", "60"), env=NO_BROWSER)
    check_ends_at_once(r, mock)
    check("could not be started" in r.stderr or "no browser" in r.stderr.lower(),
          "the message does not say there is no browser", r)
    check(not port_open(port), "the listener is still up")
    # Known locally, at once: nothing went to Zoho, not even the pre-flight.
    check(not mock.requests(), "Zoho was asked before the end", mock.requests())


def case_browser_fails_no_terminal(home):
    """A browser command that exits with an error, nobody at a terminal: the
    same quick end once it has failed."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--timeout", "60"), env={"BROWSER": shutil.which("false")})
    check_ends_at_once(r, mock)
    check("the browser ('%s' from $BROWSER) exited with an error" % shutil.which("false")
          in r.stderr, "the message does not say the browser failed", r)
    check("opened your browser" not in r.stderr, "a browser that failed was said to open", r)


def case_no_browser_flag_still_waits(home):
    """--no-browser on pipes: the URL and the wait for a paste, as before."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--no-browser", "--timeout", "2"), env=NO_BROWSER)
    check(r.returncode == 4 and r.elapsed >= 2, "--no-browser did not wait for --timeout", r)
    check(r.stderr.count("/oauth/v2/auth?") == 1, "the URL is not printed once", r)


def case_paste_prompt_not_glued(home):
    """On pipes, a message after the paste prompt (here the timeout's)
    starts on a line of its own, not glued to "Paste the address here: "."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--no-browser", "--timeout", "2"), env=NO_BROWSER)
    check(r.returncode == 4, "no timeout", r)
    check("Paste the address here: \nzoho-oauth: error: no answer" in r.stderr and
          "here: zoho-oauth" not in r.stderr, "a message was glued to the prompt", repr(r.stderr))


def case_no_browser_terminal_pastes(home):
    """No browser, but stdin a terminal (stderr a terminal too): the URL
    once, and a pasted address signs in."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port), env=NO_BROWSER)
    t.wait_for_text("Paste the address here")
    url = [l.strip() for l in t.text().split("\n") if "/oauth/v2/auth?" in l][0]
    t.type(remote_browser(url) + "\n")
    decline_save(t)
    rc = t.wait(20)
    check(rc == 0, "the paste did not sign in", repr(t.text()))
    check(t.text().count("/oauth/v2/auth?") == 1, "the URL is not printed once", repr(t.text()))


def case_url_once_browser_fails(home):
    """A $BROWSER that exits with an error (as xdg-open does when it finds
    no browser): the consent URL is printed once, not again with the paste
    instructions, and a paste still signs in."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port), env={"BROWSER": shutil.which("false")})
    t.wait_for_text("paste it here")
    time.sleep(0.5)
    text = t.text()
    check(text.count("/oauth/v2/auth?") == 1, "the consent URL is printed %d times"
          % text.count("/oauth/v2/auth?"), repr(text))
    check("could not be started" in text or "exited with an error" in text,
          "the failure is not said", repr(text))
    check("opened your browser" not in text, "a browser that failed was said to open", repr(text))
    url = [l.strip() for l in text.split("\n") if "/oauth/v2/auth?" in l][0]
    t.type(remote_browser(url) + "\n")
    decline_save(t)
    rc = t.wait(20)
    check(rc == 0, "the paste did not sign in", repr(t.text()))


def case_wrapped_at_terminal(home):
    """At a terminal the paste instructions (some 300 characters) are
    wrapped at 80 columns however wide the window (or at its width when
    narrower), the lines after the first indented by two, the command in
    quotes whole; the consent URL stays on a line of its own, unbroken. On a
    pipe the same words are one line, for grep."""
    mock, port = setup_login(home)
    said = ("After 'Accept' that browser goes to http://localhost:%d/callback?... and, unless "
            "it runs on this machine, fails to load it." % port)
    for cols, width in ((200, 80), (60, 60)):
        t = Terminal(home, *login_args(mock, port, "--timeout", "2"), env=NO_BROWSER, cols=cols)
        t.wait_for_text("Paste the address here")
        t.wait(20)
        lines = screen(t.text())
        url = [l for l in lines if "/oauth/v2/auth?" in l]
        check(len(url) == 1 and url[0].startswith("    http") and len(url[0]) > width,
              "the URL is not whole on a line of its own", "\n".join(lines))
        long = [l for l in lines if len(l) > width and l not in url]
        check(not long, "lines wider than %d columns" % width, "\n".join(long))
        start = [i for i, l in enumerate(lines) if l.startswith("After 'Accept'")]
        check(start and lines[start[0] + 1].startswith("  ") and lines[start[0] + 2].startswith("  "),
              "the paste instructions are not wrapped with an indent", "\n".join(lines))
        check(said in unwrap(t.text()), "the words changed", repr(t.text()))
        check("'ssh -L %d:localhost:%d ...')" % (port, port) in "\n".join(lines),
              "the ssh command is broken", "\n".join(lines))
    r = run(home, *login_args(mock, port, "--no-browser", "--timeout", "2"), env=NO_BROWSER)
    check(any(l.startswith(said) and l.endswith("...')") for l in r.stderr.split("\n")),
          "on a pipe the paste instructions are not one line", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
