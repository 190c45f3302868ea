"""Malformed SIP framing (RFC 3261 18.3 on a stream): every case on its own connection to a fresh
daemon with max_message_size 4096, next to a good connection that must not notice anything.

Expected: "SIP/2.0 400 Bad Request..." built from the request's headers when its start line and
headers parse (nothing for a garbage start line), then the server closes the connection; exactly
the one per-reason counter moves; exactly one log line names the offending peer.
"""

import time
import unittest

import harness as h

MAX = 4096
REASON_COUNTERS = ["bad_missing_content_length", "bad_content_length",
                   "bad_negative_content_length", "bad_conflicting_content_length",
                   "bad_content_length_too_large", "bad_head_too_long", "bad_start_line"]


class BadInput(unittest.TestCase):
    def setUp(self):
        self.d = h.start_daemon(self, params={("sipring", "max_message_size"): MAX})
        self.good = h.connect_for(self, self.d.port)
        h.exchange(self, self.good, h.Request("OPTIONS", cseq=1))

    def _bad(self, payload, counter, reason_name, req=None, version=None):
        """Sends payload on a new connection and checks the whole outcome. req: the request
        whose headers the 400 must carry, or None when no answer is expected."""
        bad = h.connect_for(self, self.d.port, version=version)
        peer = bad.local_addr
        bad.send(payload)
        kind, data = bad.wait_closed(timeout=5)
        if req is not None:
            msg, used = h.parse_one(data)
            self.assertIsNotNone(msg, "no complete 400 before the close; got %r" % data)
            h.check_response(self, req, msg, "SIP/2.0 400 Bad Request", status_prefix=True)
            self.assertEqual(data[used:], b"", "bytes after the 400")
        else:
            self.assertEqual(data, b"", "no answer expected for an unparseable start line")
        self.assertIn(kind, ("clean", "unclean", "reset"))

        # Counters and log.
        s = self.d.wait_stats(lambda s: h.counters(s)["bad_messages"] >= 1
                              and len(self.d.lines_naming(peer)) >= 1, timeout=5)
        e = h.counters(s)
        self.assertEqual(e["bad_messages"], 1, e)
        for name in REASON_COUNTERS:
            self.assertEqual(e[name], 1 if name == counter else 0, "%s: %s" % (name, e))
        self.assertEqual(e["replies_400"], 1 if req is not None else 0, e)
        time.sleep(0.2)
        lines = self.d.lines_naming(peer)
        self.assertEqual(len(lines), 1, "log lines naming %s:%d: %r" % (peer + (lines,)))
        self.assertIn(reason_name, lines[0])
        self.assertEqual(self.d.lines_naming(self.good.local_addr), [])

        # The good connection was not disturbed.
        h.exchange(self, self.good, h.Request("OPTIONS", cseq=2))
        # The server lingers (draining) until the peer closes too; then only the good one is left.
        bad.close()
        s = self.d.wait_stats(lambda s: h.counters(s)["closed"] >= 1, timeout=5)
        e = h.counters(s)
        self.assertEqual(e["messages_in"], 2, e)
        self.assertEqual(e["closed"], 1, e)
        self.assertEqual(e["connections_open"], 1, e)
        self.good.close()
        self.d.stop()

    def test_missing_content_length_gets_400_and_close(self):
        req = h.Request("OPTIONS", content_length=None)
        self._bad(req.encode(), "bad_missing_content_length", "missing-content-length", req)

    def test_negative_content_length_gets_400_and_close(self):
        req = h.Request("OPTIONS", content_length="-5")
        self._bad(req.encode(), "bad_negative_content_length", "negative-content-length", req)

    def test_non_numeric_content_length_gets_400_and_close(self):
        req = h.Request("OPTIONS", content_length="abc")
        self._bad(req.encode(), "bad_content_length", "bad-content-length", req)

    def test_duplicated_different_content_length_gets_400_and_close(self):
        req = h.Request("MESSAGE", content_length="0", extra_headers=["Content-Length: 10"])
        self.assertEqual(req.encode().count(b"Content-Length"), 2)
        self._bad(req.encode(), "bad_conflicting_content_length", "conflicting-content-length",
                  req)

    def test_content_length_over_max_message_size_gets_400_and_close(self):
        req = h.Request("MESSAGE", content_length=str(MAX * 10))
        self._bad(req.encode(), "bad_content_length_too_large", "content-length-too-large", req)

    def test_head_longer_than_max_message_size_gets_400_and_close(self):
        # The headers a response needs come first; the filler pushes the blank line past MAX.
        req = h.Request("OPTIONS", extra_headers=["X-Filler: " + "f" * (MAX + 100)])
        payload = req.encode()
        self.assertGreater(payload.index(b"\r\n\r\n"), MAX)
        self._bad(payload, "bad_head_too_long", "head-too-long", req)

    def test_unterminated_head_over_max_message_size_gets_400_and_close(self):
        # Same, but the blank line never comes: the server must decide at the limit.
        req = h.Request("OPTIONS")
        head = "\r\n".join(req.head_lines()[:-1]) + "\r\nX-Filler: " + "f" * (MAX + 100)
        self._bad(head.encode(), "bad_head_too_long", "head-too-long", req)

    def test_garbage_start_line_is_closed_without_answer(self):
        payload = (b"HELLO WORLD THIS IS NOT SIP\r\n"
                   b"Via: SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bKg\r\n"
                   b"Call-ID: garbage@client.example\r\nContent-Length: 0\r\n\r\n")
        self._bad(payload, "bad_start_line", "start-line")

    def test_garbage_start_line_over_tls12_is_closed_without_answer(self):
        payload = b"\x16\x03\x01garbage-binary\x00\x01\r\n\r\n"
        self._bad(payload, "bad_start_line", "start-line", version="1.2")


if __name__ == "__main__":
    unittest.main()
