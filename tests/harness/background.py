"""zoho-oauth running while the case goes on: its stderr read as it comes,
signals sent to it, its stdin typed into."""
import os
import subprocess
import threading

from . import common
from .common import Failure, check, wait_for
from .tool import tool_env

backgrounds = []  # every Background of the current attempt (main looks at them)


class Background:
    """zoho-oauth running in the background, its stderr read line by line."""

    def __init__(self, home, *args, env=None):
        e = tool_env(home, env)
        self.home = home
        self.args = args
        backgrounds.append(self)
        self.tracing = home.audit.prefix() if home.audit else []
        self.proc = subprocess.Popen([*self.tracing, common.BINARY, *args], env=e,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.err_lines = []
        self.out = ""
        self._t = threading.Thread(target=self._read_err, daemon=True)
        self._t.start()
        self._o = threading.Thread(target=self._read_out, daemon=True)
        self._o.start()

    def _read_err(self):
        for line in self.proc.stderr:
            self.err_lines.append(line)

    def _read_out(self):
        self.out = self.proc.stdout.read()

    def stderr(self):
        return "".join(self.err_lines)

    def consent_url(self, timeout=10):
        def find():
            for line in self.err_lines:
                s = line.strip()
                if "/oauth/v2/auth?" in s:
                    return s
        url = wait_for(find, timeout)
        check(url, "zoho-oauth printed no consent URL", self.stderr())
        return url

    def pid(self):
        """The tool's pid (under the audit, strace's child)."""
        if not self.tracing:
            return self.proc.pid
        def child():
            try:
                with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                    kids = f.read().split()
                return int(kids[0]) if kids else None
            except OSError:
                return None
        pid = wait_for(child, 10)
        check(pid, "no traced zoho-oauth under strace")
        return pid

    def signal(self, sig):
        os.kill(self.pid(), sig)

    def type(self, text):
        """Write to the tool's stdin, as a user pasting and pressing Enter."""
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def close_stdin(self):
        self.proc.stdin.close()

    def wait_for_stderr(self, needle, timeout=10):
        found = wait_for(lambda: needle in self.stderr(), timeout)
        check(found, "zoho-oauth never said %r" % needle, self.stderr())

    def wait(self, timeout=60):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("zoho-oauth did not finish within %ss\n%s" % (timeout, self.stderr()))
        self._t.join(5)
        self._o.join(5)
        if self.tracing:
            self.home.audit.check(self.tracing, self.args)
        return self.proc.returncode


class RawStderr:
    """zoho-oauth in the background with its stderr kept as bytes, so a test
    can tell a raw control byte from its escaped form."""

    def __init__(self, home, *args):
        self.home, self.args = home, args
        self.tracing = home.audit.prefix() if home.audit else []
        self.proc = subprocess.Popen([*self.tracing, common.BINARY, *args], env=dict(home.env),
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.chunks = []
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()

    def _read(self):
        for chunk in iter(lambda: self.proc.stderr.read1(4096), b""):
            self.chunks.append(chunk)

    def err(self):
        return b"".join(self.chunks)

    def consent_url(self):
        def find():
            for line in self.err().split(b"\n"):
                if b"/oauth/v2/auth?" in line:
                    return line.strip().decode()
        url = wait_for(find, 10)
        check(url, "zoho-oauth printed no consent URL", self.err())
        return url

    def wait(self, timeout=30):
        self.proc.wait(timeout)
        self._t.join(5)
        if self.tracing:
            self.home.audit.check(self.tracing, self.args)
        return self.proc.returncode


RAW_CONTROLS = (b"\x1b", b"\x07", b"\x9b", b"\xc2\x9b")


def check_no_raw_controls(err):
    """No terminal control, raw, in err (bytes the tool wrote)."""
    for b in RAW_CONTROLS:
        check(b not in err, "the raw byte(s) %r reached the terminal" % b, err)
    for line in err.split(b"\n"):
        check(all(c >= 0x20 and c != 0x7f for c in line),
              "a control character reached the terminal: %r" % line)
