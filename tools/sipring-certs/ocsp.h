// `sipring-certs ocsp`: signs an OCSP response (RFC 6960) for a certificate the CA issued, as a
// CA answering for itself would, so a server can staple it (tls.ocsp_staple_file) and tests
// need no OCSP responder.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sipring/result.h"

#include "file_io.h"

namespace sipring::certs {

struct OcspOptions {
  std::string dir;        // the CA
  std::string cert_file;  // the certificate the response is about
  std::string out;        // where the DER response goes
  enum class CertStatus { kFromIndex, kGood, kRevoked };
  CertStatus status = CertStatus::kFromIndex;
  std::optional<int64_t> this_update;  // unset: now
  std::optional<int64_t> next_update;  // unset: thisUpdate + days
  long days = 7;
  std::optional<int64_t> revoked_at;  // kRevoked: unset = from the index, else now
  bool sha256_cert_id = false;        // CertID hashes: SHA-256 instead of SHA-1
  Overwrite overwrite = Overwrite::kRefuse;
};

// Writes to |options.out| a DER OCSPResponse (successful, basic) holding one SingleResponse
// for the certificate: its status (from DIR/index.txt unless given: R = revoked, with the
// index's revocation time), thisUpdate and nextUpdate; responderID byName (the CA), signed by
// the CA key with SHA-256. The certificate must have been issued by the CA.
Status write_ocsp_response(const OcspOptions& options);

}  // namespace sipring::certs
