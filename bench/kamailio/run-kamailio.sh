#!/usr/bin/env bash
# Starts/stops the Kamailio 5.6 reference server used by the sipring benchmarks and lists
# its processes (Kamailio is multi-process: CPU must be summed over all of them).
#
# Usage:
#   run-kamailio.sh start CERT KEY CA [PORT] [CPU]   start pinned to CPU (default 0)
#   run-kamailio.sh pids  [CERT KEY CA] [PORT]        print every PID, one per line
#   run-kamailio.sh stop  [CERT KEY CA] [PORT]        stop it and everything it forked
# (pids/stop also accept just PORT; PORT defaults to 5071.)
#
# Environment (optional):
#   KAM_RUN_DIR       run directory (default ${TMPDIR:-/tmp}/sipring-kamailio.PORT)
#   KAM_SHM_MB        shared memory in MiB (default 1024; sized for 10k TLS connections)
#   KAM_PKG_MB        private memory per process in MiB (default 64)
#   KAM_TCP_CHILDREN  TCP/TLS reader processes (default 1)
#   KAM_MEM_MANAGER   shm/pkg allocator (default tlsf; Kamailio's own default qm is a
#                     first-fit allocator whose cost grows with live TLS connections)
#   KAM_CTL=1         also load ctl+kex (diagnostics: one more process); then
#                     kamcmd -s unix:RUN_DIR/kamailio_ctl core.shmmem
#   KAM_START_TIMEOUT seconds to wait for the port (default 15)
#
# The run directory holds: kamailio.cfg's generated tls.cfg, kamailio.log (stderr),
# main.pid (the attendant process, parent of all others) and pids (all PIDs at start).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly KAMAILIO_BIN="${KAMAILIO_BIN:-/usr/sbin/kamailio}"

die() { echo "run-kamailio.sh: $*" >&2; exit 1; }

usage() {
  sed -n '5,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# Prints the run directory for a port.
run_dir_for() { echo "${KAM_RUN_DIR:-${TMPDIR:-/tmp}/sipring-kamailio.$1}"; }

# True if something listens on TCP 127.0.0.1:$1 (read from /proc, so no probe connection
# lands in the server's accounting).
port_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 }
                    END { exit !f }' /proc/net/tcp
}

# True if PID $1 exists and is not a zombie (killed workers orphaned by a dead main process
# linger as zombies until init reaps them).
alive() {
  local st
  st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null) || return 1
  [[ $st != " Z"* ]]
}

# Prints the main PID followed by its live descendants (Kamailio forks all workers from
# the main process; the scan is recursive anyway).
list_pids() {
  local main=$1 frontier=("$1") next pid
  echo "$main"
  while ((${#frontier[@]})); do
    next=()
    for pid in "${frontier[@]}"; do
      # ps --ppid selects by parent PID, never by name.
      while read -r child; do
        [[ -n $child ]] || continue
        echo "$child"
        next+=("$child")
      done < <(ps -o pid= --ppid "$pid" 2>/dev/null | tr -d ' ')
    done
    frontier=("${next[@]+"${next[@]}"}")
  done
}

read_main_pid() {
  local dir=$1
  [[ -s $dir/main.pid ]] || return 1
  local pid
  pid=$(<"$dir/main.pid")
  alive "$pid" || return 1
  # Guard against PID reuse: the PID must still be a kamailio binary.
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$(readlink -f "$KAMAILIO_BIN")" ]] || return 1
  echo "$pid"
}

cmd_start() {
  (($# >= 3)) || usage
  local cert key ca port cpu
  cert=$(readlink -f "$1") key=$(readlink -f "$2") ca=$(readlink -f "$3")
  port=${4:-5071} cpu=${5:-0}
  for f in "$cert" "$key" "$ca"; do [[ -r $f ]] || die "cannot read $f"; done
  [[ $port =~ ^[0-9]+$ ]] || die "bad port '$port'"
  [[ $cpu =~ ^[0-9]+$ ]] || die "bad cpu '$cpu'"

  local dir
  dir=$(run_dir_for "$port")
  if read_main_pid "$dir" >/dev/null; then die "already running (run dir $dir)"; fi
  port_listening "$port" && die "port $port is already in use"
  mkdir -p "$dir"
  rm -f "$dir/main.pid" "$dir/pids" "$dir/kamailio.pid"

  sed -e "s#@CERT@#$cert#g" -e "s#@KEY@#$key#g" -e "s#@CA@#$ca#g" \
    "$SCRIPT_DIR/tls.cfg" >"$dir/tls.cfg"

  # 10k connections need ~10k fds in tcp_main. Kamailio sets open_files_limit itself but
  # aborts if that exceeds the hard limit without CAP_SYS_RESOURCE: ask for the hard limit
  # (capped at 65536) and make it the soft limit here too.
  local nofile
  nofile=$(ulimit -Hn)
  [[ $nofile == unlimited || $nofile -gt 65536 ]] && nofile=65536
  ulimit -n "$nofile" 2>/dev/null || true
  ((nofile >= 10240)) || echo "run-kamailio.sh: warning: fd hard limit $nofile < 10240" >&2

  local -a args=(
    -f "$SCRIPT_DIR/kamailio.cfg"
    -DD -E                       # stay in the foreground, log to stderr
    --atexit=no                  # libssl atexit handlers touch freed shm on exit
    -Y "$dir" -w "$dir" -P "$dir/kamailio.pid"
    -m "${KAM_SHM_MB:-1024}" -M "${KAM_PKG_MB:-64}"
    -A "KAM_PORT=$port"
    -A "TLS_CONFIG=\"$dir/tls.cfg\""
    -A "TCP_CHILDREN=${KAM_TCP_CHILDREN:-1}"
    -A "OPEN_FILES=$nofile"
  )
  args+=(-x "${KAM_MEM_MANAGER:-tlsf}")
  [[ ${KAM_CTL:-0} == 1 ]] && args+=(-A WITH_CTL -A "CTL_SOCKET=\"unix:$dir/kamailio_ctl\"")

  taskset -c "$cpu" "$KAMAILIO_BIN" "${args[@]}" </dev/null >"$dir/kamailio.log" 2>&1 &
  local main=$!
  echo "$main" >"$dir/main.pid"

  # Ready = port listening and the process set unchanged for 3 consecutive polls (the
  # socket is bound before the workers are forked).
  local deadline=$((SECONDS + ${KAM_START_TIMEOUT:-15})) prev="" cur stable=0
  while ((SECONDS < deadline)); do
    alive "$main" || { cat "$dir/kamailio.log" >&2; die "kamailio exited during start"; }
    if port_listening "$port"; then
      cur=$(list_pids "$main" | sort -n | tr '\n' ' ')
      if [[ $cur == "$prev" ]]; then
        stable=$((stable + 1))
        ((stable >= 3)) && break
      else
        stable=0 prev=$cur
      fi
    fi
    sleep 0.2
  done
  if ((stable < 3)); then
    tail -n 20 "$dir/kamailio.log" >&2
    cmd_stop "$port"
    die "kamailio not ready on port $port within ${KAM_START_TIMEOUT:-15}s"
  fi
  list_pids "$main" >"$dir/pids"
  echo "kamailio started: port $port, cpu $cpu, main pid $main," \
    "$(wc -l <"$dir/pids") processes, run dir $dir" >&2
}

# Extracts PORT from "[CERT KEY CA] [PORT]".
port_arg() {
  if (($# >= 4)); then echo "$4"; elif (($# == 1)); then echo "$1"; else echo 5071; fi
}

cmd_pids() {
  local dir main
  dir=$(run_dir_for "$(port_arg "$@")")
  main=$(read_main_pid "$dir") || die "not running (run dir $dir)"
  list_pids "$main"
}

cmd_stop() {
  local dir main pid
  dir=$(run_dir_for "$(port_arg "$@")")
  local -a pids=()
  if main=$(read_main_pid "$dir"); then
    mapfile -t pids < <(list_pids "$main")
  fi
  # Also the PIDs recorded at start, in case the main process is already gone; only those
  # that still run the kamailio binary (PIDs may have been reused).
  if [[ -s $dir/pids ]]; then
    while read -r pid; do
      [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$(readlink -f "$KAMAILIO_BIN")" ]] &&
        pids+=("$pid")
    done <"$dir/pids"
  fi
  if ((${#pids[@]} == 0)); then
    echo "kamailio not running (run dir $dir)" >&2
    rm -f "$dir/main.pid" "$dir/pids"
    return 0
  fi
  mapfile -t pids < <(printf '%s\n' "${pids[@]}" | sort -un)

  # SIGTERM to the main process makes it terminate its workers (orphaned workers get it
  # directly); give them 5 s, then SIGKILL whatever is left of the recorded set.
  if [[ -n ${main:-} ]]; then
    kill -TERM "$main" 2>/dev/null || true
  else
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  fi
  # wait_gone: up to 5 s for every recorded process to exit; sets left=1 if any is still alive.
  local left=1
  wait_gone() {
    local deadline=$((SECONDS + 5))
    while ((SECONDS < deadline)); do
      left=0
      for pid in "${pids[@]}"; do alive "$pid" && left=1; done
      ((left)) || return 0
      sleep 0.1
    done
  }
  wait_gone
  for pid in "${pids[@]}"; do
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
  done
  wait_gone
  ((left == 0)) || echo "run-kamailio.sh: warning: some kamailio processes survived SIGKILL" >&2
  # Reap the main process if it is our child (same shell); bounded by the kills above.
  if [[ -n ${main:-} ]]; then wait "$main" 2>/dev/null || true; fi
  rm -f "$dir/main.pid" "$dir/pids"
  echo "kamailio stopped (${#pids[@]} processes)" >&2
}

(($# >= 1)) || usage
action=$1
shift
case $action in
  start) cmd_start "$@" ;;
  stop) cmd_stop "$@" ;;
  pids) cmd_pids "$@" ;;
  *) usage ;;
esac
