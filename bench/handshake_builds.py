#!/usr/bin/env python3
"""bench/handshake_bench from two builds side by side: the default source build of BoringSSL
(-Dboringssl=source, without OPENSSL_SMALL) and Debian's shared android-libboringssl
(-Dboringssl=system, OPENSSL_SMALL), with OpenSSL 3's figures for the same primitives
(`openssl speed`, the library Kamailio uses) beside them.

Both binaries run pinned to the same CPU, alternating round by round (--rounds, each round one
Google Benchmark run per build), so the machine's noise falls on both alike; the table shows
each benchmark's median over the rounds, in microseconds, and the system build's ratio to the
source build.

  meson setup build-system --buildtype=release -Db_ndebug=true -Dboringssl=system
  ninja -C build-system bench/handshake_bench
  bench/handshake_builds.py [--source build] [--system build-system] [--rounds 5] [--cpu 1]
"""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def bench_once(build, cpu, min_time):
    """One run of BUILD/bench/handshake_bench: {benchmark name: CPU microseconds per iteration}."""
    cmd = ["taskset", "-c", str(cpu), os.path.join(build, "bench", "handshake_bench"),
           "--benchmark_format=json", "--benchmark_min_time=%g" % min_time]
    log("$ " + " ".join(shlex.quote(c) for c in cmd))
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3}
    return {b["name"]: b["cpu_time"] * scale[b["time_unit"]] for b in out["benchmarks"]}


def openssl_speed(cpu, seconds):
    """OpenSSL 3's ECDSA P-256 sign and X25519 derive, microseconds per operation."""
    figures = {}
    for alg, key in (("ecdsap256", "ECDSA P-256 sign"), ("ecdhx25519", "X25519 shared secret")):
        cmd = ["taskset", "-c", str(cpu), "openssl", "speed", "-seconds", str(seconds), alg]
        log("$ " + " ".join(cmd))
        try:
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        # e.g. " 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  12000.0": sign/s first.
        m = re.search(r"\(nistp256\)\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)", out) if alg == "ecdsap256" \
            else re.search(r"\(X25519\)\s+[\d.]+s\s+([\d.]+)", out)
        if m:
            figures[key] = 1e6 / float(m.group(1))
    return figures


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--source", default=os.path.join(ROOT, "build"))
    ap.add_argument("--system", default=os.path.join(ROOT, "build-system"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per benchmark and run")
    args = ap.parse_args()
    runs = {"source": [], "system": []}
    for _ in range(args.rounds):
        runs["source"].append(bench_once(args.source, args.cpu, args.min_time))
        runs["system"].append(bench_once(args.system, args.cpu, args.min_time))
    ossl = openssl_speed(args.cpu, 3)
    labels = {
        "BM_EcdsaP256Sign": "ECDSA P-256 sign",
        "BM_X25519Keypair": "X25519 key pair",
        "BM_X25519SharedSecret": "X25519 shared secret",
        "BM_ServerFullHandshakeTls13": "server side of a full TLS 1.3 handshake (in memory)",
        "BM_ServerResumedHandshakeTls13": "server side of a resumed TLS 1.3 handshake (in memory)",
    }
    med = {b: {k: statistics.median(r[k] for r in runs[b]) for k in runs[b][0]} for b in runs}
    print("\nhandshake_bench, CPU %d, medians of %d alternating rounds (us per operation)\n"
          % (args.cpu, args.rounds))
    print("| operation | source build (no OPENSSL_SMALL) | Debian's shared library (OPENSSL_SMALL) "
          "| system / source | OpenSSL 3 (`openssl speed`) |")
    print("|---|---|---|---|---|")
    for name, label in labels.items():
        if name not in med["source"]:
            continue
        a, b = med["source"][name], med["system"][name]
        o = ossl.get(label)
        print("| %s | %.1f | %.1f | %.2fx | %s |" % (label, a, b, b / a, "%.1f" % o if o else ""))
    print("\nPer round (source / system): " + "; ".join(
        "%s %s" % (labels[n].split(" (")[0], ", ".join(
            "%.1f/%.1f" % (runs["source"][i][n], runs["system"][i][n]) for i in range(args.rounds)))
        for n in labels if n in med["source"]))
    print(json.dumps({"medians": med, "openssl3": ossl, "runs": runs}))


if __name__ == "__main__":
    main()
