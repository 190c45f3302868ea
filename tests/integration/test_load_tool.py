"""sipring-load's own edge cases: it must end by itself and say why when the target is useless,
and its --histogram CSV must agree with its JSON.

A load run against a port that refuses or drops every connection used to wait out --duration
with nothing left to send; it now ends as soon as every connection has failed, exits non-zero
and counts each failure with its reason.
"""

import csv
import os
import shutil
import socket
import tempfile
import threading
import unittest

import harness as h


class ClosingListener:
    """A plain TCP listener on loopback that accepts every connection, reads what the client
    sends first and closes it without answering."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((h.HOST, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.accepted += 1
            # Read the ClientHello first: closing with unread data would send RST (io-error at
            # the client) instead of FIN (peer-closed), depending on timing.
            c.settimeout(2)
            try:
                c.recv(65536)
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


class SipringLoadEndsWhenEveryConnectionFails(unittest.TestCase):
    def test_rps_against_a_port_that_drops_every_connection_ends_without_waiting_out_duration(self):
        lst = ClosingListener()
        try:
            # --duration 60 with a 20 s subprocess bound: ending means it noticed, not the clock.
            rc, res, err = h.run_load(["rps", "--target", "%s:%d" % (h.HOST, lst.port),
                                       "--connections", 4, "--requests", 20,
                                       "--duration", 60], timeout=20)
        finally:
            lst.close()
        self.assertIsNotNone(res, err)
        self.assertNotEqual(rc, 0, "a run where nothing was answered must fail")
        self.assertEqual(res["connect_failures"], 4, res)
        self.assertEqual(res["sent"], 0, res)
        self.assertEqual(res["failed_or_unexpected_closes"], {"peer-closed": 4}, res)
        self.assertEqual(lst.accepted, 4)

    def test_rate_against_a_closed_port_ends_and_counts_connect_failures(self):
        port = h.free_port()
        rc, res, err = h.run_load(["rate", "--target", "%s:%d" % (h.HOST, port),
                                   "--connections", 3, "--rate", 100, "--duration", 60],
                                  timeout=20)
        self.assertIsNotNone(res, err)
        self.assertNotEqual(rc, 0)
        self.assertEqual(res["connect_failures"], 3, res)
        self.assertEqual(res["opened"], 0, res)


class SipringLoadRefusesOptionsItWouldIgnore(unittest.TestCase):
    def test_crl_or_verify_name_without_ca_is_refused_with_a_reason(self):
        # Without --ca nothing is verified: a CRL or a name would silently do nothing.
        for extra in (["--crl", "/nonexistent.crl"], ["--verify-name", "sip.example"]):
            rc, res, err = h.run_load(["rps", "--target", "%s:%d" % (h.HOST, h.free_port()),
                                       "--requests", 1] + extra, timeout=20)
            self.assertEqual(rc, 2, err)
            self.assertIsNone(res, err)
            self.assertIn("need --ca", err)


class SipringLoadWritesTheLatencyHistogram(unittest.TestCase):
    """--histogram FILE: the CSV a latency CDF is drawn from (bench/e2e.py --plot)."""

    def test_rps_run_writes_one_row_per_bucket_agreeing_with_the_json(self):
        d = h.start_daemon(self)
        path = os.path.join(tempfile.mkdtemp(prefix="sipring-hist."), "latency.csv")
        self.addCleanup(shutil.rmtree, os.path.dirname(path), True)
        rc, res, err = h.run_load(["rps", "--target", "%s:%d" % (h.HOST, d.port),
                                   "--connections", 4, "--pipeline", 4, "--requests", 2000,
                                   "--max-seconds", 30, "--histogram", path], timeout=60)
        self.assertEqual(rc, 0, err)
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        self.assertEqual(rows[0], ["le_ns", "count", "cumulative", "quantile"])
        body = [(int(a), int(b), int(c), float(q)) for a, b, c, q in rows[1:]]
        self.assertTrue(body, "no buckets")
        total = sum(b for _, b, _, _ in body)
        # Every answered request is one sample; the JSON's percentiles come from the same ones.
        self.assertEqual(total, res["received"], res)
        self.assertEqual(total, res["latency_us"]["samples"], res)
        running = 0
        for i, (le, count, cumulative, q) in enumerate(body):
            self.assertGreater(count, 0, "empty bucket row %d" % i)
            running += count
            self.assertEqual(cumulative, running)
            self.assertAlmostEqual(q, cumulative / total, places=6)
            if i:
                self.assertGreater(le, body[i - 1][0], "bounds must increase")
        self.assertEqual(body[-1][3], 1.0)
        # The largest bucket holds the maximum: its bound is at most 1/32 above it.
        max_ns = res["latency_us"]["max"] * 1000
        self.assertGreaterEqual(body[-1][0] + 1, max_ns - 1)  # float us in the JSON
        self.assertLessEqual(body[-1][0], max_ns * (1 + 1 / 32) + 1)

    def test_an_unwritable_histogram_file_is_refused_before_anything_is_sent(self):
        for path in ("/nonexistent-dir/latency.csv", tempfile.gettempdir()):
            rc, res, err = h.run_load(["rps", "--target", "%s:%d" % (h.HOST, h.free_port()),
                                       "--requests", 1, "--histogram", path], timeout=20)
            self.assertEqual(rc, 2, err)
            self.assertIsNone(res, err)
            self.assertIn("--histogram %s: cannot write it" % path, err)


if __name__ == "__main__":
    unittest.main()
