#!/usr/bin/env python3
"""What comes back from Zoho's token endpoint when it is broken or
hostile: a 50 MB answer, a server that never answers or drips, malformed
answers, terminal controls in its error text, an api_domain that is not
Zoho's, and TLS from a CA nobody trusts. Every case ends with a
documented exit status, and any existing token file intact."""
import os
import socket
import threading
import time
import urllib.parse

from harness import (CLIENT_ID, RawStderr, check, check_no_raw_controls, free_port, login_args,
                     main, make_certificate, read_json, run, setup_login, write_tokens)


def case_huge_answer(home):
    mock, port = setup_login(home, "huge-answer=50000000")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 6 and "64 KiB" in r.stderr, "a 50 MB answer", r)
    check(r.maxrss_kib < 64 * 1024, "peak memory %d KiB for a 50 MB answer" % r.maxrss_kib)
    check(not os.path.exists(home.token_file()), "a token file was written")


class BlackHole:
    """A server that accepts and never answers, or drips a byte a second."""

    def __init__(self, drip=False):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = "http://127.0.0.1:%d" % self.sock.getsockname()[1]
        self.drip = drip
        self.conns = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)
            if self.drip:
                threading.Thread(target=self.dribble, args=(c,), daemon=True).start()

    def dribble(self, c):
        try:
            c.recv(65536)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 2000\r\n\r\n")
            while True:
                c.sendall(b" ")
                time.sleep(1)
        except OSError:
            pass


def case_never_answers(home):
    hole = BlackHole()
    write_tokens(home, None, expires_in=-10, accounts_server=hole.url)
    before = open(home.token_file()).read()
    r = run(home, "token", "--connect-timeout", "2", "--max-time", "3", timeout=30)
    check(r.returncode == 6 and "time limit" in r.stderr, "a silent server", r)
    check(r.elapsed < 10, "took %.1f s with --max-time 3" % r.elapsed)
    check(open(home.token_file()).read() == before, "the token file changed")
    # With time left on the access token, the failed refresh doesn't hide it.
    data = write_tokens(home, None, expires_in=100, accounts_server=hole.url)
    r = run(home, "token", "--connect-timeout", "2", "--max-time", "3", timeout=30)
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "the valid token", r)
    check("still valid" in r.stderr and "error:" not in r.stderr, "no warning, or an error", r)
    # The defaults bound it too, well within two minutes.
    r = run(home, "exchange", "--client-id", CLIENT_ID, "--accounts-url", hole.url,
            "--code", "1000.abc", "--force", timeout=90)
    check(r.returncode == 6 and r.elapsed < 45, "default limits: %.1f s" % r.elapsed, r)


def case_slow_drip(home):
    hole = BlackHole(drip=True)
    write_tokens(home, None, expires_in=10, accounts_server=hole.url)
    before = open(home.token_file()).read()
    r = run(home, "refresh", "--max-time", "3", timeout=30)
    check(r.returncode == 6 and r.elapsed < 10, "a dripping server", r)
    check(open(home.token_file()).read() == before, "the token file changed")


def set_answer(mock, status, ctype, body):
    mock._open("/mock/token-answer?status=%d&ctype=%s" % (status, urllib.parse.quote(ctype)),
               data=body, method="POST")


def case_bad_answers(home):
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10)
    before = open(home.token_file()).read()
    for status, ctype, body, words in (
            (200, "application/json", b'{"access_token":"1000.a","expires_in":36', "not JSON"),
            (200, "application/json", b'{"access_token":"1000.a","expires_in":"3600"}', "not a number"),
            (200, "application/json", b'{"access_token":1000,"expires_in":3600}', "not a string"),
            (200, "application/json", b'{"expires_in":3600,"api_domain":"https://x"}', "no access_token"),
            (200, "application/json", b'{"access_token":"1000.a"}', "no expires_in"),
            (200, "application/json", b'[{"access_token":"1000.a"}]', "not an object"),
            (200, "application/json", b'{"access_token":"1000.a","expires_in":3600} {}', "after"),
            (200, "text/html", b"<html><body>Sign in</body></html>", "page"),
            (404, "text/html", b"<html>Not Found</html>", "page"),
            (500, "application/json", b'{"access_token":"1000.a","expires_in":3600}', "HTTP 500"),
            (200, "application/json", b"", "empty"),
            (200, "application/json", b'{"access_token":"1000.a b","expires_in":3600}', "not printable"),
    ):
        set_answer(mock, status, ctype, body)
        r = run(home, "token")
        check(r.returncode == 6, "%r should exit 6" % body[:40], r)
        check(words in r.stderr, "%r: message lacks %r" % (body[:40], words), r)
        check(r.stdout == "", "printed something for %r" % body[:40], r)
        check(open(home.token_file()).read() == before, "the token file changed")
    # Through login too: nothing is written.
    port = free_port()
    mock2 = home.mock(redirect_uris=["http://localhost:%d/callback" % port], name="second")
    set_answer(mock2, 200, "application/json", b'{"access_token":42,"expires_in":3600}')
    r = run(home, *login_args(mock2, port, "--token-file", os.path.join(home.root, "new.json")))
    check(r.returncode == 6 and not os.path.exists(os.path.join(home.root, "new.json")), "login", r)


def case_escapes_zoho_error(home):
    """Zoho's error text with ESC and C1 controls (escaped in the JSON) is
    shown escaped on the terminal; an answer with a raw C1 byte is not
    UTF-8, so not JSON: refused (exit 6), and nothing of it shown raw."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10)
    set_answer(mock, 200, "application/json",
               b'{"error":"no\\u001b[2J\\u001b]0;owned\\u0007\\u009b31m!"}')
    r = RawStderr(home, "token")
    check(r.wait(30) == 5, "an unknown error should exit 5", r.err())
    err = r.err()
    check_no_raw_controls(err)
    check(b"zoho refused the request: no\\x1b[2J\\x1b]0;owned\\x07\\u009b31m!" in err,
          "Zoho's error text was not shown escaped", err)
    set_answer(mock, 200, "application/json", b'{"error":"no\x9b[2J"}')
    r = RawStderr(home, "token")
    check(r.wait(30) == 6, "an answer that is not UTF-8 should exit 6", r.err())
    err = r.err()
    check_no_raw_controls(err)
    check(b"not valid UTF-8" in err, "the answer was not refused as not UTF-8", err)
    # Its error_description, which is always shown, too.
    set_answer(mock, 200, "application/json",
               b'{"error":"invalid_client","error_description":"x\\u001b[5m\\u009b1m"}')
    r = RawStderr(home, "token")
    check(r.wait(30) == 5, "invalid_client should exit 5", r.err())
    err = r.err()
    check_no_raw_controls(err)
    check(b"(zoho says: x\\x1b[5m\\u009b1m)" in err, "the description was not shown escaped", err)


def case_api_domain(home):
    """An api_domain that is not a Zoho API host is not stored; the tokens
    are."""
    mock, port = setup_login(home, "api-domain=https://evil.example.com")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login", r)
    data = read_json(home.token_file())
    check(data["api_domain"] != "https://evil.example.com", "stored as given", data)
    check("not a Zoho API host" in r.stderr, "no warning", r)
    mock.set_mode("api-domain=https://user@www.zohoapis.com")
    r = run(home, "refresh")
    check(r.returncode == 0 and "not a Zoho API host" in r.stderr, "refresh", r)
    check(read_json(home.token_file())["api_domain"] == data["api_domain"], "replaced")


def case_tls(home):
    """An https accounts server with a certificate of the tests' own CA:
    refused until --cacert names that CA."""
    ca, cert, key = make_certificate(home, ["127.0.0.1", "localhost"])
    mock, port = setup_login(home, tls=(cert, key))
    check(mock.url.startswith("https://"), "the mock is not on https")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 6 and "TLS" in r.stderr and "--cacert" in r.stderr, "untrusted TLS", r)
    check(not mock.token_requests(), "a request crossed an unverified TLS connection")
    check(not os.path.exists(home.token_file()), "a token file was written")
    r = run(home, *login_args(mock, port, "--cacert", ca))
    check(r.returncode == 0, "login with --cacert failed", r)
    check(read_json(home.token_file())["accounts_server"] == mock.url, "accounts_server")
    # A stored https server is held to the same rule on refresh.
    write_tokens(home, mock, expires_in=-10)
    r = run(home, "token")
    check(r.returncode == 6 and "TLS" in r.stderr, "refresh without --cacert", r)
    r = run(home, "token", "--cacert", ca)
    check(r.returncode == 0, "refresh with --cacert", r)
    for url in ("http://accounts.zoho.eu", "http://192.168.1.1:8080"):
        r = run(home, "login", "--client-id", CLIENT_ID, "--scope", "ZohoCliq.Channels.READ",
                "--accounts-url", url)
        check(r.returncode == 2 and "plain http" in r.stderr, "plain http to %s" % url, r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
