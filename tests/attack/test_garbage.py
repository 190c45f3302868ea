"""Garbage and oversized TLS and SIP, in volume, from several source addresses while the probe
runs: every bad connection gets the right fatal TLS alert (RFC 8446 5, 5.2, 6.2) or a 400 (RFC
3261 18.3 framing; nothing for an unparseable start line) and is closed; the probe never notices;
nothing is left open and sipring's fd count is back to its start.
"""

import os
import ssl
import unittest

import attack_lib as a

ROUNDS = 15
MAX_MESSAGE = 4096
SOURCES = 8

# TLS alert descriptions (RFC 8446 6).
UNEXPECTED_MESSAGE, BAD_RECORD_MAC, RECORD_OVERFLOW, DECODE_ERROR, PROTOCOL_VERSION = (
    10, 20, 22, 50, 70)
ALERT_REASONS = {  # OpenSSL's name for a received alert (ssl.SSLError.reason)
    UNEXPECTED_MESSAGE: "SSLV3_ALERT_UNEXPECTED_MESSAGE",
    BAD_RECORD_MAC: "SSLV3_ALERT_BAD_RECORD_MAC",
    RECORD_OVERFLOW: "TLSV1_ALERT_RECORD_OVERFLOW",
}


def plain_alert(data):
    """(level, description) of a clear-text alert record at the start of data, None if the
    server closed without one, or "<open>" / the raw bytes when it did something else."""
    if data.endswith(b"<open>"):
        return "<open>"
    if not data:
        return None
    if len(data) >= 7 and data[0] == 21:
        return (data[5], data[6])
    return data[:16]


class Garbage(unittest.TestCase):
    def setUp(self):
        self.d = a.start(self, {("sipring", "max_message_size"): MAX_MESSAGE,
                                ("sipring", "handshake_timeout_ms"): 1000,
                                ("sipring", "max_connections"): 300})
        self.n = 0

    def src(self):
        self.n += 1
        return a.attacker_ip(self.n % SOURCES)

    def finish(self, at, outcome):
        at.end()
        s = a.wait_counter(self.d, lambda c: c("connections_open") == 0, timeout=5)
        at.settled()
        at.report(outcome)
        self.assertEqual(a.counter(s, "connections_open"), 0, "bad connections left open")
        self.assertLessEqual(at.fds_after, at.fds_before)
        at.assert_probe(p99_max_ms=250)
        self.d.stop()
        return s

    def test_garbage_before_the_handshake_gets_a_fatal_alert(self):
        at = a.Attack(self, self.d, "garbage_tls_handshake", fresh_every=0.25).start()
        cases = {
            # A record longer than 2^14 + 256 bytes (RFC 8446 5.1/5.2).
            "record_overflow": (b"\x16\x03\x01\xff\xff" + b"\x01" * 100, (2, RECORD_OVERFLOW)),
            # An SSLv2-style hello and bytes that are no TLS record at all.
            "sslv2_hello": (b"\x80\x2e\x01\x00\x02" + b"\x00" * 45, (2, PROTOCOL_VERSION)),
            "zeros": (b"\x00" * 300, (2, PROTOCOL_VERSION)),
            # A ClientHello too short to hold its fields.
            "truncated_hello": (b"\x16\x03\x01\x00\x08\x01\x00\x00\x04\x03\x03\x00\x00",
                                (2, DECODE_ERROR)),
            # Plain HTTP: BoringSSL closes without an alert (it is not a TLS peer); logged.
            "http_request": (b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", None),
        }
        got = {}
        for r in range(ROUNDS):
            for name, (payload, want) in cases.items():
                s = a.tcp_from(self.src(), self.d.port)
                s.sendall(payload)
                got.setdefault(name, set()).add(plain_alert(a.read_to_close(s)))
                s.close()
        outcome = ", ".join("%s %s" % (k, sorted(map(str, v))) for k, v in got.items())
        st = self.finish(at, "%d connections: %s" % (ROUNDS * len(cases), outcome))
        for name, (payload, want) in cases.items():
            self.assertEqual(got[name], {want}, name)
        self.assertGreaterEqual(a.counter(st, "handshake_failures"), ROUNDS * len(cases))

    def _after_handshake(self, payload, expect_alert):
        """Sends payload (raw bytes) after a completed handshake; returns what came back:
        the received alert's OpenSSL reason, "close_notify", "eof" or "<open>"."""
        b = a.BioConn(self.src(), self.d.port)
        b.sock.setblocking(True)
        b.sock.sendall(payload)
        data = a.read_to_close(b.sock)
        b.close()
        if data.endswith(b"<open>"):
            return "<open>"
        b.inc.write(data)
        try:
            while True:
                if not b.obj.read(65536):
                    return "close_notify"
        except ssl.SSLWantReadError:
            return "eof"
        except ssl.SSLError as e:
            return e.reason

    def test_bad_records_after_the_handshake_get_the_right_alert(self):
        at = a.Attack(self, self.d, "garbage_tls_records", fresh_every=0.25).start()
        cases = {
            # Longer than 2^14 + 256 (RFC 8446 5.2): record_overflow.
            "oversized_record": (b"\x17\x03\x03\x48\x01" + b"\x00" * 200, RECORD_OVERFLOW),
            # Ciphertext that does not authenticate: bad_record_mac.
            "bad_mac": (b"\x17\x03\x03\x01\x00" + os.urandom(256), BAD_RECORD_MAC),
            # An unknown record type (RFC 8446 5): unexpected_message.
            "bad_type": (b"\x42\x03\x03\x00\x20" + os.urandom(32), UNEXPECTED_MESSAGE),
        }
        got = {}
        for r in range(ROUNDS):
            for name, (payload, want) in cases.items():
                got.setdefault(name, set()).add(self._after_handshake(payload, want))
        outcome = ", ".join("%s %s" % (k, sorted(v)) for k, v in got.items())
        self.finish(at, "%d connections: %s" % (ROUNDS * len(cases), outcome))
        for name, (payload, want) in cases.items():
            self.assertEqual(got[name], {ALERT_REASONS[want]}, name)

    def test_bad_and_oversized_sip_gets_400_or_close(self):
        at = a.Attack(self, self.d, "garbage_sip", fresh_every=0.25).start()
        big_cl = a.h.Request("MESSAGE", content_length=str(MAX_MESSAGE * 10))
        head = a.h.Request("OPTIONS")
        long_head = ("\r\n".join(head.head_lines()[:-1]) + "\r\nX-Filler: "
                     + "f" * (MAX_MESSAGE + 100)).encode()
        cases = {
            "content_length_over_max": (big_cl.encode(), "SIP/2.0 400"),
            "head_over_max": (long_head, "SIP/2.0 400"),
            "garbage_start_line": (b"\x01\x02 NOT SIP AT ALL\r\nContent-Length: 0\r\n\r\n", None),
            "oversized_garbage": (os.urandom(MAX_MESSAGE * 3).replace(b"\r\n\r\n", b"xxxx"),
                                  None),
        }
        got = {}
        base = self.d.stats()
        for r in range(ROUNDS):
            for name, (payload, want) in cases.items():
                c = a.tls_from(self.src(), self.d.port)
                c.send(payload)
                try:
                    kind, data = c.wait_closed(timeout=3)
                except AssertionError:
                    kind, data = "<open>", b""
                c.close()
                msg, _ = a.h.parse_one(data)
                answer = msg.start_line[:11] if msg is not None else (data[:16] or None)
                got.setdefault(name, set()).add((answer, kind != "<open>"))
        outcome = ", ".join("%s %s" % (k, sorted(map(str, v))) for k, v in got.items())
        st = self.finish(at, "%d connections: %s" % (ROUNDS * len(cases), outcome))
        for name, (payload, want) in cases.items():
            self.assertEqual(got[name], {(want, True)}, name)
        n = ROUNDS * len(cases)
        self.assertEqual(a.counter(st, "bad_messages") - a.counter(base, "bad_messages"), n)
        self.assertEqual(a.counter(st, "replies_400") - a.counter(base, "replies_400"),
                         2 * ROUNDS)


if __name__ == "__main__":
    unittest.main()
