"""sipring.adaptive_poll on a real daemon under an open-loop load from sipring-load: the start-up
line says it is on and what it may cost; every request is answered; the wake-up cost is measured
(probe sleeps); and the time it polled (its counter adaptive_poll_ns) stays within its cap, a
share of the reactor's working time (the loop's busy time less the polling, from
core.instruments), plus the one burst the bucket allows. Out-of-range caps are refused at
start. The policy itself is unit-tested in tests/unit/engine/reactor/reactor_poll_test.cc; its
effect on the latency tail is a benchmark (bench/latency_tail.py), not a test."""

import unittest

import harness as h

CAP = 10  # percent
BURST_NS = 100_000_000 * CAP // 100  # ReactorPoll::kBudgetWindowNs of work's share


class AdaptivePollStaysWithinItsCap(unittest.TestCase):
    def test_load_is_answered_and_polling_stays_within_its_share_of_work(self):
        d = h.start_daemon(self, params={("sipring", "adaptive_poll"): 1,
                                         ("sipring", "adaptive_poll_cpu_max"): CAP})
        self.assertIn("adaptive poll: on", d.log_text())
        self.assertIn("adding at most %d%% to its CPU time" % CAP, d.log_text())
        rc, res, err = h.run_load(["rate", "--target", "%s:%d" % (h.HOST, d.port),
                                   "--connections", 20, "--rate", 4000, "--duration", 3,
                                   "--warmup", 0, "--max-seconds", 20], timeout=40)
        self.assertEqual(rc, 0, err)
        self.assertEqual(res["lost"] + res["mismatched"] + res["connect_failures"], 0, res)
        e = h.counters(d.stats())
        self.assertGreaterEqual(e["messages_in"], 4000 * 3 * 0.9, e)
        self.assertGreater(e["wake_cost_ns"], 0, "no probe sleep measured a wake-up")
        self.assertGreater(e["idle_gap_ns"], 0, e)
        rc, out, err = h.ctl(d, "core.instruments")
        self.assertEqual(rc, 0, err)
        if not out["instruments"]:
            self.skipTest("built with -Dinstruments=false: no busy time to compare with")
        busy = sum(r["utilisation"]["busy_ns"] for r in out["reactors"])
        polled = e["adaptive_poll_ns"]
        work = busy - polled  # iterations that polled count as busy
        self.assertGreater(work, 0, out)
        self.assertLessEqual(polled, work * CAP / 100 + BURST_NS * len(out["reactors"]),
                             (polled, work, e))
        if e["adaptive_polls"] > 0:
            self.assertGreater(polled, 0, e)
        self.assertLessEqual(e["adaptive_poll_hits"], e["adaptive_polls"], e)


class AdaptivePollCapIsBounded(unittest.TestCase):
    def test_out_of_range_caps_are_refused_at_start(self):
        for bad in (0, 101, -5):
            port = h.free_port()
            text = h.config_text(port, {("sipring", "adaptive_poll"): 1,
                                        ("sipring", "adaptive_poll_cpu_max"): bad,
                                        ("ctl", "socket"): ""})
            rc, err, _ = h.run_config(self, text)
            self.assertIsNotNone(rc, "%d: still running" % bad)
            self.assertNotEqual(rc, 0, bad)
            self.assertIn("adaptive_poll_cpu_max", err, bad)


if __name__ == "__main__":
    unittest.main()
