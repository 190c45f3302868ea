#!/usr/bin/env bash
# Runs the unit tests under AddressSanitizer + UndefinedBehaviorSanitizer and under
# ThreadSanitizer (gcc builds in build-asan/ and build-tsan/), and with --integration also the
# integration and interop tests against the ASan+UBSan daemon:
#   tools/run-sanitizers.sh [--integration]
# Prints "PASS/FAIL <sanitizer> <binary>" per binary; exits non-zero if any failed or reported.
set -uo pipefail
cd "$(dirname "$0")/.."
integration=0
[[ "${1:-}" == "--integration" ]] && integration=1
failed=0

build() {  # DIR SANITIZERS
  if [[ ! -f $1/build.ninja ]]; then
    meson setup "$1" --buildtype=debug -Db_sanitize="$2" >/dev/null || return 1
  fi
  ninja -C "$1" >/dev/null
}

run_units() {  # DIR LABEL ENV...
  local dir=$1 label=$2
  shift 2
  for t in "$dir"/tests/*_test; do
    out=$(env "$@" timeout 900 "$t" --gtest_brief=1 2>&1)
    rc=$?
    if ((rc == 0)) && ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|WARNING: ThreadSanitizer' <<<"$out"; then
      echo "PASS $label $(basename "$t")"
    else
      echo "FAIL $label $(basename "$t") (exit $rc)"
      grep -E -A8 'ERROR: |runtime error:|WARNING: ThreadSanitizer|FAILED' <<<"$out" | head -30
      failed=1
    fi
  done
}

build build-asan address,undefined || { echo "FAIL asan build"; exit 1; }
run_units build-asan asan+ubsan ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
build build-tsan thread || { echo "FAIL tsan build"; exit 1; }
run_units build-tsan tsan TSAN_OPTIONS=halt_on_error=0
if ((integration)); then
  logs=$(mktemp -d)
  ASAN_OPTIONS=detect_leaks=1:log_path=$logs/asan UBSAN_OPTIONS=print_stacktrace=1:log_path=$logs/ubsan \
    timeout 3600 python3 tests/integration/run_integration.py --build build-asan >"$logs/run.txt" 2>&1
  grep -E '^(PASS|FAIL|SKIP) ' "$logs/run.txt" | sed -E 's/^(PASS|FAIL|SKIP) /\1 asan-daemon /'
  grep -q '^FAIL ' "$logs/run.txt" && failed=1
  rm -f "$logs/run.txt"
  if compgen -G "$logs/*" >/dev/null; then
    echo "FAIL asan-daemon reports:"; head -40 "$logs"/*; failed=1
  fi
  rm -rf "$logs"
fi
exit $failed
