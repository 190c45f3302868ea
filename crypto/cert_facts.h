// What the SIP core may ask about a peer's or our own certificate: the fields behind Kamailio's
// $tls_peer_* / $tls_my_* pseudo-variables and the TLS module's selects (subject and issuer parts,
// serial, validity, subjectAltNames, self-signed, version, the PEM text).
//
// The engine keeps only the DER bytes per connection; these facts are computed on request, off
// the per-message path, so they may allocate.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sipring/result.h"

namespace sipring {

// The parts of a distinguished name that scripts ask for. When a name repeats an attribute, the
// first occurrence in certificate order is kept (as Kamailio's selects do). Values are UTF-8.
struct NameFields {
  std::string cn, o, ou, c, st, l;
  // The whole name on one line in RFC 2253 form (most specific attribute first, "," between
  // attributes, RFC 2253 escaping, UTF-8 left unescaped), e.g. "CN=sip.example.com,O=Ex,C=DE";
  // the same as `openssl x509 -nameopt RFC2253,-esc_msb`.
  std::string text;
};

struct CertFacts {
  NameFields subject, issuer;
  // Hex, upper case, without the DER sign byte or other leading zero bytes, two digits per byte
  // and "-" before a negative value: exactly what `openssl x509 -serial` prints ("0123" for 0x123).
  std::string serial;
  int64_t not_before = 0, not_after = 0;  // unix seconds
  // As OpenSSL prints them: "Nov 27 12:00:00 2026 GMT", day padded with a space ("Jan  1").
  std::string not_before_text, not_after_text;
  // subjectAltName entries by kind, in certificate order. IPs are text (IPv6 in RFC 5952 form;
  // an address that is neither 4 nor 16 bytes long is reported as "<invalid>", as OpenSSL does).
  std::vector<std::string> san_dns, san_uri, san_ip, san_email;
  // Issuer name equals the subject name and the signature verifies with the certificate's own key.
  bool self_signed = false;
  int version = 0;  // X.509 version number: 1, 2 or 3
  std::string pem;  // the input DER as one PEM "CERTIFICATE" block, 64 columns, trailing newline
};

// Parses one DER certificate (e.g. the bytes of a CRYPTO_BUFFER) and collects its facts. Fails
// with kInvalidArgument, saying why, when `der` is empty, is not a certificate BoringSSL accepts,
// carries bytes after the certificate, or has a subjectAltName extension that does not parse.
Result<CertFacts> cert_facts(std::span<const uint8_t> der);

// True when `now_unix` lies outside [not_before, not_after] (both ends count as valid, as in
// RFC 5280 §4.1.2.5).
bool cert_expired(const CertFacts& facts, int64_t now_unix) noexcept;

}  // namespace sipring
