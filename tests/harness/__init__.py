"""Shared helpers for the end-to-end tests: a temporary home, the mock
Zoho Accounts server, the stand-in browser, and running zoho-oauth.

The test files import what they use from here; each module holds one
responsibility:

  common      where things are, the made-up client, check() and Failure
  ports       ports for the tool's listener, reserved across test processes
  mock        the mock Zoho Accounts server and what a case asks of it
  home        a throwaway $HOME for a case
  files       token files and the config, as a case writes and reads them
  tool        running zoho-oauth to the end; the command lines cases share
  background  zoho-oauth running while the case goes on
  listener    the browser's side of a sign-in
  namespace   the case again in private namespaces (real host names, tmpfs)
  postgresql  a throwaway PostgreSQL cluster
  keyring     a private session bus with the real Secret Service
  case        the case runner: --list for meson (what each case needs),
              attempts, exit statuses
"""
from .background import Background
from .case import main, needs, no_audit
from .common import BINARY, CLIENT_ID, HERE, PYTHON, SECRET, SKIP, Failure, check, wait_for
from .files import mode_of, read_json, write_config, write_tokens
from .home import Home
from .keyring import PrivateBus
from .listener import remote_browser
from .mock import Mock, make_certificate
from .namespace import in_private_network
from .ports import free_port, port_open
from .postgresql import PG_BIN, PgCluster, pg_available
from .tool import Run, login_args, run, setup_login, unprivileged

__all__ = [
    "Background", "main", "needs", "no_audit", "BINARY", "CLIENT_ID", "HERE", "PYTHON", "SECRET", "SKIP",
    "Failure", "check", "wait_for", "mode_of", "read_json", "write_config", "write_tokens", "Home",
    "PrivateBus", "remote_browser", "Mock", "make_certificate", "in_private_network", "free_port",
    "port_open", "PG_BIN", "PgCluster", "pg_available", "Run", "login_args", "run", "setup_login",
    "unprivileged",
]
