#!/usr/bin/python3
"""A stand-in for xdg-desktop-portal's OpenURI, on the session bus, for the
tests. It owns org.freedesktop.portal.Desktop, answers OpenURI the way the
portal does (a Request object whose Response signal carries the outcome),
logs each call, and plays the browser by running tests/fake-browser.py on
the URI. Needs Debian's python3-gi (run with /usr/bin/python3).

usage: fake-portal.py LOG   (creates LOG.ready once the name is owned)
"""
import json
import os
import subprocess
import sys

from gi.repository import Gio, GLib

XML = """
<node>
  <interface name="org.freedesktop.portal.OpenURI">
    <method name="OpenURI">
      <arg type="s" name="parent_window" direction="in"/>
      <arg type="s" name="uri" direction="in"/>
      <arg type="a{sv}" name="options" direction="in"/>
      <arg type="o" name="handle" direction="out"/>
    </method>
    <property name="version" type="u" access="read"/>
  </interface>
</node>
"""
HERE = os.path.dirname(os.path.abspath(__file__))
log_path = sys.argv[1]


def on_call(conn, sender, path, iface, method, params, invocation):
    parent, uri, options = params.unpack()
    token = options.get("handle_token", "t")
    request = "/org/freedesktop/portal/desktop/request/%s/%s" % (
        sender[1:].replace(".", "_"), token)
    with open(log_path, "a") as f:
        f.write(json.dumps({"uri": uri, "parent": parent, "sender": sender}) + "\n")
    invocation.return_value(GLib.Variant("(o)", (request,)))
    # Play the browser, then say the URI was opened.
    subprocess.Popen([sys.executable, os.path.join(HERE, "fake-browser.py"), uri],
                     stdin=subprocess.DEVNULL)

    def respond():
        conn.emit_signal(sender, request, "org.freedesktop.portal.Request", "Response",
                         GLib.Variant("(ua{sv})", (0, {})))
        return False
    GLib.timeout_add(50, respond)


def on_get(conn, sender, path, iface, prop):
    return GLib.Variant("u", 4)


def on_bus(conn, name):
    node = Gio.DBusNodeInfo.new_for_xml(XML)
    conn.register_object("/org/freedesktop/portal/desktop", node.interfaces[0], on_call, on_get, None)


def on_name(conn, name):
    open(log_path + ".ready", "w").close()


Gio.bus_own_name(Gio.BusType.SESSION, "org.freedesktop.portal.Desktop",
                 Gio.BusNameOwnerFlags.NONE, on_bus, on_name, None)
GLib.MainLoop().run()
