#!/usr/bin/env python3
"""exchange: tokens for a code made in Zoho's API console (Self Client),
given on the command line or on stdin, and on a profile that has tokens
already. Against the mock Zoho Accounts server."""
import urllib.parse

from harness import (CLIENT_ID, SECRET, Terminal, check, console_code, exchange_args, main,
                     mode_of, read_json, run, write_tokens)


def case_console_code(home):
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


def case_exchange_existing(home):
    """exchange on a profile that has tokens: nothing to do, the code is not
    exchanged (it stays usable); --force exchanges it."""
    mock = home.mock()
    for expires_in in (3000, -10):
        before = write_tokens(home, mock, expires_in=expires_in, scope="ZohoCliq.Users.READ")
        code = console_code(mock)
        asked = len(mock.token_requests())
        r = run(home, *exchange_args(mock, "--code", code))
        check(r.returncode == 0 and "nothing to do" in r.stderr and "--force" in r.stderr,
              "exchange on a profile with tokens", r)
        codes = [q for q in mock.token_requests()[asked:] if "authorization_code" in q["body"]]
        check(not codes, "the code was exchanged", mock.requests())
        check(read_json(home.token_file())["refresh_token"] == before["refresh_token"],
              "the token file changed")
    r = run(home, *exchange_args(mock, "--code", code, "--force"))
    check(r.returncode == 0, "exchange --force failed", r)
    check(read_json(home.token_file())["refresh_token"] != before["refresh_token"],
          "--force did not store the new tokens")


def case_secret_before_code(home):
    """At a terminal with --code -: the secret is asked for first (a code
    ages while someone types), then the code, and neither is shown."""
    mock = home.mock()
    code = console_code(mock)
    t = Terminal(home, *exchange_args(mock, "--code", "-"), env={"ZOHO_CLIENT_SECRET": None})
    t.wait_for_text("Client secret (not shown):", 20)
    check("Code from the API console" not in t.text(), "the code was asked for first", t.text())
    t.type(SECRET + "\n")
    t.wait_for_text("Code from the API console (not shown):", 20)
    t.type(code + "\n")
    rc = t.wait(30)
    check(rc == 0 and read_json(home.token_file())["refresh_token"], "exchange", t.text())
    check(code not in t.text() and SECRET not in t.text(), "a secret was echoed", t.text())


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
