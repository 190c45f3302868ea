"""core.instruments (issue 13) after real TLS traffic from Python's ssl (OpenSSL 3): the server
handshake histograms count exactly the handshakes the counters count (full and resumed apart),
handoff_wait and reply_send count every request and reply, the loop's busy and sleep times
grow, and the marks are sane. Both cores: inline (the reactor pops) and threads (a core thread
pops through Engine::Inbox and replies through the reply inbox).

A -Dinstruments=false build (CI's build-system/) must say so instead: core.instruments answers
"instruments": false with the same fields, every histogram and time still zero after the load,
and core.version says "instruments: off"."""

import unittest

import harness as h

CONNECTIONS = 6
REQUESTS = 5  # per connection; the first connection's ticket resumes the others


class _Instruments:
    CORE = None

    def setUp(self):
        self.d = h.start_daemon(self, params={("sipring", "reactors"): 2}, core=self.CORE)

    def instruments(self):
        rc, out, err = h.ctl(self.d, "core.instruments")
        self.assertEqual(rc, 0, err)
        return out

    def load(self):
        """One full handshake, CONNECTIONS - 1 resumed ones, REQUESTS OPTIONS on each."""
        ctx = h.client_context("1.3")
        session = None
        for i in range(CONNECTIONS):
            c = h.connect(self.d.port, ctx=ctx, session=session)
            try:
                for n in range(REQUESTS):
                    h.exchange(self, c, h.Request("OPTIONS", cseq=n + 1))
                if session is None:
                    session = c.sock.session
                    self.assertTrue(session.has_ticket)
                else:
                    self.assertTrue(c.sock.session_reused)
            finally:
                c.close()

    def test_histograms_count_the_handshakes_messages_and_replies(self):
        before = self.instruments()
        self.assertEqual(before["instruments"], h.instruments_built(), before)
        self.assertEqual(len(before["reactors"]), 2)
        self.load()
        if not h.instruments_built():
            self.check_nothing_recorded()
            return
        s = self.d.wait_stats(lambda s: h.counters(s)["connections_open"] == 0, timeout=5)
        e = h.counters(s)
        messages = CONNECTIONS * REQUESTS
        self.assertEqual(e["messages_in"], messages, e)
        # The last replies' send completions are reaped by the iteration after the send: wait
        # (bounded) for the histogram to catch up with the counter.
        j = self.instruments()
        for _ in range(50):
            if j["total"]["histograms"]["reply_send"]["count"] >= e["messages_out"]:
                break
            j = self.instruments()
        t = j["total"]["histograms"]
        self.assertEqual(t["handshake_server_full"]["count"], e["handshakes_full"], (t, e))
        self.assertEqual(t["handshake_server_resumed"]["count"], e["handshakes_resumed"], (t, e))
        self.assertEqual(e["handshakes_full"], 1, e)
        self.assertEqual(e["handshakes_resumed"], CONNECTIONS - 1, e)
        self.assertEqual(t["handshake_client_full"]["count"], 0)
        self.assertEqual(t["connect"]["count"], 0)
        # Every frame the core popped: the messages and, for each connection, its close event.
        self.assertGreaterEqual(t["handoff_wait"]["count"], messages, t["handoff_wait"])
        self.assertLessEqual(t["handoff_wait"]["count"], messages + CONNECTIONS, t["handoff_wait"])
        self.assertEqual(t["reply_send"]["count"], e["messages_out"], (t["reply_send"], e))
        self.assertEqual(e["messages_out"], messages, e)
        for name in ("handshake_server_full", "handshake_server_resumed", "handoff_wait",
                     "reply_send"):
            hist = t[name]
            self.assertEqual(hist["unit"], "seconds")
            # Loopback handshakes and replies take microseconds to milliseconds, never seconds.
            self.assertLess(hist["p99_ns"], 2_000_000_000, (name, hist))
            self.assertLessEqual(hist["p50_ns"], hist["p99_ns"], (name, hist))
            self.assertLessEqual(hist["p99_ns"], hist["max_ns"], (name, hist))
        self.assertGreater(t["handshake_server_full"]["max_ns"], 0)
        self.assertGreater(t["reply_send"]["max_ns"], 0)
        self.assertGreater(t["completions_per_enter"]["count"], 0)
        self.assertEqual(t["completions_per_enter"]["unit"], "count")
        u, u0 = j["total"]["utilisation"], before["total"]["utilisation"]
        self.assertGreater(u["busy_ns"], u0["busy_ns"])
        self.assertGreater(u["sleep_ns"], u0["sleep_ns"])
        self.assertGreaterEqual(u["handoff_high_water"], 1)
        self.assertGreater(u["buffers_free_low_water"], 0)
        if self.CORE == "threads":
            self.assertGreater(u["inbox_high_water_bytes"], 0, u)
        # The total is the reactors' sum.
        self.assertEqual(sum(r["histograms"]["reply_send"]["count"] for r in j["reactors"]),
                         t["reply_send"]["count"])
        self.assertEqual(sum(r["utilisation"]["busy_ns"] for r in j["reactors"]), u["busy_ns"])

    def check_nothing_recorded(self):
        """-Dinstruments=false: the load ran (counters), yet no histogram, time or mark moved."""
        e = h.counters(self.d.wait_stats(lambda s: h.counters(s)["connections_open"] == 0,
                                         timeout=5))
        self.assertEqual(e["messages_in"], CONNECTIONS * REQUESTS, e)
        self.assertEqual(e["handshakes_resumed"], CONNECTIONS - 1, e)
        j = self.instruments()
        self.assertFalse(j["instruments"], j)
        for scope in [j["total"]] + j["reactors"]:
            for name, hist in scope["histograms"].items():
                self.assertEqual(hist["count"], 0, (name, hist))
                self.assertIn(hist["unit"], ("seconds", "count"), name)
            u = scope["utilisation"]
            for name in ("busy_ns", "sleep_ns", "polls", "handoff_high_water",
                         "inbox_high_water_bytes"):
                self.assertEqual(u[name], 0, (name, u))

    def test_core_version_says_whether_instruments_are_on(self):
        rc, out, err = h.ctl(self.d, "core.version")
        self.assertEqual(rc, 0, err)
        self.assertIn("instruments: on" if h.instruments_built() else "instruments: off", out)


class InlineCoreInstruments(_Instruments, unittest.TestCase):
    CORE = "inline"


class ThreadsCoreInstruments(_Instruments, unittest.TestCase):
    CORE = "threads"


if __name__ == "__main__":
    unittest.main()
