#!/usr/bin/env bash
# Configures (once) and builds sipring into build/ (release: -O3, NDEBUG). Prints only errors.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C build >/dev/null
