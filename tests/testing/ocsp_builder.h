// OCSP responses (RFC 6960) with chosen contents, made in memory for tests of the OCSP parser
// and checks (crypto/ocsp.h): status, times, CertID hash and fields, signer, included
// responder certificates, and deliberate damage.
#pragma once

#include <cstdint>
#include <vector>

#include "tests/testing/cert_builder.h"

namespace sipring::test {

struct OcspSpec {
  int response_status = 0;  // !=0: only the status is written (no responseBytes)
  enum class Cert : uint8_t { kGood, kRevoked, kUnknown };
  Cert status = Cert::kGood;
  int64_t this_update = 0;
  int64_t next_update = 0;  // 0: no nextUpdate
  int64_t revoked_at = 0;
  bool sha256_id = false;              // CertID hash: SHA-256 instead of SHA-1
  bool other_single_first = false;     // a SingleResponse for another serial comes first
  bool wrong_serial = false;           // the only SingleResponse names another serial
  bool wrong_key_hash = false;         // ... or another issuer key
  const IssuedCert* signer = nullptr;  // who signs: null = the issuer
  bool include_signer = false;         // put `signer`'s certificate in certs [0]
  bool flip_signature_bit = false;     // damage the signature
};

// The DER OCSPResponse `spec` describes for `leaf` issued by `issuer`.
std::vector<uint8_t> make_ocsp_response(const OcspSpec& spec, const IssuedCert& leaf,
                                        const IssuedCert& issuer);

}  // namespace sipring::test
