"""A throwaway PostgreSQL cluster of the case's own."""
import os
import subprocess
import urllib.parse

from .common import check


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
