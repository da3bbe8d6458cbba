#!/usr/bin/env python3
"""A real browser: headless Chromium signs in through the whole login
(tests/chromium-browser.sh as $BROWSER) and shows the success page. It
is skipped, saying so, where Chromium is not installed."""
import os

from harness import (SKIP, check, login_args, main, no_audit, read_json, run, setup_login,
                     wait_for)


@no_audit
def case_login(home):
    """A real browser: headless Chromium completes the login and shows the
    success page, with the page's CSP letting its own style through."""
    import shutil
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("SKIP: Chromium is not installed (apt-get install chromium); .ci/run installs it")
        return SKIP
    mock, port = setup_login(home)
    dom = os.path.join(home.root, "dom.html")
    log = os.path.join(home.root, "chromium.log")
    env = {"BROWSER": os.path.join(os.path.dirname(__file__), "chromium-browser.sh"),
           "CHROMIUM": chromium, "CHROMIUM_DOM": dom, "CHROMIUM_LOG": log,
           "CHROMIUM_PROFILE": os.path.join(home.root, "chromium-profile")}
    r = run(home, *login_args(mock, port, "--timeout", "60"), env=env, timeout=90)
    check(r.returncode == 0, "login with Chromium failed", r)
    check(len(mock.token_requests()) == 1, "expected one exchange")
    check(wait_for(lambda: os.path.exists(dom) and "</html>" in open(dom).read(), 30),
          "Chromium printed no page")
    page = open(dom).read()
    check("Signed in to Zoho" in page and "close this tab" in page, "not the success page", page)
    check("code=" not in page and "1000." not in page, "the page shows the code or a token", page)
    console = open(log).read() if os.path.exists(log) else ""
    check("Content Security Policy" not in console, "Chromium reported a CSP violation", console)
    t = read_json(home.token_file())
    check(t["access_token"] not in page, "the page shows the token")


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
