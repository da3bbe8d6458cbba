"""What every part of the harness shares: where things are, the made-up
client the mock knows, and how a case fails.

The binary comes from $ZOHO_OAUTH (set by meson), the helper scripts from
tests/. Everything talks to 127.0.0.1 / ::1 only.
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # tests/
SOURCE = os.path.dirname(HERE)
DATA = os.path.join(SOURCE, "data")
# What run(), Background and the others start: read when they start it, so
# that bench/run can point it at a build of its own.
BINARY = os.environ.get("ZOHO_OAUTH")
PYTHON = sys.executable
CLIENT_ID = "1000.TESTCLIENT"
SECRET = "mock-secret-0123456789abcdef"
SKIP = 77  # meson's "skipped"
# Set in the copy of a case that in_private_network() runs in namespaces.
NAMESPACE_MARK = "ZOHO_OAUTH_TEST_IN_NAMESPACE"


class Failure(Exception):
    pass


def check(cond, message, *details):
    if not cond:
        raise Failure(message + "".join("\n--- " + str(d) for d in details))


def wait_for(pred, timeout=10.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()
