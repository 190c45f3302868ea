"""The key log (tls.keylog_mode, tls.keylog_file) read by Wireshark's tshark.

Every test captures a real SIP-over-TLS exchange on loopback with tshark, gives tshark the key
log sipring wrote, and asserts that tshark decrypts and dissects the SIP OPTIONS and its 200 OK
(fields sip.Method, sip.Status-Code, sip.Call-ID). The same capture read without the key log
shows no SIP, so the key log is what decrypts it.
  - server role, TLS 1.3 and TLS 1.2: Python ssl (OpenSSL 3) client -> sipring;
  - TLS 1.3 KeyUpdate: openssl s_client sends KeyUpdate(update_requested) ("K"), sipring's own
    record layer answers with its KeyUpdate; the OPTIONS and 200 after it are decoded too
    (Wireshark derives the next traffic secrets from *_TRAFFIC_SECRET_0 itself);
  - client role, TLS 1.3 and 1.2: Python client -> sipring-relay -> a Python ssl upstream: the
    relay's connection to the upstream, where sipring is the TLS client, is decoded;
  - runtime: key log switched on and off with sipringctl cfg.set_now_int / cfg.set_now_string;
  - bit 4: the lines in sipring's log decrypt the capture as well as the file does.
Skipped (not failed) when tshark is missing or cannot capture on lo; tools/install-deps.sh
installs Debian's tshark.
"""

import os
import re
import shutil
import signal
import socket
import ssl
import stat
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

import harness as h

CAPTURE_READY_TIMEOUT = 15.0


def tshark_bin():
    path = shutil.which("tshark")
    if path is None:
        raise unittest.SkipTest("tshark is not installed (tools/install-deps.sh installs it)")
    return path


class Capture:
    """tshark capturing TCP on loopback `ports` into a pcap file until stop(). Returns once
    packets are being captured: tshark says "Capturing on" a moment before the first packet
    is caught, so connections to a closed probe port are made until some are in the file."""

    def __init__(self, test, ports):
        self.dir = tempfile.mkdtemp(prefix="sipring-it-keylog-cap.")
        test.addCleanup(shutil.rmtree, self.dir, True)
        self.pcap = os.path.join(self.dir, "capture.pcapng")
        probe = h.free_port()
        bpf = " or ".join("tcp port %d" % p for p in list(ports) + [probe])
        self._err = []
        self.proc = subprocess.Popen([tshark_bin(), "-i", "lo", "-f", bpf, "-w", self.pcap],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, preexec_fn=h._die_with_parent)
        test.addCleanup(self._kill)
        t = threading.Thread(target=self._pump, daemon=True)
        t.start()
        deadline = time.monotonic() + CAPTURE_READY_TIMEOUT
        while not any("Capturing on" in l for l in self._err):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._kill()
                raise unittest.SkipTest("tshark cannot capture on lo: %s"
                                        % " ".join(self._err).strip()[-300:])
            time.sleep(0.05)
        header = os.path.getsize(self.pcap) if os.path.exists(self.pcap) else 0
        while not (os.path.exists(self.pcap) and os.path.getsize(self.pcap) > header):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self._kill()
                raise unittest.SkipTest("tshark captured nothing on lo within %.0f s: %s"
                                        % (CAPTURE_READY_TIMEOUT, " ".join(self._err)[-300:]))
            try:
                socket.create_connection((h.HOST, probe), timeout=1).close()
            except OSError:
                pass  # refused: its SYN and RST are what the capture is waiting for
            time.sleep(0.05)

    def _pump(self):
        for raw in iter(self.proc.stderr.readline, b""):
            self._err.append(raw.decode("utf-8", "replace"))

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self):
        """Ends the capture (SIGINT: tshark writes out what it has) and returns the pcap path."""
        time.sleep(0.3)  # the last segments reach the capture buffer
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self._kill()
            raise AssertionError("tshark did not stop within 15 s of SIGINT")
        return self.pcap


def decode(pcap, keylog, ports):
    """The SIP messages tshark finds in `pcap` with key log file `keylog` (None: without one),
    every port in `ports` dissected as SIP over TLS: a list of (method or "", status or "",
    Call-ID, source port, destination port)."""
    args = [tshark_bin(), "-r", pcap, "-n", "-Y", "sip", "-T", "fields", "-E", "separator=|",
            "-e", "sip.Method", "-e", "sip.Status-Code", "-e", "sip.Call-ID", "-e", "tcp.srcport",
            "-e", "tcp.dstport"]
    for p in ports:
        args += ["-d", "tcp.port==%d,tls" % p, "-d", "tls.port==%d,sip" % p]
    args += ["-o", "tls.keylog_file:%s" % (keylog or "")]
    r = subprocess.run(args, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("tshark -r failed (%d): %s" % (r.returncode, r.stderr))
    out = []
    for line in r.stdout.splitlines():
        f = line.split("|")
        if len(f) == 5:
            out.append((f[0], f[1], f[2], int(f[3]), int(f[4])))
    return out


def tls_handshake_types(pcap, keylog, port):
    """(source port, handshake type) of every TLS handshake message tshark decrypts."""
    r = subprocess.run([tshark_bin(), "-r", pcap, "-n", "-d", "tcp.port==%d,tls" % port,
                        "-o", "tls.keylog_file:%s" % keylog, "-Y", "tls.handshake.type",
                        "-T", "fields", "-E", "separator=|", "-e", "tcp.srcport",
                        "-e", "tls.handshake.type"],
                       capture_output=True, text=True, timeout=60)
    out = []
    for line in r.stdout.splitlines():
        src, types = line.split("|")
        out += [(int(src), int(t)) for t in types.split(",") if t]
    return out


class KeylogCase(unittest.TestCase):
    def assert_decoded(self, found, call_id, port):
        """`found` (from decode) holds the OPTIONS with `call_id` sent to `port` and its 200 OK
        sent from `port`, each once."""
        methods = [f for f in found if f[2] == call_id and f[0] == "OPTIONS" and f[4] == port]
        oks = [f for f in found if f[2] == call_id and f[1] == "200" and f[3] == port]
        self.assertEqual(len(methods), 1, "OPTIONS %s to %d: %r" % (call_id, port, found))
        self.assertEqual(len(oks), 1, "200 OK %s from %d: %r" % (call_id, port, found))

    def exchange(self, port, version, call_id):
        conn = h.connect(port, version=version)
        try:
            req = h.Request(call_id=call_id)
            resp = h.exchange(self, conn, req)
            h.check_200(self, req, resp)
        finally:
            conn.close()


# --- server role ------------------------------------------------------------------------------

class ServerRole(KeylogCase):
    def test_tshark_decodes_tls13_and_tls12_with_the_key_log_file(self):
        d = h.start_daemon(self, params={("tls", "keylog_mode"): 11,
                                         ("tls", "keylog_file"): "keys.log"})
        keys = os.path.join(d.workdir, "keys.log")
        self.assertTrue(any("key log ON" in l and keys in l for l in d.log_lines()),
                        d.log_text())
        self.assertEqual(stat.S_IMODE(os.stat(keys).st_mode), 0o600)
        cap = Capture(self, [d.port])
        ids = {v: "keylog-%s-%s@test" % (v, uuid.uuid4().hex[:8]) for v in ("1.3", "1.2")}
        for version, call_id in ids.items():
            self.exchange(d.port, version, call_id)
        pcap = cap.stop()
        found = decode(pcap, keys, [d.port])
        for version, call_id in ids.items():
            with self.subTest(version=version):
                self.assert_decoded(found, call_id, d.port)
        self.assertEqual(decode(pcap, None, [d.port]), [], "SIP visible without the key log")
        text = open(keys).read()
        self.assertEqual(text.count("CLIENT_RANDOM "), 1, text)
        for label in ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                      "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"):
            self.assertEqual(text.count(label + " "), 1, label)
        stats = d.stop()
        self.assertEqual(stats["engine"]["keylog_lines"], 6)
        self.assertEqual(stats["engine"]["keylog_failures"], 0)

    def test_tshark_decodes_after_keyupdates_in_both_directions(self):
        if shutil.which("openssl") is None:
            self.skipTest("openssl is not installed")
        d = h.start_daemon(self, params={("tls", "keylog_mode"): 11,
                                         ("tls", "keylog_file"): "keys.log"})
        keys = os.path.join(d.workdir, "keys.log")
        cap = Capture(self, [d.port])
        # -crlf: SIP lines end in CRLF. Lines starting with "K" are s_client's KeyUpdate
        # command (update_requested), so sipring's record layer must answer with its own.
        p = subprocess.Popen(["openssl", "s_client", "-connect", "%s:%d" % (h.HOST, d.port),
                              "-tls1_3", "-crlf", "-servername", h.SERVER_NAME,
                              "-CAfile", h.ca_file()],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, preexec_fn=h._die_with_parent)
        self.addCleanup(lambda: p.poll() is None and p.kill())
        out = []
        threading.Thread(target=lambda: [out.append(l.decode("utf-8", "replace"))
                                         for l in iter(p.stdout.readline, b"")],
                         daemon=True).start()

        def oks():
            return sum(1 for l in out if l.startswith("SIP/2.0 200 OK"))

        ids = ["keyupdate-%d-%s@test" % (i, uuid.uuid4().hex[:8]) for i in range(3)]
        for i, call_id in enumerate(ids):
            if i > 0:
                p.stdin.write(b"K\n")  # KeyUpdate, update_requested
                p.stdin.flush()
                self.assertTrue(h.wait_until(
                    lambda: d.stats()["engine"]["key_updates"] == i, 10), "no KeyUpdate %d" % i)
            text = h.Request(call_id=call_id).encode().replace(b"\r\n", b"\n")
            p.stdin.write(text)  # one write: s_client reads it in one go, first byte "O"
            p.stdin.flush()
            self.assertTrue(h.wait_until(lambda: oks() == i + 1, 10),
                            "no 200 OK %d from s_client:\n%s" % (i, "".join(out)[-3000:]))
        p.stdin.close()
        p.wait(10)
        pcap = cap.stop()
        found = decode(pcap, keys, [d.port])
        for call_id in ids:
            self.assert_decoded(found, call_id, d.port)
        # Both directions updated twice: tshark saw each KeyUpdate (type 24) decrypted.
        updates = [t for t in tls_handshake_types(pcap, keys, d.port) if t[1] == 24]
        self.assertEqual(len([u for u in updates if u[0] == d.port]), 2, updates)
        self.assertEqual(len([u for u in updates if u[0] != d.port]), 2, updates)
        # Generation 0 only: the later ones are derived (RFC 8446 §7.2), by Wireshark too.
        self.assertNotIn("TRAFFIC_SECRET_1", open(keys).read())


# --- client role ------------------------------------------------------------------------------

def upstream(test, version):
    """A Python ssl (OpenSSL 3) SIP server on loopback answering 200 OK, at most TLS `version`
    (test_verification_matrix's peer)."""
    import test_verification_matrix
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(h.demo_certs(), "server.pem"))
    ctx.minimum_version = ctx.maximum_version = h.TLS_VERSIONS[version]
    return test_verification_matrix.SipTlsPeer(test, ctx)


class ClientRole(KeylogCase):
    def test_tshark_decodes_the_relays_upstream_connection_tls13_and_tls12(self):
        import test_relay
        for version in ("1.3", "1.2"):
            with self.subTest(version=version):
                up = upstream(self, version)
                # The capture must see the upstream handshake, which the relay makes at start.
                cap = Capture(self, [up.port])
                relay = test_relay.start_relay(
                    self, up.port, reactors=1,
                    config_lines=['modparam("tls", "keylog_mode", 11)',
                                  'modparam("tls", "keylog_file", "keys.log")'])
                keys = os.path.join(relay.workdir, "keys.log")
                call_id = "keylog-client-%s-%s@test" % (version, uuid.uuid4().hex[:8])
                conn = h.connect(relay.port, version="1.3")
                try:
                    conn.send(h.Request(call_id=call_id).encode())
                    resp = conn.read_message(10)
                    self.assertEqual(resp.start_line, "SIP/2.0 200 OK", resp.raw)
                    self.assertEqual(resp.all("Call-ID"), [call_id], resp.raw)
                finally:
                    conn.close()
                pcap = cap.stop()
                found = decode(pcap, keys, [up.port])
                # Where sipring is the TLS client: the OPTIONS it relayed, the 200 it received.
                self.assert_decoded(found, call_id, up.port)
                self.assertEqual(decode(pcap, None, [up.port]), [], "SIP visible without keys")
                want = "CLIENT_RANDOM " if version == "1.2" else "CLIENT_TRAFFIC_SECRET_0 "
                self.assertIn(want, open(keys).read())
                relay.kill()


# --- runtime switch and the log destination ---------------------------------------------------

class Runtime(KeylogCase):
    def test_sipringctl_switches_the_key_log_on_and_off_for_new_handshakes(self):
        d = h.start_daemon(self)
        keys = os.path.join(d.workdir, "keys.log")
        cap = Capture(self, [d.port])
        before = "keylog-before-%s@test" % uuid.uuid4().hex[:8]
        self.exchange(d.port, "1.3", before)
        self.assertFalse(os.path.exists(keys))
        for args in (("cfg.set_now_string", "tls", "keylog_file", keys),
                     ("cfg.set_now_int", "tls", "keylog_mode", 11)):
            rc, out, err = h.ctl(d, *args)
            self.assertEqual(rc, 0, "%s: %r %r" % (args, out, err))
        self.assertTrue(h.wait_until(lambda: any("key log ON" in l for l in d.log_lines()), 5),
                        d.log_text())
        on = "keylog-on-%s@test" % uuid.uuid4().hex[:8]
        self.exchange(d.port, "1.3", on)
        rc, out, err = h.ctl(d, "cfg.set_now_int", "tls", "keylog_mode", 0)
        self.assertEqual(rc, 0, err)
        off = "keylog-off-%s@test" % uuid.uuid4().hex[:8]
        self.exchange(d.port, "1.2", off)
        pcap = cap.stop()
        found = decode(pcap, keys, [d.port])
        self.assert_decoded(found, on, d.port)
        for call_id in (before, off):
            self.assertEqual([f for f in found if f[2] == call_id], [], call_id)
        self.assertTrue(h.wait_until(lambda: any("key log off" in l for l in d.log_lines()), 5),
                        d.log_text())

    def test_refused_values_name_the_reason(self):
        d = h.start_daemon(self)
        for args, why in ((("cfg.set_now_int", "tls", "keylog_mode", 11), "is not set"),
                          (("cfg.set_now_int", "tls", "keylog_mode", 10), "without bit 1"),
                          (("cfg.set_now_int", "tls", "keylog_mode", 16), "keylog_peer")):
            rc, out, err = h.ctl(d, *args)
            self.assertEqual(rc, 1, args)
            self.assertIn(why, err, args)
        rc, out, _ = h.ctl(d, "cfg.get", "tls", "keylog_mode")
        self.assertEqual(out, 0)

    def test_a_config_with_an_unusable_key_log_is_refused_at_start(self):
        for params, why in (({("tls", "keylog_mode"): 11}, "tls.keylog_file is not set"),
                            ({("tls", "keylog_mode"): 10}, "without bit 1"),
                            ({("tls", "keylog_mode"): 11,
                              ("tls", "keylog_file"): "/nonexistent/dir/keys.log"},
                             "cannot open or create")):
            with self.subTest(params=params):
                rc, err, _ = h.run_config(self, h.config_text(h.free_port(), params))
                self.assertNotEqual(rc, 0, err)
                self.assertIn(why, err)

    def test_bit_4_lines_in_the_log_decrypt_the_capture_too(self):
        d = h.start_daemon(self, params={("tls", "keylog_mode"): 7})
        cap = Capture(self, [d.port])
        call_id = "keylog-log-%s@test" % uuid.uuid4().hex[:8]
        self.exchange(d.port, "1.3", call_id)
        pcap = cap.stop()
        lines = [re.sub(r"^.*\[tls\] keylog: ", "", l) for l in d.log_lines()
                 if "[tls] keylog: " in l]
        self.assertEqual(len(lines), 5, d.log_text())
        keys = os.path.join(d.workdir, "from-log.keys")
        with open(keys, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.assert_decoded(decode(pcap, keys, [d.port]), call_id, d.port)
        self.assertFalse(os.path.exists(os.path.join(d.workdir, "keys.log")))


if __name__ == "__main__":
    unittest.main()
