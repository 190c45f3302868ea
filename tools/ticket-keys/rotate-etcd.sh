#!/usr/bin/env bash
# rotate-etcd.sh: rotates the TLS session-ticket keys that every sipring (and HAProxy) node of a
# cluster shares, kept in etcd as one value.
#
#   rotate-etcd.sh [--endpoints URLS] [--key KEY] [--aes 128|256] [--etcdctl-arg ARG]...
#
# The value is a key file in HAProxy's tls-ticket-keys format, the format of sipring's
# modparam("tls", "ticket_key_file", PATH): one base64 line per key, each key 48 bytes
# (16-byte name, 16-byte AES-128 key, 16-byte HMAC key) or 80 bytes (16-byte name, 32-byte
# AES-256 key, 32-byte HMAC key), all keys the same size, at least 3. The second-to-last key
# encrypts new tickets; every key decrypts.
#
# One run is one rotation: with no value stored yet it stores 3 fresh random keys; otherwise it
# drops the oldest (first) key and appends a fresh one, keeping 3. So the key that starts
# encrypting (the old last one) was already on every node as a decryption key one rotation
# earlier, and a ticket stays valid for two rotation periods after it was issued: run this every
# ticket lifetime (sipring's tls session_lifetime), e.g. from cron on one host.
#
# Concurrent runs are serialized by an etcd lock (KEY.lock), so two rotators never lose a key.
# The nodes' key files are written from this value by feed-file.py (one per node, run next to
# each sipring: `etcdctl watch` -> temporary file 0600 -> rename). Key material is never printed:
# the script prints one line saying what it stored.
#
# Defaults: --endpoints http://127.0.0.1:2379, --key /sipring/tls-ticket-keys, --aes 128.
# Exit status: 0 rotated; 1 etcd failed or the stored value is not a valid key set (it is then
# left unchanged); 2 usage. Every etcdctl call is bounded (dial 2 s, command 5 s, lock 15 s).
set -euo pipefail

endpoints=http://127.0.0.1:2379
key=/sipring/tls-ticket-keys
aes=128
extra=()
locked=0
usage() {
  echo "usage: $0 [--endpoints URLS] [--key KEY] [--aes 128|256] [--etcdctl-arg ARG]..." >&2
  exit 2
}
while (($#)); do
  case "$1" in
    --endpoints) endpoints=${2:?}; shift 2 ;;
    --key) key=${2:?}; shift 2 ;;
    --aes) aes=${2:?}; shift 2 ;;
    --etcdctl-arg) extra+=("${2:?}"); shift 2 ;;
    --locked) locked=1; shift ;;  # internal: this run holds the lock (see the end)
    *) usage ;;
  esac
done
case "$aes" in 128) size=48 ;; 256) size=80 ;; *) usage ;; esac
etcdctl=(etcdctl --endpoints="$endpoints" --dial-timeout=2s --command-timeout=5s "${extra[@]}")

if ((!locked)); then
  # Re-run this script under the lock; etcdctl releases it when the command exits (or when its
  # 10 s session lapses, if this host dies while holding it).
  args=(--endpoints "$endpoints" --key "$key" --aes "$aes")
  for a in "${extra[@]}"; do args+=(--etcdctl-arg "$a"); done
  exec timeout 15 "${etcdctl[@]}" lock "$key.lock" -- "$0" "${args[@]}" --locked
fi

fresh_key() { head -c "$size" /dev/urandom | base64 -w0; echo; }

current=$(timeout 10 "${etcdctl[@]}" get "$key" --print-value-only)
keys=()
while IFS= read -r line; do
  [[ -n $line ]] && keys+=("$line")
done <<<"$current"
if ((${#keys[@]} == 0)); then
  new=$(fresh_key; fresh_key; fresh_key)
else
  for k in "${keys[@]}"; do
    n=$(printf '%s' "$k" | base64 -d 2>/dev/null | wc -c) || n=0
    if [[ $n != "$size" ]]; then
      echo "rotate-etcd: $key holds a line that is not a base64 $size-byte key" \
        "(${#keys[@]} lines); not rotating (--aes $aes?)" >&2
      exit 1
    fi
  done
  if ((${#keys[@]} < 3)); then
    echo "rotate-etcd: $key holds ${#keys[@]} keys, fewer than 3; not rotating" >&2
    exit 1
  fi
  new=$(printf '%s\n' "${keys[@]: -2}"; fresh_key)
fi
printf '%s\n' "$new" | timeout 10 "${etcdctl[@]}" put "$key" >/dev/null
echo "rotate-etcd: stored 3 keys ($size bytes each) in $key"
