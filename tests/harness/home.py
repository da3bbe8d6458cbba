"""A throwaway $HOME for a case: XDG directories, the stand-in browser,
the case's mocks, and what to undo at the end."""
import json
import os
import shutil
import tempfile

from .common import HERE, NAMESPACE_MARK, SECRET, check, wait_for
from .mock import Mock


class Home:
    """A throwaway $HOME with XDG directories and the stand-in browser."""

    def __init__(self, name):
        # A case rerun in namespaces (in_private_network) keeps its home.
        self.root = os.environ.get(NAMESPACE_MARK + "_HOME") or \
            tempfile.mkdtemp(prefix="zoho-oauth-%s-" % name)
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home, exist_ok=True)
        self.browser_log = os.path.join(self.root, "browser.jsonl")
        self.mocks = []
        self.cleanups = []
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_DATA_HOME": os.path.join(self.home, ".local", "share"),
            "XDG_CONFIG_HOME": os.path.join(self.home, ".config"),
            "LANG": "C.UTF-8",
            "BROWSER": os.path.join(HERE, "fake-browser.py"),
            "FAKE_BROWSER_LOG": self.browser_log,
            "ZOHO_CLIENT_SECRET": SECRET,
            # No refresh ahead (a detached refresher behind a served call)
            # unless a case asks for it with CI=None: what the mock sees
            # stays what the case did.
            "CI": "1",
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "MSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.audit = None
        if os.environ.get("ZOHO_OAUTH_AUDIT"):
            import audit
            self.audit = audit.Auditor(self)

    def mock(self, *modes, redirect_uris=(), name="mock", tls=None, extra_tls=None):
        # A directory of its own: a second mock of the same name would find
        # the first one's port file and log and talk to the wrong server.
        taken = {m.name for m in self.mocks}
        unique, n = name, 1
        while unique in taken:
            n += 1
            unique = "%s-%d" % (name, n)
        m = Mock(self, modes, redirect_uris, unique, tls, extra_tls)
        self.mocks.append(m)
        return m

    def token_file(self, profile="default"):
        return os.path.join(self.env["XDG_DATA_HOME"], "zoho-oauth", profile + ".json")

    def browser_records(self, wait=True, count=1, timeout=10):
        """What the stand-in browser recorded, one entry per run of it.
        It outlives the tool (detached) and writes after it has seen the
        outcome page, so with wait this waits, up to timeout seconds, for
        count complete entries; a line still being written is not one."""
        def complete():
            try:
                with open(self.browser_log, encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                return []
            return [json.loads(line) for line in text.split("\n")[:-1] if line.strip()]
        if wait:
            wait_for(lambda: len(complete()) >= count, timeout=timeout)
        return complete()

    def cleanup(self):
        for fn in self.cleanups:
            fn()
        for m in self.mocks:
            m.stop()
        # A copy rerun in namespaces leaves the directory to the original.
        if not os.environ.get(NAMESPACE_MARK):
            shutil.rmtree(self.root, ignore_errors=True)


def final_page(home):
    """The steps of the stand-in browser's one run, from the consent URL to
    the page it ended on."""
    recs = home.browser_records()
    check(recs, "the stand-in browser recorded nothing")
    check(recs[0]["error"] is None, "the stand-in browser failed", recs[0])
    return recs[0]["steps"]
