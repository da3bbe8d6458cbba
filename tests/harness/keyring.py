"""A session bus of the case's own, with the real Secret Service on it
(gnome-keyring, unlocked) when asked, and what a keyring profile leaves
there and on disk."""
import os
import shutil
import subprocess

from .common import check, wait_for
from .tool import login_args, run, setup_login

KEYRING_NEEDS = ("dbus-daemon", "gnome-keyring-daemon", "secret-tool", "gdbus")


def keyring_available():
    """The programs a keyring case runs are installed; if not, says so for
    the case to skip."""
    missing = [p for p in KEYRING_NEEDS if not shutil.which(p)]
    if missing:
        print("SKIP: needs %s (tools/install-deps installs them)" % ", ".join(missing))
        return False
    return True


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


def keyring_login(home, bus, *extra):
    """A login into the keyring on bus; returns the mock, the port and the run."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--store", "keyring", *extra), env=bus.env)
    check(r.returncode == 0, "login --store keyring failed", r)
    return mock, port, r


def lookup(bus, kind, profile="default"):
    """The keyring's item of the profile: kind refresh-token or client-secret."""
    r = bus.secret_tool("lookup", "application", "zoho-oauth", "profile", profile, "kind", kind)
    return r.stdout if r.returncode == 0 else None


def cache_files(bus):
    """The access-token caches in the runtime directory."""
    d = os.path.join(bus.runtime, "zoho-oauth")
    return [os.path.join(d, n) for n in os.listdir(d)] if os.path.isdir(d) else []
