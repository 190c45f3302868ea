#!/usr/bin/env python3
"""End-to-end benchmark: sipring against Kamailio 5.6's tls module, measured the same way.

Each server runs pinned to one CPU (default 0) and sipring-load pinned to another (default 1).
On two cores the load tool, not the server, caps the raw rates, so the figure that compares
servers is the server's CPU time per operation, read from /proc for all its threads (sipring)
or processes (Kamailio) over exactly the measured phase. All servers run side by side and every
round runs each load once on each server in turn (so the machine's noise falls on all of them
alike); --repeat rounds, medians reported. Prints every command it runs, a Markdown table with
each server's ratio to the first, and one JSON line of results.

Besides sipring-load (which saturates the server), the handshakes are also measured at a rate
that leaves the server partly idle, from an OpenSSL 3 client (bench/lib/paced_tls.py, Python's
ssl), as real traffic is.

--build-system DIR adds "sipring-system", the same sipring built with -Dboringssl=system
(Debian's shared android-libboringssl, OPENSSL_SMALL), beside the default source build: e.g.

  meson setup build-system --buildtype=release -Db_ndebug=true -Dboringssl=system
  ninja -C build-system tools/sipring
  bench/e2e.py --build-system build-system --repeat 3 [--handshakes-only]

  bench/e2e.py [--build build] [--build-system DIR] [--repeat 3]
               [--servers sipring,sipring-system,kamailio] [--handshakes-only]
               [--paced-rate 800] [--quick] [--plot [DIR]]
  bench/e2e.py --plot-from docs/img/e2e.json [--plot DIR]     # redraw only

--plot writes three 800x450 PNGs (bench/lib/plot.py, python3-matplotlib) and the results as
e2e.json into DIR (docs/img, which the README embeds): server CPU per operation per load, the
latency CDF at 10k req/s (from every round's sipring-load --histogram CSV) with the machine's
wake-up floor, and Pss per idle connection.
"""
import argparse
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DEFAULT_PLOT_DIR = os.path.join(ROOT, "docs", "img")
sys.path.insert(0, os.path.join(HERE, "lib"))
import plot  # noqa: E402
import proc_cpu  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    return subprocess.run(cmd, check=True, **kw)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


class Sipring:
    """One sipring process: one reactor on `cpu`, a TLS listener on a free port, the build's
    tools/sipring; `extra_cfg` is appended to its configuration (modparam lines). Its stdout
    (the counters' JSON lines, see counters()) goes to WORKDIR/NAME.out."""

    def __init__(self, name, build, certs, cpu, workdir, extra_cfg=""):
        self.name, self.build, self.certs, self.cpu, self.workdir = name, build, certs, cpu, workdir
        self.extra_cfg = extra_cfg
        self.port = free_port()
        self.proc = None

    def start(self):
        cfg = os.path.join(self.workdir, self.name + ".cfg")
        with open(cfg, "w") as f:
            f.write('loadmodule "tls.so"\nenable_tls=yes\nlisten=tls:127.0.0.1:%d\n'
                    'modparam("tls", "certificate", "%s")\n'
                    'modparam("sipring", "reactors", 1)\nmodparam("sipring", "cpus", "%d")\n'
                    # Every load connection comes from 127.0.0.1: one source may hold the
                    # whole table here (the idle run opens 10,000).
                    'modparam("sipring", "max_connections_per_source", 16384)\n'
                    % (self.port, os.path.join(self.certs, "server.pem"), self.cpu)
                    + self.extra_cfg)
        cmd = ["taskset", "-c", str(self.cpu), os.path.join(self.build, "tools", "sipring"), "-f", cfg]
        log("$ " + " ".join(cmd) + " &")
        logfile = os.path.join(self.workdir, self.name + ".log")
        self.out = os.path.join(self.workdir, self.name + ".out")
        self.proc = subprocess.Popen(cmd, stdout=open(self.out, "w"), stderr=open(logfile, "w"))
        if not wait_listening(self.port):
            raise RuntimeError("%s did not start; see %s" % (self.name, logfile))

    def counters(self, timeout=5.0):
        """The engine's counters now (total of all reactors): SIGUSR1 makes the daemon print them
        as one JSON line on stdout."""
        with open(self.out) as f:
            before = len(f.readlines())
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(self.out) as f:
                lines = f.readlines()
            if len(lines) > before and lines[-1].endswith("\n"):
                return json.loads(lines[-1])["engine"]
            time.sleep(0.05)
        raise RuntimeError("%s printed no counters within %.0f s" % (self.name, timeout))

    def features(self):
        """The start-up feature line (which BoringSSL, whether its fast P-256 is in use)."""
        with open(os.path.join(self.workdir, self.name + ".log")) as f:
            for line in f:
                if "TLS: " in line:
                    return line.split("TLS: ", 1)[1].split(";")[0].strip()
        return "?"

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class Kamailio:
    name = "kamailio"
    script = os.path.join(HERE, "kamailio", "run-kamailio.sh")

    def __init__(self, name, build, certs, cpu, workdir):
        self.certs, self.cpu = certs, cpu
        self.port = free_port()

    def start(self):
        c = self.certs
        run([self.script, "start", os.path.join(c, "localhost-cert.pem"),
             os.path.join(c, "localhost-key.pem"), os.path.join(c, "cacert.pem"),
             str(self.port), str(self.cpu)], stdout=subprocess.DEVNULL)

    def pids(self):
        out = subprocess.run([self.script, "pids", str(self.port)], check=True,
                             capture_output=True, text=True).stdout
        return [int(p) for p in out.split()]

    def stop(self):
        subprocess.run([self.script, "stop", str(self.port)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def features(self):
        out = subprocess.run(["kamailio", "-v"], capture_output=True, text=True).stdout
        return out.splitlines()[0] if out else "?"


def steal_ticks(cpus):
    """Per CPU, the time the hypervisor ran something else while this vCPU wanted to run
    (/proc/stat "steal", in USER_HZ ticks of 10 ms)."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            fields = line.split()
            if fields[0].startswith("cpu") and fields[0][3:].isdigit() and int(fields[0][3:]) in cpus:
                out[int(fields[0][3:])] = int(fields[8])
    return out


def load(args, server, mode_args, load_cpu, histogram=None):
    """One sipring-load run; its JSON result with "steal_ms" and, with `histogram` (a CSV path
    for sipring-load --histogram), "histogram": [(le_ns, count), ...]."""
    cmd = (["taskset", "-c", str(load_cpu), os.path.join(args.build, "tools", "sipring-load")]
           + mode_args + ["--target", "127.0.0.1:%d" % server.port,
                          "--server-pid", ",".join(str(p) for p in server.pids())]
           + (["--histogram", histogram] if histogram else []))
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    # Exit status 3 means some requests were lost or connections failed: the JSON says how many,
    # and measure() reports it; anything else is a broken run.
    cpus = {args.server_cpu, load_cpu}
    steal_before = steal_ticks(cpus)
    p = subprocess.run(cmd, capture_output=True, text=True)
    steal_after = steal_ticks(cpus)
    if p.returncode not in (0, 3) or not p.stdout.strip():
        raise RuntimeError("load failed (exit %d): %s" % (p.returncode, p.stderr[-2000:]))
    r = json.loads(p.stdout.strip().splitlines()[-1])
    # Milliseconds each vCPU was stolen by the host during the run: a latency tail of a few ms
    # with stolen time next to it is the machine's, not the server's.
    r["steal_ms"] = {str(c): (steal_after.get(c, 0) - steal_before.get(c, 0)) * 10 for c in cpus}
    if histogram:
        r["histogram"] = plot.read_histogram_csv(histogram)
    return r


def paced(args, server, resume, load_cpu):
    """bench/lib/paced_tls.py at --paced-rate: returns the load's JSON with the server's CPU per
    handshake over exactly its run, in the shape of sipring-load's."""
    seconds = 4 if args.quick else 10
    cmd = (["taskset", "-c", str(load_cpu), sys.executable, os.path.join(HERE, "lib", "paced_tls.py"),
            "--target", "127.0.0.1:%d" % server.port, "--rate", str(args.paced_rate),
            "--duration", str(seconds)] + (["--resume"] if resume else []))
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    before = proc_cpu.cpu_seconds(server.pids(), tree=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    after = proc_cpu.cpu_seconds(server.pids(), tree=True)
    if p.returncode != 0 or not p.stdout.strip():
        raise RuntimeError("paced load failed (exit %d): %s" % (p.returncode, p.stderr[-2000:]))
    r = json.loads(p.stdout.strip().splitlines()[-1])
    n = max(1, r["handshakes"])
    if r["failures"] or (resume and r["resumed"] < 0.9 * r["handshakes"]):
        log("WARNING: paced on %s: %d failures, %d of %d resumed"
            % (server.name, r["failures"], r["resumed"], r["handshakes"]))
    return {"server": {"cpu_us_per_op": (after - before) * 1e6 / n}, "per_s": r["per_s"],
            "latency_us": {"p50": 0, "p99": 0, "p999": 0}, "lost": r["failures"],
            "mismatched": 0, "connect_failures": 0, "steal_ms": {}, "paced": r}


JITTER_PROBE = r"""
import os, time
os.sched_setaffinity(0, {%d})
end = time.perf_counter_ns() + %d
last = time.perf_counter_ns(); gaps = [0, 0, 0]; worst = 0
while last < end:
    now = time.perf_counter_ns(); g = now - last; last = now
    if g > 100_000: gaps[0] += 1
    if g > 500_000: gaps[1] += 1
    if g > 2_000_000: gaps[2] += 1
    worst = max(worst, g)
print(gaps[0], gaps[1], gaps[2], worst)
"""


def machine_jitter(cpu, seconds=5):
    """How often a thread that never sleeps loses its CPU on this machine (a VM's host
    preempting the vCPU shows up here): no server can have a latency tail below this."""
    out = subprocess.run([sys.executable, "-c", JITTER_PROBE % (cpu, int(seconds * 1e9))],
                         capture_output=True, text=True, check=True).stdout.split()
    g100, g500, g2000, worst = (int(x) for x in out)
    return {"seconds": seconds, "gaps_over_100us": g100, "gaps_over_500us": g500,
            "gaps_over_2ms": g2000, "worst_ms": worst / 1e6}


def wake_floor(args, extra=(), seconds=None):
    """bench/wake_probe: round trips to a thread that sleeps in read() on the server CPU, at the
    latency run's rate. No TLS or SIP: the machine's own floor for a sleeping server's tail.
    `extra`: more wake_probe options (e.g. --client-poll)."""
    seconds = seconds if seconds is not None else (4 if args.quick else 10)
    cmd = [os.path.join(args.build, "bench", "wake_probe"), "--server-cpu", str(args.server_cpu),
           "--client-cpu", str(args.load_cpu), "--seconds", str(seconds)] + list(extra)
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def median(values):
    return statistics.median(values) if values else 0.0


def plans(args):
    """What each round runs: (key, sipring-load arguments, or ("paced", resume))."""
    q = args.quick
    p = {
        "full_handshake": ["handshake", "--count", "1500" if q else "6000", "--connections", "8"],
        "resumed_handshake": ["handshake", "--resume", "--count", "1500" if q else "6000",
                              "--connections", "8"],
        "full_handshake_paced": ("paced", False),
        "resumed_handshake_paced": ("paced", True),
    }
    if not args.handshakes_only:
        p["options_pipelined"] = ["rps", "--connections", "50", "--pipeline", "16", "--duration",
                                  "3" if q else "8"]
        p["latency_10k"] = ["rate", "--connections", "50", "--rate", "10000", "--duration",
                            "4" if q else "10", "--warmup", "1"]
    return p


def measure(args, servers, load_cpu, workdir):
    """Every plan on every server, --repeat rounds; per server and plan the medians (and for the
    10k req/s run the latency histogram of all rounds together, for the CDF chart)."""
    rows = {s.name: {} for s in servers}
    for round_no in range(args.repeat):
        for key, mode_args in plans(args).items():
            for server in servers:
                if isinstance(mode_args, tuple):
                    r = paced(args, server, mode_args[1], load_cpu)
                else:
                    hist = (os.path.join(workdir, "%s-%s-%d.csv" % (server.name, key, round_no))
                            if key == "latency_10k" else None)
                    r = load(args, server, mode_args, load_cpu, histogram=hist)
                if r["lost"] or r["mismatched"] or r["connect_failures"]:
                    log("WARNING: %s on %s: lost %d mismatched %d connect failures %d" %
                        (key, server.name, r["lost"], r["mismatched"], r["connect_failures"]))
                rows[server.name].setdefault(key, []).append(r)
    results = {}
    for server in servers:
        res = {}
        for key, runs in rows[server.name].items():
            res[key] = {
                "cpu_us_per_op": median([r["server"]["cpu_us_per_op"] for r in runs]),
                "cpu_us_per_op_runs": [r["server"]["cpu_us_per_op"] for r in runs],
                "per_s": median([r["per_s"] for r in runs]),
                "p50_us": median([r["latency_us"]["p50"] for r in runs]),
                "p99_us": median([r["latency_us"]["p99"] for r in runs]),
                "p999_us": median([r["latency_us"]["p999"] for r in runs]),
                "lost": sum(r["lost"] + r["mismatched"] for r in runs),
                "runs": len(runs),
                "steal_ms": [r["steal_ms"] for r in runs],
            }
            if key == "latency_10k":
                res[key]["histogram"] = plot.merge_histograms(r["histogram"] for r in runs)
        if not args.handshakes_only:
            res["idle_memory"] = idle_memory(args, server, load_cpu)
        res["features"] = server.features()
        results[server.name] = res
    return results


def idle_memory(args, server, load_cpu):
    """Pss of the server before and while holding N established connections."""
    q = args.quick
    n = 2000 if q else 10000
    pss = []
    for _ in range(1 if q else max(1, args.repeat - 1)):
        before = proc_cpu.pss_kib(server.pids())
        r = load(args, server, ["idle", "--connections", str(n), "--hold", "2"], load_cpu)
        if r["opened"] != n:
            log("WARNING: idle on %s: only %d of %d connections opened" % (server.name, r["opened"], n))
        pss.append((r["server"]["pss_kib"] - before) * 1024.0 / max(1, r["opened"]))
        time.sleep(1)
    return {"bytes_per_connection": median(pss), "connections": n}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--build-system", help="a second build dir, configured -Dboringssl=system")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--servers", help="default: sipring[,sipring-system],kamailio")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    ap.add_argument("--paced-rate", type=float, default=800,
                    help="handshakes/s of the OpenSSL 3 client that leaves the server partly idle")
    ap.add_argument("--handshakes-only", action="store_true",
                    help="only the handshake figures (saturated and paced)")
    ap.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    ap.add_argument("--plot", nargs="?", const=DEFAULT_PLOT_DIR, metavar="DIR",
                    help="write the charts (PNG) and the results (e2e.json) into DIR "
                         "(default %s)" % DEFAULT_PLOT_DIR)
    ap.add_argument("--plot-from", metavar="JSON",
                    help="only redraw the charts from a saved e2e.json (or a saved JSON line) "
                         "into --plot DIR, running nothing")
    args = ap.parse_args()
    if args.plot_from:
        with open(args.plot_from) as f:
            data = json.loads(f.read().strip().splitlines()[-1])
        return 0 if plot.e2e_charts(data, args.plot or DEFAULT_PLOT_DIR) else 1
    if args.plot:
        os.makedirs(args.plot, exist_ok=True)  # refused now, not after the run
    if args.servers is None:
        args.servers = "sipring,sipring-system,kamailio" if args.build_system else "sipring,kamailio"
    work = tempfile.mkdtemp(prefix="sipring-e2e-")
    certs = os.path.join(work, "certs")
    run([os.path.join(args.build, "tools", "sipring-certs"), "demo", "--dir", certs],
        stdout=subprocess.DEVNULL)
    servers = []
    try:
        for name in args.servers.split(","):
            if name == "sipring-system" and not args.build_system:
                ap.error("sipring-system needs --build-system DIR")
            build = args.build_system if name == "sipring-system" else args.build
            cls = Kamailio if name == "kamailio" else Sipring
            server = cls(name, build, certs, args.server_cpu, work)
            server.start()
            servers.append(server)
        time.sleep(0.5)
        results = measure(args, servers, args.load_cpu, work)
    finally:
        for server in servers:
            server.stop()
    cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(" :\t")
    jitter = machine_jitter(args.server_cpu)
    print("\nMachine: %s, %d CPUs, kernel %s; server on CPU %d, load on CPU %d; medians of %d runs."
          % (cpu, os.cpu_count(), os.uname().release, args.server_cpu, args.load_cpu, args.repeat))
    print("Machine jitter: a spinning thread on CPU %d lost its CPU %d times for >100 us, %d times "
          "for >500 us, %d times for >2 ms in %d s (worst %.1f ms).\n"
          % (args.server_cpu, jitter["gaps_over_100us"], jitter["gaps_over_500us"],
             jitter["gaps_over_2ms"], jitter["seconds"], jitter["worst_ms"]))
    floor = wake_floor(args)
    print("Machine floor: a thread that only wakes up and answers (bench/wake_probe, pipes, 10k "
          "round trips/s, server CPU %d) has p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us.\n"
          % (args.server_cpu, floor["p50_us"], floor["p99_us"], floor["p999_us"], floor["max_us"]))
    names = list(results)
    for n in names:
        print("%s: %s" % (n, results[n]["features"]))
    print()
    rows = [
        ("server CPU per full TLS 1.3 handshake (+1 OPTIONS), sipring-load", "full_handshake", "cpu_us_per_op"),
        ("server CPU per resumed TLS 1.3 handshake (+1 OPTIONS), sipring-load", "resumed_handshake", "cpu_us_per_op"),
        ("server CPU per full handshake (+1 OPTIONS), OpenSSL 3 client at %g/s" % args.paced_rate,
         "full_handshake_paced", "cpu_us_per_op"),
        ("server CPU per resumed handshake (+1 OPTIONS), OpenSSL 3 client at %g/s" % args.paced_rate,
         "resumed_handshake_paced", "cpu_us_per_op"),
    ]
    if not args.handshakes_only:
        rows += [
            ("server CPU per OPTIONS, 50 conns x 16 pipelined", "options_pipelined", "cpu_us_per_op"),
            ("latency p50 at 10k req/s open loop, 50 conns", "latency_10k", "p50_us"),
            ("latency p99", "latency_10k", "p99_us"),
            ("latency p99.9", "latency_10k", "p999_us"),
            ("server CPU per OPTIONS at 10k req/s", "latency_10k", "cpu_us_per_op"),
        ]
    # Each other server's figure divided by the first's (for Kamailio: how many times sipring's).
    others = names[1:]
    print("| figure | " + " | ".join(names) + " | " +
          " | ".join("%s / %s" % (o, names[0]) for o in others) + " |")
    print("|---|" + "---|" * (len(names) + len(others)))
    for label, key, field in rows:
        vals = [results[n][key][field] for n in names]
        line = "| %s | " % label + " | ".join("%.2f us" % v for v in vals) + " |"
        for v in vals[1:]:
            line += (" %.2fx |" % (v / vals[0])) if vals[0] > 0 else " - |"
        print(line)
    if not args.handshakes_only:
        mem = [results[n]["idle_memory"]["bytes_per_connection"] for n in names]
        line = ("| Pss per idle TLS connection (%d conns) | " % results[names[0]]["idle_memory"]["connections"]
                + " | ".join("%.0f B" % v for v in mem) + " |")
        for v in mem[1:]:
            line += (" %.2fx |" % (v / mem[0])) if mem[0] > 0 else " - |"
        print(line)
        for n in names:
            steal = results[n]["latency_10k"]["steal_ms"]
            print("Stolen vCPU time during %s's latency runs (ms, server CPU %d / load CPU %d): %s"
                  % (n, args.server_cpu, args.load_cpu,
                     ", ".join("%d / %d" % (s.get(str(args.server_cpu), 0), s.get(str(args.load_cpu), 0))
                               for s in steal)))
    print("Handshakes/s achieved by the paced OpenSSL 3 client (medians), full / resumed: " +
          "; ".join("%s %.0f / %.0f" % (n, results[n]["full_handshake_paced"]["per_s"],
                                        results[n]["resumed_handshake_paced"]["per_s"])
                    for n in names))
    print("Per-round server CPU per operation (us), in round order:")
    for label, key, field in rows[:4]:
        print("  %s: %s" % (key, "; ".join(
            "%s %s" % (n, "/".join("%.0f" % v for v in results[n][key]["cpu_us_per_op_runs"]))
            for n in names)))
    print()
    data = {"machine": cpu, "jitter": jitter, "wake_floor": floor, "results": results}
    print(json.dumps(data))
    if args.plot:
        # The results next to the charts, so --plot-from can redraw them without a rerun.
        with open(os.path.join(args.plot, "e2e.json"), "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        plot.e2e_charts(data, args.plot)
    return 0


if __name__ == "__main__":
    sys.exit(main())
