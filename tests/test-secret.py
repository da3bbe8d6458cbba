#!/usr/bin/env python3
"""The client secret: where it comes from (ZOHO_CLIENT_SECRET,
--client-secret-file, the config, a prompt at a terminal), never from the
command line, and never shown: not echoed at the prompt, not in a
message, whatever the file holds."""
import os
import signal
import subprocess
import time
import urllib.parse

from harness import (BINARY, CLIENT_ID, SECRET, body_of, check, free_port, login_args, main,
                     read_json, run, setup_login, write_config, write_secret)


def case_no_secret(home):
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port), env={"ZOHO_CLIENT_SECRET": None})
    check(r.returncode == 2, "a missing secret should exit 2", r)
    for way in ("ZOHO_CLIENT_SECRET", "--client-secret-file", "prompt"):
        check(way in r.stderr, "message does not name " + way, r)
    check(not mock.requests(), "Zoho was contacted")


def case_secret_on_argv(home):
    mock, port = setup_login(home)
    for args in (["--client-secret", SECRET], ["--client-secret=" + SECRET]):
        r = run(home, *login_args(mock, port), *args)
        check(r.returncode == 2, "a secret on the command line should exit 2", r)
        check(SECRET not in r.stderr, "the secret was echoed", r)
        check("never taken from the command line" in r.stderr, "no explanation", r)


def case_secret_prompt(home):
    """On a terminal, the secret is asked for without echo; Ctrl-C at the
    prompt exits 130 with the terminal's echo restored."""
    import pty
    import termios
    mock, port = setup_login(home)
    env = dict(home.env)
    del env["ZOHO_CLIENT_SECRET"]
    for interrupt in (False, True):
        master, slave = pty.openpty()
        proc = subprocess.Popen([BINARY, *login_args(mock, port, "--force")], env=env,
                                stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        os.close(slave)
        err = b""
        while b"Client secret" not in err:
            chunk = os.read(proc.stderr.fileno(), 4096)
            check(chunk, "no prompt for the secret")
            err += chunk
        time.sleep(0.1)  # the prompt is out; echo is off once it reads
        if interrupt:
            proc.send_signal(signal.SIGINT)
            rc = proc.wait(10)
            check(rc == 130, "Ctrl-C at the prompt should exit 130, not %s" % rc)
            attrs = termios.tcgetattr(master)
            check(attrs[3] & termios.ECHO, "the terminal was left without echo")
        else:
            os.write(master, SECRET.encode() + b"\n")
            out, rest = proc.communicate(timeout=30)
            echoed = b""
            try:
                while True:
                    chunk = os.read(master, 4096)
                    if not chunk:
                        break
                    echoed += chunk
            except OSError:
                pass  # the other side is closed
            check(proc.returncode == 0, "login with the prompted secret failed",
                  (err + rest).decode())
            check(SECRET.encode() not in echoed, "the secret was echoed on the terminal")
            check(SECRET.encode() not in err + rest, "the secret reached stderr")
            body = urllib.parse.parse_qs(mock.token_requests()[-1]["body"])
            check(body["client_secret"] == [SECRET], "the prompted secret was not used")
        os.close(master)


def case_secret_file(home):
    mock, port = setup_login(home)
    secret_file = write_secret(home, "secret", SECRET + "\n")
    r = run(home, *login_args(mock, port, "--client-secret-file", secret_file),
            env={"ZOHO_CLIENT_SECRET": "wrong-secret"})
    check(r.returncode == 0, "login with --client-secret-file failed", r)
    body = urllib.parse.parse_qs(mock.token_requests()[0]["body"])
    check(body["client_secret"] == [SECRET], "the file's secret was not used", body)


def case_config_secret(home):
    """The secret: --client-secret-file, then ZOHO_CLIENT_SECRET, then the
    config's client_secret_file."""
    port = free_port()
    mock = home.mock(redirect_uris=["http://localhost:%d/callback" % port])

    write_config(home, """[profile default]
client_id = %s
accounts_url = %s
scope = ZohoCliq.Channels.READ
redirect_uri = http://localhost:%d/callback
client_secret_file = %s
""" % (CLIENT_ID, mock.url, port, write_secret(home, "config-secret", "from-config\n")))
    flag_file = write_secret(home, "flag-secret", "from-flag\n")
    for args, env, expected in (([], {"ZOHO_CLIENT_SECRET": None}, "from-config"),
                                ([], {"ZOHO_CLIENT_SECRET": "from-env"}, "from-env"),
                                (["--client-secret-file", flag_file],
                                 {"ZOHO_CLIENT_SECRET": "from-env"}, "from-flag")):
        r = run(home, "login", "--force", *args, env=env)
        check(r.returncode == 5, "the wrong secret should be refused", r)
        # The pre-flight refuses it, before any browser.
        used = body_of(mock.preflight_requests()[-1])["client_secret"]
        check(used == [expected], "expected the secret %s, got %s" % (expected, used))
        check(expected not in r.stderr, "the secret was printed", r)


def case_secret_trailing_blank_lines(home):
    """A secret file with blank lines (and stray spaces) after the secret:
    they are stripped, the login works with the right secret."""
    for data in (SECRET.encode() + b"\n", SECRET.encode() + b"\n\n",
                 SECRET.encode() + b"\r\n\r\n  \n\t\n"):
        mock, port = setup_login(home)
        path = write_secret(home, "secret", data)
        r = run(home, *login_args(mock, port, "--client-secret-file", path, "--force"),
                env={"ZOHO_CLIENT_SECRET": None})
        check(r.returncode == 0, "login with secret file %r failed" % data, r)
        check("NUL" not in r.stderr, "a NUL byte reported", r)
        check(read_json(home.token_file())["refresh_token"], "no tokens")
        mock.stop()


def case_secret_file_errors(home):
    """Only what is really in the file is reported: a NUL byte, a space, two
    lines, an empty file. Nothing is sent to Zoho."""
    mock, port = setup_login(home)
    for data, want in ((b"abc\0def\n", "holds a NUL byte"),
                       (b"abc def\n", "a space or a control character"),
                       (b"abc\ndef\n", "more than one line"),
                       (b"\n\n", "is empty")):
        path = write_secret(home, "secret", data)
        r = run(home, *login_args(mock, port, "--client-secret-file", path),
                env={"ZOHO_CLIENT_SECRET": None})
        check(r.returncode != 0 and want in r.stderr, "%r: expected %r" % (data, want), r)
        check("abc" not in r.stderr, "the secret was shown", r)
    check(not mock.token_requests(), "Zoho was asked", mock.requests())


def case_secret_file_not_echoed(home):
    """A secret pasted where its file's name belongs is never echoed."""
    mock, port = setup_login(home)
    pasted = "1000.f00dcafe0123456789abcdefdeadbeef"
    for value in (pasted, "/no/such/dir/" + pasted):
        r = run(home, *login_args(mock, port, "--client-secret-file", value))
        check(r.returncode == 1, "login with a missing secret file", r)
        check(pasted not in r.stderr and pasted not in r.stdout, "the value was echoed", r)
        check("--client-secret-file" in r.stderr, "the message doesn't say which option", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
