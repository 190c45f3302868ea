#!/usr/bin/env python3
"""What the instruments cost (issue 13: at most 2% server CPU per request with everything on):
server CPU per OPTIONS at 50 connections x 16 pipelined, a build with the instruments (--build,
default build/: histograms recorded, USDT probes compiled in but not attached, /metrics served
and scraped every second) against one without them (--baseline, default build-noinst/, meson
-Dinstruments=false), in the same run.

Both sipring processes run side by side, one reactor each, pinned to --server-cpu; sipring-load
(from --build, pinned to --load-cpu) loads the baseline and then the instrumented server, round
after round (--repeat; bench/lib/ab_rounds.py), so the machine's drift falls on both alike. The
figure is the server's CPU time per request (all its threads, from /proc, over exactly the
measured phase); the medians, every round's ratio and their median are printed, with every
command, and one JSON line.

The baseline is configured and built when its directory has no tools/sipring yet:

  meson setup build-noinst --buildtype=release -Db_ndebug=true -Dinstruments=false
  ninja -C build-noinst tools/sipring

/metrics (modparam("ctl", "metrics", "127.0.0.1:PORT")) is turned on and scraped once a second
when the instrumented build knows the parameter (sipring --list-params); --no-metrics leaves it
off. Each build's `instruments` option (meson introspect) is printed: a baseline that still has
them makes the ratio meaningless, and the script says so.

  bench/instrument_cost.py [--build build] [--baseline build-noinst] [--repeat 5] [--quick]
                           [--no-metrics]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import e2e  # noqa: E402  (Sipring, load(), free_port(), log(), run())
sys.path.insert(0, os.path.join(HERE, "lib"))
import ab_rounds  # noqa: E402

TARGET = 1.02  # the bound: instrumented / baseline CPU per request


def plans(args):
    return {"options_pipelined": ["rps", "--connections", "50", "--pipeline", "16",
                                  "--duration", "2" if args.quick else "6"]}


def instruments_option(build):
    """The build's meson `instruments` option ("true"/"false"), or None when it has none."""
    out = subprocess.run(["meson", "introspect", "--buildoptions", build],
                         capture_output=True, text=True)
    if out.returncode != 0:
        return None
    for opt in json.loads(out.stdout):
        if opt["name"] == "instruments":
            return str(opt["value"]).lower()
    return None


def ensure_baseline(args):
    """Configures and builds --baseline without the instruments unless it is built already."""
    if os.path.exists(os.path.join(args.baseline, "tools", "sipring")):
        return
    with open(os.path.join(ROOT, "meson_options.txt")) as f:
        has_option = "option('instruments'" in f.read()
    if not os.path.exists(os.path.join(args.baseline, "build.ninja")):
        cmd = ["meson", "setup", args.baseline, "--buildtype=release", "-Db_ndebug=true"]
        if has_option:
            cmd.append("-Dinstruments=false")
        else:
            e2e.log("WARNING: meson_options.txt has no 'instruments' option: the baseline is the "
                    "same code as the instrumented build (an A/A run)")
        e2e.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    e2e.run(["ninja", "-C", args.baseline, "tools/sipring"], stdout=subprocess.DEVNULL)


def knows_param(build, name):
    out = subprocess.run([os.path.join(build, "tools", "sipring"), "--list-params"],
                         capture_output=True, text=True, check=True).stdout
    return ("`%s`" % name) in out


class Scraper:
    """GETs http://127.0.0.1:PORT/metrics once a second on its own thread until stop(), as
    Prometheus would; counts the scrapes that worked and those that did not."""

    def __init__(self, port):
        self.url = "http://127.0.0.1:%d/metrics" % port
        self.ok = self.failed = self.bytes = 0
        self.last_error = ""
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def start(self):
        e2e.log("scraping %s every second" % self.url)
        self.thread.start()

    def run(self):
        while not self.done.wait(1.0):
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    self.bytes += len(r.read())
                    self.ok += 1
            except OSError as e:
                self.failed += 1
                self.last_error = str(e)

    def stop(self):
        self.done.set()
        self.thread.join(5)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"),
                    help="the instrumented build (and sipring-load's)")
    ap.add_argument("--baseline", default=os.path.join(ROOT, "build-noinst"),
                    help="the build without instruments (set up and built when missing)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    ap.add_argument("--no-metrics", action="store_true", help="leave ctl.metrics off")
    ap.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")

    ensure_baseline(args)
    options = {"baseline": instruments_option(args.baseline) or "absent",
               "instrumented": instruments_option(args.build) or "absent"}
    aa = options["baseline"] != "false" or options["instrumented"] == "false"
    metrics = not args.no_metrics and knows_param(args.build, "ctl.metrics")
    if not args.no_metrics and not metrics:
        e2e.log("WARNING: %s/tools/sipring has no ctl.metrics parameter: /metrics not scraped"
                % args.build)

    work = tempfile.mkdtemp(prefix="sipring-instrument-cost.")
    certs = os.path.join(work, "certs")
    e2e.run([os.path.join(args.build, "tools", "sipring-certs"), "demo", "--dir", certs],
            stdout=subprocess.DEVNULL)
    no_ctl = 'modparam("ctl", "socket", "")\n'  # two servers side by side: no shared socket path
    metrics_port = e2e.free_port()
    servers = {
        "baseline": e2e.Sipring("baseline", args.baseline, certs, args.server_cpu, work, no_ctl),
        "instrumented": e2e.Sipring(
            "instrumented", args.build, certs, args.server_cpu, work,
            no_ctl + ('modparam("ctl", "metrics", "127.0.0.1:%d")\n' % metrics_port
                      if metrics else "")),
    }
    scraper = Scraper(metrics_port) if metrics else None
    try:
        for s in servers.values():
            s.start()
        if scraper:
            scraper.start()
        time.sleep(0.5)
        runs = ab_rounds.interleaved(
            args.repeat, plans(args), list(servers),
            lambda name, mode_args: e2e.load(args, servers[name], mode_args, args.load_cpu),
            e2e.log)
    finally:
        if scraper:
            scraper.stop()
        for s in servers.values():
            s.stop()

    print("\nBuilds: baseline %s (instruments=%s), instrumented %s (instruments=%s); server CPU "
          "%d, load CPU %d; %d rounds; /metrics %s.\n"
          % (args.baseline, options["baseline"], args.build, options["instrumented"],
             args.server_cpu, args.load_cpu, args.repeat,
             "scraped every second: %d scrapes, %d failed%s" % (
                 scraper.ok, scraper.failed,
                 " (last: %s)" % scraper.last_error if scraper.failed else "")
             if scraper else "off"))
    result = ab_rounds.ratio_table(runs, plans(args), "baseline", "instrumented", "baseline",
                                   "instrumented")
    ratio = result["options_pipelined"]["ratio_median"]
    print("\nPer-round instrumented/baseline: %s; median %.3f (%+.1f%%), target at most %.2f: %s"
          % (", ".join("%.3f" % r for r in result["options_pipelined"]["ratios"]), ratio,
             (ratio - 1) * 100, TARGET,
             "n/a (A/A run)" if aa else "met" if ratio <= TARGET else "MISSED"))
    if aa:
        print("NOTE: the baseline is not a -Dinstruments=false build: this is an A/A run (it "
              "measures the noise, not the instruments' cost).")
    print(json.dumps({"builds": options, "metrics_scraped": bool(scraper),
                      "scrapes": {"ok": scraper.ok, "failed": scraper.failed} if scraper else None,
                      "repeat": args.repeat, "aa_run": aa, "target": TARGET, "results": result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
