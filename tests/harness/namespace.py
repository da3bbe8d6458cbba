"""A case run again in private user, mount and network namespaces, where a
real host name can be a mock on loopback and a tmpfs can be full."""
import os
import subprocess
import sys
import tempfile

from .common import NAMESPACE_MARK, SKIP


def in_private_network(home, names=(), tmpfs=None, resolv=None):
    """Run the current case again inside new user, mount and network
    namespaces: only a loopback interface, and an /etc/hosts of its own that
    sends names to 127.0.0.1, so a test can stand in for a real host name (a
    Zoho data centre) on loopback without touching the machine. With tmpfs
    = (path, size), a tmpfs of that size is mounted at path (a full disk).
    With resolv, that text is the copy's /etc/resolv.conf (a name server of
    the case's own on loopback).
    Returns in the copy; the original exits with its status (77, skipped,
    where the kernel does not allow the namespaces)."""
    if os.environ.get(NAMESPACE_MARK):
        return
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--net", "true"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print("SKIP: this kernel or container does not allow user namespaces (%s)"
              % probe.stderr.strip())
        sys.exit(SKIP)
    hosts = tempfile.NamedTemporaryFile("w", prefix="zoho-oauth-hosts-", delete=False)
    hosts.write("127.0.0.1 localhost\n::1 localhost\n")
    for n in names:
        hosts.write("127.0.0.1 %s\n" % n)
    hosts.close()
    script = 'ip link set lo up && mount --bind "$0" /etc/hosts'
    conf = None
    if resolv:
        conf = tempfile.NamedTemporaryFile("w", prefix="zoho-oauth-resolv-", delete=False)
        conf.write(resolv)
        conf.close()
        script += ' && mount --bind "%s" "$(readlink -f /etc/resolv.conf)"' % conf.name
    if tmpfs:
        os.makedirs(tmpfs[0], exist_ok=True)
        script += ' && mount -t tmpfs -o size=%s,mode=0700 tmpfs "%s"' % (tmpfs[1], tmpfs[0])
    script += ' && exec "$@"'
    env = dict(os.environ)
    env[NAMESPACE_MARK] = "1"
    env[NAMESPACE_MARK + "_HOME"] = home.root
    r = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--net", "sh", "-c",
                        script, hosts.name, sys.executable, *sys.argv], env=env)
    os.unlink(hosts.name)
    if conf:
        os.unlink(conf.name)
    sys.exit(r.returncode)
