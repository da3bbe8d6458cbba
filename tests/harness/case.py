"""Running one case: what meson registers (--list), a fresh home for each
attempt, another attempt when another program took the tool's port, and
the exit status meson reads (0, 1, or 77 for skipped)."""
import os
import sys

from . import common
from .background import backgrounds
from .common import SKIP, Failure
from .home import Home
from .ports import note_port_clash, port_clashes


def no_audit(fn):
    """Mark a case that cannot run under the secrets audit's strace (it
    traces itself, or drives a whole real browser)."""
    fn.no_audit = True
    return fn


def needs(*features):
    """Mark a case that meson registers only where it found every feature:
    "keyring" or "postgresql" (the store's module is built), "chromium"
    (installed); "!keyring" only where it did not."""
    def mark(fn):
        fn.needs = features
        return fn
    return mark


def _registered(fn, found, default):
    for f in getattr(fn, "needs", default):
        if (f[1:] in found) if f.startswith("!") else (f not in found):
            return False
    return True


def main(cases, needs=()):
    """Run the case named on the command line: exit 0, 1, or 77 (skip).
    --list prints the case names (meson registers one test per case);
    --list --features=a,b only those whose needs (needs=: of every case
    not marked otherwise) are among the features meson found."""
    if sys.argv[1:2] == ["--list"]:
        names = list(cases)
        if len(sys.argv) == 3 and sys.argv[2].startswith("--features="):
            found = set(filter(None, sys.argv[2].split("=", 1)[1].split(",")))
            names = [n for n in names if _registered(cases[n], found, needs)]
        elif len(sys.argv) != 2:
            sys.exit("usage: %s --list [--features=a,b]" % sys.argv[0])
        print("\n".join(names))
        return
    if not common.BINARY:
        sys.exit("ZOHO_OAUTH is not set: run the tests with 'meson test'")
    if len(sys.argv) != 2 or sys.argv[1] not in cases:
        print("usage: %s CASE\ncases: %s" % (sys.argv[0], " ".join(cases)), file=sys.stderr)
        sys.exit(2)
    name = sys.argv[1]
    if os.environ.get("ZOHO_OAUTH_AUDIT") and getattr(cases[name], "no_audit", False):
        print("SKIP: %s does not run under the secrets audit (it runs in the normal suite)" % name)
        sys.exit(SKIP)
    attempts = 3
    for attempt in range(1, attempts + 1):
        del port_clashes[:]
        del backgrounds[:]
        home = Home(name)
        try:
            result = cases[name](home)
        except Exception as f:
            for bg in backgrounds:
                note_port_clash(bg.stderr())
            if port_clashes and attempt < attempts:
                # Another program bound the tool's port before it could:
                # not what the case tests. Again, with other ports.
                print("%s: port %s was taken by another program; running the case again"
                      % (name, port_clashes[0]), file=sys.stderr)
                continue
            if not isinstance(f, Failure):
                raise
            print("FAIL %s: %s" % (name, f), file=sys.stderr)
            sys.exit(1)
        finally:
            home.cleanup()
        break
    if result == SKIP:
        sys.exit(SKIP)
    print("ok %s" % name)
