#!/usr/bin/env bash
# Configures (once) and builds sipring (release: -O3, NDEBUG). Prints only errors.
#
#   tools/build.sh                    build/, BoringSSL built from Debian's source package (the
#                                     default -Dboringssl=source; tools/install-deps.sh fetches it)
#   tools/build.sh --system [TARGET]  build-system/, Debian's shared android-libboringssl
#                                     (-Dboringssl=system); only the ninja TARGETs if given
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build boringssl=source
if [[ ${1:-} == --system ]]; then
  dir=build-system boringssl=system
  shift
fi
if [[ ! -f $dir/build.ninja ]]; then
  meson setup "$dir" --buildtype=release -Db_ndebug=true -Dboringssl=$boringssl >/dev/null
fi
ninja -C "$dir" "$@" >/dev/null
