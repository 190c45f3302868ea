#!/usr/bin/env bash
# Soak: runs the attack mix of tests/attack/ again and again for MINUTES (default 10; at most
# 1440), outside the suite, then prints a summary per attack: runs, failures, the largest Pss
# peak and the largest probe p99 seen. Exits 1 if any run failed. Needs a build (tools/build.sh).
#
#   tools/run-soak.sh [MINUTES]
set -uo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
if ! [[ "$minutes" =~ ^[0-9]+$ ]] || ((minutes < 1 || minutes > 1440)); then
  echo "usage: tools/run-soak.sh [MINUTES]  (1 to 1440, default 10)" >&2
  exit 2
fi
[[ -x build/tools/sipring ]] || { echo "build/tools/sipring is missing: run tools/build.sh" >&2; exit 1; }

log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
end=$((SECONDS + minutes * 60))
round=0
# A round is the whole mix (a few minutes); the last one starts before the end and is bounded.
while ((SECONDS < end)); do
  round=$((round + 1))
  echo "== round $round ($(((end - SECONDS + 59) / 60)) min left)"
  timeout 1200 python3 tests/integration/run_integration.py --build build --dir tests/attack \
    >"$log/out.$round" 2>"$log/err.$round"
  grep -E '^(FAIL|SKIP) ' "$log/out.$round"
  grep -hE '^attack ' "$log/err.$round" | tee -a "$log/summaries"
  cat "$log/out.$round" >>"$log/results"
done

# Per test: runs and failures from the PASS/FAIL lines; per attack: Pss peak and probe p99
# (the largest over the runs) from the "attack NAME: ..." lines.
python3 - "$log/results" "$log/summaries" "$minutes" "$round" <<'PY'
import re, sys
results, summaries, minutes, rounds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
runs, fails = {}, {}
for line in open(results):
    m = re.match(r"^(PASS|FAIL|SKIP) (\S+)", line)
    if not m:
        continue
    name = m.group(2).rsplit(".", 1)[-1]
    runs[name] = runs.get(name, 0) + 1
    fails[name] = fails.get(name, 0) + (m.group(1) != "PASS")
peak, p99, count = {}, {}, {}
try:
    for line in open(summaries):
        m = re.match(r"^attack (\S+): Pss before \S+ MB peak (\S+) MB .* p99 (\S+) ms", line)
        if not m:
            continue
        name = m.group(1)
        count[name] = count.get(name, 0) + 1
        peak[name] = max(peak.get(name, 0.0), float(m.group(2)))
        p99[name] = max(p99.get(name, 0.0), float(m.group(3)))
except FileNotFoundError:
    pass
print("soak: %s min, %s rounds" % (minutes, rounds))
print("%-80s %5s %5s" % ("test", "runs", "fail"))
for name in sorted(runs):
    print("%-80s %5d %5d" % (name, runs[name], fails[name]))
print("%-32s %5s %14s %16s" % ("attack", "runs", "max Pss peak", "max probe p99"))
for name in sorted(count):
    print("%-32s %5d %11.1f MB %13.1f ms" % (name, count[name], peak[name], p99[name]))
total = sum(fails.values())
print("%d runs, %d failed" % (sum(runs.values()), total))
sys.exit(1 if total or not runs else 0)
PY
