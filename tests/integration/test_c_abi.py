"""The C ABI from a C program: examples/relay_min.c (built in-tree as build/tests/relay_min, C11
against sipring/sipring.h) serves a 1-reactor config, and Python's ssl (OpenSSL 3) sends it
OPTIONS, which it must answer with the exact stateless 200 OK, and other requests, which it
must leave unanswered (relay_min answers OPTIONS only).
"""

import os
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h


def relay_min_bin():
    return os.path.join(h.build_dir(), "tests", "relay_min")


class RelayMinTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(relay_min_bin(), os.X_OK):
            raise unittest.SkipTest("%s is not built (needs gtest and a C compiler)"
                                    % relay_min_bin())
        workdir = tempfile.mkdtemp(prefix="sipring-it-capi.")
        cls.addClassCleanup(shutil.rmtree, workdir, True)
        shutil.copytree(h.demo_certs(), os.path.join(workdir, "certs"))
        cls.port = h.free_port()
        path = os.path.join(workdir, "relay_min.cfg")
        with open(path, "w") as f:
            f.write(h.config_text(cls.port, {("sipring", "reactors"): 1, ("ctl", "socket"): ""}))
        cls.log = open(os.path.join(workdir, "relay_min.log"), "w+")
        cls.addClassCleanup(cls.log.close)
        cls.proc = subprocess.Popen([relay_min_bin(), path], cwd=workdir, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=cls.log,
                                    preexec_fn=h._die_with_parent)
        cls.addClassCleanup(cls._stop)
        deadline = time.monotonic() + 15
        while h.listening_sockets(cls.port) != 1:
            if cls.proc.poll() is not None or time.monotonic() > deadline:
                cls.log.seek(0)
                raise AssertionError("relay_min did not start (exit %r); log:\n%s"
                                     % (cls.proc.poll(), cls.log.read()))
            time.sleep(0.05)

    @classmethod
    def _stop(cls):
        # relay_min has no signal handling: SIGTERM ends it as the default action does.
        cls.proc.kill()
        cls.proc.wait(timeout=10)

    def test_options_gets_exact_200_ok_over_tls13_and_tls12(self):
        for version in ("1.3", "1.2"):
            with self.subTest(version=version):
                conn = h.connect_for(self, self.port, version=version)
                for i in range(5):
                    h.exchange(self, conn, h.Request("OPTIONS", cseq=i + 1))

    def test_pipelined_options_are_answered_in_order(self):
        conn = h.connect_for(self, self.port)
        reqs = [h.Request("OPTIONS", cseq=i + 1) for i in range(20)]
        conn.send(b"".join(r.encode() for r in reqs))
        for r in reqs:
            h.check_200(self, r, conn.read_message())

    def test_other_requests_get_no_answer(self):
        conn = h.connect_for(self, self.port)
        conn.send(h.Request("REGISTER", uri="sip:server.example").encode())
        self.assertEqual(conn.read_for(0.5), b"", "relay_min answers OPTIONS only")
        h.exchange(self, conn, h.Request("OPTIONS"))

    def test_a_missing_config_file_is_reported(self):
        r = subprocess.run([relay_min_bin(), "/nonexistent/relay_min.cfg"], capture_output=True,
                           text=True, timeout=15)
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/relay_min.cfg: cannot read the config file", r.stderr)


if __name__ == "__main__":
    unittest.main()
