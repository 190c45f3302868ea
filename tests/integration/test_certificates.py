"""Server certificates: an RSA certificate as well as ECDSA, and the key in a separate file as
well as in the certificate file (the manual allows both). Python's ssl verifies each chain.
"""

import os
import shutil
import subprocess
import tempfile
import unittest

import harness as h


def issue(ca_dir, name, rsa_bits=None):
    """Issues a server certificate for localhost signed by the demo CA copied in ca_dir."""
    cmd = [h.certs_bin(), "server", "--dir", ca_dir, "--cn", "localhost",
           "--san", "DNS:localhost,IP:127.0.0.1", "--out", os.path.join(ca_dir, name)]
    if rsa_bits:
        cmd += ["--rsa", str(rsa_bits)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return os.path.join(ca_dir, name + "-cert.pem"), os.path.join(ca_dir, name + "-key.pem")


class _CertificateTests:
    RSA_BITS = None

    @classmethod
    def setUpClass(cls):
        ca_dir = tempfile.mkdtemp(prefix="sipring-it-ca.")
        cls.addClassCleanup(shutil.rmtree, ca_dir, True)
        shutil.rmtree(ca_dir)
        shutil.copytree(h.demo_certs(), ca_dir)
        cert, key = issue(ca_dir, "srv", cls.RSA_BITS)
        cls.daemon = h.start_daemon(cls, params={("tls", "certificate"): cert,
                                                 ("tls", "private_key"): key})

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def _exchange(self, version):
        conn = h.connect_for(self, self.daemon.port, version=version)
        h.exchange(self, conn, h.Request("OPTIONS"))
        return conn

    def test_tls13_handshake_verifies_and_answers(self):
        conn = self._exchange("1.3")
        self.assertEqual(conn.sock.version(), "TLSv1.3")

    def test_tls12_handshake_uses_the_key_type_and_answers(self):
        conn = self._exchange("1.2")
        self.assertEqual(conn.sock.version(), "TLSv1.2")
        want = "ECDHE-RSA" if self.RSA_BITS else "ECDHE-ECDSA"
        self.assertTrue(conn.sock.cipher()[0].startswith(want), conn.sock.cipher())


class RsaCertificateWithSeparateKey(_CertificateTests, unittest.TestCase):
    RSA_BITS = 2048


class EcdsaCertificateWithSeparateKey(_CertificateTests, unittest.TestCase):
    RSA_BITS = None


if __name__ == "__main__":
    unittest.main()
