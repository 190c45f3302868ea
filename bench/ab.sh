#!/usr/bin/env bash
# Before/after on one machine in one run: server CPU per request and Pss per idle connection of
# two sipring builds, alternating, so that the machine's drift (20-60% between days here) hits
# both alike. Prints every run, the medians and the commands.
#
#   bench/ab.sh BUILD_A BUILD_B [ROUNDS]     e.g. bench/ab.sh ../old/build build 5
#
# Each run: one reactor pinned to CPU 0, sipring-load on CPU 1; `rps` 50 connections x 16
# pipelined OPTIONS for 4 s (server CPU us per request), then `idle` 3000 connections held 2 s
# (server Pss per connection). Loopback only; every load run is bounded by --duration/--hold.
set -euo pipefail
a=$(realpath "$1"); b=$(realpath "$2"); rounds=${3:-5}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$b/tools/sipring-certs" demo --dir "$work/certs" >/dev/null
port=$((20000 + RANDOM % 20000))
for label in A B; do
  build=$a; [[ $label == B ]] && build=$b
  cat >"$work/$label.cfg" <<CFG
loadmodule "tls.so"
enable_tls=yes
listen=tls:127.0.0.1:$port
modparam("tls", "certificate", "$work/certs/server.pem")
modparam("sipring", "reactors", 1)
modparam("sipring", "cpus", "0")
modparam("ctl", "socket", "")
CFG
  # All load comes from 127.0.0.1: a build with per-source limits must let it hold the table.
  if "$build/tools/sipring" --list-params | grep -q max_connections_per_source; then
    echo 'modparam("sipring", "max_connections_per_source", 16384)' >>"$work/$label.cfg"
  fi
done
run() {  # BUILD LABEL
  taskset -c 0 "$1/tools/sipring" -f "$work/$2.cfg" >/dev/null 2>"$work/$2.log" &
  local pid=$!
  sleep 0.7
  local before
  before=$(awk '/^Pss:/{print $2}' "/proc/$pid/smaps_rollup")
  local rps idle
  rps=$(taskset -c 1 "$1/tools/sipring-load" rps --target "127.0.0.1:$port" --connections 50 \
          --pipeline 16 --duration 4 --server-pid "$pid" 2>/dev/null | tail -1)
  idle=$(taskset -c 1 "$1/tools/sipring-load" idle --target "127.0.0.1:$port" --connections 3000 \
          --hold 2 --server-pid "$pid" 2>/dev/null | tail -1)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  python3 - "$2" "$before" "$rps" "$idle" <<'PY'
import json, sys
label, before, rps, idle = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
cpu = 1e6 * rps["server"]["cpu_s"] / max(1, rps["received"])
pss = (idle["server"]["pss_kib"] - before) * 1024.0 / max(1, idle["opened"])
print("%s %.3f %.0f %d %d" % (label, cpu, pss, rps["lost"] + rps["mismatched"], idle["opened"]))
PY
}
echo "$ bench/ab.sh $1 $2 $rounds   (A = $a, B = $b)"
for ((i = 1; i <= rounds; i++)); do run "$a" A; run "$b" B; done | tee "$work/runs" |
  awk '{printf "run %s: server CPU %.3f us/request, Pss %d B per idle connection, lost %d, idle opened %d\n", $1, $2, $3, $4, $5}'
python3 - "$work/runs" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for label in ("A", "B"):
    r = [x for x in rows if x[0] == label]
    print("median %s: %.3f us/request, %.0f B per idle connection (%d runs)"
          % (label, statistics.median(float(x[1]) for x in r), statistics.median(float(x[2]) for x in r), len(r)))
PY
