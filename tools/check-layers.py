#!/usr/bin/env python3
"""Fails when a file includes a header from a layer its own layer may not use.

The layers and what each may use are the table below (docs/architecture.md draws it). Every
layer is its own meson library that links only what it declares; this check is what makes a
wrong #include fail the build too, since all layers share one include root.

Usage: check-layers.py SOURCE_ROOT [--stamp FILE]
"""
import os
import re
import sys

# layer -> the layers it may include from. Public headers (sipring/*.h) are open to every layer.
ALLOWED = {
    "engine/base": [],
    "crypto": ["engine/base"],
    "engine/sync": ["engine/base"],
    "engine/io": ["engine/base"],
    "engine/sip": ["engine/base"],
    "engine/config": ["engine/base"],
    "engine/tls": ["engine/base", "engine/config", "crypto"],
    "engine/reactor": ["engine/base", "engine/sync", "engine/io", "engine/sip", "engine/config",
                       "engine/tls", "crypto"],
    "engine/control": ["engine/base", "engine/config"],
    "engine/api": ["engine/base", "engine/sync", "engine/io", "engine/sip", "engine/config",
                   "engine/tls", "engine/reactor", "engine/control", "crypto"],
}
# Tools and examples build against the public API only; the tools also share tools/common
# (their command-line conventions, jemalloc settings), which itself uses the public API only.
PUBLIC_ONLY = ["tools/sipring", "tools/sipringctl", "tools/sipring-load", "tools/sipring-certs",
               "tools/common", "examples"]
for _tool in PUBLIC_ONLY:
    ALLOWED[_tool] = [] if _tool in ("tools/common", "examples") else ["tools/common"]

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    best = None
    for layer in list(ALLOWED) + PUBLIC_ONLY:
        if path == layer or path.startswith(layer + "/"):
            if best is None or len(layer) > len(best):
                best = layer
    return best


def main():
    root = sys.argv[1]
    stamp = sys.argv[sys.argv.index("--stamp") + 1] if "--stamp" in sys.argv else None
    errors = []
    for top in ["engine", "crypto", "tools", "examples"]:
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in names:
                if not name.endswith((".h", ".cc")):
                    continue
                full = os.path.join(dirpath, name)
                rel = os.path.relpath(full, root)
                mine = layer_of(rel)
                if mine is None or rel.startswith("engine/include/"):
                    continue
                text = open(full, encoding="utf-8", errors="replace").read()
                for m in INCLUDE.finditer(text):
                    inc = m.group(1)
                    if inc.startswith("sipring/"):
                        continue
                    theirs = layer_of(inc)
                    if theirs is None or theirs == mine:
                        continue
                    if theirs not in ALLOWED.get(mine, []):
                        line = text.count("\n", 0, m.start()) + 1
                        errors.append("%s:%d: layer %s may not include \"%s\" (layer %s); "
                                      "see tools/check-layers.py and docs/architecture.md"
                                      % (rel, line, mine, inc, theirs))
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    if stamp:
        with open(stamp, "w") as f:
            f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
