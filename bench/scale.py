#!/usr/bin/env python3
"""Scaling benchmark: sipring with N = 1 .. S reactors, each pinned to a CPU of the server's half
of the machine, loaded by sipring-load on the other half.

Reactors share nothing (each owns its io_uring, its connections and its buffers), so the figures
per reactor should stay flat as N grows: requests/s and handshakes/s grow with N, CPU per
request and per handshake stay where N = 1 puts them, and p99 at a fixed rate per reactor stays
put. A figure that worsens with N points at something shared: the kernel's accept queue (one
listening socket per reactor with SO_REUSEPORT avoids it), memory bandwidth, a NUMA hop, SMT
siblings sharing a core, or the load generator running out of CPUs.

How the CPUs are split (from /sys/devices/system/cpu, printed with the results):
  * the online CPUs are grouped by NUMA node; the server takes the first half of the first node's
    CPUs (the whole first node when there are several nodes), the load the rest, so no reactor
    crosses a node boundary while N grows;
  * SMT siblings stay on the same side: the server side is filled one physical core at a time;
  * --server-cpus / --load-cpus override both (e.g. "0-15" and "16-31").

Per N it runs, with the load on every load CPU (sipring-load --reactors L --cpus LOAD):
  * rps:        C x 16 pipelined OPTIONS for D seconds: requests/s and server CPU per request;
  * handshake:  full TLS 1.3 handshakes + one OPTIONS each: handshakes/s and CPU per handshake;
  * rate:       open loop at --rate-per-reactor x N requests/s: p50/p99/p99.9 latency.
Prints each command, a Markdown table, one JSON line; --plot FILE.png draws the per-reactor
figures against N (bench/lib/plot.py, python3-matplotlib) and the results as JSON next to it.

On this project's 2-CPU machines only N = 1 runs (server CPU 0, load CPU 1).

  bench/scale.py [--build build] [--max-reactors S] [--repeat 3] [--quick]
                 [--plot [docs/img/scale.png]]
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
import e2e  # noqa: E402  (free_port, wait_listening, log, run)
sys.path.insert(0, os.path.join(HERE, "lib"))
import plot  # noqa: E402


def parse_cpu_list(text):
    """ "0-3,8,10-11" -> [0, 1, 2, 3, 8, 10, 11] (the kernel's cpulist format)."""
    out = []
    for part in text.strip().split(","):
        if not part:
            continue
        if "-" in part:
            lo, hi = part.split("-")
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(part))
    return out


def read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def topology():
    """{"cpus": [...], "nodes": [[cpus of node 0], ...], "siblings": {cpu: [its SMT siblings]}}"""
    sysfs = "/sys/devices/system"
    cpus = parse_cpu_list(read(sysfs + "/cpu/online", "0-%d" % (os.cpu_count() - 1)))
    nodes = []
    node_dir = sysfs + "/node"
    if os.path.isdir(node_dir):
        for name in sorted(os.listdir(node_dir), key=lambda n: int(n[4:]) if n[4:].isdigit() else -1):
            if name.startswith("node") and name[4:].isdigit():
                node_cpus = [c for c in parse_cpu_list(read("%s/%s/cpulist" % (node_dir, name)))
                             if c in cpus]
                if node_cpus:
                    nodes.append(node_cpus)
    if not nodes:
        nodes = [cpus]
    siblings = {}
    for c in cpus:
        text = read("%s/cpu/cpu%d/topology/thread_siblings_list" % (sysfs, c), str(c))
        siblings[c] = [s for s in parse_cpu_list(text) if s in cpus]
    return {"cpus": cpus, "nodes": nodes, "siblings": siblings}


def split_cpus(topo):
    """(server CPUs in the order reactors take them, load CPUs)."""
    nodes = topo["nodes"]
    if len(nodes) > 1:
        server_pool, load = nodes[0], [c for n in nodes[1:] for c in n]
    else:
        server_pool, load = nodes[0], []
    # Whole physical cores, in order: a core's SMT siblings go to the same side.
    cores, seen = [], set()
    for c in server_pool:
        if c in seen:
            continue
        core = [s for s in topo["siblings"].get(c, [c]) if s in server_pool] or [c]
        seen.update(core)
        cores.append(core)
    if len(nodes) == 1 and len(cores) == 1 and len(cores[0]) > 1:
        return cores[0][:1], cores[0][1:]  # one core with SMT: its siblings are all there is
    if len(nodes) == 1:
        half = max(1, len(cores) // 2)
        server_cores, load_cores = cores[:half], cores[half:]
        load = [c for core in load_cores for c in core]
    else:
        server_cores = cores
    # One reactor per physical core first (the first sibling), then the second siblings.
    server = [core[0] for core in server_cores] + [c for core in server_cores for c in core[1:]]
    if not load:  # a single CPU: share it (figures then mean little; say so)
        load = server[:1]
    return server, load


class Server:
    def __init__(self, build, certs, cpus, workdir):
        self.build, self.certs, self.cpus, self.workdir = build, certs, cpus, workdir
        self.port = e2e.free_port()
        self.proc = None

    def start(self):
        cfg = os.path.join(self.workdir, "scale-%d.cfg" % len(self.cpus))
        with open(cfg, "w") as f:
            f.write('loadmodule "tls.so"\nenable_tls=yes\nlisten=tls:127.0.0.1:%d\n'
                    'modparam("tls", "certificate", "%s")\n'
                    'modparam("sipring", "reactors", %d)\nmodparam("sipring", "cpus", "%s")\n'
                    'modparam("sipring", "max_connections_per_source", 65536)\n'
                    'modparam("sipring", "max_handshakes_per_source", 65536)\n'
                    % (self.port, os.path.join(self.certs, "server.pem"), len(self.cpus),
                       ",".join(str(c) for c in self.cpus)))
        cmd = [os.path.join(self.build, "tools", "sipring"), "-f", cfg]
        e2e.log("$ " + " ".join(cmd) + " &")
        self.log = os.path.join(self.workdir, "scale-%d.log" % len(self.cpus))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.log, "w"))
        if not e2e.wait_listening(self.port):
            raise RuntimeError("sipring did not start; see %s" % self.log)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def load(args, server, load_cpus, mode_args):
    cmd = ([os.path.join(args.build, "tools", "sipring-load")] + mode_args +
           ["--target", "127.0.0.1:%d" % server.port, "--reactors", str(len(load_cpus)),
            "--cpus", ",".join(str(c) for c in load_cpus), "--server-pid", str(server.proc.pid)])
    e2e.log("$ " + " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode not in (0, 3) or not p.stdout.strip():
        raise RuntimeError("sipring-load failed (exit %d): %s" % (p.returncode, p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def one_n(args, n, server_cpus, load_cpus, certs, work):
    server = Server(args.build, certs, server_cpus[:n], work)
    server.start()
    runs = {"rps": [], "handshake": [], "rate": []}
    q = args.quick
    try:
        time.sleep(0.3)
        for _ in range(args.repeat):
            r = load(args, server, load_cpus, ["rps", "--connections", str(50 * n), "--pipeline",
                                               "16", "--duration", "3" if q else "8"])
            runs["rps"].append((r["per_s"], r["server"]["cpu_us_per_op"]))
            r = load(args, server, load_cpus, ["handshake", "--count", str((1000 if q else 5000) * n),
                                               "--connections", str(8 * n)])
            runs["handshake"].append((r["per_s"], r["server"]["cpu_us_per_op"]))
            r = load(args, server, load_cpus, ["rate", "--connections", str(50 * n), "--rate",
                                               str(args.rate_per_reactor * n), "--duration",
                                               "4" if q else "10", "--warmup", "1"])
            lat = r["latency_us"]
            runs["rate"].append((lat["p50"], lat["p99"], lat["p999"]))
    finally:
        server.stop()
    med = statistics.median
    return {
        "reactors": n, "server_cpus": server_cpus[:n],
        "requests_per_s": med(x[0] for x in runs["rps"]),
        "cpu_us_per_request": med(x[1] for x in runs["rps"]),
        "handshakes_per_s": med(x[0] for x in runs["handshake"]),
        "cpu_us_per_handshake": med(x[1] for x in runs["handshake"]),
        "rate": args.rate_per_reactor * n,
        "p50_us": med(x[0] for x in runs["rate"]),
        "p99_us": med(x[1] for x in runs["rate"]),
        "p999_us": med(x[2] for x in runs["rate"]),
        "runs": runs,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--max-reactors", type=int, default=0, help="default: every server CPU")
    ap.add_argument("--server-cpus", help="override the split, e.g. 0-15")
    ap.add_argument("--load-cpus", help="override the split, e.g. 16-31")
    ap.add_argument("--rate-per-reactor", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    ap.add_argument("--plot", nargs="?", const=os.path.join(e2e.DEFAULT_PLOT_DIR, "scale.png"),
                    metavar="FILE.png", help="write a PNG of the figures against N, and the "
                    "results as JSON next to it (default docs/img/scale.png)")
    args = ap.parse_args()
    topo = topology()
    server_cpus, load_cpus = split_cpus(topo)
    if args.server_cpus:
        server_cpus = parse_cpu_list(args.server_cpus)
    if args.load_cpus:
        load_cpus = parse_cpu_list(args.load_cpus)
    shared = set(server_cpus) & set(load_cpus)
    top = len(server_cpus) if args.max_reactors <= 0 else min(args.max_reactors, len(server_cpus))
    work = tempfile.mkdtemp(prefix="sipring-scale-")
    certs = os.path.join(work, "certs")
    e2e.run([os.path.join(args.build, "tools", "sipring-certs"), "demo", "--dir", certs],
            stdout=subprocess.DEVNULL)
    rows = [one_n(args, n, server_cpus, load_cpus, certs, work) for n in range(1, top + 1)]
    cpu = read("/proc/cpuinfo").split("model name")[1].split("\n")[0].strip(" :\t")
    print("\nMachine: %s, %d online CPUs in %d NUMA node(s) %s, kernel %s." %
          (cpu, len(topo["cpus"]), len(topo["nodes"]), topo["nodes"], os.uname().release))
    print("Server CPUs in reactor order %s; load CPUs %s%s; medians of %d runs.\n" %
          (server_cpus, load_cpus, " (SHARED with the server: figures are not meaningful)"
           if shared else "", args.repeat))
    print("| reactors | requests/s | per reactor | CPU us/request | handshakes/s | per reactor "
          "| CPU us/handshake | p50 / p99 / p99.9 us at req/s |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        n = r["reactors"]
        print("| %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.1f | %.0f / %.0f / %.0f at %d |" %
              (n, r["requests_per_s"], r["requests_per_s"] / n, r["cpu_us_per_request"],
               r["handshakes_per_s"], r["handshakes_per_s"] / n, r["cpu_us_per_handshake"],
               r["p50_us"], r["p99_us"], r["p999_us"], r["rate"]))
    data = {"topology": topo, "server_cpus": server_cpus, "load_cpus": load_cpus, "results": rows}
    print(json.dumps(data))
    if args.plot:
        with open(os.path.splitext(args.plot)[0] + ".json", "w") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
        plot.scale_chart(rows, args.plot)


if __name__ == "__main__":
    main()
