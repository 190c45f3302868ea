"""Attacks on the /metrics port (modparam("ctl", "metrics", ...)), which shares the control
thread with the RPC socket:

  * slowloris: more clients than ctl.metrics_max_clients trickling a request head one byte at a
    time. Each is answered 408 and closed ctl.metrics_timeout_ms after it connected (trickling
    does not extend it), the ones over the limit get 503 at once, and meanwhile RPCs over the
    control socket and SIP over TLS (the probe) are answered without delay;
  * oversize: request heads far over 8 KiB. Answered 431 as soon as the limit is passed, the
    rest never read into memory.

After each, a normal scrape is answered. Every wait is bounded.
"""

import socket
import time
import unittest

import attack_lib as a

h = a.h
TIMEOUT_MS = 1000
MAX_CLIENTS = 4


def scrape_status(port, timeout=5.0):
    with socket.create_connection((h.HOST, port), timeout=timeout) as s:
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        data = a.read_to_close(s, timeout)
    return data.split(b"\r\n", 1)[0]


class MetricsAttackTest(unittest.TestCase):
    def start(self, max_clients=MAX_CLIENTS):
        self.mport = h.free_port()
        return a.start(self, {("ctl", "metrics"): "127.0.0.1:%d" % self.mport,
                              ("ctl", "metrics_timeout_ms"): TIMEOUT_MS,
                              ("ctl", "metrics_max_clients"): max_clients})

    def rpc_ms(self, d):
        t0 = time.monotonic()
        rc, _, err = h.ctl(d, "core.stats", timeout=10)
        self.assertEqual(rc, 0, err)
        return (time.monotonic() - t0) * 1000

    def test_slowloris_on_metrics(self):
        d = self.start()
        attack = a.Attack(self, d, "metrics-slowloris").start()
        conns = []
        t0 = time.monotonic()
        try:
            for i in range(MAX_CLIENTS * 3):
                conns.append(a.tcp_from(a.attacker_ip(i), self.mport))
            head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
            pos, answers, closed_at, rpc_ms = 0, {}, {}, []
            # Trickle one byte per connection every 50 ms, for at most 3x the timeout.
            while time.monotonic() - t0 < 3 * TIMEOUT_MS / 1000.0 and len(closed_at) < len(conns):
                for i, c in enumerate(conns):
                    if i in closed_at:
                        continue
                    try:
                        c.sendall(head[pos:pos + 1])
                    except OSError:
                        pass
                    try:
                        data = c.recv(4096, socket.MSG_DONTWAIT)
                        answers[i] = answers.get(i, b"") + data
                        if not data:
                            closed_at[i] = time.monotonic() - t0
                    except BlockingIOError:
                        pass
                    except OSError:
                        closed_at[i] = time.monotonic() - t0
                pos = min(pos + 1, len(head) - 1)
                if len(rpc_ms) < 5:
                    rpc_ms.append(self.rpc_ms(d))
                time.sleep(0.05)
            attack.hold(1.0)
        finally:
            for c in conns:
                c.close()
        attack.end()
        attack.settled()
        statuses = sorted(answers.get(i, b"").split(b"\r\n", 1)[0] for i in range(len(conns)))
        attack.report("%d slow clients: %s; RPC max %.0f ms"
                      % (len(conns), {s: statuses.count(s) for s in set(statuses)},
                         max(rpc_ms)))
        self.assertEqual(len(closed_at), len(conns), "some slow clients were never closed")
        self.assertEqual(statuses.count(b"HTTP/1.1 408 Request Timeout"), MAX_CLIENTS)
        self.assertEqual(statuses.count(b"HTTP/1.1 503 Service Unavailable"),
                         len(conns) - MAX_CLIENTS)
        self.assertLess(max(closed_at.values()), TIMEOUT_MS / 1000.0 + 1.0)
        self.assertLess(max(rpc_ms), 500, "the RPC socket was held up")
        attack.assert_probe(p99_max_ms=200)
        self.assertEqual(scrape_status(self.mport), b"HTTP/1.1 200 OK")
        self.assertTrue(d.alive())

    def test_oversize_heads_on_metrics(self):
        # The default limit of clients (8): each client here finishes before the next starts,
        # but the server sees its close a moment later.
        d = self.start(max_clients=8)
        attack = a.Attack(self, d, "metrics-oversize").start()
        statuses = []
        big = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * (512 << 10)
        t0 = time.monotonic()
        for i in range(20):
            with a.tcp_from(a.attacker_ip(i), self.mport) as s:
                try:
                    s.sendall(big)  # the server stops reading at 8 KiB: this may not complete
                except OSError:
                    pass
                statuses.append(a.read_to_close(s, 3.0).split(b"\r\n", 1)[0])
        elapsed = time.monotonic() - t0
        rpc = self.rpc_ms(d)
        attack.hold(1.0)
        attack.end()
        attack.settled()
        attack.report("20 x 512 KiB heads: %s in %.1f s; RPC %.0f ms"
                      % ({s: statuses.count(s) for s in set(statuses)}, elapsed, rpc))
        self.assertEqual(statuses, [b"HTTP/1.1 431 Request Header Fields Too Large"] * 20)
        self.assertLess(elapsed, 20)
        self.assertLess(rpc, 500)
        attack.assert_probe(p99_max_ms=200)
        attack.assert_pss_growth(a.kb(8), "oversize heads")
        self.assertEqual(scrape_status(self.mport), b"HTTP/1.1 200 OK")


if __name__ == "__main__":
    unittest.main()
