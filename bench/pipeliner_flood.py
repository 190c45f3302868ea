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
import sys, os, time, socket, ssl, threading, unittest, json
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
import harness as H

class T(unittest.TestCase):
    def runTest(self): pass

def pss_kb(pid):
    for l in open("/proc/%d/smaps_rollup" % pid):
        if l.startswith("Pss:"): return int(l.split()[1])

t = T()
n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
dur = float(sys.argv[2]) if len(sys.argv) > 2 else 5
params = {} if os.environ.get("NOPARAM") else {("sipring","send_timeout_ms"): int(os.environ.get("ST","10000"))}
d = H.start_daemon(t, params=params)
pid = d.proc.pid
print("pss start", pss_kb(pid))
ctx = H.client_context()
req = H.Request().encode()
sent = [0]*n
conns = []
for i in range(n):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", d.port))
    ss = ctx.wrap_socket(s, server_hostname="localhost")
    ss.settimeout(0.5)
    conns.append(ss)
stop = time.time() + dur
def pump(i):
    c = conns[i]
    while time.time() < stop:
        try:
            c.sendall(req * 20); sent[i] += 20
        except (socket.timeout, ssl.SSLError, OSError) as e:
            if isinstance(e, socket.timeout): continue
            return
peak = [0]
def sample():
    while time.time() < stop + 1:
        peak[0] = max(peak[0], pss_kb(pid)); time.sleep(0.1)
smp = threading.Thread(target=sample); smp.start()
ths = [threading.Thread(target=pump, args=(i,)) for i in range(n)]
[x.start() for x in ths]
[x.join() for x in ths]
smp.join()
peak = peak[0]
print("pss peak", peak, "sent total", sum(sent))
st = d.stats()["engine"]
print({k: st.get(k) for k in ("send_paused","send_timeouts","send_queue_full","tx_queued_bytes","messages_in","messages_out","recv_paused","closed")})
import sys; sys.exit(0)
