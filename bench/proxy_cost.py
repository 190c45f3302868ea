#!/usr/bin/env python3
"""What a PROXY-protocol listener costs: server CPU per request and per handshake through a
sipring.proxy_protocol_listen address (sipring-load --proxy-protocol 2, or 1) against a plain
listen address of the same sipring process, in the same run.

One sipring (one reactor, pinned to --server-cpu) listens on both; sipring-load (pinned to
--load-cpu) runs every plan on the plain listener and then on the proxy one, round after round
(--repeat; bench/lib/ab_rounds.py), so the machine's noise falls on both alike. The figure is
the server's CPU time per operation (all its threads, from /proc, over exactly the measured
phase); medians and the proxy/plain ratio are printed, with every command.

  bench/proxy_cost.py [--build build] [--repeat 5] [--version 2] [--quick]
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import e2e  # noqa: E402  (load(), free_port(), wait_listening(), log(), run())
sys.path.insert(0, os.path.join(HERE, "lib"))
import ab_rounds  # noqa: E402


def plans(args):
    q = args.quick
    return {
        "options_pipelined": ["rps", "--connections", "50", "--pipeline", "16", "--duration",
                              "2" if q else "6"],
        "full_handshake": ["handshake", "--count", "800" if q else "3000", "--connections", "8"],
        "resumed_handshake": ["handshake", "--resume", "--count", "800" if q else "3000",
                              "--connections", "8"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--version", type=int, default=2, choices=(1, 2))
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--load-cpu", type=int, default=1)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="sipring-proxy-bench.")
    certs = os.path.join(work, "certs")
    e2e.run([os.path.join(args.build, "tools", "sipring-certs"), "demo", "--dir", certs],
            stdout=subprocess.DEVNULL)
    plain, proxy = e2e.free_port(), e2e.free_port()
    cfg = os.path.join(work, "sipring.cfg")
    with open(cfg, "w") as f:
        f.write('loadmodule "tls.so"\nenable_tls=yes\nlisten=tls:127.0.0.1:%d\n'
                'modparam("tls", "certificate", "%s")\n'
                'modparam("sipring", "reactors", 1)\nmodparam("sipring", "cpus", "%d")\n'
                'modparam("sipring", "max_connections_per_source", 16384)\n'
                'modparam("sipring", "proxy_protocol_listen", "tls:127.0.0.1:%d")\n'
                'modparam("sipring", "proxy_protocol_trusted", "127.0.0.1/32")\n'
                'modparam("ctl", "socket", "")\n'
                % (plain, os.path.join(certs, "server.pem"), args.server_cpu, proxy))
    cmd = ["taskset", "-c", str(args.server_cpu), os.path.join(args.build, "tools", "sipring"),
           "-f", cfg]
    e2e.log("$ " + " ".join(cmd) + " &")
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                              stderr=open(os.path.join(work, "sipring.log"), "w"))
    try:
        if not (e2e.wait_listening(plain) and e2e.wait_listening(proxy)):
            raise RuntimeError("sipring did not start; see %s/sipring.log" % work)
        targets = {
            "plain": (types.SimpleNamespace(port=plain, pids=lambda: [server.pid]), []),
            "proxy": (types.SimpleNamespace(port=proxy, pids=lambda: [server.pid]),
                      ["--proxy-protocol", str(args.version)]),
        }

        def run_one(name, mode_args):
            target, extra = targets[name]
            return e2e.load(args, target, mode_args + extra, args.load_cpu)

        runs = ab_rounds.interleaved(args.repeat, plans(args), list(targets), run_one, e2e.log)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()

    result = ab_rounds.ratio_table(runs, plans(args), "plain", "proxy", "plain",
                                   "PROXY v%d" % args.version)
    print(json.dumps({"proxy_version": args.version, "repeat": args.repeat, "results": result}))


if __name__ == "__main__":
    main()
