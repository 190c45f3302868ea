"""tls.connection_timeout: idle connections are closed by the server after the configured
seconds; traffic keeps a connection open. Also how the close looks to OpenSSL 3 depending on
tls.send_close_notify."""

import time
import unittest

import harness as h

TIMEOUT = 2


class IdleTimeout(unittest.TestCase):
    def setUp(self):
        self.d = h.start_daemon(self, params={("tls", "connection_timeout"): TIMEOUT})

    def test_idle_connection_after_a_request_is_closed_in_2_to_3_seconds(self):
        c = h.connect_for(self, self.d.port)
        h.exchange(self, c, h.Request("OPTIONS"))
        t0 = time.monotonic()
        kind, data = c.wait_closed(timeout=TIMEOUT + 4)
        elapsed = time.monotonic() - t0
        self.assertEqual(data, b"")
        self.assertGreaterEqual(elapsed, TIMEOUT - 0.5)
        self.assertLessEqual(elapsed, TIMEOUT + 1.2)
        e = h.counters(self.d.stats())
        self.assertEqual(e["idle_timeouts"], 1, e)
        c.close()
        self.d.stop()

    def test_idle_connection_without_any_request_is_closed_in_2_to_3_seconds(self):
        c = h.connect_for(self, self.d.port)
        t0 = time.monotonic()
        kind, data = c.wait_closed(timeout=TIMEOUT + 4)
        elapsed = time.monotonic() - t0
        self.assertEqual(data, b"")
        self.assertGreaterEqual(elapsed, TIMEOUT - 0.5)
        self.assertLessEqual(elapsed, TIMEOUT + 1.2)
        c.close()
        self.d.stop()

    def test_request_every_half_second_keeps_connection_open_for_4_seconds(self):
        c = h.connect_for(self, self.d.port)
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < 4.0:
            n += 1
            h.exchange(self, c, h.Request("OPTIONS", cseq=n))
            time.sleep(0.5)
        h.exchange(self, c, h.Request("OPTIONS", cseq=n + 1))
        e = h.counters(self.d.stats())
        self.assertEqual(e["idle_timeouts"], 0, e)
        self.assertEqual(e["closed"], 0, e)
        self.assertEqual(e["messages_in"], n + 1, e)
        c.close()
        self.d.stop()


class _CloseNotify:
    VERSION = None

    def _idle_close_kind(self, send_close_notify):
        d = h.start_daemon(self, params={("tls", "connection_timeout"): TIMEOUT,
                                         ("tls", "send_close_notify"): send_close_notify})
        # strict_eof: OpenSSL 3 reports a close_notify as a clean EOF (recv -> b"") and a bare
        # TCP FIN as SSLEOFError "unexpected eof while reading" (Python's suppress_ragged_eofs
        # would hide the difference, so it is off).
        c = h.connect_for(self, d.port, version=self.VERSION, strict_eof=True)
        h.exchange(self, c, h.Request("OPTIONS"))
        kind, data = c.wait_closed(timeout=TIMEOUT + 4)
        self.assertEqual(data, b"")
        c.close()
        d.stop()
        return kind

    def test_idle_close_sends_close_notify_when_enabled(self):
        self.assertEqual(self._idle_close_kind(1), "clean")

    def test_idle_close_has_no_close_notify_when_disabled(self):
        self.assertEqual(self._idle_close_kind(0), "unclean")


class Tls13CloseNotify(_CloseNotify, unittest.TestCase):
    VERSION = "1.3"


class Tls12CloseNotify(_CloseNotify, unittest.TestCase):
    VERSION = "1.2"


if __name__ == "__main__":
    unittest.main()
