"""Non-reading pipeliners: TLS clients with a 4 KB receive buffer that pipeline OPTIONS as fast
as they can and do not read the answers.

  * sipring.conn_wq_max: over it sipring stops reading from the connection (the requests wait in
    the kernel) and resumes when the queue drains, so its memory stays within about
    connections x conn_wq_max, and no reply is discarded while the connection is open: a
    pipeliner that stops writing and then reads gets an answer for every request, in order.
  * sipring.send_timeout_ms: a peer that never reads is closed once nothing could be sent to it
    for that long.
  * sipring.wq_max: over the total, the connections with the largest stalled queues are closed
    first; the probe (which reads) is not touched.
"""

import time
import unittest

import attack_lib as a

N = 16
CONN_WQ_MAX = 32768
RECV_BUFFERS = 64  # per reactor: 1 MB of receive buffers, so they do not blur the bound
BATCH = 32
# Per pipeliner at most ~6.5 MB of answers: more than the kernel's socket buffers can absorb
# (tcp_wmem allows 4 MB here), so sipring's own queue must fill and pause; pipelining stops
# earlier once every pipeliner was paused.
MAX_REQUESTS = 20000
# Pss allowed over the start, besides the queues: receive buffers (2 x 1 MB), TLS state and
# blocks for N connections, allocator slack.
SLACK_KB = 8 * 1024


class Pipeliner:
    """One TLS connection that pipelines OPTIONS on one Call-ID (CSeq 1, 2, ...)."""

    def __init__(self, i, port):
        self.src = a.attacker_ip(i % 8)
        self.call_id = "pipe-%d-%d@attacker" % (i, time.monotonic_ns())
        self.conn = a.BioConn(self.src, port, rcvbuf=4096)
        self.sealed = 0  # requests sealed (queued for the socket)
        self.answered = 0
        self.out_of_order = None

    def write_some(self):
        """Seals another batch if little is pending, then writes without blocking."""
        if len(self.conn.pending) < 16384 and self.sealed < MAX_REQUESTS:
            self.conn.seal(a.options_batch(self.call_id, self.sealed + 1, BATCH, self.src))
            self.sealed += BATCH
        return self.conn.push()

    def start_reading(self):
        """A larger receive buffer for reading everything back (the window scale agreed at
        connect still caps the window at 64 KB)."""
        self.conn.sock.setsockopt(a.socket.SOL_SOCKET, a.socket.SO_RCVBUF, 1 << 20)

    def read_some(self):
        self.conn.push()  # the rest of what was sealed: every sealed request is sent
        n = self.conn.pull()
        for msg in self.conn.messages():
            self.answered += 1
            want = "%d OPTIONS" % self.answered
            if self.out_of_order is None and (msg.get("CSeq") != want
                                              or not msg.start_line.startswith("SIP/2.0 200")):
                self.out_of_order = (want, msg.start_line, msg.get("CSeq"))
        return n

    def done(self):
        return self.answered >= self.sealed and not self.conn.pending


def pipeline(pipeliners, seconds, until=None):
    """Every pipeliner writes as fast as the server takes it, for `seconds` or until `until()`
    (checked twice a second) is true; none reads."""
    deadline = time.monotonic() + seconds
    check = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        if sum(p.write_some() for p in pipeliners) == 0:
            time.sleep(0.002)
        if until is not None and time.monotonic() >= check:
            if until():
                return
            check = time.monotonic() + 0.5


class NonReadingPipeliners(unittest.TestCase):
    def _pipeliners(self, d):
        ps = [Pipeliner(i, d.port) for i in range(N)]
        for p in ps:
            self.addCleanup(p.conn.close)
        return ps

    def test_memory_stays_within_conn_wq_max_and_no_reply_is_lost(self):
        # The send timeout is out of the way here (reading 16 x several MB back takes a while
        # in Python); test_stalled_pipeliners tests it.
        d = a.start(self, {("sipring", "conn_wq_max"): CONN_WQ_MAX,
                           ("sipring", "send_timeout_ms"): 60000,
                           ("sipring", "recv_buffers"): RECV_BUFFERS,
                           ("sipring", "max_connections"): 300})
        at = a.Attack(self, d, "nonreading_pipeliners").start()
        ps = self._pipeliners(d)
        # Until each pipeliner's queue passed conn_wq_max at least once (send_paused counts
        # pauses, so N is a lower bound of pauses, reached early when they are spread evenly).
        pipeline(ps, 8.0, until=lambda: a.counter(d.stats(), "send_paused") >= 2 * N)
        mid = d.stats()
        # Now every pipeliner reads everything: each request sealed gets its answer, in order.
        for p in ps:
            p.start_reading()
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline and not all(p.done() or p.conn.closed for p in ps):
            if sum(p.read_some() for p in ps) == 0:
                time.sleep(0.002)
        at.end()
        st = d.stats()
        at.settled()
        sealed = sum(p.sealed for p in ps)
        answered = sum(p.answered for p in ps)
        bound = N * CONN_WQ_MAX // 1024 + SLACK_KB
        at.report("%d pipeliners sent %d requests, %d answered, closed %d, send_paused %s, "
                  "send_queue_full %s, tx_queued_bytes at the end of pipelining %s, Pss bound "
                  "+%d KB" % (N, sealed, answered, sum(bool(p.conn.closed) for p in ps),
                              a.counter(st, "send_paused", "-"),
                              a.counter(st, "send_queue_full", "-"),
                              a.counter(mid, "tx_queued_bytes", "-"), bound))
        self.assertEqual([p.conn.closed for p in ps], [None] * N, "pipeliners closed")
        self.assertEqual([p.out_of_order for p in ps], [None] * N, "answers out of order")
        self.assertEqual(answered, sealed, "replies lost")
        at.assert_pss_growth(bound, "%d non-reading pipeliners" % N)
        self.assertEqual(a.counter(st, "send_queue_full"), 0)
        self.assertGreaterEqual(a.counter(st, "send_paused"), N)
        self.assertLessEqual(a.counter(mid, "tx_queued_bytes"), N * (CONN_WQ_MAX + 65536))
        at.assert_probe(p99_max_ms=250)
        d.stop()

    def test_stalled_pipeliners_are_closed_by_the_send_timeout(self):
        send_timeout_s = 1.5
        d = a.start(self, {("sipring", "conn_wq_max"): CONN_WQ_MAX,
                           ("sipring", "send_timeout_ms"): int(send_timeout_s * 1000),
                           ("sipring", "recv_buffers"): RECV_BUFFERS,
                           ("sipring", "max_connections"): 300})
        at = a.Attack(self, d, "stalled_pipeliners").start()
        ps = self._pipeliners(d)
        t0 = time.monotonic()
        pipeline(ps, 1.0)
        # They keep not reading; sipring gives up on each once it could send nothing for 1.5 s.
        s = a.wait_counter(d, lambda c: c("send_timeouts") >= N and c("connections_open") == 1,
                           timeout=send_timeout_s + 5)
        took = time.monotonic() - t0
        for p in ps:
            for _ in range(100):  # the replies the kernel holds, then the close
                if p.conn.closed or p.conn.pull() == 0:
                    break
        at.end()
        at.settled()
        at.report("%d pipeliners, send_timeouts %s after %.1f s, connections_open %s, closed "
                  "seen by %d" % (N, a.counter(s, "send_timeouts", "-"), took,
                                  a.counter(s, "connections_open", "-"),
                                  sum(bool(p.conn.closed) for p in ps)))
        self.assertEqual(a.counter(s, "send_timeouts"), N)
        self.assertEqual(a.counter(s, "connections_open"), 1, "only the probe is left")
        self.assertEqual(sum(bool(p.conn.closed) for p in ps), N)
        self.assertLessEqual(at.pss_after - at.pss_before, 4096, "queues freed")
        at.assert_pss_growth(N * CONN_WQ_MAX // 1024 + SLACK_KB, "%d stalled pipeliners" % N)
        at.assert_probe(p99_max_ms=250)
        d.stop()

    def test_total_budget_wq_max_closes_the_largest_stalled_queues(self):
        wq_max = 256 * 1024
        conn_wq_max = 65536
        d = a.start(self, {("sipring", "conn_wq_max"): conn_wq_max,
                           ("sipring", "wq_max"): wq_max,
                           ("sipring", "send_timeout_ms"): 10000,
                           ("sipring", "recv_buffers"): RECV_BUFFERS,
                           ("sipring", "max_connections"): 300})
        at = a.Attack(self, d, "wq_max_budget").start()
        ps = self._pipeliners(d)
        pipeline(ps, 2.0)
        s = a.wait_counter(d, lambda c: c("budget_closed") >= 1
                           and c("tx_queued_bytes") <= wq_max, timeout=3)
        at.end()
        at.settled()
        at.report("%d pipeliners, budget_closed %s, tx_queued_bytes %s (wq_max %d), "
                  "connections_open %s"
                  % (N, a.counter(s, "budget_closed", "-"), a.counter(s, "tx_queued_bytes", "-"),
                     wq_max, a.counter(s, "connections_open", "-")))
        closed = a.counter(s, "budget_closed")
        self.assertGreaterEqual(closed, 1)
        # How many must go depends on how much of each queue the kernel's socket buffers took
        # first; what is asserted is the bound: what sipring still holds fits wq_max.
        self.assertLessEqual(a.counter(s, "tx_queued_bytes"), wq_max)
        at.assert_pss_growth(wq_max // 1024 + SLACK_KB, "%d pipeliners, wq_max %d" % (N, wq_max))
        at.assert_probe(p99_max_ms=250)  # the probe reads: its queue is never the largest
        d.stop()


if __name__ == "__main__":
    unittest.main()
