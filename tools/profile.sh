#!/usr/bin/env bash
# Profiles sipring under a named load: builds the profiling variant, runs sipring on loopback
# pinned to CPU 0 and sipring-load pinned to CPU 1, records the server alone with
# `perf record -g` (cpu-clock: it works in VMs without hardware counters), and writes a flame
# graph SVG and the top 20 symbols. README.md "Profiling" says how to read them.
#
#   tools/profile.sh LOAD [--seconds S] [--out DIR] [--build DIR]
#
#   LOAD       requests    50 connections x 16 pipelined OPTIONS (sipring-load rps)
#              handshakes  full TLS 1.3 handshakes, 8 in flight, one OPTIONS each
#              resumed     the same, resumed with session tickets
#   --seconds  how long perf records (default 10; the load runs 2 s longer, 1 s on each side)
#   --out      where the results go (default /tmp/sipring-profile-DATE-TIME-LOAD):
#                flamegraph.svg  the flame graph      perf.data      perf's recording
#                top.txt         the top 20 symbols   stacks.folded  the collapsed stacks
#                load.json       sipring-load's line  sipring.log    the server's log
#                report.txt      every symbol's share (perf report --no-children)
#   --build    use this build directory instead of building build-profiling/ (meson
#              -Dprofiling=true: frame pointers, symbols, no stripping). Without frame pointers
#              perf's stacks stop early, so only the top list stays exact.
#
# Needs perf (Debian linux-perf) and permission to record the server: root, or
# kernel.perf_event_paranoid <= 2 for one's own processes. Exit status: 0 done, 1 a step
# failed (its output says which), 2 usage error.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: tools/profile.sh requests|handshakes|resumed [--seconds S] [--out DIR] [--build DIR]" >&2
  exit 2
}
die() {
  echo "profile.sh: $*" >&2
  exit 1
}

(($# >= 1)) || usage
load=$1
shift
case $load in
  requests | handshakes | resumed) ;;
  -h | --help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) echo "profile.sh: unknown LOAD '$load'" >&2; usage ;;
esac
seconds=10 out="" build=""
while (($# > 0)); do
  (($# >= 2)) || { echo "profile.sh: $1 needs a value" >&2; usage; }
  case $1 in
    --seconds) seconds=$2 ;;
    --out) out=$2 ;;
    --build) build=$2 ;;
    *) echo "profile.sh: unknown option '$1'" >&2; usage ;;
  esac
  shift 2
done
[[ $seconds =~ ^[0-9]+$ ]] && ((seconds >= 1 && seconds <= 3600)) ||
  { echo "profile.sh: --seconds '$seconds' is not a whole number in 1..3600" >&2; usage; }
command -v perf >/dev/null || die "perf is missing (apt-get install linux-perf)"
out=${out:-/tmp/sipring-profile-$(date +%Y%m%d-%H%M%S)-$load}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# --- the build ---------------------------------------------------------------------------
if [[ -z $build ]]; then
  build=build-profiling
  if [[ ! -f $build/build.ninja ]]; then
    echo "profile.sh: configuring $build (the first build compiles BoringSSL too: minutes)" >&2
    meson setup "$build" --buildtype=release -Db_ndebug=true -Dprofiling=true >/dev/null ||
      die "meson setup $build -Dprofiling=true failed"
  fi
  ninja -C "$build" tools/sipring tools/sipring-load tools/sipring-certs >/dev/null ||
    die "building $build failed"
fi
[[ -d $build ]] || die "no build directory $build"
bin=$(cd "$build" && pwd)/tools
for tool in sipring sipring-load sipring-certs; do
  [[ -x $bin/$tool ]] || die "$bin/$tool is missing: build it first"
done

# --- the server: CPU 0, one reactor ------------------------------------------------------
server_pin=() load_pin=() load_cpus=()
if (($(nproc) >= 2)); then
  server_pin=(taskset -c 0) load_pin=(taskset -c 1) load_cpus=(--cpus 1)
fi
run=$out/run
mkdir -p "$run"
[[ -f $run/certs/server.pem ]] || "$bin/sipring-certs" demo --dir "$run/certs" >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$run/sipring.cfg" <<CFG
# Written by tools/profile.sh
loadmodule "tls.so"
enable_tls=yes
listen=tls:127.0.0.1:$port
modparam("tls", "certificate", "certs/server.pem")
modparam("tls", "tls_method", "TLSv1.2+")
modparam("sipring", "reactors", 1)
modparam("ctl", "socket", "unix:$run/ctl.sock")
CFG
if ((${#server_pin[@]} > 0)); then echo 'modparam("sipring", "cpus", "0")' >>"$run/sipring.cfg"; fi

# exec: $! is sipring itself (taskset execs it too), the process perf records.
(cd "$run" && exec "${server_pin[@]}" "$bin/sipring" -f sipring.cfg >/dev/null 2>"$out/sipring.log") &
server=$!
load_pid="" perf_pid=""
cleanup() {
  for p in $perf_pid $load_pid; do kill -INT "$p" 2>/dev/null || true; done
  kill -TERM "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 150); do
  grep -q "serving SIP over TLS" "$out/sipring.log" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$out/sipring.log" >&2; die "sipring exited at start"; }
  sleep 0.1
done
grep -q "serving SIP over TLS" "$out/sipring.log" || die "sipring did not start in 15 s"

# --- the load: CPU 1, 1 s longer than the recording on each side --------------------------
span=$((seconds + 2))
case $load in
  requests) mode=(rps --connections 50 --pipeline 16 --duration "$span") ;;
  handshakes) mode=(handshake --count 1000000000 --connections 8 --duration "$span") ;;
  resumed) mode=(handshake --count 1000000000 --connections 8 --resume --duration "$span") ;;
esac
"${load_pin[@]}" "$bin/sipring-load" "${mode[@]}" "${load_cpus[@]}" --target "127.0.0.1:$port" \
  --ca "$run/certs/cacert.pem" --server-pid "$server" --max-seconds $((span + 30)) \
  >"$out/load.json" 2>"$out/load.log" &
load_pid=$!
sleep 1

echo "profile.sh: recording sipring (pid $server) for $seconds s under '$load'..." >&2
perf record -g -e cpu-clock -F 999 -p "$server" -o "$out/perf.data" -- sleep "$seconds" \
  >"$out/perf-record.log" 2>&1 || { cat "$out/perf-record.log" >&2; die "perf record failed"; }
wait "$load_pid" || { cat "$out/load.log" >&2; die "sipring-load failed"; }
load_pid=""
cleanup
trap - EXIT

# --- the results --------------------------------------------------------------------------
perf script -i "$out/perf.data" 2>/dev/null >"$out/perf.script" || die "perf script failed"
python3 tools/profile/flamegraph.py collapse "$out/perf.script" -o "$out/stacks.folded"
python3 tools/profile/flamegraph.py svg "$out/stacks.folded" -o "$out/flamegraph.svg" \
  --title "sipring under '$load' ($seconds s, cpu-clock, $(date -u +%Y-%m-%dT%H:%MZ))"
rm -f "$out/perf.script"
# Self time ("--no-children") per symbol: "share%  [.] symbol  binary" ([k]: the kernel).
perf report -i "$out/perf.data" --no-children --stdio -F overhead,sym,dso -g none \
  >"$out/report.txt" 2>/dev/null || die "perf report failed"
grep -v -e '^#' -e '^$' "$out/report.txt" | sed 's/ *$//' | head -20 >"$out/top.txt" || true
echo "top 20 symbols of sipring (self time, share of samples):"
cat "$out/top.txt"
python3 - "$out/load.json" <<'PY'
import json, sys
try:
    r = json.loads(open(sys.argv[1]).read().splitlines()[-1])
except (OSError, ValueError, IndexError):
    sys.exit(0)
print("load: %.0f %s/s, server CPU %.2f us per operation"
      % (r.get("per_s", 0), "handshakes" if r.get("mode") == "handshake" else "requests",
         r.get("server", {}).get("cpu_us_per_op", 0)))
PY
echo "flame graph: $out/flamegraph.svg (open it in a browser); all results in $out"
