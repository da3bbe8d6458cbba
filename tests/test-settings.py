#!/usr/bin/env python3
"""Settings that can't go wrong: profiles and the config file (what
wins over what, its errors with line numbers, the shipped example),
scopes held against the ones Zoho documents (a warning on a pipe, a
question on a terminal), data centres in any case, did-you-mean for
commands, options and profile names, a second login that reuses what the
first one used, --save-profile, and a database store's password refused
wherever it is given."""
import os
import signal
import urllib.parse

from harness import (CLIENT_ID, DATA, SECRET, Background, Terminal, check, console_code,
                     decline_save, exchange_args, free_port, login_args, main, mode_of, read_json,
                     run, setup_login, write_config, write_secret, write_tokens)


# --- profiles and the config file ---

def case_profiles(home):
    mock = home.mock()
    default = write_tokens(home, mock, expires_in=3000)
    work = write_tokens(home, mock, profile="work", expires_in=3000, refresh="1000.work.refresh")
    check(run(home, "token").stdout == default["access_token"] + "\n", "default profile")
    check(run(home, "token", "--profile", "work").stdout == work["access_token"] + "\n", "--profile")
    r = run(home, "token", env={"ZOHO_OAUTH_PROFILE": "work"})
    check(r.stdout == work["access_token"] + "\n", "ZOHO_OAUTH_PROFILE", r)
    r = run(home, "token", "--profile", "default", env={"ZOHO_OAUTH_PROFILE": "work"})
    check(r.stdout == default["access_token"] + "\n", "--profile beats ZOHO_OAUTH_PROFILE", r)
    other = os.path.join(home.root, "other.json")
    third = write_tokens(home, mock, path=other, expires_in=3000, refresh="1000.third")
    r = run(home, "token", env={"ZOHO_OAUTH_TOKEN_FILE": other})
    check(r.stdout == third["access_token"] + "\n", "ZOHO_OAUTH_TOKEN_FILE", r)
    r = run(home, "token", "--token-file", home.token_file("work"),
            env={"ZOHO_OAUTH_TOKEN_FILE": other})
    check(r.stdout == work["access_token"] + "\n", "--token-file beats the environment", r)
    r = run(home, "token", "--profile", "../etc")
    check(r.returncode == 2, "a profile name with a slash should be refused", r)
    r = run(home, "token", "--token-file", "-")
    check(r.returncode == 2, "token --token-file - should be refused", r)


def consent_query(home, *args, env=None):
    """Start login with --no-browser, read the consent URL it prints, stop it."""
    # The client IDs are made up: the pre-flight would stop them.
    bg = Background(home, "login", "--no-browser", "--no-preflight", "--timeout", "20", *args,
                    env=env)
    url = bg.consent_url()
    bg.signal(signal.SIGTERM)
    rc = bg.wait(10)
    check(rc == 143, "SIGTERM should exit 143, not %s" % rc, bg.stderr())
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


def case_config(home):
    mock = home.mock()
    port = free_port()
    write_config(home, """# zoho-oauth profiles
[profile work]
client_id = 1000.FROMCONFIG
accounts_url = %s
scope = ZohoCliq.Channels.READ,
        ZohoCliq.Messages.CREATE
redirect_uri = http://localhost:%d/callback
access_type = online   ; a comment

[profile other]
client_id = 1000.OTHER
dc = eu
scope = ZohoCRM.modules.ALL
""" % (mock.url, port))
    env = {"ZOHO_CLIENT_ID": None}
    q = consent_query(home, "--profile", "work", env=env)
    check(q["client_id"] == "1000.FROMCONFIG", "client_id from the config", q)
    check(q["scope"] == "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE", "continued scope", q)
    check(q["redirect_uri"] == "http://localhost:%d/callback" % port, "redirect_uri", q)
    check(q["access_type"] == "online", "access_type from the config", q)
    q = consent_query(home, env={"ZOHO_CLIENT_ID": None, "ZOHO_OAUTH_PROFILE": "work"})
    check(q["client_id"] == "1000.FROMCONFIG", "ZOHO_OAUTH_PROFILE picks the section", q)
    # The environment beats the file, the command line beats both.
    q = consent_query(home, "--profile", "work", env={"ZOHO_CLIENT_ID": "1000.FROMENV"})
    check(q["client_id"] == "1000.FROMENV", "ZOHO_CLIENT_ID over the config", q)
    q = consent_query(home, "--profile", "work", "--client-id", "1000.FROMFLAG",
                      "--scope", "ZohoCliq.Users.READ", "--access-type", "offline",
                      env={"ZOHO_CLIENT_ID": "1000.FROMENV"})
    check(q["client_id"] == "1000.FROMFLAG" and q["scope"] == "ZohoCliq.Users.READ"
          and q["access_type"] == "offline", "flags over everything", q)
    # The other profile: dc = eu.
    bg = Background(home, "login", "--no-browser", "--profile", "other", "--timeout", "20",
                    "--redirect-uri", "http://localhost:%d/callback" % free_port(),
                    env={"ZOHO_CLIENT_ID": None})
    url = bg.consent_url()
    bg.signal(signal.SIGINT)
    check(bg.wait(10) == 130, "SIGINT should exit 130")
    check(url.startswith("https://accounts.zoho.eu/oauth/v2/auth?") and "1000.OTHER" in url,
          "dc = eu from the config", url)


def case_config_errors(home):
    long_line = "scope = " + ",".join(["ZohoCliq.Channels.READ"] * 12)
    for text, line, words in (
            ("[profile a]\nclient_id = 1000.A\ncolour = blue\n", 3, "unknown setting 'colour'"),
            ("[profile a]\nscope = ZohoCliq.Channels\n", 2, "missing a part"),
            ("client_id = 1000.A\n", 1, "before any [profile NAME]"),
            ("[work]\nclient_id = 1000.A\n", 2, "[work] is not a section"),
            ("[profile a]\nclient_secret = abc\n", 2, "does not belong in the config"),
            ("[profile a]\ndc = mars\n", 2, "unknown data centre"),
            ("[profile a]\nclient_id = 1000.A\nclient_id = 1000.B\n", 3, "set twice"),
            ("[profile a]\n" + long_line + "\n", 2, "longer than"),
            ("[profile a]\nredirect_uri = http://example.com:1/cb\n", 2, "not on this machine"),
            ("[profile a]\nthis line is wrong\n", 2, "not a 'name = value' line"),
            ("[profile a]\ndc = eu\naccounts_url = https://accounts.zoho.eu\n", 3, "both"),
    ):
        path = write_config(home, text)
        r = run(home, "login", "--profile", "a", "--client-id", CLIENT_ID,
                "--scope", "ZohoCliq.Channels.READ")
        check(r.returncode == 2, "config error %r should exit 2" % words, r)
        check("%s:%d:" % (path, line) in r.stderr and words in r.stderr,
              "expected '%s:%d: ...%s'" % (path, line, words), r)
        check("abc" not in r.stderr or "client_secret" not in text, "echoed a secret", r)


def case_example_config(home):
    """The shipped example parses, and means what its comments say."""
    write_config(home, open(os.path.join(DATA, "config.example")).read())
    q = consent_query(home, "--redirect-uri", "http://localhost:%d/cb" % free_port(),
                      env={"ZOHO_CLIENT_ID": None})
    check(q["client_id"] == "1000.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "client_id", q)
    check(q["scope"] == "ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE", "scope", q)
    check(q["access_type"] == "offline", "access_type", q)
    q = consent_query(home, "--profile", "crm-reports", "--redirect-uri",
                      "http://localhost:%d/cb" % free_port(), env={"ZOHO_CLIENT_ID": None})
    check(q["client_id"] == "1000.YYYYYYYYYYYYYYYYYYYYYYYYYYYYYY", "second profile", q)


DB_PASSWORD = "pg-argv-secret-Zq81"


def case_database_password_refused(home):
    """A database store whose connection string holds a password is refused
    (exit 2) wherever it is given, --store, migrate --to or the config file,
    with a pointer to ~/.pgpass, PGPASSFILE and service files; the password
    is never echoed back; nothing is written."""
    mock, port = setup_login(home)
    specs = ["postgresql://bot:%s@db.example/tokens" % DB_PASSWORD,
             "postgres://bot:%s@db.example:5432/tokens?sslmode=verify-full" % DB_PASSWORD,
             "postgresql://bot@db.example/tokens?password=%s" % DB_PASSWORD,
             "postgresql://bot@db.example/tokens?%%70ASSWORD=%s" % DB_PASSWORD,
             "service=tokens password=%s" % DB_PASSWORD]
    for spec in specs:
        r = run(home, *login_args(mock, port, "--store", spec))
        check(r.returncode == 2, "login --store with a password not refused", r)
        check(".pgpass" in r.stderr and "PGPASSFILE" in r.stderr and "service" in r.stderr,
              "no pointer to pgpass or a service file", r)
        check(DB_PASSWORD not in r.stderr + r.stdout, "the password was echoed", r)
        check(not os.path.exists(home.token_file()), "login went ahead")
        r = run(home, "migrate", "--to", spec)
        check(r.returncode == 2 and DB_PASSWORD not in r.stderr, "migrate --to not refused", r)
    write_config(home, "[profile default]\nstore = %s\n" % specs[0])
    r = run(home, *login_args(mock, port))
    check(r.returncode == 2 and ".pgpass" in r.stderr, "store = with a password not refused", r)
    check(DB_PASSWORD not in r.stderr, "the password was echoed from the config", r)
    check(len(mock.token_requests()) == 0, "zoho was asked")
    check(not mock.requests(), "something was sent", mock.requests())
    # A name is no password: a database, a user or a service called so.
    write_config(home, "")
    for spec in ("postgresql:///passwords", "postgresql://passwordless@db.example/password_db",
                 "postgres://bot@db.example/tokens?application_name=password",
                 "service=password"):
        r = run(home, "migrate", "--to", spec)
        check(r.returncode == 7 and ".pgpass" not in r.stderr,
              "%s was refused as if it held a password" % spec, r)


# --- scopes ---

def auth_scopes(mock):
    """The scopes of each consent request the mock saw."""
    return [urllib.parse.parse_qs(e["query"])["scope"][0] for e in mock.requests("/oauth/v2/auth")]


def case_scope_warning_on_pipe(home):
    """On a pipe, a near miss of a documented scope is a warning before the
    browser opens, and the login goes on with the scope as given."""
    mock, port = setup_login(home)
    for typo in ("ZohoCliq.channels.read", "ZohoCliq.Channel.READ"):
        r = run(home, *login_args(mock, port, "--force", scope=typo))
        check(r.returncode == 0, "login failed", r)
        check("did you mean ZohoCliq.Channels.READ?" in r.stderr, "no did-you-mean", r)
        check(r.stderr.index("did you mean") < r.stderr.index("/oauth/v2/auth?"),
              "the warning came after the browser was opened", r)
        check(auth_scopes(mock)[-1] == typo, "the scope was changed on a pipe", auth_scopes(mock))
        check(read_json(home.token_file())["scope"], "no tokens")


def case_scope_question_yes(home):
    """On a terminal it is a question: yes asks Zoho for the documented scope."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port,
                                   scope="ZohoCliq.channels.read,ZohoCliq.Messages.CREATE"))
    t.wait_for_text("use ZohoCliq.Channels.READ instead? [Y/n]", 20)
    check(not mock.requests("/oauth/v2/auth"), "the consent page was asked for before the answer")
    t.type("y\n")
    decline_save(t)
    rc = t.wait(60)
    check(rc == 0, "login failed", t.text())
    check(auth_scopes(mock) == ["ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE"],
          "the corrected scope was not asked for", auth_scopes(mock), t.text())


def case_scope_question_no(home):
    """... and no keeps the scope as typed."""
    mock, port = setup_login(home)
    t = Terminal(home, *login_args(mock, port, scope="ZohoCliq.Channel.READ"))
    t.wait_for_text("use ZohoCliq.Channels.READ instead? [Y/n]", 20)
    t.type("n\n")
    decline_save(t)
    rc = t.wait(60)
    check(rc == 0, "login failed", t.text())
    check(auth_scopes(mock) == ["ZohoCliq.Channel.READ"], "the scope was changed",
          auth_scopes(mock), t.text())


def case_scope_other_services_silent(home):
    """Documented scopes, and scopes of services not listed, pass silently."""
    mock, port = setup_login(home)
    scope = "ZohoCliq.Channels.READ,ZohoCRM.modules.all,ZohoCliq.Userfields.UPDATE"
    r = run(home, *login_args(mock, port, scope=scope))
    check(r.returncode == 0, "login failed", r)
    check("did you mean" not in r.stderr and "warning" not in r.stderr, "a warning", r)
    check(auth_scopes(mock) == [scope], "the scopes changed", auth_scopes(mock))


def case_scope_device(home):
    """The device flow warns the same way."""
    mock, port = setup_login(home)
    r = run(home, "login", "--device", "--client-id", CLIENT_ID, "--accounts-url", mock.url,
            "--scope", "ZohoCliq.channels.read", "--timeout", "20")
    check("did you mean ZohoCliq.Channels.READ?" in r.stderr, "no did-you-mean", r)
    asked = mock.requests("/oauth/v3/device/code")
    check(asked and urllib.parse.parse_qs(asked[0]["body"])["scope"] == ["ZohoCliq.channels.read"],
          "the device code was not asked for with the scope as given", mock.requests(), r)


def case_scope_exchange(home):
    """exchange takes --scope (recorded when Zoho's answer has none): a near
    miss gets the same warning on a pipe, and goes on."""
    mock = home.mock()
    code = console_code(mock)
    r = run(home, *exchange_args(mock, "--code", code, "--scope", "ZohoCliq.users.read"))
    check(r.returncode == 0, "exchange failed", r)
    check("did you mean ZohoCliq.Users.READ?" in r.stderr, "no did-you-mean", r)


def case_dc_any_case(home):
    """--dc EU and dc = Eu name the EU data centre."""
    mock, port = setup_login(home)
    redirect = "http://localhost:%d/callback" % port
    for dc in ("EU", "Eu", "eu"):
        r = run(home, "login", "--dc", dc, "--client-id", CLIENT_ID, "--scope",
                "ZohoCliq.Channels.READ", "--no-browser", "--no-preflight", "--timeout", "1",
                "--redirect-uri", redirect)
        check("unknown data centre" not in r.stderr and "accounts.zoho.eu/oauth/v2/auth" in r.stderr,
              "--dc %s was not the EU data centre" % dc, r)
    write_config(home, "[profile default]\nclient_id = %s\ndc = Eu\nscope = ZohoCliq.Channels.READ\n"
                 "redirect_uri = %s\n" % (CLIENT_ID, redirect))
    r = run(home, "login", "--no-browser", "--no-preflight", "--timeout", "1")
    check("accounts.zoho.eu/oauth/v2/auth" in r.stderr, "dc = Eu was not the EU data centre", r)
    r = run(home, "login", "--dc", "Mars", "--client-id", CLIENT_ID, "--scope",
            "ZohoCliq.Channels.READ", "--timeout", "1")
    check(r.returncode == 2 and "unknown data centre 'Mars'" in r.stderr, "--dc Mars", r)


# --- did you mean ---

def case_did_you_mean(home):
    """Typos get the nearest command or option; far-off names get none;
    help NOSUCH is an error (status 2), not the general help."""
    for args, said in ((["tokn"], "did you mean 'token'?"),
                       (["Refrsh"], "did you mean 'refresh'?"),
                       (["help", "staus"], "did you mean 'status'?"),
                       (["token", "--lock-timout", "3"], "did you mean --lock-timeout?"),
                       (["login", "--no-preflite"], "did you mean --no-preflight?"),
                       (["curl", "--alow-host", "x", "/api"], "did you mean --allow-host?")):
        r = run(home, *args)
        check(r.returncode == 2 and said in r.stderr and r.stdout == "", "%s" % args, r)
    for args in (["xyzzyq"], ["help", "NOSUCH"], ["token", "--qqqqqqqq"]):
        r = run(home, *args)
        check(r.returncode == 2 and "did you mean" not in r.stderr and r.stdout == "",
              "%s: expected a plain refusal" % args, r)
    r = run(home, "help", "token")
    check(r.returncode == 0 and "--min-valid" in r.stdout, "help token", r)


def case_profile_typo_login_warns(home):
    """login -p wrok when "work" exists: a warning, and (on a pipe) the login
    goes on and makes "wrok", as a first login does."""
    mock, port = setup_login(home)
    write_config(home, "[profile work]\nclient_id = %s\nscope = ZohoCliq.Channels.READ\n" % CLIENT_ID)
    r = run(home, *login_args(mock, port, "-p", "wrok"))
    check(r.returncode == 0, "login failed", r)
    check("no profile 'wrok'; did you mean 'work'?" in r.stderr, "no did-you-mean", r)
    check(os.path.exists(home.token_file("wrok")), "the new profile was not made", r)
    # Now it exists: no more warnings.
    r = run(home, *login_args(mock, port, "-p", "wrok", "--force"))
    check(r.returncode == 0 and "did you mean" not in r.stderr, "warned about an existing profile", r)


def case_profile_typo_token_errors(home):
    """Commands that need tokens name the near profile in their error; a
    far-off name gets the plain error."""
    mock, port = setup_login(home)
    write_tokens(home, mock, profile="work")
    for args in (["token"], ["header"], ["refresh"], ["status"], ["revoke"], ["curl", "/api"]):
        r = run(home, args[0], "-p", "wrok", *args[1:])
        check(r.returncode == 7, "%s -p wrok: expected status 7" % args[0], r)
        check("no profile 'wrok'; did you mean 'work'?" in r.stderr
              and "zoho-oauth login --profile wrok" in r.stderr, "%s: no suggestion" % args[0], r)
    r = run(home, "token", "--profile", "Work")
    check(r.returncode == 7 and "did you mean 'work'?" in r.stderr, "a case difference", r)
    r = run(home, "token", "-p", "zzzzzzzz")
    check(r.returncode == 7 and "did you mean" not in r.stderr and "no tokens for profile" in r.stderr,
          "a far-off name", r)
    r = run(home, "token", "-p", "work")
    check(r.returncode == 0 and r.stdout.strip(), "the right name", r)


def case_profile_typo_not_questioned(home):
    """At a terminal too, an explicit new profile name is never second-
    guessed: login -p wrok warns about 'work' and makes wrok (Enter at a
    question used to abandon it)."""
    mock, port = setup_login(home)
    write_tokens(home, mock, profile="work")
    t = Terminal(home, *login_args(mock, port, "-p", "wrok"))
    t.wait_for_text("did you mean 'work'?", 20)
    t.type("\n")  # what used to answer a question
    rc = t.wait(60)
    check(rc == 0 and "[Y/n]" not in t.text(), "login asked about an explicit new name", t.text())
    check(os.path.exists(home.token_file("wrok")), "wrok was not made", t.text())


# --- logging in again ---

def case_reuse_on_second_login(home):
    """A second login on a profile uses the client, data centre, scope and
    redirect URI (and, for the file store, the secret) its tokens were made
    with, and says so in one line; what is given anew wins."""
    mock, port = setup_login(home)
    redirect = "http://localhost:%d/callback" % port
    r = run(home, *login_args(mock, port, "-p", "work"))
    check(r.returncode == 0, "first login failed", r)
    check("using the" not in r.stderr, "the first login claimed to reuse something", r)
    check(read_json(home.token_file("work")).get("redirect_uri") == redirect,
          "the token file does not record the redirect URI", read_json(home.token_file("work")))
    # No flags, no secret in the environment: all from the token file.
    r = run(home, "login", "-p", "work", "--force", "--timeout", "20",
            env={"ZOHO_CLIENT_SECRET": None})
    check(r.returncode == 0, "second login failed", r)
    check("using the client, data centre, scope and redirect URI of the existing profile 'work' "
          '(give --client-id, --dc, --scope or --redirect-uri to change them)' in r.stderr,
          "the reuse was not said", r)
    check(SECRET not in r.stderr + r.stdout, "the secret was printed", r)
    auth = [urllib.parse.parse_qs(e["query"]) for e in mock.requests("/oauth/v2/auth")]
    check(len(auth) == 2 and auth[0] == {**auth[1], "state": auth[0]["state"],
                                          "code_challenge": auth[0]["code_challenge"]},
          "the second consent request differs", auth)
    check(auth[1]["client_id"] == [CLIENT_ID] and auth[1]["redirect_uri"] == [redirect]
          and auth[1]["scope"] == ["ZohoCliq.Channels.READ,ZohoCliq.Messages.CREATE"],
          "not the first login's client, redirect and scope", auth[1])
    form = urllib.parse.parse_qs(mock.token_requests()[-1]["body"])
    check(form["client_secret"] == [SECRET] and form["client_id"] == [CLIENT_ID],
          "the token file's secret was not used", form)
    # A scope given anew wins; the rest is still reused.
    r = run(home, "login", "-p", "work", "--force", "--timeout", "20", "--scope",
            "ZohoCliq.Chats.READ")
    check(r.returncode == 0, "third login failed", r)
    check("using the client, data centre and redirect URI of the existing profile 'work'"
          in r.stderr, "the reuse line does not leave the scope out", r)
    check(auth_scopes(mock)[-1] == "ZohoCliq.Chats.READ", "the new scope was not used",
          auth_scopes(mock))


def case_no_reuse_without_tokens(home):
    """Without tokens there is nothing to reuse: no client is an error, as
    before."""
    r = run(home, "login", "-p", "fresh", "--timeout", "5")
    check(r.returncode == 2 and "no client id" in r.stderr and "using the" not in r.stderr,
          "expected the no-client error", r)


# --- --save-profile ---

CONFIG_BEFORE = ("; my settings, by hand\n[profile other]\nclient_id = 1000.OTHER  ; keep me\n"
                 "scope = ZohoCRM.modules.READ\n")


def config_path(home):
    return os.path.join(home.env["XDG_CONFIG_HOME"], "zoho-oauth", "config")


def case_save_profile(home):
    """--save-profile NAME writes the settings as [profile NAME] (0600, no
    secret, the rest of the file as it was), and login -p NAME then works
    with no flags; the same settings again are fine, other ones refused
    before any sign-in."""
    mock, port = setup_login(home)
    path = write_config(home, CONFIG_BEFORE)
    secret_file = write_secret(home, "client.secret", SECRET + "\n")
    r = run(home, *login_args(mock, port, "--save-profile", "team",
                              "--client-secret-file", secret_file),
            env={"ZOHO_CLIENT_SECRET": None})
    check(r.returncode == 0, "login --save-profile failed", r)
    check("next time: zoho-oauth login -p team" in r.stderr, "no next-time line", r)
    check(mode_of(path) == 0o600, "the config file is mode %o" % mode_of(path))
    text = open(path).read()
    check(text.startswith(CONFIG_BEFORE), "the config's other content changed", text)
    check(SECRET not in text, "the secret is in the config", text)
    redirect = "http://localhost:%d/callback" % port
    section = text[len(CONFIG_BEFORE):]
    for line in ("[profile team]", "client_id = " + CLIENT_ID, "accounts_url = " + mock.url,
                 "scope = ZohoCliq.Channels.READ,\n        ZohoCliq.Messages.CREATE",
                 "redirect_uri = " + redirect,
                 "client_secret_file = " + os.path.realpath(secret_file)):
        check(line in section, "the section lacks %r" % line, section)
    check(os.path.exists(home.token_file("team")), "the tokens are not in profile team")
    # Next time: the profile alone (the secret from its file).
    os.unlink(home.token_file("team"))
    r = run(home, "login", "-p", "team", "--timeout", "20", env={"ZOHO_CLIENT_SECRET": None})
    check(r.returncode == 0, "login -p team failed", r)
    auth = urllib.parse.parse_qs(mock.requests("/oauth/v2/auth")[-1]["query"])
    check(auth["client_id"] == [CLIENT_ID] and auth["redirect_uri"] == [redirect],
          "login -p team did not use the saved settings", auth)
    # The same settings again: fine, the file unchanged.
    r = run(home, *login_args(mock, port, "--save-profile", "team", "--force",
                              "--client-secret-file", secret_file))
    check(r.returncode == 0 and "with these settings already" in r.stderr, "same settings", r)
    check(open(path).read() == text, "the config changed")
    # Other settings under that name: refused before anything is sent.
    before = len(mock.requests())
    r = run(home, *login_args(mock, port, "--save-profile", "team", "--force",
                              scope="ZohoCliq.Chats.READ"))
    check(r.returncode == 2 and "already has a [profile team] section" in r.stderr,
          "other settings under the same name", r)
    check(len(mock.requests()) == before, "something was sent", mock.requests()[before:])
    check(open(path).read() == text, "the config changed")
    # And a name that clashes with --profile.
    r = run(home, *login_args(mock, port, "--save-profile", "a", "-p", "b"))
    check(r.returncode == 2 and "--save-profile" in r.stderr, "-p b --save-profile a", r)


def case_save_profile_question(home):
    """At a terminal, a login with --client-id and no profile asks for a
    name afterwards; on a pipe it never asks."""
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0 and "save these settings" not in r.stderr, "asked on a pipe", r)
    check(not os.path.exists(config_path(home)), "a config was written")
    t = Terminal(home, *login_args(mock, port, "--force"))
    t.wait_for_text("save these settings as a profile? name (empty for no):", 20)
    t.type("mine\n")
    rc = t.wait(60)
    check(rc == 0, "login failed", t.text())
    check("next time: zoho-oauth login -p mine" in t.text(), "no next-time line", t.text())
    text = open(config_path(home)).read()
    check(text.startswith("[profile mine]\nclient_id = %s\n" % CLIENT_ID) and SECRET not in text,
          "the section", text)
    check(mode_of(config_path(home)) == 0o600, "mode")
    # The tokens of the login went with the settings: 'token -p mine'
    # finds them, and the default profile holds none.
    r = run(home, "token", "-p", "mine")
    check(r.returncode == 0 and r.stdout.strip(), "the tokens are not in profile mine", r)
    check(not os.path.exists(home.token_file()), "the tokens stayed in the default profile")
    check("moved the tokens of this login to profile 'mine'" in t.text(), "not said", t.text())
    # Empty: nothing saved.
    t = Terminal(home, *login_args(mock, port, "--force"))
    t.wait_for_text("save these settings as a profile? name (empty for no):", 20)
    t.type("\n")
    check(t.wait(60) == 0 and open(config_path(home)).read() == text, "an empty answer saved", t.text())


def case_config_error_other_section(home):
    """A typo in another profile's section is a warning: this profile's
    token is refreshed and served."""
    mock = home.mock()
    write_tokens(home, mock, profile="good", expires_in=10)
    write_config(home, "[profile good]\nlock_timeout = 30\n\n"
                 "[profile bad]\nscpoe = ZohoCliq.Channels.READ\n")
    r = run(home, "token", "-p", "good")
    check(r.returncode == 0 and r.stdout.strip() and len(mock.token_requests()) == 1,
          "another section's typo stopped the refresh", r)
    check("warning:" in r.stderr and "scpoe" in r.stderr and "[profile bad]" in r.stderr and
          "error:" not in r.stderr, "no warning, or an error", r)


def case_config_error_own_section(home):
    """A typo in this profile's own section: a still-valid token is served
    (refreshed: the refresh needs no scope), with the warning; a sign-in,
    which uses the whole section, stops, with a did-you-mean for the key.
    A broken wait stops what must wait, but the valid token is served."""
    mock, port = setup_login(home)
    write_tokens(home, mock, profile="p", expires_in=200)
    write_config(home, "[profile p]\nscpoe = ZohoCliq.Channels.READ\n")
    r = run(home, "token", "-p", "p")
    check(r.returncode == 0 and r.stdout.strip() and "scpoe" in r.stderr and
          "error:" not in r.stderr, "the valid token was withheld", r)
    r = run(home, *login_args(mock, port, "-p", "p", "--force"))
    check(r.returncode == 2 and "unknown setting 'scpoe': did you mean 'scope'?" in r.stderr,
          "login went on with a broken section", r)
    write_tokens(home, mock, profile="p", expires_in=200)
    write_config(home, "[profile p]\nlock_timeout = soon\n")
    r = run(home, "token", "-p", "p")
    check(r.returncode == 0 and r.stdout.strip() and "lock_timeout" in r.stderr and
          "error:" not in r.stderr, "a broken wait withheld the valid token", r)
    write_tokens(home, mock, profile="p", expires_in=-10)
    r = run(home, "token", "-p", "p")
    check(r.returncode == 2 and "error:" in r.stderr and "lock_timeout" in r.stderr,
          "an expired token with a broken wait", r)


def case_config_live_tokens(home):
    """live_tokens (Zoho's live access tokens per refresh token) takes a
    whole number up to 30, the highest figure Zoho's pages give; anything
    else is a problem of the section, said with the range, and a sign-in
    stops on it."""
    mock, port = setup_login(home)
    for bad in ("31", "0", "ten"):
        write_config(home, "[profile p]\nlive_tokens = %s\n" % bad)
        r = run(home, *login_args(mock, port, "-p", "p", "--force"))
        check(r.returncode == 2 and
              "live_tokens is a whole number from 1 to 30, not '%s'" % bad in r.stderr,
              "live_tokens = %s was taken" % bad, r)
    write_config(home, "[profile p]\nlive_tokens = 15\n")
    r = run(home, *login_args(mock, port, "-p", "p", "--force"))
    check(r.returncode == 0 and "live_tokens is" not in r.stderr, "live_tokens = 15 refused", r)
    write_config(home, "[profile p]\nlive_tkens = 15\n")
    r = run(home, "status", "-p", "p")
    check("did you mean 'live_tokens'?" in r.stderr, "no did-you-mean for live_tokens", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
