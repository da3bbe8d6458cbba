#!/usr/bin/env python3
"""A stand-in for Zoho Accounts, for the tests. Loopback only.

Written from Zoho's documented behaviour (../shared/zoho-reference.md in the
project's workspace): the consent endpoint redirects back with code, state,
location and accounts-server; the token endpoint takes a form body, answers
failures as HTTP 200 with {"error": ...}, honours a code once for 60 seconds
and checks PKCE.

Every request is appended to the --log file as one JSON object per line
(method, path, query, headers, body), so tests can assert on what the tool
sent and where. Modes change the behaviour; they are given with --mode and
may be changed while running with GET /mock/mode?set=a,b (never used by the
tool itself).

Modes:
  refuse              the consent page answers error=access_denied
  forge-state         the consent page sends back a different state
  foreign-server=URL  the redirect names URL as accounts-server
  location=LOC        the redirect's location (default us)
  invalid-code        the token endpoint answers {"error":"invalid_code"}
  redirect-required   an authorization code grant without redirect_uri for a
                      code it never issued (a pre-flight's) gets
                      invalid_redirect_uri, as a Zoho might
  html-502            the token endpoint answers 502 with an HTML page
  preflight-502       the same, only to a pre-flight check's made-up code
  empty-200           the token endpoint answers 200 with an empty body
  throttle            the token endpoint answers the "Access Denied" throttle
  throttle-400        the same, with HTTP 400
  throttle-nostatus   the same without "status":"failure"
  expires-in=SECONDS  the lifetime of the access tokens issued (3600)
  api-domain=URL      the api_domain sent with tokens
  ms-expiry           expires_in in milliseconds plus expires_in_sec
  no-refresh-token    never include a refresh token
  token-delay=SECONDS wait before answering the token endpoint
  answer-delay=SECONDS the token endpoint issues at once (the token's life
                      begins) and sends its answer SECONDS later
  revoke-502          the revoke endpoint answers 502 with an HTML page
  revoke-delay=SECONDS  wait before answering the revoke endpoint
  device-approve-after=N  the device flow is approved at the Nth poll (3)
  device-deny         ... refused at that poll (access_denied)
  device-expire       ... answered "expired" at that poll
  device-slow-down-at=N   the Nth poll answers slow_down
  device-other-dc=LOC the first poll answers other_dc with user_location LOC
  device-interval=V   the interval sent, as is (1000: milliseconds)
  device-expires=V    the expires_in sent, as is (300000: milliseconds)
  device-uri-complete include verification_uri_complete

  no-refresh-limit    no limit of 10 refreshes per 10 minutes (the benchmark)
  multi-org           client credentials without a soid: missing_org_info
  access-cap=N        live access tokens per refresh token (30, as Zoho): the
                      N+1st invalidates the oldest, which the API then refuses
  api-domain=self     api_domain is the stand-in API's own loopback URL
  api-reject          the stand-in API answers 401 INVALID_OAUTHTOKEN whatever
                      the token
  huge-answer=BYTES   the token endpoint streams a body of BYTES bytes
  any-loopback-redirect  accept any http://localhost:PORT/... redirect URI
                      (the benchmark's peer picks a random port)

GET /oauth/user/info with "Authorization: Zoho-oauthtoken TOKEN" answers, for
a live access token whose refresh token's scope holds AaaServer.profile.Read,
{"ZUID", "Email", "First_Name", "Last_Name", "Display_Name"} (as Zoho's
sign-in libraries read it; Zoho's OAuth pages don't document it), and 401
{"code":"INVALID_OAUTHTOKEN"} otherwise. Modes for it:
  user-name=TEXT      the Display_Name sent (default "Pat Example")
  user-info-html      answer 200 with an HTML page instead

POST /mock/token-answer?status=N&ctype=T sets the token endpoint's answer
to the request's body, as is, until GET /mock/token-answer?clear=1.

Every answer of the token endpoints also goes to LOG.answers (the tokens
issued), so a test can look for them where they must not be.

POST /mock/advance?seconds=N moves the mock's clock N seconds ahead: the
refresh window, access-token lifetimes and code lifetimes all see it (the
tool's own clock does not: give it faketime for that).

GET /mock/selfclient-code?scope=S makes a code like the API console's
"Generate Code" (no redirect URI, lives 3 minutes, works once).

The refresh grant allows 10 new access tokens per refresh token in 10
minutes, then answers the throttle, as Zoho documents.

A stand-in API listens on a port of its own (written to PORT_FILE.api):
any path answers 200 with what it was sent, as JSON, when the request
carries "Authorization: Zoho-oauthtoken TOKEN" for a live access token,
and 401 {"code":"INVALID_OAUTHTOKEN"} otherwise (an unknown, expired,
revoked or invalidated token); /status/N answers status N. Its requests
are logged with listener "api".
"""
import argparse
import base64
import hashlib
import json
import os
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CODE_LIFETIME = 60  # seconds: Zoho's codes live one to two minutes
REFRESH_WINDOW = 600  # seconds
REFRESH_LIMIT = 10    # new access tokens per refresh token per window

THROTTLE = {
    "error_description": "You have made too many requests continuously. "
                         "Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}


CLOCK = {"offset": 0.0}  # seconds added by POST /mock/advance


def mock_now():
    """The mock's clock: monotonic, plus what the tests advanced it by, so a
    test can live through Zoho's 10-minute window in a moment."""
    return time.monotonic() + CLOCK["offset"]


class State:
    def __init__(self, args):
        self.lock = threading.RLock()  # send() logs under it, sometimes inside it
        self.args = args
        self.modes = {}
        for m in args.mode or []:
            self.set_mode(m)
        self.codes = {}          # code -> dict
        self.refresh_tokens = {} # refresh token -> dict
        self.device_codes = {}   # device code -> dict
        self.access_tokens = {}  # access token -> refresh token or None
        self.access_expiry = {}  # access token -> mock_now() when it dies
        self.live = {}           # refresh token -> its access tokens, oldest first
        self.client_issued = []  # when client credentials got access tokens
        self.log_file = open(args.log, "a", encoding="utf-8") if args.log else None
        self.answer_file = open(args.log + ".answers", "a", encoding="utf-8") if args.log else None
        self.raw_answer = None  # (status, content type, body) for the token endpoint

    def remember(self, access, refresh, lifetime):
        """A new access token of refresh; Zoho keeps about 30 live per
        refresh token and silently invalidates the oldest. Under the lock."""
        self.access_tokens[access] = refresh
        self.access_expiry[access] = mock_now() + float(lifetime)
        if refresh is None:
            return
        live = self.live.setdefault(refresh, [])
        live.append(access)
        cap = int(self.mode("access-cap") or 30)
        while len(live) > cap:
            self.forget(live.pop(0))

    def forget(self, access):
        self.access_tokens.pop(access, None)
        self.access_expiry.pop(access, None)
        for live in self.live.values():
            if access in live:
                live.remove(access)

    def alive(self, access):
        return access in self.access_tokens and self.access_expiry.get(access, 0) > mock_now()

    def set_mode(self, spec):
        for item in filter(None, spec.split(",")):
            key, _, value = item.partition("=")
            if key.startswith("-"):
                self.modes.pop(key[1:], None)
            else:
                self.modes[key] = value or True

    def mode(self, name):
        return self.modes.get(name)

    def record(self, entry):
        if self.log_file:
            with self.lock:
                self.log_file.write(json.dumps(entry) + "\n")
                self.log_file.flush()

    def record_answer(self, path, body):
        if self.answer_file:
            with self.lock:
                self.answer_file.write(json.dumps({"path": path, "time": time.time(),
                                                   "body": body[:8192]}) + "\n")
                self.answer_file.flush()


def zoho_token():
    return "1000." + secrets.token_hex(32) + "." + secrets.token_hex(16)


# How the tool's pre-flight check's made-up codes start (for preflight-502).
PREFLIGHT_CODE = "1000.zoho-oauth-preflight."

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-zoho-accounts"

    def log_message(self, fmt, *args):  # quiet
        pass

    @property
    def state(self):
        return self.server.state

    def base_url(self):
        if self.server.public_name:
            return self.server.public_name
        scheme = "https" if self.server.tls else "http"
        return "%s://127.0.0.1:%d" % (scheme, self.server.server_address[1])

    def send(self, status, body=b"", ctype="application/json;charset=UTF-8", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        if self.path.startswith(("/oauth/v2/token", "/oauth/v3/device")):
            self.state.record_answer(self.path, body.decode("latin-1"))
            # Issued (and its life begun) now; the answer arrives later.
            delay = self.state.mode("answer-delay")
            if delay and self.path.startswith("/oauth/v2/token"):
                time.sleep(float(delay))
        self.send_response(status)
        if body or ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def stream(self, size):
        """A body far bigger than any token answer, sent in chunks."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"{" + b" " * 65535
        sent = 0
        try:
            while sent < size:
                n = min(len(chunk), size - sent)
                self.wfile.write(chunk[:n])
                sent += n
        except OSError:
            pass  # the client hung up: that is the point

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body() if method == "POST" else b""
        entry = {
            "time": time.time(),
            "listener": self.server.name,
            "method": method,
            "path": url.path,
            "query": url.query,
            "headers": {k: v for k, v in self.headers.items()},
            "body": body.decode("latin-1"),
        }
        if not url.path.startswith("/mock/"):
            self.state.record(entry)
        if self.server.name == "api":
            return self.api(method, url, body)
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        form = urllib.parse.parse_qs(entry["body"], keep_blank_values=True)
        route = (method, url.path)
        if route == ("GET", "/oauth/v2/auth"):
            return self.auth(query)
        if route == ("POST", "/oauth/v2/token"):
            # Zoho reads parameters from the query string or the body.
            params = {**query, **form}
            return self.token({k: v[0] for k, v in params.items()})
        if route == ("POST", "/oauth/v3/device/code"):
            return self.device_code({k: v[0] for k, v in {**query, **form}.items()})
        if route == ("POST", "/oauth/v3/device/token"):
            return self.device_token({k: v[0] for k, v in {**query, **form}.items()})
        if route == ("GET", "/mock/selfclient-code"):
            one = {k: v[0] for k, v in query.items()}
            code = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
            with self.state.lock:
                self.state.codes[code] = {
                    "client_id": self.state.args.client_id, "redirect_uri": None,
                    "scope": one.get("scope", "ZohoCliq.Channels.READ"), "offline": True,
                    "challenge": None, "method": None, "issued": mock_now(),
                    "lifetime": float(one.get("lifetime", 180)), "used": False,
                }
            return self.send(200, {"code": code})
        if route == ("GET", "/oauth/user/info"):
            return self.user_info()
        if route == ("POST", "/oauth/v2/token/revoke"):
            params = {**query, **form}
            return self.revoke({k: v[0] for k, v in params.items()})
        if route == ("GET", "/mock/mode"):
            for spec in query.get("set", []):
                self.state.set_mode(spec)
            return self.send(200, self.state.modes)
        if route == ("POST", "/mock/token-answer"):
            one = {k: v[0] for k, v in query.items()}
            self.state.raw_answer = (int(one.get("status", 200)),
                                     one.get("ctype", "application/json"), body)
            return self.send(200, {"set": len(body)})
        if route == ("POST", "/mock/advance"):
            seconds = float(query.get("seconds", ["0"])[0])
            if not 0 <= seconds <= 86400:
                return self.send(400, {"error": "seconds out of range"})
            with self.state.lock:
                CLOCK["offset"] += seconds
            return self.send(200, {"offset": CLOCK["offset"]})
        if route == ("GET", "/mock/token-answer"):
            self.state.raw_answer = None
            return self.send(200, {"cleared": True})
        if route == ("GET", "/mock/seed"):
            one = {k: v[0] for k, v in query.items()}
            with self.state.lock:
                self.state.refresh_tokens[one["refresh_token"]] = {
                    "scope": one.get("scope", ""), "issued": []}
                if one.get("access_token"):
                    self.state.remember(one["access_token"], one["refresh_token"],
                                        float(one.get("expires_in", 3600)))
            return self.send(200, {"seeded": one["refresh_token"]})
        if route == ("GET", "/mock/state"):
            with self.state.lock:
                return self.send(200, {
                    "refresh_tokens": list(self.state.refresh_tokens),
                    "access_tokens": list(self.state.access_tokens),
                })
        return self.send(404, "<html><body>Not Found</body></html>", "text/html")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    # --- GET /oauth/v2/auth: what the consent page does after "Accept" ---
    def auth(self, q):
        one = {k: v[0] for k, v in q.items()}
        args = self.state.args
        if one.get("client_id") != args.client_id:
            return self.send(400, "<html><body>Invalid Client</body></html>", "text/html")
        redirect = one.get("redirect_uri", "")
        loopback = redirect.startswith(("http://localhost:", "http://127.0.0.1:"))
        if redirect not in args.redirect_uri and not (
                loopback and self.state.mode("any-loopback-redirect")):
            return self.send(400, "<html><body>Invalid Redirect Uri</body></html>", "text/html")
        if one.get("response_type") != "code" or not one.get("scope"):
            return self.send(400, "<html><body>Invalid Request</body></html>", "text/html")
        state = one.get("state", "")
        if self.state.mode("forge-state"):
            # Same length and alphabet, one character off: only a real
            # comparison tells them apart.
            state = state[:-1] + ("A" if state[-1:] != "A" else "B")
        params = {"state": state}
        if self.state.mode("refuse"):
            params["error"] = "access_denied"
        else:
            code = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
            with self.state.lock:
                self.state.codes[code] = {
                    "client_id": one["client_id"],
                    "redirect_uri": redirect,
                    "scope": one["scope"],
                    "offline": one.get("access_type") == "offline",
                    "challenge": one.get("code_challenge"),
                    "method": one.get("code_challenge_method", "plain"),
                    "issued": mock_now(),
                    "used": False,
                }
            params["code"] = code
        params["location"] = self.state.mode("location") or "us"
        params["accounts-server"] = self.state.mode("foreign-server") or self.base_url()
        sep = "&" if "?" in redirect else "?"
        location = redirect + sep + urllib.parse.urlencode(params)
        return self.send(302, b"", None, headers=[("Location", location)])

    # --- POST /oauth/v2/token ---
    def token(self, p):
        delay = self.state.mode("token-delay")
        if delay:
            time.sleep(float(delay))
        if self.state.raw_answer:
            status, ctype, raw = self.state.raw_answer
            return self.send(status, raw, ctype)
        huge = self.state.mode("huge-answer")
        if huge:
            return self.stream(int(huge))
        if self.state.mode("html-502") or (self.state.mode("preflight-502") and
                                           p.get("code", "").startswith(PREFLIGHT_CODE)):
            return self.send(502, "<html><head><title>502 Bad Gateway</title></head>"
                             "<body>Bad Gateway</body></html>", "text/html")
        if self.state.mode("empty-200"):
            return self.send(200, b"", "application/json")
        if self.state.mode("throttle") or self.state.mode("throttle-400"):
            return self.send(400 if self.state.mode("throttle-400") else 200, THROTTLE)
        if self.state.mode("throttle-nostatus"):
            return self.send(200, {k: v for k, v in THROTTLE.items() if k != "status"})
        if self.state.mode("invalid-code"):
            return self.send(200, {"error": "invalid_code"})
        args = self.state.args
        if p.get("client_id") != args.client_id:
            return self.send(200, {"error": "invalid_client"})
        if p.get("client_secret") != args.client_secret:
            return self.send(200, {"error": "invalid_client_secret"})
        grant = p.get("grant_type")
        if grant == "authorization_code":
            return self.code_grant(p)
        if grant == "refresh_token":
            return self.refresh_grant(p)
        if grant == "client_credentials":
            return self.client_grant(p)
        return self.send(200, {"error": "unsupported_grant_type"})

    def client_grant(self, p):
        """A Self Client's client credentials: an access token for an hour
        and no refresh token; counted per client like refreshes (ten in
        ten minutes). With multi-org, the soid is required."""
        if not p.get("scope"):
            return self.send(200, {"error": "invalid_scope"})
        if self.state.mode("multi-org") and not p.get("soid"):
            return self.send(200, {"error": "missing_org_info"})
        now = mock_now()
        with self.state.lock:
            issued = [t for t in self.state.client_issued if now - t < REFRESH_WINDOW]
            if len(issued) >= REFRESH_LIMIT and not self.state.mode("no-refresh-limit"):
                self.state.client_issued = issued
                return self.send(200, THROTTLE)
            self.state.client_issued = issued + [now]
        return self.issue(p["scope"], False)

    def refresh_grant(self, p):
        token = p.get("refresh_token", "")
        now = mock_now()
        with self.state.lock:
            entry = self.state.refresh_tokens.get(token)
            if entry is None:
                # Revoked, or never issued: Zoho answers invalid_code.
                return self.send(200, {"error": "invalid_code"})
            entry["issued"] = [t for t in entry["issued"] if now - t < REFRESH_WINDOW]
            if len(entry["issued"]) >= REFRESH_LIMIT and not self.state.mode("no-refresh-limit"):
                return self.send(200, THROTTLE)
            entry["issued"].append(now)
            scope = entry["scope"]
        return self.issue(scope, True, refresh=token)

    # --- GET /oauth/user/info: whose token it is ---
    def user_info(self):
        auth = self.headers.get("Authorization", "")
        token = auth[len("Zoho-oauthtoken "):] if auth.startswith("Zoho-oauthtoken ") else None
        with self.state.lock:
            live = token is not None and self.state.alive(token)
            refresh = self.state.access_tokens.get(token) if live else None
            scope = self.state.refresh_tokens.get(refresh, {}).get("scope", "") if refresh else ""
        scopes = [s.lower() for s in scope.replace(" ", ",").split(",")]
        if not live or not ({"aaaserver.profile.read", "aaaserver.profile.all"} & set(scopes)):
            return self.send(401, {"code": "INVALID_OAUTHTOKEN", "message": "invalid oauth token"})
        if self.state.mode("user-info-html"):
            return self.send(200, "<html><body>Sign in</body></html>", "text/html")
        return self.send(200, {"ZUID": 10012345678, "Email": "pat@example.com",
                               "First_Name": "Pat", "Last_Name": "Example",
                               "Display_Name": self.state.mode("user-name") or "Pat Example"})

    # --- POST /oauth/v2/token/revoke ---
    def revoke(self, p):
        delay = self.state.mode("revoke-delay")
        if delay:
            time.sleep(float(delay))
        if self.state.mode("revoke-502"):
            return self.send(502, "<html><body>Bad Gateway</body></html>", "text/html")
        token = p.get("token", "")
        with self.state.lock:
            if token not in self.state.refresh_tokens:
                return self.send(400, {"status": "failure", "error": "invalid_token"})
            del self.state.refresh_tokens[token]
            # Revoking a refresh token ends its access tokens too.
            for access in [a for a, r in self.state.access_tokens.items() if r == token]:
                self.state.forget(access)
        return self.send(200, {"status": "success"})

    def code_grant(self, p):
        with self.state.lock:
            entry = self.state.codes.get(p.get("code", ""))
            fresh = entry and not entry["used"] and \
                mock_now() - entry["issued"] < entry.get("lifetime", CODE_LIFETIME)
            if entry:
                entry["used"] = True  # a code works once, right or wrong
        redirect = p.get("redirect_uri")
        if entry is None and redirect is None and self.state.mode("redirect-required"):
            return self.send(200, {"error": "invalid_redirect_uri"})
        if entry is None and redirect is not None and redirect not in self.state.args.redirect_uri \
                and not (redirect.startswith(("http://localhost:", "http://127.0.0.1:"))
                         and self.state.mode("any-loopback-redirect")):
            # Zoho looks at the client and its redirect URI before the code:
            # a made-up code (the pre-flight's) tells a wrong URI apart.
            return self.send(200, {"error": "invalid_redirect_uri"})
        if not fresh:
            return self.send(200, {"error": "invalid_code"})
        if p.get("redirect_uri") != entry["redirect_uri"]:
            # A console code has none, and wants none.
            return self.send(200, {"error": "invalid_redirect_uri"})
        if entry["challenge"]:
            verifier = p.get("code_verifier", "")
            if entry["method"] == "S256":
                expected = base64.urlsafe_b64encode(
                    hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            else:
                expected = verifier
            if not verifier or expected != entry["challenge"]:
                # Zoho does not document this answer; a refused code is the
                # closest documented one.
                return self.send(200, {"error": "invalid_code"})
        return self.issue(entry["scope"], entry["offline"])

    # --- the device flow (Zoho's "non-browser" clients) ---
    def device_code(self, p):
        if p.get("client_id") != self.state.args.client_id:
            return self.send(200, {"error": "invalid_client"})
        if p.get("grant_type") != "device_request" or not p.get("scope"):
            return self.send(200, {"error": "invalid_request"})
        device = secrets.token_hex(24)
        user = "%s-%s" % (secrets.token_hex(2).upper(), secrets.token_hex(2).upper())
        interval = self.state.mode("device-interval") or "1000"
        expires = self.state.mode("device-expires") or "300000"
        expires_ms = float(expires) if float(expires) > 1800 else float(expires) * 1000
        with self.state.lock:
            self.state.device_codes[device] = {
                "scope": p["scope"], "offline": p.get("access_type") == "offline",
                "user_code": user, "issued": mock_now(), "expires_ms": expires_ms,
                "polls": 0, "done": False,
            }
        answer = {
            "user_code": user, "device_code": device,
            "verification_url": self.base_url() + "/oauth/v3/device",
            "interval": int(interval), "expires_in": int(expires),
        }
        if self.state.mode("device-uri-complete"):
            answer["verification_uri_complete"] = answer["verification_url"] + "?user_code=" + user
        return self.send(200, answer)

    def device_token(self, p):
        args = self.state.args
        if p.get("client_id") != args.client_id:
            return self.send(200, {"error": "invalid_client"})
        if p.get("client_secret") != args.client_secret:
            return self.send(200, {"error": "invalid_client_secret"})
        if p.get("grant_type") != "device_token":
            return self.send(200, {"error": "unsupported_grant_type"})
        with self.state.lock:
            entry = self.state.device_codes.get(p.get("code", ""))
            if not entry or entry["done"]:
                return self.send(200, {"error": "invalid_code"})
            if (mock_now() - entry["issued"]) * 1000 > entry["expires_ms"]:
                return self.send(200, {"error": "expired"})
            entry["polls"] += 1
            n = entry["polls"]
        other = self.state.mode("device-other-dc")
        if other and n == 1:
            return self.send(200, {"error": "other_dc", "user_location": other})
        slow = self.state.mode("device-slow-down-at")
        if slow and n == int(slow):
            return self.send(200, {"error": "slow_down"})
        if n < int(self.state.mode("device-approve-after") or 3):
            return self.send(200, {"error": "authorization_pending"})
        with self.state.lock:
            entry["done"] = True
        if self.state.mode("device-deny"):
            return self.send(200, {"error": "access_denied"})
        if self.state.mode("device-expire"):
            return self.send(200, {"error": "expired"})
        return self.issue(entry["scope"], entry["offline"])

    def issue(self, scope, offline, refresh=None):
        access = zoho_token()
        answer = {"access_token": access}
        lifetime = int(self.state.mode("expires-in") or 3600)
        with self.state.lock:
            if offline and not refresh and not self.state.mode("no-refresh-token"):
                refresh = zoho_token()
                self.state.refresh_tokens[refresh] = {"scope": scope, "issued": []}
                answer["refresh_token"] = refresh
            self.state.remember(access, refresh, lifetime)
        answer["scope"] = scope
        domain = self.state.mode("api-domain")
        if domain == "self":
            domain = "http://127.0.0.1:%d" % self.server.api_port
        answer["api_domain"] = domain or "https://www.zohoapis.com"
        answer["token_type"] = "Bearer"
        if self.state.mode("ms-expiry"):
            answer["expires_in"] = lifetime * 1000
            answer["expires_in_sec"] = lifetime
        else:
            answer["expires_in"] = lifetime
        return self.send(200, answer)


    # --- the stand-in API ---
    def api(self, method, url, body):
        auth = self.headers.get("Authorization", "")
        token = auth[len("Zoho-oauthtoken "):] if auth.startswith("Zoho-oauthtoken ") else None
        with self.state.lock:
            live = token is not None and self.state.alive(token)
        if not live or self.state.mode("api-reject"):
            return self.send(401, {"code": "INVALID_OAUTHTOKEN", "message": "invalid oauth token"})
        parts = url.path.split("/")
        if len(parts) == 3 and parts[1] == "status" and parts[2].isdigit():
            return self.send(int(parts[2]), {"status": int(parts[2])})
        return self.send(200, {"method": method, "path": url.path, "query": url.query,
                               "body": body.decode("latin-1"),
                               "content_type": self.headers.get("Content-Type")})

    def do_PUT(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("GET")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log")
    ap.add_argument("--mode", action="append")
    ap.add_argument("--client-id", default="1000.TESTCLIENT")
    ap.add_argument("--client-secret", default="mock-secret-0123456789abcdef")
    ap.add_argument("--redirect-uri", action="append", default=[])
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--extra-tls", metavar="PORT:NAME",
                    help="also listen with TLS on 127.0.0.1:PORT, as https://NAME "
                         "(same state; for a second data centre)")
    args = ap.parse_args()

    state = State(args)

    def make(port, tls, name):
        server = Server(("127.0.0.1", port), Handler)
        server.state = state
        server.tls = tls
        server.public_name = name
        server.name = name or ("tls" if tls else "plain")
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.tls_cert, args.tls_key)
            server.socket = ctx.wrap_socket(server.socket, server_side=True)
        return server

    server = make(0, bool(args.tls_cert) and not args.extra_tls, None)
    api = make(0, False, None)
    api.name = "api"
    server.api_port = api.server_address[1]
    threading.Thread(target=api.serve_forever, daemon=True).start()
    with open(args.port_file + ".api.tmp", "w") as f:
        f.write(str(api.server_address[1]))
    os.rename(args.port_file + ".api.tmp", args.port_file + ".api")
    if args.extra_tls:
        port, name = args.extra_tls.split(":", 1)
        extra = make(int(port), True, "https://" + name)
        extra.api_port = server.api_port
        threading.Thread(target=extra.serve_forever, daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
