#!/usr/bin/env python3
"""Prints what meson needs from Debian's BoringSSL source package (crypto/boringssl/meson.build).

  mk_sources.py SRC VARIABLE...   the files of each make VARIABLE in SRC/debian/sources.mk (the
                                  lists debian/libcrypto.mk and debian/libssl.mk build from), one
                                  absolute path a line, in the file's order
  mk_sources.py SRC --facts       three lines: the source package's version (debian/changelog),
                                  the upstream BoringSSL revision (BORINGSSL_REVISION), and the
                                  Android tag it packages (the version without Debian's revision)

Meson cannot read a makefile; this reads the only form sources.mk uses ("name := \\" followed by
one "  path\\" a line, ended by an empty line) and fails on anything else rather than guess.
"""
import os
import re
import sys


def variables(path):
    lists, name = {}, None
    with open(path, encoding='utf-8') as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.rstrip('\n')
            if name is None:
                m = re.fullmatch(r'(\w+) := \\', line)
                if m:
                    name = m.group(1)
                    lists[name] = []
                elif line and not line.startswith('#'):
                    sys.exit(f'{path}:{lineno}: unexpected line {line!r}')
            elif line == '':
                name = None
            else:
                m = re.fullmatch(r'  (\S+)\\', line)
                if not m:
                    sys.exit(f'{path}:{lineno}: unexpected line in {name}: {line!r}')
                lists[name].append(m.group(1))
    return lists


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    src = os.path.abspath(sys.argv[1])
    if sys.argv[2] == '--facts':
        with open(os.path.join(src, 'debian/changelog'), encoding='utf-8') as f:
            m = re.match(r'\S+ \(([^)]+)\)', f.readline())
        if not m:
            sys.exit(f'{src}/debian/changelog: no version on its first line')
        with open(os.path.join(src, 'BORINGSSL_REVISION'), encoding='utf-8') as f:
            revision = f.read().strip()
        print(m.group(1))
        print(revision)
        print(m.group(1).rsplit('-', 1)[0])
        return
    lists = variables(os.path.join(src, 'debian/sources.mk'))
    for name in sys.argv[2:]:
        if name not in lists:
            sys.exit(f'{src}/debian/sources.mk has no {name} (it has {", ".join(lists)})')
        for rel in lists[name]:
            path = os.path.join(src, rel)
            if not os.path.isfile(path):
                sys.exit(f'{src}/debian/sources.mk: {rel} (in {name}) does not exist')
            print(path)


if __name__ == '__main__':
    main()
