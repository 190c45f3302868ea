"""Two certificates per domain and key-exchange groups (issue 11 parts 4 and 5), against real peers.

certificate (ECDSA) and certificate2 (RSA): each client gets the certificate it can verify, by
its signature algorithms (openssl s_client -sigalgs, gnutls-cli priority strings) and, in TLS
1.2, its cipher suites (Python ssl set_ciphers) and supported groups (the curve of an ECDSA
certificate). A client no certificate fits is refused with a handshake_failure alert, a log
line saying why, and a counter. `groups` sets the key-exchange groups and their order (the
server's). Certificates: sipring-certs (ECDSA P-256, RSA) and openssl (ECDSA P-384).
"""

import os
import re
import shutil
import socket
import ssl
import subprocess
import unittest

import harness as h


def p384_cert(directory):
    """A self-signed ECDSA P-384 certificate and key for localhost (sipring-certs makes P-256
    and RSA only)."""
    cert = os.path.join(directory, "p384-cert.pem")
    key = os.path.join(directory, "p384-key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-384", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "30", "-subj", "/CN=localhost"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def s_client(port, *flags):
    """A handshake by `openssl s_client` with `flags`, then EOF; returns (ok, stdout+stderr)."""
    r = subprocess.run(["openssl", "s_client", "-connect", "%s:%d" % (h.HOST, port),
                        "-servername", "localhost"] + list(flags),
                       input=b"", capture_output=True, timeout=20)
    text = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    return "Cipher is (NONE)" not in text and r.returncode == 0, text


def s_client_key_bits(text):
    m = re.search(r"Server public key is (\d+) bit", text)
    return int(m.group(1)) if m else None


def gnutls(port, priority):
    """A handshake by gnutls-cli with `priority`; returns (ok, output)."""
    r = subprocess.run(["gnutls-cli", "--insecure", "-p", str(port), "--priority", priority,
                        h.HOST], input=b"", capture_output=True, timeout=20)
    text = r.stdout.decode(errors="replace") + r.stderr.decode(errors="replace")
    return "Handshake was completed" in text, text


def python_client(port, version=None, ciphers=None, curve=None):
    """A handshake by Python's ssl; returns the DER of the certificate received, or raises."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if version is not None:
        ctx.minimum_version = ctx.maximum_version = version
    if ciphers:
        ctx.set_ciphers(ciphers)
    if curve:
        ctx.set_ecdh_curve(curve)
    with socket.create_connection((h.HOST, port), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            return s.getpeercert(binary_form=True)


class _Certs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        ca = h.private_ca(cls)
        cls.dir = os.path.dirname(ca)
        cls.ecdsa, cls.ecdsa_key = h.issue_server_cert(ca, "localhost",
                                                       os.path.join(cls.dir, "ecdsa"))
        cls.rsa, cls.rsa_key = h.issue_server_cert(ca, "localhost", os.path.join(cls.dir, "rsa"),
                                                   rsa_bits=2048)
        cls.p384, cls.p384_key = p384_cert(cls.dir)

    def counter(self, d, name):
        return h.counters(d.stats())[name]


class DualCertificates(_Certs):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d = h.start_daemon(cls, params={
            ("tls", "certificate"): cls.ecdsa, ("tls", "private_key"): cls.ecdsa_key,
            ("tls", "certificate2"): cls.rsa, ("tls", "private_key2"): cls.rsa_key})

    def test_python_clients_get_the_certificate_their_suites_allow(self):
        self.assertEqual(python_client(self.d.port), h.pem_to_der(self.ecdsa))
        tls12 = ssl.TLSVersion.TLSv1_2
        self.assertEqual(python_client(self.d.port, tls12, "ECDHE-RSA-AES128-GCM-SHA256"),
                         h.pem_to_der(self.rsa))
        self.assertEqual(python_client(self.d.port, tls12, "ECDHE-ECDSA-AES128-GCM-SHA256"),
                         h.pem_to_der(self.ecdsa))

    def test_s_client_gets_the_certificate_its_signature_algorithms_allow(self):
        before = self.counter(self.d, "handshakes_certificate2")
        for version in ("-tls1_3", "-tls1_2"):
            with self.subTest(version=version):
                ok, text = s_client(self.d.port, version, "-sigalgs",
                                    "rsa_pss_rsae_sha256:RSA+SHA256")
                self.assertTrue(ok, text)
                self.assertEqual(s_client_key_bits(text), 2048, text)
                ok, text = s_client(self.d.port, version, "-sigalgs", "ECDSA+SHA256")
                self.assertTrue(ok, text)
                self.assertEqual(s_client_key_bits(text), 256, text)
        self.assertEqual(self.counter(self.d, "handshakes_certificate2") - before, 2)

    def test_gnutls_priority_strings_choose_the_certificate(self):
        if shutil.which("gnutls-cli") is None:
            self.skipTest("gnutls-cli missing (Debian gnutls-bin; tools/install-deps.sh)")
        cases = (("NORMAL:-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-SHA256", "RSA key 2048"),
                 ("NORMAL:-SIGN-ALL:+SIGN-ECDSA-SECP256R1-SHA256", "EC/ECDSA key 256"),
                 ("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA", "RSA key 2048"),
                 ("NORMAL", "EC/ECDSA key 256"))
        for priority, want in cases:
            with self.subTest(priority=priority):
                ok, text = gnutls(self.d.port, priority)
                self.assertTrue(ok, text)
                self.assertIn(want, text)


class P384Certificate(_Certs):
    """The bug of issue 11: TLS 1.2, an ECDSA P-384 certificate, a client offering P-256 only."""

    def test_alone_it_refuses_with_handshake_failure_a_log_line_and_a_counter(self):
        d = h.start_daemon(self, params={("tls", "certificate"): self.p384,
                                         ("tls", "private_key"): self.p384_key})
        ok, text = s_client(d.port, "-tls1_2", "-groups", "P-256:X25519")
        self.assertFalse(ok, text)
        self.assertIn("alert handshake failure", text)
        self.assertNotIn("wrong curve", text)
        with self.assertRaises(ssl.SSLError) as e:
            python_client(d.port, ssl.TLSVersion.TLSv1_2, curve="prime256v1")
        self.assertIn("HANDSHAKE_FAILURE", str(e.exception))
        why = ("the client offers no group matching certificate curve P-384 in TLS 1.2; add "
               "certificate2 (RSA) or use an ECDSA P-256 certificate")
        self.assertTrue(h.wait_until(lambda: why in d.log_text(200), 5), d.log_text())
        self.assertEqual(self.counter(d, "no_fitting_certificate"), 2)
        # Clients that offer P-384, and TLS 1.3 (the curve is in the signature algorithm) work.
        ok, text = s_client(d.port, "-tls1_2", "-groups", "P-256:P-384")
        self.assertTrue(ok, text)
        ok, text = s_client(d.port, "-tls1_3", "-groups", "P-256:X25519")
        self.assertTrue(ok, text)

    def test_with_an_rsa_certificate2_such_clients_get_rsa(self):
        d = h.start_daemon(self, params={
            ("tls", "certificate"): self.p384, ("tls", "private_key"): self.p384_key,
            ("tls", "certificate2"): self.rsa, ("tls", "private_key2"): self.rsa_key})
        ok, text = s_client(d.port, "-tls1_2", "-groups", "P-256:X25519")
        self.assertTrue(ok, text)
        self.assertEqual(s_client_key_bits(text), 2048, text)
        self.assertEqual(python_client(d.port, ssl.TLSVersion.TLSv1_2, curve="prime256v1"),
                         h.pem_to_der(self.rsa))
        ok, text = s_client(d.port, "-tls1_2", "-groups", "P-384")
        self.assertTrue(ok, text)
        self.assertEqual(s_client_key_bits(text), 384, text)


class Groups(_Certs):
    def test_only_the_configured_groups_are_accepted_with_a_clear_refusal(self):
        d = h.start_daemon(self, params={("tls", "groups"): "P-384"})
        ok, text = s_client(d.port, "-groups", "P-384")
        self.assertTrue(ok, text)
        d2 = h.start_daemon(self, params={("tls", "groups"): "X25519:P-256"})
        for version in ("-tls1_3", "-tls1_2"):
            with self.subTest(version=version):
                ok, text = s_client(d2.port, version, "-groups", "P-384")
                self.assertFalse(ok, text)
                self.assertIn("alert handshake failure", text)
        with self.assertRaises(ssl.SSLError):
            python_client(d2.port, ssl.TLSVersion.TLSv1_2, curve="secp384r1")
        why = "the client offers none of the key-exchange groups X25519:P-256 (tls.groups)"
        self.assertTrue(h.wait_until(lambda: why in d2.log_text(200), 5), d2.log_text())
        self.assertEqual(self.counter(d2, "no_shared_group"), 3)

    def test_the_servers_order_wins(self):
        d = h.start_daemon(self, params={("tls", "groups"): "P-384:X25519"})
        for version in ("-tls1_3", "-tls1_2"):
            with self.subTest(version=version):
                # The client prefers X25519 (its key share is for it): the server picks P-384.
                # (It offers P-256 too: in TLS 1.2 it must offer the certificate's curve.)
                ok, text = s_client(d.port, version, "-groups", "X25519:P-384:P-256")
                self.assertTrue(ok, text)
                self.assertRegex(text, r"(Server Temp Key|Negotiated TLS1.3 group).*(P-384|secp384r1)")

    def test_unknown_groups_refuse_the_start_naming_the_supported_ones(self):
        text = h.config_text(h.free_port(), {("tls", "groups"): "X25519:X448"})
        rc, err, _ = h.run_config(self, text)
        self.assertNotEqual(rc, 0)
        self.assertIn('"X448" is not a key-exchange group this BoringSSL implements; it offers',
                      err)
        self.assertIn("X25519", err)
        self.assertIn("post-quantum hybrids such as X25519MLKEM768 need a newer BoringSSL", err)


if __name__ == "__main__":
    unittest.main()
