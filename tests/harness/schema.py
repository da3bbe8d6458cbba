"""What status --json prints, held against the shape zoho-oauth(1)
documents under JSON OUTPUT: the keys of every entry and of each object in
it, their order, their types, and which are null in which state. The
shape is read from the man page itself, so the page and the program can't
drift apart.

The page lists each key as a line of its own, "*name* (TYPE)", indented
with tabs under the key whose object holds it; TYPE is "string",
"integer", "boolean", "object" or "array of strings", joined by "or"
("or null" when it may be missing), and "TYPE in STATE and STATE, else
null" for a key that has a value only in those states. A line "*value*"
alone under a key lists one of its values (the states)."""
import json
import os
import re

from .common import SOURCE, check

MAN = os.path.join(SOURCE, "man", "zoho-oauth.1.scd")
TERM = re.compile(r"^(\t*)\*([a-z_]+)\*(?: \((.+)\))?$")
IN_STATES = re.compile(r"^(.+) in ([a-z_]+(?: and [a-z_]+)*), else null$")
TYPES = {"string": str, "integer": int, "boolean": bool, "object": dict,
         "array of strings": list, "null": type(None)}


class Key:
    def __init__(self, name, types, states, depth):
        self.name, self.types, self.states, self.depth = name, types, states, depth
        self.keys = []    # an object's keys, in order
        self.values = []  # the values the page lists, if it lists them


def _key(name, spec, depth):
    m = IN_STATES.match(spec)
    types, states = (m.group(1), m.group(2).split(" and ")) if m else (spec, None)
    types = types.split(" or ")
    for t in types:
        check(t in TYPES, "zoho-oauth(1), JSON OUTPUT: %s has an unknown type %r" % (name, t))
    return Key(name, types, states, depth)


def json_shape():
    """The entry's keys as the man page lists them, and the version."""
    with open(MAN) as f:
        text = f.read()
    check("\n# JSON OUTPUT\n" in text, "zoho-oauth(1) has no JSON OUTPUT section")
    section = text.split("\n# JSON OUTPUT\n", 1)[1].split("\n# ", 1)[0].split("\n## ", 1)[0]
    top = Key("entry", ["object"], None, -1)
    open_keys = [top]
    for line in section.splitlines():
        m = TERM.match(line)
        if not m:
            continue
        depth = len(m.group(1))
        while open_keys[-1].depth >= depth:
            open_keys.pop()
        parent = open_keys[-1]
        check(depth == parent.depth + 1, "zoho-oauth(1), JSON OUTPUT: %r is indented too far"
              % line)
        if m.group(3) is None:
            parent.values.append(m.group(2))
        else:
            key = _key(m.group(2), m.group(3), depth)
            parent.keys.append(key)
            open_keys.append(key)
    version = re.search(r"^\*schema\* \(integer\)\n\tThe version of this shape: \*(\d+)\*\.$",
                        section, re.M)
    check(top.keys and version, "zoho-oauth(1), JSON OUTPUT: no keys, or no schema version")
    return top, int(version.group(1))


def _holds(obj, keys, state, where):
    names = [k.name for k in keys]
    check(isinstance(obj, dict) and list(obj) == names,
          "%s: not the keys zoho-oauth(1) lists, in its order" % where,
          "printed:    %s" % (list(obj) if isinstance(obj, dict) else obj),
          "documented: %s" % names)
    for k in keys:
        value = obj[k.name]
        types = k.types if k.states is None or state in k.states else ["null"]
        # (A boolean is no integer here, though Python's bool is an int.)
        check(any(type(value) is TYPES[t] for t in types),
              "%s.%s is %r: zoho-oauth(1) says %s for state %s" % (where, k.name, value,
                                                                  " or ".join(types), state))
        if k.values:
            check(value in k.values, "%s.%s is %r: zoho-oauth(1) lists %s" % (where, k.name,
                                                                             value, k.values))
        if isinstance(value, list):
            check(all(type(v) is str for v in value), "%s.%s holds a non-string" %
                  (where, k.name), value)
        if isinstance(value, dict):
            _holds(value, k.keys, state, where + "." + k.name)


def check_entry(entry, top, version, where="entry"):
    """One entry against the page: its keys, their order and types, the
    nulls of its state, the version, and the status its state gives."""
    states = next((k.values for k in top.keys if k.name == "state"), [])
    check(isinstance(entry, dict) and entry.get("state") in states,
          "%s has no state that zoho-oauth(1) lists" % where, entry)
    _holds(entry, top.keys, entry["state"], where)
    check(entry["schema"] == version, "%s: schema %r, zoho-oauth(1) says %d" %
          (where, entry["schema"], version))
    status = entry["status"]
    check({"signed_in": status == 0, "no_tokens": status == 7,
           "error": status not in (0, 7)}[entry["state"]],
          "%s: status %d for state %s" % (where, status, entry["state"]))


def status_json(r):
    """status --json's output (a Run), held against zoho-oauth(1): one
    entry, or with --all an array of them. Returns what it parsed."""
    check(r.stdout.strip(), "status --json printed nothing", r)
    try:
        printed = json.loads(r.stdout)
    except ValueError as e:
        check(False, "status --json printed something that is not JSON: %s" % e, r)
    top, version = json_shape()
    if isinstance(printed, list):
        for i, entry in enumerate(printed):
            check_entry(entry, top, version, "entry %d" % i)
    else:
        check_entry(printed, top, version)
    return printed
