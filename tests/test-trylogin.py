#!/usr/bin/env python3
"""End-to-end tests of tools/try-login, the first run without a Zoho
client: the stand-in for Zoho, a throwaway home, login in headless
Chromium, status and token; nothing of the user's touched, everything
cleaned up, on success and on Ctrl-C."""
import os
import re
import signal
import subprocess
import sys
import threading
import time

from harness import BINARY, HERE, check, main, needs, port_open, wait_for

TRY = os.path.join(os.path.dirname(HERE), "tools", "try-login")
BUILD = os.path.dirname(os.path.dirname(BINARY)) if BINARY else None


def tree(path):
    """Every path under path, directories included."""
    found = []
    for root, dirs, files in os.walk(path):
        found += [os.path.join(root, n) for n in dirs + files]
    return sorted(found)


def env_of(home, **more):
    e = dict(home.env)
    tmp = os.path.join(home.root, "tmp")
    os.makedirs(tmp, exist_ok=True)
    for k in ("BROWSER", "ZOHO_CLIENT_SECRET", "DISPLAY", "WAYLAND_DISPLAY"):
        e.pop(k, None)
    e.update(TMPDIR=tmp, **more)
    return {k: v for k, v in e.items() if v is not None}, tmp


def try_login(home, *args, env=None, timeout=120):
    return subprocess.run([sys.executable, TRY, "--build", BUILD, *args], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout)


@needs("chromium")  # registered only where meson found it
def case_headless(home):
    """The whole first run in headless Chromium: exit 0, the status and a
    token printed, the user's home and XDG directories untouched, the
    temporary directory removed and the stand-in stopped."""
    env, tmp = env_of(home)
    before = tree(home.home)
    r = try_login(home, "--headless", env=env)
    check(r.returncode == 0, "try-login failed", r.stdout, r.stderr)
    check("profile:        default" in r.stdout and "access token:   valid, expires " in r.stdout
          and "refresh token:  yes" in r.stdout, "no status in the output", r.stdout)
    check(re.search(r"^1000\.[0-9a-f]+\.[0-9a-f]+$", r.stdout, re.M), "no token line", r.stdout)
    check("Chromium was shown the page that says: Signed in to Zoho." in r.stdout,
          "it does not say what the browser showed", r.stdout)
    check("stand-in for Zoho" in r.stdout and "Register a client with Zoho" in r.stdout,
          "it does not say it was a stand-in and what to do next", r.stdout)
    check("signed in: tokens written to " + tmp in r.stderr, "the login did not use the "
          "temporary home", r.stderr)
    check(tree(home.home) == before, "try-login wrote to the user's home",
          set(tree(home.home)) - set(before))
    check(tree(tmp) == [], "the temporary directory was left behind", tree(tmp))
    port = int(re.search(r"runs at http://127\.0\.0\.1:(\d+)", r.stdout).group(1))
    check(not port_open(port), "the stand-in still runs")


class Interrupted:
    """tools/try-login started as from a terminal (a session of its own, its
    output read as it comes), and stopped with Ctrl-C."""

    def __init__(self, env, *args):
        self.proc = subprocess.Popen([sys.executable, TRY, "--build", BUILD, *args], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, start_new_session=True)
        self.out, self.err = [], []
        self.readers = [threading.Thread(target=lambda: self.out.append(self.proc.stdout.read()),
                                         daemon=True),
                        threading.Thread(target=lambda: self.err.append(self.proc.stderr.read()),
                                         daemon=True)]
        for t in self.readers:
            t.start()

    def ctrl_c(self, timeout=30):
        """What a terminal does on Ctrl-C: SIGINT to the whole foreground
        group. Returns the exit status."""
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise
        for t in self.readers:
            t.join(5)
        return rc

    def stdout(self):
        return "".join(self.out)

    def stderr(self):
        return "".join(self.err)


def case_interrupted(home):
    """Ctrl-C while login waits for the browser (a 'browser' that never
    comes back): status 130, the stand-in stopped, the temporary directory
    removed."""
    env, tmp = env_of(home, DISPLAY=":0", BROWSER="true")
    p = Interrupted(env)
    found = wait_for(lambda: any("zoho-oauth.json" in n or n.endswith("/config")
                                 for n in tree(tmp)), 20)
    check(found, "try-login did not set up its home", tree(tmp))
    time.sleep(1.5)  # login is waiting for the browser now
    rc = p.ctrl_c()
    check(rc == 130, "Ctrl-C: expected status 130, got %s" % rc, p.stdout(), p.stderr())
    check(tree(tmp) == [], "the temporary directory was left behind", tree(tmp))
    m = re.search(r"runs at http://127\.0\.0\.1:(\d+)", p.stdout())
    check(m and not port_open(int(m.group(1))), "the stand-in still runs", p.stdout())
    check(tree(home.home) == [], "try-login wrote to the user's home", tree(home.home))


def processes_in(path):
    """The processes whose command line names something under path."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        if path in argv:
            found.append(int(pid))
    return found


@needs("chromium")
def case_interrupted_headless(home):
    """Ctrl-C while headless Chromium starts, writing its profile into the
    temporary directory: status 130, no Chromium process left, and nothing
    left in $TMPDIR (try-login's directory, and Chromium's own for its
    singleton socket), for good: nothing writes there a moment later."""
    env, tmp = env_of(home)
    p = Interrupted(env, "--headless")
    # Chromium's own processes, should any outlive try-login: ended when
    # the case is, whatever it found.
    home.cleanups.append(lambda: [os.kill(pid, signal.SIGKILL) for pid in processes_in(tmp)])
    found = wait_for(lambda: any(n.endswith("/chromium") for n in tree(tmp)), 30)
    check(found, "Chromium did not start", tree(tmp), p.stdout(), p.stderr())
    rc = p.ctrl_c(60)
    check(rc == 130, "Ctrl-C: expected status 130, got %s" % rc, p.stdout(), p.stderr())
    left = tree(tmp)
    running = processes_in(tmp)
    time.sleep(3)  # what a Chromium process still running would write meanwhile
    check(not running, "Chromium processes outlived try-login", running)
    check(left == [], "the temporary directory was left behind", left, p.stderr())
    check(tree(tmp) == [], "the temporary directory was written again after try-login ended",
          tree(tmp))


def case_no_build(home):
    env, tmp = env_of(home)
    r = subprocess.run([sys.executable, TRY, "--build", os.path.join(home.root, "nothing")],
                       env=env, capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "no zoho-oauth built in" in r.stderr and "meson setup" in
          r.stderr, "a missing build is not said plainly", r.stderr)
    check(tree(tmp) == [], "a temporary directory was made", tree(tmp))


def case_no_chromium(home):
    """--headless (or no display) without Chromium: a clear message."""
    env, tmp = env_of(home)
    empty = os.path.join(home.root, "empty-bin")
    os.makedirs(empty)
    env["PATH"] = empty
    r = try_login(home, "--headless", env=env, timeout=30)
    check(r.returncode == 1 and "Chromium is not installed" in r.stderr and
          "install-deps" in r.stderr, "a missing Chromium is not said plainly", r.stderr)
    check(tree(tmp) == [], "a temporary directory was made", tree(tmp))


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
