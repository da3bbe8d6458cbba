"""The files of a home as a case prepares and inspects them: token files
as login writes them, the config, a client-secret file, and a lock held
by another process."""
import json
import os
import stat
import subprocess
import time

from .common import CLIENT_ID, SECRET, check


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def file_state(path):
    """A file's content and identity: equal before and after when nothing
    wrote or replaced it."""
    st = os.stat(path)
    return open(path).read(), st.st_ino, st.st_mtime_ns


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
    # As a login does: the cache of the tokens this replaces goes.
    try:
        os.unlink(cache_path(home.env, path))
    except FileNotFoundError:
        pass
    return data


def write_config(home, text):
    """The config file of home's user, with text in it."""
    path = os.path.join(home.env["XDG_CONFIG_HOME"], "zoho-oauth", "config")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def write_secret(home, name, data):
    """A client-secret file (mode 0600) in home's directory holding data,
    text or bytes, as given (newlines included)."""
    path = os.path.join(home.root, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)
    return path


def lock_of(home):
    return home.token_file() + ".lock"


class Holder:
    """Another process's lock on the token file's lock file, as a stuck
    zoho-oauth (or an editor, or a stopped job) would hold it."""

    def __init__(self, path):
        self.path = path
        self.proc = subprocess.Popen(
            ["python3", "-c", "import fcntl,os,sys,time\n"
             "fd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT,0o600)\n"
             "fcntl.flock(fd,fcntl.LOCK_EX)\nprint('held',flush=True)\nsys.stdin.read()",
             path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        check(self.proc.stdout.readline().strip() == "held", "could not take the lock")

    def release(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)


def cache_path(env, token_path):
    """Where zoho-oauth caches a profile's access token (profile_cache_path()):
    in $XDG_RUNTIME_DIR/zoho-oauth/, named after the token path with the
    low half of its FNV-1a hash, else PATH.cache beside it."""
    runtime = env.get("XDG_RUNTIME_DIR")
    if not runtime:
        return token_path + ".cache"
    h = 14695981039346656037
    for c in token_path.encode():
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return os.path.join(runtime, "zoho-oauth", "%s-%08x.json" % (os.path.basename(token_path)[:64],
                                                               h & 0xFFFFFFFF))


def current_tokens(home, profile="default", path=None, env=None):
    """The token file as zoho-oauth reads it: the record, with the cached
    access token (and its times) when that is the newer. A refresh writes
    only the cache."""
    path = path or home.token_file(profile)
    data = read_json(path)
    cache = cache_path(env or home.env, path)
    if os.path.exists(cache):
        c = read_json(cache)
        over = c.get("record_at", 0) == data.get("obtained_at", 0)
        if c.get("for") == path and (over or not data.get("access_token") or
                                     c["obtained_at"] > data.get("obtained_at", 0)):
            for k in ("access_token", "expires_at", "obtained_at"):
                data[k] = c[k]
    return data
