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
  adaptive                    sipring.adaptive_poll=1 (adaptive_poll_cpu_max --cpu-max; with a
                              list, one daemon per value, named adaptive_N)
  busy_poll                   sipring.busy_poll_us=2000 (never sleeps at this rate)

each sipring one with `sipring-load rate --rate R --connections C --duration S --warmup 1`,
p50/p99/p99.9 from sipring-load (from each request's intended send time), server CPU per
request from /proc over the measured phase. Medians over --rounds rounds; the order of the
servers rotates every round so that the machine's drifts fall on all of them alike. Ratios to
sleep are also taken per round (the two ran within seconds of each other) and their median
given: the round-to-round drift (20-60% on these VMs) cancels in them. For the adaptive poll,
its own counter adaptive_poll_ns says exactly how much CPU polling took: "poll / sleep CPU" is
that time over sleep's CPU time for the same requests, the figure the cap bounds. Prints every
command, a Markdown table, the adaptive poll's counters, the issue's target per adaptive run
(p99 at most 2x the wake probe's, CPU at most 1.15x sleep's) and one JSON line.

  bench/latency_tail.py [--build build] [--rounds 5] [--duration 10] [--rate 10000]
                        [--connections 50] [--cpu-max 10[,15,...]] [--server-cpu 0]
                        [--load-cpu 1]
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
                     "adaptive_poll_ns", "wake_cost_ns", "idle_gap_ns", "uring_enters",
                     "messages_in")
TARGET_P99_VS_FLOOR = 2.0  # issue 13: p99 at most 2x the wake probe's ...
TARGET_CPU_VS_SLEEP = 1.15  # ... with at most 15% more server CPU than sleeping


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=int, default=10, help="seconds per load run")
    ap.add_argument("--rate", type=int, default=10000)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--cpu-max", default="10",
                    help="sipring.adaptive_poll_cpu_max, or a comma-separated list of values")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    args = ap.parse_args()
    args.quick = False  # what e2e's helpers read
    work = tempfile.mkdtemp(prefix="sipring-tail-")
    certs = os.path.join(work, "certs")
    e2e.run([os.path.join(args.build, "tools", "sipring-certs"), "demo", "--dir", certs],
            stdout=subprocess.DEVNULL)
    caps = [int(c) for c in str(args.cpu_max).split(",")]
    adaptive = ["adaptive"] if len(caps) == 1 else ["adaptive_%d" % c for c in caps]
    configs = [("sleep", "")]
    for name, cap in zip(adaptive, caps):
        configs.append((name, 'modparam("sipring", "adaptive_poll", 1)\n'
                              'modparam("sipring", "adaptive_poll_cpu_max", %d)\n' % cap))
    configs.append(("busy_poll", 'modparam("sipring", "busy_poll_us", 2000)\n'))
    servers = []
    rows = {name: [] for name in ["wake_probe", "wake_probe_client_poll"] + [c[0] for c in configs]}
    counters = {name: [] for name in adaptive}
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
                if s.name in counters:
                    d = {k: after.get(k, 0) - before.get(k, 0) for k in ADAPTIVE_COUNTERS}
                    d["wake_cost_ns"] = after.get("wake_cost_ns", 0)  # gauges: the value now
                    d["idle_gap_ns"] = after.get("idle_gap_ns", 0)
                    counters[s.name].append(d)
                    e2e.log("%s counters this round: %s" % (s.name, json.dumps(d)))
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

    # Per-round ratios to sleep: the rounds drift, a pair within one round does not.
    def paired(key, field, base="sleep"):
        return [r[field] / b[field] for r, b in zip(rows[key], rows[base])
                if r[field] and b[field]]

    print("Per round ratios to sleep (same round), median:")
    for key in [c[0] for c in configs[1:]]:
        cpu, p99 = paired(key, "cpu_us"), paired(key, "p99")
        print("  %s: CPU %s (median %.2fx); p99 %s (median %.2fx)" % (
            key, " / ".join("%.2f" % x for x in cpu), statistics.median(cpu),
            " / ".join("%.2f" % x for x in p99), statistics.median(p99)))
    for name in adaptive:
        print("%s counters per round (polls, hits, capped idle periods, time polled, wake-up "
              "cost, idle gap as read after the run):" % name)
        for d, r in zip(counters[name], rows[name]):
            print("  %d polls, %d hits, %d capped, polled %.1f ms, wake %.1f us, gap %.1f us, "
                  "%d enters, %d messages" % (
                      d["adaptive_polls"], d["adaptive_poll_hits"], d["adaptive_poll_capped"],
                      d["adaptive_poll_ns"] / 1e6, d["wake_cost_ns"] / 1e3, d["idle_gap_ns"] / 1e3,
                      d["uring_enters"], d["messages_in"]))
    # The poll's own cost, from its counter: time polled per message over sleep's CPU per request
    # in the same round (the load counts from its warm-up's end, the counters from the daemon's
    # view of the whole run: both per message, so the ratio holds).
    print("\nThe issue's target per adaptive run (p99 <= %.1fx the wake probe's, CPU <= %.2fx "
          "sleep's):" % (TARGET_P99_VS_FLOOR, TARGET_CPU_VS_SLEEP))
    verdicts = {}
    for name in adaptive:
        poll_share = [d["adaptive_poll_ns"] / 1e3 / max(1, d["messages_in"]) / b["cpu_us"]
                      for d, b in zip(counters[name], rows["sleep"]) if b["cpu_us"]]
        p99_ratio = med(name, "p99") / floor
        cpu_ratio = statistics.median(paired(name, "cpu_us"))
        ok = p99_ratio <= TARGET_P99_VS_FLOOR and cpu_ratio <= TARGET_CPU_VS_SLEEP
        verdicts[name] = {"p99_vs_floor": p99_ratio, "cpu_vs_sleep": cpu_ratio,
                          "poll_vs_sleep_cpu": statistics.median(poll_share) if poll_share
                          else None, "met": ok}
        print("  %s: p99 %.2fx the wake probe's; CPU %.2fx sleep's (median of rounds), of which "
              "polling %s (its counter); target %s" % (
                  name, p99_ratio, cpu_ratio,
                  "+%.1f%%" % (100 * statistics.median(poll_share)) if poll_share else "-",
                  "met" if ok else "NOT met"))
    print("  sleep (adaptive off): p99 %.2fx the wake probe's; CPU 1.00x" % (med("sleep", "p99")
                                                                         / floor))
    print()
    print(json.dumps({"args": vars(args), "rows": rows, "adaptive_counters": counters,
                      "targets": verdicts}))


if __name__ == "__main__":
    main()
