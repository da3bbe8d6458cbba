#!/usr/bin/env python3
"""Files and permissions: token files that are not valid, that others
may read, symlinks, FIFOs and devices where a file should be, token
directories others may write or that can't be written, a full disk, a
write killed before its rename, and the temporary files of writers.
Any existing token file is left intact."""
import fcntl
import os
import socket

from harness import (check, file_state, in_private_network, login_args, main, no_audit, run,
                     setup_login, unprivileged, write_tokens)


def case_corrupt(home):
    mock = home.mock()
    write_tokens(home, mock, expires_in=10)
    path = home.token_file()
    text = open(path).read()
    with open(path, "w") as f:
        f.write(text[: len(text) // 2])
    before = file_state(path)
    for cmd in ("token", "status", "refresh", "revoke"):
        r = run(home, cmd)
        check(r.returncode == 1, "%s on a truncated file should exit 1" % cmd, r)
        check(path in r.stderr and "not a valid token file" in r.stderr, "message", r)
        check(file_state(path) == before, "the corrupt file was changed by " + cmd)
    # Valid JSON with a wrong type is just as corrupt.
    write_tokens(home, mock, expires_in=10, expires_at="soon")
    r = run(home, "token")
    check(r.returncode == 1 and "expires_at" in r.stderr, "wrong type", r)
    check(mock.requests("/oauth/v2/token") == [], "a corrupt file led to a request")


def case_world_readable(home):
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    os.chmod(home.token_file(), 0o644)
    r = run(home, "token")
    check(r.returncode == 1, "a world-readable token file should be refused", r)
    check("chmod 600" in r.stderr and r.stdout == "", "message", r)
    os.chmod(home.token_file(), 0o600)
    check(run(home, "token").returncode == 0, "token after chmod 600")


def case_symlink_read(home):
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000, path=os.path.join(home.root, "elsewhere.json"))
    os.makedirs(os.path.dirname(home.token_file()), exist_ok=True)
    os.symlink(os.path.join(home.root, "elsewhere.json"), home.token_file())
    r = run(home, "token")
    check(r.returncode == 1 and "symbolic link" in r.stderr, "a symlinked token file", r)
    check(data["access_token"] not in r.stdout, "the token was printed")


def case_symlink_write(home):
    """The token path is a symlink: its target is never written, and login
    says so before anyone signs in."""
    mock, port = setup_login(home)
    target = os.path.join(home.root, "precious.txt")
    with open(target, "w") as f:
        f.write("do not touch\n")
    path = home.token_file()
    os.makedirs(os.path.dirname(path), mode=0o700)
    os.symlink(target, path)
    r = run(home, *login_args(mock, port, "--force"))
    check(r.returncode == 1 and "symbolic link" in r.stderr, "login through a symlink", r)
    check(not mock.requests(), "Zoho was asked before the path was checked")
    check(open(target).read() == "do not touch\n", "the symlink's target was written")
    check(os.path.islink(path), "the symlink was replaced")
    r = run(home, "refresh")
    check(r.returncode == 1 and open(target).read() == "do not touch\n", "refresh", r)


def case_fifo(home):
    """A FIFO, a socket or a device at the token path, the config or the
    secret file: refused at once, naming it; never waited on."""
    mock, port = setup_login(home)
    path = home.token_file()
    os.makedirs(os.path.dirname(path), mode=0o700)
    os.mkfifo(path, 0o600)
    for cmd in ("token", "header", "status", "refresh", "revoke"):
        r = run(home, cmd, timeout=10)
        check(r.returncode == 1 and path in r.stderr and "FIFO" in r.stderr, cmd, r)
    os.unlink(path)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(path)
    r = run(home, "token", timeout=10)
    check(r.returncode == 1 and "socket" in r.stderr, "a socket", r)
    sock.close()
    os.unlink(path)
    r = run(home, "token", "--token-file", "/dev/zero", timeout=10)
    check(r.returncode == 1 and "device" in r.stderr, "a device", r)
    fifo = os.path.join(home.root, "secret")
    os.mkfifo(fifo, 0o600)
    r = run(home, *login_args(mock, port, "--client-secret-file", fifo), timeout=10)
    check(r.returncode == 1 and "FIFO" in r.stderr, "a FIFO as the secret file", r)
    cfg = os.path.join(home.env["XDG_CONFIG_HOME"], "zoho-oauth")
    os.makedirs(cfg)
    os.mkfifo(os.path.join(cfg, "config"), 0o600)
    r = run(home, *login_args(mock, port), timeout=10)
    check(r.returncode == 2 and "FIFO" in r.stderr, "a FIFO as the config", r)
    check(not mock.requests(), "Zoho was asked")


def case_directory_modes(home):
    """A token directory others may write (without the sticky bit), or that
    another user owns, is refused with what to run; /tmp-like sticky
    directories are fine."""
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    d = os.path.dirname(home.token_file())
    os.chmod(d, 0o777)
    r = run(home, "token")
    check(r.returncode == 1 and "chmod go-w %s" % d in r.stderr and r.stdout == "", "0777", r)
    os.chmod(d, 0o1777)
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "1777", r)
    os.chmod(d, 0o700)
    # An ancestor writable by others counts too.
    parent = os.path.dirname(d)
    os.chmod(parent, 0o777)
    r = run(home, "status")
    check(r.returncode == 1 and parent in r.stderr, "a writable parent", r)
    os.chmod(parent, 0o755)
    if os.geteuid() == 0:
        os.chown(d, 65534, 65534)
        r = run(home, "token")
        check(r.returncode == 1 and "another user" in r.stderr, "a foreign directory", r)
        os.chown(d, 0, 0)
    r = run(home, "token")
    check(r.returncode == 0, "back to normal", r)


def case_directory_not_writable(home):
    mock, port = setup_login(home)
    write_tokens(home, mock, expires_in=10)
    path = home.token_file()
    before = (open(path).read(), os.stat(path).st_ino)
    # As after an earlier refresh: the lock file exists, so only the
    # write itself can fail.
    open(path + ".lock", "w").close()
    os.chmod(path + ".lock", 0o600)
    prefix = unprivileged(home)
    os.chmod(os.path.dirname(path), 0o500)
    try:
        r = run(home, "refresh", prefix=prefix)
        check(r.returncode == 1 and "Permission denied" in r.stderr, "refresh", r)
        check((open(path).read(), os.stat(path).st_ino) == before, "the token file changed")
        check(not mock.token_requests(), "a refresh was spent although it could not be kept")
        r = run(home, *login_args(mock, port, "--force"), prefix=prefix)
        check(r.returncode == 1 and "cannot write in" in r.stderr, "login", r)
        check(not mock.requests("/oauth/v2/auth") and not mock.token_requests(),
              "Zoho was asked although the tokens could not be kept")
    finally:
        os.chmod(os.path.dirname(path), 0o700)


def case_disk_full(home):
    """A tmpfs of 16 KiB, filled up: the refresh can't write; the old file stays."""
    data = os.path.join(home.root, "home", ".local", "share", "zoho-oauth")
    in_private_network(home, tmpfs=(data, "16k"))
    mock = home.mock()
    write_tokens(home, mock, expires_in=10)
    path = home.token_file()
    before = open(path).read()
    fd = os.open(os.path.join(data, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while os.write(fd, b"x" * 512) > 0:
            pass
    except OSError:
        pass  # full
    os.close(fd)
    r = run(home, "refresh")
    check(r.returncode == 1 and "No space left" in r.stderr, "a full disk", r)
    check(open(path).read() == before, "the token file changed on a full disk")
    check(not mock.token_requests(), "a refresh was spent although it could not be kept")
    check(sorted(os.listdir(data)) == ["default.json", "default.json.lock", "filler"],
          "something was left behind: %s" % os.listdir(data))
    os.unlink(os.path.join(data, "filler"))
    r = run(home, "refresh")
    check(r.returncode == 0, "refresh with room again", r)


@no_audit
def case_interrupted_write(home):
    """SIGKILL between write and rename (strace injects it at the rename):
    the previous file is intact, and the next write clears the leftover."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    path = home.token_file()
    before = open(path).read()
    inject = ["strace", "-f", "-qq", "-o", os.devnull, "-e", "trace=rename,renameat,renameat2",
              "-e", "inject=rename,renameat,renameat2:signal=SIGKILL", "--"]
    r = run(home, "refresh", prefix=inject)
    check(r.returncode in (137, -9), "the refresh was not killed at the rename", r)
    check(open(path).read() == before, "the token file changed")
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".default.json.")]
    check(len(leftovers) == 1, "expected the killed write's temporary file", leftovers)
    check(run(home, "token").returncode == 0, "the token file is not usable")
    r = run(home, "refresh")
    check(r.returncode == 0, "the next refresh failed", r)
    leftovers = [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".default.json.")]
    check(not leftovers, "the leftover temporary file was not cleared", leftovers)


def case_temp_files(home):
    """Only this tool's temporary files of writers that are gone are
    cleared: not a user's .default.json.backup, not a live writer's."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=-10)
    d = os.path.dirname(home.token_file())
    backup = os.path.join(d, ".default.json.backup")
    lookalike = os.path.join(d, ".default.json.Ab3xYz")
    for p in (backup, lookalike):
        with open(p, "w") as f:
            f.write("mine\n")
    dead = os.path.join(d, ".default.json.zoho-oauth-dead01")
    live = os.path.join(d, ".default.json.zoho-oauth-live01")
    for p in (dead, live):
        with open(p, "w") as f:
            f.write("{}")
    live_fd = os.open(live, os.O_RDONLY)
    fcntl.flock(live_fd, fcntl.LOCK_EX)
    r = run(home, "token")
    check(r.returncode == 0, "token", r)
    check(os.path.exists(backup) and os.path.exists(lookalike), "a user's file was removed",
          os.listdir(d))
    check(os.path.exists(live), "a live writer's file was removed")
    check(not os.path.exists(dead), "a dead writer's file was kept")
    os.close(live_fd)


def read_only(home, mock, expires_in):
    """A token file whose directory can't be written (the lock file there
    already), and the prefix that runs the tool as a user that bound holds."""
    write_tokens(home, mock, expires_in=expires_in)
    path = home.token_file()
    open(path + ".lock", "w").close()
    os.chmod(path + ".lock", 0o600)
    prefix = unprivileged(home)
    os.chmod(os.path.dirname(path), 0o500)
    return prefix


def said(text, kind):
    return [l for l in text.splitlines() if l.startswith("zoho-oauth: %s:" % kind)]


def case_read_only_valid_token(home):
    """A read-only token directory and a token due a refresh with minutes
    left: served, exit 0, one warning that says why, and no error line."""
    mock = home.mock()
    prefix = read_only(home, mock, 200)
    try:
        r = run(home, "token", prefix=prefix)
    finally:
        os.chmod(os.path.dirname(home.token_file()), 0o700)
    check(r.returncode == 0 and r.stdout.strip(), "the valid token was not served", r)
    check(not said(r.stderr, "error"), "an error line on success", r)
    warnings = said(r.stderr, "warning")
    check(len(warnings) == 1 and "cannot write" in warnings[0] and "still valid" in warnings[0],
          "not one warning that says why", r)
    check(not mock.token_requests(), "a refresh was spent although it could not be kept")


def case_read_only_expired(home):
    """The same with an expired token: exit 1, the error said once, last."""
    mock = home.mock()
    prefix = read_only(home, mock, -10)
    try:
        r = run(home, "token", prefix=prefix)
    finally:
        os.chmod(os.path.dirname(home.token_file()), 0o700)
    lines = [l for l in r.stderr.splitlines() if l.startswith("zoho-oauth:")]
    check(r.returncode == 1 and len(said(r.stderr, "error")) == 1 and
          lines[-1] == said(r.stderr, "error")[0], "the error was not said once, last", r)


def case_read_only_home_at_login(home):
    """A home that can't be written (a container's, a locked-down account):
    login says what to do, --token-file or XDG_DATA_HOME, before the
    browser opens; with --token-file the advice is about that path."""
    mock, port = setup_login(home)
    prefix = unprivileged(home)
    os.chmod(home.home, 0o500)
    try:
        r = run(home, *login_args(mock, port), prefix=prefix)
        check(r.returncode == 1 and "cannot" in r.stderr and "--token-file" in r.stderr and
              "XDG_DATA_HOME" in r.stderr, "no advice", r)
        check(not mock.requests("/oauth/v2/auth") and not home.browser_records(timeout=1),
              "the browser was opened before the check")
        r = run(home, *login_args(mock, port, "--token-file", os.path.join(home.home, "t.json")),
                prefix=prefix)
        check(r.returncode == 1 and "give --token-file a path in a directory you can write" in
              r.stderr and "XDG_DATA_HOME" not in r.stderr, "the advice for a given path", r)
    finally:
        os.chmod(home.home, 0o700)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
