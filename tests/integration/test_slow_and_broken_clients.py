"""Clients that stress the record and message reassembly: one byte per TLS record, and a client
that vanishes in the middle of a TLS record (driven through ssl.MemoryBIO/SSLObject so that the
raw bytes on the wire are under the test's control)."""

import socket
import ssl
import struct
import threading
import time
import unittest

import harness as h


class SlowClient(unittest.TestCase):
    def _one_byte_per_record(self, version):
        d = h.start_daemon(self)
        c = h.connect_for(self, d.port, version=version)
        req = h.Request("INVITE", body=b"v=0\r\n", vias=[
            "SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-slow1",
            "SIP/2.0/TLS 10.0.0.9:5061;branch=z9hG4bK-slow0"])
        data = req.encode()
        before = h.counters(d.stats())["records_in"]
        for i in range(len(data)):
            c.send(data[i:i + 1])  # each sendall of one byte is its own TLS record
            time.sleep(0.002)
        h.check_200(self, req, c.read_message(timeout=5))
        e = h.counters(d.stats())
        self.assertGreaterEqual(e["records_in"] - before, len(data), e)
        self.assertEqual(e["messages_in"], 1, e)
        # The connection is still fine for a normal request afterwards.
        h.exchange(self, c, h.Request("OPTIONS", cseq=2))
        c.close()
        d.stop()

    def test_request_sent_one_byte_per_tls13_record_gets_200(self):
        self._one_byte_per_record("1.3")

    def test_request_sent_one_byte_per_tls12_record_gets_200(self):
        self._one_byte_per_record("1.2")


class _BioClient:
    """A TLS client over a raw socket: the test sees and controls every ciphertext byte."""

    def __init__(self, port, version):
        self.sock = socket.create_connection((h.HOST, port), timeout=5)
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = h.client_context(version).wrap_bio(self.inc, self.out,
                                                      server_hostname=h.SERVER_NAME)
        self.plain = bytearray()
        deadline = time.monotonic() + 5
        while True:
            try:
                self.obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                pass
            self._flush()
            self._pull(deadline)
        self._flush()

    def _flush(self):
        data = self.out.read()
        if data:
            self.sock.sendall(data)

    def _pull(self, deadline):
        self.sock.settimeout(max(0.01, deadline - time.monotonic()))
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("server closed")
        self.inc.write(data)

    def seal(self, plaintext):
        """The ciphertext (whole records) for plaintext, not yet sent."""
        self.obj.write(plaintext)
        return self.out.read()

    def read_message(self, timeout=5):
        deadline = time.monotonic() + timeout
        while True:
            msg, used = h.parse_one(self.plain)
            if msg is not None:
                del self.plain[:used]
                return msg
            try:
                self.plain += self.obj.read(65536)
                continue
            except ssl.SSLWantReadError:
                pass
            self._pull(deadline)

    def abort_mid_record(self, record, rst):
        """Sends the first half of `record` and closes: FIN, or RST when rst is true."""
        self.sock.sendall(record[:len(record) // 2])
        time.sleep(0.1)  # let the half record arrive on its own
        if rst:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class _Background:
    """Keeps exchanging requests on its own connection until stopped; records any failure."""

    def __init__(self, test, port):
        self.test = test
        self.conn = h.connect(port)
        self.count = 0
        self.failure = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        try:
            while not self.stop.is_set():
                req = h.Request("OPTIONS", cseq=self.count + 1)
                self.conn.send(req.encode())
                h.check_200(self.test, req, self.conn.read_message(timeout=5))
                self.count += 1
                time.sleep(0.01)
        except BaseException as e:  # noqa: BLE001 - reported by finish()
            self.failure = e

    def start(self):
        self.thread.start()
        return self

    def finish(self):
        self.stop.set()
        self.thread.join(10)
        self.conn.close()
        return self.failure, self.count


class ClientVanishesMidRecord(unittest.TestCase):
    def _vanish(self, version, rst):
        d = h.start_daemon(self)
        bg = _Background(self, d.port).start()
        self.addCleanup(bg.finish)
        time.sleep(0.1)
        b = _BioClient(d.port, version)
        self.addCleanup(b.sock.close)
        first = h.Request("OPTIONS")
        b.sock.sendall(b.seal(first.encode()))
        h.check_200(self, first, b.read_message())
        record = b.seal(h.Request("OPTIONS", cseq=2).encode())
        self.assertEqual(record[0], 23, "expected one application_data record")
        self.assertEqual(len(record), 5 + struct.unpack("!H", record[3:5])[0], "one record")
        b.abort_mid_record(record, rst)
        # The server notices and closes its side; the background connection is the only one left.
        s = d.wait_stats(lambda s: h.counters(s)["closed"] >= 1, timeout=5)
        e = h.counters(s)
        self.assertEqual(e["closed"], 1, e)
        self.assertEqual(e["connections_open"], 1, e)
        time.sleep(0.3)  # background traffic keeps flowing after the close
        failure, count = bg.finish()
        self.assertIsNone(failure, "background connection disturbed: %r" % failure)
        self.assertGreater(count, 10)
        e = h.counters(d.stats())
        self.assertEqual(e["messages_in"], count + 1, e)  # the half request never became one
        # The server is still up and serving new connections.
        c = h.connect_for(self, d.port, version=version)
        h.exchange(self, c, h.Request("OPTIONS"))
        c.close()
        d.stop()

    def test_tls13_client_closing_mid_record_does_not_disturb_other_connections(self):
        self._vanish("1.3", rst=False)

    def test_tls12_client_closing_mid_record_does_not_disturb_other_connections(self):
        self._vanish("1.2", rst=False)

    def test_tls13_client_resetting_mid_record_does_not_disturb_other_connections(self):
        self._vanish("1.3", rst=True)


if __name__ == "__main__":
    unittest.main()
