"""OCSP stapling, both roles, against peers sipring did not write.

Server role (tls.ocsp_staple_file): a private copy of the demo CA issues the server certificate
and `sipring-certs ocsp` signs its OCSP response. `openssl s_client -status` must see
"OCSP Response Status: successful" and "Cert Status: good" (TLS 1.2 and 1.3); a client that
does not ask gets no CertificateStatus; Python's ssl (which never asks) still works; tls.reload
shows a new staple to new connections; a staple that does not parse, has expired, is for
another certificate, says revoked, or cannot be checked (no issuer) refuses the start and the
reload with the file and the reason, the old staple staying in use. The same through tls.cfg.

Client role (tls.ocsp_require in a [client:...] domain): sipring-relay (sipring's engine
connecting out) against `openssl s_server -status_file` (Python's ssl cannot staple): a good
staple connects; a revoked one is refused with alert certificate_revoked, a missing or expired
one with bad_certificate_status_response; each refusal is logged with the reason and counted
(ocsp_refusals).
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h
import test_relay

OPENSSL = shutil.which("openssl")


def ocsp(ca_dir, cert, out, *args):
    """`sipring-certs ocsp` for `cert`; returns the DER file."""
    r = subprocess.run([h.certs_bin(), "ocsp", "--dir", ca_dir, cert, "--out", out, "--force"]
                       + list(args), capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("sipring-certs ocsp failed: %s%s" % (r.stdout, r.stderr))
    return out


def s_client(port, *args, ca=None):
    """One `openssl s_client` handshake with SNI localhost; returns its stdout+stderr."""
    cmd = [OPENSSL, "s_client", "-connect", "%s:%d" % (h.HOST, port), "-servername", "localhost"]
    if ca:
        cmd += ["-CAfile", ca, "-verify_return_error"]
    r = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=30,
                       stdin=subprocess.DEVNULL)
    return r.stdout + r.stderr


def this_update(text):
    m = re.search(r"This Update: (.+)", text)
    return m.group(1).strip() if m else None


def replace_file(src, dst):
    """Puts src in place of dst atomically, as a deployment would."""
    tmp = dst + ".new"
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


class _Pki(unittest.TestCase):
    def setUp(self):
        if OPENSSL is None:
            self.skipTest("SKIP: the openssl command is not installed")
        self.ca = h.private_ca(self)
        self.dir = os.path.dirname(self.ca)
        self.cacert = os.path.join(self.ca, "cacert.pem")
        self.cert, self.key = h.issue_server_cert(self.ca, "localhost",
                                                  os.path.join(self.dir, "srv"))

    def staple(self, name, *args, cert=None):
        return ocsp(self.ca, cert or self.cert, os.path.join(self.dir, name), *args)


class ServerStapling(_Pki):
    def setUp(self):
        super().setUp()
        self.live = os.path.join(self.dir, "live.der")
        shutil.copyfile(self.staple("good.der"), self.live)
        self.d = h.start_daemon(self, params={
            ("tls", "certificate"): self.cert,
            ("tls", "private_key"): self.key,
            ("tls", "ca_list"): self.cacert,
            ("tls", "ocsp_staple_file"): self.live,
        })

    def staples_sent(self):
        return self.d.stats()["engine"]["ocsp_staples_sent"]

    def test_openssl_s_client_status_sees_a_good_staple_with_tls12_and_tls13(self):
        for version in ("-tls1_2", "-tls1_3"):
            out = s_client(self.d.port, "-status", version, ca=self.cacert)
            self.assertIn("OCSP Response Status: successful", out, out)
            self.assertIn("Cert Status: good", out, out)
            self.assertIn("Verify return code: 0 (ok)", out, out)
        self.assertEqual(self.staples_sent(), 2)

    def test_a_client_that_does_not_ask_gets_no_staple(self):
        asked = s_client(self.d.port, "-status", "-msg", "-tls1_2", ca=self.cacert)
        self.assertIn("CertificateStatus", asked, asked)
        plain = s_client(self.d.port, "-msg", "-tls1_2", ca=self.cacert)
        self.assertIn("ServerHelloDone", plain, plain)
        self.assertNotIn("CertificateStatus", plain, plain)
        self.assertEqual(self.staples_sent(), 1)

    def test_python_ssl_client_still_exchanges_sip(self):
        c = h.connect_to(h.HOST, self.d.port, ctx=h.client_context())
        try:
            req = h.Request()
            c.send(req.encode())
            h.check_200(self, req, c.read_message())
        finally:
            c.close()

    def test_reload_shows_the_new_staple_to_new_connections(self):
        before = this_update(s_client(self.d.port, "-status", ca=self.cacert))
        self.assertIsNotNone(before)
        replace_file(self.staple("new.der", "--this-update", "20250101000000Z",
                                 "--next-update", "20401231000000Z"), self.live)
        rc, out, err = h.ctl(self.d, "tls.reload")
        self.assertEqual(rc, 0, err)
        after = s_client(self.d.port, "-status", ca=self.cacert)
        self.assertEqual(this_update(after), "Jan  1 00:00:00 2025 GMT", after)
        self.assertIn("Cert Status: good", after)

    def test_reload_refuses_bad_staples_with_the_reason_and_keeps_the_old_one(self):
        before = this_update(s_client(self.d.port, "-status", ca=self.cacert))
        other_cert, _ = h.issue_server_cert(self.ca, "other", os.path.join(self.dir, "other"))
        cases = [
            ("garbage", lambda p: open(p, "wb").write(b"\x30\x03\x0a\x01"), "not a DER"),
            ("expired", lambda p: shutil.copyfile(self.staple(
                "exp.der", "--this-update", "20200101000000Z", "--next-update",
                "20200108000000Z"), p), "expired"),
            ("other", lambda p: shutil.copyfile(self.staple("oth.der", cert=other_cert), p),
             "another certificate"),
            ("revoked", lambda p: shutil.copyfile(self.staple("rev.der", "--status", "revoked"),
                                                  p), "revoked"),
        ]
        for name, make, reason in cases:
            tmp = self.live + ".tmp"
            make(tmp)
            os.replace(tmp, self.live)
            rc, out, err = h.ctl(self.d, "tls.reload")
            self.assertNotEqual(rc, 0, "%s: reload accepted" % name)
            self.assertIn(self.live, err, name)
            self.assertIn(reason, err, name)
            now = s_client(self.d.port, "-status", ca=self.cacert)
            self.assertEqual(this_update(now), before, "%s: %s" % (name, now))
            self.assertIn("Cert Status: good", now)


class ServerStapleAutoReload(_Pki):
    """tls.auto_reload watches the staple file like the certificate: a renewed staple reaches
    new connections by itself; a broken one changes nothing and is logged with the reason."""

    def test_renewed_staple_is_picked_up_and_a_broken_one_refused(self):
        live = os.path.join(self.dir, "live.der")
        shutil.copyfile(self.staple("good.der"), live)
        d = h.start_daemon(self, params={
            ("tls", "certificate"): self.cert, ("tls", "private_key"): self.key,
            ("tls", "ca_list"): self.cacert, ("tls", "ocsp_staple_file"): live,
            ("tls", "auto_reload_delay_ms"): 200})
        replace_file(self.staple("new.der", "--this-update", "20250101000000Z",
                                 "--next-update", "20401231000000Z"), live)
        want = "Jan  1 00:00:00 2025 GMT"
        got = h.wait_until(lambda: this_update(s_client(d.port, "-status", ca=self.cacert))
                           == want, 10, 0.2)
        self.assertTrue(got, d.log_text())
        replace_file(self.staple("exp.der", "--this-update", "20200101000000Z",
                                 "--next-update", "20200108000000Z"), live)
        self.assertTrue(h.wait_until(lambda: any("ocsp_staple_file" in l and "expired" in l
                                                 for l in d.log_lines()), 10, 0.2),
                        d.log_text())
        self.assertEqual(this_update(s_client(d.port, "-status", ca=self.cacert)), want)


class ServerStaplingRefusedAtStart(_Pki):
    def start_with(self, staple, ca_list=True):
        params = [("tls", "certificate", self.cert), ("tls", "private_key", self.key),
                  ("tls", "ocsp_staple_file", staple)]
        if ca_list:
            params.append(("tls", "ca_list", self.cacert))
        text = h.config_text(h.free_port(), {(m, n): v for m, n, v in params})
        rc, err, _ = h.run_config(self, text)
        self.assertNotEqual(rc, 0, err)
        self.assertIn("tls.ocsp_staple_file %s" % staple, err)
        return err

    def test_unparseable_staple_refuses_the_start(self):
        bad = os.path.join(self.dir, "bad.der")
        with open(bad, "wb") as f:
            f.write(b"-----BEGIN OCSP RESPONSE-----\n")
        err = self.start_with(bad)
        self.assertIn("not a DER OCSPResponse", err)
        self.assertIn("PEM", err)

    def test_expired_staple_refuses_the_start(self):
        err = self.start_with(self.staple("exp.der", "--this-update", "20200101000000Z",
                                          "--next-update", "20200108000000Z"))
        self.assertIn("expired", err)
        self.assertIn("nextUpdate 2020-01-08 00:00:00 UTC", err)

    def test_not_yet_valid_staple_refuses_the_start(self):
        err = self.start_with(self.staple("future.der", "--this-update", "20990101000000Z",
                                          "--next-update", "20990108000000Z"))
        self.assertIn("thisUpdate is in the future", err)

    def test_staple_for_another_certificate_refuses_the_start(self):
        other, _ = h.issue_server_cert(self.ca, "other", os.path.join(self.dir, "other"))
        err = self.start_with(self.staple("oth.der", cert=other))
        self.assertIn("no status for this certificate", err)

    def test_staple_without_a_known_issuer_refuses_the_start(self):
        err = self.start_with(self.staple("good.der"), ca_list=False)
        self.assertIn("neither the next certificate in the certificate file nor in ca_list", err)


class SecondCertificateStapling(_Pki):
    """ocsp_staple_file2: certificate2 (RSA) has its own staple, sent to the clients served it."""

    def setUp(self):
        super().setUp()
        self.rsa, self.rsa_key = h.issue_server_cert(self.ca, "localhost",
                                                     os.path.join(self.dir, "rsa"), rsa_bits=2048)

    def params(self, staple2):
        p = {("tls", "certificate"): self.cert, ("tls", "private_key"): self.key,
             ("tls", "ca_list"): self.cacert, ("tls", "ocsp_staple_file"): self.staple("ec.der"),
             ("tls", "certificate2"): self.rsa, ("tls", "private_key2"): self.rsa_key}
        if staple2:
            p[("tls", "ocsp_staple_file2")] = staple2
        return p

    def test_each_certificate_is_served_with_its_own_staple(self):
        d = h.start_daemon(self, params=self.params(self.staple("rsa.der", cert=self.rsa)))
        serials = {}
        for name, sigalgs in (("ecdsa", "ECDSA+SHA256"), ("rsa", "rsa_pss_rsae_sha256")):
            out = s_client(d.port, "-status", "-tls1_3", "-sigalgs", sigalgs, ca=self.cacert)
            self.assertIn("OCSP Response Status: successful", out, out)
            self.assertIn("Cert Status: good", out, out)
            self.assertIn("Verify return code: 0 (ok)", out, out)
            m = re.search(r"Serial Number: (\S+)", out)
            self.assertIsNotNone(m, out)
            serials[name] = m.group(1)
        self.assertNotEqual(serials["ecdsa"], serials["rsa"])
        self.assertEqual(d.stats()["engine"]["ocsp_staples_sent"], 2)

    def test_certificate2_without_its_staple_sends_none(self):
        d = h.start_daemon(self, params=self.params(None))
        out = s_client(d.port, "-status", "-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256",
                       ca=self.cacert)
        self.assertIn("OCSP response: no response sent", out, out)
        self.assertEqual(d.stats()["engine"]["ocsp_staples_sent"], 0)

    def test_certificate_staple_given_as_certificate2_staple_is_refused(self):
        text = h.config_text(h.free_port(), self.params(self.staple("wrong.der")))
        rc, err, _ = h.run_config(self, text)
        self.assertNotEqual(rc, 0, err)
        self.assertIn("tls.ocsp_staple_file2", err)
        self.assertIn("no status for this certificate", err)

    def test_staple2_without_certificate2_is_refused(self):
        p = self.params(self.staple("rsa.der", cert=self.rsa))
        del p[("tls", "certificate2")], p[("tls", "private_key2")]
        rc, err, _ = h.run_config(self, h.config_text(h.free_port(), p))
        self.assertNotEqual(rc, 0, err)
        self.assertIn("tls.ocsp_staple_file2", err)
        self.assertIn("without tls.certificate2", err)


class StapleRenewalWarning(_Pki):
    def test_a_staple_near_its_next_update_is_warned_about_once(self):
        soon = time.gmtime(time.time() + 2 * 3600)
        staple = self.staple("soon.der", "--next-update", time.strftime("%Y%m%d%H%M%SZ", soon))
        d = h.start_daemon(self, params={("tls", "certificate"): self.cert,
                                         ("tls", "private_key"): self.key,
                                         ("tls", "ca_list"): self.cacert,
                                         ("tls", "ocsp_staple_file"): staple})
        line = r"OCSP staple %s of TLS domain server:default must be renewed before its " \
               r"nextUpdate" % re.escape(staple)
        self.assertTrue(h.wait_until(lambda: re.search(line, d.log_text()), 10), d.log_text())
        rc, out, err = h.ctl(d, "tls.reload")
        self.assertEqual(rc, 0, err)
        time.sleep(1)
        self.assertEqual(len(re.findall(line, d.log_text())), 1, d.log_text())
        # A renewed staple loads and is not warned about.
        replace_file(self.staple("later.der"), staple)
        rc, out, err = h.ctl(d, "tls.reload")
        self.assertEqual(rc, 0, err)
        time.sleep(1)
        self.assertEqual(len(re.findall(line, d.log_text())), 1, d.log_text())


class ServerStaplingFromTlsCfg(_Pki):
    def test_server_domain_staples_and_client_domain_refuses_the_attribute(self):
        staple = self.staple("good.der")
        cfg = os.path.join(self.dir, "tls.cfg")
        with open(cfg, "w") as f:
            f.write("[server:default]\ncertificate = %s\nprivate_key = %s\nca_list = %s\n"
                    "ocsp_staple_file = %s\n" % (self.cert, self.key, self.cacert, staple))
        d = h.start_daemon(self, params={("tls", "config"): cfg})
        out = s_client(d.port, "-status", ca=self.cacert)
        self.assertIn("Cert Status: good", out, out)
        with open(cfg, "a") as f:
            f.write("\n[client:default]\nocsp_staple_file = %s\n" % staple)
        rc, out, err = h.ctl(d, "tls.reload")
        self.assertNotEqual(rc, 0)
        self.assertIn("ocsp_staple_file applies to server domains only", err)


class ClientRequiresStaple(_Pki):
    """sipring-relay connects to `openssl s_server` as its upstream with ocsp_require."""

    def s_server(self, status_file=None, *extra):
        port = h.free_port()
        cmd = [OPENSSL, "s_server", "-accept", "%s:%d" % (h.HOST, port), "-cert", self.cert,
               "-key", self.key, "-naccept", "1"] + list(extra)
        if status_file:
            cmd += ["-status_file", status_file]
        log = open(os.path.join(self.dir, "s_server-%d.log" % port), "w+")
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT)
        self.addCleanup(lambda: (p.kill(), p.wait(10), log.close()))
        if not h.wait_until(lambda: h.listening_sockets(port), 10):
            raise AssertionError("openssl s_server did not listen")
        return port, log

    def relay(self, port):
        cfg = test_relay.TLS_CFG.replace(
            "[client:default]\n",
            "[client:default]\nocsp_require = yes\n").replace(
            "ca_list = certs/cacert.pem", "ca_list = %s" % self.cacert)
        # tls_log 1: handshake failures are logged at NOTICE, so the reason is visible.
        return test_relay.start_relay(self, port, tls_cfg=cfg,
                                      config_lines=['modparam("tls", "tls_log", 1)'])

    def refused(self, status_file, reason, alert, *extra):
        port, log = self.s_server(status_file, *extra)
        r = self.relay(port)
        r.wait_line(r"OCSP staple refused \(tls.ocsp_require\): .*%s" % re.escape(reason), 1, 15)
        self.assertGreaterEqual(r.counters()["engine"]["ocsp_refusals"], 1)
        log.seek(0)
        self.assertTrue(h.wait_until(lambda: (log.seek(0), alert in log.read())[1], 10),
                        "s_server did not get alert %r" % alert)

    def test_good_staple_connects_with_tls13_and_tls12(self):
        for extra in ((), ("-tls1_2",)):
            port, log = self.s_server(self.staple("good.der"), *extra)
            r = self.relay(port)
            ok = h.wait_until(lambda: r.counters()["engine"]["handshakes_full"] >= 1, 15, 0.2)
            self.assertTrue(ok, r.log_text())
            self.assertEqual(r.counters()["engine"]["ocsp_refusals"], 0)
            self.assertEqual(r.count_lines("OCSP staple refused"), 0, r.log_text())
            r.kill()

    def test_revoked_staple_is_refused_with_certificate_revoked(self):
        self.refused(self.staple("rev.der", "--status", "revoked"), "the certificate is revoked",
                     "certificate revoked")

    def test_revoked_staple_is_refused_over_tls12_too(self):
        self.refused(self.staple("rev.der", "--status", "revoked"), "the certificate is revoked",
                     "certificate revoked", "-tls1_2")

    def test_missing_staple_is_refused_with_bad_certificate_status_response(self):
        self.refused(None, "the server sent none", "bad certificate status response")

    def test_expired_staple_is_refused(self):
        self.refused(self.staple("exp.der", "--this-update", "20200101000000Z",
                                 "--next-update", "20200108000000Z"), "expired",
                     "bad certificate status response")


if __name__ == "__main__":
    unittest.main()
