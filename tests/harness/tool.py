"""Running zoho-oauth: to the end (run), as a user without root's powers,
with a faked clock, and the command lines the cases share."""
import os
import shutil
import subprocess
import threading
import time

from . import common
from .common import CLIENT_ID, Failure, check
from .ports import free_port, note_port_clash


class Run:
    def __init__(self, returncode, stdout, stderr, elapsed, maxrss_kib):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.maxrss_kib = maxrss_kib  # the tool's peak resident memory

    def __str__(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (self.returncode, self.stdout, self.stderr)


def tool_env(home, env=None):
    """home's environment with env's changes: a value of None unsets."""
    e = dict(home.env)
    e.update(env or {})
    return {k: v for k, v in e.items() if v is not None}


def run(home, *args, env=None, timeout=60, input=None, prefix=()):
    """Run zoho-oauth (after the prefix command, if any) and wait for it."""
    e = tool_env(home, env)
    start = time.monotonic()
    tracing = home.audit.prefix() if home.audit and not prefix else []
    proc = subprocess.Popen([*tracing, *prefix, common.BINARY, *args], env=e,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    result = {}

    def reap():
        # wait4, not wait: it tells this one process's peak memory.
        _, status, usage = os.wait4(proc.pid, 0)
        result["status"] = os.waitstatus_to_exitcode(status)
        result["maxrss"] = usage.ru_maxrss
    # communicate() would reap the process itself; read the pipes here and
    # reap with wait4 once they are closed.
    out, err = [], []
    readers = [threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True),
               threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)]
    for t in readers:
        t.start()
    if input is not None:
        try:
            proc.stdin.write(input)
        except BrokenPipeError:
            pass
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
    reaper = threading.Thread(target=reap, daemon=True)
    reaper.start()
    reaper.join(timeout)
    if reaper.is_alive():
        proc.kill()
        reaper.join(10)
        for t in readers:
            t.join(5)
        raise Failure("zoho-oauth %s did not finish within %ss\n%s" % (args, timeout,
                                                                    "".join(err)))
    for t in readers:
        t.join(10)
    proc.returncode = result["status"]
    note_port_clash("".join(err))
    if tracing:
        home.audit.check(tracing, args)
    return Run(result["status"], "".join(out), "".join(err), time.monotonic() - start,
               result["maxrss"])


def unprivileged(home):
    """A prefix that runs the tool as a user without root's powers, so that
    file permissions apply; the home is handed to that user. Empty when the
    tests run unprivileged already."""
    if os.geteuid() != 0:
        return []
    for root, dirs, files in os.walk(home.root):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), 65534, 65534)
    os.chown(home.root, 65534, 65534)
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
    if subprocess.run([*prefix, "test", "-x", common.BINARY]).returncode == 0:
        return prefix
    # The build is in a directory that user can't enter (a clone under
    # /root, mode 0700): run copies of the two programs from the home,
    # through a shell that puts the copy in place of the build's path.
    copies = os.path.join(home.root, "unprivileged-bin")
    os.mkdir(copies, 0o755)
    built = os.path.dirname(os.path.abspath(common.BINARY))
    for name in (os.path.basename(common.BINARY), "zoho-oauth-full"):
        shutil.copy2(os.path.join(built, name), copies)
    front = os.path.join(copies, os.path.basename(common.BINARY))
    return [*prefix, "/bin/sh", "-c", 'shift; exec "$0" "$@"', front]


FAKETIME = "/usr/bin/faketime"


def faketime(spec):
    """run()'s keywords (prefix and env) for a clock faketime sets to spec:
    "@1999-01-01 00:00:00", or "+120" for two minutes ahead. The mock's
    clock is separate. faketime is preloaded, so it reaches the full
    program only, never a static front."""
    check(os.path.exists(FAKETIME), "faketime is not installed (tools/install-deps installs it)")
    env = {"FAKETIME_DONT_FAKE_MONOTONIC": "1",
           # libfaketime is preloaded ahead of ASan's runtime.
           "ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"}
    return {"prefix": (FAKETIME, "-f", spec), "env": env}


SCOPES = "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE"


def setup_login(home, *modes, host="localhost", tls=None):
    """A free port and a mock that knows http://HOST:PORT/callback."""
    port = free_port()
    mock = home.mock(*modes, redirect_uris=["http://%s:%d/callback" % (host, port)], tls=tls)
    return mock, port


def login_args(mock, port, *extra, host="localhost", scope=SCOPES, timeout=20):
    return ["login", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--redirect-uri", "http://%s:%d/callback" % (host, port),
            "--scope", scope, "--timeout", str(timeout), *extra]


def exchange_args(mock, *extra):
    return ["exchange", "--client-id", CLIENT_ID, "--accounts-url", mock.url, *extra]


def complete(home, shell_words):
    """Run the bash completion for a command line ending in the word to
    complete; return its candidates."""
    script = r"""
source "$1"; shift
COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_zoho_oauth
printf '%s
' "${COMPREPLY[@]}"
"""
    env = dict(home.env)
    env["PATH"] = os.path.dirname(common.BINARY) + ":" + env["PATH"]
    out = subprocess.run(["bash", "-c", script, "bash",
                          os.path.join(common.DATA, "zoho-oauth.bash"), *shell_words],
                         env=env, capture_output=True, text=True, check=True)
    return set(out.stdout.split())
