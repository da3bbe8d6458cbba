"""A throwaway PostgreSQL cluster of the case's own, and a fleet of
"machines" (each a HOME with its own XDG and runtime directories) that
share one profile's tokens in it."""
import json
import os
import shutil
import subprocess
import time
import urllib.parse

from .common import CLIENT_ID, check
from .tool import SCOPES, login_args, run, setup_login


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


def postgresql_available():
    """pg_available(), saying what is missing for a case to skip."""
    if not pg_available():
        print("SKIP: needs Debian's postgresql (tools/install-deps installs it)")
        return False
    return True


class PgCluster:
    """A throwaway PostgreSQL cluster of the test's own: initdb and pg_ctl
    with the data directory and the socket in the test's directory, no TCP
    listener, trust for the socket only. postgres refuses to run as root, so
    as root it runs as nobody (setpriv), in a directory nobody owns."""

    def __init__(self, home, name="pg", max_connections=200):
        self.dir = os.path.join(home.root, name)
        self.max_connections = max_connections
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
               "-c full_page_writes=off -c max_connections=%d" % (self.socket_dir,
                                                                   self.max_connections)
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


def pgbouncer_available():
    """Debian's pgbouncer is installed (tools/install-deps installs it)."""
    if not shutil.which("pgbouncer") and not os.access("/usr/sbin/pgbouncer", os.X_OK):
        print("SKIP: needs Debian's pgbouncer (tools/install-deps installs it)")
        return False
    return True


class PgBouncer:
    """PgBouncer in front of a PgCluster: transaction pooling (a server
    connection goes to another client once a transaction ends), a pool of
    pool_size server connections, on a socket of its own; as nobody when
    the tests run as root, as the cluster is."""

    def __init__(self, home, pg, pool_size=1, max_clients=200, name="bouncer", backlog=128):
        self.dir = os.path.join(home.root, name)
        os.makedirs(self.dir, mode=0o700)
        self.port = 6432
        users = os.path.join(self.dir, "users.txt")
        with open(users, "w") as f:
            f.write('"postgres" ""\n')
        ini = os.path.join(self.dir, "pgbouncer.ini")
        with open(ini, "w") as f:
            f.write("[databases]\npostgres = host=%s dbname=postgres user=postgres\n"
                    "[pgbouncer]\nlisten_addr =\nlisten_port = %d\nunix_socket_dir = %s\n"
                    "auth_type = trust\nauth_file = %s\npool_mode = transaction\n"
                    "default_pool_size = %d\nmin_pool_size = 0\nreserve_pool_size = 0\n"
                    "max_client_conn = %d\nlogfile = %s\npidfile = %s\n"
                    "ignore_startup_parameters = extra_float_digits\nlisten_backlog = %d\n"
                    % (pg.socket_dir, self.port, self.dir, users, pool_size, max_clients,
                       os.path.join(self.dir, "log"), os.path.join(self.dir, "pid"), backlog))
        if pg.prefix:
            for name in os.listdir(self.dir):
                os.chown(os.path.join(self.dir, name), 65534, 65534)
            os.chown(self.dir, 65534, 65534)
        binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
        self.proc = subprocess.Popen(pg.prefix + [binary, ini], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        home.cleanups.append(self.stop)
        sock = os.path.join(self.dir, ".s.PGSQL.%d" % self.port)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        check(os.path.exists(sock), "pgbouncer did not start", open(os.path.join(self.dir, "log")).read()
              if os.path.exists(os.path.join(self.dir, "log")) else "")

    def uri(self, db="postgres", user="postgres"):
        return "postgresql://%s@%s:%d/%s" % (user, urllib.parse.quote(self.dir, safe=""),
                                            self.port, db)

    def psql(self, sql, db="postgres", user="postgres"):
        """sql through the pooler (one transaction of its own)."""
        r = subprocess.run(["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                            "-p", str(self.port), "-U", user, "-d", db, "-c", sql],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "psql through pgbouncer failed: " + sql, r)
        return r.stdout.strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def machine(home, name):
    """The environment of one more machine: its own HOME, XDG directories
    and runtime directory."""
    root = os.path.join(home.root, name)
    env = {
        "HOME": root,
        "XDG_DATA_HOME": os.path.join(root, ".local", "share"),
        "XDG_CONFIG_HOME": os.path.join(root, ".config"),
        "XDG_RUNTIME_DIR": os.path.join(root, "run"),
    }
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700)
    os.chmod(env["XDG_RUNTIME_DIR"], 0o700)
    return env


def token_path(env, profile="default"):
    """A machine's token file (for a database profile: its metadata)."""
    return os.path.join(env["XDG_DATA_HOME"], "zoho-oauth", profile + ".json")


def configure(env, mock, uri, extra=""):
    """A config profile that names the database: all a machine needs. Every
    machine's place among the fleet's refresh moments is 0 (the margins of
    a machine alone) unless extra sets another: a token aged by a case
    means what it says whatever this machine's ID and host name are."""
    if "machine_offset" not in extra:
        extra += "machine_offset = 0\n"
    d = os.path.join(env["XDG_CONFIG_HOME"], "zoho-oauth")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config"), "w") as f:
        f.write("[profile default]\nclient_id = %s\naccounts_url = %s\nscope = %s\nstore = %s\n%s"
                % (CLIENT_ID, mock.url, SCOPES, uri, extra))


def row(pg, column="record"):
    """The default profile's row: its record, parsed, or another column."""
    out = pg.psql("SELECT %s FROM zoho_oauth_tokens WHERE profile = 'default'" % column)
    return json.loads(out) if column == "record" and out else out


def fleet(home, *modes, machines=3, extra="", through=None):
    """A cluster, a mock, and machines: the first signs in with --store;
    the others only have a config profile. extra: more lines for every
    machine's profile section; through(pg): the URI the machines use
    instead of the cluster's own (a pooler's)."""
    pg = PgCluster(home)
    uri = through(pg) if through else pg.uri()
    mock, port = setup_login(home, *modes)
    envs = [machine(home, "m%d" % i) for i in range(machines)]
    for env in envs:
        configure(env, mock, uri, extra)
    r = run(home, *login_args(mock, port, "--store", uri), env=envs[0])
    check(r.returncode == 0, "login --store postgresql://... failed", r)
    return pg, mock, envs
