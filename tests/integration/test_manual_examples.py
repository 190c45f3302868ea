"""The TLS module manual's own examples, and the defects trying them showed (issue 8, part 5).

* Examples 36/37: a setup whose certificates come only from modparam("tls", "config", ...) starts
  and serves, with no certificate modparam; methods TLSv1 / SSLv23 in the file get the same
  RFC 8996 warning as the tls_method modparam.
* Example 35: modparam("tls", "tls_force_run", 11) is true, as any non-zero number is for
  Kamailio's boolean parameters.
* A handshake that fails before any certificate was verified logs BoringSSL's reason alone, not
  "(Invalid certificate verification context)".
* The demo core never leaves a request unanswered on an open connection: a request it cannot
  answer (no Via, or a 200 too large for its buffer) closes the connection, with a log line.
"""

import os
import ssl
import tempfile
import shutil
import unittest

import harness as h


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


class ManualTlsCfgExample(unittest.TestCase):
    """Manual Examples 35-37: tls.cfg alone gives the certificates."""

    def setUp(self):
        d = tempfile.mkdtemp(prefix="sipring-it-manual.")
        self.addCleanup(shutil.rmtree, d, True)
        # As Example 36, with the demo certificate for every server domain (names relative to the
        # main config's directory, as the manual says) and no CA files to verify clients with.
        self.tls_cfg = write(os.path.join(d, "tls.cfg"), """\
[server:default]
method = SSLv23
verify_certificate = no
require_certificate = no
private_key = certs/server.pem
certificate = certs/server.pem

[client:default]
verify_certificate = yes
require_certificate = yes

#more relaxed for connection on the loopback interface
[server:127.0.0.1:5061]
method = TLSv1
verify_certificate = no
require_certificate = no
private_key = certs/server.pem
certificate = certs/server.pem
verify_depth = 3
""")
        self.d = h.start_daemon(self, params={
            ("tls", "certificate"): None,
            ("tls", "tls_method"): None,
            ("tls", "config"): self.tls_cfg,
            ("tls", "tls_force_run"): 11,         # Example 35
            ("tls", "verify_certificate"): 2,     # ignored with a tls.cfg, but must parse
            ("tls", "require_certificate"): 11,
        })

    def test_serves_with_certificates_from_tls_cfg_only(self):
        c = h.connect(self.d.port)
        self.addCleanup(c.close)
        h.exchange(self, c, h.Request("OPTIONS"))
        rc, out, err = h.ctl(self.d, "cfg.get", "tls", "tls_force_run")
        self.assertEqual((rc, out), (0, 1), err)

    def test_set_now_int_takes_any_non_zero_number_as_true(self):
        for value, want in ((0, 0), (2, 1), (0, 0), (-1, 1)):
            rc, out, err = h.ctl(self.d, "cfg.set_now_int", "tls", "send_close_notify", value)
            self.assertEqual(rc, 0, err)
            rc, out, err = h.ctl(self.d, "cfg.get", "tls", "send_close_notify")
            self.assertEqual((rc, out), (0, want), "after %d: %s" % (value, err))

    def test_old_methods_in_tls_cfg_get_the_rfc8996_warning(self):
        lines = [l for l in self.d.log_lines() if "RFC 8996" in l]
        self.assertEqual(len(lines), 2, self.d.log_text())
        self.assertTrue(any("server:default" in l and "SSLv23" in l and "tls.cfg:1" in l
                            for l in lines), lines)
        self.assertTrue(any("server:127.0.0.1:5061" in l and "TLSv1 " in l for l in lines), lines)
        # The ignored modparam is not what is warned about.
        self.assertFalse(any("tls.tls_method" in l for l in lines), lines)


class TlsMethodModparamWarning(unittest.TestCase):
    def test_the_modparam_is_warned_about_once(self):
        d = h.start_daemon(self, params={("tls", "tls_method"): "TLSv1+"})
        lines = [l for l in d.log_lines() if "RFC 8996" in l]
        self.assertEqual(len(lines), 1, d.log_text())
        self.assertIn("tls.tls_method TLSv1+", lines[0])


class HandshakeFailureReason(unittest.TestCase):
    """NO_SHARED_CIPHER with verification off used to be logged as
    "NO_SHARED_CIPHER (Invalid certificate verification context)"."""

    def test_failure_before_verification_logs_the_reason_alone(self):
        d = h.start_daemon(self, params={
            ("tls", "tls_method"): "TLSv1.2",
            ("tls", "cipher_list"): "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
            ("tls", "tls_log"): 1,
        })
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305")
        with self.assertRaises((ssl.SSLError, ConnectionError)):
            h.connect(d.port, ctx=ctx)
        lines = h.wait_until(
            lambda: [l for l in d.log_lines() if "TLS handshake failed" in l], 5.0)
        self.assertEqual(len(lines), 1, d.log_text())
        self.assertIn("NO_SHARED_CIPHER", lines[0])
        self.assertNotIn("verification context", lines[0])
        self.assertFalse(lines[0].rstrip().endswith(")"), lines[0])


class _DemoCoreNeverSilent:
    CORE = None

    def setUp(self):
        self.d = h.start_daemon(self, core=self.CORE)

    def check_closed_with_log(self, raw, why):
        c = h.connect(self.d.port)
        self.addCleanup(c.close)
        c.send(raw)
        kind, data = c.wait_closed(5.0)
        self.assertEqual(data, b"", "no response can be right here; got %r" % data)
        lines = h.wait_until(
            lambda: [l for l in self.d.log_lines() if "demo core: closing" in l], 3.0)
        self.assertTrue(lines, self.d.log_text())
        self.assertIn(why, lines[-1])
        # The daemon still serves.
        c2 = h.connect(self.d.port)
        self.addCleanup(c2.close)
        h.exchange(self, c2, h.Request("OPTIONS"))

    def test_request_without_via_closes_the_connection(self):
        req = h.Request("OPTIONS")
        head = [l for l in req.head_lines() if not l.startswith("Via:")]
        self.check_closed_with_log(("\r\n".join(head) + "\r\n\r\n").encode(),
                                   "request without Via")
        core = self.d.stats()["core"]
        self.assertEqual(core["unanswerable"], 1, core)

    def test_request_whose_200_does_not_fit_closes_the_connection(self):
        # 60 Vias of ~100 bytes: a 6 KB 200, over the demo core's 4 KiB reply buffer.
        vias = ["SIP/2.0/TLS proxy%02d.example.test:5061;branch=z9hG4bK-%s" % (i, "x" * 50)
                for i in range(60)]
        self.check_closed_with_log(h.Request("OPTIONS", vias=vias).encode(),
                                   "larger than the demo core's reply buffer")


class InlineDemoCoreNeverSilent(_DemoCoreNeverSilent, unittest.TestCase):
    CORE = "inline"


class ThreadsDemoCoreNeverSilent(_DemoCoreNeverSilent, unittest.TestCase):
    CORE = "threads"


if __name__ == "__main__":
    unittest.main()
