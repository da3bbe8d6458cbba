#!/usr/bin/env python3
"""The layers of src/, from the bottom: core, zoho, settings, store,
signin, cmd, and main.c / front.c on top. This test fails when:

- a file includes a header of a layer above its own, or one that is not
  qualified by its folder;
- a file of store/ or signin/ sees the command's settings: includes
  settings/settings.h or settings/cli.h, directly or through the headers it
  includes, or names struct settings. Those layers get the profile handle
  (settings/profile.h) and explicit arguments, never the settings and
  never "which command is running";
- a global log mode is back: a switch that turns errors into warnings or
  captures them (core/log.h has scoped reports instead), or a change of
  the log level anywhere but where the run's level is set once from the
  command line."""
import os
import re
import sys

LAYERS = ["core", "zoho", "settings", "store", "signin", "cmd"]
TOP = len(LAYERS)  # main.c, front.c
# Generated into the build directory.
UNQUALIFIED_OK = {"config.h"}
# Below cmd/, what may not be seen of the settings.
NO_SETTINGS = ("store", "signin")
SETTINGS_HEADERS = {"settings/settings.h", "settings/cli.h"}
# Where the run's log level is set, once.
LEVEL_SET_IN = {"settings/settings.c", "front.c"}
GLOBAL_MODES = re.compile(r"\blog_(errors_as_warnings|errors_are_warnings|capture_errors)\b")
INCLUDE = re.compile(r'\s*#\s*include\s+"([^"]+)"')


def layer_of(rel):
    top = rel.split("/", 1)[0]
    if top in LAYERS:
        return LAYERS.index(top)
    if "/" not in rel:
        return TOP
    return None


def includes_of(src, rel, cache):
    """The project headers rel includes, directly and through them."""
    if rel in cache:
        return cache[rel]
    cache[rel] = set()
    path = os.path.join(src, rel)
    found = set()
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = INCLUDE.match(line)
                if m and m.group(1) not in UNQUALIFIED_OK:
                    found.add(m.group(1))
                    found |= includes_of(src, m.group(1), cache)
    cache[rel] = found
    return found


def main(src):
    problems = []
    cache = {}
    for root, _, names in os.walk(src):
        for name in sorted(names):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            mine = layer_of(rel)
            if mine is None:
                problems.append("%s: in no layer (folders: %s)" % (rel, ", ".join(LAYERS)))
                continue
            with open(path, encoding="utf-8") as f:
                text = f.read()
            for n, line in enumerate(text.split("\n"), 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                inc = m.group(1)
                if inc in UNQUALIFIED_OK:
                    continue
                theirs = layer_of(inc) if "/" in inc else None
                if theirs is None or theirs == TOP:
                    problems.append("%s:%d: include \"%s\" is not qualified by a layer folder"
                                    % (rel, n, inc))
                elif theirs > mine:
                    problems.append("%s:%d: %s/ includes \"%s\" from the layer above it"
                                    % (rel, n, LAYERS[mine] if mine < TOP else "top", inc))
            if rel.split("/", 1)[0] in NO_SETTINGS:
                seen = includes_of(src, rel, cache) & SETTINGS_HEADERS
                if seen:
                    problems.append("%s: sees the command's settings through %s: pass the "
                                    "profile (settings/profile.h) and arguments instead"
                                    % (rel, ", ".join(sorted(seen))))
                code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
                if re.search(r"\bstruct\s+settings\b", code):
                    problems.append("%s: names struct settings" % rel)
            code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
            if GLOBAL_MODES.search(code):
                problems.append("%s: a global log mode (%s): open a report (core/log.h) "
                                "instead" % (rel, GLOBAL_MODES.search(code).group(0)))
            if re.search(r"\blog_set_level\s*\(", code) and rel not in LEVEL_SET_IN and \
                    not rel.startswith("core/log."):
                problems.append("%s: changes the log level: a callee is muted by a report "
                                "(core/log.h), not by the level" % rel)
    for p in problems:
        print(p)
    if problems:
        return 1
    print("ok: %s, then main.c and front.c; store/ and signin/ see no settings; no global "
          "log mode" % " < ".join(LAYERS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")))
