"""sipring-relay (examples/relay) against bad input and a scripted upstream.

The upstream here is a Python `ssl` TLS server (the demo certificate for "localhost") that
records what the relay forwards and answers as each test says: correctly, with a forged
branch, or not at all before closing. Checks: the relay's Via, Max-Forwards and
Record-Route on the forwarded request; 400 for no Via or a malformed one, 483 for
Max-Forwards 0, 503 with Retry-After while no upstream is reachable; a response whose branch
is forged is dropped and counted while a genuine one is relayed; a CANCEL carries its
INVITE's branch; requests in flight when the upstream closes get 503.
"""

import os
import queue
import re
import socket
import ssl
import threading
import time
import unittest

import harness as h
from test_relay import start_relay  # the relay's process helper


class FakeUpstream:
    """A TLS server on a free loopback port: accepts connections one after the other, queues
    every SIP message it reads (harness.parse_one), and sends what the test asks on the
    current connection."""

    def __init__(self, test):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        pem = os.path.join(h.demo_certs(), "server.pem")
        ctx.load_cert_chain(pem, pem)
        self.ctx = ctx
        self.listener = socket.create_server((h.HOST, 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self.messages = queue.Queue()
        self.conn = None
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        test.addCleanup(self.close)

    def _serve(self):
        while not self._stop.is_set():
            try:
                raw, _ = self.listener.accept()
            except (socket.timeout, OSError):
                continue
            try:
                raw.settimeout(5)
                conn = self.ctx.wrap_socket(raw, server_side=True)
            except (ssl.SSLError, OSError):
                raw.close()
                continue
            self.conn = conn
            self.accepted += 1
            conn.settimeout(0.2)
            buf = bytearray()
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except socket.timeout:
                    continue
                except (ssl.SSLError, OSError):
                    break
                if not data:
                    break
                buf += data
                while True:
                    msg, used = h.parse_one(buf)
                    if msg is None:
                        break
                    del buf[:used]
                    self.messages.put(msg)
            self.conn = None
            try:
                conn.close()
            except OSError:
                pass

    def next(self, timeout=5.0):
        return self.messages.get(timeout=timeout)

    def send(self, data):
        self.conn.sendall(data)

    def drop_connection(self):
        c = self.conn
        if c is not None:
            c.shutdown(socket.SHUT_RDWR)

    def close(self):
        self._stop.set()
        self.drop_connection()
        self._thread.join(5)
        self.listener.close()


def response_to(msg, code=200, reason="OK", vias=None):
    """A response to a forwarded request `msg` (a SipMessage) carrying its Vias (or `vias`)."""
    lines = ["SIP/2.0 %d %s" % (code, reason)]
    lines += ["Via: %s" % v for v in (vias if vias is not None else msg.all("Via"))]
    lines += ["From: %s" % msg.get("From"), "To: %s;tag=up1" % msg.get("To"),
              "Call-ID: %s" % msg.get("Call-ID"), "CSeq: %s" % msg.get("CSeq"),
              "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def branch_of(via):
    return re.search(r";branch=([^;,\s]+)", via).group(1)


def status(resp):
    return int(resp.start_line.split()[1])


class RelayInput(unittest.TestCase):

    def start(self, args=()):
        self.up = FakeUpstream(self)
        self.relay = start_relay(self, self.up.port, args=args)
        self.relay.wait_line(r"upstream .* up: connection")
        self.client = h.connect_for(self, self.relay.port)

    def send(self, req):
        self.client.send(req.encode() if isinstance(req, h.Request) else req)

    def test_forwarded_request_carries_our_via_max_forwards_and_record_route(self):
        self.start(args=["--record-route"])
        req = h.Request("OPTIONS")
        self.send(req)
        fwd = self.up.next()
        vias = fwd.all("Via")
        self.assertEqual(len(vias), 2, fwd.raw)
        self.assertRegex(vias[0], r"^SIP/2\.0/TLS 127\.0\.0\.1:%d;branch=z9hG4bKsR[0-9a-f]{32}$"
                         % self.relay.port)
        self.assertEqual(vias[1], req.vias[0])
        self.assertEqual(fwd.get("Max-Forwards"), "69")
        self.assertEqual(fwd.all("Record-Route"),
                         ["<sip:127.0.0.1:%d;transport=tls;lr>" % self.relay.port])
        self.assertEqual(fwd.start_line, "OPTIONS %s SIP/2.0" % req.uri)
        self.up.send(response_to(fwd))
        resp = self.client.read_message(5)
        self.assertEqual(status(resp), 200, resp.raw)
        self.assertEqual(resp.all("Via"), req.vias, resp.raw)
        # No Max-Forwards: 70 is added.
        self.send(h.Request("OPTIONS").encode().replace(b"Max-Forwards: 70\r\n", b""))
        self.assertEqual(self.up.next().get("Max-Forwards"), "70")

    def test_no_via_400_malformed_via_400_max_forwards_zero_483(self):
        self.start()
        cases = [
            (h.Request("OPTIONS"), 400, "no Via"),
            (h.Request("OPTIONS", vias=["SIP/2.0/TLS"]), 400, "malformed Via"),
            (h.Request("OPTIONS", vias=["SIP/3.0/TLS 1.2.3.4;branch=z9hG4bKa"]), 400, "bad ver"),
        ]
        for req, code, what in cases:
            with self.subTest(what):
                data = req.encode()
                if what == "no Via":
                    data = re.sub(rb"Via: [^\r]*\r\n", b"", data)
                self.send(data)
                resp = self.client.read_message(5)
                self.assertEqual(status(resp), code, resp.raw)
                self.assertEqual(resp.get("Call-ID"), req.call_id)
                self.assertEqual(resp.get("CSeq"), req.cseq)
                self.assertRegex(resp.get("To"), r";tag=")
        req = h.Request("OPTIONS")
        self.send(req.encode().replace(b"Max-Forwards: 70", b"Max-Forwards: 0"))
        resp = self.client.read_message(5)
        self.assertEqual(resp.start_line, "SIP/2.0 483 Too Many Hops", resp.raw)
        self.assertEqual(resp.all("Via"), req.vias)
        req = h.Request("OPTIONS")
        self.send(req.encode().replace(b"Max-Forwards: 70", b"Max-Forwards: many"))
        self.assertEqual(status(self.client.read_message(5)), 400)
        # An ACK with Max-Forwards 0 is dropped silently (never answered), and counted.
        ack = h.Request("ACK")
        self.send(ack.encode().replace(b"Max-Forwards: 70", b"Max-Forwards: 0"))
        self.assertEqual(self.client.read_for(0.3), b"")
        self.assertTrue(self.up.messages.empty(), "a refused request reached the upstream")
        c = self.relay.stop()["relay"]
        self.assertEqual((c["replied_400"], c["replied_483"], c["dropped_acks"],
                          c["requests_relayed"]), (4, 1, 1, 0), c)

    def test_forged_branch_is_dropped_and_counted_genuine_one_relayed(self):
        self.start()
        req = h.Request("OPTIONS")
        self.send(req)
        fwd = self.up.next()
        ours, theirs = fwd.all("Via")
        b = branch_of(ours)
        flipped = b[:-1] + ("0" if b[-1] != "0" else "1")
        other_conn = b[:9] + ("f" if b[9] != "f" else "e") + b[10:]
        forged = [
            [ours.replace(b, flipped), theirs],      # tag altered
            [ours.replace(b, other_conn), theirs],   # another connection named
            [theirs],                                # our Via missing
            [ours, theirs.replace(branch_of(theirs), "z9hG4bK-other")],  # not its client
        ]
        for vias in forged:
            self.up.send(response_to(fwd, vias=vias))
        self.assertEqual(self.client.read_for(0.5), b"", "a forged response was relayed")
        self.up.send(response_to(fwd))
        resp = self.client.read_message(5)
        self.assertEqual(status(resp), 200)
        self.assertEqual(resp.all("Via"), req.vias)
        c = self.relay.counters()["relay"]
        self.assertEqual((c["dropped_responses_forged"], c["responses_relayed"]), (4, 1), c)
        self.assertIn("forged", self.relay.log_text())

    def test_cancel_gets_its_invites_branch_and_ack_is_forwarded(self):
        self.start()
        inv = h.Request("INVITE", cseq=1)
        self.send(inv)
        fwd_inv = self.up.next()
        cancel = h.Request("CANCEL", cseq=1, call_id=inv.call_id, vias=inv.vias)
        self.send(cancel)
        fwd_cancel = self.up.next()
        self.assertEqual(fwd_cancel.all("Via")[0], fwd_inv.all("Via")[0])
        self.up.send(response_to(fwd_cancel))
        self.up.send(response_to(fwd_inv, 487, "Request Terminated"))
        got = sorted(status(self.client.read_message(5)) for _ in range(2))
        self.assertEqual(got, [200, 487])
        ack = h.Request("ACK", cseq=1, call_id=inv.call_id, vias=inv.vias)
        self.send(ack)
        fwd_ack = self.up.next()
        self.assertEqual(fwd_ack.start_line.split()[0], "ACK")
        self.assertEqual(fwd_ack.all("Via")[0], fwd_inv.all("Via")[0])

    def test_no_upstream_503_with_retry_after(self):
        dead = h.free_port()  # nothing listens there
        self.relay = start_relay(self, dead)
        client = h.connect_for(self, self.relay.port)
        for i in range(3):
            req = h.Request("OPTIONS")
            client.send(req.encode())
            resp = client.read_message(5)
            self.assertEqual(resp.start_line, "SIP/2.0 503 Service Unavailable", resp.raw)
            self.assertEqual(resp.get("Retry-After"), "5", resp.raw)
            self.assertEqual(resp.all("Via"), req.vias)
        # It keeps trying, backing off.
        self.relay.wait_line(r"connection attempt .* failed", count=2, timeout=5)
        c = self.relay.stop()["relay"]
        self.assertEqual(c["replied_503"], 3, c)
        self.assertGreaterEqual(c["upstream_connects"], 2, c)

    def test_requests_in_flight_when_the_upstream_closes_get_503(self):
        self.start()
        reqs = [h.Request("OPTIONS", cseq=i + 1) for i in range(5)]
        for r in reqs:
            self.send(r)
        for _ in reqs:
            self.up.next()
        self.up.drop_connection()
        got = {}
        for _ in reqs:
            resp = self.client.read_message(5)
            got[resp.key()] = resp
        self.assertEqual(set(got), {r.key() for r in reqs})
        for r in reqs:
            self.assertEqual(status(got[r.key()]), 503, got[r.key()].raw)
            self.assertEqual(got[r.key()].all("Via"), r.vias)
        # The relay reconnects to the same (still listening) upstream.
        self.relay.wait_line(r"upstream .* up: connection", count=2, timeout=5)
        c = self.relay.counters()["relay"]
        self.assertEqual(c["replied_503_inflight"], 5, c)


if __name__ == "__main__":
    unittest.main()
