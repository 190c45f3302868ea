#!/usr/bin/env bash
# The tree's one format (.clang-format): prints "PASS format" when clang-format would change no
# C++ file git tracks, else "FAIL format" and each file it would change, with the first lines of
# the difference. `tools/check-format.sh --fix` rewrites them instead.
set -uo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "SKIP format (clang-format is not installed)"; exit 0; }
mapfile -t files < <(git ls-files '*.cc' '*.h' | grep -v '^tests/fuzz/corpus/')
if [[ "${1:-}" == "--fix" ]]; then
  clang-format -i "${files[@]}"
  exit 0
fi
bad=0
for f in "${files[@]}"; do
  if ! diff -q "$f" <(clang-format "$f") >/dev/null; then
    ((bad == 0)) && echo "clang-format would change (run tools/check-format.sh --fix):"
    bad=$((bad + 1))
    echo "  $f"
    diff -u "$f" <(clang-format "$f") | sed -n '3,12p' | sed 's/^/    /'
  fi
done
if ((bad == 0)); then
  echo "PASS format (${#files[@]} files)"
else
  echo "FAIL format ($bad of ${#files[@]} files)"
  exit 1
fi
