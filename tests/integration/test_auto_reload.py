"""tls.auto_reload: certificate files that renew themselves, and tls.certs / expiry warnings.

The daemon watches the directories of every file its TLS configuration reads; these tests
renew them the ways operators do (certbot's write-and-rename, its live/ -> archive/ symlinks,
Kubernetes' ..data symlink flip, an edited tls.cfg) and check with Python's ssl (OpenSSL 3)
that new connections get the new certificate within a few seconds while an established
connection keeps its session and keeps answering; that a broken file changes nothing and is
logged once; and that tls.auto_reload=0 reloads nothing. Certificates come from a private copy
of the demo CA (sipring-certs), short-lived ones with --days.
"""

import os
import shutil
import subprocess
import time
import unittest

import harness as h

DELAY_MS = 200  # tls.auto_reload_delay_ms in these tests
PICKUP_TIMEOUT = 5.0  # seconds a change may take to reach new connections


def write(path, data):
    mode = "wb" if isinstance(data, bytes) else "w"
    with open(path, mode) as f:
        f.write(data)
    return path


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rename_into_place(src_bytes, dst):
    """What certbot and most deploy tools do: write a temporary file, rename it over dst."""
    write(dst + ".tmp", src_bytes)
    os.replace(dst + ".tmp", dst)


class _AutoReload(unittest.TestCase):
    def setUp(self):
        self.ca = h.private_ca(self)
        self.dir = os.path.join(os.path.dirname(self.ca), "live")
        os.makedirs(self.dir)
        self.round = 0

    def issue(self, cn="localhost", days=None, san=None):
        """A new certificate for cn (new serial) and its key: (cert path, key path, DER)."""
        self.round += 1
        out = os.path.join(os.path.dirname(self.ca), "issued%d" % self.round)
        args = [h.certs_bin(), "server", "--dir", self.ca, "--cn", cn, "--out", out, "--force"]
        if days is not None:
            args += ["--days", str(days)]
        if san:
            args += ["--san", san]
        r = subprocess.run(args, capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return out + "-cert.pem", out + "-key.pem", h.pem_to_der(out + "-cert.pem")

    def start(self, params, **kw):
        p = {("tls", "auto_reload_delay_ms"): DELAY_MS}
        p.update(params)
        return h.start_daemon(self, params=p, **kw)

    def peer_der(self, d, server_hostname=h.SERVER_NAME):
        """The certificate a new connection gets (after a 200 OK to an OPTIONS on it)."""
        ctx = h.client_context()
        ctx.check_hostname = False  # SNI names other than localhost are checked by DER
        return h.peer_der(self, d.port, server_hostname, ctx)

    def wait_for_der(self, d, der, server_hostname=h.SERVER_NAME, timeout=PICKUP_TIMEOUT):
        got = h.wait_until(lambda: self.peer_der(d, server_hostname) == der, timeout, 0.1)
        self.assertTrue(got, "new connections did not get the new certificate within %.0f s; "
                        "log:\n%s" % (timeout, d.log_text(30)))

    def counter(self, d, name):
        return h.counters(d.stats())[name]

    def refusals(self, d):
        return [l for l in d.log_lines() if "automatic reload refused" in l]

    def ctl_ok(self, d, *args):
        rc, out, err = h.ctl(d, *args)
        self.assertEqual(rc, 0, "sipringctl %s: %r %r" % (args, out, err))
        return out


class RenewedFiles(_AutoReload):
    def setUp(self):
        super().setUp()
        cert, key, self.der0 = self.issue()
        self.cert = write(os.path.join(self.dir, "cert.pem"), read(cert))
        self.key = write(os.path.join(self.dir, "key.pem"), read(key))
        self.d = self.start({("tls", "certificate"): self.cert, ("tls", "private_key"): self.key})

    def renew(self):
        cert, key, der = self.issue()
        rename_into_place(read(cert), self.cert)
        rename_into_place(read(key), self.key)
        return der

    def test_rename_into_place_reaches_new_connections_and_established_ones_keep_theirs(self):
        d = self.d
        old = h.connect_to(h.HOST, d.port)
        self.addCleanup(old.close)
        h.exchange(self, old, h.Request("OPTIONS", cseq=1))
        self.assertEqual(old.sock.getpeercert(binary_form=True), self.der0)
        der1 = self.renew()
        t0 = time.monotonic()
        self.wait_for_der(d, der1)
        took = time.monotonic() - t0
        # The established connection: same session, still answered.
        h.exchange(self, old, h.Request("OPTIONS", cseq=2))
        self.assertEqual(old.sock.getpeercert(binary_form=True), self.der0)
        # Two files renamed within milliseconds: one reload, naming both.
        self.assertEqual(self.counter(d, "tls_auto_reloads"), 1)
        self.assertEqual(self.counter(d, "tls_auto_reload_refused"), 0)
        lines = [l for l in d.log_lines() if "automatic reload:" in l and "changed" in l]
        self.assertEqual(len(lines), 1, d.log_text(20))
        self.assertIn("certificate " + self.cert, lines[0])
        self.assertIn("private_key " + self.key, lines[0])
        print("new certificate on new connections %.2f s after the rename (delay %d ms)"
              % (took, DELAY_MS))

    def test_broken_file_changes_nothing_is_logged_once_and_a_later_good_write_is_taken(self):
        d = self.d
        rename_into_place(b"-----BEGIN CERTIFICATE-----\nhalf a certifi\n", self.cert)
        h.wait_until(lambda: self.counter(d, "tls_auto_reload_refused") == 1, PICKUP_TIMEOUT)
        self.assertEqual(self.counter(d, "tls_auto_reload_refused"), 1)
        # Touching it again (no new content) and noise next to it: no new attempt, no new line.
        os.utime(self.cert)
        write(os.path.join(self.dir, "README"), "unrelated")
        time.sleep(DELAY_MS * 4 / 1000.0)
        lines = self.refusals(d)
        self.assertEqual(len(lines), 1, d.log_text(20))
        self.assertIn(self.cert, lines[0])
        self.assertIn("no usable PEM certificate", lines[0])
        self.assertIn("unchanged", lines[0])
        self.assertEqual(self.peer_der(d), self.der0, "the old certificate stays in use")
        self.assertEqual(self.counter(d, "tls_auto_reloads"), 0)

        # A good certificate with the old key: refused again, for the new reason.
        cert, key, der = self.issue()
        rename_into_place(read(cert), self.cert)
        h.wait_until(lambda: len(self.refusals(d)) == 2, PICKUP_TIMEOUT)
        lines = self.refusals(d)
        self.assertEqual(len(lines), 2, d.log_text(20))
        self.assertIn("KEY_VALUES_MISMATCH", lines[1])  # the key does not match the certificate
        self.assertEqual(self.peer_der(d), self.der0)

        # Its key arrives: picked up.
        rename_into_place(read(key), self.key)
        self.wait_for_der(d, der)
        self.assertEqual(self.counter(d, "tls_auto_reload_refused"), 2)
        self.assertEqual(self.counter(d, "tls_auto_reloads"), 1)
        self.assertEqual(len(self.refusals(d)), 2)


class SymlinkFlips(_AutoReload):
    def test_kubernetes_data_symlink_flip(self):
        # A Secret mounted by kubelet: tls.crt -> ..data/tls.crt, ..data -> ..TIMESTAMP/.
        def secret_version(leaf):
            cert, key, der = self.issue()
            os.makedirs(os.path.join(self.dir, leaf))
            write(os.path.join(self.dir, leaf, "tls.crt"), read(cert))
            write(os.path.join(self.dir, leaf, "tls.key"), read(key))
            return der

        der0 = secret_version("..2026_12_07_a")
        os.symlink("..2026_12_07_a", os.path.join(self.dir, "..data"))
        for leaf in ("tls.crt", "tls.key"):
            os.symlink(os.path.join("..data", leaf), os.path.join(self.dir, leaf))
        d = self.start({("tls", "certificate"): os.path.join(self.dir, "tls.crt"),
                        ("tls", "private_key"): os.path.join(self.dir, "tls.key")})
        self.assertEqual(self.peer_der(d), der0)
        # The update: a new directory, a new link renamed over ..data, the old directory gone.
        der1 = secret_version("..2026_12_07_b")
        os.symlink("..2026_12_07_b", os.path.join(self.dir, "..data_tmp"))
        os.replace(os.path.join(self.dir, "..data_tmp"), os.path.join(self.dir, "..data"))
        shutil.rmtree(os.path.join(self.dir, "..2026_12_07_a"))
        self.wait_for_der(d, der1)
        self.assertEqual(self.counter(d, "tls_auto_reloads"), 1)

    def test_certbot_live_symlink_to_archive(self):
        # /etc/letsencrypt/live/NAME/fullchain.pem -> ../../archive/NAME/fullchain1.pem
        archive = os.path.join(self.dir, "archive", "sip")
        live = os.path.join(self.dir, "live", "sip")
        os.makedirs(archive)
        os.makedirs(live)

        def deploy(n):
            cert, key, der = self.issue()
            write(os.path.join(archive, "fullchain%d.pem" % n), read(cert))
            write(os.path.join(archive, "privkey%d.pem" % n), read(key))
            for kind in ("fullchain", "privkey"):
                tmp = os.path.join(live, kind + ".pem.new")
                os.symlink("../../archive/sip/%s%d.pem" % (kind, n), tmp)
                os.replace(tmp, os.path.join(live, kind + ".pem"))
            return der

        der1 = deploy(1)
        d = self.start({("tls", "certificate"): os.path.join(live, "fullchain.pem"),
                        ("tls", "private_key"): os.path.join(live, "privkey.pem")})
        self.assertEqual(self.peer_der(d), der1)
        der2 = deploy(2)
        self.wait_for_der(d, der2)


class TlsCfgEdits(_AutoReload):
    def test_tls_cfg_edit_adds_a_domain_whose_files_are_then_watched(self):
        cert, key, der_default = self.issue()
        b_cert, b_key, der_b = self.issue("b.example.test")
        b_live = write(os.path.join(self.dir, "b-cert.pem"), read(b_cert))
        b_live_key = write(os.path.join(self.dir, "b-key.pem"), read(b_key))
        default = "[server:default]\ncertificate = %s\nprivate_key = %s\n" % (cert, key)
        cfg = write(os.path.join(self.dir, "tls.cfg"), default)
        d = self.start({("tls", "config"): cfg})
        self.assertEqual(self.peer_der(d, "b.example.test"), der_default)
        # An editor writes the new version in place.
        write(cfg, default + "\n[server:any]\nserver_name = b.example.test\n"
              "certificate = %s\nprivate_key = %s\n" % (b_live, b_live_key))
        self.wait_for_der(d, der_b, "b.example.test")
        self.assertEqual(self.peer_der(d), der_default)
        # The new domain's files are watched from now on.
        b2_cert, b2_key, der_b2 = self.issue("b.example.test")
        rename_into_place(read(b2_cert), b_live)
        rename_into_place(read(b2_key), b_live_key)
        self.wait_for_der(d, der_b2, "b.example.test")
        self.assertEqual(self.counter(d, "tls_auto_reloads"), 2)


class SwitchedOff(_AutoReload):
    def test_auto_reload_0_reloads_nothing_and_switching_it_on_at_runtime_watches_again(self):
        cert, key, der0 = self.issue()
        live_cert = write(os.path.join(self.dir, "cert.pem"), read(cert))
        live_key = write(os.path.join(self.dir, "key.pem"), read(key))
        d = self.start({("tls", "certificate"): live_cert, ("tls", "private_key"): live_key,
                        ("tls", "auto_reload"): 0})
        self.assertEqual(self.ctl_ok(d, "cfg.get", "tls", "auto_reload"), 0)
        cert, key, der1 = self.issue()
        rename_into_place(read(cert), live_cert)
        rename_into_place(read(key), live_key)
        time.sleep(DELAY_MS * 5 / 1000.0)
        self.assertEqual(self.peer_der(d), der0, "auto_reload=0 must not reload")
        self.assertEqual(self.counter(d, "tls_auto_reloads"), 0)
        self.assertFalse([l for l in d.log_lines() if "automatic reload" in l], d.log_text(20))
        # tls.reload still works by hand, and switching the watch on makes the next change count.
        self.ctl_ok(d, "cfg.set_now_int", "tls", "auto_reload", 1)
        cert, key, der2 = self.issue()
        rename_into_place(read(cert), live_cert)
        rename_into_place(read(key), live_key)
        self.wait_for_der(d, der2)
        self.assertEqual(self.counter(d, "tls_auto_reloads"), 1)


class CertsRpcAndExpiry(_AutoReload):
    def test_tls_certs_lists_the_certificate_and_a_short_lived_one_is_warned_about(self):
        cert, key, der = self.issue(days=5, san="DNS:localhost,DNS:sip.example.test,IP:127.0.0.1")
        live_cert = write(os.path.join(self.dir, "cert.pem"), read(cert))
        live_key = write(os.path.join(self.dir, "key.pem"), read(key))
        d = self.start({("tls", "certificate"): live_cert, ("tls", "private_key"): live_key})
        rows = self.ctl_ok(d, "tls.certs")
        # The module parameters' client domain presents the same certificate (as a client's).
        self.assertEqual([r["domain"] for r in rows], ["server:default", "client:default"])
        self.assertEqual(rows[1]["serial"], rows[0]["serial"])
        row = rows[0]
        self.assertEqual(row["file"], live_cert)
        self.assertIn("CN=localhost", row["subject"])
        self.assertEqual(row["san"], ["DNS:localhost", "DNS:sip.example.test", "IP:127.0.0.1"])
        self.assertEqual(row["key_type"], "ECDSA P-256")
        self.assertIn(row["days_left"], (4, 5))
        self.assertRegex(row["not_after"], r"^[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4} GMT$")
        # sipringctl's table, as an operator reads it.
        rc, text, err = h.ctl(d, "tls.certs", json_out=False)
        self.assertEqual(rc, 0, err)
        for part in ("domain", "days_left", "server:default", live_cert, "DNS:sip.example.test"):
            self.assertIn(part, text)
        # What OpenSSL reads in the same file.
        r = subprocess.run(["openssl", "x509", "-in", live_cert, "-noout", "-enddate", "-serial"],
                           capture_output=True, text=True, timeout=10)
        if r.returncode == 0:
            self.assertIn("notAfter=" + row["not_after"], r.stdout)
            self.assertIn("serial=" + row["serial"], r.stdout)
        # The watcher thread warns as it starts, just after the daemon says it is ready.
        warnings = h.wait_until(lambda: [l for l in d.log_lines() if "expires in" in l], 5.0)
        self.assertEqual(len(warnings), 1, d.log_text(20))
        for part in ("server:default, client:default", live_cert, "CN=localhost",
                     "expires in %d days" % row["days_left"]):
            self.assertIn(part, warnings[0])

        # A renewal with a long validity: tls.certs follows, and no new warning.
        cert, key, der = self.issue(days=90)
        rename_into_place(read(cert), live_cert)
        rename_into_place(read(key), live_key)
        self.wait_for_der(d, der)
        row = self.ctl_ok(d, "tls.certs")[0]
        self.assertIn(row["days_left"], (89, 90))
        self.assertEqual(len([l for l in d.log_lines() if "expires in" in l]), 1)

    def test_expired_certificate_is_warned_about_at_start(self):
        r = subprocess.run([h.certs_bin(), "server", "--dir", self.ca, "--cn", "localhost",
                            "--out", os.path.join(self.dir, "old"), "--force",
                            "--not-before", "20200101000000Z",
                            "--not-after", "20200201000000Z"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            self.skipTest("sipring-certs cannot issue a backdated certificate: " + r.stderr)
        d = self.start({("tls", "certificate"): os.path.join(self.dir, "old-cert.pem"),
                        ("tls", "private_key"): os.path.join(self.dir, "old-key.pem")})
        lines = h.wait_until(lambda: [l for l in d.log_lines() if "has EXPIRED" in l], 5.0)
        self.assertEqual(len(lines), 1, d.log_text(20))
        self.assertIn("old-cert.pem", lines[0])
        row = self.ctl_ok(d, "tls.certs")[0]
        self.assertLess(row["days_left"], -365)


if __name__ == "__main__":
    unittest.main()
