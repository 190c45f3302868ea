#!/usr/bin/env python3
"""CPU per relayed request: sipring-relay (examples/relay, the C ABI's stateless relay) beside
Kamailio 5.6 as a stateless forwarder (bench/kamailio/kamailio-forward.cfg: maxfwd + forward()
with its tls module), both relaying the same load to the same upstream, over TLS both ways.

    load (sipring-load, CPU B) --TLS--> front (CPU A) --TLS--> upstream Kamailio (CPU B)
                                                              sl_send_reply("200", "OK")

The front is sipring-relay (one reactor) or the forwarding Kamailio (all its processes), each
pinned to the same CPU A; the load generator and the upstream share CPU B. The load is
bounded: open loop at --rate requests/s over --connections connections (sipring-load rate),
so both fronts do the same work and the figure is the front's CPU time per relayed request
(utime + stime from /proc over the measured phase, every thread or process of the front).
Each run is repeated --repeat times and the median printed, with the commands. Loopback only.

  bench/relay_vs_kamailio.py [--build build] [--repeat 3] [--rate 5000] [--connections 50]
                             [--duration 5] [--front-cpu 0] [--other-cpu 1]
"""
import argparse
import json
import os
import resource
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
KAMDIR = os.path.join(HERE, "kamailio")
sys.path.insert(0, HERE)
from e2e import Sipring, free_port, log, run, wait_listening  # noqa: E402  (the benchmarks' helpers)


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


class Front:
    """A relaying server in front of the upstream: its own directory under `work`, a port."""

    def __init__(self, args, certs, work, upstream):
        self.args, self.certs, self.upstream = args, certs, upstream
        self.dir = os.path.join(work, self.name)
        os.makedirs(self.dir)
        self.port = free_port()
        self.proc = None


class Relay(Front, Sipring):  # pids() and stop() are the sipring daemon's (one process)
    name = "sipring-relay"

    def start(self):
        c = self.certs
        with open(os.path.join(self.dir, "tls.cfg"), "w") as f:
            f.write("[server:default]\nmethod = TLSv1.2+\ncertificate = %s\nprivate_key = %s\n\n"
                    "[client:default]\nmethod = TLSv1.2+\nverify_certificate = yes\n"
                    "require_certificate = yes\nca_list = %s\n"
                    % (os.path.join(c, "server.pem"), os.path.join(c, "server.pem"),
                       os.path.join(c, "cacert.pem")))
        cfg = os.path.join(self.dir, "relay.cfg")
        with open(cfg, "w") as f:
            f.write('loadmodule "tls.so"\nenable_tls=yes\nlisten=tls:127.0.0.1:%d\n'
                    'modparam("tls", "config", "tls.cfg")\n'
                    'modparam("sipring", "reactors", 1)\nmodparam("sipring", "cpus", "%d")\n'
                    'modparam("tls", "connection_timeout", 3600)\n'
                    % (self.port, self.args.front_cpu))
        self.log_path = os.path.join(self.dir, "relay.log")
        cmd = ["taskset", "-c", str(self.args.front_cpu),
               os.path.join(self.args.build, "examples", "sipring-relay"), "-f", cfg,
               "--upstream", "127.0.0.1:%d" % self.upstream, "--upstream-name", "localhost"]
        log("$ " + " ".join(shlex.quote(x) for x in cmd) + " &")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                     stderr=open(self.log_path, "w"))
        wait_for(lambda: " up: connection" in open(self.log_path).read(), 15,
                 "sipring-relay's upstream connection (see %s)" % self.log_path)


class KamailioForwarder(Front):
    name = "kamailio-forward"

    def start(self):
        c = self.certs
        with open(os.path.join(KAMDIR, "tls-forward.cfg")) as f:
            text = f.read()
        for k, v in (("CERT", "localhost-cert.pem"), ("KEY", "localhost-key.pem"),
                     ("CA", "cacert.pem")):
            text = text.replace("@%s@" % k, os.path.join(c, v))
        tls_cfg = os.path.join(self.dir, "tls.cfg")
        with open(tls_cfg, "w") as f:
            f.write(text)
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        nofile = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
        cmd = ["taskset", "-c", str(self.args.front_cpu), "kamailio",
               "-f", os.path.join(KAMDIR, "kamailio-forward.cfg"), "-DD", "-E", "--atexit=no",
               "-Y", self.dir, "-w", self.dir, "-P", os.path.join(self.dir, "kamailio.pid"),
               "-m", "256", "-M", "64", "-x", "tlsf", "-A", "KAM_PORT=%d" % self.port,
               "-A", 'UPSTREAM="sip:127.0.0.1:%d;transport=tls"' % self.upstream,
               "-A", 'TLS_CONFIG="%s"' % tls_cfg, "-A", "OPEN_FILES=%d" % nofile]
        log("$ " + " ".join(shlex.quote(x) for x in cmd) + " &")

        def limits():
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(self.dir, "kamailio.log"), "w"),
                                     start_new_session=True, preexec_fn=limits)
        if not wait_listening(self.port):
            raise RuntimeError("the forwarding kamailio did not start; see " + self.dir)
        prev = None
        for _ in range(30):  # workers are forked after the socket is bound
            cur = self.pids()
            if cur == prev:
                break
            prev = cur
            time.sleep(0.2)

    def pids(self):
        """Every live kamailio process of its session (the main process and its workers)."""
        out = []
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    rest = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if rest[0] != "Z" and int(rest[3]) == self.proc.pid:  # session id
                out.append(int(name))
        return sorted(out)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def load(args, front, certs, duration, rate):
    cmd = ["taskset", "-c", str(args.other_cpu),
           os.path.join(args.build, "tools", "sipring-load"), "rate",
           "--target", "127.0.0.1:%d" % front.port, "--connections", str(args.connections),
           "--rate", str(rate), "--duration", str(duration), "--warmup", "1",
           "--cpus", str(args.other_cpu), "--busy-poll-us", "0",
           "--ca", os.path.join(certs, "cacert.pem"), "--sni", "localhost",
           "--server-pid", ",".join(str(p) for p in front.pids())]
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode not in (0, 3) or not p.stdout.strip():
        raise RuntimeError("load failed (exit %d): %s" % (p.returncode, p.stderr[-2000:]))
    return json.loads(p.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rate", type=float, default=5000)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--duration", type=float, default=5)
    ap.add_argument("--front-cpu", type=int, default=0)
    ap.add_argument("--other-cpu", type=int, default=1)
    ap.add_argument("--fronts", default="sipring-relay,kamailio-forward")
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    work = tempfile.mkdtemp(prefix="sipring-relay-bench-")
    certs = os.path.join(work, "certs")
    run([os.path.join(args.build, "tools", "sipring-certs"), "demo", "--dir", certs],
        stdout=subprocess.DEVNULL)
    script = os.path.join(KAMDIR, "run-kamailio.sh")
    up_port = free_port()
    run([script, "start", os.path.join(certs, "localhost-cert.pem"),
         os.path.join(certs, "localhost-key.pem"), os.path.join(certs, "cacert.pem"),
         str(up_port), str(args.other_cpu)], stdout=subprocess.DEVNULL)
    results = {}
    try:
        for name in args.fronts.split(","):
            cls = {"sipring-relay": Relay, "kamailio-forward": KamailioForwarder}[name]
            front = cls(args, certs, work, up_port)
            front.start()
            try:
                load(args, front, certs, 1, min(args.rate, 1000))  # opens the upstream side
                rows = []
                for _ in range(args.repeat):
                    r = load(args, front, certs, args.duration, args.rate)
                    if r["lost"] or r["mismatched"] or r.get("connect_failures"):
                        log("WARNING: %s: lost %d mismatched %d connect failures %d"
                            % (name, r["lost"], r["mismatched"], r.get("connect_failures", 0)))
                    rows.append(r)
                results[name] = {
                    "cpu_us_per_request": statistics.median(
                        r["server"]["cpu_us_per_op"] for r in rows),
                    "per_s": statistics.median(r["per_s"] for r in rows),
                    "p50_us": statistics.median(r["latency_us"]["p50"] for r in rows),
                    "p99_us": statistics.median(r["latency_us"]["p99"] for r in rows),
                    "lost": sum(r["lost"] + r["mismatched"] for r in rows),
                    "runs": [r["server"]["cpu_us_per_op"] for r in rows],
                    "processes": len(front.pids()),
                }
            finally:
                front.stop()
    finally:
        subprocess.run([script, "stop", str(up_port)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    print("\nOpen loop %.0f req/s over %d TLS connections for %.0f s, medians of %d runs; front "
          "on CPU %d, load and upstream Kamailio on CPU %d.\n"
          % (args.rate, args.connections, args.duration, args.repeat, args.front_cpu,
             args.other_cpu))
    names = list(results)
    print("| front | CPU per relayed request | runs | req/s | p50 | p99 | lost |")
    print("|---|---|---|---|---|---|---|")
    for n in names:
        r = results[n]
        print("| %s (%d process%s) | %.1f us | %s | %.0f | %.0f us | %.0f us | %d |"
              % (n, r["processes"], "" if r["processes"] == 1 else "es",
                 r["cpu_us_per_request"], " / ".join("%.1f" % x for x in r["runs"]),
                 r["per_s"], r["p50_us"], r["p99_us"], r["lost"]))
    if len(names) == 2 and results[names[0]]["cpu_us_per_request"] > 0:
        print("\n%s uses %.1fx the CPU of %s per relayed request."
              % (names[1], results[names[1]]["cpu_us_per_request"] /
                 results[names[0]]["cpu_us_per_request"], names[0]))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
