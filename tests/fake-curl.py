#!/usr/bin/env python3
"""A `curl` for the tests, earlier in $PATH than the real one.

zoho-oauth curl finds it by name, as it would find the user's curl. It
appends its argv and environment to $FAKE_CURL_LOG as one JSON object
(so a test can check that no secret reached curl's command line or
environment), and then execs the real curl with the same arguments,
standard streams and inherited file descriptors. With $FAKE_CURL_MODE
"record" it only records and exits 0 (for URLs no test may reach).
"""
import json
import os
import shutil
import sys

record = {"argv": sys.argv[1:], "env": dict(os.environ), "pid": os.getpid()}
log = os.environ.get("FAKE_CURL_LOG")
if log:
    with open(log, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")
if os.environ.get("FAKE_CURL_MODE") == "record":
    sys.exit(0)
here = os.path.dirname(os.path.abspath(sys.argv[0]))
path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                       if p and os.path.abspath(p) != here)
real = shutil.which("curl", path=path) or "/usr/bin/curl"
os.execv(real, ["curl", *sys.argv[1:]])
