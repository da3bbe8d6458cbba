"""zoho-oauth at a terminal: stdin and stderr on a real pseudo-terminal
(stdout a pipe), the slave its controlling terminal, so that a Ctrl-C
typed on the master is the terminal's SIGINT and a question is asked."""
import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import threading

from . import common
from .common import Failure, check, wait_for
from .tool import tool_env


class Terminal:
    """zoho-oauth with stdin and stderr on a pseudo-terminal."""

    def __init__(self, home, *args, env=None, stdin_tty=True, cols=0):
        e = tool_env(home, env)
        master, slave = os.openpty()
        if cols:  # a window that wide (a fresh pty has none: 0 x 0)
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
        self.master = master
        self.chunks = []

        def controlling():
            # A session of its own (start_new_session), with the slave as
            # its terminal: Ctrl-C on the master is SIGINT to the tool.
            fcntl.ioctl(2, termios.TIOCSCTTY, 0)
        # Under the secrets audit (meson test --setup audit), traced too.
        self.home, self.args = home, args
        self.tracing = home.audit.prefix() if home.audit else []
        self.proc = subprocess.Popen([*self.tracing, common.BINARY, *args], env=e,
                                     stdin=slave if stdin_tty else subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=slave,
                                     start_new_session=True, preexec_fn=controlling)
        os.close(slave)
        self.out = b""
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        self._o = threading.Thread(target=self._read_out, daemon=True)
        self._o.start()

    def _read(self):
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 0.5)
                if not r:
                    if self.proc.poll() is not None and not self._readable():
                        break
                    continue
                data = os.read(self.master, 4096)
            except OSError:
                break  # EIO: every slave end is closed
            if not data:
                break
            self.chunks.append(data)

    def _readable(self):
        r, _, _ = select.select([self.master], [], [], 0.2)
        return bool(r)

    def _read_out(self):
        self.out = self.proc.stdout.read()

    def text(self):
        return b"".join(self.chunks).decode("utf-8", "replace")

    def flat(self):
        """The text with the terminal's wrapping undone: a message wrapped
        at 80 columns goes on in a line indented by two, which joins the
        one before with a space (a line of our own set apart starts with
        four)."""
        return unwrap(self.text())

    def wait_for_text(self, needle, timeout=10):
        found = wait_for(lambda: needle in self.text() or needle in self.flat(), timeout)
        check(found, "zoho-oauth never said %r on the terminal" % needle, repr(self.text()))

    def type(self, text):
        os.write(self.master, text.encode())

    def wait(self, timeout=30):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise Failure("zoho-oauth did not finish within %ss" % timeout, repr(self.text()))
        self._t.join(5)
        self._o.join(5)
        os.close(self.master)
        if self.tracing:
            self.home.audit.check(self.tracing, self.args)
        return self.proc.returncode


def unwrap(text):
    """Terminal text with the wrapping of messages undone (see flat())."""
    return re.sub(r"\r?\n  (?=\S)", " ", text)


def decline_save(t):
    """After a login with flags at a terminal, login offers to save them as
    a profile: say no (an empty name)."""
    t.wait_for_text("save these settings as a profile?", timeout=20)
    t.type("\n")


CLEAR = "\r\x1b[K"


def screen(raw):
    """What a terminal shows for raw output: \\r, ESC [ K (clear to the end
    of the line), \\n; any other escape sequence is left in as text."""
    lines, col = [""], 0
    i = 0
    while i < len(raw):
        c = raw[i]
        if raw.startswith("\x1b[K", i):
            lines[-1] = lines[-1][:col]
            i += 3
            continue
        if c == "\r":
            col = 0
        elif c == "\n":
            lines.append("")
            col = 0
        else:
            line = lines[-1]
            lines[-1] = line[:col].ljust(col) + c + line[col + 1:]
            col += 1
        i += 1
    return lines


def check_clean_end_of(t, said, countdown):
    """After the tool ended on terminal t: no countdown (a compiled
    pattern) left on the screen, the message said on a line of its own, and
    the output ends with a newline (the shell's prompt starts on a fresh
    line); in the raw bytes, every message that follows a countdown starts
    after the line was cleared, never glued to it."""
    text = t.text()
    lines = screen(text)
    check(not any(countdown.search(line) for line in lines),
          "a countdown is left on the screen", "\n".join(lines), repr(text))
    check(any(line.startswith("zoho-oauth: ") and said in line for line in screen(unwrap(text))),
          "%r is not on a line of its own" % said, "\n".join(lines), repr(text))
    check(text.endswith("\n"), "the output does not end with a newline", repr(text[-200:]))
    check(lines[-1] == "", "the last line is not empty", repr(lines[-3:]))
    for m in re.finditer(r"left \(Ctrl-C to stop\)", text):
        rest = text[m.end():]
        rest = rest[2:] if rest.startswith("^C") else rest  # the terminal's echo of Ctrl-C
        check(rest.startswith(CLEAR), "a countdown is followed by %r without being cleared"
              % rest[:20], repr(text))
