"""One address filling the connection table with established TLS connections.

  * sipring.max_connections_per_source (0 = auto: a quarter of all reactors' tables): over it,
    new connections from that address are closed at accept.
  * sipring.source_reserve_percent (10): the last 10% of each reactor's table is kept for
    addresses holding few connections, so new addresses still get in while the biggest holder
    is refused.
The probe (127.0.0.1) and fresh addresses keep being served throughout.
"""

import ssl
import unittest

import attack_lib as a


def fill_from(source, port, attempts):
    """Opens up to `attempts` established TLS connections from `source`, one at a time (one
    handshake in flight); returns (the open ones, how many were refused)."""
    held, refused = [], 0
    for _ in range(attempts):
        try:
            c = a.tls_from(source, port, timeout=3)
            # A connection closed at accept fails its handshake; one that got in answers.
            a.h.exchange(unittest.TestCase(), c, a.h.Request("OPTIONS"), timeout=3)
            held.append(c)
        except (OSError, ssl.SSLError, a.h.ConnectionClosed, AssertionError):
            refused += 1
    return held, refused


class SourceLimits(unittest.TestCase):
    def _newcomers(self, port, first, count):
        """Fresh addresses, one connection each: how many got served."""
        ok = 0
        for i in range(first, first + count):
            try:
                c = a.tls_from(a.attacker_ip(i), port, timeout=3)
                a.h.exchange(self, c, a.h.Request("OPTIONS"), timeout=3)
                c.close()
                ok += 1
            except (OSError, ssl.SSLError, a.h.ConnectionClosed, AssertionError):
                pass
        return ok

    def _close_all(self, conns):
        for c in conns:
            c.close()

    def test_one_address_is_held_to_max_connections_per_source(self):
        d = a.start(self, {("sipring", "max_connections"): 300,
                           ("sipring", "max_connections_per_source"): 0})
        at = a.Attack(self, d, "one_source_per_source_limit", fresh_every=0.25).start()
        held, refused = fill_from(a.attacker_ip(0), d.port, 650)
        self.addCleanup(self._close_all, held)
        newcomers = self._newcomers(d.port, 1, 10)
        at.hold(1.5)  # the probe opens a fresh connection every 0.25 s meanwhile
        s = d.stats()
        at.end()
        self._close_all(held)
        a.wait_counter(d, lambda c: c("connections_open") == 0, timeout=5)
        at.settled()
        at.report("one address opened %d of 650 (refused %d), source_refused %s, newcomers "
                  "served %d/10" % (len(held), refused, a.counter(s, "source_refused", "-"),
                                    newcomers))
        # auto: a quarter of 2 x 300.
        self.assertLessEqual(len(held), 150)
        self.assertGreaterEqual(len(held), 140, "the limit is per address, not lower")
        self.assertGreaterEqual(a.counter(s, "source_refused"), 650 - 150)
        self.assertEqual(newcomers, 10)
        at.assert_probe(p99_max_ms=250)
        self.assertGreaterEqual(at.probe_result["fresh"], 4)
        d.stop()

    def test_the_reserve_lets_new_addresses_in_while_the_biggest_holder_is_refused(self):
        per_reactor = 100
        d = a.start(self, {("sipring", "max_connections"): per_reactor,
                           ("sipring", "max_connections_per_source"): 2 * per_reactor,
                           ("sipring", "source_reserve_percent"): 10})
        at = a.Attack(self, d, "one_source_reserve", fresh_every=0.25).start()
        held, refused = fill_from(a.attacker_ip(0), d.port, 2 * per_reactor + 50)
        self.addCleanup(self._close_all, held)
        newcomers = self._newcomers(d.port, 1, 10)
        at.hold(1.5)  # the probe opens a fresh connection every 0.25 s meanwhile
        s = d.stats()
        at.end()
        self._close_all(held)
        a.wait_counter(d, lambda c: c("connections_open") == 0, timeout=5)
        at.settled()
        at.report("one address opened %d of %d (refused %d), reserve_refused %s, newcomers "
                  "served %d/10" % (len(held), 2 * per_reactor + 50, refused,
                                    a.counter(s, "reserve_refused", "-"), newcomers))
        # Each reactor keeps its last 10 slots for small holders.
        self.assertLessEqual(len(held), 2 * (per_reactor - per_reactor // 10))
        self.assertGreaterEqual(a.counter(s, "reserve_refused"), 1)
        self.assertEqual(newcomers, 10)
        at.assert_probe(p99_max_ms=250)
        self.assertGreaterEqual(at.probe_result["fresh"], 4)
        d.stop()


if __name__ == "__main__":
    unittest.main()
