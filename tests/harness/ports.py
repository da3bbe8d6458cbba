"""Ports for the tool's listener, and telling a port another program took
from a failure of the case.

Not from the kernel's ephemeral range, which hands the same ports to port-0
binds (the mocks) and to outgoing connections at any moment; and each
reserved, for the life of this test process, with a lock file that every
test process on the machine shares, so that two tests running in parallel
never get the same one.
"""
import errno
import os
import socket
import stat
import tempfile

from .common import NAMESPACE_MARK, Failure, check

PORT_LOCK_DIR = os.path.join(tempfile.gettempdir(), "zoho-oauth-test-ports-%d" % os.getuid())
_held_ports = {}  # port -> the open lock file, held until this process exits


def _ephemeral_range():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = (int(v) for v in f.read().split())
        return lo, hi
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def _candidate_ports():
    """Ports outside the ephemeral range, above the well-known and most
    registered services' ports where there is room, in random order."""
    import random
    lo, hi = _ephemeral_range()
    spans = [(max(10000, 1024), lo - 1), (hi + 1, 65535)]
    ports = [p for a, b in spans for p in range(a, b + 1)]
    if len(ports) < 1000:
        ports = [p for p in range(1024, 65536) if not lo <= p <= hi]
    random.shuffle(ports)
    return ports


def _bindable(port):
    """Nobody is bound to port on 127.0.0.1 or ::1 (where there is one)."""
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                if family == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((host, port))
        except OSError as e:
            if family == socket.AF_INET6 and e.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                continue  # no IPv6 loopback here: the tool listens on 127.0.0.1 only
            return False
    return True


def free_port():
    """A port for the tool to listen on: outside the ephemeral range, held
    by this test process alone until it exits, and bindable right now on
    both loopback addresses."""
    import fcntl
    if os.environ.get(NAMESPACE_MARK):
        # A private network namespace: nobody else has ports here.
        for port in _candidate_ports()[:200]:
            if port not in _held_ports and _bindable(port):
                _held_ports[port] = None
                return port
        raise Failure("no free port in the private network")
    os.makedirs(PORT_LOCK_DIR, mode=0o700, exist_ok=True)
    st = os.lstat(PORT_LOCK_DIR)
    check(stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid(),
          "%s is not a directory of this user's" % PORT_LOCK_DIR)
    for port in _candidate_ports()[:200]:
        if port in _held_ports:
            continue
        path = os.path.join(PORT_LOCK_DIR, "%d.lock" % port)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)  # another test process holds it
            continue
        if not _bindable(port):
            os.close(fd)
            continue
        _held_ports[port] = fd
        return port
    raise Failure("no free port outside the ephemeral range %d-%d" % _ephemeral_range())


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# The tool's message when its listener's port is taken. Outside the case
# that takes the port on purpose, it means another program took it first:
# the case is run again (main) rather than failed.
PORT_IN_USE = "is in use by another program"
port_clashes = []  # ports of this attempt the tool found taken


def note_port_clash(stderr):
    for port in _held_ports:
        if "port %d on " % port in stderr and PORT_IN_USE in stderr:
            port_clashes.append(port)
