"""The mock Zoho Accounts server (tests/mock-accounts.py), in its own
process, and what a test asks of it: its request log, its answers, its
clock and modes, console codes, and a certificate to serve TLS with."""
import json
import os
import subprocess
import urllib.parse
import urllib.request

from .common import CLIENT_ID, HERE, PYTHON, SECRET, check, wait_for


class Mock:
    """The mock Zoho Accounts server, in its own process."""

    def __init__(self, home, modes=(), redirect_uris=(), name="mock", tls=None, extra_tls=None):
        self.name = name
        self.dir = os.path.join(home.root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, "requests.jsonl")
        port_file = os.path.join(self.dir, "port")
        # A case run again in namespaces keeps its home: no stale port or log.
        for stale in (port_file, port_file + ".api", self.log_path, self.log_path + ".answers"):
            if os.path.exists(stale):
                os.unlink(stale)
        cmd = [PYTHON, os.path.join(HERE, "mock-accounts.py"), "--port-file", port_file,
               "--log", self.log_path, "--client-id", CLIENT_ID, "--client-secret", SECRET]
        for m in modes:
            cmd += ["--mode", m]
        for r in redirect_uris:
            cmd += ["--redirect-uri", r]
        if tls:
            cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        if extra_tls:
            cmd += ["--extra-tls", extra_tls]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        check(wait_for(lambda: os.path.exists(port_file)), "the mock did not start")
        self.port = int(open(port_file).read())
        self.url = "%s://127.0.0.1:%d" % ("https" if tls and not extra_tls else "http", self.port)
        # The stand-in API, on a host of its own.
        self.api_url = "http://127.0.0.1:%d" % int(open(port_file + ".api").read())

    def _open(self, path, data=None, method=None):
        """A request to the mock's control endpoints; its TLS certificate
        comes from the tests' own CA, which is trusted here."""
        import ssl
        req = urllib.request.Request(self.url + path, data=data, method=method)
        ctx = ssl._create_unverified_context() if self.url.startswith("https") else None
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return json.load(r)

    def requests(self, path=None):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, encoding="utf-8") as f:
            entries = [json.loads(line) for line in f if line.strip()]
        return [e for e in entries if path is None or e["path"] == path]

    PREFLIGHT_CODE = "1000.zoho-oauth-preflight."

    @staticmethod
    def is_preflight(entry):
        """The check login makes before the browser opens: a made-up code."""
        form = urllib.parse.parse_qs(entry.get("body", ""), keep_blank_values=True)
        return any(c.startswith(Mock.PREFLIGHT_CODE) for c in form.get("code", []))

    def token_requests(self):
        """Token requests that can yield tokens: the pre-flight's are not counted."""
        return [e for e in self.requests("/oauth/v2/token") if not self.is_preflight(e)]

    def preflight_requests(self):
        """The pre-flight checks, at the token endpoint or (the device
        flow's) at the device-token endpoint."""
        return [e for e in self.requests() if e["path"] in ("/oauth/v2/token",
                "/oauth/v3/device/token") and self.is_preflight(e)]

    def issued_refresh_tokens(self):
        """The refresh tokens the mock issued, newest last (from its log of
        answers)."""
        out = []
        for line in open(self.log_path + ".answers"):
            body = json.loads(line)["body"]
            if "refresh_token" in body:
                out.append(json.loads(body)["refresh_token"])
        return out

    def seed(self, refresh_token, scope, access_token=None, expires_in=3600):
        """Make the mock know a refresh token (and an access token of it, live
        for expires_in seconds), as if a login had made them."""
        q = {"refresh_token": refresh_token, "scope": scope}
        if access_token and expires_in > 0:
            q.update(access_token=access_token, expires_in=expires_in)
        return self._open("/mock/seed?" + urllib.parse.urlencode(q))

    def advance(self, seconds):
        """Move the mock's clock ahead (Zoho's 10-minute window in a moment)."""
        return self._open("/mock/advance?seconds=%g" % seconds, data=b"")

    def set_mode(self, spec):
        return self._open("/mock/mode?set=" + spec)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def console_code(mock):
    """A code as the API console's Self Client makes one, for exchange."""
    with urllib.request.urlopen(mock.url + "/mock/selfclient-code?scope=ZohoCliq.Users.READ") as r:
        return json.load(r)["code"]


def make_certificate(home, names):
    """A throwaway CA and a server certificate for names, made with openssl.
    Returns (ca.pem, cert.pem, key.pem)."""
    d = os.path.join(home.root, "tls")
    os.makedirs(d, exist_ok=True)
    ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
    cert, key, csr = (os.path.join(d, n) for n in ("cert.pem", "cert.key", "cert.csr"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                % ",".join(("IP:" if n[0].isdigit() else "DNS:") + n for n in names))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
                    "-subj", "/CN=zoho-oauth test CA", "-addext",
                    "basicConstraints=critical,CA:TRUE", "-addext",
                    "keyUsage=critical,keyCertSign"], **quiet)
    subprocess.run(["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj",
                    "/CN=" + names[0]], **quiet)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext], **quiet)
    return ca, cert, key


def body_of(req):
    """The form a logged request sent, as lists of values."""
    return urllib.parse.parse_qs(req["body"])
