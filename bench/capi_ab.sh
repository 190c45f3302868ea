#!/usr/bin/env bash
# What the C ABI costs per request, in one run: server CPU per request of three servers of the
# same build, alternating round by round so the machine's drift hits all alike:
#   inline   tools/sipring --core inline    the C++ demo core on the reactor thread
#   threads  tools/sipring --core threads   the C++ demo core on a consumer thread
#                                           (Engine::inbox, Engine::send)
#   c        tests/relay_min                examples/relay_min.c: a C consumer thread
#                                           (sipring_inbox_*, sipring_build_response, sipring_send)
#   c-inline bench/relay_inline             the same answer as an inline C core (sipring_port_*)
# `c` against `threads` and `c-inline` against `inline` are the C ABI layer itself (same
# threading, same response builder); `c` against `inline` adds the thread hop. Prints every run,
# the medians and the commands.
#
#   bench/capi_ab.sh [BUILD] [ROUNDS]      e.g. bench/capi_ab.sh build 5
#
# Each run: one reactor pinned to CPU 0 (the consumer thread shares CPU 0: the process runs under
# taskset -c 0), sipring-load on CPU 1, 50 connections x 16 pipelined OPTIONS for 4 s. Loopback
# only; every load run is bounded by --duration.
set -euo pipefail
build=$(realpath "${1:-build}"); rounds=${2:-5}
for b in tests/relay_min bench/relay_inline; do
  [[ -x $build/$b ]] || { echo "capi_ab: $build/$b is not built" >&2; exit 1; }
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$build/tools/sipring-certs" demo --dir "$work/certs" >/dev/null
port=$((20000 + RANDOM % 20000))
cat >"$work/server.cfg" <<CFG
loadmodule "tls.so"
enable_tls=yes
listen=tls:127.0.0.1:$port
modparam("tls", "certificate", "$work/certs/server.pem")
modparam("sipring", "reactors", 1)
modparam("sipring", "cpus", "0")
modparam("sipring", "max_connections_per_source", 16384)
modparam("ctl", "socket", "")
CFG
server() {  # LABEL: the server's command line
  case $1 in
    inline) echo "$build/tools/sipring -f $work/server.cfg --core inline" ;;
    threads) echo "$build/tools/sipring -f $work/server.cfg --core threads" ;;
    c) echo "$build/tests/relay_min $work/server.cfg" ;;
    c-inline) echo "$build/bench/relay_inline $work/server.cfg" ;;
  esac
}
run() {  # LABEL
  # shellcheck disable=SC2046  # the command line is split on purpose
  taskset -c 0 $(server "$1") >/dev/null 2>"$work/$1.log" &
  local pid=$! rps
  for _ in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
  rps=$(taskset -c 1 "$build/tools/sipring-load" rps --target "127.0.0.1:$port" \
          --connections 50 --pipeline 16 --duration 4 --server-pid "$pid" 2>/dev/null | tail -1)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$1" "$rps" <<'PY'
import json, sys
label, rps = sys.argv[1], json.loads(sys.argv[2])
cpu = 1e6 * rps["server"]["cpu_s"] / max(1, rps["received"])
print("%s %.3f %d %d" % (label, cpu, rps["received"], rps["lost"] + rps["mismatched"]))
PY
}
echo "$ bench/capi_ab.sh $build $rounds"
for label in inline threads c c-inline; do echo "  $label: taskset -c 0 $(server $label)"; done
echo "  load: taskset -c 1 $build/tools/sipring-load rps --target 127.0.0.1:$port" \
     "--connections 50 --pipeline 16 --duration 4 --server-pid PID"
for ((i = 1; i <= rounds; i++)); do run inline; run threads; run c; run c-inline; done | tee "$work/runs" |
  awk '{printf "run %-8s server CPU %.3f us/request (%d answered, %d lost)\n", $1, $2, $3, $4}'
python3 - "$work/runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
med = {}
for label in ("inline", "threads", "c", "c-inline"):
    med[label] = statistics.median(float(x[1]) for x in rows if x[0] == label)
    print("median %-8s %.3f us/request" % (label, med[label]))
print("c vs threads (the C ABI layer): %+.1f%%" % (100 * (med["c"] / med["threads"] - 1)))
print("c-inline vs inline (the C ABI layer): %+.1f%%"
      % (100 * (med["c-inline"] / med["inline"] - 1)))
print("c vs inline (C ABI and thread hop): %+.1f%%" % (100 * (med["c"] / med["inline"] - 1)))
PY
