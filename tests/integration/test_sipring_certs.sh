#!/usr/bin/env bash
# Integration test for tools/sipring-certs.
#
# Every file the tool writes is checked with the OpenSSL 3 command line, an implementation
# independent of the BoringSSL the tool is built on, so a bug shared by writer and reader cannot
# hide. Usage: test_sipring_certs.sh PATH/TO/sipring-certs
# Prints "PASS name" or "FAIL name" per test (with the test's log after a FAIL) and exits
# non-zero if any test failed.
set -u

BIN=${1:?usage: $0 PATH/TO/sipring-certs}
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
if [[ ! -x $BIN ]]; then
  echo "FAIL setup: $BIN is not executable"
  exit 1
fi
if ! openssl version | grep -q '^OpenSSL 3'; then
  echo "FAIL setup: the OpenSSL 3 command line is needed as the independent checker"
  exit 1
fi

WORK=$(mktemp -d /tmp/sipring-certs-test.XXXXXX)
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Runs test function $1 in a subshell with errexit. Not inside `if`, where bash would
# silently disable errexit for the whole function.
run_test() {
  local name=$1 log="$WORK/$1.log" rc
  (
    set -e
    trap stop_s_server EXIT  # a failed TLS test must not leave its server running
    cd "$WORK"
    "$name"
  ) >"$log" 2>&1
  rc=$?
  if [[ $rc -eq 0 ]]; then
    echo "PASS $name"
  else
    echo "FAIL $name"
    sed 's/^/    /' "$log"
  fi
}

# --- assertion helpers (each returns non-zero with a message, tripping errexit) ---------------

fail() {
  echo "assertion failed: $*" >&2
  return 1
}

assert_eq() {  # expected actual what
  [[ $1 == "$2" ]] || fail "$3: expected '$1', got '$2'"
}

assert_contains() {  # haystack needle what
  [[ $1 == *"$2"* ]] || fail "$3: '$2' not found in: $1"
}

assert_not_contains() {  # haystack needle what
  [[ $1 != *"$2"* ]] || fail "$3: '$2' unexpectedly found in: $1"
}

assert_mode() {  # mode file
  assert_eq "$1" "$(stat -c %a "$2")" "mode of $2"
}

# Runs a command that must fail; its stderr is kept in $ERR for further checks.
ERR=
expect_failure() {
  local rc=0
  "$@" 2>"$WORK/stderr.txt" >/dev/null || rc=$?
  ERR=$(cat "$WORK/stderr.txt")
  [[ $rc -ne 0 ]] || fail "expected failure of: $*"
  echo "failed as expected (exit $rc): $ERR"
}

# Prints the exit status of a command without tripping errexit.
exit_status() {
  local rc=0
  "$@" >/dev/null 2>&1 || rc=$?
  echo "$rc"
}

# Field $1 of tab-separated line $2; unlike `read`, cut keeps empty fields.
field() { cut -f"$1" <<<"$2"; }

text_of() { openssl x509 -in "$1" -noout -text; }

# The text that follows line "$2" in `openssl x509 -text` output $1 (an extension's value).
ext_value() { grep -A1 -- "$2" <<<"$1" | tail -n1 | sed 's/^ *//'; }

make_ca() {  # dir [extra ca options]
  local dir=$1
  shift
  "$BIN" ca --dir "$dir" "$@" >/dev/null
}

# --- ca ------------------------------------------------------------------------------------

ca_writes_layout_with_key_0600_and_cert_0644() {
  make_ca ca
  assert_mode 644 ca/cacert.pem
  assert_mode 600 ca/private/cakey.pem
  assert_mode 700 ca/private
  assert_eq "01" "$(cat ca/serial)" "first serial"
  assert_eq "01" "$(cat ca/crlnumber)" "first CRL number"
  [[ -f ca/index.txt && ! -s ca/index.txt ]] || fail "index.txt must exist and be empty"
}

ca_cert_is_self_signed_critical_ca_with_certsign_crlsign_and_skid() {
  make_ca ca
  openssl verify -CAfile ca/cacert.pem ca/cacert.pem
  local text
  text=$(text_of ca/cacert.pem)
  assert_contains "$text" "X509v3 Basic Constraints: critical" "basicConstraints critical"
  assert_contains "$(ext_value "$text" "Basic Constraints")" "CA:TRUE" "CA flag"
  assert_contains "$text" "X509v3 Key Usage: critical" "keyUsage critical"
  assert_eq "Certificate Sign, CRL Sign" "$(ext_value "$text" "X509v3 Key Usage")" "keyUsage"
  assert_contains "$text" "X509v3 Subject Key Identifier" "SKID"
  assert_contains "$text" "Signature Algorithm: ecdsa-with-SHA256" "signature algorithm"
}

ca_default_key_is_ecdsa_p256() {
  make_ca ca
  local text
  text=$(openssl pkey -in ca/private/cakey.pem -noout -text)
  assert_contains "$text" "ASN1 OID: prime256v1" "curve"
  openssl x509 -in ca/cacert.pem -noout -checkend 0
}

ca_rsa_option_makes_rsa_key_of_requested_size() {
  make_ca ca --rsa 3072
  assert_contains "$(text_of ca/cacert.pem)" "Public-Key: (3072 bit)" "RSA size"
  assert_contains "$(text_of ca/cacert.pem)" "sha256WithRSAEncryption" "signature algorithm"
  openssl rsa -in ca/private/cakey.pem -check -noout
}

ca_cn_org_and_days_are_applied() {
  make_ca ca --cn "Test Root" --org "Example Org" --days 20
  assert_eq "subject=O = Example Org, CN = Test Root" \
    "$(openssl x509 -in ca/cacert.pem -noout -subject)" "subject"
  openssl x509 -in ca/cacert.pem -noout -checkend $((19 * 86400))
  expect_failure openssl x509 -in ca/cacert.pem -noout -checkend $((21 * 86400))
}

ca_refuses_to_overwrite_existing_ca_without_force() {
  make_ca ca
  local before
  before=$(sha256sum ca/cacert.pem ca/private/cakey.pem)
  expect_failure "$BIN" ca --dir ca
  assert_contains "$ERR" "ca/cacert.pem" "error names the file"
  assert_contains "$ERR" "--force" "error says how to proceed"
  assert_eq "$before" "$(sha256sum ca/cacert.pem ca/private/cakey.pem)" "CA files unchanged"
  assert_eq "" "$(find ca -name '*.tmp.*')" "no temporary files left behind"
}

ca_force_replaces_existing_ca() {
  make_ca ca
  local before
  before=$(sha256sum <ca/cacert.pem)
  make_ca ca --force
  [[ $before != "$(sha256sum <ca/cacert.pem)" ]] || fail "CA certificate was not replaced"
  openssl verify -CAfile ca/cacert.pem ca/cacert.pem
}

# --- server / client ------------------------------------------------------------------------

server_cert_verifies_against_ca_for_sslserver_purpose() {
  make_ca ca
  "$BIN" server --dir ca --cn sip.example.com
  openssl verify -CAfile ca/cacert.pem -purpose sslserver ca/sip.example.com-cert.pem
  assert_mode 644 ca/sip.example.com-cert.pem
  assert_mode 600 ca/sip.example.com-key.pem
}

server_cert_has_serverauth_eku_keyusage_and_given_sans() {
  make_ca ca
  "$BIN" server --dir ca --cn sip.example.com \
    --san DNS:sip.example.com,IP:192.0.2.7,URI:sip:example.com,IP:2001:db8::1
  local text
  text=$(text_of ca/sip.example.com-cert.pem)
  assert_eq "TLS Web Server Authentication" "$(ext_value "$text" "Extended Key Usage")" "EKU"
  assert_eq "Digital Signature" "$(ext_value "$text" "X509v3 Key Usage")" "keyUsage (ECDSA)"
  assert_eq "DNS:sip.example.com, IP Address:192.0.2.7, URI:sip:example.com, IP Address:2001:DB8:0:0:0:0:0:1" \
    "$(ext_value "$text" "Subject Alternative Name")" "SAN"
  assert_contains "$(ext_value "$text" "Basic Constraints")" "CA:FALSE" "not a CA"
  assert_eq "subject=O = sipring, CN = sip.example.com" \
    "$(openssl x509 -in ca/sip.example.com-cert.pem -noout -subject)" "subject copies CA's O"
}

server_default_san_is_dns_cn_or_ip_cn() {
  make_ca ca
  "$BIN" server --dir ca --cn proxy.example.net
  "$BIN" server --dir ca --cn 198.51.100.5
  assert_eq "DNS:proxy.example.net" \
    "$(ext_value "$(text_of ca/proxy.example.net-cert.pem)" "Subject Alternative Name")" "DNS"
  assert_eq "IP Address:198.51.100.5" \
    "$(ext_value "$(text_of ca/198.51.100.5-cert.pem)" "Subject Alternative Name")" "IP"
  openssl verify -CAfile ca/cacert.pem -verify_ip 198.51.100.5 ca/198.51.100.5-cert.pem
}

server_akid_matches_ca_skid() {
  make_ca ca
  "$BIN" server --dir ca --cn a.example
  local skid akid
  skid=$(ext_value "$(text_of ca/cacert.pem)" "Subject Key Identifier")
  akid=$(ext_value "$(text_of ca/a.example-cert.pem)" "Authority Key Identifier")
  [[ -n $skid ]] || fail "CA has no SKID"
  assert_eq "$skid" "${akid#keyid:}" "AKID"
}

server_key_matches_cert() {
  make_ca ca
  "$BIN" server --dir ca --cn a.example
  assert_eq "$(openssl x509 -in ca/a.example-cert.pem -noout -pubkey)" \
    "$(openssl pkey -in ca/a.example-key.pem -pubout)" "public key of key file"
  assert_contains "$(head -1 ca/a.example-key.pem)" "BEGIN PRIVATE KEY" "PKCS#8 key"
}

server_serials_increment_and_index_records_each_cert() {
  make_ca ca
  "$BIN" server --dir ca --cn one.example
  "$BIN" server --dir ca --cn two.example
  "$BIN" client --dir ca --cn three
  assert_eq "serial=01" "$(openssl x509 -in ca/one.example-cert.pem -noout -serial)" "1st"
  assert_eq "serial=02" "$(openssl x509 -in ca/two.example-cert.pem -noout -serial)" "2nd"
  assert_eq "serial=03" "$(openssl x509 -in ca/three-cert.pem -noout -serial)" "3rd"
  assert_eq "04" "$(cat ca/serial)" "next serial"
  assert_eq "3" "$(wc -l <ca/index.txt)" "index lines"
  local line expiry
  line=$(sed -n 2p ca/index.txt)
  assert_eq "V" "$(field 1 "$line")" "status"
  assert_eq "" "$(field 3 "$line")" "revocation time of a valid cert"
  assert_eq "02" "$(field 4 "$line")" "serial"
  assert_eq "/O=sipring/CN=two.example" "$(field 6 "$line")" "subject"
  expiry=$(field 2 "$line")
  # The expiry column is the certificate's notAfter.
  assert_eq "notAfter=$(date -u -d "20${expiry:0:2}-${expiry:2:2}-${expiry:4:2} ${expiry:6:2}:${expiry:8:2}:${expiry:10:2}" '+%b %e %H:%M:%S %Y GMT')" \
    "$(openssl x509 -in ca/two.example-cert.pem -noout -enddate)" "expiry column"
}

server_rsa_key_adds_keyencipherment() {
  make_ca ca
  "$BIN" server --dir ca --cn rsa.example --rsa 2048
  local text
  text=$(text_of ca/rsa.example-cert.pem)
  assert_contains "$text" "Public-Key: (2048 bit)" "RSA size"
  assert_eq "Digital Signature, Key Encipherment" "$(ext_value "$text" "X509v3 Key Usage")" \
    "keyUsage (RSA)"
  openssl verify -CAfile ca/cacert.pem -purpose sslserver ca/rsa.example-cert.pem
}

server_days_sets_validity() {
  make_ca ca
  "$BIN" server --dir ca --cn a.example --days 10
  openssl x509 -in ca/a.example-cert.pem -noout -checkend $((9 * 86400))
  expect_failure openssl x509 -in ca/a.example-cert.pem -noout -checkend $((11 * 86400))
}

server_out_prefix_names_output_files() {
  make_ca ca
  mkdir out
  "$BIN" server --dir ca --cn a.example --out out/sip1
  [[ -f out/sip1-cert.pem && -f out/sip1-key.pem ]] || fail "outputs not at --out prefix"
  openssl verify -CAfile ca/cacert.pem out/sip1-cert.pem
  expect_failure "$BIN" server --dir ca --cn b.example --out nodir/sip2
  assert_contains "$ERR" "nodir" "missing output directory named"
  assert_eq "02" "$(cat ca/serial)" "failed run must not use a serial"
}

server_refuses_to_overwrite_outputs_and_keeps_serial() {
  make_ca ca
  "$BIN" server --dir ca --cn a.example
  local before
  before=$(sha256sum ca/a.example-cert.pem ca/a.example-key.pem)
  expect_failure "$BIN" server --dir ca --cn a.example
  assert_contains "$ERR" "ca/a.example-cert.pem" "error names the file"
  assert_eq "$before" "$(sha256sum ca/a.example-cert.pem ca/a.example-key.pem)" "unchanged"
  assert_eq "02" "$(cat ca/serial)" "refused run must not use a serial"
  assert_eq "1" "$(wc -l <ca/index.txt)" "refused run must not touch the index"
  "$BIN" server --dir ca --cn a.example --force
  assert_eq "serial=02" "$(openssl x509 -in ca/a.example-cert.pem -noout -serial)" "reissued"
}

client_cert_has_clientauth_and_is_not_a_server_cert() {
  make_ca ca
  "$BIN" client --dir ca --cn alice
  local text
  text=$(text_of ca/alice-cert.pem)
  assert_eq "TLS Web Client Authentication" "$(ext_value "$text" "Extended Key Usage")" "EKU"
  openssl verify -CAfile ca/cacert.pem -purpose sslclient ca/alice-cert.pem
  expect_failure openssl verify -CAfile ca/cacert.pem -purpose sslserver ca/alice-cert.pem
}

encrypted_key_opens_only_with_its_password() {
  make_ca ca
  "$BIN" server --dir ca --cn a.example --key-password 's3cret pass'
  assert_mode 600 ca/a.example-key.pem
  assert_contains "$(head -1 ca/a.example-key.pem)" "BEGIN ENCRYPTED PRIVATE KEY" "PEM type"
  local parsed
  parsed=$(openssl asn1parse -in ca/a.example-key.pem)
  assert_contains "$parsed" ":PBES2" "scheme"
  assert_contains "$parsed" ":aes-256-cbc" "cipher"
  assert_eq "$(openssl x509 -in ca/a.example-cert.pem -noout -pubkey)" \
    "$(openssl pkey -in ca/a.example-key.pem -passin 'pass:s3cret pass' -pubout)" "decrypted key"
  expect_failure openssl pkey -in ca/a.example-key.pem -passin pass:wrong -noout
  expect_failure openssl pkey -in ca/a.example-key.pem -passin pass: -noout
}

expired_cert_fails_verification() {
  make_ca ca
  "$BIN" server --dir ca --cn old.example --not-before 20200101000000Z \
    --not-after 20210101000000Z
  assert_eq "notAfter=Jan  1 00:00:00 2021 GMT" \
    "$(openssl x509 -in ca/old.example-cert.pem -noout -enddate)" "notAfter"
  local out
  out=$(openssl verify -CAfile ca/cacert.pem ca/old.example-cert.pem 2>&1) && fail "verified: $out"
  assert_contains "$out" "certificate has expired" "verify error"
}

not_yet_valid_cert_fails_verification() {
  make_ca ca
  "$BIN" server --dir ca --cn future.example --not-before 20400101000000Z \
    --not-after 20410101000000Z
  local out
  out=$(openssl verify -CAfile ca/cacert.pem ca/future.example-cert.pem 2>&1) &&
    fail "verified: $out"
  assert_contains "$out" "certificate is not yet valid" "verify error"
}

invalid_validity_and_san_are_rejected_with_clear_errors() {
  make_ca ca
  expect_failure "$BIN" server --dir ca --cn a.example --not-before 20230230000000Z
  assert_contains "$ERR" "20230230000000Z" "bad date named"
  expect_failure "$BIN" server --dir ca --cn a.example --not-before 20250101000000Z \
    --not-after 20240101000000Z
  assert_contains "$ERR" "--not-after" "inverted period"
  expect_failure "$BIN" server --dir ca --cn a.example --san FOO:bar
  assert_contains "$ERR" "FOO:bar" "bad SAN named"
  expect_failure "$BIN" server --dir ca --cn a.example --san IP:300.1.1.1
  assert_contains "$ERR" "IP:300.1.1.1" "bad IP named"
  assert_eq "01" "$(cat ca/serial)" "failed runs must not use a serial"
  [[ ! -e ca/a.example-cert.pem ]] || fail "no certificate may be written"
}

# --- revoke / crl ---------------------------------------------------------------------------

revoke_marks_index_entry_r_with_time() {
  make_ca ca
  "$BIN" server --dir ca --cn good.example
  "$BIN" server --dir ca --cn bad.example
  "$BIN" revoke --dir ca ca/bad.example-cert.pem
  local line revoked
  line=$(sed -n 2p ca/index.txt)
  assert_eq "R" "$(field 1 "$line")" "status of revoked"
  assert_eq "02" "$(field 4 "$line")" "serial of revoked"
  revoked=$(field 3 "$line")
  [[ $revoked =~ ^[0-9]{12}Z$ ]] || fail "revocation time '$revoked' is not YYMMDDHHMMSSZ"
  assert_eq "V" "$(field 1 "$(sed -n 1p ca/index.txt)")" "other cert still valid"
}

revoke_rejects_repeat_and_foreign_certificates() {
  make_ca ca
  make_ca other
  "$BIN" server --dir ca --cn a.example
  "$BIN" server --dir other --cn b.example
  "$BIN" revoke --dir ca ca/a.example-cert.pem
  expect_failure "$BIN" revoke --dir ca ca/a.example-cert.pem
  assert_contains "$ERR" "already revoked" "repeat revoke"
  expect_failure "$BIN" revoke --dir ca other/b.example-cert.pem
  assert_contains "$ERR" "other/b.example-cert.pem" "foreign cert named"
  assert_contains "$ERR" "not issued by" "foreign cert reason"
}

crl_lists_revoked_serials_with_crl_number_signed_by_ca() {
  make_ca ca
  "$BIN" server --dir ca --cn good.example
  "$BIN" server --dir ca --cn bad.example
  "$BIN" revoke --dir ca ca/bad.example-cert.pem
  "$BIN" crl --dir ca --out crl.pem
  assert_mode 644 crl.pem
  local text
  text=$(openssl crl -in crl.pem -noout -text)
  assert_contains "$text" "Serial Number: 02" "revoked serial listed"
  assert_not_contains "$text" "Serial Number: 01" "valid serial not listed"
  assert_contains "$text" "X509v3 CRL Number" "crlNumber extension"
  assert_eq "1" "$(ext_value "$text" "X509v3 CRL Number")" "CRL number"
  assert_contains "$text" "Version 2" "CRL version"
  assert_contains "$(openssl crl -in crl.pem -noout -CAfile ca/cacert.pem 2>&1)" "verify OK" \
    "CRL signature"
  assert_eq "02" "$(cat ca/crlnumber)" "next CRL number"
  "$BIN" crl --dir ca --out crl.pem --force --days 7
  assert_eq "2" "$(ext_value "$(openssl crl -in crl.pem -noout -text)" "X509v3 CRL Number")" \
    "second CRL number"
}

crl_check_rejects_revoked_and_accepts_valid_cert() {
  make_ca ca
  "$BIN" server --dir ca --cn good.example
  "$BIN" server --dir ca --cn bad.example
  "$BIN" revoke --dir ca ca/bad.example-cert.pem
  "$BIN" crl --dir ca --out crl.pem
  openssl verify -crl_check -CAfile ca/cacert.pem -CRLfile crl.pem ca/good.example-cert.pem
  local out
  out=$(openssl verify -crl_check -CAfile ca/cacert.pem -CRLfile crl.pem \
    ca/bad.example-cert.pem 2>&1) && fail "revoked cert verified: $out"
  assert_contains "$out" "certificate revoked" "verify error"
}

crl_refuses_to_overwrite_without_force() {
  make_ca ca
  "$BIN" crl --dir ca --out crl.pem
  expect_failure "$BIN" crl --dir ca --out crl.pem
  assert_contains "$ERR" "crl.pem" "error names the file"
  assert_eq "02" "$(cat ca/crlnumber)" "refused run must not use a CRL number"
}

# The CA directory keeps the `openssl ca` formats, so the manual's commands still work on it.
index_interoperates_with_openssl_ca() {
  make_ca ca
  "$BIN" server --dir ca --cn a.example
  "$BIN" server --dir ca --cn b.example
  cat >ca.cnf <<EOF
[ ca ]
default_ca = CA_default
[ CA_default ]
dir = $WORK/ca
database = \$dir/index.txt
certificate = \$dir/cacert.pem
private_key = \$dir/private/cakey.pem
crlnumber = \$dir/crlnumber
default_md = sha256
default_crl_days = 30
EOF
  # OpenSSL revokes in our index, and our crl command reads its entry...
  openssl ca -config ca.cnf -revoke ca/a.example-cert.pem -crl_reason keyCompromise
  assert_eq "R" "$(field 1 "$(sed -n 1p ca/index.txt)")" "openssl ca marked it"
  "$BIN" crl --dir ca --out ours.pem
  assert_contains "$(openssl crl -in ours.pem -noout -text)" "Serial Number: 01" "our CRL"
  # ...and we revoke, and openssl's CRL generation reads ours.
  "$BIN" revoke --dir ca ca/b.example-cert.pem
  openssl ca -config ca.cnf -gencrl -out theirs.pem
  local text
  text=$(openssl crl -in theirs.pem -noout -text)
  assert_contains "$text" "Serial Number: 01" "openssl's CRL lists its revocation"
  assert_contains "$text" "Serial Number: 02" "openssl's CRL lists ours"
}

# --- print ----------------------------------------------------------------------------------

print_shows_names_serial_validity_sans_key_and_fingerprint() {
  make_ca ca --cn "Print CA"
  "$BIN" server --dir ca --cn p.example --san DNS:p.example,IP:10.0.0.1,URI:sip:p.example
  local out
  out=$("$BIN" print ca/p.example-cert.pem)
  echo "$out"
  assert_contains "$out" "subject: CN=p.example,O=sipring" "subject"
  assert_contains "$out" "issuer: CN=Print CA,O=sipring" "issuer"
  assert_contains "$out" "serial: 01" "serial"
  assert_contains "$out" "san: DNS:p.example, IP:10.0.0.1, URI:sip:p.example" "SANs"
  assert_contains "$out" "key: EC P-256" "key type"
  assert_contains "$out" "status: valid now" "status"
  local end fp
  end=$(openssl x509 -in ca/p.example-cert.pem -noout -enddate)
  assert_contains "$out" "not after: ${end#notAfter=}" "not after"
  fp=$(openssl x509 -in ca/p.example-cert.pem -noout -fingerprint -sha256)
  assert_contains "$out" "sha256: ${fp#*=}" "fingerprint matches openssl's"
  "$BIN" server --dir ca --cn r.example --rsa 2048 --not-before 20200101000000Z \
    --not-after 20210101000000Z
  out=$("$BIN" print ca/r.example-cert.pem)
  assert_contains "$out" "key: RSA 2048 bits" "RSA key type"
  assert_contains "$out" "status: expired" "expired status"
}

print_reports_unreadable_file() {
  echo "not a certificate" >junk.pem
  expect_failure "$BIN" print junk.pem
  assert_contains "$ERR" "junk.pem" "error names the file"
  expect_failure "$BIN" print missing.pem
  assert_contains "$ERR" "missing.pem" "error names the missing file"
}

# --- demo -----------------------------------------------------------------------------------

demo_creates_ca_server_cert_and_combined_pem() {
  "$BIN" demo --dir demo
  openssl verify -CAfile demo/cacert.pem -purpose sslserver -verify_hostname localhost \
    demo/localhost-cert.pem
  openssl verify -CAfile demo/cacert.pem -verify_ip 127.0.0.1 demo/localhost-cert.pem
  assert_mode 600 demo/server.pem
  # One file holding the certificate first, then its key.
  assert_eq "-----BEGIN CERTIFICATE-----,-----BEGIN PRIVATE KEY-----" \
    "$(grep -- '-----BEGIN' demo/server.pem | paste -sd,)" "server.pem blocks"
  assert_eq "$(openssl x509 -in demo/localhost-cert.pem -noout -fingerprint -sha256)" \
    "$(openssl x509 -in demo/server.pem -noout -fingerprint -sha256)" "cert in server.pem"
  assert_eq "$(openssl x509 -in demo/server.pem -noout -pubkey)" \
    "$(openssl pkey -in demo/server.pem -pubout)" "key in server.pem matches its cert"
  expect_failure "$BIN" demo --dir demo
  assert_contains "$ERR" "already exists" "demo refuses to overwrite"
  "$BIN" demo --dir demo --force
}

# Starts `openssl s_server` with the given options on a free port; sets PORT and SERVER_PID.
# -www makes it answer without reading stdin, whose EOF would otherwise shut it down at once.
start_s_server() {
  for _ in 1 2 3 4 5; do
    PORT=$((20000 + RANDOM % 40000))
    openssl s_server -accept "127.0.0.1:$PORT" -naccept 1 -www "$@" </dev/null \
      >"$WORK/s_server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 50); do
      if grep -q '^ACCEPT' "$WORK/s_server.log"; then return 0; fi
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  done
  cat "$WORK/s_server.log"
  fail "s_server did not start"
}

stop_s_server() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}

tls_handshake_with_demo_server_pem_verifies_against_ca() {
  "$BIN" demo --dir demo
  start_s_server -cert demo/server.pem
  local out
  out=$(timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
    -CAfile demo/cacert.pem -verify_return_error -verify_hostname localhost \
    -verify_ip 127.0.0.1 </dev/null 2>&1) || fail "s_client failed: $out"
  stop_s_server
  echo "$out"
  assert_contains "$out" "Verify return code: 0 (ok)" "client verified the server"
  assert_contains "$out" "subject=O = sipring, CN = localhost" "server certificate presented"
}

tls_handshake_fails_against_another_ca() {
  "$BIN" demo --dir demo
  make_ca other
  start_s_server -cert demo/server.pem
  local out rc=0
  out=$(timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
    -CAfile other/cacert.pem -verify_return_error </dev/null 2>&1) || rc=$?
  stop_s_server
  echo "$out"
  [[ $rc -ne 0 ]] || fail "handshake succeeded with the wrong CA"
  assert_contains "$out" "unable to get local issuer certificate" "verify error"
}

mutual_tls_handshake_with_client_cert() {
  make_ca ca
  "$BIN" server --dir ca --cn localhost --rsa 2048
  "$BIN" client --dir ca --cn alice --key-password pw123
  start_s_server -cert ca/localhost-cert.pem -key ca/localhost-key.pem \
    -CAfile ca/cacert.pem -Verify 1 -verify_return_error
  local out
  out=$(timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername localhost \
    -CAfile ca/cacert.pem -verify_return_error -verify_hostname localhost \
    -cert ca/alice-cert.pem -key ca/alice-key.pem -pass pass:pw123 </dev/null 2>&1) ||
    fail "s_client failed: $out"
  stop_s_server
  echo "$out"
  cat "$WORK/s_server.log"
  assert_contains "$out" "Verify return code: 0 (ok)" "client verified the server"
  assert_contains "$(cat "$WORK/s_server.log")" "CN = alice" "server saw the client cert"
  assert_not_contains "$(cat "$WORK/s_server.log")" "verify error" "server verified it"
}

# --- command line ---------------------------------------------------------------------------

usage_errors_exit_2_and_name_the_problem() {
  assert_eq 2 "$(exit_status "$BIN")" "no command"
  assert_eq 2 "$(exit_status "$BIN" frobnicate)" "unknown command"
  assert_eq 0 "$(exit_status "$BIN" --help)" "top-level help"
  assert_eq 0 "$(exit_status "$BIN" server --help)" "command help"
  expect_failure "$BIN" ca --dir x --bogus
  assert_contains "$ERR" "--bogus" "unknown option named"
  assert_eq 2 "$(exit_status "$BIN" ca --dir x --bogus)" "unknown option status"
  expect_failure "$BIN" server --dir x
  assert_contains "$ERR" "--cn" "missing --cn named"
  expect_failure "$BIN" ca --dir x --rsa 1024
  assert_contains "$ERR" "--rsa" "small RSA refused"
  expect_failure "$BIN" ca --dir x --days 0
  assert_contains "$ERR" "--days" "zero days refused"
  [[ ! -e x ]] || fail "usage errors must not create anything"
}

server_without_ca_names_missing_ca_file() {
  mkdir empty
  expect_failure "$BIN" server --dir empty --cn a.example
  assert_contains "$ERR" "empty/cacert.pem" "missing CA file named"
  assert_contains "$ERR" "sipring-certs ca" "hint to create the CA"
  assert_eq 1 "$(exit_status "$BIN" server --dir empty --cn a.example)" "failure status"
}

# --- ocsp -----------------------------------------------------------------------------------

# `openssl ocsp` reads the response, verifies its signature with the CA as the responder and
# checks the status of $3 (issued by $2's CA) in it; further arguments go to openssl (-sha256:
# look the certificate up by a SHA-256 CertID).
ocsp_text() {  # response.der ca_dir cert [openssl ocsp options]
  local der=$1 ca=$2 cert=$3
  shift 3
  openssl ocsp -respin "$der" -resp_text -VAfile "$ca/cacert.pem" -issuer "$ca/cacert.pem" \
    "$@" -cert "$cert" 2>&1
}

ocsp_good_response_verifies_with_openssl() {
  make_ca ca
  "$BIN" server --dir ca --cn good.example
  "$BIN" ocsp --dir ca ca/good.example-cert.pem --out good.der
  assert_mode 644 good.der
  local text
  text=$(ocsp_text good.der ca ca/good.example-cert.pem)
  assert_contains "$text" "OCSP Response Status: successful (0x0)" "status"
  assert_contains "$text" "Response Type: Basic OCSP Response" "type"
  assert_contains "$text" "Response verify OK" "signature by the CA"
  assert_contains "$text" "ca/good.example-cert.pem: good" "cert status"
  assert_contains "$text" "Hash Algorithm: sha1" "default CertID hash"
  assert_contains "$text" "Signature Algorithm: ecdsa-with-SHA256" "signature algorithm"
}

ocsp_revoked_status_comes_from_the_index_and_times_from_options() {
  make_ca ca
  "$BIN" server --dir ca --cn bad.example
  "$BIN" revoke --dir ca ca/bad.example-cert.pem
  "$BIN" ocsp --dir ca ca/bad.example-cert.pem --out bad.der --this-update 20250101000000Z \
    --next-update 20400101000000Z
  local text
  text=$(ocsp_text bad.der ca ca/bad.example-cert.pem)
  assert_contains "$text" "ca/bad.example-cert.pem: revoked" "status from the index"
  assert_contains "$text" "Revocation Time:" "revocation time"
  assert_contains "$text" "This Update: Jan  1 00:00:00 2025 GMT" "thisUpdate"
  assert_contains "$text" "Next Update: Jan  1 00:00:00 2040 GMT" "nextUpdate"
  assert_contains "$text" "Response verify OK" "signature"
  # --status overrides the index.
  "$BIN" ocsp --dir ca ca/bad.example-cert.pem --out good.der --status good
  assert_contains "$(ocsp_text good.der ca ca/bad.example-cert.pem)" \
    "ca/bad.example-cert.pem: good" "--status good"
}

ocsp_sha256_cert_id_and_rsa_ca_verify_with_openssl() {
  make_ca ca --rsa 2048
  "$BIN" server --dir ca --cn a.example
  "$BIN" ocsp --dir ca ca/a.example-cert.pem --out a.der --sha256 --status revoked \
    --revoked-at 20240101000000Z --days 2
  local text
  text=$(ocsp_text a.der ca ca/a.example-cert.pem -sha256)
  assert_contains "$text" "Hash Algorithm: sha256" "SHA-256 CertID"
  assert_contains "$text" "ca/a.example-cert.pem: revoked" "found by its SHA-256 CertID"
  assert_contains "$text" "Signature Algorithm: sha256WithRSAEncryption" "RSA signature"
  assert_contains "$text" "Response verify OK" "signature"
  assert_contains "$text" "Revocation Time: Jan  1 00:00:00 2024 GMT" "--revoked-at"
}

ocsp_refuses_foreign_certificates_bad_options_and_overwrites() {
  make_ca ca
  make_ca other
  "$BIN" server --dir ca --cn a.example
  "$BIN" server --dir other --cn b.example
  expect_failure "$BIN" ocsp --dir ca other/b.example-cert.pem --out b.der
  assert_contains "$ERR" "not issued by" "foreign cert"
  assert_eq 2 "$(exit_status "$BIN" ocsp --dir ca ca/a.example-cert.pem --out x.der \
    --status good --revoked-at 20240101000000Z)" "--revoked-at with good"
  expect_failure "$BIN" ocsp --dir ca ca/a.example-cert.pem --out x.der \
    --this-update 20250102000000Z --next-update 20250101000000Z
  assert_contains "$ERR" "nextUpdate must be after thisUpdate" "time order"
  assert_eq 2 "$(exit_status "$BIN" ocsp --dir ca ca/a.example-cert.pem --out x.der \
    --status maybe)" "bad --status"
  "$BIN" ocsp --dir ca ca/a.example-cert.pem --out a.der
  expect_failure "$BIN" ocsp --dir ca ca/a.example-cert.pem --out a.der
  assert_contains "$ERR" "a.der" "existing file named"
}

# ---------------------------------------------------------------------------------------------

TESTS=(
  ca_writes_layout_with_key_0600_and_cert_0644
  ca_cert_is_self_signed_critical_ca_with_certsign_crlsign_and_skid
  ca_default_key_is_ecdsa_p256
  ca_rsa_option_makes_rsa_key_of_requested_size
  ca_cn_org_and_days_are_applied
  ca_refuses_to_overwrite_existing_ca_without_force
  ca_force_replaces_existing_ca
  server_cert_verifies_against_ca_for_sslserver_purpose
  server_cert_has_serverauth_eku_keyusage_and_given_sans
  server_default_san_is_dns_cn_or_ip_cn
  server_akid_matches_ca_skid
  server_key_matches_cert
  server_serials_increment_and_index_records_each_cert
  server_rsa_key_adds_keyencipherment
  server_days_sets_validity
  server_out_prefix_names_output_files
  server_refuses_to_overwrite_outputs_and_keeps_serial
  client_cert_has_clientauth_and_is_not_a_server_cert
  encrypted_key_opens_only_with_its_password
  expired_cert_fails_verification
  not_yet_valid_cert_fails_verification
  invalid_validity_and_san_are_rejected_with_clear_errors
  revoke_marks_index_entry_r_with_time
  revoke_rejects_repeat_and_foreign_certificates
  crl_lists_revoked_serials_with_crl_number_signed_by_ca
  crl_check_rejects_revoked_and_accepts_valid_cert
  crl_refuses_to_overwrite_without_force
  ocsp_good_response_verifies_with_openssl
  ocsp_revoked_status_comes_from_the_index_and_times_from_options
  ocsp_sha256_cert_id_and_rsa_ca_verify_with_openssl
  ocsp_refuses_foreign_certificates_bad_options_and_overwrites
  index_interoperates_with_openssl_ca
  print_shows_names_serial_validity_sans_key_and_fingerprint
  print_reports_unreadable_file
  demo_creates_ca_server_cert_and_combined_pem
  tls_handshake_with_demo_server_pem_verifies_against_ca
  tls_handshake_fails_against_another_ca
  mutual_tls_handshake_with_client_cert
  usage_errors_exit_2_and_name_the_problem
  server_without_ca_names_missing_ca_file
)

for t in "${TESTS[@]}"; do
  # Each test gets a fresh directory so tests cannot depend on each other.
  rm -rf "${WORK:?}/run" && mkdir "$WORK/run"
  (cd "$WORK/run" && WORK="$WORK/run" run_test "$t")
done | tee "$WORK/results.txt"

if grep -q '^FAIL' "$WORK/results.txt"; then
  echo "$(grep -c '^FAIL' "$WORK/results.txt") test(s) failed"
  exit 1
fi
echo "all ${#TESTS[@]} tests passed"
