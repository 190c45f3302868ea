"""PROXY protocol v1/v2 on sipring.proxy_protocol_listen (README "PROXY protocol").

The headers are built here from HAProxy's doc/proxy-protocol.txt, independently of sipring's
parser (the CRC32C too: a table-driven Castagnoli CRC of our own), sent on a plain socket, and
TLS then runs on that same socket with Python's ssl (OpenSSL 3). What is checked is what an
operator and a SIP core see: the client the header names in tls.list and tls.facts (and the
balancer, the authority, the unique id beside it), the counters, the log lines, and that a plain
listener next to it never reads a header. One smoke test puts Debian's haproxy (send-proxy-v2,
crc32c, unique-id) in front.
"""

import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import unittest

import harness as h
from proxy_headers import raw_to, refused, tls_after, tlv, v1, v2

# --- building headers (spec §2.1, §2.2): proxy_headers.py ---------------------------------------

def ssl_tlv(cn=b"alice", version=b"TLSv1.3"):
    value = bytes([0x07]) + struct.pack(">I", 0) + tlv(0x21, version) + tlv(0x22, cn)
    return tlv(0x20, value)


# --- clients -----------------------------------------------------------------------------------

def conn_listed(test, d, src):
    """The tls.list entry whose src is `src` ("ip:port"), waited for briefly."""
    deadline = time.monotonic() + 5
    while True:
        rc, out, err = h.ctl(d, "tls.list")
        test.assertEqual(rc, 0, err)
        for c in out:
            if c["src"] == src:
                return c
        if time.monotonic() > deadline:
            test.fail("%s not in tls.list: %s" % (src, out))
        time.sleep(0.05)


def engine(d):
    return h.counters(d.stats())


def warnings_or_errors(d, since):
    return [l for l in d.log_lines()[since:] if "WARNING" in l or "ERROR" in l]


class ProxyProtocol(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pport = h.free_port()
        cls.d = h.start_daemon(cls, {
            ("sipring", "proxy_protocol_listen"): "tls:127.0.0.1:%d" % cls.pport,
            ("sipring", "proxy_protocol_trusted"): "127.0.0.1/32,::1/128",
            ("sipring", "proxy_header_max"): 1024,
            ("sipring", "handshake_timeout_ms"): 1500,
            ("sipring", "proxy_header_timeout_ms"): 500,
        })

    def test_v2_names_the_client_everywhere(self):
        hdr = v2(("203.0.113.7", 40001), ("198.51.100.1", 5061),
                 tlvs=tlv(0x02, b"sip.example.com") + tlv(0x05, b"uid-42") + ssl_tlv())
        c = tls_after(self, self.pport, hdr)
        h.exchange(self, c, h.Request("OPTIONS"), peer=("203.0.113.7", 40001))
        e = conn_listed(self, self.d, "203.0.113.7:40001")
        self.assertEqual(e["proxy"]["balancer"], "127.0.0.1:%d" % c.local_addr[1])
        self.assertEqual(e["proxy"]["unique_id"], "uid-42")
        self.assertEqual(e["dst"], "127.0.0.1:%d" % self.pport)
        rc, f, err = h.ctl(self.d, "tls.facts", e["id"])
        self.assertEqual(rc, 0, err)
        p = f["proxy"]
        self.assertEqual(p["version"], 2)
        self.assertEqual(p["command"], "PROXY")
        self.assertEqual(p["destination"], "198.51.100.1:5061")
        self.assertEqual(p["authority"], "sip.example.com")
        self.assertEqual(p["unique_id_hex"], b"uid-42".hex())
        self.assertTrue(p["crc32c"])
        self.assertEqual(p["ssl"]["cn"], "alice")
        self.assertEqual(p["ssl"]["version"], "TLSv1.3")
        self.assertEqual(f["version"][:5], "TLSv1")  # TLS ran after the header
        # Log lines name the client too: kill it and find its address in the log.
        rc, _, err = h.ctl(self.d, "tls.kill", e["id"])
        self.assertEqual(rc, 0, err)

    def test_v2_ipv6_client_and_header_in_pieces(self):
        hdr = v2(("2001:db8::7", 5), ("2001:db8::1", 5061), tlvs=tlv(0x04, b"\0" * 200))
        c = tls_after(self, self.pport, hdr, pieces=4, pause=0.05)
        h.exchange(self, c, h.Request("OPTIONS"), peer=("2001:db8::7", 5))
        e = conn_listed(self, self.d, "[2001:db8::7]:5")
        self.assertTrue(e["proxy"]["crc32c"])

    def test_v1_tcp4_and_tcp6(self):
        for src, dst in ((("192.0.2.44", 1234), ("192.0.2.1", 5061)),
                         (("2001:db8::44", 4321), ("2001:db8::1", 5061))):
            c = tls_after(self, self.pport, v1(src, dst))
            h.exchange(self, c, h.Request("OPTIONS"), peer=src)
            shown = ("[%s]:%d" if ":" in src[0] else "%s:%d") % src
            e = conn_listed(self, self.d, shown)
            self.assertEqual(e["proxy"]["version"], 1)

    def test_local_health_check_is_quiet(self):
        before = engine(self.d)
        since = len(self.d.log_lines())
        # The balancer's check: LOCAL, no addresses, then close without TLS.
        for _ in range(3):
            s = raw_to(self.pport)
            s.sendall(v2(command=0))
            s.close()
        # A plain TCP check (connect, close) too.
        raw_to(self.pport).close()
        s = self.d.wait_stats(lambda s: h.counters(s)["proxy_local"] >= before["proxy_local"] + 3
                              and h.counters(s)["proxy_no_header"] >= before["proxy_no_header"] + 1)
        self.assertEqual(h.counters(s)["proxy_local"], before["proxy_local"] + 3)
        time.sleep(0.2)
        self.assertEqual(warnings_or_errors(self.d, since), [])
        # LOCAL followed by TLS: the socket's own addresses stay.
        c = tls_after(self, self.pport, v2(command=0))
        h.exchange(self, c, h.Request("OPTIONS"))
        e = conn_listed(self, self.d, "127.0.0.1:%d" % c.local_addr[1])
        self.assertEqual(e["proxy"]["command"], "LOCAL")

    def _refused(self, counter, data, **kw):
        before = engine(self.d)[counter]
        self.assertTrue(refused(self.pport, data, **kw), counter)
        s = self.d.wait_stats(lambda s: h.counters(s)[counter] > before)
        self.assertEqual(h.counters(s)[counter], before + 1, counter)

    def test_no_header_is_refused(self):
        self._refused("proxy_no_header", b"", then_tls=True)
        self.assertIn("no PROXY protocol header", self.d.log_text())

    def test_untrusted_source_is_refused_at_accept(self):
        hdr = v2(("203.0.113.9", 1), ("198.51.100.1", 5061))
        self._refused("proxy_untrusted", hdr, source="127.0.0.5", then_tls=True)
        self.assertIn("not in sipring.proxy_protocol_trusted", self.d.log_text())

    def test_forged_and_broken_headers_are_refused(self):
        self._refused("proxy_bad_header", b"PROXY TCP4 203.0.113.9 198.51.100.1 01 5061\r\n")
        self._refused("proxy_bad_header", v2(("203.0.113.9", 1), ("198.51.100.1", 5061),
                                             family=0x12))  # UDP
        self._refused("proxy_no_header", b"GET / HTTP/1.0\r\n\r\n")
        self.assertIn("bad PROXY protocol header", self.d.log_text())

    def test_bad_crc_is_refused(self):
        hdr = bytearray(v2(("203.0.113.9", 1), ("198.51.100.1", 5061), tlvs=tlv(0x05, b"x")))
        hdr[20] ^= 0x01  # the client's address, after the CRC was computed
        self._refused("proxy_bad_crc", bytes(hdr))
        self.assertIn("CRC32C does not match", self.d.log_text())

    def test_oversized_header_is_refused(self):
        hdr = v2(("203.0.113.9", 1), ("198.51.100.1", 5061), tlvs=tlv(0x04, b"\0" * 1100))
        self._refused("proxy_too_long", hdr)
        self.assertIn("sipring.proxy_header_max", self.d.log_text())

    def test_slow_header_times_out(self):
        before = engine(self.d)["proxy_timeouts"]
        s = raw_to(self.pport, timeout=6)
        s.sendall(v2(("203.0.113.9", 1), ("198.51.100.1", 5061))[:10])
        t0 = time.monotonic()
        try:
            self.assertEqual(s.recv(10), b"")
        except ConnectionResetError:
            pass
        took = time.monotonic() - t0
        s.close()
        # sipring.proxy_header_timeout_ms (500), not handshake_timeout_ms (1500).
        self.assertGreater(took, 0.3)
        self.assertLess(took, 1.4)
        st = self.d.wait_stats(lambda s: h.counters(s)["proxy_timeouts"] > before)
        self.assertEqual(h.counters(st)["proxy_timeouts"], before + 1)

    def test_plain_listener_never_reads_a_header(self):
        c = h.connect_for(self, self.d.port)
        h.exchange(self, c, h.Request("OPTIONS"))
        e = conn_listed(self, self.d, "127.0.0.1:%d" % c.local_addr[1])
        self.assertIsNone(e["proxy"])
        # A header there is just bytes that are not TLS.
        self.assertTrue(refused(self.d.port, v1(("203.0.113.9", 1), ("198.51.100.1", 5061)),
                                then_tls=False))


class ProxySourceLimits(unittest.TestCase):
    def test_source_limits_count_the_real_client(self):
        pport = h.free_port()
        h.start_daemon(self, {
            ("sipring", "proxy_protocol_listen"): "tls:127.0.0.1:%d" % pport,
            ("sipring", "proxy_protocol_trusted"): "127.0.0.1/32",
            ("sipring", "max_connections_per_source"): 4,
        })
        # max_connections_per_source 4: five connections of one client through the balancer
        # are held to four, while another client through the same balancer still gets in.
        held, refused_n = [], 0
        for i in range(5):
            try:
                c = tls_after(self, pport, v2(("203.0.113.50", 100 + i), ("198.51.100.1", 5061)))
                h.exchange(self, c, h.Request("OPTIONS"), timeout=3, peer=("203.0.113.50", 100 + i))
                held.append(c)
            except (OSError, ssl.SSLError, h.ConnectionClosed, AssertionError):
                refused_n += 1
        self.assertEqual((len(held), refused_n), (4, 1))
        c = tls_after(self, pport, v2(("203.0.113.51", 100), ("198.51.100.1", 5061)))
        h.exchange(self, c, h.Request("OPTIONS"), peer=("203.0.113.51", 100))
        for c in held:
            c.close()


class ProxyConfig(unittest.TestCase):
    def test_proxy_listen_needs_trusted_networks(self):
        port = h.free_port()
        text = h.config_text(h.free_port(), {
            ("sipring", "proxy_protocol_listen"): "tls:127.0.0.1:%d" % port})
        rc, err, _ = h.run_config(self, text)
        self.assertNotEqual(rc, 0)
        self.assertIn("needs sipring.proxy_protocol_trusted", err)

    def test_bad_network_is_refused(self):
        text = h.config_text(h.free_port(), {
            ("sipring", "proxy_protocol_trusted"): "127.0.0.1/24"})
        rc, err, _ = h.run_config(self, text)
        self.assertNotEqual(rc, 0)
        self.assertIn("host bits set", err)


HAPROXY_CFG = """
global
    maxconn 100
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{front}
    unique-id-format smoke-%{{+X}}o%ci:%cp
    default_backend be
backend be
    server s1 127.0.0.1:{back} send-proxy-v2 proxy-v2-options crc32c,unique-id
"""


class HaproxySmoke(unittest.TestCase):
    def test_haproxy_send_proxy_v2(self):
        haproxy = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
        if haproxy is None:
            raise unittest.SkipTest("haproxy is not installed (tools/install-deps.sh installs it)")
        pport = h.free_port()
        d = h.start_daemon(self, {
            ("sipring", "proxy_protocol_listen"): "tls:127.0.0.1:%d" % pport,
            ("sipring", "proxy_protocol_trusted"): "127.0.0.1/32",
        })
        front = h.free_port()
        workdir = tempfile.mkdtemp(prefix="sipring-it-haproxy.")
        self.addCleanup(shutil.rmtree, workdir, True)
        cfg = os.path.join(workdir, "haproxy.cfg")
        with open(cfg, "w") as f:
            f.write(HAPROXY_CFG.format(front=front, back=pport))
        p = subprocess.Popen([haproxy, "-db", "-f", cfg], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        self.addCleanup(p.wait, 10)
        self.addCleanup(p.kill)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection((h.HOST, front), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or p.poll() is not None:
                    self.fail("haproxy did not start: %s" % (p.stdout.read() if p.poll() is not None else ""))
                time.sleep(0.1)
        raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        raw.settimeout(5)
        raw.bind(("127.0.0.10", 0))
        raw.connect((h.HOST, front))
        s = h.client_context().wrap_socket(raw, server_hostname=h.SERVER_NAME)
        c = h.SipConn(s)
        self.addCleanup(c.close)
        h.exchange(self, c, h.Request("OPTIONS"))
        e = conn_listed(self, d, "127.0.0.10:%d" % c.local_addr[1])
        self.assertEqual(e["proxy"]["version"], 2)
        self.assertTrue(e["proxy"]["crc32c"])
        self.assertTrue(e["proxy"]["unique_id"].startswith("smoke-"), e["proxy"])
        self.assertEqual(e["proxy"]["destination"], "127.0.0.1:%d" % front)


if __name__ == "__main__":
    unittest.main()
