#!/usr/bin/env python3
"""The latency tail at a fixed open-loop rate (issue 13): sipring sleeping, with
sipring.adaptive_poll, and with busy_poll_us=2000, against the machine's own wake-up floor
(bench/wake_probe), all in the same run.

Three sipring daemons run side by side pinned to --server-cpu (one reactor each; an unloaded one
sleeps), sipring-load is pinned to --load-cpu. Every round runs, in turn:

  wake_probe                  one byte every 100 us to a thread sleeping in read() on the server
                              CPU, the client sleeping in read() too (the issue's floor)
  wake_probe --client-poll    the same with the client spinning for the answer, as sipring-load
                              does: only the server's CPU wakes up per round trip
  sleep                       sipring as configured by default (sleeps when idle)
  adaptive                    sipring.adaptive_poll=1 (adaptive_poll_cpu_max --cpu-max)
  busy_poll                   sipring.busy_poll_us=2000 (never sleeps at this rate)

each sipring one with `sipring-load rate --rate R --connections C --duration S --warmup 1`,
p50/p99/p99.9 from sipring-load (from each request's intended send time), server CPU per
request from /proc over the measured phase. Medians over --rounds rounds; the order of the
servers rotates every round so that the machine's drifts fall on all of them alike. Prints
every command, a Markdown table, the adaptive poll's counters, and one JSON line.

  bench/latency_tail.py [--build build] [--rounds 5] [--duration 10] [--rate 10000]
                        [--connections 50] [--cpu-max 10] [--server-cpu 0] [--load-cpu 1]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import e2e  # noqa: E402

ADAPTIVE_COUNTERS = ("adaptive_polls", "adaptive_poll_hits", "adaptive_poll_capped",
                     "wake_cost_ns", "idle_gap_ns", "uring_enters", "messages_in")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10, help="seconds per load run")
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--cpu-max", type=int, default=10, help="sipring.adaptive_poll_cpu_max")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    args = ap.parse_args()
    args.quick = False  # what e2e's helpers read
    work = tempfile.mkdtemp(prefix="sipring-tail-")
    certs = os.path.join(work, "certs")
    e2e.run([os.path.join(args.build, "tools", "sipring-certs"), "demo", "--dir", certs],
            stdout=subprocess.DEVNULL)
    configs = [
        ("sleep", ""),
        ("adaptive", 'modparam("sipring", "adaptive_poll", 1)\n'
                     'modparam("sipring", "adaptive_poll_cpu_max", %d)\n' % args.cpu_max),
        ("busy_poll", 'modparam("sipring", "busy_poll_us", 2000)\n'),
    ]
    servers = []
    rows = {name: [] for name in ["wake_probe", "wake_probe_client_poll"] + [c[0] for c in configs]}
    counters = []
    interval_us = max(1, 1_000_000 // args.rate)
    mode = ["rate", "--connections", str(args.connections), "--rate", str(args.rate),
            "--duration", str(args.duration), "--warmup", "1"]
    try:
        for name, extra_cfg in configs:
            s = e2e.Sipring(name, args.build, certs, args.server_cpu, work, extra_cfg)
            s.start()
            servers.append(s)
        time.sleep(0.5)
        for rnd in range(args.rounds):
            for extra, key in (((), "wake_probe"), (("--client-poll",), "wake_probe_client_poll")):
                w = e2e.wake_floor(args, list(extra) + ["--interval-us", str(interval_us)],
                                   seconds=args.duration)
                rows[key].append({"p50": w["p50_us"], "p99": w["p99_us"], "p999": w["p999_us"],
                                  "cpu_us": None, "lost": 0})
            order = servers[rnd % len(servers):] + servers[:rnd % len(servers)]
            for s in order:
                before = s.counters()
                r = e2e.load(args, s, mode, args.load_cpu)
                after = s.counters()
                lat = r["latency_us"]
                rows[s.name].append({"p50": lat["p50"], "p99": lat["p99"], "p999": lat["p999"],
                                     "cpu_us": r["server"]["cpu_us_per_op"], "per_s": r["per_s"],
                                     "lost": r["lost"] + r["mismatched"] + r["connect_failures"],
                                     "steal_ms": r["steal_ms"]})
                if s.name == "adaptive":
                    d = {k: after.get(k, 0) - before.get(k, 0) for k in ADAPTIVE_COUNTERS}
                    d["wake_cost_ns"] = after.get("wake_cost_ns", 0)  # gauges: the value now
                    d["idle_gap_ns"] = after.get("idle_gap_ns", 0)
                    counters.append(d)
                    e2e.log("adaptive counters this round: %s" % json.dumps(d))
    finally:
        for s in servers:
            s.stop()

    def med(key, field):
        vals = [r[field] for r in rows[key] if r[field] is not None]
        return statistics.median(vals) if vals else None

    floor = med("wake_probe", "p99")
    sleep_cpu = med("sleep", "cpu_us")
    print("\n%d rounds of %d s at %d req/s open loop over %d connections; server CPU %d, load CPU "
          "%d; medians of the rounds (%s).\n" % (args.rounds, args.duration, args.rate,
                                                 args.connections, args.server_cpu, args.load_cpu,
                                                 time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
    print("| run | p50 | p99 | p99.9 | p99 / wake_probe p99 | server CPU per request | server CPU "
          "% | CPU / sleep | lost |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in rows:
        cpu = med(key, "cpu_us")
        print("| %s | %.0f us | %.0f us | %.0f us | %.2fx | %s | %s | %s | %d |" % (
            key, med(key, "p50"), med(key, "p99"), med(key, "p999"), med(key, "p99") / floor,
            "%.2f us" % cpu if cpu is not None else "-",
            "%.1f%%" % (cpu * args.rate / 1e4) if cpu is not None else "-",
            "%.2fx" % (cpu / sleep_cpu) if cpu is not None and sleep_cpu else "-",
            sum(r["lost"] for r in rows[key])))
    print("\nPer round p99 (us), in round order:")
    for key in rows:
        print("  %s: %s" % (key, " / ".join("%.0f" % r["p99"] for r in rows[key])))
    print("Per round server CPU per request (us):")
    for key in rows:
        if rows[key] and rows[key][0]["cpu_us"] is not None:
            print("  %s: %s" % (key, " / ".join("%.2f" % r["cpu_us"] for r in rows[key])))
    print("Adaptive poll counters per round (polls, hits, capped idle periods, wake-up cost, idle "
          "gap):")
    for d in counters:
        print("  %d polls, %d hits, %d capped, wake %.1f us, gap %.1f us, %d enters, %d messages"
              % (d["adaptive_polls"], d["adaptive_poll_hits"], d["adaptive_poll_capped"],
                 d["wake_cost_ns"] / 1e3, d["idle_gap_ns"] / 1e3, d["uring_enters"],
                 d["messages_in"]))
    print()
    print(json.dumps({"args": vars(args), "rows": rows, "adaptive_counters": counters}))


if __name__ == "__main__":
    main()
