"""RFC 5626 section 4.4.1 keep-alives on a stream: a client's CRLFCRLF ("ping") is answered with a
single CRLF ("pong") and is not a SIP message; a lone CRLF between messages is skipped."""

import time
import unittest

import harness as h


class _KeepAlive:
    VERSION = None

    def setUp(self):
        self.d = h.start_daemon(self)
        self.c = h.connect_for(self, self.d.port, version=self.VERSION)

    def test_double_crlf_ping_gets_exactly_one_crlf_and_is_not_a_message(self):
        self.c.send(b"\r\n\r\n")
        self.assertEqual(self.c.read_exact(2, timeout=5), b"\r\n")
        self.assertEqual(self.c.read_for(0.5), b"", "only one CRLF may answer a ping")
        e = h.counters(self.d.stats())
        self.assertEqual(e["pings"], 1, e)
        self.assertEqual(e["messages_in"], 0, e)
        self.assertEqual(e["bad_messages"], 0, e)
        # Still usable.
        h.exchange(self, self.c, h.Request("OPTIONS"))
        self.c.close()
        self.d.stop()

    def test_single_crlf_before_request_is_skipped(self):
        req = h.Request("OPTIONS")
        self.c.send(b"\r\n" + req.encode())
        h.check_200(self, req, self.c.read_message())
        self.assertEqual(self.c.read_for(0.3), b"", "nothing but the 200 OK")
        e = h.counters(self.d.stats())
        self.assertEqual(e["messages_in"], 1, e)
        self.assertEqual(e["pings"], 0, e)
        self.assertEqual(e["bad_messages"], 0, e)
        self.c.close()
        self.d.stop()

    def test_ping_between_pipelined_requests_gets_one_crlf_and_both_answers(self):
        # The pong may overtake the answer to the request before the ping (RFC 5626 says to
        # answer "immediately"), but it must come between messages, exactly once.
        a, b = h.Request("OPTIONS", cseq=1), h.Request("OPTIONS", cseq=2)
        self.c.send(a.encode() + b"\r\n\r\n" + b.encode())
        answers, pongs = [], 0
        buf = bytearray()
        deadline = time.monotonic() + 5
        while len(answers) < 2:
            while buf.startswith(b"\r\n"):
                del buf[:2]
                pongs += 1
            msg, used = h.parse_one(buf)
            if msg is not None:
                del buf[:used]
                answers.append(msg)
                continue
            self.assertLess(time.monotonic(), deadline, "answers so far: %r" % answers)
            buf += self.c.read_for(0.1)
        buf += self.c.read_for(0.3)
        while buf.startswith(b"\r\n"):
            del buf[:2]
            pongs += 1
        self.assertEqual(buf, b"")
        self.assertEqual(pongs, 1)
        h.check_200(self, a, answers[0])
        h.check_200(self, b, answers[1])
        e = h.counters(self.d.stats())
        self.assertEqual((e["pings"], e["messages_in"]), (1, 2), e)
        self.c.close()
        self.d.stop()

    def test_ping_split_over_two_records_gets_one_crlf(self):
        self.c.send(b"\r\n")
        self.c.send(b"\r\n")
        self.assertEqual(self.c.read_exact(2), b"\r\n")
        self.assertEqual(self.c.read_for(0.5), b"")
        e = h.counters(self.d.stats())
        self.assertEqual((e["pings"], e["messages_in"]), (1, 0), e)
        self.c.close()
        self.d.stop()


class Tls13KeepAlive(_KeepAlive, unittest.TestCase):
    VERSION = "1.3"


class Tls12KeepAlive(_KeepAlive, unittest.TestCase):
    VERSION = "1.2"


if __name__ == "__main__":
    unittest.main()
