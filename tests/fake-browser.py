#!/usr/bin/env python3
"""A stand-in browser for the tests, started by zoho-oauth through $BROWSER.

It does what a browser does with the consent URL: fetch it (the mock's
consent page redirects at once), follow the redirect to the loopback
listener, and follow the listener's 303 to the outcome page. What it saw
is appended to $FAKE_BROWSER_LOG as one JSON object, together with its
argv and environment, so tests can check both the flow and that no secret
reached the browser.

zoho-oauth gives the browser a one-time link on its own listener, which
redirects to the consent URL: that first hop is recorded as "launch" (a
list of steps), and "steps" starts at the consent URL as before.

$FAKE_BROWSER_MODE:
  follow (default)   as above
  none               record the URL, visit nothing
  host=HOST          send the callback with this Host header
  launch-twice       fetch the one-time link a second time before going on
                     (as when another program read it first)
"""
import http.client
import json
import os
import ssl
import sys
import urllib.parse


def fetch(url, host=None):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        # The tests' own CA: this browser trusts what it is shown.
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=30,
                                           context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    target = parts.path + ("?" + parts.query if parts.query else "")
    headers = {"User-Agent": "fake-browser"}
    if host:
        headers["Host"] = host
    conn.request("GET", target, headers=headers)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8", "replace")
    step = {
        "url": url,
        "status": resp.status,
        "location": resp.getheader("Location"),
        "headers": dict(resp.getheaders()),
        "body": body,
    }
    conn.close()
    return step


def main():
    url = sys.argv[-1]
    mode = os.environ.get("FAKE_BROWSER_MODE", "follow")
    record = {"argv": sys.argv, "env": dict(os.environ), "launch": [], "steps": [],
              "error": None}
    try:
        if mode != "none":
            host = mode[5:] if mode.startswith("host=") else None
            step = fetch(url)
            if step["status"] in (302, 303) and "/oauth/v2/auth" not in url:
                # zoho-oauth's one-time link: on to the consent URL.
                record["launch"] = [step]
                if mode == "launch-twice":
                    record["launch"].append(fetch(url))
                url = urllib.parse.urljoin(url, step["location"])
                step = fetch(url)
            record["steps"].append(step)
            callback = step["location"]
            if step["status"] == 302 and callback:
                step = fetch(callback, host)
                record["steps"].append(step)
                if step["status"] == 303:
                    target = urllib.parse.urljoin(callback, step["location"])
                    record["steps"].append(fetch(target, host))
    except Exception as e:  # recorded for the test to report
        record["error"] = repr(e)
    path = os.environ.get("FAKE_BROWSER_LOG")
    if path:
        # One write of a whole line: a test reading meanwhile sees all of
        # this record or none of it (it reads complete lines only).
        line = (json.dumps(record) + "\n").encode("utf-8")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)


if __name__ == "__main__":
    main()
