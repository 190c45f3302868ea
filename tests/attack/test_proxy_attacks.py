"""Attacks on the PROXY protocol listener (sipring.proxy_protocol_listen), written from HAProxy's
proxy-protocol.txt, independently of sipring's parser (tests/unit has that parser's own tests).

A PROXY header is read before TLS starts, so it is the one place where sipring reads clear
bytes from a peer it has not authenticated at all. The attacks:

  * trickled headers: balancers that never finish a header (or a peer pretending to be one)
    are closed by the header timeout; connections on the plain listener are not slowed;
  * silent and half-sent headers: closed after sipring.proxy_header_timeout_ms, long before
    the handshake timeout, counted and logged, while a client whose header came goes on (and a
    complete header then silence gets the handshake's own timeout, not the header's);
  * malformed headers, each of a different kind (v1 without CRLF, v1 with a bad address, a v2
    length past the limit, a bad version, AF_UNIX, a TLV overrunning the header, a wrong
    CRC32C, two headers): each connection is closed at once, nothing is sent to it, and the
    server answers everyone else;
  * addresses claimed in headers do not escape the per-source limits: many connections
    claiming one client address are limited like that client connecting directly;
  * a header sent to a listener without the option is never honoured: it is TLS garbage there;
  * a header from a source outside proxy_protocol_trusted is never read.

Every loop is bounded in count and time; every address is on loopback.
"""

import socket
import ssl
import struct
import time
import unittest

import attack_lib as a
import proxy_headers as pp

h = a.h

SIG_V2 = pp.SIG
HEADER_TIMEOUT_MS = 1500
HANDSHAKE_TIMEOUT_MS = 8000  # well past the header's: a close in between is the header timeout
crc32c = pp.crc32c
tlv = pp.tlv


def v2(src="198.51.100.7", sport=40000, dst="127.0.0.1", dport=5061, tlvs=b"", command=0x21,
       family=0x11, crc=None, length=None):
    """A PROXY v2 header (command 0x21 = v2 PROXY, 0x20 = v2 LOCAL; family 0x11 = TCP over
    IPv4). crc: None = no CRC32C TLV, True = a correct one, an int = that value."""
    addr = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!HH", sport, dport)
    body = addr + tlvs
    if crc is not None:
        body += tlv(0x03, b"\x00\x00\x00\x00")
    n = len(body) if length is None else length
    head = SIG_V2 + bytes([command, family]) + struct.pack("!H", n)
    if crc is True:
        value = crc32c(head + body)
        body = body[:-4] + struct.pack("!I", value)
    elif crc is not None:
        body = body[:-4] + struct.pack("!I", crc)
    return head + body


def v1(src="198.51.100.7", sport=40000, dst="127.0.0.1", dport=5061):
    return ("PROXY TCP4 %s %s %d %d\r\n" % (src, dst, sport, dport)).encode()


class ProxyAttacks(unittest.TestCase):
    def _start(self, extra=None, trusted="127.0.0.1/32"):
        self.pport = h.free_port()
        params = {("sipring", "proxy_protocol_listen"): "tls:%s:%d" % (h.HOST, self.pport),
                  ("sipring", "proxy_protocol_trusted"): trusted,
                  ("sipring", "max_connections"): 600,
                  ("sipring", "proxy_header_timeout_ms"): HEADER_TIMEOUT_MS,
                  ("sipring", "handshake_timeout_ms"): HANDSHAKE_TIMEOUT_MS}
        params.update(extra or {})
        return a.start(self, params)

    def _tcp(self, source="127.0.0.1", port=None):
        s = a.tcp_from(source, port or self.pport)
        self.addCleanup(s.close)
        return s

    def _tls_after(self, raw, header):
        raw.sendall(header)
        s = h.client_context().wrap_socket(raw, server_hostname=h.SERVER_NAME,
                                           suppress_ragged_eofs=False)
        return h.SipConn(s)

    def _peers(self, d):
        rc, out, err = h.ctl(d, "tls.list")
        self.assertEqual(rc, 0, err)
        text = repr(out)
        return text

    def test_trickled_headers_are_closed_by_the_header_timeout(self):
        d = self._start()
        at = a.Attack(self, d, "proxy_trickled_headers").start()
        n = 60
        conns = [self._tcp() for _ in range(n)]
        header = v2(crc=True, tlvs=tlv(0x05, b"x" * 64))
        t0 = time.monotonic()
        for c in conns:
            c.sendall(header[:7])  # part of the signature, then nothing
        closed = [None] * n
        deadline = t0 + HEADER_TIMEOUT_MS / 1000.0 + 4
        while time.monotonic() < deadline and any(x is None for x in closed):
            for i, c in enumerate(conns):
                if closed[i] is not None:
                    continue
                c.settimeout(0.01)
                try:
                    data = c.recv(100)
                    if not data:
                        closed[i] = time.monotonic() - t0
                except socket.timeout:
                    pass
                except OSError:
                    closed[i] = time.monotonic() - t0
        at.hold(2.0)
        at.end()
        at.settled()
        times = [t for t in closed if t is not None]
        at.report("%d/%d trickled headers closed, last after %s s"
                  % (len(times), n, "%.2f" % max(times) if times else "-"))
        self.assertEqual(len(times), n, "headers left open past the timeout")
        self.assertGreaterEqual(min(times), HEADER_TIMEOUT_MS / 1000.0 * 0.8, "closed too early")
        at.assert_probe(p99_max_ms=250)
        # The listener still serves a well-formed header afterwards.
        c = self._tls_after(self._tcp(), v2(crc=True))
        req = h.Request()
        c.send(req.encode())
        h.check_200(self, req, c.read_message(), peer=("198.51.100.7", 40000))
        c.close()

    def test_silent_and_half_headers_are_closed_by_the_header_timeout_not_the_handshakes(self):
        header_ms = 1000
        d = self._start({("sipring", "proxy_header_timeout_ms"): header_ms})
        before = a.counter(d.stats(), "proxy_timeouts")
        since = len(d.log_lines())
        # A client whose header came at once, in TLS before the others connect.
        good = self._tls_after(self._tcp(), v2(src="203.0.113.21", crc=True))
        t0 = time.monotonic()
        silent = self._tcp()                        # connects, sends nothing
        half_v1 = self._tcp()
        half_v1.sendall(v1(src="203.0.113.22")[:20])  # half a v1 line
        half_v2 = self._tcp()
        half_v2.sendall(v2(src="203.0.113.23", crc=True)[:20])  # past the signature, not all
        header_only = self._tcp()  # a whole header, then no TLS: the handshake timeout's case
        header_only.sendall(v2(src="203.0.113.24"))
        waiting = {"silent": silent, "half v1": half_v1, "half v2": half_v2}
        closed = {}
        served = 0
        # Until all three are closed (at most 5 s): the good client keeps asking, and each
        # answer must come as usual.
        deadline = t0 + 5.0
        while time.monotonic() < deadline and len(closed) < len(waiting):
            req = h.Request()
            good.send(req.encode())
            h.check_200(self, req, good.read_message(timeout=2.0),
                        peer=("203.0.113.21", 40000))
            served += 1
            for name, s in waiting.items():
                if name in closed:
                    continue
                s.settimeout(0.02)
                try:
                    data = s.recv(100)
                except socket.timeout:
                    continue
                except OSError:
                    data = b""
                self.assertEqual(data, b"", "%s: the server sent bytes before TLS" % name)
                closed[name] = time.monotonic() - t0
        # The complete header is past the header timeout and still waits for its handshake.
        header_only.settimeout(0.2)
        try:
            still_open = header_only.recv(100) != b""
        except socket.timeout:
            still_open = True
        except OSError:
            still_open = False
        st = a.wait_counter(d, lambda get: get("proxy_timeouts") >= before + 3, timeout=3.0)
        lines = [l for l in d.log_lines()[since:]
                 if "PROXY protocol header incomplete, closing" in l]
        print("  header timeout %d ms, handshake timeout %d ms: closed %s; %d requests served "
              "meanwhile; proxy_timeouts +%d; header-then-silence open at %.2f s: %s"
              % (header_ms, HANDSHAKE_TIMEOUT_MS,
                 ", ".join("%s %.2f s" % kv for kv in sorted(closed.items())), served,
                 a.counter(st, "proxy_timeouts") - before, time.monotonic() - t0, still_open))
        self.assertEqual(sorted(closed), sorted(waiting), "left open: %s" % closed)
        for name, took in closed.items():
            self.assertGreaterEqual(took, header_ms / 1000.0 * 0.8, "%s closed too early" % name)
            self.assertLess(took, header_ms / 1000.0 + 1.5, "%s closed too late" % name)
        self.assertEqual(a.counter(st, "proxy_timeouts"), before + 3)
        self.assertTrue(still_open, "a complete header was closed by the header timeout")
        self.assertGreaterEqual(len(lines), 1, "no log line for the header timeout")
        self.assertIn("sipring.proxy_header_timeout_ms", lines[0])
        self.assertGreater(served, 5)
        # The good client is still served, and a new one gets in.
        req = h.Request()
        good.send(req.encode())
        h.check_200(self, req, good.read_message(), peer=("203.0.113.21", 40000))
        late = self._tls_after(self._tcp(), v1(src="203.0.113.25"))
        req = h.Request()
        late.send(req.encode())
        h.check_200(self, req, late.read_message(), peer=("203.0.113.25", 40000))
        good.close()
        late.close()

    def test_malformed_headers_are_closed_at_once_and_others_are_served(self):
        d = self._start()
        at = a.Attack(self, d, "proxy_malformed_headers").start()
        good = v2()
        cases = {
            "v1 without CRLF": b"PROXY TCP4 198.51.100.7 127.0.0.1 1 2" + b" " * 120,
            "v1 bad address": b"PROXY TCP4 999.51.100.7 127.0.0.1 40000 5061\r\n",
            "v1 bad port": b"PROXY TCP4 198.51.100.7 127.0.0.1 70000 5061\r\n",
            "v1 lower case": b"proxy TCP4 198.51.100.7 127.0.0.1 40000 5061\r\n",
            "v2 version 1": SIG_V2 + b"\x11\x11" + good[14:],
            "v2 command 3": SIG_V2 + b"\x23\x11" + good[14:],
            "v2 AF_UNIX PROXY": SIG_V2 + b"\x21\x31" + struct.pack("!H", 216) + b"\x00" * 216,
            "v2 address block short": SIG_V2 + b"\x21\x11" + struct.pack("!H", 4) + b"\x7f\x00\x00\x01",
            "v2 TLV overruns": v2(tlvs=struct.pack("!BH", 0x05, 200) + b"x" * 10),
            "v2 SSL sub-TLV overruns": v2(tlvs=tlv(0x20, b"\x01" + b"\x00" * 4 +
                                                    struct.pack("!BH", 0x21, 300) + b"1.3")),
            "v2 bad CRC32C": v2(crc=0x12345678),
            "v2 length 65535": SIG_V2 + b"\x21\x11\xff\xff" + b"\x00" * 4096,
            "not a header": b"\x16\x03\x01\x00\xc8\x01\x00\x00\xc4\x03\x03" + b"\x00" * 60,
        }
        outcomes = {}
        for name, data in cases.items():
            s = self._tcp()
            t0 = time.monotonic()
            try:
                s.sendall(data)
            except OSError:
                pass  # closed while we were still sending: fine
            got = a.read_to_close(s, timeout=3.0)
            outcomes[name] = (got, time.monotonic() - t0)
        at.hold(1.0)
        at.end()
        at.settled()
        at.report("%d malformed headers: %s" % (len(cases), ", ".join(
            "%s %.2fs" % (n, t) for n, (_, t) in outcomes.items())))
        for name, (got, took) in outcomes.items():
            self.assertFalse(got.endswith(b"<open>"), "%s: left open" % name)
            self.assertEqual(got, b"", "%s: the server sent %r before TLS started" % (name, got))
            self.assertLess(took, 2.5, "%s: closed only after %.2f s" % (name, took))
        at.assert_probe(p99_max_ms=250)
        self.assertIsNone(d.proc.poll(), "sipring exited")

    def test_a_header_split_in_single_bytes_then_tls_works(self):
        d = self._start()
        header = v2(src="203.0.113.9", sport=41234, crc=True,
                    tlvs=tlv(0x02, b"sip.example.com") + tlv(0x05, b"uid-1234567"))
        raw = self._tcp()
        for i in range(len(header)):
            raw.sendall(header[i:i + 1])
            time.sleep(0.005)
        c = self._tls_after(raw, b"")
        req = h.Request()
        c.send(req.encode())
        h.check_200(self, req, c.read_message(), peer=("203.0.113.9", 41234))
        listing = self._peers(d)
        self.assertIn("203.0.113.9", listing)
        c.close()

    def test_header_and_client_hello_in_one_segment_work(self):
        d = self._start()
        # Python's ssl sends the ClientHello in its own write; a MemoryBIO lets the test put
        # both in one send.
        obj, inc, out = h.memory_bio_client()
        raw = self._tcp()
        raw.sendall(v2(src="203.0.113.10", crc=True) + out.read())
        raw.settimeout(5)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            data = raw.recv(65536)
            self.assertTrue(data, "closed during the handshake")
            inc.write(data)
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pending = out.read()
                if pending:
                    raw.sendall(pending)
        raw.sendall(out.read())
        self.assertIn("203.0.113.10", self._peers(d))

    def test_claimed_addresses_do_not_escape_the_per_source_limit(self):
        limit = 5
        d = self._start({("sipring", "max_connections_per_source"): limit})
        held = []
        for i in range(limit):
            held.append(self._tls_after(self._tcp(), v2(src="198.51.100.77", sport=50000 + i)))
        # The next connection claiming the same client is refused...
        s = self._tcp()
        s.sendall(v2(src="198.51.100.77", sport=50100))
        got = a.read_to_close(s, timeout=3.0)
        self.assertFalse(got.endswith(b"<open>"), "the limit of the claimed source was not applied")
        # ...while another claimed client, through the same balancer address, gets in.
        other = self._tls_after(self._tcp(), v2(src="198.51.100.78"))
        req = h.Request()
        other.send(req.encode())
        h.check_200(self, req, other.read_message(), peer=("198.51.100.78", 40000))
        for c in held + [other]:
            c.close()

    def test_a_header_on_the_plain_listener_is_never_honoured(self):
        d = self._start()
        raw = self._tcp(port=d.port)
        raw.sendall(v2(src="192.0.2.66", crc=True))
        with self.assertRaises((ssl.SSLError, OSError)):
            c = h.client_context().wrap_socket(raw, server_hostname=h.SERVER_NAME)
            c.close()
        self.assertNotIn("192.0.2.66", self._peers(d))

    def test_an_untrusted_source_is_closed_without_reading_its_header(self):
        d = self._start()
        s = self._tcp(source="127.0.0.2")
        t0 = time.monotonic()
        try:
            s.sendall(v2(src="192.0.2.67", crc=True))
        except OSError:
            pass
        got = a.read_to_close(s, timeout=3.0)
        self.assertFalse(got.endswith(b"<open>"), "an untrusted source was kept open")
        self.assertLess(time.monotonic() - t0, 2.0)
        self.assertNotIn("192.0.2.67", self._peers(d))


if __name__ == "__main__":
    unittest.main()
