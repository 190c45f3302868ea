#!/usr/bin/env bash
# Installs, on Debian 12, every package sipring needs to build, test and benchmark, skipping
# those already present (so a second run costs nothing). Used by run-demo.sh and run-tests.sh.
set -euo pipefail

packages=(
  g++ meson ninja-build pkg-config            # build
  gcc binutils                                # cc for the C example, nm/readelf for the ABI check
  liburing-dev android-libboringssl-dev libjemalloc-dev
  libcli11-dev nlohmann-json3-dev libfmt-dev  # command lines, JSON, message formatting
  libgtest-dev libgmock-dev libbenchmark-dev  # unit tests and microbenchmarks
  clang-format                                # the tree's one format, checked by the suite
  python3 openssl                             # interop peers (Python ssl = OpenSSL 3, s_client)
  kamailio kamailio-tls-modules               # reference server for interop and benchmarks
  testssl.sh nmap                             # TLS audit of the defaults (test_tls_audit.py)
  tshark                                      # decrypts captures with the key log (test_keylog.py)
  procps iproute2                             # pgrep/ss for the scripts
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts Kamailio as a service on install; sipring's tests start their own instances.
if command -v systemctl >/dev/null 2>&1; then systemctl disable --now kamailio >/dev/null 2>&1 || true; fi
