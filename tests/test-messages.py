#!/usr/bin/env python3
"""Messages and help a new user trips on (issue 13): what refresh says for a
profile without a refresh token, login's advice when Zoho sends none, a
client-secret file with trailing blank lines, exchange on a profile that
already has tokens, the width and the options of every command's help, the
exit statuses in the help and the README, every option documented, a front
binary copied away from zoho-oauth-full, and tools/install-deps."""
import os
import re
import shutil
import signal
import stat
import subprocess

from harness import (BINARY, SECRET, SOURCE, check, console_code, exchange_args, login_args, main,
                     read_json, run, setup_login, write_secret, write_tokens)

WIDTH = 80


def commands(home):
    """The command table, as 'zoho-oauth --help' lists it."""
    r = run(home, "--help")
    check(r.returncode == 0, "--help failed", r)
    names = re.findall(r"^  ([a-z]+) ", r.stdout.split("Commands:", 1)[1], re.M)
    check(len(names) >= 9, "too few commands in --help", r)
    return names


def command_help(home, cmd):
    r = run(home, cmd, "--help")
    check(r.returncode == 0, "%s --help failed" % cmd, r)
    return r.stdout


def options_listed(text):
    """{name: takes a value} for each option a help text lists."""
    return {m.group(1): bool(m.group(2))
            for m in re.finditer(r"^  (?:-\w, |    )--([a-z][a-z-]*)( [A-Z]+)?", text, re.M)}


def all_options(home):
    found = {}
    for cmd in commands(home):
        found.update(options_listed(command_help(home, cmd)))
    return found


def exit_statuses():
    """The values of enum zo_status in src/core/exit-status.h."""
    with open(os.path.join(SOURCE, "src", "core", "exit-status.h")) as f:
        text = f.read()
    values = {int(v) for v in re.findall(r"^\s*ZO_\w+\s*=\s*(\d+)\s*,", text, re.M)}
    check({0, 1, 2, 127, 128} <= values, "could not parse exit-status.h", values)
    return values


def signal_statuses():
    return [128 + signal.SIGINT, 128 + signal.SIGTERM, 128 + signal.SIGHUP]


def footer(text):
    check("Exit status:" in text, "no exit-status footer", text)
    return text.split("Exit status:", 1)[1]


# --- refresh without a refresh token ---

def case_refresh_online(home):
    """refresh on a profile signed in with online access: it says there is
    no refresh token and how to get one, not that the token is 'about to
    expire'; Zoho is not asked."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000, refresh=None)
    r = run(home, "refresh")
    check(r.returncode == 7, "refresh without a refresh token should exit 7", r)
    check("about to expire" not in r.stderr and "has expired" not in r.stderr,
          "misleading message", r)
    check("no refresh token" in r.stderr and "online access" in r.stderr
          and "zoho-oauth login --access-type offline" in r.stderr,
          "the message does not say how to get a refresh token", r)
    check(not mock.token_requests(), "Zoho was asked", mock.requests())
    write_tokens(home, mock, profile="work", expires_in=3000, refresh=None)
    r = run(home, "refresh", "--profile", "work")
    check(r.returncode == 7 and "zoho-oauth login --profile work --access-type offline"
          in r.stderr, "the hint does not name the profile", r)


# --- login: Zoho sent no refresh token ---

def case_no_refresh_token_consent(home):
    """prompt=consent was sent (no --no-consent-prompt) and Zoho still sent
    no refresh token: the advice must not tell the user to drop an option
    they did not pass."""
    mock, port = setup_login(home, "no-refresh-token")
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login failed", r)
    check("no refresh token" in r.stderr, "no warning", r)
    check("without --no-consent-prompt" not in r.stderr,
          "advice about an option that was not passed", r)
    check("prompt=consent" in r.stderr, "the warning does not say consent was asked for", r)


def case_no_refresh_token_no_consent(home):
    """With --no-consent-prompt, the advice is to sign in without it."""
    mock, port = setup_login(home, "no-refresh-token")
    r = run(home, *login_args(mock, port, "--no-consent-prompt"))
    check(r.returncode == 0, "login failed", r)
    check("no refresh token" in r.stderr and "without --no-consent-prompt" in r.stderr,
          "the advice does not name the option", r)


# --- the client-secret file ---

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


# --- exchange on a profile with tokens ---

def case_exchange_existing(home):
    """exchange on a profile that has tokens: nothing to do, the code is not
    exchanged (it stays usable); --force exchanges it."""
    mock = home.mock()
    for expires_in in (3000, -10):
        before = write_tokens(home, mock, expires_in=expires_in, scope="ZohoCliq.Users.READ")
        code = console_code(mock)
        asked = len(mock.token_requests())
        r = run(home, *exchange_args(mock, "--code", code))
        check(r.returncode == 0 and "nothing to do" in r.stderr and "--force" in r.stderr,
              "exchange on a profile with tokens", r)
        codes = [q for q in mock.token_requests()[asked:] if "authorization_code" in q["body"]]
        check(not codes, "the code was exchanged", mock.requests())
        check(read_json(home.token_file())["refresh_token"] == before["refresh_token"],
              "the token file changed")
    r = run(home, *exchange_args(mock, "--code", code, "--force"))
    check(r.returncode == 0, "exchange --force failed", r)
    check(read_json(home.token_file())["refresh_token"] != before["refresh_token"],
          "--force did not store the new tokens")


# --- help ---

def case_help_width(home):
    """Every line of every help (general, COMMAND --help, help COMMAND)
    within 80 columns."""
    texts = {"--help": run(home, "--help").stdout}
    for cmd in commands(home):
        texts[cmd + " --help"] = command_help(home, cmd)
        r = run(home, "help", cmd)
        check(r.returncode == 0 and r.stdout == texts[cmd + " --help"], "help %s" % cmd, r)
    for name, text in texts.items():
        for line in text.splitlines():
            check(len(line) <= WIDTH, "%s: a line of %d columns: %r" % (name, len(line), line))


def case_man_width(home):
    """The man page's source lines stay within 80 columns too."""
    with open(os.path.join(SOURCE, "man", "zoho-oauth.1.scd")) as f:
        long = [(n, line) for n, line in enumerate(f, 1) if len(line.rstrip("\n")) > WIDTH]
    check(not long, "lines over %d columns: %s" % (WIDTH, long))


def case_help_options(home):
    """Each command's help lists exactly the options it takes: every listed
    option is accepted, every other one is refused as not applying."""
    everything = all_options(home)
    check(len(everything) >= 30, "too few options found", everything)
    for cmd in commands(home):
        listed = options_listed(command_help(home, cmd))
        for name, takes_value in everything.items():
            opt = "--%s=1" % name if takes_value else "--" + name
            r = run(home, cmd, opt, "--help", timeout=20)
            refused = "does not apply to '%s'" % cmd in r.stderr
            check(refused != (name in listed), "%s: --%s %s but %s" % (
                cmd, name, "is refused" if refused else "is accepted",
                "listed" if name in listed else "not listed"), r)


def case_help_texts(home):
    """What a help line says fits the command: --token-file - (stdout) only
    for login and exchange, exchange's remark on --scope only for it."""
    for cmd in commands(home):
        text = " ".join(command_help(home, cmd).split())
        signin = cmd in ("login", "exchange")
        check(("to stdout" in text) == signin and "login and exchange" not in text,
              "%s --help: what --token-file - does" % cmd, text)
        check(("recorded only when" in text) == (cmd == "exchange") and "for exchange"
              not in text, "%s --help: what --scope does for exchange" % cmd, text)


def case_help_exit_statuses(home):
    """The footer of every command's help and the README's table list every
    status of exit-status.h (128 as 128 + N, with 130, 143 and 129)."""
    with open(os.path.join(SOURCE, "README.md")) as f:
        readme = f.read()
    table = readme.split("## Exit status", 1)[1].split("\n## ", 1)[0]
    rows = set()
    for first in re.findall(r"^\| ([\d, ]+) \|", table, re.M):
        rows.update(int(v) for v in first.split(","))
    with open(os.path.join(SOURCE, "man", "zoho-oauth.1.scd")) as f:
        man = f.read().split("# EXIT STATUS", 1)[1].split("\n# ", 1)[0]
    texts = {"--help": run(home, "--help").stdout}
    for cmd in commands(home):
        texts[cmd] = command_help(home, cmd)
    for v in sorted(exit_statuses()):
        if v == 128:
            for name, text in texts.items():
                check("128 + N" in footer(text), "%s: no 128 + N" % name, text)
            continue
        check(v in rows, "README's exit-status table lacks %d" % v, table)
        check(re.search(r"\*%d\*" % v, man), "the man page lacks status %d" % v)
        for name, text in texts.items():
            check(re.search(r"(?<!\d)%d(?!\d)" % v, footer(text)),
                  "%s --help: the footer lacks %d" % (name, v), text)
    for v in signal_statuses():
        check(v in rows, "README's table lacks %d" % v, table)
        check("*%d*" % v in man, "the man page lacks %d" % v)
        for name, text in texts.items():
            check(str(v) in footer(text), "%s: the footer lacks %d" % (name, v), text)


def case_options_documented(home):
    """Every long option of every command is in the README and has an entry
    in the man page."""
    with open(os.path.join(SOURCE, "README.md")) as f:
        readme = f.read()
    with open(os.path.join(SOURCE, "man", "zoho-oauth.1.scd")) as f:
        man = f.read()
    for name in all_options(home):
        check(re.search(r"(?<![\w-])--%s(?![\w-])" % re.escape(name), readme),
              "README.md does not mention --%s" % name)
        check(re.search(r"^(\*-\w\*, )?\*--%s\*" % re.escape(name), man, re.M),
              "zoho-oauth(1) has no entry for --%s" % name)


# --- the front alone ---

def case_front_alone(home):
    """The front copied without zoho-oauth-full: a command it hands over
    says where it looked and how to fix it, exit 127; ZOHO_OAUTH_FULL
    points it at the full program; a cached token is still served."""
    lonely = os.path.join(home.root, "bin")
    os.makedirs(lonely)
    front = os.path.join(lonely, "zoho-oauth")
    shutil.copy(BINARY, front)
    full = os.path.join(os.path.dirname(os.path.realpath(BINARY)), "zoho-oauth-full")
    check(os.access(full, os.X_OK), "no zoho-oauth-full beside " + BINARY)
    e = dict(home.env)
    e.pop("ZOHO_OAUTH_FULL", None)
    r = subprocess.run([front, "status"], env=e, capture_output=True, text=True, timeout=20)
    check(r.returncode == 127, "expected 127, got %d: %s" % (r.returncode, r.stderr))
    check(os.path.join(lonely, "zoho-oauth-full") in r.stderr and "ZOHO_OAUTH_FULL=" in r.stderr
          and "libexec" in r.stderr, "the message does not say where it looked and what to do",
          r.stderr)
    check(r.stderr.count("\n") <= 3, "a long message", r.stderr)
    e["ZOHO_OAUTH_FULL"] = full
    r = subprocess.run([front, "status"], env=e, capture_output=True, text=True, timeout=20)
    check(r.returncode == 7 and "zoho-oauth login" in r.stderr, "ZOHO_OAUTH_FULL was not used",
          r.stderr)
    e["ZOHO_OAUTH_FULL"] = os.path.join(lonely, "nowhere")
    r = subprocess.run([front, "status"], env=e, capture_output=True, text=True, timeout=20)
    check(r.returncode == 127 and os.path.join(lonely, "nowhere") in r.stderr
          and "ZOHO_OAUTH_FULL" in r.stderr, "a wrong ZOHO_OAUTH_FULL", r.stderr)
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    del e["ZOHO_OAUTH_FULL"]
    r = subprocess.run([front, "token"], env=e, capture_output=True, text=True, timeout=20)
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "cached token",
          r.stderr)


# --- tools/install-deps ---

def fake_tools(home, installed):
    """dpkg-query that knows the installed packages, apt-get that logs, id
    that says root: install-deps runs, nothing is installed."""
    bin_dir = os.path.join(home.root, "fakebin")
    os.makedirs(bin_dir, exist_ok=True)
    log = os.path.join(home.root, "apt.log")
    scripts = {
        "dpkg-query": "#!/bin/sh\nfor p; do :; done\n"
                      "grep -qx \"$p\" %s && printf 'install ok installed'\nexit 0\n"
                      % os.path.join(home.root, "installed"),
        "apt-get": "#!/bin/sh\necho \"$*\" >> %s\n" % log,
        "id": "#!/bin/sh\necho 0\n",
    }
    for name, text in scripts.items():
        path = os.path.join(bin_dir, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o755)
    with open(os.path.join(home.root, "installed"), "w") as f:
        f.write("".join(p + "\n" for p in installed))
    if os.path.exists(log):
        os.unlink(log)
    return bin_dir, log


def install_deps(home, *args, installed=()):
    bin_dir, log = fake_tools(home, installed)
    env = {"PATH": bin_dir + ":/usr/bin:/bin", "HOME": home.home}
    r = subprocess.run([os.path.join(SOURCE, "tools", "install-deps"), *args], env=env,
                       capture_output=True, text=True, timeout=30)
    apt = open(log).read() if os.path.exists(log) else ""
    installs = [[w for w in line.split()[1:] if not w.startswith("-")]
                for line in apt.splitlines() if line.startswith("install")]
    return r, apt, installs


def case_install_deps(home):
    """--build-only installs the build dependencies only (no Chromium, no
    test packages); the default adds the tests'; the list is shown before
    apt-get runs; nothing missing: 'nothing to install', no apt-get."""
    r, apt, installs = install_deps(home, "--build-only")
    check(r.returncode == 0 and len(installs) == 1, "--build-only", r, apt)
    build = set(installs[0])
    check({"meson", "gcc", "libmicrohttpd-dev", "libjansson-dev", "scdoc"} <= build,
          "build packages missing", build)
    check(not build & {"chromium", "libcmocka-dev", "gnome-keyring", "strace", "postgresql"},
          "--build-only installs test packages", build)
    for p in build:
        check(p in r.stderr, "%s not listed before installing" % p, r.stderr)
    r, apt, installs = install_deps(home)
    every = set(installs[0])
    check(r.returncode == 0 and build < every and {"chromium", "libcmocka-dev"} <= every,
          "default install", r, apt)
    for p in every:
        check(p in r.stderr, "%s not listed before installing" % p, r.stderr)
    r, apt, installs = install_deps(home, "--build-only", installed=sorted(build))
    check(r.returncode == 0 and not apt and "nothing to install" in r.stderr,
          "nothing missing", r, apt)
    r, apt, installs = install_deps(home, "--build-only", installed=sorted(build - {"scdoc"}))
    check(installs == [["scdoc"]], "only the missing one", apt)
    r, apt, installs = install_deps(home, "--bogus")
    check(r.returncode == 2 and not apt and "--build-only" in r.stderr, "an unknown option", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
