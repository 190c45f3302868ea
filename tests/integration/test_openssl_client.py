"""The `openssl s_client` command line (OpenSSL 3) as a SIP client: a second independent peer."""

import shutil
import subprocess
import unittest

import harness as h
from s_client import read_until


def s_client(test, port, version_flag, request, timeout=10.0):
    """Pipes `request` into s_client and returns (stdout bytes up to and including the first
    complete SIP message, stderr text). s_client is killed once the answer is in (or at the
    deadline): with -quiet it would otherwise wait for more input forever."""
    args = ["openssl", "s_client", "-connect", "%s:%d" % (h.HOST, port), version_flag,
            "-CAfile", h.ca_file(), "-servername", h.SERVER_NAME, "-verify_hostname",
            h.SERVER_NAME, "-verify_return_error", "-quiet"]
    p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    test.addCleanup(lambda: p.poll() is None and p.kill())
    p.stdin.write(request)
    p.stdin.flush()
    out = bytearray()
    try:
        out = read_until(p, lambda got: h.parse_one(got)[0] is not None, timeout)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait(10)
        err = p.stderr.read().decode("utf-8", "replace")
        p.stdin.close()
        p.stdout.close()
        p.stderr.close()
    return bytes(out), err


@unittest.skipUnless(shutil.which("openssl"), "no openssl command line")
class OpensslSClient(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        v = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout
        if not v.startswith("OpenSSL 3"):
            raise unittest.SkipTest("needs the OpenSSL 3 command line, found %r" % v.strip())
        cls.daemon = h.start_daemon(cls)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def _options_roundtrip(self, flag):
        req = h.Request("OPTIONS", vias=["SIP/2.0/TLS 127.0.0.1:5099;branch=z9hG4bK-sclient-a",
                                         "SIP/2.0/TLS 10.1.1.1:5061;branch=z9hG4bK-sclient-b"])
        out, err = s_client(self, self.daemon.port, flag, req.encode())
        msg, used = h.parse_one(out)
        self.assertIsNotNone(msg, "no complete SIP answer; stdout %r\nstderr:\n%s" % (out, err))
        h.check_200(self, req, msg)
        self.assertEqual(out[used:], b"", "bytes after the 200 OK")
        self.assertIn("verify return:1", err)
        return err

    def test_s_client_tls13_options_gets_200_ok(self):
        before = h.counters(self.daemon.stats())["tls13_direct"]
        self._options_roundtrip("-tls1_3")
        self.assertEqual(h.counters(self.daemon.stats())["tls13_direct"], before + 1)

    def test_s_client_tls12_options_gets_200_ok(self):
        before = h.counters(self.daemon.stats())["tls12_direct"]
        self._options_roundtrip("-tls1_2")
        self.assertEqual(h.counters(self.daemon.stats())["tls12_direct"], before + 1)


if __name__ == "__main__":
    unittest.main()
