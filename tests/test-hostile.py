#!/usr/bin/env python3
"""Hostile input and faults: a stray or malicious local client at the
listener, a broken or malicious token endpoint, TLS, files that can't be
written, writes cut short, and signals. Loopback only; bounded in count and
time. Every case ends with a documented exit status, no crash or hang, and
any existing token file intact."""
import json
import os
import signal
import socket
import threading
import time
import urllib.parse

from harness import (BINARY as ZOHO, CLIENT_ID, SECRET, SKIP, Background, check, free_port,
                     in_private_network, login_args, main, make_certificate, mode_of, no_audit,
                     port_open, raw, read_json, remote_browser, run, setup_login, unprivileged,
                     wait_for, write_config, write_tokens)


def waiting_login(home, *modes):
    mock, port = setup_login(home, *modes)
    bg = Background(home, *login_args(mock, port, "--no-browser", timeout=30))
    address = remote_browser(bg.consent_url())
    check(wait_for(lambda: port_open(port)), "the listener is not up")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)
    return mock, port, bg, address, query["state"][0], query["code"][0]


def get(port, target, host=None):
    return raw(port, ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                      % (target, host or "localhost:%d" % port)).encode())


def finish(bg, mock, port, address):
    """The real callback, after the abuse: the login must still complete."""
    status = get(port, address[address.index("/callback"):])
    check(status == 303, "the real callback got %s after the attack" % status)
    check(bg.wait(30) == 0, "the login failed after the attack", bg.stderr())
    check(len(mock.token_requests()) == 1, "expected exactly one exchange")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# --- the listener ---

def case_idle_connections(home):
    """200 connections that never finish a request don't lock the browser out."""
    mock, port, bg, address, state, code = waiting_login(home)
    socks = []
    try:
        for i in range(200):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if i % 2:
                s.sendall(b"GET /callback?state=")  # and never the rest
            socks.append(s)
        check(bg.proc.poll() is None, "the idle connections ended the login")
        finish(bg, mock, port, address)
    finally:
        for s in socks:
            s.close()


def fd_count(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return 0


class Trickle:
    """n connections to the listener that each start a request and then send
    one more byte every `every` seconds, so that it never ends and no idle
    timeout ever fires; one the listener closes is opened again at the next
    tick, as an attacker would. A thread with non-blocking sockets."""

    START = b"GET /callback?state="

    def __init__(self, port, n, every=1.0):
        self.port, self.n, self.every = port, n, every
        self.socks = []
        self.opened = self.closed_by_listener = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", self.port))
        self.opened += 1
        return [s, False]  # socket, whether its start was sent

    def tick(self):
        for i, entry in enumerate(self.socks):
            s, started = entry
            try:
                if s.recv(1, socket.MSG_PEEK) == b"":
                    raise ConnectionResetError  # the listener closed it
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                self.closed_by_listener += 1
                self.socks[i] = self.connect()
                continue
            try:
                s.send(b"a" if started else self.START)
                entry[1] = True
            except BlockingIOError:
                pass
            except OSError:
                pass  # not connected yet (the listener is full), or gone

    def run(self):
        self.socks = [self.connect() for _ in range(self.n)]
        while not self.stopping.wait(self.every):
            self.tick()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
        for s, _ in self.socks:
            s.close()


def case_slow_head(home):
    """A request head trickled a byte at a time is cut off at its deadline,
    though the connection is never idle long enough for the idle timeout."""
    mock, port, bg, address, state, code = waiting_login(home)
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"GET /callback?state=")
        s.setblocking(False)
        start = time.monotonic()
        closed = None
        while time.monotonic() - start < 9:
            time.sleep(0.5)
            try:
                s.send(b"a")
                if s.recv(1, socket.MSG_PEEK) == b"":
                    closed = time.monotonic() - start
                    break
            except BlockingIOError:
                pass
            except OSError:
                closed = time.monotonic() - start
                break
    check(closed is not None, "a request head trickled for 9 s was not cut off")
    check(2 <= closed <= 8, "the trickled request head was cut off after %.1f s" % closed)
    finish(bg, mock, port, address)


def case_slow_flood(home):
    """About 600 connections trickling a byte a second each (about 515 were
    enough to fill the listener for good) don't lock the browser out: during
    the flood the real callback gets through and the login completes, and
    the listener's file descriptors and memory stay bounded."""
    # AddressSanitizer keeps freed memory in quarantine (256 MiB by
    # default), and a flood of short connections churns through it: keep it
    # small, so that what is measured is what the listener keeps.
    home.env["ASAN_OPTIONS"] = home.env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=1"
    mock, port, bg, address, state, code = waiting_login(home)
    pid = bg.pid()
    fds_before, rss_before = fd_count(pid), rss_kib(pid)
    peak = {"fds": 0, "rss": 0}
    sampling = threading.Event()

    def sample():
        while not sampling.wait(0.2):
            peak["fds"] = max(peak["fds"], fd_count(pid))
            peak["rss"] = max(peak["rss"], rss_kib(pid))
    sampler = threading.Thread(target=sample, daemon=True)
    flood = Trickle(port, 600).start()
    sampler.start()
    try:
        time.sleep(3)  # the flood is in full swing, trickling
        check(bg.proc.poll() is None, "the flood ended the login", bg.stderr())
        start = time.monotonic()
        try:
            status = get(port, address[address.index("/callback"):])
        except OSError as e:
            status = "no connection (%s)" % e
        took = time.monotonic() - start
        check(status == 303, "the real callback got %s during the flood (after %.1f s)"
              % (status, took))
        check(took < 3, "the real callback took %.1f s to get through" % took)
        check(bg.wait(30) == 0, "the login failed during the flood", bg.stderr())
    finally:
        flood.stop()
        sampling.set()
        sampler.join(5)
    print("flood: opened %d, closed by the listener %d, took %.2f s, fds +%d, rss +%d KiB" % (flood.opened, flood.closed_by_listener, took, peak["fds"] - fds_before, peak["rss"] - rss_before))
    check(flood.opened >= 600, "the flood opened only %d connections" % flood.opened)
    check(len(mock.token_requests()) == 1, "expected exactly one exchange")
    check(peak["fds"] - fds_before < 150, "the listener held %d more file descriptors under "
          "the flood" % (peak["fds"] - fds_before))
    check(peak["rss"] - rss_before < 8 * 1024, "the listener grew by %d KiB under the flood"
          % (peak["rss"] - rss_before))


def case_oversized(home):
    mock, port, bg, address, state, code = waiting_login(home)
    pid = bg.pid()
    before = rss_kib(pid)
    host = b"Host: localhost:%d\r\n" % port
    line = raw(port, b"GET /callback?" + b"a" * 100000 + b" HTTP/1.1\r\n" + host + b"\r\n")
    check(line in (None, 400, 413, 414, 431), "a 100 kB request line got %s" % line)
    header = raw(port, b"GET /callback HTTP/1.1\r\n" + host + b"X-Big: " + b"b" * 100000 + b"\r\n\r\n")
    check(header in (None, 400, 413, 431), "a 100 kB header got %s" % header)
    many = raw(port, b"GET /callback HTTP/1.1\r\n" + host +
               b"".join(b"X-%d: v\r\n" % i for i in range(5000)) + b"\r\n")
    check(many in (None, 400, 413, 431), "5000 headers got %s" % many)
    query = get(port, "/callback?state=%s&code=%s&pad=%s" % (state, code, "p" * 10000))
    check(query == 400, "a 10 kB query got %s" % query)
    for _ in range(50):
        raw(port, b"GET /callback?" + b"a" * 30000 + b" HTTP/1.1\r\n" + host + b"\r\n")
    grown = rss_kib(pid) - before
    check(grown < 16 * 1024, "the listener grew by %d KiB under oversized requests" % grown)
    check(not mock.token_requests(), "an oversized request led to an exchange")
    finish(bg, mock, port, address)


def case_smuggling(home):
    """Request shapes that try to slip a callback past the checks, all with
    the real state: none is exchanged, and the wait goes on."""
    mock, port, bg, address, state, code = waiting_login(home)
    for target, expected in (
            ("/callback?state=%s&state=%s&code=%s" % (state, state, code), 400),
            ("/callback?state=%s&code=%s&code=other" % (state, code), 400),
            ("/callback?state=%s&code=%s%%00x" % (state, code), 400),
            ("/callback?state=%s%%00&code=%s" % (state, code), 400),
            ("/callback?state=%s&code=%s" % (state * 10, code), 400),
            ("/callback?state=%s&code=%s" % (state, "c" * 2000), 400),
            ("/callback?state=%s&code=%s&error=access_denied" % (state, code), 400),
            ("/callback/?state=%s&code=%s" % (state, code), 404),
            ("/Callback?state=%s&code=%s" % (state, code), 404),
            ("/x/../callback?state=%s&code=%s" % (state, code), 404),
            ("http://localhost:%d/callback?state=%s&code=%s" % (port, state, code), 404)):
        status = get(port, target)
        check(status == expected, "%s got %s, not %s" % (target[:60], status, expected))
    # Framing tricks on a GET.
    status = raw(port, ("GET /callback?state=%s&code=%s HTTP/1.1\r\nHost: localhost:%d\r\n"
                        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                        % (state, code, port)).encode())
    check(status is None or 400 <= status < 500, "CL+TE got %s" % status)
    status = get(port, "/callback?state=%s&code=%s" % (state, code), host="localhost:%d.evil" % port)
    check(status == 403, "a foreign Host got %s" % status)
    check(not mock.token_requests(), "a smuggled request led to an exchange")
    check(bg.proc.poll() is None, "the abuse ended the login")
    finish(bg, mock, port, address)


def case_methods(home):
    mock, port, bg, address, state, code = waiting_login(home)
    target = "/callback?state=%s&code=%s" % (state, code)
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"):
        status = raw(port, ("%s %s HTTP/1.1\r\nHost: localhost:%d\r\nContent-Length: 0\r\n"
                            "Connection: close\r\n\r\n" % (method, target, port)).encode())
        check(status == 405, "%s got %s" % (method, status))
    check(not mock.token_requests(), "a non-GET led to an exchange")
    finish(bg, mock, port, address)


class RawStderr:
    """zoho-oauth in the background with its stderr kept as bytes, so a test
    can tell a raw control byte from its escaped form."""

    def __init__(self, home, *args):
        import subprocess
        self.home, self.args = home, args
        self.tracing = home.audit.prefix() if home.audit else []
        self.proc = subprocess.Popen([*self.tracing, ZOHO, *args], env=dict(home.env),
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.chunks = []
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for chunk in iter(lambda: self.proc.stderr.read1(4096), b""):
            self.chunks.append(chunk)

    def err(self):
        return b"".join(self.chunks)

    def consent_url(self):
        def find():
            for line in self.err().split(b"\n"):
                if b"/oauth/v2/auth?" in line:
                    return line.strip().decode()
        url = wait_for(find, 10)
        check(url, "zoho-oauth printed no consent URL", self.err())
        return url

    def wait(self, timeout=30):
        self.proc.wait(timeout)
        self._t.join(5)
        if self.tracing:
            self.home.audit.check(self.tracing, self.args)
        return self.proc.returncode


RAW_CONTROLS = (b"\x1b", b"\x07", b"\x9b", b"\xc2\x9b")


def check_no_raw_controls(err):
    for b in RAW_CONTROLS:
        check(b not in err, "the raw byte(s) %r reached the terminal" % b, err)
    for line in err.split(b"\n"):
        check(all(c >= 0x20 and c != 0x7f for c in line),
              "a control character reached the terminal: %r" % line)


def case_escapes_listener_text(home):
    """Bytes from local clients reach the terminal escaped, never raw: the
    Host header the listener logs under -v, and a query key in the warning
    about a bad request (shown without -v too)."""
    mock, port = setup_login(home)
    bg = RawStderr(home, *login_args(mock, port, "--no-browser", "-v", timeout=30))
    address = remote_browser(bg.consent_url())
    check(wait_for(lambda: port_open(port)), "the listener is not up")
    host = b"localhost:%d\x1b]0;owned\x07\x1b[2J\x9b" b"31m\xc2\x9b" % port
    status = raw(port, b"GET /callback HTTP/1.1\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n")
    check(status == 403, "a Host with control bytes got %s" % status)
    # A key decoded to a raw C1 byte and an encoded one, with a bad value.
    status = get(port, "/callback?%9b%c2%9bkey=%01")
    check(status == 400, "a query with a control character got %s" % status)
    check(wait_for(lambda: b"ignored a request" in bg.err()), "no warning for the bad query",
          bg.err())
    status = get(port, address[address.index("/callback"):])
    check(status == 303, "the real callback got %s" % status)
    check(bg.wait(30) == 0, "the login failed", bg.err())
    err = bg.err()
    check_no_raw_controls(err)
    check(b"refused a request for host 'localhost:%d\\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u009b'"
          % port in err, "the Host header was not shown escaped", err)
    check(b"(in '\\x9b\\u009bkey')" in err, "the query key was not shown escaped", err)
    # libmicrohttpd prints what it says before its logger is set with its
    # own, past the escaping: it must be set first, so it never says this.
    check(b"is not the first option" not in err, "libmicrohttpd has a logger of its own", err)


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


# --- the token endpoint ---

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


# --- TLS ---

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


# --- files ---

def case_symlink(home):
    """The token path is a symlink: its target is never written, and login
    says so before anyone signs in."""
    mock, port = setup_login(home)
    target = os.path.join(home.root, "precious.txt")
    with open(target, "w") as f:
        f.write("do not touch\n")
    path = home.token_file()
    os.makedirs(os.path.dirname(path), mode=0o700)
    os.symlink(target, path)
    r = run(home, *login_args(mock, port, "--force"))
    check(r.returncode == 1 and "symbolic link" in r.stderr, "login through a symlink", r)
    check(not mock.requests(), "Zoho was asked before the path was checked")
    check(open(target).read() == "do not touch\n", "the symlink's target was written")
    check(os.path.islink(path), "the symlink was replaced")
    r = run(home, "refresh")
    check(r.returncode == 1 and open(target).read() == "do not touch\n", "refresh", r)


def case_directory_not_writable(home):
    mock, port = setup_login(home)
    write_tokens(home, mock, expires_in=10)
    path = home.token_file()
    before = (open(path).read(), os.stat(path).st_ino)
    # As after an earlier refresh: the lock file exists, so only the
    # write itself can fail.
    open(path + ".lock", "w").close()
    os.chmod(path + ".lock", 0o600)
    prefix = unprivileged(home)
    os.chmod(os.path.dirname(path), 0o500)
    try:
        r = run(home, "refresh", prefix=prefix)
        check(r.returncode == 1 and "Permission denied" in r.stderr, "refresh", r)
        check((open(path).read(), os.stat(path).st_ino) == before, "the token file changed")
        check(not mock.token_requests(), "a refresh was spent although it could not be kept")
        r = run(home, *login_args(mock, port, "--force"), prefix=prefix)
        check(r.returncode == 1 and "cannot write in" in r.stderr, "login", r)
        check(not mock.requests("/oauth/v2/auth") and not mock.token_requests(),
              "Zoho was asked although the tokens could not be kept")
    finally:
        os.chmod(os.path.dirname(path), 0o700)


def case_disk_full(home):
    """A tmpfs of 16 KiB, filled up: the refresh can't write; the old file stays."""
    data = os.path.join(home.root, "home", ".local", "share", "zoho-oauth")
    in_private_network(home, tmpfs=(data, "16k"))
    mock = home.mock()
    write_tokens(home, mock, expires_in=10)
    path = home.token_file()
    before = open(path).read()
    fd = os.open(os.path.join(data, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"x" * 512) > 0:
            pass
    except OSError:
        pass  # full
    os.close(fd)
    r = run(home, "refresh")
    check(r.returncode == 1 and "No space left" in r.stderr, "a full disk", r)
    check(open(path).read() == before, "the token file changed on a full disk")
    check(not mock.token_requests(), "a refresh was spent although it could not be kept")
    check(sorted(os.listdir(data)) == ["default.json", "default.json.lock", "filler"],
          "something was left behind: %s" % os.listdir(data))
    os.unlink(os.path.join(data, "filler"))
    r = run(home, "refresh")
    check(r.returncode == 0, "refresh with room again", r)


@no_audit
def case_interrupted_write(home):
    """SIGKILL between write and rename (strace injects it at the rename):
    the previous file is intact, and the next write clears the leftover."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    path = home.token_file()
    before = open(path).read()
    inject = ["strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=rename,renameat,renameat2",
              "-e", "inject=rename,renameat,renameat2:signal=SIGKILL", "--"]
    r = run(home, "refresh", prefix=inject)
    check(r.returncode in (137, -9), "the refresh was not killed at the rename", r)
    check(open(path).read() == before, "the token file changed")
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".default.json.")]
    check(len(leftovers) == 1, "expected the killed write's temporary file", leftovers)
    check(run(home, "token").returncode == 0, "the token file is not usable")
    r = run(home, "refresh")
    check(r.returncode == 0, "the next refresh failed", r)
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".default.json.")]
    check(not leftovers, "the leftover temporary file was not cleared", leftovers)


# --- signals ---

def signal_during_exchange(home, sig, expected):
    mock, port = setup_login(home, "token-delay=20")
    bg = Background(home, *login_args(mock, port), "--no-preflight")
    check(wait_for(lambda: mock.token_requests(), 15), "the exchange never started", bg.stderr())
    start = time.monotonic()
    bg.signal(sig)
    rc = bg.wait(15)
    check(rc == expected, "expected %d, got %s" % (expected, rc), bg.stderr())
    check(time.monotonic() - start < 5, "took %.1f s to stop" % (time.monotonic() - start))
    check(not os.path.exists(home.token_file()), "a token file was written")
    check(not [n for n in os.listdir(home.root) if n.endswith(".json")], "stray files")
    check(not port_open(port), "the port is still open")


def case_sigint_exchange(home):
    signal_during_exchange(home, signal.SIGINT, 130)


def case_sigterm_exchange(home):
    signal_during_exchange(home, signal.SIGTERM, 143)


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
    import subprocess
    proc = subprocess.Popen([*prefix, ZOHO, *args], env=e, stdin=subprocess.PIPE,
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


DB_PASSWORD = "pg-argv-secret-Zq81"


def case_database_password_refused(home):
    """A database store whose connection string holds a password is refused
    (exit 2) wherever it is given, --store, migrate --to or the config file,
    with a pointer to ~/.pgpass, PGPASSFILE and service files; the password
    is never echoed back; nothing is written."""
    mock, port = setup_login(home)
    specs = ["postgresql://bot:%s@db.example/tokens" % DB_PASSWORD,
             "postgres://bot:%s@db.example:5432/tokens?sslmode=verify-full" % DB_PASSWORD,
             "postgresql://bot@db.example/tokens?password=%s" % DB_PASSWORD,
             "postgresql://bot@db.example/tokens?%%70ASSWORD=%s" % DB_PASSWORD,
             "service=tokens password=%s" % DB_PASSWORD]
    for spec in specs:
        r = run(home, *login_args(mock, port, "--store", spec))
        check(r.returncode == 2, "login --store with a password not refused", r)
        check(".pgpass" in r.stderr and "PGPASSFILE" in r.stderr and "service" in r.stderr,
              "no pointer to pgpass or a service file", r)
        check(DB_PASSWORD not in r.stderr + r.stdout, "the password was echoed", r)
        check(not os.path.exists(home.token_file()), "login went ahead")
        r = run(home, "migrate", "--to", spec)
        check(r.returncode == 2 and DB_PASSWORD not in r.stderr, "migrate --to not refused", r)
    write_config(home, "[profile default]\nstore = %s\n" % specs[0])
    r = run(home, *login_args(mock, port))
    check(r.returncode == 2 and ".pgpass" in r.stderr, "store = with a password not refused", r)
    check(DB_PASSWORD not in r.stderr, "the password was echoed from the config", r)
    check(len(mock.token_requests()) == 0, "zoho was asked")
    check(not mock.requests(), "something was sent", mock.requests())


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
