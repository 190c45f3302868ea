"""`sipringctl stats` against a real sipring under Python ssl (OpenSSL 3) load.

The daemon runs two reactors; the load is known exactly (so many full and resumed handshakes,
so many OPTIONS), and the tests check that `stats --json` merges core.stats and core.instruments
with those figures, that the table shows them per reactor and in total, that --watch refreshes
with rates over each interval (blocks one after another when stdout is not a terminal, the
screen cleared when it is), stops after --count or at Ctrl-C with status 0, and that bad
arguments and a missing daemon get their exit status and a clear message. A -Dinstruments=false
build (CI's build-system/) passes "instruments": false through with empty histograms, and its
table says the instruments are compiled out and shows the counters alone.
"""

import json
import os
import pty
import re
import select
import signal
import subprocess
import threading
import time
import unittest

import harness as h

FULL = 6       # full handshakes of the load
RESUMED = 4    # resumed ones
REQUESTS = 3   # OPTIONS per connection


def stats_cmd(daemon, *args):
    return [h.sipringctl_bin(), "-s", "unix:" + daemon.ctl_socket, "stats"] + [str(a) for a in args]


def run_stats(daemon, *args, timeout=30):
    return subprocess.run(stats_cmd(daemon, *args), capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def table_row(text, label):
    """The cells after `label` on the first table line that starts with it (see the unit
    test's helper: rows are "  label  r0  r1  total  /s")."""
    for line in text.splitlines():
        m = re.match(r"^\s*" + re.escape(label) + r"(?:\s{2,}(.*))?$", line)
        if m:
            return (m.group(1) or "").split()
    return None


def has_instruments(result):
    return result.get("instruments") is not None


class SipringctlStats(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = h.start_daemon(cls)

        class Dummy(unittest.TestCase):
            def runTest(self):
                pass

        checker = Dummy()
        h.ssl_load(checker, cls.d.port, FULL, REQUESTS)
        full, resumed = h.ssl_load(checker, cls.d.port, RESUMED + 1, REQUESTS, resume=True)
        cls.full, cls.resumed = FULL + full, resumed
        assert cls.resumed == RESUMED and cls.full == FULL + 1, (full, resumed)
        # The closes are counted when the server has seen them.
        h.wait_until(lambda: h.counters(cls.d.stats())["closed"] == cls.full + cls.resumed, 10)

    def stats_json(self):
        r = run_stats(self.d, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_json_merges_the_counters_and_the_instruments(self):
        result = self.stats_json()
        self.assertEqual(list(result)[:2], ["counters", "instruments"])
        total = result["counters"]["total"]
        self.assertEqual(len(result["counters"]["reactors"]), 2)
        self.assertEqual(total["accepted"], self.full + self.resumed)
        self.assertEqual(total["handshakes_full"], self.full)
        self.assertEqual(total["handshakes_resumed"], self.resumed)
        self.assertEqual(total["messages_in"], (self.full + self.resumed) * REQUESTS)
        if not has_instruments(result):
            # A sipring without core.instruments: the reason is given, never silence.
            self.assertIn("-32601", result["instruments_error"])
            self.skipTest("this sipring has no core.instruments: %s" % result["instruments_error"])
        inst = result["instruments"]
        self.assertEqual(len(inst["reactors"]), 2)
        hist = inst["total"]["histograms"]
        self.assertEqual(inst["instruments"], h.instruments_built(), inst)
        if not h.instruments_built():
            self.assertEqual({n: x["count"] for n, x in hist.items() if x["count"]}, {})
            return
        self.assertEqual(hist["handshake_server_full"]["count"], self.full)
        self.assertEqual(hist["handshake_server_resumed"]["count"], self.resumed)
        self.assertEqual(hist["handshake_client_full"]["count"], 0)
        # Each request, and the kClosed frame of each connection.
        self.assertEqual(hist["handoff_wait"]["count"], (self.full + self.resumed) * (REQUESTS + 1))
        self.assertEqual(hist["reply_send"]["count"], (self.full + self.resumed) * REQUESTS)
        full = hist["handshake_server_full"]
        self.assertEqual(full["unit"], "seconds")
        self.assertTrue(0 < full["p50_ns"] <= full["p99_ns"] <= full["max_ns"] < 10e9, full)
        self.assertEqual(sum(r["histograms"]["handshake_server_full"]["count"]
                             for r in inst["reactors"]), self.full)

    def test_table_shows_each_reactor_and_the_total(self):
        r = run_stats(self.d)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertRegex(out.splitlines()[0], r"^sipring stats at \d\d:\d\d:\d\d: 2 reactors; "
                                              r"counts and busy % since start")
        self.assertEqual(table_row(out, "r0"), ["r1", "total", "/s"], out)
        connections = self.full + self.resumed
        accepted = table_row(out, "accepted")
        self.assertEqual(int(accepted[0]) + int(accepted[1]), connections, out)
        self.assertEqual(accepted[2:], [str(connections), "-"], out)
        self.assertEqual(table_row(out, "messages_in")[2], str(connections * REQUESTS), out)
        if "instruments: unavailable" in out:
            self.assertIsNone(table_row(out, "server full"), out)
            self.skipTest("this sipring has no core.instruments")
        if not h.instruments_built():
            self.assertIn("instruments: compiled out (this sipring was built with "
                          "-Dinstruments=false)", out)
            self.assertIsNone(table_row(out, "server full"), out)
            return
        self.assertNotIn("compiled out", out)
        self.assertEqual(table_row(out, "server full")[2:], [str(self.full), "-"], out)
        self.assertEqual(table_row(out, "server resumed")[2:], [str(self.resumed), "-"], out)
        self.assertEqual(table_row(out, "handoff wait")[2], str(connections * (REQUESTS + 1)), out)
        server_full = table_row(out, "server full")
        self.assertEqual(int(server_full[0]) + int(server_full[1]), self.full, out)
        busy = table_row(out, "busy %")
        self.assertEqual(len(busy), 3, out)
        for cell in busy:
            self.assertTrue(0 <= float(cell) <= 100, out)
        p99 = table_row(out, "p99")  # the first: server full handshakes
        self.assertRegex(p99[2], r"^\d+(\.\d+)?(ns|us|ms|s)$", out)
        self.assertIsNone(table_row(out, "client full"), "no client role, no client rows")

    def test_watch_prints_blocks_with_rates_over_each_interval_and_stops_after_count(self):
        stop = threading.Event()
        checker = self

        def keep_loading():
            deadline = time.monotonic() + 20
            while not stop.is_set() and time.monotonic() < deadline:
                h.ssl_load(checker, self.d.port, 1, 5)

        t = threading.Thread(target=keep_loading, daemon=True)
        t.start()
        try:
            start = time.monotonic()
            r = run_stats(self.d, "--watch", "0.5", "--count", "4")
            took = time.monotonic() - start
        finally:
            stop.set()
            t.join(30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("\x1b[", r.stdout, "no screen control codes when stdout is a pipe")
        blocks = r.stdout.split("\n\n" + "sipring stats at ")
        self.assertEqual(len(blocks), 4, r.stdout)
        self.assertGreaterEqual(took, 1.4, "three intervals of 0.5 s")
        self.assertIn("counts and busy % since start", blocks[0])
        for b in blocks[1:]:
            self.assertRegex(b, r"rates and busy % over the last 0\.\d s")
        # The load ran throughout: every later block has a positive request rate.
        rates = [table_row(b, "messages_in")[-1] for b in blocks[1:]]
        self.assertTrue(all(x != "-" and float(x.rstrip("kMG")) > 0 for x in rates), rates)

    def test_watch_json_prints_one_object_per_line(self):
        r = run_stats(self.d, "--watch", "0.2", "--count", "2", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(len(lines), 2, r.stdout)
        for line in lines:
            self.assertEqual(list(json.loads(line))[:2], ["counters", "instruments"])

    def test_watch_on_a_terminal_clears_the_screen_before_each_refresh(self):
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen(stats_cmd(self.d, "--watch", "0.2", "--count", "2"),
                                 stdout=slave, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        finally:
            os.close(slave)
        out = b""
        deadline = time.monotonic() + 20
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([master], [], [], 0.5)
                if ready:
                    try:
                        data = os.read(master, 65536)
                    except OSError:  # EIO: the other side closed
                        break
                    if not data:
                        break
                    out += data
                elif p.poll() is not None:
                    break
            self.assertEqual(p.wait(10), 0, p.stderr.read())
        finally:
            os.close(master)
            p.stderr.close()
        self.assertEqual(out.count(b"\x1b[H\x1b[2J"), 2, out[:400])

    def test_ctrl_c_ends_the_watch_with_status_0(self):
        p = subprocess.Popen(stats_cmd(self.d, "--watch", "5"), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        try:
            first = p.stdout.readline()
            self.assertTrue(first.startswith("sipring stats at "), first)
            start = time.monotonic()
            p.send_signal(signal.SIGINT)
            rc = p.wait(10)
            self.assertLess(time.monotonic() - start, 3, "the sleep is cut short")
            self.assertEqual(rc, 0, p.stderr.read())
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(10)
            p.stdout.close()
            p.stderr.close()

    def test_bad_arguments_exit_2_with_a_message(self):
        for args, says in ((["--watch", "0"], "--watch"), (["--watch", "x"], "--watch"),
                           (["--count", "3"], "--count"), (["--watch", "1", "--count", "0"],
                                                           "--count"), (["bogus"], "bogus")):
            r = run_stats(self.d, *args)
            self.assertEqual(r.returncode, 2, (args, r.stdout, r.stderr))
            self.assertTrue(r.stderr.startswith("sipringctl stats: "), r.stderr)
            self.assertIn(says, r.stderr)
            self.assertEqual(r.stdout, "")

    def test_nobody_to_talk_to_exits_2(self):
        r = subprocess.run([h.sipringctl_bin(), "-s", "unix:/nonexistent/ctl.sock", "stats"],
                           capture_output=True, text=True, timeout=20)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("cannot connect to unix:/nonexistent/ctl.sock", r.stderr)
        self.assertEqual(r.stdout, "")


if __name__ == "__main__":
    unittest.main()
