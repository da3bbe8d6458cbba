#!/usr/bin/env python3
"""End-to-end tests of zoho-oauth status: times in local time with the
zone and how long until or ago, every profile at once (--all), and asking
Zoho whether the refresh token still works (--online). Against the mock
Zoho Accounts server."""
import json
import os
import time

from harness import (CLIENT_ID, SECRET, check, main, read_json, run, write_config, write_tokens)

# A zone without tzdata: five and a half hours east of UTC, named XYZ.
TZ = "XYZ-5:30"


def local(epoch):
    """epoch as the tool shows it in TZ: UTC + 5:30."""
    return time.strftime("%Y-%m-%d %H:%M:%S XYZ", time.gmtime(epoch + 5 * 3600 + 1800))


def case_local_time(home):
    """Each time in local time with the zone, with how long until or ago;
    --json keeps Unix seconds."""
    mock = home.mock()
    now = int(time.time())
    data = write_tokens(home, mock, expires_in=3540, obtained_at=now - 180)
    r = run(home, "status", env={"TZ": TZ})
    check(r.returncode == 0, "status failed", r)
    check("access token:   valid, expires %s (in 5" % local(data["expires_at"]) in r.stdout,
          "the expiry is not in local time with the zone and the time left", r)
    check("obtained:       %s (3 minutes ago)" % local(now - 180) in r.stdout or
          "obtained:       %s (3 minutes ago)" % local(now - 181) in r.stdout,
          "the time obtained is not in local time with how long ago", r)
    r = run(home, "status", "--json", env={"TZ": TZ})
    j = json.loads(r.stdout)
    check(j["expires_at"] == data["expires_at"] and j["obtained_at"] == now - 180,
          "--json does not keep Unix seconds", j)
    old = write_tokens(home, mock, expires_in=-7200)
    r = run(home, "status", env={"TZ": TZ})
    check("access token:   expired %s (2 hours ago)" % local(old["expires_at"]) in r.stdout,
          "an expired token's time is not in local time with how long ago", r)


CASES = {name[5:]: fn for name, fn in globals().items() if name.startswith("case_")}

if __name__ == "__main__":
    main(CASES)
