#!/usr/bin/env python3
"""End-to-end tests of 'zoho-oauth curl': the user's curl with the access
token added. A stand-in 'curl' (tests/fake-curl.py) earlier in PATH
records its argv and environment and execs the real curl; the mock's
stand-in API (its own port) answers 200 for a live access token and 401
INVALID_OAUTHTOKEN for any other, and logs what it was sent."""
import concurrent.futures
import json
import os
import secrets
import shutil
import signal
import socket
import threading

from harness import (HERE, SECRET, Background, check, complete, current_tokens, main, read_json, run, wait_for,
                     write_tokens)

def with_fake_curl(home, mode=None):
    """Put the stand-in curl first in PATH; its records go to curl.jsonl."""
    bindir = os.path.join(home.root, "bin")
    if not os.path.isdir(bindir):
        os.makedirs(bindir)
        os.symlink(os.path.join(HERE, "fake-curl.py"), os.path.join(bindir, "curl"))
        home.env["PATH"] = bindir + os.pathsep + home.env["PATH"]
        home.env["FAKE_CURL_LOG"] = os.path.join(home.root, "curl.jsonl")
    if mode:
        home.env["FAKE_CURL_MODE"] = mode
    else:
        home.env.pop("FAKE_CURL_MODE", None)


def curl_records(home):
    path = os.path.join(home.root, "curl.jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def api_requests(mock):
    return [r for r in mock.requests() if r["listener"] == "api"]


def api_setup(home, *modes, **fields):
    """A mock, the stand-in curl, and a token file whose api_domain is the
    stand-in API and whose access token the mock knows."""
    mock = home.mock("api-domain=self", *modes)
    with_fake_curl(home)
    data = write_tokens(home, mock, api_domain=mock.api_url, **fields)
    return mock, data


def kill_access_token(mock, data):
    """Zoho's silent end of an access token: one live access token per
    refresh token, and a newer one made, as when 30 others were issued."""
    mock.set_mode("access-cap=1")
    mock.seed(data["refresh_token"], data["scope"], "1000.other." + secrets.token_hex(16))


def check_not_passed(home, *values):
    """None of values on any recorded curl's argv or in its environment."""
    for rec in curl_records(home):
        for v in values:
            for a in rec["argv"]:
                check(v not in a, "a secret on curl's command line", a)
            for k, e in rec["env"].items():
                check(v not in e, "a secret in curl's environment (%s)" % k)


def eu_tokens(home, profile="default", dc="eu", accounts="https://accounts.zoho.eu",
              api="https://www.zohoapis.eu"):
    """A token file of another data centre, with time left: nothing asks
    Zoho, and the stand-in curl only records."""
    with_fake_curl(home, "record")
    return write_tokens(home, None, profile=profile, accounts_server=accounts, location=dc,
                        api_domain=api)


def recorded_url(home, n=-1):
    """The URL curl was given: the first argument that is not an option or
    an option's value of ours."""
    argv = curl_records(home)[n]["argv"]
    ours_with_values = {"-H", "-D"}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ours_with_values:
            i += 2
            continue
        if a.startswith("-"):
            i += 1
            continue
        return a, argv[i + 1:]
    return None, []


def case_header_from_pipe(home):
    """The header arrives; the token is on no command line and in no
    environment; the path goes to the profile's api_domain."""
    mock, data = api_setup(home)
    r = run(home, "curl", "/api/v2/channels?limit=2", "-sS")
    check(r.returncode == 0, "curl failed", r)
    answer = json.loads(r.stdout)
    check(answer["path"] == "/api/v2/channels" and answer["query"] == "limit=2", "path", answer)
    reqs = api_requests(mock)
    check(len(reqs) == 1, "expected one API request", reqs)
    check(reqs[0]["headers"].get("Authorization") == "Zoho-oauthtoken " + data["access_token"],
          "the header did not arrive", reqs[0]["headers"])
    recs = curl_records(home)
    check(len(recs) == 1, "curl should have run once", recs)
    argv = recs[0]["argv"]
    check(argv[0] == "-q", "~/.curlrc must not be read: -q comes first", argv)
    h = argv[argv.index("-H") + 1]
    check(h.startswith("@/dev/fd/") and h[9:].isdigit(), "the header should come from a pipe", argv)
    url, rest = recorded_url(home)
    check(url == mock.api_url + "/api/v2/channels?limit=2", "the path was not joined to "
          "api_domain", argv)
    check(rest == ["-sS"], "the user's options should follow the URL as given", argv)
    check_not_passed(home, data["access_token"], data["refresh_token"], SECRET)
    check("ZOHO_CLIENT_SECRET" not in recs[0]["env"], "the secret's variable reached curl")
    check(r.stderr == "", "nothing to say on success", r)


def case_full_url_and_options(home):
    """A full URL to the same host works; -p picks the profile, for curl
    and token; everything from the URL on is curl's, untouched; '--' ends
    our options."""
    mock, data = api_setup(home)
    work = write_tokens(home, mock, profile="work", refresh="1000.refresh.work",
                        access_token="1000.access.work." + secrets.token_hex(8),
                        api_domain=mock.api_url)
    r = run(home, "curl", mock.api_url + "/full", "-sS")
    check(r.returncode == 0 and json.loads(r.stdout)["path"] == "/full", "full URL", r)
    r = run(home, "curl", "-p", "work", "/work", "-sS")
    check(r.returncode == 0, "-p", r)
    check(api_requests(mock)[-1]["headers"]["Authorization"] == "Zoho-oauthtoken " +
          work["access_token"], "-p did not pick the profile's token")
    r = run(home, "token", "-p", "work")
    check(r.returncode == 0 and r.stdout == work["access_token"] + "\n", "token -p", r)
    r = run(home, "curl", "--", "/dashdash", "-sS")
    check(r.returncode == 0 and json.loads(r.stdout)["path"] == "/dashdash", "--", r)
    # Options after the URL are curl's, even those that are ours too.
    with_fake_curl(home, "record")
    after = ["--max-time", "5", "--connect-timeout", "3", "-q", "-v"]
    r = run(home, "curl", "/x", *after)
    check(r.returncode == 0, "record", r)
    check(recorded_url(home)[1] == after, "options after the URL were changed",
          curl_records(home)[-1]["argv"])
    check("the access token among them" in r.stderr, "-v shows the header: say so", r)
    # Before the URL, curl's options are ours to refuse, without echoing values.
    r = run(home, "curl", "-X", "POST", "/x")
    check(r.returncode == 2 and "after the URL" in r.stderr and "POST" not in r.stderr,
          "curl options before the URL", r)
    r = run(home, "curl")
    check(r.returncode == 2 and "needs a URL or a path" in r.stderr, "no URL", r)
    r = run(home, "curl", "api/v2/channels")
    check(r.returncode == 2 and "URL (https://...) or a path" in r.stderr, "neither", r)
    # Writing the headers to a file shows the token: said, not refused.
    with_fake_curl(home)
    trace = os.path.join(home.root, "trace.txt")
    r = run(home, "curl", "/x", "-sS", "--trace-ascii", trace)
    check(r.returncode == 0 and "the access token among them" in r.stderr, "trace warning", r)


def refused(home, mock, *args, why="refusing"):
    before = len(curl_records(home))
    r = run(home, "curl", *args)
    check(r.returncode == 2, "expected status 2 for %s" % (args,), r)
    check(why in r.stderr and r.stderr.startswith("zoho-oauth: error: "), "message", r)
    check(len(curl_records(home)) == before, "curl ran for %s" % (args,), curl_records(home))
    if mock:
        check(api_requests(mock) == [], "a request was made for %s" % (args,))
    return r


def case_foreign_host_refused(home):
    """A host that is not a Zoho API host of the profile's data centre (or
    loopback beside the loopback mock) gets nothing, and curl never runs;
    nor does a second URL among curl's options."""
    mock, data = api_setup(home)
    r = refused(home, mock, "https://www.zohoapis.com.evil.example/x")
    check("www.zohoapis.com.evil.example" in r.stderr and "--allow-host" in r.stderr, "names it", r)
    refused(home, mock, "https://evil.example/x")
    refused(home, mock, "http://127.0.0.2:%d/x" % mock.port, why="plain http")
    refused(home, mock, "https://www.zohoapis.com@evil.example/x", why="can't tell where")
    refused(home, mock, "https://user@127.0.0.1/x", why="can't tell where")
    refused(home, mock, "ftp://127.0.0.1/x", why="URL (https://...) or a path")
    # Another URL, or a way around the check, among curl's options.
    for extra in (["https://evil.example/"], ["--url", "https://evil.example/"],
                  ["-:", "https://evil.example/"], ["--next", "https://evil.example/"],
                  ["-sS", "--", "https://evil.example/"], ["--location-trusted"],
                  ["--location-t"], ["-K", "/dev/null"], ["--config", "/dev/null"],
                  ["--outp", "https://evil.example/"], ["-s:"]):
        r = refused(home, mock, "/x", *extra, why="refusing curl's argument")
        check("evil.example" not in r.stderr, "a value was echoed", r)
    # --allow-host lets one more host have it, over https only.
    with_fake_curl(home, "record")
    r = run(home, "curl", "--allow-host", "api.example.org", "https://api.example.org/v1")
    check(r.returncode == 0 and recorded_url(home)[0] == "https://api.example.org/v1",
          "--allow-host", r)
    refused(home, mock, "--allow-host", "api.example.org", "http://api.example.org/v1",
            why="plain http")
    refused(home, mock, "--allow-host", "https://api.example.org", "/x", why="--allow-host")
    check(api_requests(mock) == [], "the API was asked")


def case_cliq_hosts(home):
    """--service cliq joins a path to Cliq's host of the profile's data
    centre; a full URL must be on one of its hosts."""
    eu_tokens(home)
    for args, url in ((["--service", "cliq", "/api/v2/channels"], "https://cliq.zoho.eu/api/v2/channels"),
                      (["/crm/v2/Leads"], "https://www.zohoapis.eu/crm/v2/Leads"),
                      (["--service", "api", "/crm/v2/Leads"], "https://www.zohoapis.eu/crm/v2/Leads"),
                      (["https://cliq.zoho.eu/api/v2/channels"], "https://cliq.zoho.eu/api/v2/channels"),
                      (["https://CLIQ.zoho.eu:443/api/v2/chats"], "https://CLIQ.zoho.eu:443/api/v2/chats")):
        r = run(home, "curl", *args)
        check(r.returncode == 0, "%s" % args, r)
        check(recorded_url(home)[0] == url, "%s went to the wrong URL" % args, curl_records(home)[-1])
    for url in ("https://cliq.zoho.com/api/v2/channels", "https://www.zohoapis.com/crm/v2/Leads",
                "https://cliq.zoho.eu:8443/api/v2/channels", "https://cliq.zoho.eu./x"):
        r = refused(home, None, url)
        check("cliq.zoho.eu" in r.stderr and "www.zohoapis.eu" in r.stderr, "the allowed hosts", r)
    refused(home, None, "http://cliq.zoho.eu/api/v2/channels", why="plain http")
    refused(home, None, "--service", "cliq", "https://cliq.zoho.eu/x", why="--service is for a path")
    refused(home, None, "--service", "slack", "/x", why="--service is cliq or api")
    # The two irregular data centres.
    eu_tokens(home, "au", "au", "https://accounts.zoho.com.au", "https://www.zohoapis.com.au")
    eu_tokens(home, "ca", "ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca")
    for profile, host in (("au", "cliq.zoho.com.au"), ("ca", "cliq.zohocloud.ca")):
        r = run(home, "curl", "-p", profile, "--service", "cliq", "/api/v2/channels")
        check(r.returncode == 0 and recorded_url(home)[0] == "https://%s/api/v2/channels" % host,
              profile, r)


def case_retry_on_invalid_token(home):
    """Zoho's 401 INVALID_OAUTHTOKEN: one refresh, one repeat, and the
    user sees only the second answer."""
    mock, data = api_setup(home)
    kill_access_token(mock, data)
    r = run(home, "curl", "/api/v2/channels", "-sS")
    check(r.returncode == 0, "curl failed", r)
    answer = json.loads(r.stdout)  # one JSON document: the 401 was held back
    check(answer["path"] == "/api/v2/channels", "the second answer", r)
    check(len(mock.token_requests()) == 1, "expected exactly one refresh", mock.token_requests())
    reqs = api_requests(mock)
    check(len(reqs) == 2, "expected the request and one repeat", reqs)
    new = current_tokens(home)
    check(new["access_token"] != data["access_token"], "the token file was not refreshed")
    check(reqs[0]["headers"]["Authorization"] == "Zoho-oauthtoken " + data["access_token"] and
          reqs[1]["headers"]["Authorization"] == "Zoho-oauthtoken " + new["access_token"],
          "the repeat did not carry the new token", reqs)
    check("INVALID_OAUTHTOKEN" in r.stderr, "say why it asks again", r)
    check(len(curl_records(home)) == 2, "curl should have run twice")
    check_not_passed(home, data["access_token"], new["access_token"], SECRET)
    # The new token is used from now on, without more refreshes.
    r = run(home, "curl", "/again", "-sS")
    check(r.returncode == 0 and len(mock.token_requests()) == 1 and len(api_requests(mock)) == 3,
          "the next call", r)


def case_retry_post_body(home):
    """A body given on the command line is sent again with the repeat."""
    mock, data = api_setup(home)
    kill_access_token(mock, data)
    body = '{"text":"deploy done"}'
    r = run(home, "curl", "/api/v2/channelsbyname/ops/message", "-sS", "-H",
            "Content-Type: application/json", "-d", body)
    check(r.returncode == 0 and json.loads(r.stdout)["body"] == body, "the repeat", r)
    reqs = api_requests(mock)
    check(len(reqs) == 2 and all(q["method"] == "POST" and q["body"] == body for q in reqs),
          "both requests should carry the body", reqs)
    check(len(mock.token_requests()) == 1, "one refresh")


def case_retry_once_only(home):
    """A repeat that is refused again is not repeated again."""
    mock, data = api_setup(home, "api-reject")
    r = run(home, "curl", "/api/v2/channels", "-sS")
    check(r.returncode == 0, "curl's status (0: a 401 without --fail)", r)
    check(json.loads(r.stdout)["code"] == "INVALID_OAUTHTOKEN", "the second 401 passes through", r)
    check(len(mock.token_requests()) == 1, "one refresh", mock.token_requests())
    check(len(api_requests(mock)) == 2, "one repeat", api_requests(mock))
    check("refused the new access token too" in r.stderr, "say so", r)


def case_stdin_body_not_repeated(home):
    """A body read from stdin is sent once: the 401 passes through, and the
    token is refreshed for the next call."""
    mock, data = api_setup(home)
    variants = [["-d", "@-"], ["--data-binary", "@-"], ["--json", "@-"], ["-T", "-"],
                ["-F", "file=@-"], ["-F", "text=<-;type=text/plain"], ["--data-urlencode", "text@-"],
                ["-sSd@-"]]
    for n, extra in enumerate(variants):
        current = current_tokens(home)
        kill_access_token(mock, current)
        before_api, before_refresh = len(api_requests(mock)), len(mock.token_requests())
        r = run(home, "curl", "/api/v2/upload", "-sS", *extra, input="payload-%d" % n)
        check(r.returncode == 0, "%s" % extra, r)
        reqs = api_requests(mock)[before_api:]
        check(len(reqs) == 1, "a body from stdin was sent again (%s)" % extra, reqs)
        check(json.loads(r.stdout)["code"] == "INVALID_OAUTHTOKEN", "the answer passes through", r)
        check("not repeated" in r.stderr and "standard input" in r.stderr, "say why", r)
        check(len(mock.token_requests()) == before_refresh + 1, "refreshed for the next call")
        r = run(home, "curl", "/next", "-sS")
        check(r.returncode == 0 and json.loads(r.stdout)["path"] == "/next", "the next call", r)
        check(len(mock.token_requests()) == before_refresh + 1, "the next call refreshed again")


def case_output_not_held(home):
    """Output that goes elsewhere (or as it arrives) is not held back, so a
    401 passes through, with a hint, and is not repeated."""
    mock, data = api_setup(home)
    out = os.path.join(home.root, "out.json")
    headers = os.path.join(home.root, "headers.txt")
    for extra in (["-o", out], ["-N"], ["-D", headers], ["-O", "--output-dir", home.root]):
        kill_access_token(mock, read_json(home.token_file()))
        before = len(api_requests(mock))
        r = run(home, "curl", "/api/v2/channels", "-sS", *extra)
        check(r.returncode == 0, "%s" % extra, r)
        check(len(api_requests(mock)) == before + 1, "repeated with %s" % extra, r)
        check(mock.token_requests() == [], "refreshed with %s" % extra)
        if extra[0] == "-D":
            # The user's -D takes the place of ours: no status seen, nothing to say.
            check(" 401 " in open(headers).read(), "-D got the headers")
        else:
            check("not held back" in r.stderr and "zoho-oauth refresh" in r.stderr, "hint", r)
        if extra[0] == "-o":
            check(json.load(open(out))["code"] == "INVALID_OAUTHTOKEN", "-o got the answer")
        if extra[0] == "-N":
            check(json.loads(r.stdout)["code"] == "INVALID_OAUTHTOKEN", "-N passes it on", r)


def case_curl_status_passes_through(home):
    """curl's own exit status and output, unchanged."""
    mock, data = api_setup(home)
    r = run(home, "curl", "/status/404", "--fail", "-sS")
    check(r.returncode == 22 and r.stdout == "", "--fail on 404: curl's 22", r)
    check("zoho-oauth" not in r.stderr, "curl's failure is curl's to report", r)
    r = run(home, "curl", "/status/500", "-sS")
    check(r.returncode == 0 and json.loads(r.stdout) == {"status": 500}, "500 without --fail", r)
    r = run(home, "curl", "/status/404", "--fail-with-body", "-sS")
    check(r.returncode == 22 and json.loads(r.stdout) == {"status": 404}, "--fail-with-body", r)
    # Nothing listens on port 1: curl's 7, which is not our 7.
    r = run(home, "curl", "http://127.0.0.1:1/x", "-sS")
    check(r.returncode == 7 and "curl: (7)" in r.stderr and "zoho-oauth:" not in r.stderr,
          "curl's connection failure", r)
    check(mock.token_requests() == [], "nothing to refresh")
    # --fail hides the body: no repeat, and a hint; --fail-with-body shows it: a repeat.
    kill_access_token(mock, data)
    r = run(home, "curl", "/api/v2/channels", "--fail", "-sS")
    check(r.returncode == 22 and len(api_requests(mock)) == 4 and mock.token_requests() == [],
          "--fail on a 401", r)
    check("--fail-with-body" in r.stderr, "the hint", r)
    r = run(home, "curl", "/api/v2/channels", "--fail-with-body", "-sS")
    check(r.returncode == 0 and json.loads(r.stdout)["path"] == "/api/v2/channels", "repeat", r)
    check(len(mock.token_requests()) == 1 and len(api_requests(mock)) == 6, "one refresh, one repeat")


def case_single_flight(home):
    """Many calls refused at once refresh once."""
    mock, data = api_setup(home)
    kill_access_token(mock, data)
    n = 5
    with concurrent.futures.ThreadPoolExecutor(n) as pool:
        runs = list(pool.map(lambda i: run(home, "curl", "/api/v2/channels/%d" % i, "-sS"),
                             range(n)))
    check(len(mock.token_requests()) == 1, "expected one refresh for all", mock.token_requests())
    for i, r in enumerate(runs):
        check(r.returncode == 0 and json.loads(r.stdout).get("path") == "/api/v2/channels/%d" % i,
              "run %d" % i, r)
    check(len(api_requests(mock)) == 2 * n, "each request once and its repeat once",
          api_requests(mock))


def case_no_curl(home):
    mock, data = api_setup(home)
    # A PATH without curl (but with strace, which the secrets audit runs).
    tools = os.path.join(home.root, "tools")
    os.makedirs(tools)
    strace = shutil.which("strace")
    if strace:
        os.symlink(strace, os.path.join(tools, "strace"))
    r = run(home, "curl", "/x", env={"PATH": tools})
    check(r.returncode == 127 and "curl is not installed" in r.stderr, "missing curl", r)
    check(api_requests(mock) == [], "a request")


def case_no_tokens(home):
    mock = home.mock()
    with_fake_curl(home)
    r = run(home, "curl", "/x")
    check(r.returncode == 7 and "zoho-oauth login" in r.stderr, "no tokens: 7", r)
    check(curl_records(home) == [], "curl ran without a token")


def case_interrupt(home):
    """A signal to zoho-oauth reaches curl: nothing is left running."""
    mock, data = api_setup(home)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    accepted = []
    threading.Thread(target=lambda: accepted.append(srv.accept()), daemon=True).start()
    bg = Background(home, "curl", "http://127.0.0.1:%d/never" % srv.getsockname()[1], "-sS")
    check(wait_for(lambda: accepted, 10), "curl never connected", bg.stderr())
    pid = curl_records(home)[-1]["pid"]
    bg.signal(signal.SIGTERM)
    status = bg.wait(15)
    check(status == 143, "expected 143 after SIGTERM, got %s" % status, bg.stderr())

    def gone():
        try:
            os.kill(pid, 0)
            return False
        except ProcessLookupError:
            return True
    check(wait_for(gone, 5), "curl is still running")
    srv.close()


def case_completion(home):
    """bash completion knows curl's options and services."""
    eu_tokens(home, profile="work")

    def words(*typed):
        return complete(home, ["zoho-oauth", *typed])
    check("curl" in words("cu"), "the command")
    check({"--service", "--allow-host", "--profile"} <= words("curl", "--"), "options",
          words("curl", "--"))
    check(words("curl", "--service", "") == {"cliq", "api"}, "services")
    check(words("curl", "-p", "") == {"work"}, "-p profiles", words("curl", "-p", ""))
    # After the URL it is curl's command line: no options of ours.
    check("--service" not in words("curl", "/api/v2/channels", "--"), "curl's part")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
