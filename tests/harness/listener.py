"""The browser's side of a sign-in: a browser on another machine at the
mock's consent page."""
import http.client
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
