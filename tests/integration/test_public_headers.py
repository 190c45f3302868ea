"""The public headers (engine/include/sipring/*.h) as an embedder meets them.

Each header must compile on its own with nothing but the C++ standard library and system headers
on the include path (no fmt, no nlohmann-json, no BoringSSL, no sipring internals): an embedder
installs only engine/include. Compiled with -fsyntax-only, one header at a time, bounded by a
timeout; skipped when no C++ compiler is installed.
"""

import glob
import os
import re
import shutil
import subprocess
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
INCLUDE = os.path.join(ROOT, "engine", "include")
HEADERS = sorted(glob.glob(os.path.join(INCLUDE, "sipring", "*.h")))
# Library headers a public header must not need (they are sipring's own dependencies).
FORBIDDEN = re.compile(r'^\s*#\s*include\s*[<"](fmt|nlohmann|openssl|liburing|CLI)/', re.M)
QUOTED = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


class PublicHeaders(unittest.TestCase):
    def test_there_are_public_headers(self):
        self.assertGreater(len(HEADERS), 5, INCLUDE)

    def test_each_includes_only_std_system_and_public_headers(self):
        for path in HEADERS:
            text = open(path, encoding="utf-8").read()
            name = os.path.relpath(path, INCLUDE)
            m = FORBIDDEN.search(text)
            self.assertIsNone(m, "%s includes %s" % (name, m and m.group(0).strip()))
            for inc in QUOTED.findall(text):
                self.assertTrue(inc.startswith("sipring/"), "%s includes %s" % (name, inc))
                self.assertTrue(os.path.exists(os.path.join(INCLUDE, inc)),
                                "%s includes %s, which is not public" % (name, inc))

    def test_each_compiles_on_its_own(self):
        cxx = shutil.which("g++") or shutil.which("clang++")
        if cxx is None:
            self.skipTest("SKIP: no C++ compiler (g++ or clang++) installed")
        for path in HEADERS:
            name = os.path.relpath(path, INCLUDE)
            r = subprocess.run([cxx, "-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Werror",
                                "-I", INCLUDE, "-x", "c++", "-"],
                               input='#include "%s"\n' % name, capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 0, "%s does not compile on its own:\n%s"
                             % (name, r.stderr[-3000:]))


if __name__ == "__main__":
    unittest.main()
