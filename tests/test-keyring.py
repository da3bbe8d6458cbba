#!/usr/bin/env python3
"""The keyring store, against the real thing: gnome-keyring-daemon,
unlocked, on a private session bus started by the test (no service
activation, so nothing starts behind its back), and secret-tool to look at
what was stored. Plus the ways a keyring fails: no bus, no Secret Service,
a bus that accepts and never answers, a locked keyring with no desktop to
prompt on. In every failure nothing is written anywhere else.
(Its revoke is test-revoke.py's, its migrations test-migrate.py's.)"""
import json
import os
import socket
import subprocess
import threading
import time

from harness import (CLIENT_ID, SECRET, SKIP, PrivateBus, body_of, cache_files, check,
                     console_code, keyring_available, keyring_login, login_args, lookup, main,
                     mode_of, needs, read_json, run, setup_login, status_json, write_config)


def case_login(home):
    """The refresh token and the client secret go to the keyring, with
    attributes that name the tool, profile, client and server; on disk only
    metadata; the access token cached in $XDG_RUNTIME_DIR."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock, port, r = keyring_login(home, bus)
    meta_text = open(home.token_file()).read()
    meta = json.loads(meta_text)
    check(meta["store"] == "keyring" and meta["refresh_token"] is True, "metadata", meta)
    refresh = mock.issued_refresh_tokens()[-1]
    for secret in (refresh, SECRET):
        check(secret not in meta_text, "a long-lived secret was written to disk")
        for root, _, names in os.walk(home.root):
            for n in names:
                p = os.path.join(root, n)
                # The keyring's own files, the mock's log, and the secrets
                # audit's traces (which record everything) don't count.
                if ("keyrings" in p or "mock" in p or n.startswith("trace-") or
                        not os.path.isfile(p)):
                    continue
                try:
                    check(secret not in open(p, errors="replace").read(),
                          "a long-lived secret is in %s" % p)
                except PermissionError:
                    pass
    check(lookup(bus, "refresh-token") == refresh, "the keyring lacks the refresh token")
    check(lookup(bus, "client-secret") == SECRET, "the keyring lacks the client secret")
    found = bus.secret_tool("search", "--all", "application", "zoho-oauth")
    for attr in ("attribute.profile = default", "attribute.client_id = " + CLIENT_ID,
                 "attribute.accounts_server = " + mock.url, "attribute.kind = refresh-token"):
        check(attr in found.stdout + found.stderr, "the item lacks " + attr, found.stdout)
    caches = cache_files(bus)
    check(len(caches) == 1 and mode_of(caches[0]) == 0o600, "the access-token cache", caches)
    access = read_json(caches[0])["access_token"]
    # The cached token is one small read: no GLib, no D-Bus.
    r = run(home, "token", env={**bus.env, "LD_DEBUG": "libs"})
    check(r.returncode == 0 and r.stdout == access + "\n", "token", r)
    check("libsecret" not in r.stderr and "libglib" not in r.stderr, "the cached path loaded GLib")
    r = run(home, "status", env=bus.env)
    check(r.returncode == 0 and "keyring" in r.stdout, "status does not show the store", r)
    r = run(home, "status", "--json", env=bus.env)
    check(status_json(r)["store"] == "keyring", "status --json", r)


def case_refresh(home):
    """An expiring cached token is refreshed with the refresh token from
    the keyring; the keyring is not written again."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock, port, _ = keyring_login(home, bus)
    cache = cache_files(bus)[0]
    data = read_json(cache)
    data["expires_at"] = int(time.time()) + 30
    data["obtained_at"] = data["expires_at"] - 3600
    with open(cache, "w") as f:
        json.dump(data, f)
    r = run(home, "token", env=bus.env)
    check(r.returncode == 0, "token", r)
    reqs = mock.token_requests()
    check(len(reqs) == 2 and "grant_type=refresh_token" in reqs[-1]["body"], "no refresh", reqs)
    check(mock.issued_refresh_tokens()[-1] in reqs[-1]["body"], "not the keyring's refresh token")
    check(r.stdout.strip() == read_json(cache)["access_token"] != data["access_token"],
          "the new token is not cached", r)
    check(lookup(bus, "refresh-token") == mock.issued_refresh_tokens()[-1], "the refresh token changed")
    r = run(home, "refresh", env=bus.env)
    check(r.returncode == 0 and len(mock.token_requests()) == 3, "refresh", r)


def case_config_store(home):
    """store = keyring in the profile: login needs no --store."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock, port = setup_login(home)
    write_config(home, "[profile default]\nstore = keyring\n")
    r = run(home, *login_args(mock, port), env=bus.env)
    check(r.returncode == 0 and read_json(home.token_file())["store"] == "keyring", "login", r)


def case_other_signins(home):
    """exchange and login --device keep their tokens in the keyring too."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock = home.mock("device-interval=1000", "device-approve-after=1")
    code = console_code(mock)
    r = run(home, "exchange", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--code", code, "--store", "keyring", env=bus.env)
    check(r.returncode == 0 and read_json(home.token_file())["store"] == "keyring", "exchange", r)
    check(lookup(bus, "refresh-token") == mock.issued_refresh_tokens()[-1], "exchange's refresh token")
    r = run(home, "login", "--device", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--scope", "ZohoCliq.Channels.READ", "--store", "keyring", "--force",
            "--profile", "device", env=bus.env, timeout=60)
    check(r.returncode == 0, "login --device --store keyring", r)
    check(read_json(home.token_file("device"))["store"] == "keyring", "device metadata")
    check(lookup(bus, "refresh-token", "device") == mock.issued_refresh_tokens()[-1], "device's refresh token")


def nothing_written(home, bus, mock):
    check(not os.path.exists(home.token_file()), "a token file was written")
    check(not cache_files(bus), "a cache was written")
    check(not mock.requests("/oauth/v2/auth") and not home.browser_records(wait=False),
          "the browser was opened although the tokens would have nowhere to go")


def case_no_bus(home):
    """No session bus at all: status 9 before the browser opens."""
    if not keyring_available():
        return SKIP
    mock, port = setup_login(home)
    env = {"DBUS_SESSION_BUS_ADDRESS": None, "XDG_RUNTIME_DIR": None, "DISPLAY": None}
    r = run(home, *login_args(mock, port, "--store", "keyring"), env=env, timeout=20)
    check(r.returncode == 9 and "session bus" in r.stderr, "no bus", r)
    check(r.elapsed < 5, "took %.1f s" % r.elapsed)
    check(not os.path.exists(home.token_file()) and not mock.requests(), "something happened")


def case_no_service(home):
    """A bus without a Secret Service."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home)
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--store", "keyring"), env=bus.env, timeout=20)
    check(r.returncode == 9 and "Secret Service" in r.stderr, "no Secret Service", r)
    nothing_written(home, bus, mock)


class SilentBus:
    """A bus socket that accepts connections and never says a word."""

    def __init__(self, home):
        path = os.path.join(home.root, "silent-bus")
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(path)
        self.srv.listen(16)
        self.held = []
        threading.Thread(target=self.accept, daemon=True).start()
        runtime = os.path.join(home.root, "run")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        self.env = {"DBUS_SESSION_BUS_ADDRESS": "unix:path=" + path, "XDG_RUNTIME_DIR": runtime,
                    "DISPLAY": None, "WAYLAND_DISPLAY": None}

    def accept(self):
        while True:
            try:
                self.held.append(self.srv.accept())
            except OSError:
                return


def case_silent_bus(home):
    """A bus socket that accepts and never answers: bounded by
    --keyring-timeout, status 9, before the browser opens."""
    if not keyring_available():
        return SKIP
    silent = SilentBus(home)
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--store", "keyring", "--keyring-timeout", "2"),
            env=silent.env, timeout=30)
    check(r.returncode == 9 and "did not answer" in r.stderr, "a silent bus", r)
    check(r.elapsed < 8, "took %.1f s with --keyring-timeout 2" % r.elapsed)
    check(not os.path.exists(home.token_file()) and not mock.requests(), "something happened")


def case_silent_bus_refresh(home):
    """A keyring profile whose keyring went silent: a token with time left
    is still served (with a warning), an expired one fails within
    --keyring-timeout with status 9."""
    if not keyring_available():
        return SKIP
    good = PrivateBus(home, keyring=True)
    mock, port, _ = keyring_login(home, good)
    silent = SilentBus(home)
    cache = cache_files(good)[0]
    data = read_json(cache)
    data["expires_at"] = int(time.time()) + 100
    data["obtained_at"] = data["expires_at"] - 3600
    with open(cache, "w") as f:
        json.dump(data, f)
    r = run(home, "token", "--keyring-timeout", "2", env=silent.env, timeout=30)
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "the valid token", r)
    check("still valid" in r.stderr and r.elapsed < 8, "no warning, or too slow", r)
    data["expires_at"] = int(time.time()) - 10
    with open(cache, "w") as f:
        json.dump(data, f)
    r = run(home, "token", "--keyring-timeout", "2", env=silent.env, timeout=30)
    check(r.returncode == 9 and r.elapsed < 8 and r.stdout == "", "an expired token", r)
    check(len(mock.token_requests()) == 1, "Zoho was asked without the refresh token")


def case_locked(home):
    """A locked keyring with no desktop to prompt on: status 9 at once,
    saying so, and nothing written elsewhere."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock, port, _ = keyring_login(home, bus)
    cache = cache_files(bus)[0]
    data = read_json(cache)
    data["expires_at"] = int(time.time()) - 10
    with open(cache, "w") as f:
        json.dump(data, f)
    before = open(home.token_file()).read()
    bus.lock_keyring()
    r = run(home, "token", env=bus.env, timeout=30)
    check(r.returncode == 9 and "locked" in r.stderr, "a locked keyring", r)
    check(r.elapsed < 10, "took %.1f s" % r.elapsed)
    check(open(home.token_file()).read() == before, "the metadata changed")
    check(len(mock.token_requests()) == 1, "Zoho was asked without the refresh token")
    os.unlink(home.token_file())
    for c in cache_files(bus):
        os.unlink(c)
    r = run(home, *login_args(mock, port, "--store", "keyring"), env=bus.env, timeout=30)
    check(r.returncode == 9 and "locked" in r.stderr, "login on a locked keyring", r)
    check(not os.path.exists(home.token_file()), "a token file was written")
    check(len(mock.requests("/oauth/v2/auth")) == 1, "the browser was opened on a locked keyring")


@needs("!keyring")
def case_not_built(home):
    """A build without the keyring (-Dkeyring=disabled) says so, with the way
    to get it, exit 9, before the browser opens and without writing a token
    file instead. meson registers only this case in such a build."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--store", "keyring"), timeout=20)
    check(r.returncode == 9 and "built without keyring support" in r.stderr
          and "-Dkeyring=enabled" in r.stderr, "a keyring-less build", r)
    check(not os.path.exists(home.token_file()), "a token file was written instead")
    check(not mock.requests("/oauth/v2/auth") and not home.browser_records(wait=False),
          "the browser was opened although the tokens would have nowhere to go")


def in_dir(path):
    """run()'s prefix that starts the tool in path."""
    os.makedirs(path, exist_ok=True)
    return ("env", "-C", path)


def refreshed_with(mock):
    """The refresh token the last refresh sent."""
    bodies = [body_of(e) for e in mock.token_requests() if "grant_type=refresh_token" in e["body"]]
    return bodies[-1]["refresh_token"][0] if bodies else None


def case_relative_token_file(home):
    """--token-file tok.json in two projects is two profiles: a login in b
    leaves a's refresh token in the keyring, and each refreshes with its
    own (the keyring's items are found by the absolute path)."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock, port = setup_login(home)
    a, b = os.path.join(home.root, "a"), os.path.join(home.root, "b")
    for d in (a, b):
        r = run(home, *login_args(mock, port, "--store", "keyring", "--token-file", "tok.json",
                                  "--force"), env=bus.env, prefix=in_dir(d))
        check(r.returncode == 0, "login in %s" % d, r)
    first, second = mock.issued_refresh_tokens()[-2:]
    check(first != second, "the mock issued the same refresh token twice")
    r = run(home, "refresh", "--token-file", "tok.json", env=bus.env, prefix=in_dir(a))
    check(r.returncode == 0 and refreshed_with(mock) == first,
          "project a refreshed with project b's refresh token", r)
    r = run(home, "refresh", "--token-file", "tok.json", env=bus.env, prefix=in_dir(b))
    check(r.returncode == 0 and refreshed_with(mock) == second,
          "project b refreshed with another refresh token", r)


def relative_items(bus, mock, path, refresh, secret):
    """The profile's items as an older release stored them: under the token
    path as it was typed (relative); none under the absolute path."""
    for kind, value in (("refresh-token", refresh), ("client-secret", secret)):
        bus.secret_tool("clear", "application", "zoho-oauth", "file", path, "kind", kind)
        env = dict(os.environ)
        env.update({k: v for k, v in bus.env.items() if v is not None})
        r = subprocess.run(["secret-tool", "store", "--label=older", "xdg:schema",
                            "org.zoho-oauth.Token", "application", "zoho-oauth", "profile",
                            "default", "file", "tok.json", "client_id", CLIENT_ID,
                            "accounts_server", mock.url, "kind", kind],
                           input=value, env=env, capture_output=True, text=True, timeout=20)
        check(r.returncode == 0, "secret-tool store", r.stderr)


def items_under(bus, file):
    r = bus.secret_tool("search", "--all", "application", "zoho-oauth", "file", file)
    return r.stdout.count("label = ")


def case_relative_items_of_an_older_release(home):
    """Items an older release stored under a relative token path are taken
    over (stored under the absolute path) only when they are this profile's
    for sure: the refresh token's fingerprint is the one its metadata
    recorded. Without a fingerprint, or with another one, they are left
    alone and the message says to sign in again."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock, port = setup_login(home)
    proj = os.path.join(home.root, "proj")
    path = os.path.join(proj, "tok.json")
    os.makedirs(proj)
    r = run(home, *login_args(mock, port, "--store", "keyring", "--token-file", path), env=bus.env)
    check(r.returncode == 0, "login", r)
    refresh = mock.issued_refresh_tokens()[-1]
    meta = read_json(path)
    check(len(meta.get("refresh_fingerprint", "")) == 32, "no fingerprint in the metadata", meta)
    here = ("env", "-C", proj)

    # This profile's, for sure: taken over.
    relative_items(bus, mock, path, refresh, SECRET)
    r = run(home, "refresh", "--token-file", "tok.json", env=bus.env, prefix=here)
    check(r.returncode == 0 and "older release" in r.stderr and
          body_of(mock.token_requests()[-1])["refresh_token"] == [refresh], "not taken over", r)
    check(items_under(bus, path) == 2, "the items are not under the absolute path")

    # No fingerprint (metadata an older release wrote): left alone.
    relative_items(bus, mock, path, refresh, SECRET)
    del meta["refresh_fingerprint"]
    with open(path, "w") as f:
        json.dump(meta, f)
    before = len(mock.token_requests())
    r = run(home, "refresh", "--token-file", "tok.json", env=bus.env, prefix=here)
    check(r.returncode == 7 and "login" in r.stderr and items_under(bus, "tok.json") == 2 and
          items_under(bus, path) == 0 and len(mock.token_requests()) == before,
          "items without a fingerprint were used", r)

    # Another refresh token under that name (another project's): left alone.
    meta["refresh_fingerprint"] = "0" * 32
    with open(path, "w") as f:
        json.dump(meta, f)
    r = run(home, "refresh", "--token-file", "tok.json", env=bus.env, prefix=here)
    check(r.returncode == 7 and items_under(bus, path) == 0 and
          len(mock.token_requests()) == before, "another profile's items were taken", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES, needs=("keyring",))
