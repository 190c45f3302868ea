"""Handshake floods: idle TCP connections and connections that send half a ClientHello, then
nothing. sipring must close each one when sipring.handshake_timeout_ms expires, keep serving
the probe (established and fresh connections) meanwhile, and bound the handshakes in flight per
source (sipring.max_handshakes_per_source) and per reactor (sipring.max_handshakes).
"""

import selectors
import time
import unittest

import attack_lib as a

HANDSHAKE_MS = 1000
BASE = {
    ("sipring", "handshake_timeout_ms"): HANDSHAKE_MS,
    ("sipring", "max_connections"): 300,
}


def open_flood(port, sources, per_source, payload=b""):
    """per_source TCP connections from each of `sources` attacker addresses, each sending
    `payload` (if any); returns [(socket, opened_at)]. Connections the server refuses at once
    are kept too (their close is seen later)."""
    socks = []
    for j in range(per_source):
        for i in range(sources):
            try:
                s = a.tcp_from(a.attacker_ip(i), port, timeout=2)
            except OSError:
                continue
            if payload:
                try:
                    s.sendall(payload)
                except OSError:
                    pass
            socks.append((s, time.monotonic()))
    return socks


def close_times(socks, timeout):
    """Waits (bounded) for the server to close each socket; returns the seconds from open to
    close for each (None: still open after `timeout`). Closes every socket."""
    deadline = time.monotonic() + timeout
    out = [None] * len(socks)
    sel = selectors.DefaultSelector()
    for k, (s, _) in enumerate(socks):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, k)
    left = len(socks)
    while left and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            k = key.data
            s, opened = socks[k]
            try:
                data = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if data:
                continue  # an alert, or the server's first handshake flight: not a close
            out[k] = time.monotonic() - opened
            sel.unregister(s)
            left -= 1
    sel.close()
    for s, _ in socks:
        s.close()
    return out


class HandshakeFloods(unittest.TestCase):
    def _flood(self, name, payload, sources=8, per_source=50):
        d = a.start(self, BASE)
        at = a.Attack(self, d, name, fresh_every=0.25).start()
        socks = open_flood(d.port, sources, per_source, payload)
        n = len(socks)
        self.assertEqual(n, sources * per_source, "every attacker connection was accepted")
        times = close_times(socks, HANDSHAKE_MS / 1000.0 + 4)
        at.end()
        s = a.wait_counter(d, lambda c: c("connections_open") == 0, timeout=5)
        at.settled()
        closed = [t for t in times if t is not None]
        late = max(closed) if closed else float("nan")
        at.report("%d/%d closed, last after %.2f s, handshake_timeouts %s"
                  % (len(closed), n, late, a.counter(s, "handshake_timeouts", "-")))
        self.assertEqual(len(closed), n, "connections still open after the handshake timeout")
        self.assertGreaterEqual(min(closed), HANDSHAKE_MS / 1000.0 * 0.9, "closed too early")
        self.assertLessEqual(late, HANDSHAKE_MS / 1000.0 + 2.5, "closed too late")
        self.assertGreaterEqual(a.counter(s, "handshake_timeouts"), n)
        self.assertEqual(a.counter(s, "connections_open"), 0)
        at.assert_probe(p99_max_ms=250)
        self.assertGreaterEqual(at.probe_result["fresh"], 4, "fresh probe connections")
        # Nothing is left behind: every descriptor sipring opened for the flood is gone.
        self.assertLessEqual(at.fds_after, at.fds_before)
        d.stop()

    def test_idle_tcp_flood_closed_by_handshake_timeout_others_served(self):
        self._flood("idle_tcp_flood", b"")

    def test_partial_client_hello_flood_closed_by_handshake_timeout_others_served(self):
        hello = a.client_hello()
        self._flood("partial_client_hello_flood", hello[:len(hello) // 2])

    def test_one_source_is_held_to_max_handshakes_per_source(self):
        d = a.start(self, {**BASE, ("sipring", "max_handshakes_per_source"): 16})
        at = a.Attack(self, d, "handshakes_per_source", fresh_every=0.25).start()
        hello = a.client_hello()
        socks = open_flood(d.port, 1, 150, hello[:len(hello) // 2])
        times = close_times(socks, HANDSHAKE_MS / 1000.0 + 4)
        at.end()
        s = a.wait_counter(d, lambda c: c("connections_open") == 0, timeout=5)
        at.settled()
        early = [t for t in times if t is not None and t < HANDSHAKE_MS / 1000.0 * 0.9]
        at.report("%d of 150 closed before the handshake timeout, source_refused %s"
                  % (len(early), a.counter(s, "source_refused", "-")))
        refused = a.counter(s, "source_refused")
        # At most 16 in flight at a time from the one source (per reactor at worst: 2 x 16).
        self.assertGreaterEqual(len(early), 150 - 2 * 16)
        self.assertGreaterEqual(refused, 150 - 2 * 16)
        self.assertTrue(all(t is not None for t in times), "connections left open")
        at.assert_probe(p99_max_ms=250)
        self.assertGreaterEqual(at.probe_result["fresh"], 4)
        d.stop()

    def test_handshakes_beyond_max_handshakes_wait_in_the_backlog(self):
        d = a.start(self, {**BASE, ("sipring", "max_handshakes"): 8})
        at = a.Attack(self, d, "max_handshakes").start()
        socks = open_flood(d.port, 4, 16)  # 64 idle connections, 16 from each source
        peak = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            peak = max(peak, a.counter(d.stats(), "handshakes_in_flight", -1))
            time.sleep(0.05)
        # 64 over 2 reactors x 8 at a time, one handshake timeout per wave: all gone in ~5 s.
        times = close_times(socks, 64 / 16 * HANDSHAKE_MS / 1000.0 + 5)
        at.end()
        s = a.wait_counter(d, lambda c: c("connections_open") == 0, timeout=5)
        at.settled()
        at.report("handshakes_in_flight peak %d (limit 2 x 8), handshake_waits %s, %d/64 closed"
                  % (peak, a.counter(s, "handshake_waits", "-"),
                     sum(t is not None for t in times)))
        waits = a.counter(s, "handshake_waits")
        self.assertLessEqual(peak, 2 * 8 + 1)  # + the probe's own, if it was counted
        self.assertGreaterEqual(waits, 1)
        self.assertTrue(all(t is not None for t in times), "connections left open")
        at.assert_probe(p99_max_ms=250)
        d.stop()

    def test_few_sources_holding_every_handshake_slot_leave_the_reserve_to_newcomers(self):
        # Three addresses open more idle connections than all handshake slots (2 reactors x
        # 40) and hold them until the handshake timeout; the reserve (source_reserve_percent,
        # 10 % of each reactor's slots) keeps room for sources holding few handshakes, so the
        # probe's fresh connections still get in.
        hold_ms = 3000
        d = a.start(self, {**BASE, ("sipring", "handshake_timeout_ms"): hold_ms,
                           ("sipring", "max_handshakes"): 40})
        at = a.Attack(self, d, "handshake_slot_reserve", fresh_every=0.25).start()
        socks = open_flood(d.port, 3, 60)
        time.sleep(2.0)  # the probe opens fresh connections while the slots are held
        s = d.stats()
        at.end()
        close_times(socks, hold_ms / 1000.0 + 4)
        at.settled()
        at.report("3 sources x 60 idle connections against 2 x 40 handshake slots: "
                  "handshakes_in_flight %s, reserve_refused %s, fresh probe connections %d"
                  % (a.counter(s, "handshakes_in_flight", "-"),
                     a.counter(s, "reserve_refused", "-"), at.probe_result["fresh"]))
        self.assertGreaterEqual(a.counter(s, "reserve_refused"), 1)
        self.assertGreaterEqual(at.probe_result["fresh"], 4, "fresh probe connections")
        at.assert_probe(p99_max_ms=250)
        d.stop()


if __name__ == "__main__":
    unittest.main()
