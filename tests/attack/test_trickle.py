"""Trickled partial messages: peers that send a SIP head, a body or a TLS record one byte at a
time, never finishing it, so they are never idle (tls.connection_timeout does not fire).

  * sipring.message_timeout_ms: a message (or record) not complete that long after its first
    byte closes the connection, with a 400 when the head was complete.
  * sipring.rx_partial_max: over the total of partial message bytes, the largest holders are
    closed.
"""

import select
import time
import unittest

import attack_lib as a

N = 20
MESSAGE_TIMEOUT_S = 2.0
TICK = 0.1  # one byte per connection every TICK seconds


def trickle(test, conns, payloads, seconds, raw=False):
    """Sends payloads[i] to conns[i] one byte per TICK until the server closes it or `seconds`
    pass; returns [(seconds from the first byte to the close or None, bytes received)]."""
    t0 = time.monotonic()
    out = [None] * len(conns)
    pos = [0] * len(conns)
    got = [bytearray() for _ in conns]
    socks = [c if raw else c.sock for c in conns]
    while time.monotonic() - t0 < seconds and any(o is None for o in out):
        for i, c in enumerate(conns):
            if out[i] is None and pos[i] < len(payloads[i]):
                try:
                    socks[i].sendall(payloads[i][pos[i]:pos[i] + 1])
                    pos[i] += 1
                except OSError:
                    pass  # closed: seen below
        ready, _, _ = select.select([s for i, s in enumerate(socks) if out[i] is None], [], [],
                                    TICK)
        for s in ready:
            i = socks.index(s)
            closed = False
            if raw:
                try:
                    data = s.recv(65536, a.socket.MSG_DONTWAIT)
                    closed = not data
                except BlockingIOError:
                    data = b""
                except OSError:
                    closed, data = True, b""
                got[i] += data
            else:
                # TLS 1.3 session tickets make the socket readable too: only a close counts.
                try:
                    _, data = conns[i].wait_closed(timeout=0.05)
                    closed = True
                    got[i] += data
                except AssertionError:
                    pass
            if closed:
                out[i] = (time.monotonic() - t0, bytes(got[i]))
    return [o if o is not None else (None, b"") for o in out]


class Trickle(unittest.TestCase):
    def _start(self, extra=None):
        params = {("sipring", "message_timeout_ms"): int(MESSAGE_TIMEOUT_S * 1000),
                  ("sipring", "max_connections"): 300}
        params.update(extra or {})
        return a.start(self, params)

    def _check_closed(self, at, d, results, counter, name):
        at.end()
        s = a.wait_counter(d, lambda c: c("connections_open") == 0, timeout=5)
        at.settled()
        times = [t for t, _ in results if t is not None]
        at.report("%d/%d closed, first after %s s, last after %s s, %s %s"
                  % (len(times), len(results), "%.2f" % min(times) if times else "-",
                     "%.2f" % max(times) if times else "-", counter,
                     a.counter(s, counter, "-")))
        self.assertEqual(len(times), len(results), "trickling connections left open")
        self.assertGreaterEqual(min(times), MESSAGE_TIMEOUT_S * 0.9, "closed too early")
        self.assertLessEqual(max(times), MESSAGE_TIMEOUT_S + 1.5, "closed too late")
        self.assertGreaterEqual(a.counter(s, counter), len(results))
        self.assertEqual(a.counter(s, "connections_open"), 0)
        at.assert_probe(p99_max_ms=250)
        return s

    def test_trickled_heads_are_closed_by_the_message_timeout(self):
        d = self._start()
        at = a.Attack(self, d, "trickled_heads").start()
        conns = [a.tls_from(a.attacker_ip(i % 8), d.port) for i in range(N)]
        for c in conns:
            self.addCleanup(c.close)
        payloads = [a.h.Request("OPTIONS").encode() for _ in conns]
        results = trickle(self, conns, payloads, MESSAGE_TIMEOUT_S + 3)
        self._check_closed(at, d, results, "message_timeouts", "heads")
        # The head never completed: nothing to answer.
        self.assertEqual([data for _, data in results], [b""] * N)
        d.stop()

    def test_trickled_bodies_get_a_400_at_the_message_timeout(self):
        d = self._start()
        at = a.Attack(self, d, "trickled_bodies").start()
        conns = [a.tls_from(a.attacker_ip(i % 8), d.port) for i in range(N)]
        for c in conns:
            self.addCleanup(c.close)
        reqs = [a.h.Request("MESSAGE", body=b"x" * 2000) for _ in conns]
        for c, r in zip(conns, reqs):
            c.send(r.encode()[:-2000])  # the whole head at once
        results = trickle(self, conns, [b"x" * 2000] * N, MESSAGE_TIMEOUT_S + 3)
        s = self._check_closed(at, d, results, "message_timeouts", "bodies")
        for (t, data), r in zip(results, reqs):
            msg, _ = a.h.parse_one(data)
            self.assertIsNotNone(msg, "no 400 before the close: %r" % data)
            a.h.check_response(self, r, msg, "SIP/2.0 400", status_prefix=True)
        self.assertGreaterEqual(a.counter(s, "replies_400"), N)
        d.stop()

    def test_trickled_tls_records_are_closed_by_the_message_timeout(self):
        d = self._start()
        at = a.Attack(self, d, "trickled_records").start()
        conns = [a.BioConn(a.attacker_ip(i % 8), d.port) for i in range(N)]
        payloads = []
        for b in conns:
            self.addCleanup(b.close)
            b.sock.setblocking(True)
            b.obj.write(a.h.Request("OPTIONS").encode())
            payloads.append(b.out.read())
        results = trickle(self, [b.sock for b in conns], payloads, MESSAGE_TIMEOUT_S + 3,
                          raw=True)
        self._check_closed(at, d, results, "message_timeouts", "records")
        d.stop()

    def test_partial_messages_over_rx_partial_max_close_the_largest_holders(self):
        limit = 256 * 1024
        d = self._start({("sipring", "rx_partial_max"): limit,
                         ("sipring", "message_timeout_ms"): 20000})
        at = a.Attack(self, d, "rx_partial_max").start()
        conns = [a.tls_from(a.attacker_ip(i % 8), d.port) for i in range(N)]
        for c in conns:
            self.addCleanup(c.close)
        # 20 connections x 30 KB of a 60 KB message each: 600 KB held against 256 KB.
        for i, c in enumerate(conns):
            r = a.h.Request("MESSAGE", body=b"y" * 60000)
            c.send(r.encode()[:-30000])
        # Wait for every connection's partial message to have arrived and been shed as needed
        # (waiting only for the first close raced with the later connections' bytes).
        s = a.wait_counter(d, lambda c: c("budget_closed") >= N - limit // 30000 - 1
                           and c("rx_partial_bytes") <= limit, timeout=5)
        at.end()
        at.settled()
        at.report("%d connections holding 30 KB partial messages, budget_closed %s, "
                  "rx_partial_bytes %s (rx_partial_max %d), connections_open %s"
                  % (N, a.counter(s, "budget_closed", "-"), a.counter(s, "rx_partial_bytes", "-"),
                     limit, a.counter(s, "connections_open", "-")))
        self.assertGreaterEqual(a.counter(s, "budget_closed"), N - limit // 30000 - 1)
        self.assertLessEqual(a.counter(s, "rx_partial_bytes"), limit)
        at.assert_probe(p99_max_ms=250)
        d.stop()


if __name__ == "__main__":
    unittest.main()
