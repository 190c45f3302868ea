#!/usr/bin/env bash
# The main job on a fresh Debian 12 machine: install what is missing, build, make a demo CA and
# an ECDSA P-256 server certificate, serve SIP over TLS on 127.0.0.1:5061, run a short load
# against it (handshakes, pipelined requests, an open-loop rate), print the figures, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh

B=build/tools
DEMO=demo
PORT=5061
mkdir -p "$DEMO"
if [[ ! -f "$DEMO/certs/server.pem" ]]; then
  "$B/sipring-certs" demo --dir "$DEMO/certs" >/dev/null
fi
cat >"$DEMO/sipring.cfg" <<CFG
# Written by tools/run-demo.sh
loadmodule "tls.so"
enable_tls=yes
listen=tls:127.0.0.1:$PORT
modparam("tls", "certificate", "certs/server.pem")   # certificate and key in one PEM file
modparam("tls", "tls_method", "TLSv1.2+")
modparam("sipring", "reactors", 1)
CFG

# On two or more CPUs the server gets CPU 0 and the load CPU 1, so they do not share a core.
server_pin=() load_pin=()
if (( $(nproc) >= 2 )); then
  server_pin=(taskset -c 0)
  load_pin=(taskset -c 1)
  echo 'modparam("sipring", "cpus", "0")' >>"$DEMO/sipring.cfg"
fi
if ss -Hltn "sport = :$PORT" | grep -q .; then
  echo "run-demo: port $PORT is already in use; stop whatever listens there first" >&2
  exit 1
fi

log="$DEMO/sipring.log"
"${server_pin[@]}" "$B/sipring" -f "$DEMO/sipring.cfg" >"$DEMO/sipring.stats" 2>"$log" &
server=$!
stop_server() { kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true; }
trap stop_server EXIT
for _ in $(seq 100); do
  grep -q "serving SIP over TLS" "$log" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
grep -q "serving SIP over TLS" "$log" || { echo "run-demo: sipring did not start" >&2; cat "$log" >&2; exit 1; }
sed -n 's/.*INFO \[engine\] //p' "$log"
echo "sipring (pid $server) serves SIP over TLS on 127.0.0.1:$PORT; running a short load..."

load() { "${load_pin[@]}" "$B/sipring-load" "$@" --target "127.0.0.1:$PORT" --ca "$DEMO/certs/cacert.pem" --server-pid "$server"; }
results="$DEMO/results.jsonl"
: >"$results"
load handshake --count 2000 --connections 8 >>"$results"
load handshake --count 2000 --connections 8 --resume >>"$results"
load rps --connections 50 --pipeline 16 --duration 5 >>"$results"
load rate --connections 50 --rate 10000 --duration 5 --warmup 1 >>"$results"

python3 - "$results" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print()
print("%-34s %12s %14s %10s %s" % ("load", "rate", "server CPU/op", "lost/bad", "latency p50/p99/p99.9 (us)"))
for r in rows:
    if r["mode"] == "handshake":
        kind = "resumed" if r["handshakes"]["resumed"] else "full"
        name = "TLS 1.3 %s handshakes + OPTIONS" % kind
    elif r["mode"] == "rps":
        name = "OPTIONS, %d conns x %d pipelined" % (r["connections"], r["pipeline"])
    else:
        name = "OPTIONS, open loop at %.0f/s" % r["rate_target"]
    lat = r["latency_us"]
    print("%-34s %10.0f/s %11.2f us %6d/%-3d %.0f / %.0f / %.0f" % (
        name, r["per_s"], r["server"]["cpu_us_per_op"], r["lost"], r["mismatched"],
        lat["p50"], lat["p99"], lat["p999"]))
print("\n(raw JSON lines in %s)" % sys.argv[1])
PY
stop_server
trap - EXIT
echo "sipring stopped; its counters at exit:"
tail -1 "$DEMO/sipring.stats"
