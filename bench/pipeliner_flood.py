#!/usr/bin/env python3
"""Issue 8's first attack at scale: N TLS connections (SO_RCVBUF 4096) pipeline OPTIONS as fast
as they can for S seconds and never read. Prints sipring's Pss at start and its peak, and the
counters that say what happened to the replies (send_queue_full = replies discarded).

    SIPRING_BUILD=build python3 bench/pipeliner_flood.py 300 15
    NOPARAM=1 SIPRING_BUILD=../old/build python3 bench/pipeliner_flood.py 300 15   # a build
                                                       # without sipring.send_timeout_ms

Loopback only; bounded by S seconds (plus connection set-up). Outside the suite: at this size it
needs both cores for a minute.
"""
import os
import socket
import ssl
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "attack"))
import attack_lib  # noqa: E402  (pss_kb)
import harness as h  # noqa: E402

COUNTERS = ("send_paused", "send_timeouts", "send_queue_full", "tx_queued_bytes", "messages_in",
            "messages_out", "recv_paused", "closed")


class _Owner(unittest.TestCase):
    """What harness.start_daemon registers its cleanups (kill, temp dir) on."""

    def runTest(self):
        pass


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 5
    params = {} if os.environ.get("NOPARAM") else {("sipring", "send_timeout_ms"): 10000}
    owner = _Owner()
    try:
        d = h.start_daemon(owner, params=params)
        pid = d.proc.pid
        start_pss = attack_lib.pss_kb(pid)
        ctx = h.client_context()
        batch = h.Request().encode() * 20
        conns = []
        for _ in range(n):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", d.port))
            c = ctx.wrap_socket(s, server_hostname="localhost")
            c.settimeout(0.5)
            conns.append(c)
        stop = time.time() + seconds
        sent = [0] * n
        peak = [start_pss]

        def pump(i):  # writes until `stop`; never reads
            while time.time() < stop:
                try:
                    conns[i].sendall(batch)
                    sent[i] += 20
                except socket.timeout:
                    continue
                except (ssl.SSLError, OSError):
                    return

        def sample():
            while time.time() < stop + 1:
                peak[0] = max(peak[0], attack_lib.pss_kb(pid) or 0)
                time.sleep(0.1)

        threads = [threading.Thread(target=sample)]
        threads += [threading.Thread(target=pump, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        st = d.stats()["engine"]
        print("%d pipeliners for %.0f s: Pss %.1f MB -> peak %.1f MB, %d requests written"
              % (n, seconds, start_pss / 1024.0, peak[0] / 1024.0, sum(sent)))
        print(", ".join("%s %s" % (k, st.get(k, "-")) for k in COUNTERS))
        for c in conns:
            c.close()
    finally:
        owner.doCleanups()


if __name__ == "__main__":
    main()
