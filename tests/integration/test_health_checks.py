"""What an L4 balancer's health checks and clients see of one sipring node (issue 12).

- A SIP OPTIONS over TLS is answered 200 by the core (HAProxy's `tcp-check` sends one and expects
  `SIP/2.0 200`), and the answer's top Via says where the request came from: a client bound to
  127.0.0.10 gets received=127.0.0.10 and rport=<its port> (RFC 3261 18.2.1, RFC 3581 4).
- A plain TCP check (connect and close, with a FIN or a reset, or after part of a ClientHello)
  costs a counter (closed_before_handshake), never a log line at warning or error level.
"""

import re
import socket
import struct
import unittest

import harness as h

BAD_LEVELS = re.compile(r"\b(WARNING|ERROR|CRITICAL|ALERT|BUG)\b")
CLIENT_IP = "127.0.0.10"


def connect_from(port, source_ip):
    """A verified TLS connection to HOST:port from source_ip (any port)."""
    raw = socket.create_connection((h.HOST, port), timeout=5.0, source_address=(source_ip, 0))
    try:
        s = h.client_context().wrap_socket(raw, server_hostname=h.SERVER_NAME,
                                           suppress_ragged_eofs=False)
    except BaseException:
        raw.close()
        raise
    return h.SipConn(s)


client_hello = h.client_hello  # the first flight of a Python ssl client


class HealthChecks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = h.start_daemon(cls)

    def bad_log_lines(self):
        return [l for l in self.d.log_lines() if BAD_LEVELS.search(l)]

    def test_options_over_tls_is_answered_200(self):
        c = h.connect_for(self, self.d.port)
        resp = h.exchange(self, c, h.Request("OPTIONS", uri="sip:health@127.0.0.1"))
        self.assertEqual(resp.start_line, "SIP/2.0 200 OK")

    def test_the_answer_says_where_the_request_came_from(self):
        try:
            c = connect_from(self.d.port, CLIENT_IP)
        except OSError as e:
            self.skipTest("cannot bind %s: %s" % (CLIENT_IP, e))
        self.addCleanup(c.close)
        ip, port = c.local_addr
        self.assertEqual(ip, CLIENT_IP)
        # A Via whose sent-by is the client's own address, asking for rport.
        req = h.Request("OPTIONS", vias=["SIP/2.0/TLS %s:5071;branch=z9hG4bK-hc1;rport" % ip])
        c.send(req.encode())
        resp = c.read_message()
        self.assertEqual(resp.all("Via"), ["SIP/2.0/TLS %s:5071;branch=z9hG4bK-hc1;rport=%d;"
                                           "received=%s" % (ip, port, ip)], resp.raw)
        h.check_200(self, req, resp, peer=(ip, port))
        # A sent-by that is a name (or another address), without rport: received only.
        req = h.Request("OPTIONS", cseq=2, vias=[
            "SIP/2.0/TLS ua.client.invalid;branch=z9hG4bK-hc2",
            "SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK-hc0;rport"])
        c.send(req.encode())
        resp = c.read_message()
        self.assertEqual(resp.all("Via"), [
            "SIP/2.0/TLS ua.client.invalid;branch=z9hG4bK-hc2;received=%s" % ip,
            "SIP/2.0/TLS 192.0.2.1:5061;branch=z9hG4bK-hc0;rport"], resp.raw)
        # The sent-by is the peer and there is no rport: the Via is returned as sent.
        req = h.Request("OPTIONS", cseq=3, vias=["SIP/2.0/TLS %s;branch=z9hG4bK-hc3" % ip])
        c.send(req.encode())
        resp = c.read_message()
        self.assertEqual(resp.all("Via"), req.vias, resp.raw)
        # tls.list shows the same peer.
        rc, conns, err = h.ctl(self.d, "tls.list")
        self.assertEqual(rc, 0, err)
        self.assertIn("%s:%d" % (ip, port), [x["src"] for x in conns])

    def test_tcp_checks_are_counted_not_logged(self):
        before = h.counters(self.d.stats())["closed_before_handshake"]
        hello = client_hello()
        self.assertGreater(len(hello), 60)
        plain = 20
        for _ in range(plain):  # connect, close (FIN)
            socket.create_connection((h.HOST, self.d.port), timeout=5).close()
        for _ in range(5):  # connect, close with a reset (SO_LINGER 0, as HAProxy's checks do)
            s = socket.create_connection((h.HOST, self.d.port), timeout=5)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
        for _ in range(5):  # part of a ClientHello, then close
            s = socket.create_connection((h.HOST, self.d.port), timeout=5)
            s.sendall(hello[:40])
            s.close()
        want = before + plain + 10
        s = self.d.wait_stats(lambda st: h.counters(st)["closed_before_handshake"] >= want,
                              timeout=10)
        self.assertEqual(h.counters(s)["closed_before_handshake"], want, h.counters(s))
        self.assertEqual(self.bad_log_lines(), [], self.d.log_text())
        # And the node still answers.
        c = h.connect_for(self, self.d.port)
        h.exchange(self, c, h.Request("OPTIONS"))

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()


if __name__ == "__main__":
    unittest.main()
