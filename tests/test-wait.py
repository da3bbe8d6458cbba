#!/usr/bin/env python3
"""The wait for the browser (issue 13): the countdown line on a terminal
(and nothing of it on a pipe), the hint about Zoho's error pages after a
while, the quick end when no browser could be started and nobody is at a
terminal, the consent URL printed once when the browser fails, and -v
against -vv (libmicrohttpd's own messages).

The terminal cases run the tool on a real pseudo-terminal: stdin and
stderr on its slave side (stdout a pipe), the slave its controlling
terminal, so that a Ctrl-C typed on the master is the terminal's SIGINT.
"""
import os
import re
import shutil
import signal
import time
import urllib.parse

from harness import (Background, Terminal, check, decline_save, listener_get, login_args, main,
                     no_audit, port_open, raw_reply, read_json, remote_browser, run, setup_login,
                     wait_for)

COUNTDOWN = re.compile(r"waiting for the sign-in in the browser\.\.\. (\d+:\d\d) left "
                       r"\(Ctrl-C to stop\)")
CLEAR = "\r\x1b[K"
HINT_ENV = "ZOHO_OAUTH_HINT_AFTER"  # undocumented: seconds before the hint (default 20)


def screen(raw):
    """What a terminal shows for raw output: \\r, ESC [ K (clear to the end
    of the line), \\n; any other escape sequence is left in as text."""
    lines, col = [""], 0
    i = 0
    while i < len(raw):
        c = raw[i]
        if raw.startswith("\x1b[K", i):
            lines[-1] = lines[-1][:col]
            i += 3
            continue
        if c == "\r":
            col = 0
        elif c == "\n":
            lines.append("")
            col = 0
        else:
            line = lines[-1]
            lines[-1] = line[:col].ljust(col) + c + line[col + 1:]
            col += 1
        i += 1
    return lines


def countdowns(text):
    return COUNTDOWN.findall(text)


def check_clean_end(t, said):
    """After the tool ended: no countdown left on the screen, the message
    said on a line of its own, and the output ends with a newline (the
    shell's prompt starts on a fresh line)."""
    text = t.text()
    lines = screen(text)
    check(not any(COUNTDOWN.search(line) for line in lines),
          "a countdown is left on the screen", "\n".join(lines), repr(text))
    check(any(line.startswith("zoho-oauth: ") and said in line for line in lines),
          "%r is not on a line of its own" % said, "\n".join(lines), repr(text))
    check(text.endswith("\n"), "the output does not end with a newline", repr(text[-200:]))
    check(lines[-1] == "", "the last line is not empty", repr(lines[-3:]))
    # In the raw bytes too: every message that follows a countdown starts
    # after the line was cleared, never glued to it.
    for m in re.finditer(r"left \(Ctrl-C to stop\)", text):
        rest = text[m.end():]
        rest = rest[2:] if rest.startswith("^C") else rest  # the terminal's echo of Ctrl-C
        check(rest.startswith(CLEAR), "a countdown is followed by %r without being cleared"
              % rest[:20], repr(text))


# --- the countdown ---

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


# --- no browser and nobody to see or paste ---

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


def case_browser_fails_no_terminal(home):
    """A browser command that exits with an error, nobody at a terminal: the
    same quick end once it has failed."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--timeout", "60"), env={"BROWSER": shutil.which("false")})
    check_ends_at_once(r, mock)
    check("exited with an error" in r.stderr, "the message does not say the browser failed", r)


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
    url = [l.strip() for l in text.split("\n") if "/oauth/v2/auth?" in l][0]
    t.type(remote_browser(url) + "\n")
    decline_save(t)
    rc = t.wait(20)
    check(rc == 0, "the paste did not sign in", repr(t.text()))


# --- -v and -vv ---

def verbose_run(home, flag):
    mock, port = setup_login(home)
    bg = Background(home, *login_args(mock, port, "--no-browser", *flag))
    bg.consent_url()
    check(wait_for(lambda: port_open(port)), "the listener is not up")
    # An HTTP version libmicrohttpd does not speak: it answers 505 and logs.
    got = raw_reply(port, b"GET /callback HTTP/9.9\r\nHost: localhost:%d\r\n\r\n" % port)
    check(b" 505 " in got, "expected a 505 for HTTP/9.9", got)
    time.sleep(0.5)
    bg.signal(signal.SIGINT)
    check(bg.wait(10) == 130, "SIGINT", bg.stderr())
    return bg.stderr()


def case_verbose_not_mhd(home):
    """-v: our own debug messages, not libmicrohttpd's."""
    err = verbose_run(home, ["-v"])
    check("debug: listening on" in err, "-v shows no debug messages", err)
    check("libmicrohttpd" not in err and "Error processing request" not in err,
          "-v shows libmicrohttpd's messages", err)


def case_very_verbose_mhd(home):
    """-vv (and -v -v): libmicrohttpd's messages too, marked as its own."""
    for flag in (["-vv"], ["-v", "--verbose"]):
        err = verbose_run(home, flag)
        check("debug: listening on" in err, "%s shows no debug messages" % flag, err)
        check("listener: libmicrohttpd: Error processing request" in err,
              "%s does not show libmicrohttpd's message" % flag, err)
        home.mocks[-1].stop()


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
