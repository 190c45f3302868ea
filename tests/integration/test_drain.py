"""core.drain and core.shutdown through sipringctl, against the real daemon and Python ssl clients.

core.drain must close every listening socket (a new TCP connection is refused, what an L4
balancer's TCP check sees as a node down; /proc/net/tcp shows no listener left), keep serving
the connections already open (requests answered, counters counted), report how many remain in
total and per reactor, and say the same again when called again; core.shutdown answers first and
then stops the daemon as SIGTERM does, with its grace. Both with SO_REUSEPORT sockets (one per
reactor) and with sipring.reuseport=0 (one socket every reactor holds a descriptor of), inline
core and core threads. The log must hold the drain lines and no warning or error.
"""

import re
import socket
import time
import unittest

import harness as h

BAD_LEVELS = re.compile(r"\b(WARNING|ERROR|CRITICAL|ALERT|BUG)\b")


def refused(port, attempts=3):
    """True when a TCP connect to HOST:port is refused every time (bounded attempts)."""
    for _ in range(attempts):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2.0)
        try:
            s.connect((h.HOST, port))
        except ConnectionRefusedError:
            continue
        except OSError:
            return False
        finally:
            s.close()
        return False
    return True


class _DrainTest:
    CORE = "inline"
    PARAMS = {}
    LISTENERS = 2  # listening sockets /proc/net/tcp shows for the two reactors

    def start(self):
        return h.start_daemon(self, core=self.CORE, params=dict(self.PARAMS), grace_ms=2000)

    def drain(self, d):
        rc, out, err = h.ctl(d, "core.drain")
        self.assertEqual(rc, 0, err)
        return out

    def test_drain_refuses_new_connections_and_serves_the_open_ones(self):
        d = self.start()
        conns = [h.connect_for(self, d.port) for _ in range(4)]
        for c in conns:
            h.exchange(self, c, h.Request("OPTIONS"))
        self.assertEqual(h.listening_sockets(d.port), self.LISTENERS)

        first = self.drain(d)
        self.assertEqual((first["draining"], first["first"], first["connections"],
                          first["accepted"]), (True, True, 4, 4), first)
        self.assertEqual(len(first["per_reactor"]), 2, first)
        self.assertEqual(sum(first["per_reactor"]), 4, first)
        # The node is down for a balancer: no listener left, a connect is refused.
        self.assertEqual(h.listening_sockets(d.port), 0)
        self.assertTrue(refused(d.port), "a new connection was accepted after core.drain")

        # Open connections are served as before: reads, the core, replies, pipelining.
        for i, c in enumerate(conns):
            h.exchange(self, c, h.Request("OPTIONS", cseq=2))
            reqs = [h.Request("OPTIONS", cseq=10 + k) for k in range(5)]
            c.send(b"".join(r.encode() for r in reqs))
            for r in reqs:
                h.check_200(self, r, c.read_message(), peer=c.local_addr)

        # Idempotent: a second call changes nothing and reports the count now.
        conns[0].close()
        conns[1].close()
        again = h.wait_until(lambda: (lambda o: o if o["connections"] == 2 else None)(
            self.drain(d)), 10)
        self.assertTrue(again, "core.drain did not see the two closes")
        self.assertEqual((again["first"], again["accepted"], sum(again["per_reactor"])),
                         (False, 2, 2), again)
        self.assertTrue(refused(d.port))

        s = h.counters(d.stats())
        self.assertEqual(s["draining"], 2, s)  # one per reactor
        self.assertEqual(s["accepted"], 4, s)

        # The text form a person reads.
        rc, text, err = h.ctl(d, "core.drain", json_out=False)
        self.assertEqual(rc, 0, err)
        self.assertIn("connections", text)

        log = d.log_lines()
        starts = [l for l in log if "core.drain: stopped accepting and closed the listening" in l]
        self.assertEqual(len(starts), 1, log)
        self.assertIn("4 connection(s) remain", starts[0])
        self.assertIn("%s:%d" % (h.HOST, d.port), starts[0])
        self.assertGreaterEqual(len([l for l in log if "core.drain: draining since" in l]), 2)
        self.assertEqual([l for l in log if BAD_LEVELS.search(l)], [], "\n".join(log))

        for c in conns[2:]:
            h.exchange(self, c, h.Request("OPTIONS", cseq=99))
        final = d.stop()
        self.assertEqual(final["engine"]["draining"], 2)

    def test_shutdown_answers_then_stops_with_its_grace(self):
        d = self.start()
        c = h.connect_for(self, d.port)
        h.exchange(self, c, h.Request("OPTIONS"))
        self.drain(d)
        rc, out, err = h.ctl(d, "core.shutdown", 700)
        self.assertEqual((rc, out), (0, "stopping (grace 700 ms)"), err)
        try:
            code = d.proc.wait(10)
        except Exception:  # noqa: BLE001 - reported with the log
            self.fail("sipring did not exit after core.shutdown; log:\n" + d.log_text())
        d._join_pumps()
        self.assertEqual(code, 0, d.log_text())
        log = d.log_lines()
        self.assertTrue(any("core.shutdown: the program is asked to stop (grace 700 ms)" in l
                            for l in log), log)
        self.assertTrue(any("stopping (grace 700 ms)" in l for l in log), log)
        self.assertEqual([l for l in log if BAD_LEVELS.search(l)], [], "\n".join(log))
        # The established connection was closed by the stop, cleanly (close_notify).
        kind, _ = c.wait_closed(timeout=5)
        self.assertIn(kind, ("clean", "unclean"))

    def test_shutdown_refuses_a_bad_grace(self):
        d = self.start()
        for bad in ("-1", "600001", "soon"):
            rc, _, err = h.ctl(d, "core.shutdown", bad)
            self.assertEqual(rc, 1, err)
            self.assertIn("GRACE_MS", err)
        self.assertTrue(d.alive())
        d.stop()


class DrainReusePortInline(_DrainTest, unittest.TestCase):
    pass


class DrainSharedSocketThreads(_DrainTest, unittest.TestCase):
    CORE = "threads"
    PARAMS = {("sipring", "reuseport"): 0}
    LISTENERS = 1  # one socket; each reactor holds a descriptor of it


if __name__ == "__main__":
    unittest.main()
