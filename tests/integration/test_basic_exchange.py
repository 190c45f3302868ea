"""Request/response basics over TLS 1.3 and TLS 1.2 with Python's ssl (OpenSSL 3) as the client.

The server certificate is verified against the demo CA with server_hostname=localhost, so these
also prove that sipring serves a chain an independent implementation accepts.
"""

import unittest

import harness as h


class _ExchangeTests:
    VERSION = None  # "1.3" / "1.2"

    @classmethod
    def setUpClass(cls):
        cls.daemon = h.start_daemon(cls)

    @classmethod
    def tearDownClass(cls):
        # A crash anywhere in the class shows up here: SIGTERM must still give exit code 0.
        cls.daemon.stop()

    def setUp(self):
        self.conn = h.connect_for(self, self.daemon.port, version=self.VERSION)

    def test_handshake_negotiates_version_and_verifies_localhost_cert(self):
        want = {"1.3": "TLSv1.3", "1.2": "TLSv1.2"}[self.VERSION]
        self.assertEqual(self.conn.sock.version(), want)
        cert = self.conn.sock.getpeercert()
        self.assertIn(("DNS", "localhost"), cert["subjectAltName"])

    def test_options_gets_exact_200_ok(self):
        h.exchange(self, self.conn, h.Request("OPTIONS"))

    def test_invite_gets_exact_200_ok(self):
        body = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        h.exchange(self, self.conn, h.Request("INVITE", body=body,
                                              extra_headers=["Content-Type: application/sdp"]))

    def test_register_gets_exact_200_ok(self):
        h.exchange(self, self.conn, h.Request("REGISTER", uri="sip:server.example", cseq=7,
                                              extra_headers=["Expires: 3600"]))

    def test_multiple_vias_are_copied_in_order(self):
        vias = ["SIP/2.0/TLS proxy2.example:5061;branch=z9hG4bK-p2;received=10.0.0.2",
                "SIP/2.0/TLS proxy1.example:5061;branch=z9hG4bK-p1",
                "SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-ua;rport"]
        h.exchange(self, self.conn, h.Request("INVITE", vias=vias))

    def test_to_tag_in_request_is_kept_unchanged(self):
        h.exchange(self, self.conn, h.Request("INVITE", cseq=2, to_tag="existing-tag-42"))

    def test_sequential_requests_on_one_connection_each_get_their_200(self):
        for i in range(20):
            h.exchange(self, self.conn, h.Request("OPTIONS", cseq=i + 1))

    def test_pipelined_requests_are_answered_in_order(self):
        reqs = [h.Request("OPTIONS", cseq=i + 1) for i in range(10)]
        self.conn.send(b"".join(r.encode() for r in reqs))
        for r in reqs:
            h.check_200(self, r, self.conn.read_message())

    def test_ack_gets_no_response(self):
        ack = h.Request("ACK", cseq=1)
        self.conn.send(ack.encode())
        self.assertEqual(self.conn.read_for(0.5), b"", "an ACK must not be answered")
        # The next answer on the stream is for the following request, not for the ACK.
        h.exchange(self, self.conn, h.Request("OPTIONS"))

    def test_response_from_client_gets_nothing_and_connection_stays_usable(self):
        resp = ("SIP/2.0 200 OK\r\n"
                "Via: SIP/2.0/TLS 127.0.0.1:5060;branch=z9hG4bK-srv1\r\n"
                "From: <sip:server@server.example>;tag=s1\r\n"
                "To: <sip:alice@client.example>;tag=c1\r\n"
                "Call-ID: resp-from-client@client.example\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "Content-Length: 0\r\n\r\n").encode()
        self.conn.send(resp)
        self.assertEqual(self.conn.read_for(0.5), b"", "a response must not be answered")
        h.exchange(self, self.conn, h.Request("OPTIONS"))

    def test_request_with_300_byte_body_is_answered_once(self):
        # The body looks like a request itself: if the server framed by anything but
        # Content-Length it would answer twice.
        inner = h.Request("OPTIONS", call_id="inside-the-body").encode()
        body = (inner + b"x" * 300)[:300]
        self.assertEqual(len(body), 300)
        req = h.Request("MESSAGE", body=body, extra_headers=["Content-Type: text/plain"])
        self.assertIn(b"Content-Length: 300\r\n", req.encode())
        data = req.encode()
        # Head and body in separate writes (so separate TLS records).
        split = data.index(b"\r\n\r\n") + 4
        self.conn.send(data[:split])
        self.conn.send(data[split:split + 100])
        self.conn.send(data[split + 100:])
        h.check_200(self, req, self.conn.read_message())
        after = h.Request("OPTIONS", cseq=2)
        self.conn.send(after.encode())
        h.check_200(self, after, self.conn.read_message())
        self.assertEqual(self.conn.read_for(0.3), b"")

    def test_compact_header_forms_are_understood(self):
        # RFC 3261 7.3.3: v, f, t, i, l are the compact forms of Via, From, To, Call-ID,
        # Content-Length. The response uses the canonical names.
        raw = ("OPTIONS sip:service@127.0.0.1 SIP/2.0\r\n"
               "v: SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-compact\r\n"
               "f: <sip:alice@client.example>;tag=cf1\r\n"
               "t: <sip:bob@server.example>\r\n"
               "i: compact-forms@client.example\r\n"
               "CSeq: 5 OPTIONS\r\n"
               "l: 0\r\n\r\n").encode()
        self.conn.send(raw)
        resp = self.conn.read_message()
        self.assertEqual(resp.start_line, "SIP/2.0 200 OK")
        self.assertEqual(resp.all("Via"), ["SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-compact"])
        self.assertEqual(resp.all("From"), ["<sip:alice@client.example>;tag=cf1"])
        self.assertTrue(resp.get("To").startswith("<sip:bob@server.example>;tag="), resp.raw)
        self.assertEqual(resp.all("Call-ID"), ["compact-forms@client.example"])
        self.assertEqual(resp.all("CSeq"), ["5 OPTIONS"])


class Tls13Exchange(_ExchangeTests, unittest.TestCase):
    VERSION = "1.3"


class Tls12Exchange(_ExchangeTests, unittest.TestCase):
    VERSION = "1.2"


class VersionCounters(unittest.TestCase):
    def test_tls13_and_tls12_connections_use_the_direct_record_layers(self):
        d = h.start_daemon(self)
        for version in ("1.3", "1.2", "1.3"):
            c = h.connect_for(self, d.port, version=version)
            h.exchange(self, c, h.Request("OPTIONS"))
        e = h.counters(d.stats())
        self.assertEqual(e["tls13_direct"], 2, e)
        self.assertEqual(e["tls12_direct"], 1, e)
        self.assertEqual(e["handshakes_full"], 3, e)
        self.assertEqual(e["messages_in"], 3, e)
        self.assertEqual(e["messages_out"], 3, e)
        d.stop()


if __name__ == "__main__":
    unittest.main()
