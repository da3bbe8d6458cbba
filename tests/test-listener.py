#!/usr/bin/env python3
"""The loopback listener under attack while login waits: a stray or
malicious local client, idle and trickling connections by the hundred,
oversized and smuggled requests, other methods, hostile Host headers,
control bytes for the terminal, a replayed callback. Loopback only;
bounded in count and time. Every case ends with the real callback still
taken, or a documented exit status, no crash or hang."""
import os
import socket
import threading
import time
import urllib.parse

from harness import (Background, RawStderr, check, check_no_raw_controls, final_page, listener_get,
                     login_args, main, port_open, raw, read_json, remote_browser, run, setup_login,
                     wait_for)


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


def case_foreign_host(home):
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--timeout", "3"),
            env={"FAKE_BROWSER_MODE": "host=evil.example:%d" % port})
    check(r.returncode == 4, "a foreign Host must not complete the login", r)
    steps = final_page(home)
    check(steps[1]["status"] == 403, "foreign Host header should get 403", steps)
    check(not mock.token_requests(), "a request for a foreign host led to an exchange")


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


def case_second_callback(home):
    """The callback again while the first is exchanged (the mock holds the
    token request) and again while login lingers over the outcome page:
    both answered 409, and the code is exchanged once."""
    mock, port = setup_login(home, "token-delay=2")
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


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
