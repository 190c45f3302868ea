"""Scale-out behind real engines (issue 12): two sipring nodes behind HAProxy 2.6 in TCP mode
with PROXY protocol v2 (CRC32C, unique id), `balance source` and SIP OPTIONS health checks over
TLS; session-ticket keys shared through etcd 3.4; failover and draining.

The cluster (scale_out_cluster.py): HAProxy on 127.0.0.1 (fe_sip on 5061 when free, else a free
port; fe_a/fe_b reach one node each), node A on 127.0.0.2, node B on 127.0.0.3, clients on
127.0.0.10 and up. Each test starts its own cluster (and etcd) and kills it afterwards. All
tests are skipped when haproxy, etcd or etcdctl is missing (Debian: haproxy, etcd-server,
etcd-client; tools/install-deps.sh installs them).
"""

import base64
import os
import socket
import threading
import time
import unittest

import harness as h
import proxy_headers as pp
import scale_out_cluster as sc
from s_client import s_client_request, ticket_key_name

MISSING = sc.missing_tools()
needs_tools = unittest.skipIf(MISSING is not None, MISSING or "")


def options(source_ip, n=0):
    """An OPTIONS whose Via sent-by is a name (not the client's address) with rport, so the
    core must add received=<client address> and rport=<client port> (RFC 3261 18.2.1, RFC 3581)."""
    return h.Request("OPTIONS", vias=["SIP/2.0/TLS client-%s.invalid:5071;branch=z9hG4bK-so-%d-%d;"
                                      "rport" % (source_ip.replace(".", "-"), os.getpid(), n)])


PP2_TYPE_UNIQUE_ID = 0x05


def proxy_v2(src, dst, unique_id=None, bad_crc=False):
    """A PROXY v2 header (command PROXY, TCP over IPv4) for src=(ip, port) -> dst=(ip, port)
    with a CRC32C TLV (one bit of the client's address flipped after it was computed when
    bad_crc) and a UNIQUE_ID TLV when unique_id (bytes) is given."""
    tlvs = pp.tlv(PP2_TYPE_UNIQUE_ID, unique_id) if unique_id else b""
    head = bytearray(pp.v2(src, dst, tlvs=tlvs))
    if bad_crc:
        head[16] ^= 0x01  # the first byte of the source address
    return bytes(head)


def exchange_ok(test, conn, req, timeout=10.0):
    """Sends req; asserts the next message is its 200 OK; returns it."""
    conn.send(req.encode())
    resp = conn.read_message(timeout)
    test.assertEqual(resp.start_line, "SIP/2.0 200 OK", resp.raw)
    test.assertEqual(resp.key(), req.key(), resp.raw)
    return resp


@needs_tools
class ClientAddress(unittest.TestCase):
    """Through HAProxy the nodes see the real client: Via received/rport, tls.list's src and
    the unique id in the facts; a ticket does not resume across nodes without shared keys."""

    def test_received_and_unique_id(self):
        cl = sc.Cluster(self)
        log_figure("HAProxy's fe_sip listens on %s:%d (%s)" % (
            sc.BALANCER, cl.haproxy.port,
            "5061 was free" if cl.haproxy.port == sc.SIP_TLS_PORT else "5061 was taken"))
        on = {}
        for i in range(4):
            ip = sc.client_addr(i)
            c = cl.connect(source=ip)
            self.addCleanup(c.close)
            resp = exchange_ok(self, c, options(ip, i))
            node = cl.node_of(c)  # the node whose tls.list shows the client's own address
            self.assertIsNotNone(node, "no node lists the client %s:%d" % c.local_addr)
            on[ip] = node
            entry = sc.connections(cl.nodes[node])[tuple(c.local_addr)]
            rc, facts, err = h.ctl(cl.nodes[node], "tls.facts", entry["id"])
            self.assertEqual(rc, 0, err)
            # HAProxy's unique id for this stream: "%ci:%cp_%fi:%fp_%Ts_%rt" (see the config).
            uid = "%s:%d_%s:%d_" % (ip, c.local_addr[1], sc.BALANCER, cl.haproxy.port)
            for where in (entry, facts):
                proxy = where.get("proxy") or {}
                self.assertTrue(proxy.get("unique_id", "").startswith(uid), (uid, where))
                self.assertEqual(proxy.get("command"), "PROXY", where)
                self.assertEqual(proxy.get("balancer", "").rpartition(":")[0], sc.BALANCER, where)
                self.assertTrue(proxy.get("crc32c"), where)
            via = sc.via_params(resp)
            self.assertEqual(via.get("received"), ip, resp.raw)
            self.assertEqual(via.get("rport"), str(c.local_addr[1]), resp.raw)
        # balance source: the same client address lands on the same node again.
        for i in range(4):
            ip = sc.client_addr(i)
            c = cl.connect(source=ip)
            self.addCleanup(c.close)
            exchange_ok(self, c, options(ip, 10 + i))
            self.assertEqual(cl.node_of(c), on[ip])

    def test_no_shared_keys_no_cross_node_resumption(self):
        # Control for TicketKeys: with per-process keys, A's ticket is not accepted by B, which
        # makes a full handshake (no error).
        cl = sc.Cluster(self)
        ctx = h.client_context()
        a = cl.connect(frontend="a", ctx=ctx)
        exchange_ok(self, a, options(sc.BALANCER, 1))
        session = a.sock.session
        a.close()
        b = cl.connect(frontend="b", ctx=ctx, session=session)
        self.addCleanup(b.close)
        exchange_ok(self, b, options(sc.BALANCER, 2))
        self.assertFalse(b.sock.session_reused)


@needs_tools
class Refusals(unittest.TestCase):
    """A PROXY-protocol listener closes connections without a valid header from a trusted
    source; a listener without the option never reads one."""

    @classmethod
    def setUpClass(cls):
        cls.cl = sc.Cluster(cls)
        cls.node = cls.cl.nodes["a"]

    def handshake_refused(self, source, prefix, port=None):
        """From `source` to node A's PROXY listener (or `port`): `prefix`, then a TLS handshake;
        asserts the node closes the connection instead of completing it (or hanging)."""
        self.assertTrue(pp.refused(port or self.node.pp_port, prefix, source=source,
                                   then_tls=True, timeout=10, host=self.node.host),
                        "node A completed the handshake, or neither answered nor closed")

    def direct(self, source, prefix):
        """Like a client behind the balancer, but straight to node A's PROXY listener: header
        `prefix`, TLS, OPTIONS; returns the response."""
        c = pp.tls_after(self, self.node.pp_port, prefix, source=source, host=self.node.host)
        return exchange_ok(self, c, options(source))

    def dst(self):
        return (self.node.host, self.node.pp_port)

    def test_valid_headers_from_the_balancer_accepted(self):
        # Controls for the refusals below: the same builders, from the trusted address.
        resp = self.direct(sc.BALANCER, proxy_v2(("198.51.100.7", 40001), self.dst(),
                                                    unique_id=b"it-uid-1"))
        self.assertEqual(sc.via_params(resp).get("received"), "198.51.100.7", resp.raw)
        self.assertEqual(sc.via_params(resp).get("rport"), "40001", resp.raw)
        entry = sc.connections(self.node)[("198.51.100.7", 40001)]
        self.assertEqual(entry["proxy"]["unique_id"], "it-uid-1", entry)
        resp = self.direct(sc.BALANCER, pp.v1(("198.51.100.8", 40002), self.dst()))
        self.assertEqual(sc.via_params(resp).get("received"), "198.51.100.8", resp.raw)

    def refused(self, counter, source, prefix, port=None):
        """handshake_refused(), and the node's `counter` grows by one."""
        before = h.counters(self.node.stats()).get(counter)
        self.assertIsNotNone(before, "no counter %s" % counter)
        self.handshake_refused(source, prefix, port)
        after = self.node.wait_stats(lambda s: h.counters(s)[counter] > before, 5)
        self.assertEqual(h.counters(after)[counter], before + 1, counter)

    def test_no_header(self):
        self.refused("proxy_no_header", sc.BALANCER, b"")

    def test_untrusted_source(self):
        src = sc.client_addr(20)
        self.refused("proxy_untrusted", src, proxy_v2((src, 40003), self.dst()))

    def test_forged_header_sent_directly(self):
        # A client claims another address, straight to the node: v1 and v2 to the PROXY
        # listener (it does not trust the client), and to the plain listener, which never reads
        # a header (the bytes are a broken ClientHello there).
        src = sc.client_addr(21)
        forged = ("203.0.113.9", 5060)
        self.refused("proxy_untrusted", src, pp.v1(forged, self.dst()))
        self.refused("proxy_untrusted", src, proxy_v2(forged, self.dst()))
        self.handshake_refused(sc.BALANCER, proxy_v2(forged, (self.node.host, self.node.port)),
                               port=self.node.port)
        self.assertEqual(self.node.lines_naming(forged), [])
        self.assertNotIn(forged[0], repr(sc.connections(self.node)))

    def test_bad_crc32c(self):
        self.refused("proxy_bad_crc", sc.BALANCER,
                     proxy_v2(("198.51.100.9", 40004), self.dst(), bad_crc=True))


@needs_tools
class TicketKeys(unittest.TestCase):
    """rotate-etcd.sh stores the key set in etcd, feed-file.py writes each node's key file, and
    a ticket issued by node A resumes on node B, before and after a rotation."""

    def python_resume(self, cl, version):
        ctx = h.client_context(version)
        a = cl.connect(frontend="a", ctx=ctx)
        exchange_ok(self, a, options(sc.BALANCER, 1))  # a TLS 1.3 ticket has arrived with it
        session = a.sock.session
        a.close()
        self.assertTrue(session.has_ticket, "node A issued no ticket (TLS %s)" % version)
        b = cl.connect(frontend="b", ctx=ctx, session=session)
        self.addCleanup(b.close)
        exchange_ok(self, b, options(sc.BALANCER, 2))
        self.assertTrue(b.sock.session_reused, "A's ticket did not resume on B (TLS %s)" % version)
        b.close()

    def s_client_ticket(self, path):
        """s_client to node A (-sess_out path); the name of the key A encrypted its ticket with."""
        out = s_client_request(self.cl.haproxy.fe["a"], "-tls1_3", options(sc.BALANCER).encode(),
                               sess_out=path, timeout=20)
        self.assertIn("SIP/2.0 200", out)
        return ticket_key_name(path)

    def s_client_resumes_on_b(self, path):
        out = s_client_request(self.cl.haproxy.fe["b"], "-tls1_3", options(sc.BALANCER).encode(),
                               sess_in=path, timeout=20)
        self.assertIn("SIP/2.0 200", out)  # resumed or not, never an error
        return "Reused," in out

    def wait_files(self, keys, timeout=30.0):
        ok = h.wait_until(lambda: all(sc.read_key_file(f) == keys for f in self.files.values()),
                          timeout)
        self.assertTrue(ok, "the feeders did not write the key set within %.0f s: %r"
                        % (timeout, [f.log_text() for f in self.feeders]))
        for f in self.files.values():
            self.assertEqual(os.stat(f).st_mode & 0o777, 0o600, f)

    def test_ticket_from_a_resumes_on_b(self):
        etcd = sc.Etcd(self)
        etcd.rotate()  # the first run stores 3 fresh keys
        keys = etcd.key_set()
        self.assertEqual([len(k) for k in keys], [48, 48, 48])
        d = sc.tempdir(self, "sipring-it-keys.")
        self.files = {n: os.path.join(d, n, "ticket.keys") for n in ("a", "b")}
        for f in self.files.values():
            os.mkdir(os.path.dirname(f), 0o700)
        self.feeders = [etcd.start_feeder(self, f) for f in self.files.values()]
        self.wait_files(keys)
        self.cl = cl = sc.Cluster(self, ticket_key_files=self.files)

        for version in ("1.3", "1.2"):
            with self.subTest(version=version):
                self.python_resume(cl, version)
        before = os.path.join(d, "before.sess")
        # The second-to-last key encrypts (HAProxy's rule).
        self.assertEqual(self.s_client_ticket(before), keys[1][:16])
        self.assertTrue(self.s_client_resumes_on_b(before))

        rotated_at = time.monotonic()
        etcd.rotate()
        rotated = etcd.key_set()
        self.assertEqual(rotated[:2], keys[1:])
        self.wait_files(rotated)
        after = os.path.join(d, "after.sess")
        # Node A re-reads its file on its own: wait (bounded) for tickets under the new key.
        self.assertTrue(h.wait_until(lambda: self.s_client_ticket(after) == rotated[1][:16], 30,
                                     interval=0.5),
                        "node A still encrypts with an old key 30 s after the rotation")
        log_figure("rotation: rotate-etcd.sh started -> feeders wrote both files -> node A seals "
                   "with the new key: %.2f s" % (time.monotonic() - rotated_at))
        self.assertTrue(self.s_client_resumes_on_b(after))
        for version in ("1.3", "1.2"):
            with self.subTest(version=version, rotated=True):
                self.python_resume(cl, version)
        # The ticket from before the rotation: its key is still in the set.
        self.assertTrue(self.s_client_resumes_on_b(before))

        # Two more rotations drop that key: the old ticket gets a full handshake, no error.
        etcd.rotate()
        etcd.rotate()
        self.wait_files(etcd.key_set())
        self.assertTrue(h.wait_until(lambda: not self.s_client_resumes_on_b(before), 30,
                                     interval=0.5),
                        "node B still resumes a ticket whose key left the set 30 s ago")
        for n in cl.nodes.values():
            for line in n.log_lines():
                for k in etcd.key_set() + keys:
                    self.assertNotIn(base64.b64encode(k).decode(), line, "key material in the log")


class LoadClient:
    """One client address sending OPTIONS through fe_sip, one at a time (10 per second), each
    checked to be answered by its 200; reconnects (every 0.2 s) when its connection breaks. One
    record per connection: its local address, requests sent, 200s received, how it ended."""

    def __init__(self, cl, i):
        self.cl = cl
        self.ip = sc.client_addr(i)
        self.conn = None
        self.records = []
        self.connect_errors = 0
        self.n = 0

    def run(self, stop, deadline):
        while not stop.is_set() and time.monotonic() < deadline:
            if self.conn is None:
                try:
                    self.conn = self.cl.connect(source=self.ip, timeout=10.0)
                except (OSError, h.ConnectionClosed):
                    self.connect_errors += 1
                    time.sleep(0.2)
                    continue
                self.records.append({"local": tuple(self.conn.local_addr), "sent": 0, "ok": 0,
                                     "error": None})
            rec = self.records[-1]
            self.n += 1
            req = options(self.ip, self.n)
            try:
                self.conn.send(req.encode())
                rec["sent"] += 1
                resp = self.conn.read_message(10.0)
                if resp.start_line == "SIP/2.0 200 OK" and resp.key() == req.key():
                    rec["ok"] += 1
                else:
                    rec["error"] = "unexpected response %r" % resp.start_line
            except (OSError, h.ConnectionClosed) as e:
                rec["error"] = repr(e)
            if rec["error"]:
                self.conn.close()
                self.conn = None
            time.sleep(0.1)
        if self.conn is not None:
            self.conn.close()


class Load:
    CLIENTS = 50

    def __init__(self, cl):
        self.clients = [LoadClient(cl, i) for i in range(self.CLIENTS)]
        self.stop = threading.Event()
        deadline = time.monotonic() + 120  # the whole load run's bound
        self.threads = [threading.Thread(target=c.run, args=(self.stop, deadline), daemon=True)
                        for c in self.clients]

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(20)
        return not any(t.is_alive() for t in self.threads)

    def wait(self, predicate, timeout):
        return h.wait_until(lambda: all(predicate(c) for c in self.clients), timeout, 0.1)


def log_figure(text):
    # Figures for the report (stderr; run-tests.sh keeps only the PASS/FAIL lines).
    import sys
    sys.stderr.write("scale-out: %s\n" % text)


@needs_tools
class Failover(unittest.TestCase):
    def test_kill_9_one_node_under_load(self):
        cl = sc.Cluster(self)
        load = Load(cl)
        self.addCleanup(load.finish)
        load.start()
        self.assertTrue(load.wait(lambda c: c.records and c.records[0]["ok"] >= 2, 60),
                        "not every client got two 200s within 60 s")
        on = {n: sc.connections(node) for n, node in cl.nodes.items()}
        first = {}
        for c in load.clients:
            local = c.records[0]["local"]
            first[c.ip] = [n for n in on if local in on[n]]
            self.assertEqual(len(first[c.ip]), 1, "%s:%d is on %r" % (local + (first[c.ip],)))
            first[c.ip] = first[c.ip][0]
        on_a = [c for c in load.clients if first[c.ip] == "a"]
        on_b = [c for c in load.clients if first[c.ip] == "b"]
        self.assertTrue(on_a and on_b, "balance source put all 50 clients on one node: %r" % first)

        killed = time.monotonic()
        cl.nodes["a"].proc.kill()  # SIGKILL
        down_s = cl.haproxy.wait_status("a", "DOWN", timeout=sc.DOWN_DETECTION_S + 15)
        log_figure("HAProxy marked node a DOWN %.2f s after kill -9 (inter %d ms, fastinter %d "
                   "ms, fall %d: at most %.2f s)" % (down_s, sc.CHECK_INTER_MS,
                                                     sc.CHECK_FASTINTER_MS, sc.CHECK_FALL,
                                                     sc.DOWN_DETECTION_S))
        # Within the check interval and the fall checks, plus 1 s for a loaded machine.
        self.assertLessEqual(down_s, sc.DOWN_DETECTION_S + 1.0)
        # Every client of A reconnects (through fe_sip, to B) and gets three 200s there.
        self.assertTrue(load.wait(lambda c: first[c.ip] == "b" or (
            len(c.records) > 1 and c.records[-1]["ok"] >= 3), 45),
            "clients of node a did not get through again within 45 s of the kill")
        recovered_s = time.monotonic() - killed
        on_b_now = sc.connections(cl.nodes["b"])
        self.assertTrue(load.finish(), "load threads did not stop within 20 s")
        log_figure("all %d clients of node a answered by node b %.2f s after the kill"
                   % (len(on_a), recovered_s))

        for c in on_b:
            # Node B's connections: nothing lost, nothing broken.
            self.assertEqual(len(c.records), 1, (c.ip, c.records))
            r = c.records[0]
            self.assertIsNone(r["error"], (c.ip, r))
            self.assertEqual(r["ok"], r["sent"], (c.ip, r))
            self.assertIn(r["local"], on_b_now)
        for c in on_a:
            self.assertIsNotNone(c.records[0]["error"], "%s's connection to the dead node A "
                                 "never failed: %r" % (c.ip, c.records))
            last = c.records[-1]
            # the new connection is on B, and every request sent on it was answered
            self.assertIn(last["local"], on_b_now, (c.ip, c.records))
            self.assertIsNone(last["error"], (c.ip, c.records))
            self.assertEqual(last["ok"], last["sent"], (c.ip, c.records))
        # New connections from any address go to B now.
        c = cl.connect(source=on_a[0].ip)
        self.addCleanup(c.close)
        exchange_ok(self, c, options(on_a[0].ip))
        self.assertEqual(cl.node_of(c), "b")


@needs_tools
class Drain(unittest.TestCase):
    def test_drain_keeps_established_connections(self):
        cl = sc.Cluster(self)
        b = cl.nodes["b"]
        direct = cl.connect(frontend="b")  # through fe_b: on B whatever the hash says
        self.addCleanup(direct.close)
        exchange_ok(self, direct, options(sc.BALANCER, 1))
        balanced = None
        for i in range(30):  # a client address that `balance source` puts on B
            c = cl.connect(source=sc.client_addr(i))
            exchange_ok(self, c, options(c.local_addr[0], 2))
            if cl.node_of(c) == "b":
                balanced = c
                break
            c.close()
        self.assertIsNotNone(balanced, "none of 30 client addresses landed on node b")
        self.addCleanup(balanced.close)

        started = time.monotonic()
        rc, out, err = h.ctl(b, "core.drain")
        self.assertEqual(rc, 0, err)
        log_figure("core.drain answered %r" % (out,))
        # direct and balanced (HAProxy's checks may add one in flight)
        self.assertGreaterEqual(drain_remaining(out) or 0, 2, out)
        down_s = cl.haproxy.wait_status("b", "DOWN", timeout=sc.DOWN_DETECTION_S + 15)
        log_figure("HAProxy marked node b DOWN %.2f s after core.drain answered (%.2f s after "
                   "it was sent)" % (down_s, time.monotonic() - started))
        self.assertLessEqual(down_s, sc.DOWN_DETECTION_S + 1.0)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((b.host, b.pp_port), timeout=5).close()

        # Established connections keep working, through the balancer and directly.
        for n in range(3):
            exchange_ok(self, direct, options(sc.BALANCER, 10 + n))
            exchange_ok(self, balanced, options(balanced.local_addr[0], 10 + n))
        # The same client address now lands on A.
        again = cl.connect(source=balanced.local_addr[0])
        self.addCleanup(again.close)
        exchange_ok(self, again, options(balanced.local_addr[0], 20))
        self.assertEqual(cl.node_of(again), "a")

        direct.close()
        balanced.close()
        self.assertTrue(h.wait_until(lambda: not sc.connections(b), 10),
                        "node b still lists connections 10 s after its clients closed them")
        rc, out, err = h.ctl(b, "core.drain")  # again: the count now
        self.assertEqual(rc, 0, err)
        self.assertEqual(drain_remaining(out), 0, out)
        rc, out, err = h.ctl(b, "core.shutdown")
        self.assertEqual(rc, 0, err)
        b.proc.wait(15)
        self.assertEqual(b.proc.returncode, 0, b.log_text())


def drain_remaining(out):
    """The number of connections core.drain reports as remaining (its "connections")."""
    if isinstance(out, dict) and isinstance(out.get("connections"), int):
        return out["connections"]
    return None
