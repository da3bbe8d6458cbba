"""Shared helpers for the end-to-end tests: a temporary home, the mock
Zoho Accounts server, the stand-in browser, and running zoho-oauth.

Everything talks to 127.0.0.1 / ::1 only. The binary comes from
$ZOHO_OAUTH (set by meson), the helper scripts from this directory.
"""
import errno
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BINARY = os.environ.get("ZOHO_OAUTH")
PYTHON = sys.executable
CLIENT_ID = "1000.TESTCLIENT"
SECRET = "mock-secret-0123456789abcdef"
SKIP = 77  # meson's "skipped"


class Failure(Exception):
    pass


def check(cond, message, *details):
    if not cond:
        raise Failure(message + "".join("\n--- " + str(d) for d in details))


# Ports for the tool's listener. Not from the kernel's ephemeral range,
# which hands the same ports to port-0 binds (the mocks) and to outgoing
# connections at any moment; and each reserved, for the life of this test
# process, with a lock file that every test process on the machine shares,
# so that two tests running in parallel never get the same one.
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


# The tool's message when its listener's port is taken. Outside the case
# that takes the port on purpose, it means another program took it first:
# the case is run again (main) rather than failed.
PORT_IN_USE = "is in use by another program"
_port_clashes = []
_backgrounds = []  # every Background of the current attempt


def _note_port_clash(stderr):
    for port in _held_ports:
        if "port %d on " % port in stderr and PORT_IN_USE in stderr:
            _port_clashes.append(port)


def wait_for(pred, timeout=10.0, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


class Mock:
    """The mock Zoho Accounts server, in its own process."""

    def __init__(self, home, modes=(), redirect_uris=(), name="mock", tls=None, extra_tls=None):
        self.name = name
        self.dir = os.path.join(home.root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, "requests.jsonl")
        port_file = os.path.join(self.dir, "port")
        # A case run again in namespaces keeps its home: no stale port or log.
        for stale in (port_file, port_file + ".api", self.log_path, self.log_path + ".answers"):
            if os.path.exists(stale):
                os.unlink(stale)
        cmd = [PYTHON, os.path.join(HERE, "mock-accounts.py"), "--port-file", port_file,
               "--log", self.log_path, "--client-id", CLIENT_ID, "--client-secret", SECRET]
        for m in modes:
            cmd += ["--mode", m]
        for r in redirect_uris:
            cmd += ["--redirect-uri", r]
        if tls:
            cmd += ["--tls-cert", tls[0], "--tls-key", tls[1]]
        if extra_tls:
            cmd += ["--extra-tls", extra_tls]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        check(wait_for(lambda: os.path.exists(port_file)), "the mock did not start")
        self.port = int(open(port_file).read())
        self.url = "%s://127.0.0.1:%d" % ("https" if tls and not extra_tls else "http", self.port)
        # The stand-in API, on a host of its own.
        self.api_url = "http://127.0.0.1:%d" % int(open(port_file + ".api").read())

    def _open(self, path, data=None, method=None):
        """A request to the mock's control endpoints; its TLS certificate
        comes from the tests' own CA, which is trusted here."""
        import ssl
        req = urllib.request.Request(self.url + path, data=data, method=method)
        ctx = ssl._create_unverified_context() if self.url.startswith("https") else None
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            return json.load(r)

    def requests(self, path=None):
        if not os.path.exists(self.log_path):
            return []
        with open(self.log_path, encoding="utf-8") as f:
            entries = [json.loads(line) for line in f if line.strip()]
        return [e for e in entries if path is None or e["path"] == path]

    PREFLIGHT_CODE = "1000.zoho-oauth-preflight."

    @staticmethod
    def is_preflight(entry):
        """The check login makes before the browser opens: a made-up code."""
        form = urllib.parse.parse_qs(entry.get("body", ""), keep_blank_values=True)
        return any(c.startswith(Mock.PREFLIGHT_CODE) for c in form.get("code", []))

    def token_requests(self):
        """Token requests that can yield tokens: the pre-flight's are not counted."""
        return [e for e in self.requests("/oauth/v2/token") if not self.is_preflight(e)]

    def preflight_requests(self):
        return [e for e in self.requests("/oauth/v2/token") if self.is_preflight(e)]

    def seed(self, refresh_token, scope, access_token=None, expires_in=3600):
        """Make the mock know a refresh token (and an access token of it, live
        for expires_in seconds), as if a login had made them."""
        q = {"refresh_token": refresh_token, "scope": scope}
        if access_token and expires_in > 0:
            q.update(access_token=access_token, expires_in=expires_in)
        return self._open("/mock/seed?" + urllib.parse.urlencode(q))

    def advance(self, seconds):
        """Move the mock's clock ahead (Zoho's 10-minute window in a moment)."""
        return self._open("/mock/advance?seconds=%g" % seconds, data=b"")

    def set_mode(self, spec):
        return self._open("/mock/mode?set=" + spec)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


class Home:
    """A throwaway $HOME with XDG directories and the stand-in browser."""

    def __init__(self, name):
        # A case rerun in namespaces (in_private_network) keeps its home.
        self.root = os.environ.get(NAMESPACE_MARK + "_HOME") or \
            tempfile.mkdtemp(prefix="zoho-oauth-%s-" % name)
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home, exist_ok=True)
        self.browser_log = os.path.join(self.root, "browser.jsonl")
        self.mocks = []
        self.cleanups = []
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_DATA_HOME": os.path.join(self.home, ".local", "share"),
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "LANG": "C.UTF-8",
            "BROWSER": os.path.join(HERE, "fake-browser.py"),
            "FAKE_BROWSER_LOG": self.browser_log,
            "ZOHO_CLIENT_SECRET": SECRET,
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "MSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.audit = None
        if os.environ.get("ZOHO_OAUTH_AUDIT"):
            import audit
            self.audit = audit.Auditor(self)

    def mock(self, *modes, redirect_uris=(), name="mock", tls=None, extra_tls=None):
        # A directory of its own: a second mock of the same name would find
        # the first one's port file and log and talk to the wrong server.
        taken = {m.name for m in self.mocks}
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = "%s-%d" % (name, n)
        m = Mock(self, modes, redirect_uris, unique, tls, extra_tls)
        self.mocks.append(m)
        return m

    def token_file(self, profile="default"):
        return os.path.join(self.env["XDG_DATA_HOME"], "zoho-oauth", profile + ".json")

    def browser_records(self, wait=True, count=1, timeout=10):
        """What the stand-in browser recorded, one entry per run of it.
        It outlives the tool (detached) and writes after it has seen the
        outcome page, so with wait this waits, up to timeout seconds, for
        count complete entries; a line still being written is not one."""
        def complete():
            try:
                with open(self.browser_log, encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                return []
            return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]
        if wait:
            wait_for(lambda: len(complete()) >= count, timeout=timeout)
        return complete()

    def cleanup(self):
        for fn in self.cleanups:
            fn()
        for m in self.mocks:
            m.stop()
        # A copy rerun in namespaces leaves the directory to the original.
        if not os.environ.get(NAMESPACE_MARK):
            shutil.rmtree(self.root, ignore_errors=True)


class Run:
    def __init__(self, returncode, stdout, stderr, elapsed, maxrss_kib):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.maxrss_kib = maxrss_kib  # the tool's peak resident memory

    def __str__(self):
        return "exit %s\nstdout:\n%s\nstderr:\n%s" % (self.returncode, self.stdout, self.stderr)


def run(home, *args, env=None, timeout=60, input=None, prefix=()):
    """Run zoho-oauth (after the prefix command, if any) and wait for it."""
    e = dict(home.env)
    e.update(env or {})
    for k, v in list(e.items()):
        if v is None:
            del e[k]
    start = time.monotonic()
    tracing = home.audit.prefix() if home.audit and not prefix else []
    proc = subprocess.Popen([*tracing, *prefix, BINARY, *args], env=e, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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
    _note_port_clash("".join(err))
    if tracing:
        home.audit.check(tracing, args)
    return Run(result["status"], "".join(out), "".join(err), time.monotonic() - start,
               result["maxrss"])


class Background:
    """zoho-oauth running in the background, its stderr read line by line."""

    def __init__(self, home, *args, env=None):
        e = dict(home.env)
        e.update(env or {})
        for k, v in list(e.items()):
            if v is None:
                del e[k]
        self.home = home
        self.args = args
        _backgrounds.append(self)
        self.tracing = home.audit.prefix() if home.audit else []
        self.proc = subprocess.Popen([*self.tracing, BINARY, *args], env=e, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
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


def make_certificate(home, names):
    """A throwaway CA and a server certificate for names, made with openssl.
    Returns (ca.pem, cert.pem, key.pem)."""
    d = os.path.join(home.root, "tls")
    os.makedirs(d, exist_ok=True)
    ca, ca_key = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
    cert, key, csr = (os.path.join(d, n) for n in ("cert.pem", "cert.key", "cert.csr"))
    ext = os.path.join(d, "ext.cnf")
    with open(ext, "w") as f:
        f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                % ",".join(("IP:" if n[0].isdigit() else "DNS:") + n for n in names))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    quiet = dict(check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["openssl", "req", "-x509", *ec, "-keyout", ca_key, "-out", ca, "-days", "2",
                    "-subj", "/CN=zoho-oauth test CA", "-addext",
                    "basicConstraints=critical,CA:TRUE", "-addext",
                    "keyUsage=critical,keyCertSign"], **quiet)
    subprocess.run(["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj",
                    "/CN=" + names[0]], **quiet)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", ext], **quiet)
    return ca, cert, key


NAMESPACE_MARK = "ZOHO_OAUTH_TEST_IN_NAMESPACE"


def in_private_network(home, names=(), tmpfs=None):
    """Run the current case again inside new user, mount and network
    namespaces: only a loopback interface, and an /etc/hosts of its own that
    sends names to 127.0.0.1, so a test can stand in for a real host name (a
    Zoho data centre) on loopback without touching the machine. With tmpfs
    = (path, size), a tmpfs of that size is mounted at path (a full disk).
    Returns in the copy; the original exits with its status (77, skipped,
    where the kernel does not allow the namespaces)."""
    if os.environ.get(NAMESPACE_MARK):
        return
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--net", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("SKIP: this kernel or container does not allow user namespaces (%s)"
              % probe.stderr.strip())
        sys.exit(SKIP)
    hosts = tempfile.NamedTemporaryFile("w", prefix="zoho-oauth-hosts-", delete=False)
    hosts.write("127.0.0.1 localhost\n::1 localhost\n")
    for n in names:
        hosts.write("127.0.0.1 %s\n" % n)
    hosts.close()
    script = 'ip link set lo up && mount --bind "$0" /etc/hosts'
    if tmpfs:
        os.makedirs(tmpfs[0], exist_ok=True)
        script += ' && mount -t tmpfs -o size=%s,mode=0700 tmpfs "%s"' % (tmpfs[1], tmpfs[0])
    script += ' && exec "$@"'
    env = dict(os.environ)
    env[NAMESPACE_MARK] = "1"
    env[NAMESPACE_MARK + "_HOME"] = home.root
    r = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--net", "sh", "-c",
                        script, hosts.name, sys.executable, *sys.argv], env=env)
    os.unlink(hosts.name)
    sys.exit(r.returncode)


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
    if subprocess.run([*prefix, "test", "-x", BINARY]).returncode == 0:
        return prefix
    # The build is in a directory that user can't enter (a clone under
    # /root, mode 0700): run copies of the two programs from the home,
    # through a shell that puts the copy in place of the build's path.
    copies = os.path.join(home.root, "unprivileged-bin")
    os.mkdir(copies, 0o755)
    built = os.path.dirname(os.path.abspath(BINARY))
    for name in (os.path.basename(BINARY), "zoho-oauth-full"):
        shutil.copy2(os.path.join(built, name), copies)
    front = os.path.join(copies, os.path.basename(BINARY))
    return [*prefix, "/bin/sh", "-c", 'shift; exec "$0" "$@"', front]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def write_tokens(home, mock, profile="default", expires_in=3600, refresh="1000.refresh.seed",
                 path=None, **fields):
    """Write a token file as login would, for a refresh token the mock
    knows (seeded into it when given)."""
    now = int(time.time())
    data = {
        "access_token": "1000.access." + str(now), "refresh_token": refresh,
        "token_type": "Bearer", "api_domain": "https://www.zohoapis.com",
        "expires_at": now + expires_in, "scope": "ZohoCliq.Channels.READ",
        "client_id": CLIENT_ID, "client_secret": SECRET,
        "accounts_server": mock.url if mock else "https://accounts.zoho.com",
        # As Zoho issues them: an hour's life, of which expires_in is left.
        "location": "us", "obtained_at": now + expires_in - 3600,
    }
    data.update(fields)
    if mock and refresh:
        left = data["expires_at"] - now if isinstance(data["expires_at"], int) else 0
        mock.seed(refresh, data["scope"], data["access_token"], left)
    path = path or home.token_file(profile)
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
    return data


def setup_login(home, *modes, host="localhost", tls=None):
    """A free port and a mock that knows http://HOST:PORT/callback."""
    port = free_port()
    mock = home.mock(*modes, redirect_uris=["http://%s:%d/callback" % (host, port)], tls=tls)
    return mock, port


def remote_browser(consent_url):
    """What a browser does at the mock's consent page after "Accept": it is
    redirected. Returns the address it is sent to (the callback), without
    following it, as a browser on another machine would fail to."""
    import http.client
    parts = urllib.parse.urlsplit(consent_url)
    c = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    c.request("GET", parts.path + "?" + parts.query)
    r = c.getresponse()
    r.read()
    c.close()
    check(r.status == 302, "the mock's consent page did not redirect (%d)" % r.status)
    return r.getheader("Location")


def write_config(home, text):
    """The config file of home's user, with text in it."""
    path = os.path.join(home.env["XDG_CONFIG_HOME"], "zoho-oauth", "config")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def login_args(mock, port, *extra, host="localhost"):
    return ["login", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--redirect-uri", "http://%s:%d/callback" % (host, port),
            "--scope", "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE",
            "--timeout", "20", *extra]


def no_audit(fn):
    """Mark a case that cannot run under the secrets audit's strace (it
    traces itself, or drives a whole real browser)."""
    fn.no_audit = True
    return fn


def main(cases):
    """Run the case named on the command line: exit 0, 1, or 77 (skip).
    --list prints the case names (meson registers one test per case)."""
    if sys.argv[1:] == ["--list"]:
        print("\n".join(cases))
        return
    if not BINARY:
        sys.exit("ZOHO_OAUTH is not set: run the tests with 'meson test'")
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        print("usage: %s CASE\ncases: %s" % (sys.argv[0], " ".join(cases)), file=sys.stderr)
        sys.exit(2)
    name = sys.argv[1]
    if os.environ.get("ZOHO_OAUTH_AUDIT") and getattr(cases[name], "no_audit", False):
        print("SKIP: %s does not run under the secrets audit (it runs in the normal suite)" % name)
        sys.exit(SKIP)
    attempts = 3
    for attempt in range(1, attempts + 1):
        del _port_clashes[:]
        del _backgrounds[:]
        home = Home(name)
        try:
            result = cases[name](home)
        except Exception as f:
            for bg in _backgrounds:
                _note_port_clash(bg.stderr())
            if _port_clashes and attempt < attempts:
                # Another program bound the tool's port before it could:
                # not what the case tests. Again, with other ports.
                print("%s: port %s was taken by another program; running the case again"
                      % (name, _port_clashes[0]), file=sys.stderr)
                continue
            if not isinstance(f, Failure):
                raise
            print("FAIL %s: %s" % (name, f), file=sys.stderr)
            sys.exit(1)
        finally:
            home.cleanup()
        break
    if result == SKIP:
        sys.exit(SKIP)
    print("ok %s" % name)


def _pg_bin():
    """Debian's newest postgresql server binaries (15 on Debian 12)."""
    import glob
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return os.path.dirname(found[-1]) if found else "/usr/lib/postgresql/15/bin"


PG_BIN = _pg_bin()


def pg_available():
    """Debian's postgresql server binaries are installed (the tests list of
    tools/install-deps has them)."""
    return os.access(os.path.join(PG_BIN, "initdb"), os.X_OK)


class PgCluster:
    """A throwaway PostgreSQL cluster of the test's own: initdb and pg_ctl
    with the data directory and the socket in the test's directory, no TCP
    listener, trust for the socket only. postgres refuses to run as root, so
    as root it runs as nobody (setpriv), in a directory nobody owns."""

    def __init__(self, home):
        self.dir = os.path.join(home.root, "pg")
        self.data = os.path.join(self.dir, "data")
        self.socket_dir = os.path.join(self.dir, "sock")
        os.makedirs(self.socket_dir, mode=0o700)
        self.prefix = []
        if os.geteuid() == 0:
            os.chmod(home.root, 0o711)  # nobody may pass through, not list
            for d in (self.dir, self.socket_dir):
                os.chown(d, 65534, 65534)
            self.prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "TZ": "UTC"}
        self.env = env
        r = subprocess.run(self.prefix + [os.path.join(PG_BIN, "initdb"), "-D", self.data,
                            "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"],
                           env=env, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "initdb failed", r)
        self.started = False
        self.home_cleanups = home.cleanups
        home.cleanups.append(self.stop)
        self.start()

    def start(self):
        opts = "-c listen_addresses='' -c unix_socket_directories=%s -c fsync=off " \
               "-c full_page_writes=off -c max_connections=200" % self.socket_dir
        r = subprocess.run(self.prefix + [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-w",
                            "-t", "30", "-o", opts, "-l", os.path.join(self.dir, "log"),
                            "start"], env=self.env, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "pg_ctl start failed", r)
        self.started = True

    def stop(self, mode="fast"):
        if not self.started:
            return
        subprocess.run(self.prefix + [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-w",
                        "-m", mode, "stop"], env=self.env, capture_output=True, timeout=60)
        self.started = False

    def uri(self, db="postgres", user="postgres"):
        """A libpq URI for the socket (the host is a directory, %-encoded)."""
        return "postgresql://%s@%s/%s" % (user, urllib.parse.quote(self.socket_dir, safe=""), db)

    def psql(self, sql, db="postgres", user="postgres"):
        r = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h",
                            self.socket_dir, "-U", user, "-d", db, "-c", sql],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "psql failed: " + sql, r)
        return r.stdout.strip()

    def psql_background(self, sql, db="postgres", user="postgres"):
        """psql running sql (one transaction) while the test goes on."""
        p = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.socket_dir,
                              "-U", user, "-d", db, "-c", sql],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.home_cleanups.append(lambda: p.poll() is None and p.kill())
        return p

    def set(self, setting, value):
        """A server setting, in effect for new sessions at once."""
        self.psql("ALTER SYSTEM SET %s = '%s'" % (setting, value))
        self.psql("SELECT pg_reload_conf()")

    def processes(self):
        """The postmaster's pid and its children's."""
        pm = int(open(os.path.join(self.data, "postmaster.pid")).readline())
        kids = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pm)], capture_output=True,
                              text=True).stdout.split()
        return [pm] + [int(k) for k in kids]


class PrivateBus:
    """A session bus of the test's own (dbus-daemon, no activatable
    services, so nothing is started behind the test's back), optionally
    with an unlocked GNOME Keyring on it: the real Secret Service."""

    def __init__(self, home, keyring=False):
        self.dir = os.path.join(home.root, "bus")
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        self.socket = os.path.join(self.dir, "socket")
        conf = os.path.join(self.dir, "session.conf")
        with open(conf, "w") as f:
            f.write('<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration '
                    '1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">\n'
                    '<busconfig><type>session</type><listen>unix:path=%s</listen>'
                    '<auth>EXTERNAL</auth><policy context="default">'
                    '<allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/>'
                    '<allow own="*"/></policy></busconfig>\n' % self.socket)
        self.address = "unix:path=" + self.socket
        self.procs = []
        self.procs.append(subprocess.Popen(["dbus-daemon", "--config-file=" + conf, "--nofork"],
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        check(wait_for(lambda: os.path.exists(self.socket)), "the private bus did not start")
        self.runtime = os.path.join(home.root, "run")
        os.makedirs(self.runtime, mode=0o700, exist_ok=True)
        os.chmod(self.runtime, 0o700)
        self.env = {"DBUS_SESSION_BUS_ADDRESS": self.address, "XDG_RUNTIME_DIR": self.runtime,
                    "DISPLAY": None, "WAYLAND_DISPLAY": None}
        if keyring:
            env = dict(home.env)
            env.update({k: v for k, v in self.env.items() if v is not None})
            for k in ("DISPLAY", "WAYLAND_DISPLAY"):
                env.pop(k, None)
            kr = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock",
                                   "--components=secrets"], env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            kr.stdin.write(b"test-keyring-password\n")
            kr.stdin.close()
            self.procs.append(kr)
            check(wait_for(lambda: self.has_name("org.freedesktop.secrets"), 15),
                  "gnome-keyring-daemon did not take the Secret Service's name")
            # The default collection exists once the login keyring is unlocked.
            check(wait_for(lambda: "login" in self.call(
                "/org/freedesktop/secrets", "org.freedesktop.Secret.Service.ReadAlias",
                "default"), 15), "the login keyring is not there")
        home.cleanups.append(self.stop)

    def call(self, path, method, *args, dest="org.freedesktop.secrets"):
        r = subprocess.run(["gdbus", "call", "--address", self.address, "--dest", dest,
                            "--object-path", path, "--method", method, *args],
                           capture_output=True, text=True, timeout=20)
        return r.stdout + r.stderr

    def has_name(self, name):
        return name in self.call("/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames",
                                 dest="org.freedesktop.DBus")

    def lock_keyring(self):
        out = self.call("/org/freedesktop/secrets", "org.freedesktop.Secret.Service.Lock",
                        "['/org/freedesktop/secrets/collection/login']")
        check("collection/login" in out, "could not lock the keyring", out)

    def secret_tool(self, *args):
        env = dict(os.environ)
        env.update({k: v for k, v in self.env.items() if v is not None})
        for k in ("DISPLAY", "WAYLAND_DISPLAY"):
            env.pop(k, None)
        return subprocess.run(["secret-tool", *args], env=env, capture_output=True, text=True,
                              timeout=20)

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    p.kill()
