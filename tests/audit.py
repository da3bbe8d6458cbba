"""The secrets audit: with ZOHO_OAUTH_AUDIT=1 (meson test --setup audit),
every zoho-oauth the tests run goes through strace, which records each
program it starts (argv and environment: the browser) and every byte it
writes to stdout and stderr. After each run the record is searched for
every secret in play: the client secret, and every code, code verifier,
device code, access token and refresh token the mock saw or issued (an
access token its stand-in API was sent included); and
every started program's argv for the state and PKCE challenge of the
consent requests the mock saw (they belong on the terminal only).

Where they may appear: the access token on stdout of 'token' and 'header'
(that is what they print), and anything on stdout of 'login/exchange
--token-file -' (the user asked for the token JSON). Nowhere else: not in
a started program's argv or environment, not on stderr. What crossed the
network is checked by the mock itself (its request log: URLs, headers).

'curl' is traced like the rest: the curl it starts (and the tests' stand-in
in front of the real one) is a started program, so the token must be on
neither's argv nor in their environment; and whatever they write to stdout
and stderr (the API's answer, curl's messages) must not hold it either.
The header reaches curl through a pipe, whose writes are not to fd 1 or 2.
"""
import glob
import json
import os
import re
import urllib.parse

from harness import SECRET, Failure

STRACE = ["strace", "-f", "-qq", "-v", "-s", "1048576", "-e", "trace=execve,write,writev"]
CALL = re.compile(r'^(\d+)\s+(execve|write|writev)\((.*)$')


class Auditor:
    def __init__(self, home):
        self.home = home
        self.count = 0

    def prefix(self):
        self.count += 1
        self.trace = os.path.join(self.home.root, "trace-%d.txt" % self.count)
        return [*STRACE, "-o", self.trace, "--"]

    def secrets(self):
        """Everything secret the mocks of this home saw or handed out."""
        found = {SECRET}
        for log in glob.glob(os.path.join(self.home.root, "*", "requests.jsonl")):
            for line in open(log, encoding="utf-8"):
                req = json.loads(line)
                # What reached the stand-in API (zoho-oauth curl) as a token.
                auth = req["headers"].get("Authorization", "")
                if auth.startswith("Zoho-oauthtoken "):
                    found.add(auth[len("Zoho-oauthtoken "):])
                if req["method"] != "POST":
                    continue
                body = urllib.parse.parse_qs(req["body"])
                for key in ("code", "code_verifier", "refresh_token", "token", "client_secret"):
                    found.update(body.get(key, []))
        for log in glob.glob(os.path.join(self.home.root, "*", "requests.jsonl.answers")):
            for line in open(log, encoding="utf-8"):
                try:
                    answer = json.loads(json.loads(line)["body"])
                except (ValueError, TypeError):
                    continue
                if isinstance(answer, dict):
                    for key in ("access_token", "refresh_token", "device_code"):
                        if isinstance(answer.get(key), str):
                            found.add(answer[key])
        # Too short to mean anything (a malformed test input, say).
        return {s for s in found if len(s) >= 12}

    def consent_values(self):
        """The state and PKCE challenge of every consent request the mocks
        saw: shown on the terminal for the user, but never on a started
        program's command line, where every local user can read them."""
        found = set()
        for log in glob.glob(os.path.join(self.home.root, "*", "requests.jsonl")):
            for line in open(log, encoding="utf-8"):
                req = json.loads(line)
                if req["path"] == "/oauth/v2/auth":
                    query = urllib.parse.parse_qs(req["query"])
                    for key in ("state", "code_challenge"):
                        found.update(query.get(key, []))
        return {s for s in found if len(s) >= 12}

    def check(self, prefix, args):
        trace = prefix[prefix.index("-o") + 1]
        if not os.path.exists(trace):
            raise Failure("the audit's strace wrote no trace for %s" % (args,))
        secrets = self.secrets()
        on_argv_never = secrets | self.consent_values()
        stdout_may = set()
        command = args[0] if args else ""
        if command in ("token", "header"):
            stdout_may = secrets  # the access token is what they print
        if "--token-file" in args and args[args.index("--token-file") + 1] == "-":
            stdout_may = secrets
        first_exec = True
        for line in open(trace, encoding="utf-8", errors="replace"):
            m = CALL.match(line)
            if not m:
                continue
            call, rest = m.group(2), m.group(3)
            if call == "execve":
                if first_exec:  # zoho-oauth itself, as the test started it
                    first_exec = False
                    continue
                if rest.startswith('"') and rest.split('"')[1].endswith("/zoho-oauth-full"):
                    continue  # the front handing over to the full program
                for s in on_argv_never:
                    if s in rest or urllib.parse.quote(s) in rest:
                        raise Failure("a secret or the consent URL's state or challenge was "
                                      "passed to a started program (%s): %s"
                                      % (s[:8] + "...", rest[:300]))
                continue
            fd = rest.split(",", 1)[0]
            if fd == "2":
                leaked = [s for s in secrets if s in rest]
                if leaked:
                    raise Failure("a secret was written to stderr by %s: %s"
                                  % (args, rest[:300]))
            elif fd == "1":
                leaked = [s for s in secrets - stdout_may if s in rest]
                if leaked:
                    raise Failure("a secret was written to stdout by %s: %s" % (args, rest[:300]))
