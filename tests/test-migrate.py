#!/usr/bin/env python3
"""migrate: a profile's tokens moved to another store and back, without a
new sign-in; into a database row another machine's fleet holds only
with --force."""

from harness import (SECRET, SKIP, PgCluster, PrivateBus, cache_files, check, fleet,
                     keyring_available, login_args, lookup, main, needs, postgresql_available,
                     read_json, row, run, setup_login, token_path, write_config, write_tokens)


@needs("keyring")
def case_keyring(home):
    """file -> keyring -> file, without a new sign-in."""
    if not keyring_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    mock = home.mock()
    data = write_tokens(home, mock, expires_in=3000)
    r = run(home, "migrate", "--to", "keyring", env=bus.env)
    check(r.returncode == 0, "migrate --to keyring", r)
    meta = read_json(home.token_file())
    check(meta["store"] == "keyring" and "client_secret" not in meta, "metadata", meta)
    check(lookup(bus, "refresh-token") == data["refresh_token"], "refresh token not moved")
    check(lookup(bus, "client-secret") == SECRET, "secret not moved")
    r = run(home, "token", env=bus.env)
    check(r.returncode == 0 and r.stdout == data["access_token"] + "\n", "token after", r)
    r = run(home, "migrate", "--to", "keyring", env=bus.env)
    check(r.returncode == 0 and "nothing to do" in r.stderr, "again", r)
    r = run(home, "migrate", "--to", "file", env=bus.env)
    check(r.returncode == 0, "migrate --to file", r)
    back = read_json(home.token_file())
    check(back["refresh_token"] == data["refresh_token"] and back["client_secret"] == SECRET and
          back["access_token"] == data["access_token"], "the file is not whole again", back)
    check(lookup(bus, "refresh-token") is None, "the keyring still holds it")
    check(not cache_files(bus), "the cache was left")
    check(not mock.token_requests(), "a migration talked to Zoho")


@needs("postgresql")
def case_postgresql(home):
    """migrate --to postgresql://... moves a file profile into the
    database (read back first), and --to file moves it back: the row goes,
    the token file holds everything again."""
    if not postgresql_available():
        return SKIP
    pg = PgCluster(home)
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port))
    check(r.returncode == 0, "login", r)
    before = read_json(home.token_file())
    # The machine that moves it in gives the row its figure of live tokens.
    write_config(home, "[profile default]\nlive_tokens = 15\n")
    r = run(home, "migrate", "--to", pg.uri())
    check(r.returncode == 0, "migrate --to postgresql", r)
    check(row(pg)["refresh_token"] == before["refresh_token"], "the row lacks the refresh token")
    check(row(pg).get("live_tokens") == 15, "the row lacks the figure of live tokens", row(pg))
    meta = read_json(home.token_file())
    check(meta["store"] == pg.uri() and meta.get("refresh_token") is True, "the metadata", meta)
    r = run(home, "token")
    check(r.returncode == 0 and r.stdout.strip() == before["access_token"], "token after", r)
    r = run(home, "migrate", "--to", "file")
    check(r.returncode == 0, "migrate --to file", r)
    check(read_json(home.token_file())["refresh_token"] == before["refresh_token"],
          "the file lacks the refresh token")
    check(pg.psql("SELECT count(*) FROM zoho_oauth_tokens") == "0", "the row stayed")


@needs("postgresql")
def case_into_fleet(home):
    """migrate --to the database of a profile the fleet already has there
    is refused (exit 2), saying whose it is; --force replaces it."""
    if not postgresql_available():
        return SKIP
    pg, mock, (a, b, c) = fleet(home)
    fleet_refresh = row(pg)["refresh_token"]
    mine = write_tokens(home, mock, path=token_path(c), refresh="1000.refresh.c-own")
    r = run(home, "migrate", "--to", pg.uri(), env=c)
    check(r.returncode == 2 and "already holds tokens" in r.stderr and "--force" in r.stderr,
          "migrate replaced the fleet's row", r)
    check(row(pg)["refresh_token"] == fleet_refresh and
          read_json(token_path(c))["refresh_token"] == mine["refresh_token"], "something moved")
    r = run(home, "migrate", "--to", pg.uri(), "--force", env=c)
    check(r.returncode == 0 and row(pg)["refresh_token"] == mine["refresh_token"],
          "migrate --force", r)


@needs("keyring", "postgresql")
def case_postgresql_to_keyring_keeps_cache(home):
    """From PostgreSQL to the keyring: the access token the new store cached
    stays (both stores cache it under the same name), so the next token
    costs no refresh."""
    if not keyring_available() or not postgresql_available():
        return SKIP
    bus = PrivateBus(home, keyring=True)
    pg = PgCluster(home)
    mock, port = setup_login(home)
    r = run(home, *login_args(mock, port, "--store", pg.uri()), env=bus.env)
    check(r.returncode == 0, "login into the database", r)
    before = len(mock.token_requests())
    r = run(home, "migrate", "--to", "keyring", env=bus.env)
    check(r.returncode == 0, "migrate --to keyring", r)
    r = run(home, "token", env=bus.env)
    check(r.returncode == 0 and len(mock.token_requests()) == before,
          "the migration cost a refresh", r, mock.requests())


def case_no_tokens(home):
    """A profile with no tokens anywhere: exit 7, saying so and how to make
    them; never "nothing to do"."""
    for to in ("file", "keyring"):
        r = run(home, "migrate", "--to", to, "-p", "empty")
        check(r.returncode == 7 and "no tokens for profile 'empty'" in r.stderr and
              "zoho-oauth login --profile empty" in r.stderr and "nothing to do" not in r.stderr,
              "migrate --to %s with no tokens" % to, r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
