"""TLS session resumption with Python's ssl as the client: TLS 1.3 tickets and TLS 1.2 (tickets
or session ids, whatever OpenSSL offers). Two reactors share the ticket keys, so a session from
one reactor must resume on the other; SO_REUSEPORT spreads 20 reconnects over both."""

import unittest

import harness as h

RECONNECTS = 20


class _Resumption:
    VERSION = None

    def test_reconnects_with_saved_session_all_resume(self):
        d = h.start_daemon(self, params={("sipring", "reactors"): 2})
        ctx = h.client_context(self.VERSION)
        first = h.connect_for(self, d.port, ctx=ctx)
        # A TLS 1.3 ticket arrives after the handshake; an exchange makes sure it was read.
        h.exchange(self, first, h.Request("OPTIONS"))
        session = first.sock.session
        self.assertIsNotNone(session)
        self.assertFalse(first.sock.session_reused)
        first.close()
        if self.VERSION == "1.3":
            self.assertTrue(session.has_ticket, "the server sent no TLS 1.3 NewSessionTicket")
        reused = []
        for i in range(RECONNECTS):
            c = h.connect(d.port, ctx=ctx, session=session)
            try:
                h.exchange(self, c, h.Request("OPTIONS", cseq=i + 2))
                reused.append(c.sock.session_reused)
            finally:
                c.close()
        self.assertEqual(reused, [True] * RECONNECTS)
        s = d.wait_stats(lambda s: h.counters(s)["connections_open"] == 0, timeout=5)
        e = h.counters(s)
        self.assertEqual(e["handshakes_full"], 1, e)
        self.assertEqual(e["handshakes_resumed"], RECONNECTS, e)
        self.assertEqual(e["handshake_failures"], 0, e)
        self.assertEqual(e["messages_in"], RECONNECTS + 1, e)
        d.stop()


class Tls13Resumption(_Resumption, unittest.TestCase):
    VERSION = "1.3"


class Tls12Resumption(_Resumption, unittest.TestCase):
    VERSION = "1.2"


if __name__ == "__main__":
    unittest.main()
