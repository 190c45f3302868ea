#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine: installs what is missing, builds, runs the
# unit tests (GoogleTest), the ABI check, the certificate tool's tests, the integration/interop
# tests against real peers (Python ssl, openssl s_client, Kamailio; `meson install` and the
# examples built against the installed tree among them) and the attack tests (tests/attack/),
# all on build/ (BoringSSL built from Debian's source package, the default, with the
# instruments). Then it builds everything again in build-system/ (tools/build.sh --system), the
# build of both non-default options at once: Debian's shared android-libboringssl
# (-Dboringssl=system) and the instruments compiled out (-Dinstruments=false). There it runs the
# unit tests, the ABI check, the test of which BoringSSL the daemon reports (test_tls_library)
# and the integration tests that check what an instruments-off build does (no USDT probes,
# core.instruments and /metrics empty but served, sipringctl stats saying so), their names
# prefixed "system:". Ends with "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh || exit 1
tools/build.sh || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
passed=0 failed=0 skipped=0

# Unit tests: one line per test case from each GoogleTest binary's XML report; PREFIX before
# each name says which build ran it.
run_unit_tests() {
  local dir=$1 prefix=$2 bin name rc bin_failed status case
  for bin in "$dir"/tests/*_test; do
    [[ -x "$bin" ]] || continue
    name=$prefix$(basename "$bin")
    echo "== $name"
    timeout 600 "$bin" --gtest_output="xml:$results/$name.xml" >"$results/$name.log" 2>&1
    rc=$?
    if [[ ! -s "$results/$name.xml" ]]; then
      echo "FAIL $name (exit $rc, no report)"; tail -20 "$results/$name.log"; failed=$((failed + 1)); continue
    fi
    bin_failed=0
    while read -r status case; do
      case "$status" in
        PASS) passed=$((passed + 1)) ;;
        SKIP) skipped=$((skipped + 1)); echo "SKIP $prefix$case" ;;
        *) failed=$((failed + 1)); bin_failed=1; echo "FAIL $prefix$case" ;;
      esac
    done < <(python3 - "$results/$name.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
for tc in ET.parse(sys.argv[1]).getroot().iter('testcase'):
    name = tc.get('classname') + '.' + tc.get('name')
    if tc.find('failure') is not None: print('FAIL', name)
    elif tc.get('result') == 'skipped' or tc.find('skipped') is not None: print('SKIP', name)
    else: print('PASS', name)
PY
)
    if ((rc != 0 && bin_failed == 0)); then
      # Every case passed but the binary did not exit cleanly (a crash at exit, a sanitizer).
      echo "FAIL $name (exit $rc)"; tail -20 "$results/$name.log"; failed=$((failed + 1))
    fi
  done
}
run_unit_tests build ""

# Script-driven tests print "PASS name" / "FAIL name" / "SKIP name (why)" lines.
count_lines() {
  while IFS= read -r line; do
    echo "$line"
    case "$line" in
      PASS\ *) passed=$((passed + 1)) ;;
      FAIL\ *) failed=$((failed + 1)) ;;
      SKIP\ *) skipped=$((skipped + 1)) ;;
    esac
  done
}
# The tree's one format (.clang-format), as one test.
echo "== format"
count_lines < <(tools/check-format.sh 2>&1)
# libsipring.so's exported symbols against engine/abi/libsipring.symbols, and what it links.
echo "== abi"
count_lines < <(tools/check-abi.sh build 2>&1)
echo "== sipring-certs"
count_lines < <(timeout 900 tests/integration/test_sipring_certs.sh build/tools/sipring-certs 2>&1 | grep -E '^(PASS|FAIL|SKIP) ')
echo "== integration"
count_lines < <(timeout 3600 python3 tests/integration/run_integration.py --build build 2>&1 | grep -E '^(PASS|FAIL|SKIP) ')
# Attacks (tests/attack/): each bounded to well under a minute; their "attack NAME: Pss ..."
# summary lines are shown as well.
echo "== attack"
count_lines < <(timeout 1200 python3 tests/integration/run_integration.py --build build \
  --dir tests/attack 2>&1 | grep -E '^(PASS|FAIL|SKIP) |^attack ')

# The system build: Debian's shared android-libboringssl (OPENSSL_SMALL), kept selectable, and
# the instruments compiled out: one build for both non-default options, so CI builds twice, not
# three times. Unit tests that need the instruments check their absence there instead;
# instruments off must not change the ABI (check-abi.sh).
echo "== system build (-Dboringssl=system -Dinstruments=false)"
if tools/build.sh --system; then
  run_unit_tests build-system "system:"
  count_lines < <({ tools/check-abi.sh build-system
                    timeout 600 python3 tests/integration/run_integration.py --build build-system \
                      -k test_tls_library -k test_usdt -k test_instruments -k test_metrics \
                      -k test_sipringctl_stats; } 2>&1 | grep -E '^(PASS|FAIL|SKIP) ' \
                  | sed 's/^\(PASS\|FAIL\|SKIP\) /\1 system:/')
else
  echo "FAIL system:build"; failed=$((failed + 1))
fi

echo "$skipped skipped"
echo "$passed passed, $failed failed"
((failed == 0))
