"""Which BoringSSL sipring runs on (issue 11), as the start-up feature line and core.version say.

The build chooses it (meson -Dboringssl): "source", the default, is BoringSSL built from Debian's
source package without OPENSSL_SMALL and linked in statically, so the fast P-256 (nistz256 with
its precomputed tables) is compiled in and the line says the P-256 group really uses it (read
from the group at run time); "system" is Debian's shared android-libboringssl, built with
OPENSSL_SMALL. Each test checks the line against the build's own facts: its meson options, the
source package's version (deps/boringssl/src/.sipring-version) or the installed package's
(dpkg-query), and the files the running daemon has mapped (the source build maps no libssl or
libcrypto at all, the system build maps Debian's; neither maps OpenSSL 3's).
"""

import os
import re
import subprocess
import unittest

import harness as h

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SYSTEM_DIR = "/usr/lib/x86_64-linux-gnu/android/"


def boringssl_option(build):
    return h.build_options(build).get("boringssl", "system")


class TlsLibraryLine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = h.start_daemon(cls)
        cls.source = boringssl_option(h.build_dir()) == "source"

    def feature_line(self):
        lines = [l for l in self.d.log_lines() if "io_uring: " in l and "; TLS: " in l]
        self.assertEqual(len(lines), 1, self.d.log_text())
        return lines[0]

    def expected(self):
        """A pattern for the TLS part of the line, from the build's own facts."""
        if self.source:
            with open(os.path.join(SOURCE_ROOT, "deps/boringssl/src/.sipring-version")) as f:
                version = f.read().strip()
            upstream = version.rsplit("-", 1)[0]
            return (r"TLS: BoringSSL 0x[0-9a-f]{8}: BoringSSL %s \([0-9a-f]{12}\) built from "
                    r"Debian's source %s, static, without OPENSSL_SMALL, P-256 nistz256 with "
                    r"precomputed tables \(in use\); " % (re.escape(upstream), re.escape(version)))
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "android-libboringssl-dev"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
        return (r"TLS: BoringSSL 0x[0-9a-f]{8}: Debian's shared android-libboringssl %s, built "
                r"with OPENSSL_SMALL, P-256 generic \(OPENSSL_SMALL: no nistz256, no precomputed "
                r"tables\); " % re.escape(version))

    def test_feature_line_names_the_boringssl_in_use(self):
        self.assertRegex(self.feature_line(), self.expected())

    def test_core_version_says_the_same(self):
        rc, out, err = h.ctl(self.d, "core.version")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^sipring \d+\.\d+\.\d+; io_uring: ")
        self.assertRegex(out, self.expected())

    def test_the_daemon_maps_that_boringssl_and_no_openssl(self):
        with open("/proc/%d/maps" % self.d.proc.pid) as f:
            mapped = {line.split()[-1] for line in f if "/" in line}
        names = [os.path.basename(m) for m in mapped]
        self.assertFalse([n for n in names if n.startswith(("libssl.so.3", "libcrypto.so.3"))],
                         sorted(mapped))
        boringssl = sorted(m for m in mapped if m.startswith(SYSTEM_DIR))
        if self.source:
            self.assertEqual(boringssl, [], "the source build carries BoringSSL in libsipring.so")
            self.assertFalse([n for n in names if n.startswith(("libssl", "libcrypto"))],
                             sorted(mapped))
        else:
            self.assertEqual(boringssl, [SYSTEM_DIR + "libcrypto.so.0", SYSTEM_DIR + "libssl.so.0"])


if __name__ == "__main__":
    unittest.main()
