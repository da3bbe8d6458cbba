"""Requests to the tool's loopback listener, as a browser makes them or as
anything else on the machine may: a browser on another machine at the
mock's consent page, a GET as a browser sends it, and raw bytes."""
import http.client
import socket
import urllib.parse

from .common import check


def remote_browser(consent_url):
    """What a browser does at the mock's consent page after "Accept": it is
    redirected. Returns the address it is sent to (the callback), without
    following it, as a browser on another machine would fail to."""
    parts = urllib.parse.urlsplit(consent_url)
    c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    c.request("GET", parts.path + "?" + parts.query)
    r = c.getresponse()
    r.read()
    c.close()
    check(r.status == 302, "the mock's consent page did not redirect (%d)" % r.status)
    return r.getheader("Location")


def listener_get(port, url):
    """GET url's path and query from the listener, as a browser would."""
    parts = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("GET", parts.path + ("?" + parts.query if parts.query else ""),
              headers={"Host": "localhost:%d" % port})
    resp = c.getresponse()
    page = {"status": resp.status, "location": resp.getheader("Location"),
            "body": resp.read().decode("utf-8", "replace")}
    c.close()
    return page


def raw_reply(port, data, timeout=10):
    """Send raw bytes to the listener; the start of its answer (up to the
    end of the status line), or what it sent before it closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        got = b""
        try:
            while b"\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        except OSError:
            pass
    return got


def raw(port, data, timeout=10):
    """Send raw bytes to the listener; the status it answers, or None if it
    closed the connection without one."""
    got = raw_reply(port, data, timeout)
    if not got.startswith(b"HTTP/1."):
        return None
    return int(got.split(b" ", 2)[1])
