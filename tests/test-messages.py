#!/usr/bin/env python3
"""Messages and help a user reads: usage errors, each failure said once,
the width and the options of every command's help, the exit statuses in
the help, the README and the man page, every option documented, bash
and zsh completion, what -v and -vv show, a front binary copied away
from zoho-oauth-full, and tools/install-deps."""
import os
import re
import shlex
import shutil
import signal
import subprocess
import time

from harness import (BINARY, CLIENT_ID, DATA, SKIP, SOURCE, Background, check, complete,
                     login_args, main, port_open, raw_reply, run, setup_login, wait_for,
                     write_config, write_tokens)


WIDTH = 80


def commands(home):
    """The command table, as 'zoho-oauth --help' lists it: the commands
    that run, so not 'help', whose help is another command's."""
    r = run(home, "--help")
    check(r.returncode == 0, "--help failed", r)
    listed = r.stdout.split("Commands:", 1)[1].split("\n\n", 1)[0]
    names = [n for n in re.findall(r"^  ([a-z]+) ", listed, re.M) if n != "help"]
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


def case_usage(home):
    r = run(home, "login", "--frobnicate")
    check(r.returncode == 2 and "unknown option --frobnicate" in r.stderr, "unknown option", r)
    r = run(home, "login", "--client-id", CLIENT_ID, "--scope", "ZohoCliq.Channels.READ",
            "--dc", "xx")
    check(r.returncode == 2 and "data centre" in r.stderr, "bad --dc", r)
    r = run(home, "login", "--scope", "ZohoCliq.Channels.READ", env={"ZOHO_CLIENT_ID": None})
    check(r.returncode == 2 and "client id" in r.stderr, "missing client id", r)
    r = run(home, "login", "--client-id", CLIENT_ID, "--scope", "ZohoCliq.Channels.READ",
            "--accounts-url", "http://accounts.example.com")
    check(r.returncode == 2 and "https" in r.stderr, "plain http accounts URL", r)
    r = run(home, "login", "--timeout", "soon")
    check(r.returncode == 2 and "--timeout" in r.stderr, "bad --timeout", r)
    r = run(home, "--help")
    check(r.returncode == 0 and "login" in r.stdout, "--help", r)
    r = run(home, "login", "--help")
    check(r.returncode == 0 and "--redirect-uri" in r.stdout and "Examples:" in r.stdout,
          "login --help", r)
    r = run(home, "frob")
    check(r.returncode == 2, "unknown command", r)


def case_errors_said_once(home):
    """Each failure is reported once, as one error line; what to do next is
    not a second error."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=3000)
    path = home.token_file()
    with open(path, "w") as f:
        f.write("{bad")
    login = ["login", "--client-id", CLIENT_ID, "--scope", "ZohoCliq.Channels.READ",
             "--accounts-url", mock.url]
    r = run(home, *login)
    check(r.returncode == 1 and r.stderr.count("error:") == 1, "login over a corrupt file", r)
    write_tokens(home, mock, expires_in=-10)
    mock.stop()
    for args, status in ((login, 6), (["revoke", "--connect-timeout", "2"], 6),
                         (["token", "--connect-timeout", "2"], 6)):
        r = run(home, *args)
        check(r.returncode == status and r.stderr.count("error:") == 1,
              "%s: not one error line" % args[0], r)


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


def man_examples():
    """The man page's examples as scdoc prints them: each ``` block's
    lines, its escapes undone (\\\\ is one backslash, \\X is X)."""
    with open(os.path.join(SOURCE, "man", "zoho-oauth.1.scd")) as f:
        blocks = re.findall(r"^```\n(.*?)^```$", f.read(), re.M | re.S)
    return [re.sub(r"\\(.)", r"\1", b, flags=re.S).splitlines() for b in blocks]


def case_man_examples(home):
    """Every example of the man page pastes as printed: a line that goes on
    ends with a backslash (or a pipe), only such a line is followed by an
    indented one and none ends a block; each zoho-oauth command, its lines
    joined, parses."""
    blocks = man_examples()
    check(len(blocks) >= 8, "too few examples found", blocks)
    for block in blocks:
        joined, goes_on = [], False
        for line in block:
            indented = line[:1].isspace()
            check(indented == goes_on, "the man page's example line %r %s" % (
                line, "is not indented, though the line before goes on" if goes_on else
                "goes on a command whose line before ends without a backslash"), block)
            if goes_on:
                joined[-1] += " " + line.strip()
            else:
                joined.append(line)
            goes_on = line.rstrip().endswith(("\\", "|"))
            joined[-1] = joined[-1].rstrip().rstrip("\\").rstrip()
        check(not goes_on, "an example ends with a line that goes on", block)
        for command in joined:
            if zoho_args(command) is not None:
                check_parses(home, command)


def case_man_paths(home):
    """The man page names installed files where the build puts them: its
    source has no /usr/... of its own (man/meson.build fills in the
    configured directories), and the page built has every one filled in."""
    with open(os.path.join(SOURCE, "man", "zoho-oauth.1.scd")) as f:
        text = f.read()
    fixed = re.findall(r"[^\s(]*/usr/\S*", text)
    check(not fixed, "the man page's source names fixed install paths", fixed)
    page = os.environ.get("ZOHO_OAUTH_MAN_PAGE")
    if not page:
        return  # built without the man page (-Dman-pages=disabled)
    with open(page) as f:
        built = f.read().replace("\\&", "")
    check(not re.search(r"@[A-Z_]+@", built), "placeholders left in the built page")
    for var, name in (("ZOHO_OAUTH_DOCDIR", "config.example"),
                      ("ZOHO_OAUTH_DOCDIR", "postgresql-table.sql"),
                      ("ZOHO_OAUTH_LIBEXECDIR", "zoho-oauth-full"),
                      ("ZOHO_OAUTH_BINDIR", "zoho-oauth")):
        path = os.path.join(os.environ[var], name)
        check(path in built, "the built page does not name %s" % path)


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
    # --force says what it does for the command at hand, and that alone.
    for cmd in ("login", "exchange"):
        force = option_help(command_help(home, cmd), "force")
        check("working refresh token" in force and "database" not in force
              and "migrate" not in force, "%s --help: --force" % cmd, force)
    force = option_help(command_help(home, "migrate"), "force")
    check("database" in force and "sign in" not in force and "refresh token" not in force,
          "migrate --help: --force", force)
    # Plain http is taken on loopback (a test server): the help says so.
    for cmd in ("login", "exchange"):
        url = option_help(command_help(home, cmd), "accounts-url")
        check("https" in url and re.search(r"\bhttp\b", url) and "loopback" in url,
              "%s --help: --accounts-url" % cmd, url)


def option_help(text, name):
    """What a help text says of option --NAME, its wrapped lines joined."""
    m = re.search(r"^  (?:-\w, |    )--%s\b.*\n(?: {34}.*\n)*" % re.escape(name), text, re.M)
    check(m, "no --%s in the help" % name, text)
    return " ".join(m.group(0).split())


def zoho_args(line):
    """The arguments of the zoho-oauth a shell command line runs (first
    in it, up to a pipe, a redirection, a list's && or ; or the end of a
    $(...)), or None."""
    m = re.search(r"(?:^|[\s(])zoho-oauth\s([^|&;<>)]*)", line)
    return shlex.split(m.group(1)) if m else None


def check_parses(home, line, cmd=None):
    """The zoho-oauth command in a shell command line is taken as written:
    run with --help put where its options end (for curl, before the URL or
    path), it shows the help of its command (cmd, when given). Returns that
    command."""
    args = zoho_args(line)
    check(args is not None, "no zoho-oauth command in %r" % line)
    names = commands(home)
    found = next((a for a in args if a in names), None)
    check(found and (cmd is None or found == cmd), "%r: not a %s command" % (line, cmd or "known"))
    if found == "curl":
        at = next(i for i, a in enumerate(args)
                  if i > args.index("curl") and (a.startswith("/") or "://" in a))
        args = args[:at]
    r = run(home, *args, "--help")
    check(r.returncode == 0 and r.stdout == command_help(home, found),
          "%r does not parse as written" % line, r)
    return found


def help_examples(text):
    """The command lines of the Examples a help text ends with (what is
    not a comment)."""
    check("\nExamples:\n" in text, "the help has no examples", text)
    lines = text.rstrip("\n").split("\nExamples:\n", 1)[1].split("\n")
    check(all(l.startswith("  ") for l in lines), "the examples are not the help's end", text)
    return [l.strip() for l in lines if not l.strip().startswith("#")]


def case_help_examples(home):
    """Each command's help ends with two or three examples: real command
    lines of that command, each said what it does in a comment above it,
    that parse as written; the exit statuses are left to the general help
    and the man page."""
    for cmd in commands(home):
        text = command_help(home, cmd)
        check("Exit status:" not in text, "%s --help lists the exit statuses" % cmd, text)
        examples = help_examples(text)
        check(2 <= len(examples) <= 3, "%s --help: %d examples" % (cmd, len(examples)), text)
        section = text.split("\nExamples:\n", 1)[1].splitlines()
        for n, line in enumerate(section):
            if not line.strip().startswith("#"):
                check(n > 0 and section[n - 1].strip().startswith("#"),
                      "%s --help: an example without its comment: %r" % (cmd, line), text)
        for line in examples:
            check_parses(home, line, cmd)


def case_help_general(home):
    """'zoho-oauth --help' shows the options of every command, written
    before it or after it (the profile, the token file, -q, -v, --help
    and --version), and the help command."""
    r = run(home, "--help")
    check(r.returncode == 0, "--help", r)
    check(r.stdout.startswith("usage: zoho-oauth [OPTIONS] COMMAND"), "usage line", r.stdout)
    every = {"profile", "token-file", "quiet", "verbose", "help", "version"}
    check(set(options_listed(r.stdout)) == every, "--help does not list the options every "
          "command takes", r.stdout)
    for cmd in commands(home):
        listed = set(options_listed(command_help(home, cmd)))
        check(every <= listed, "%s --help lacks some of %s" % (cmd, sorted(every)), listed)
    check(re.search(r"^  help ", r.stdout.split("Commands:", 1)[1], re.M)
          and "zoho-oauth help COMMAND" in " ".join(r.stdout.split()),
          "--help does not show the help command", r.stdout)
    check(r.stdout == run(home, "help").stdout == run(home, "-h").stdout, "help, -h")


def case_options_first(home):
    """Options before the command are the same options as after it, as in
    git: the same outcome and messages, an option the command doesn't take
    refused the same way, the client secret refused there too; options and
    no command is a usage error that says the command is missing."""
    write_config(home, "[profile work]\nclient_id = 1000.A\n")
    for before, after in ((["-p", "work", "status"], ["status", "-p", "work"]),
                          (["--profile", "work", "-q", "status", "--json"],
                           ["status", "--json", "--profile", "work", "-q"]),
                          (["--token-file=x.json", "-q", "refresh"],
                           ["refresh", "--token-file=x.json", "-q"]),
                          (["--json", "token"], ["token", "--json"]),
                          (["--scope", "X", "status"], ["status", "--scope", "X"]),
                          (["--frob", "token"], ["token", "--frob"]),
                          (["-x", "revoke"], ["revoke", "-x"]),
                          (["--min-valid", "soon", "header"], ["header", "--min-valid", "soon"]),
                          (["--help", "token"], ["token", "--help"]),
                          (["-p", "work", "--version", "status"], ["status", "--version"])):
        a, b = run(home, *before), run(home, *after)
        check((a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr),
              "%s is not %s" % (before, after), a, b)
    r = run(home, "--json", "token")
    check(r.returncode == 2 and "--json does not apply to 'token'" in r.stderr, "--json token", r)
    for args in (["--client-secret", "s3cr3t", "token"], ["--client-secret=s3cr3t"],
                 ["-p", "work", "--client-secret", "s3cr3t", "login"]):
        r = run(home, *args)
        check(r.returncode == 2 and "never taken from the command line" in r.stderr
              and "s3cr3t" not in r.stderr + r.stdout, "%s" % args, r)
    for args in (["-p", "work"], ["-q"], ["--token-file", "x.json", "-v"]):
        r = run(home, *args)
        check(r.returncode == 2 and "command is missing" in r.stderr and "status" in r.stderr
              and r.stderr.count("error:") == 1 and not r.stdout, "%s: no command" % args, r)
    r = run(home, "-p")
    check(r.returncode == 2 and "-p needs a value" in r.stderr, "-p alone", r)
    r = run(home, "--profil", "work", "token")
    check(r.returncode == 2 and "did you mean --profile?" in r.stderr
          and "'work'" not in r.stderr, "a mistyped option before the command", r)
    r = run(home, "-p", "work", "frob")
    check(r.returncode == 2 and "unknown command 'frob'" in r.stderr, "an unknown command", r)
    general = run(home, "--help").stdout
    for args in (["-p", "work", "--help"], ["-q", "-h"]):
        r = run(home, *args)
        check(r.returncode == 0 and r.stdout == general, "%s: the general help" % args, r)
    r = run(home, "-q", "help", "token")
    check(r.returncode == 0 and r.stdout == command_help(home, "token"), "-q help token", r)
    r = run(home, "--json", "help", "status")
    check(r.returncode == 2 and "--json does not apply to 'help'" in r.stderr, "--json help", r)
    r = run(home, "-v", "--version")
    check(r.returncode == 0 and r.stdout.startswith("zoho-oauth "), "-v --version", r)


def case_help_exit_statuses(home):
    """The footer of the general help ('zoho-oauth --help'; a command's
    help ends with its examples instead), the README's table and the man
    page list every status of exit-status.h (128 as 128 + N, with 130, 143
    and 129)."""
    with open(os.path.join(SOURCE, "README.md")) as f:
        readme = f.read()
    table = readme.split("## Exit status", 1)[1].split("\n## ", 1)[0]
    rows = set()
    for first in re.findall(r"^\| ([\d, ]+) \|", table, re.M):
        rows.update(int(v) for v in first.split(","))
    with open(os.path.join(SOURCE, "man", "zoho-oauth.1.scd")) as f:
        man = f.read().split("# EXIT STATUS", 1)[1].split("\n# ", 1)[0]
    texts = {"--help": run(home, "--help").stdout}
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


# --- completion ---

def case_completion_bash(home):
    write_config(home, "[profile work]\nclient_id = 1000.A\n[profile  home ]\n")
    mock = home.mock()
    write_tokens(home, mock, profile="ci")
    check(complete(home, ["zoho-oauth", "to"]) == {"token"}, "commands")
    check({"--min-valid", "--profile", "--token-file"} <= complete(home, ["zoho-oauth", "token", "--"]),
          "token options")
    check("--scope" not in complete(home, ["zoho-oauth", "token", "--"]), "login-only option")
    check("--redirect-uri" in complete(home, ["zoho-oauth", "login", "--re"]), "login options")
    check(complete(home, ["zoho-oauth", "status", "--profile", ""]) == {"work", "ci"}, "profiles",
          complete(home, ["zoho-oauth", "status", "--profile", ""]))
    check(complete(home, ["zoho-oauth", "login", "--dc", "e"]) == {"eu"}, "data centres")
    # The list of data centres runs over a wrapped help line.
    check(complete(home, ["zoho-oauth", "login", "--dc", "c"]) == {"ca", "cn"}, "data centres",
          complete(home, ["zoho-oauth", "login", "--dc", "c"]))
    check(complete(home, ["zoho-oauth", "mi"]) == {"migrate"}, "migrate")
    check(complete(home, ["zoho-oauth", "migrate", "--to", ""]) == {"file", "keyring", "postgresql://", "service="}, "stores")


def case_completion_zsh(home):
    zsh = shutil.which("zsh")
    if not zsh:
        print("SKIP: zsh is not installed (apt-get install zsh)")
        return SKIP
    r = subprocess.run([zsh, "-n", os.path.join(DATA, "_zoho-oauth")], capture_output=True, text=True)
    check(r.returncode == 0, "zsh cannot parse _zoho-oauth", r.stderr)
    # Load it in a real completion system and list the commands it offers.
    script = r"""
fpath=("$1" $fpath); autoload -Uz compinit; compinit -u -D
autoload -Uz _zoho-oauth
print -r -- ${functions[_zoho-oauth]:+loaded}
"""
    r = subprocess.run([zsh, "-f", "-c", script, "zsh", DATA], capture_output=True, text=True,
                       env=home.env)
    check("loaded" in r.stdout, "zsh could not load the completion", r.stdout + r.stderr)


ZSH_COMPLETE = r"""
# What the completion system would offer, printed one a line: stand-ins
# for its functions (which keep what starts with the word typed), the
# words typed, then the completion itself.
_describe() { local name=${@[-1]}; print -rl -- ${(M)${${(P)name}%%:*}:#${words[CURRENT]}*}; }
compadd() { local -a w; w=("$@"); local i=${w[(i)--]}; (( i <= $#w )) && w=(${w[i+1,-1]}); print -rl -- ${(M)w:#${words[CURRENT]}*}; }
_message() { :; }
_files() { print -r -- '<files>'; }
_normal() { print -r -- "<normal ${words[1]}>"; }
words=("${@:2}"); CURRENT=$#words
source "$1"
"""


def complete_zsh(home, shell_words):
    """What the zsh completion offers for a command line ending in the
    word to complete, its completion system's functions stood in for."""
    env = dict(home.env)
    env["PATH"] = os.path.dirname(BINARY) + ":" + env["PATH"]
    r = subprocess.run(["zsh", "-f", "-c", ZSH_COMPLETE, "zsh", os.path.join(DATA, "_zoho-oauth"),
                        *shell_words], env=env, capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and not r.stderr, "zsh completion failed", r.stdout + r.stderr)
    return set(r.stdout.split())


def takes_value(script):
    """The options a completion script skips with their value, from its
    _zoho_oauth_takes_value."""
    with open(os.path.join(DATA, script)) as f:
        m = re.search(r"_zoho_oauth_takes_value\(\)\s*\{[^}]*?case \$1 in\s*([-a-z|]+)\)", f.read())
    check(m, "%s has no _zoho_oauth_takes_value" % script)
    return set(m.group(1).split("|"))


def case_completion_options_first(home):
    """Completion with options before the command (zoho-oauth -p work
    <TAB>): the commands, then that command's options; before the command
    the options every command takes; for bash, and for zsh when installed.
    The options both skip with their value are the program's."""
    write_config(home, "[profile work]\nclient_id = 1000.A\n")
    mock = home.mock()
    write_tokens(home, mock, profile="ci")
    runnable = set(commands(home)) | {"help"}
    valued = {"--" + n for n, v in all_options(home).items() if v} | {"-p"}
    shells = [("bash", complete)]
    if shutil.which("zsh"):
        shells.append(("zsh", complete_zsh))
    else:
        print("zsh is not installed: bash only")
    for shell, comp in shells:
        script = "zoho-oauth.bash" if shell == "bash" else "_zoho-oauth"
        check(takes_value(script) == valued, "%s: the options that take a value" % shell,
              sorted(takes_value(script) ^ valued))
        for words, want in (
                (["-p", "work", ""], runnable),
                (["--profile", "work", "-q", "to"], {"token"}),
                (["--token-file", "x.json", "mi"], {"migrate"}),
                (["-p", ""], {"work", "ci"}),
                (["-q", "--profile", ""], {"work", "ci"}),
                (["-p", "work", "help", ""], runnable - {"help"}),
                (["-p", "work", "login", "--dc", "e"], {"eu"}),
                (["-p", "work", "migrate", "--to", "k"], {"keyring"}),
                (["-v", "--token-file", "x.json", "token", "--min"], {"--min-valid"}),
                (["-p", "cliq", "curl", "--serv"], {"--service"})):
            got = comp(home, ["zoho-oauth", *words])
            check(got == want, "%s: zoho-oauth %s" % (shell, " ".join(words)), sorted(got))
        got = comp(home, ["zoho-oauth", "-p", "work", "--"])
        check({"--profile", "--token-file", "--quiet", "--verbose", "--help", "--version"} == got,
              "%s: the options before a command" % shell, sorted(got))
        got = comp(home, ["zoho-oauth", "-p", "work", "status", "--"])
        check({"--json", "--all", "--profile"} <= got and "--scope" not in got,
              "%s: status's options after -p work" % shell, sorted(got))


# --- -v and -vv ---

def verbose_run(home, flag):
    mock, port = setup_login(home)
    bg = Background(home, *login_args(mock, port, "--no-browser", *flag))
    bg.consent_url()
    check(wait_for(lambda: port_open(port)), "the listener is not up")
    # An HTTP version libmicrohttpd does not speak: it answers 505 and logs.
    got = raw_reply(port, b"GET /callback HTTP/9.9\r\nHost: localhost:%d\r\n\r\n" % port)
    check(b" 505 " in got, "expected a 505 for HTTP/9.9", got)
    time.sleep(0.5)
    bg.signal(signal.SIGINT)
    check(bg.wait(10) == 130, "SIGINT", bg.stderr())
    return bg.stderr()


def case_verbose_not_mhd(home):
    """-v: our own debug messages, not libmicrohttpd's."""
    err = verbose_run(home, ["-v"])
    check("debug: listening on" in err, "-v shows no debug messages", err)
    check("libmicrohttpd" not in err and "Error processing request" not in err,
          "-v shows libmicrohttpd's messages", err)


def case_very_verbose_mhd(home):
    """-vv (and -v -v): libmicrohttpd's messages too, marked as its own."""
    for flag in (["-vv"], ["-v", "--verbose"]):
        err = verbose_run(home, flag)
        check("debug: listening on" in err, "%s shows no debug messages" % flag, err)
        check("listener: libmicrohttpd: Error processing request" in err,
              "%s does not show libmicrohttpd's message" % flag, err)
        home.mocks[-1].stop()


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


def case_success_says_no_error(home):
    """A refresh that works prints no error line, whatever was tried on the
    way; nor does a cached token print anything at all."""
    mock = home.mock()
    write_tokens(home, mock, expires_in=10)
    r = run(home, "token")
    check(r.returncode == 0 and "error:" not in r.stderr and not r.stderr, "token", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
