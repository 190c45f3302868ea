#!/usr/bin/env bash
# Configures (once) and builds sipring (release: -O3, NDEBUG). Prints only errors.
#
#   tools/build.sh                    build/, BoringSSL built from Debian's source package (the
#                                     default -Dboringssl=source; tools/install-deps.sh fetches it)
#                                     with the instruments (the default -Dinstruments=true)
#   tools/build.sh --system [TARGET]  build-system/, Debian's shared android-libboringssl
#                                     (-Dboringssl=system) and the instruments compiled out
#                                     (-Dinstruments=false); only the ninja TARGETs if given
#
# build-system/ is the suite's second build (tools/run-tests.sh): one build covers both
# non-default options, so CI builds twice, not three times. A build-system/ configured before
# it was instruments-off is reconfigured once (meson configure), not left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build options=(-Dboringssl=source)
if [[ ${1:-} == --system ]]; then
  dir=build-system options=(-Dboringssl=system -Dinstruments=false)
  shift
fi
if [[ ! -f $dir/build.ninja ]]; then
  meson setup "$dir" --buildtype=release -Db_ndebug=true "${options[@]}" >/dev/null
elif [[ $dir == build-system ]] &&
  ! grep -q '"name": "instruments", "value": false' "$dir/meson-info/intro-buildoptions.json"; then
  meson configure "$dir" "${options[@]}" >/dev/null
fi
ninja -C "$dir" "$@" >/dev/null
