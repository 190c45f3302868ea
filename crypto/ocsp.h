// OCSP responses (RFC 6960) as TLS servers staple them and clients check them. BoringSSL has
// no OCSP code; this is the small part sipring needs: a strict DER parser (CBS) for
// OCSPResponse and BasicOCSPResponse, and the checks a relying party makes (RFC 6960 §3.2):
// the response is for this certificate, signed by its issuer or by a responder the issuer
// authorised (id-kp-OCSPSigning), and current.
//
// Nothing here allocates except to decode responder certificates included in a response. The
// reasons are static strings, so the TLS client path can keep them without copying.
#pragma once

#include <openssl/base.h>

#include <cstdint>
#include <span>

namespace sipring {

// How far a thisUpdate may lie in the future (clocks of responder and relying party differ).
inline constexpr int64_t kOcspClockSkewSeconds = 300;

enum class OcspCertStatus : uint8_t { kGood, kRevoked, kUnknown };

// One SingleResponse; the spans point into the parsed DER.
struct OcspSingle {
  int hash_nid = 0;                    // CertID.hashAlgorithm: NID_sha1, NID_sha256, or 0
  std::span<const uint8_t> name_hash;  // CertID.issuerNameHash
  std::span<const uint8_t> key_hash;   // CertID.issuerKeyHash
  std::span<const uint8_t> serial;     // CertID.serialNumber, the whole DER INTEGER
  OcspCertStatus status = OcspCertStatus::kUnknown;
  int64_t revocation_time = 0;  // kRevoked: seconds since the epoch
  int64_t this_update = 0;
  int64_t next_update = 0;  // 0 = absent
};

// A parsed OCSPResponse; the spans point into the parsed DER, which must outlive it.
struct OcspResponse {
  int response_status = -1;  // OCSPResponseStatus; 0 = successful
  // The rest is set only when response_status is 0 (a basic response):
  std::span<const uint8_t> tbs;        // ResponseData, the whole DER element (what is signed)
  std::span<const uint8_t> sig_alg;    // signatureAlgorithm's OID contents
  std::span<const uint8_t> signature;  // the signature BIT STRING's bytes
  std::span<const uint8_t> certs;      // contents of certs [0] (DER certificates); may be empty
  std::span<const uint8_t> responses;  // contents of ResponseData.responses (>= 1 element)
  int64_t produced_at = 0;
};

// Parses `der` as one DER OCSPResponse with nothing after it. A successful response must be a
// basic one (id-pkix-ocsp-basic) whose every SingleResponse parses (next_ocsp_single); other
// statuses are returned with only response_status set. Returns nullptr on success, else what
// is wrong (static text).
const char* parse_ocsp_response(std::span<const uint8_t> der, OcspResponse* out);

// Reads the next SingleResponse from *responses (initially OcspResponse::responses) into
// *out and advances. Returns nullptr on success, else what is wrong (static text).
const char* next_ocsp_single(std::span<const uint8_t>* responses, OcspSingle* out);

// The outcome of checking a response for one certificate.
struct OcspVerdict {
  enum class Kind : uint8_t { kGood, kRevoked, kRefused };
  Kind kind = Kind::kRefused;
  const char* reason = "";  // kRefused: why (static text); kRevoked: "the certificate is revoked"
  bool found = false;       // a SingleResponse for the certificate was found: `single` is it
  OcspSingle single;
};

// Checks `der` as the OCSP response for `leaf`, whose issuer is `issuer` (the caller vouches
// for that: a verified chain, or a check that `issuer` signed `leaf`), at time `now` (seconds
// since the epoch): it parses, is successful, is signed by `issuer` or by a certificate in it
// that `issuer` issued with extended key usage id-kp-OCSPSigning (valid at `now`), holds a
// SingleResponse whose CertID (SHA-1 or SHA-256) names `leaf`, with thisUpdate at most
// kOcspClockSkewSeconds ahead of `now` and a nextUpdate after `now` (a response without one
// is refused: it does not say how long it may be used). Then kGood or kRevoked by its
// certStatus; "unknown" is refused.
OcspVerdict check_ocsp_response(std::span<const uint8_t> der, X509* leaf, X509* issuer,
                                int64_t now);

}  // namespace sipring
