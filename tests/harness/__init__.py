"""Shared helpers for the end-to-end tests: a temporary home, the mock
Zoho Accounts server, the stand-in browser, and running zoho-oauth.

The test files import what they use from here; each module holds one
responsibility:

  common      where things are, the made-up client, check() and Failure
  ports       ports for the tool's listener, reserved across test processes
  mock        the mock Zoho Accounts server and what a case asks of it
  home        a throwaway $HOME for a case
  files       token files, the config and secret files, as a case writes
              and reads them; a lock another process holds
  tool        running zoho-oauth to the end; the command lines cases share
  background  zoho-oauth running while the case goes on
  terminal    zoho-oauth on a pseudo-terminal
  listener    requests to the tool's listener, as a browser or an attacker
  namespace   the case again in private namespaces (real host names, tmpfs)
  postgresql  a throwaway PostgreSQL cluster, and a fleet of machines
  keyring     a private session bus with the real Secret Service
  schema      status --json held against the shape zoho-oauth(1) documents
  case        the case runner: --list for meson (what each case needs),
              attempts, exit statuses
"""
from .background import Background, RawStderr, check_no_raw_controls
from .case import main, needs, no_audit
from .common import (BINARY, CLIENT_ID, DATA, HERE, PYTHON, SECRET, SKIP, SOURCE, Failure, check,
                     wait_for)
from .files import (Holder, cache_path, current_tokens, file_state, lock_of, mode_of, read_json,
                    write_config, write_secret, write_tokens)
from .home import Home, final_page
from .keyring import PrivateBus, cache_files, keyring_available, keyring_login, lookup
from .listener import listener_get, raw, raw_reply, remote_browser
from .mock import Mock, body_of, console_code, make_certificate
from .namespace import in_private_network
from .ports import free_port, port_open
from .postgresql import (PG_BIN, PgBouncer, PgCluster, configure, fleet, machine, pg_available,
                         pgbouncer_available, postgresql_available, row, token_path)
from .schema import json_shape, status_json
from .terminal import CLEAR, Terminal, check_clean_end_of, decline_save, screen, unwrap
from .tool import (SCOPES, Run, complete, exchange_args, faketime, login_args, run, setup_login,
                   tool_env, unprivileged)

__all__ = [
    "Background", "RawStderr", "check_no_raw_controls", "main", "needs", "no_audit", "BINARY",
    "CLIENT_ID", "DATA", "HERE", "PYTHON", "SECRET", "SKIP", "SOURCE", "Failure", "check",
    "wait_for", "Holder", "cache_path", "current_tokens", "file_state", "lock_of", "mode_of", "read_json", "write_config",
    "write_secret", "write_tokens", "Home", "final_page", "PrivateBus", "cache_files",
    "keyring_available", "keyring_login", "lookup", "listener_get", "raw", "raw_reply",
    "remote_browser", "Mock", "body_of", "console_code", "make_certificate", "in_private_network",
    "free_port", "port_open", "PG_BIN", "PgBouncer", "PgCluster", "pgbouncer_available", "configure", "fleet", "machine",
    "pg_available", "postgresql_available", "row", "token_path", "json_shape", "status_json",
    "CLEAR", "Terminal", "check_clean_end_of", "decline_save", "screen", "unwrap", "SCOPES", "Run",
    "complete", "exchange_args", "faketime", "login_args", "run", "setup_login", "unprivileged",
    "tool_env",
]
