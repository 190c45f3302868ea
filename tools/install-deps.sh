#!/usr/bin/env bash
# Installs, on Debian 12, every package sipring needs to build, test and benchmark, skipping
# those already present, then fetches the BoringSSL source that meson builds by default
# (-Dboringssl=source, crypto/boringssl/meson.build) into deps/boringssl/, skipping that too when
# it is already there (so a second run costs nothing). Used by run-demo.sh and run-tests.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ meson ninja-build pkg-config            # build
  gcc binutils                                # cc for the C example, nm/readelf for the ABI check
  liburing-dev android-libboringssl-dev libjemalloc-dev
  dpkg-dev                                    # unpacks the BoringSSL source (dpkg-source)
  libcli11-dev nlohmann-json3-dev libfmt-dev  # command lines, JSON, message formatting
  libgtest-dev libgmock-dev libbenchmark-dev  # unit tests and microbenchmarks
  clang-format                                # the tree's one format, checked by the suite
  python3 openssl                             # interop peers (Python ssl = OpenSSL 3, s_client)
  kamailio kamailio-tls-modules               # reference server for interop and benchmarks
  testssl.sh nmap                             # TLS audit of the defaults (test_tls_audit.py)
  gnutls-bin                                  # gnutls-cli: a GnuTLS peer (test_cert_selection.py)
  tshark                                      # decrypts captures with the key log (test_keylog.py)
  haproxy                                     # a real PROXY v2 sender (test_proxy_protocol.py)
  etcd-server etcd-client                     # ticket-key store (test_scale_out.py)
  prometheus-cpp-dev python3-prometheus-client prometheus  # /metrics: exporter, parser, promtool
  procps iproute2                             # pgrep/ss for the scripts
  systemtap-sdt-dev                           # <sys/sdt.h>: the USDT probes (engine/base/probes.h)
  python3-matplotlib                          # the benchmarks' charts (bench/lib/plot.py)
  bpftrace linux-perf                         # tools/trace/*.bt, tools/profile.sh (test_usdt/_profile)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts Kamailio, HAProxy, etcd and Prometheus as services on install (where
  # policy-rc.d lets it); sipring's tests start their own instances on loopback, so the system's
  # are stopped and disabled: none may hold a port or a data directory a test uses.
  for service in kamailio haproxy etcd prometheus; do
    if command -v systemctl >/dev/null 2>&1; then
      timeout 60 systemctl disable --now "$service" >/dev/null 2>&1 || true
    fi
    if [[ ! -d /run/systemd/system && -x /etc/init.d/$service ]]; then
      timeout 60 /etc/init.d/"$service" stop >/dev/null 2>&1 || true
    fi
  done
fi

# BoringSSL's source: Debian 12's source package of the installed android-libboringssl-dev (the
# same version, so both builds are the same code; Debian builds it with -DOPENSSL_SMALL, sipring
# without). apt-get source runs with a private sources list, lists and cache under
# deps/boringssl/apt (the machine's apt configuration is never read or changed) and verifies
# what it downloads as apt always does: the Release file's signature against Debian's archive
# keyring, the Sources index's hash from it, and the .dsc's hashes of the tarballs from that.
# The unpacked tree (patches applied) ends in deps/boringssl/src; deps/ is gitignored and lies
# outside every meson build dir, so removing a build dir does not cost a new download, and all
# build dirs (build, build-system, build-asan, ...) share it.
fetch_boringssl_source() {
  local dir=deps/boringssl pkg=android-platform-external-boringssl version
  version=$(dpkg-query -W -f='${source:Version}' android-libboringssl-dev)
  if [[ -f $dir/src/.sipring-version && $(<"$dir/src/.sipring-version") == "$version" ]]; then
    return 0
  fi
  echo "install-deps: fetching BoringSSL source ($pkg $version) into $dir/src" >&2
  local apt=$dir/apt
  rm -rf "$dir/src" "$dir/unpack"
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dir/unpack"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  cat >"$apt/sources.list" <<LIST
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
LIST
  local opts=(-o "Dir::Etc::SourceList=$PWD/$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$PWD/$apt/lists" -o "Dir::Cache=$PWD/$apt/cache" -qq)
  # As root apt downloads as the unprivileged _apt user, which must be able to write there.
  if [[ $(id -u) -eq 0 ]] && id _apt >/dev/null 2>&1; then
    chown _apt "$apt/lists/partial" "$apt/cache/archives/partial" "$dir/unpack"
  fi
  apt-get "${opts[@]}" update
  (cd "$dir/unpack" && apt-get "${opts[@]}" source "$pkg=$version" >/dev/null)
  local tree
  tree=$(find "$dir/unpack" -mindepth 1 -maxdepth 1 -type d -name "$pkg-*")
  if [[ ! -f $tree/debian/sources.mk ]]; then
    echo "install-deps: apt-get source $pkg=$version left no $pkg-*/debian/sources.mk" >&2
    exit 1
  fi
  mv "$tree" "$dir/src"
  echo "$version" >"$dir/src/.sipring-version"
  rm -rf "$dir/unpack"
}
fetch_boringssl_source
