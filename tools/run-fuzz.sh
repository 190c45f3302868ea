#!/usr/bin/env bash
# Fuzzes sipring's parsers of untrusted input with libFuzzer (clang, ASan + UBSan):
#   tools/run-fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
# Targets: sip_framer (framing must not depend on how the stream is cut), record_tls13 (the
# in-place TLS 1.3 record layer opening what a keyed peer seals or forges), sip_response (the
# 200/400 built from a peer's request is one well-framed message), config_text and
# tls_domains (any text: a config or an error, never a crash), json (control socket requests:
# parse, dispatch, reply), cert (RFC 5922 name check and certificate facts on peer-chosen DER),
# ocsp (a server's OCSP staple: parse and check), proxy_header (the PROXY protocol v1/v2 header a
# balancer sends first: parse, refuse, round-trip).
# Each runs from the seeds in tests/fuzz/corpus/<target> (copied to build-fuzz/corpus: new inputs
# stay out of the tree).
# Exits non-zero if any target crashes; the crashing input is left in build-fuzz/.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(sip_framer record_tls13 sip_response config_text tls_domains json cert ocsp
                             proxy_header)
command -v clang++ >/dev/null || { echo "run-fuzz: clang++ is needed (apt-get install clang)"; exit 2; }
if [[ ! -f build-fuzz/build.ninja ]]; then
  CXX=clang++ meson setup build-fuzz --buildtype=debugoptimized -Dfuzz=true \
    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || exit 1
fi
ninja -C build-fuzz $(printf 'tests/fuzz/%s_fuzz ' "${targets[@]}") >/dev/null || exit 1
failed=0
for t in "${targets[@]}"; do
  mkdir -p "build-fuzz/corpus/$t"
  cp -n tests/fuzz/corpus/"$t"/* "build-fuzz/corpus/$t/" 2>/dev/null
  dict=()
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict="$PWD/tests/fuzz/$t.dict")
  log="build-fuzz/$t.log"
  (cd build-fuzz && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "./tests/fuzz/${t}_fuzz" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    "${dict[@]}" "corpus/$t") >"$log" 2>&1
  rc=$?
  runs=$(grep -oE 'Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' || echo 0)
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
  if ((rc == 0)); then
    echo "PASS fuzz $t: ${runs} runs in ${seconds} s, ${cov}, no crash"
  else
    echo "FAIL fuzz $t (exit $rc): see $log"; grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5
    failed=1
  fi
done
exit $failed
