// What the SIP core may ask about a peer's or our own certificate: the fields behind Kamailio's
// $tls_peer_* / $tls_my_* pseudo-variables and the TLS module's selects (subject and issuer parts,
// serial, validity, subjectAltNames, self-signed, version, the PEM text).
//
// The engine keeps only the DER bytes per connection; these facts are computed on request, off
// the per-message path, so they may allocate.
#pragma once

#include <openssl/base.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sipring/result.h"
#include "sipring/tls_facts.h"

namespace sipring {

// Parses one DER certificate (e.g. the bytes of a CRYPTO_BUFFER) and collects its facts. Fails
// with kInvalidArgument, saying why, when `der` is empty, is not a certificate BoringSSL accepts,
// carries bytes after the certificate, or has a subjectAltName extension that does not parse.
Result<CertFacts> cert_facts(std::span<const uint8_t> der);

// cert_facts() of a parsed certificate (e.g. SSL_CTX_get0_certificate's): nullopt for a null
// `x` or one that does not re-encode and parse.
std::optional<CertFacts> cert_facts_of(X509* x);

// True when `now_unix` lies outside [not_before, not_after] (both ends count as valid, as in
// RFC 5280 §4.1.2.5).
bool cert_expired(const CertFacts& facts, int64_t now_unix) noexcept;

}  // namespace sipring
