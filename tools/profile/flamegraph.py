#!/usr/bin/env python3
"""Flame graphs from `perf script` output, without Perl or anything outside Python's library.

    flamegraph.py collapse [PERF_SCRIPT] [-o FOLDED]
    flamegraph.py svg [FOLDED] [-o SVG] [--title TITLE] [--width PX]

`collapse` turns perf script's samples into "folded" stacks, one line per distinct stack:
"comm;outermost;...;innermost COUNT" (the layout of Brendan Gregg's stackcollapse-perf.pl, so
other tools read it). `svg` draws them as a flame graph: each box is a function, its width its
share of the samples (of CPU time, for cpu-clock), the boxes above it the functions it called;
the x order is alphabetical, not time. Hovering a box shows its name, samples and share.
Input defaults to stdin, output to stdout. Debian 12 ships no flame graph tool, hence this one.
"""

import argparse
import hashlib
import os
import re
import sys
from xml.sax.saxutils import escape

# "comm  pid/tid [cpu] time: [period] event:" (pid/tid, cpu and period are optional fields).
HEADER = re.compile(r"^(?P<comm>\S.*?)\s+(?P<pid>\d+)(?:/\d+)?\s+(?:\[\d+\]\s+)?\d+\.\d+:")
# "addr symbol+0xoff (dso)" ; the symbol may be "[unknown]" or hold spaces (C++ signatures).
FRAME = re.compile(r"^\s*(?P<addr>[0-9a-fA-F]+)\s+(?P<sym>.*?)(?:\s+\((?P<dso>[^()]*)\))?\s*$")
OFFSET = re.compile(r"\+0x[0-9a-fA-F]+$")


def frame_name(sym, dso):
    """A function's name as the graph shows it: without its offset; an unknown symbol is named
    after its binary; kernel functions get "_[k]" as stackcollapse-perf.pl marks them."""
    sym = OFFSET.sub("", sym.strip())
    if not sym or sym == "[unknown]":
        sym = "[%s]" % (os.path.basename(dso) if dso and dso != "[unknown]" else "unknown")
    elif dso and dso.startswith("[kernel"):
        sym += "_[k]"
    return sym.replace(";", ":")  # ';' separates frames in the folded format


def collapse(lines):
    """perf script text -> {folded stack: samples}. Each sample counts once."""
    stacks = {}
    comm = None
    frames = []

    def flush():
        if comm is not None:
            key = ";".join([comm] + frames[::-1])  # perf lists the innermost frame first
            stacks[key] = stacks.get(key, 0) + 1

    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            flush()
            comm, frames = None, []
            continue
        if line[0] not in " \t":
            flush()
            m = HEADER.match(line)
            comm, frames = (m.group("comm").replace(";", ":") if m else None), []
            continue
        if comm is None:
            continue
        m = FRAME.match(line)
        if m:
            frames.append(frame_name(m.group("sym"), m.group("dso")))
    flush()
    return stacks


def read_folded(lines):
    """Folded lines -> {stack: samples}; raises ValueError naming a malformed line."""
    stacks = {}
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            raise ValueError("line %d is not 'frame;frame;... COUNT': %r" % (n, line[:80]))
        stacks[stack] = stacks.get(stack, 0) + int(count)
    return stacks


class Node:
    __slots__ = ("name", "total", "children")

    def __init__(self, name):
        self.name = name
        self.total = 0
        self.children = {}


def build_tree(stacks):
    root = Node("all")
    for stack, count in stacks.items():
        node = root
        node.total += count
        for name in stack.split(";"):
            node = node.children.setdefault(name, Node(name))
            node.total += count
    return root


def color(name):
    """Warm colours like flamegraph.pl's "hot" palette, stable per name; kernel frames orange."""
    h = hashlib.md5(name.encode()).digest()
    if name.endswith("_[k]"):
        return "rgb(%d,%d,%d)" % (230 + h[0] % 25, 140 + h[1] % 40, 40 + h[2] % 30)
    return "rgb(%d,%d,%d)" % (205 + h[0] % 50, 60 + h[1] % 130, 40 + h[2] % 40)


def svg(stacks, title, width=1200):
    """The flame graph of `stacks` as SVG text (valid XML, no script)."""
    root = build_tree(stacks)
    pad, row, font = 10, 16, 12
    boxes = []  # (depth, x, width, node)
    scale = (width - 2 * pad) / root.total if root.total else 0
    max_depth = 0

    def place(node, depth, x):
        nonlocal max_depth
        w = node.total * scale
        if w < 0.1:  # invisible: leave it and its callees out
            return
        boxes.append((depth, x, w, node))
        max_depth = max(max_depth, depth)
        for name in sorted(node.children):
            child = node.children[name]
            place(child, depth + 1, x)
            x += child.total * scale

    if root.total:
        place(root, 0, pad)
    top = 3 * row
    height = top + (max_depth + 1) * row + pad
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
           '<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d" font-family="Verdana, sans-serif" font-size="%d">'
           % (width, height, width, height, font),
           '<rect x="0" y="0" width="%d" height="%d" fill="#f8f8f0"/>' % (width, height),
           '<text x="%d" y="%d" text-anchor="middle" font-size="%d">%s</text>'
           % (width // 2, row + 2, font + 4, escape(title)),
           '<text x="%d" y="%d" fill="#555">%d samples; width = share of samples; '
           'callers below, callees above; hover a box for its figures</text>'
           % (pad, 2 * row + 2, root.total)]
    char_px = font * 0.59
    for depth, x, w, node in boxes:
        y = height - pad - (depth + 1) * row
        share = 100.0 * node.total / root.total
        label = "%s (%d samples, %.2f%%)" % (node.name, node.total, share)
        fits = int((w - 6) / char_px)
        text = node.name if len(node.name) <= fits else (
            node.name[:fits - 2] + ".." if fits >= 3 else "")
        out.append('<g><title>%s</title><rect x="%.1f" y="%d" width="%.1f" height="%d" '
                   'fill="%s" rx="2" ry="2"/>' % (escape(label), x, y, w, row - 1,
                                                  "#d0d0d0" if depth == 0 else color(node.name)))
        if text:
            out.append('<text x="%.1f" y="%d">%s</text>' % (x + 3, y + row - 4, escape(text)))
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collapse", help="perf script output -> folded stacks")
    c.add_argument("input", nargs="?", help="perf script output (default: stdin)")
    c.add_argument("-o", "--output", help="folded stacks file (default: stdout)")
    s = sub.add_parser("svg", help="folded stacks -> flame graph SVG")
    s.add_argument("input", nargs="?", help="folded stacks (default: stdin)")
    s.add_argument("-o", "--output", help="SVG file (default: stdout)")
    s.add_argument("--title", default="Flame graph", help="the graph's title")
    s.add_argument("--width", type=int, default=1200, help="width in pixels (200..10000)")
    a = p.parse_args(argv)
    if a.cmd == "svg" and not 200 <= a.width <= 10000:
        p.error("--width %d is not in 200..10000" % a.width)
    try:
        src = open(a.input, errors="replace") if a.input else sys.stdin
        with src:
            if a.cmd == "collapse":
                stacks = collapse(src)
                text = "".join("%s %d\n" % kv for kv in sorted(stacks.items()))
            else:
                stacks = read_folded(src)
                text = svg(stacks, a.title, a.width)
        if not stacks:
            print("flamegraph.py: no samples in %s" % (a.input or "stdin"), file=sys.stderr)
            return 1
        if a.output:
            with open(a.output, "w") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
    except (OSError, ValueError) as e:
        print("flamegraph.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
