#!/usr/bin/env bash
# libsipring.so's ABI check: the symbols it exports must be exactly those listed in
# engine/abi/libsipring.symbols (demangled, sorted), so an accidental ABI change fails the suite.
#
#   tools/check-abi.sh [BUILD]            check (BUILD defaults to build)
#   tools/check-abi.sh --update [BUILD]   rewrite the list after a deliberate change
#
# Prints two result lines for tools/run-tests.sh:
#   "PASS abi-symbols" when the export list matches; else FAIL with what was added and removed.
#     Whatever the list says, every exported symbol must be a sipring_* C function or of the
#     sipring:: C++ API (vtables and typeinfo of its interfaces included) in version SIPRING_0:
#     a BoringSSL, fmt, nlohmann, liburing or libstdc++ symbol fails it and --update refuses it.
#   "PASS abi-deps" when the soname is libsipring.so.0, the library needs neither jemalloc
#     (an embedder keeps its allocator) nor OpenSSL's libssl.so.3/libcrypto.so.3 (BoringSSL only),
#     and the loader finds everything it needs without LD_LIBRARY_PATH. With -Dboringssl=source
#     (BoringSSL built in, hidden) it must need no libssl/libcrypto at all and carry no RUNPATH
#     to Debian's android-libboringssl; with -Dboringssl=system it needs that library's
#     libssl.so/libcrypto.so.
#   "PASS abi-headers" when no object of the build was compiled with a header of OpenSSL 3's
#     /usr/include/openssl (ninja's recorded header dependencies): BoringSSL's headers must win.
set -uo pipefail
cd "$(dirname "$0")/.."
update=0
if [[ "${1:-}" == "--update" ]]; then
  update=1
  shift
fi
build=${1:-build}
lib=$build/libsipring.so
list=engine/abi/libsipring.symbols
for tool in nm c++filt readelf; do
  command -v "$tool" >/dev/null || { echo "SKIP abi-symbols ($tool is not installed)"; exit 0; }
done
if [[ ! -f $lib ]]; then
  echo "FAIL abi-symbols ($lib is missing: build first)"
  exit 1
fi

# "NAME@@VERSION" per defined dynamic symbol, minus the version node's own definition.
raw=$(nm -D --defined-only --with-symbol-versions "$lib" | awk '$2 != "A" {print $3}')
bad_version=$(grep -v '@@SIPRING_0$' <<<"$raw")
current=$(sed 's/@@SIPRING_0$//' <<<"$raw" | c++filt | LC_ALL=C sort -u)
foreign=$(grep -Ev '^(sipring_|sipring::|(typeinfo|typeinfo name|vtable) for sipring::)' \
  <<<"$current")

fail=0
if [[ -n $bad_version || -n $foreign ]]; then
  echo "libsipring.so exports what is not sipring's API in version SIPRING_0"
  echo "(fix engine/libsipring.map; --update does not accept these):"
  sed 's/^/  /' <<<"$bad_version$foreign" | grep -v '^  $' | head -40
  fail=1
elif ((update)); then
  mkdir -p "$(dirname "$list")"
  echo "$current" >"$list"
  echo "PASS abi-symbols ($list rewritten: $(wc -l <"$list") symbols)"
elif [[ ! -f $list ]]; then
  echo "$list is missing: tools/check-abi.sh --update writes it"
  fail=1
elif ! diff -q "$list" <(echo "$current") >/dev/null; then
  echo "libsipring.so's exported symbols differ from $list"
  echo "(- removed, + added; if the change is deliberate, run tools/check-abi.sh --update and"
  echo " commit the list; a removed or changed symbol breaks existing consumers: bump the soname):"
  diff "$list" <(echo "$current") | grep '^[<>]' | sed 's/^</  -/; s/^>/  +/'
  fail=1
fi
if ((fail)); then
  echo "FAIL abi-symbols"
else
  ((update)) || echo "PASS abi-symbols ($(wc -l <<<"$current") symbols)"
fi

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
needed=$(readelf -d "$lib" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')
deps_fail=0
if [[ $soname != libsipring.so.0 ]]; then
  echo "soname is '$soname', not libsipring.so.0"
  deps_fail=1
fi
for forbidden in libjemalloc libssl.so.3 libcrypto.so.3; do
  if [[ " $needed" == *" $forbidden"* ]]; then
    echo "libsipring.so needs $forbidden (NEEDED: $needed)"
    deps_fail=1
  fi
done
# Which BoringSSL the build uses (meson -Dboringssl; an older build dir has no such option).
boringssl=$(python3 -c 'import json, sys
opts = {o["name"]: o["value"] for o in json.load(open(sys.argv[1]))}
print(opts.get("boringssl", "system"))' "$build/meson-info/intro-buildoptions.json" 2>/dev/null)
runpath=$(readelf -d "$lib" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
case "$boringssl" in
  source)
    if [[ " $needed" == *" libssl"* || " $needed" == *" libcrypto"* || $runpath == *android* ]]; then
      echo "-Dboringssl=source: libsipring.so must carry BoringSSL itself (NEEDED: $needed;" \
        "RUNPATH: ${runpath:-none})"
      deps_fail=1
    fi ;;
  system)
    if [[ " $needed" != *" libssl.so.0"* || " $needed" != *" libcrypto.so.0"* ]]; then
      echo "-Dboringssl=system: libsipring.so must need android-libboringssl (NEEDED: $needed)"
      deps_fail=1
    fi ;;
  *)
    echo "cannot tell which BoringSSL $build uses ($build/meson-info/intro-buildoptions.json)"
    deps_fail=1 ;;
esac
# Its own DT_RUNPATH must find BoringSSL: a consumer passes no -rpath and no LD_LIBRARY_PATH.
if command -v ldd >/dev/null && ldd "$lib" | grep -q 'not found'; then
  echo "the loader cannot find what libsipring.so needs:"
  ldd "$lib" | grep 'not found'
  deps_fail=1
fi
if ((deps_fail)); then
  echo "FAIL abi-deps"
else
  echo "PASS abi-deps (soname $soname; BoringSSL: $boringssl; needs $needed)"
fi

headers_fail=0
if command -v ninja >/dev/null && [[ -f $build/build.ninja ]]; then
  openssl3=$(ninja -C "$build" -t deps 2>/dev/null | grep -c '^ */usr/include/openssl/')
  if ((openssl3 > 0)); then
    echo "$openssl3 header dependencies on OpenSSL 3's /usr/include/openssl, e.g.:"
    ninja -C "$build" -t deps | grep -B200 -m1 '^ */usr/include/openssl/' | grep -v '^ ' | tail -1
    headers_fail=1
    echo "FAIL abi-headers"
  else
    echo "PASS abi-headers (no object includes OpenSSL 3's /usr/include/openssl)"
  fi
else
  echo "SKIP abi-headers (no ninja or no $build/build.ninja)"
fi
((fail == 0 && deps_fail == 0 && headers_fail == 0))
