"""tls.low_mem_threshold1/2 against Python's ssl (OpenSSL 3) as the peer.

A threshold above the memory the machine has free makes sipring "low on memory" for real (the
comparison is with MemAvailable as the kernel reports it), so the behaviour is exercised
without exhausting memory: below threshold1 new TLS connections are refused while established
ones keep working; below threshold2 sipring stops reading (requests wait in the kernel, none is
lost) and answers them once the threshold is lowered again.
"""

import ssl
import time
import unittest

import harness as h

HUGE_KB = 2147483647  # 2 TB


class LowMemory(unittest.TestCase):
    def setUp(self):
        self.d = h.start_daemon(self, params={("tls", "connection_timeout"): 600})

    def set_threshold(self, which, kb):
        rc, out, err = h.ctl(self.d, "cfg.set_now_int", "tls", "low_mem_threshold%d" % which, kb)
        self.assertEqual(rc, 0, err)

    def log_has(self, text, timeout=3.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in l for l in self.d.log_lines()):
                return True
            time.sleep(0.05)
        return False

    def test_threshold1_refuses_new_connections_but_keeps_established_ones(self):
        old = h.connect_for(self, self.d.port)
        h.exchange(self, old, h.Request("OPTIONS", cseq=1))
        self.set_threshold(1, HUGE_KB)
        self.assertTrue(self.log_has("refusing new TLS connections"), self.d.log_text())
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            c = h.connect(self.d.port)
            c.close()
        self.assertTrue(self.log_has("refusing a new TLS connection from 127.0.0.1:"),
                        self.d.log_text())
        # The connection opened before still carries requests.
        h.exchange(self, old, h.Request("OPTIONS", cseq=2))
        self.assertGreaterEqual(self.d.stats()["engine"]["low_mem_refused"], 1)
        self.set_threshold(1, 0)
        self.assertTrue(self.log_has("accepting new TLS connections again"), self.d.log_text())
        fresh = h.connect_for(self, self.d.port)
        h.exchange(self, fresh, h.Request("OPTIONS", cseq=1))

    def test_threshold2_pauses_reading_and_nothing_is_lost_when_it_resumes(self):
        c = h.connect_for(self, self.d.port)
        h.exchange(self, c, h.Request("OPTIONS", cseq=1))
        self.set_threshold(2, HUGE_KB)
        self.assertTrue(self.log_has("reading from TLS connections paused"), self.d.log_text())
        # What was already received is still answered; then the connection reads no more.
        h.exchange(self, c, h.Request("OPTIONS", cseq=2))
        waiting = [h.Request("OPTIONS", cseq=n) for n in (3, 4, 5)]
        for r in waiting:
            c.send(r.encode())
        self.assertEqual(c.read_for(1.0), b"", "answered while reading was paused")
        self.set_threshold(2, -1)
        self.assertTrue(self.log_has("reading from TLS connections again"), self.d.log_text())
        for r in waiting:
            h.check_200(self, r, c.read_message(timeout=5.0))


class LowMemoryIdleTimeout(unittest.TestCase):
    """A connection sipring stopped reading is not idle: its requests may be waiting in the
    kernel, so tls.connection_timeout must not close it (and lose them)."""

    def test_paused_connection_outlives_connection_timeout_and_is_answered(self):
        d = h.start_daemon(self, params={("tls", "connection_timeout"): 1})
        c = h.connect_for(self, d.port)
        h.exchange(self, c, h.Request("OPTIONS", cseq=1))
        rc, _, err = h.ctl(d, "cfg.set_now_int", "tls", "low_mem_threshold2", HUGE_KB)
        self.assertEqual(rc, 0, err)
        time.sleep(0.3)  # two samples of the memory watch
        h.exchange(self, c, h.Request("OPTIONS", cseq=2))  # handled, then reading pauses
        waiting = h.Request("OPTIONS", cseq=3)
        c.send(waiting.encode())
        time.sleep(3.0)  # three idle timeouts long
        rc, _, err = h.ctl(d, "cfg.set_now_int", "tls", "low_mem_threshold2", 0)
        self.assertEqual(rc, 0, err)
        h.check_200(self, waiting, c.read_message(timeout=5.0))
        self.assertEqual(d.stats()["engine"]["idle_timeouts"], 0)


if __name__ == "__main__":
    unittest.main()
