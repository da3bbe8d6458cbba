#!/usr/bin/env python3
"""The layers of src/, from the bottom: core, zoho, settings, store,
signin, cmd, and main.c / front.c on top. A file may include headers of its
own layer and of the layers below it, never above: this test fails on an
include that runs upward, or on one that is not qualified by its folder."""
import os
import re
import sys

LAYERS = ["core", "zoho", "settings", "store", "signin", "cmd"]
TOP = len(LAYERS)  # main.c, front.c
# Generated into the build directory.
UNQUALIFIED_OK = {"config.h"}


def layer_of(rel):
    top = rel.split("/", 1)[0]
    if top in LAYERS:
        return LAYERS.index(top)
    if "/" not in rel:
        return TOP
    return None


def main(src):
    problems = []
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
                for n, line in enumerate(f, 1):
                    m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
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
    for p in problems:
        print(p)
    if problems:
        return 1
    print("ok: %s, then main.c and front.c" % " < ".join(LAYERS))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")))
