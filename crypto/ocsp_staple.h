// OCSP stapling for TLS contexts (RFC 6066 §8 status_request, RFC 8446 §4.4.2.1): the server's
// staple file, checked before it is ever sent, and the client's demand for a valid staple.
#pragma once

#include <openssl/base.h>

#include <cstdint>
#include <string>

#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

// Which of a profile's certificates a staple is for: an OCSP response names one certificate,
// so `certificate` has ocsp_staple_file and `certificate2` has ocsp_staple_file2.
enum class StapleFor : uint8_t { kCertificate, kCertificate2 };

// Server contexts: reads the staple file of `which` (a DER OCSPResponse, as nginx's
// ssl_stapling_file), checks it with check_ocsp_response against the leaf certificate `ctx`
// already holds (the context built from that certificate) and that certificate's issuer at
// time `now`, and sets it as the response sent to clients that ask (status_request). The issuer is
// the certificate after the leaf in the certificate file, else one in ca_list that signed the leaf;
// with neither the file is refused (without the issuer's key nothing about the response can be
// checked). A response that does not parse, is not successful, is for another certificate, is not
// signed by the issuer (or a responder it authorised), is expired or not yet valid, or says revoked
// or unknown is refused: the error names the file, the reason and the response's
// thisUpdate/nextUpdate. Nothing is set when the profile has no staple file for `which`.
Status use_ocsp_staple(SSL_CTX* ctx, const TlsProfile& profile, StapleFor which, int64_t now);

// What use_ocsp_staple() gave a context: the file and the response's nextUpdate (unix seconds),
// for the warnings about staples that must be renewed.
struct StapleInfo {
  std::string file;
  int64_t next_update = 0;
};

// The staple use_ocsp_staple() gave `ctx`, or null when it has none. Valid while `ctx` lives.
const StapleInfo* context_staple(const SSL_CTX* ctx);

// Whether use_ocsp_staple() gave `ctx` a staple (servers count the handshakes that send it).
inline bool context_staples(const SSL_CTX* ctx) {
  return context_staple(ctx) != nullptr;
}

// "2026-12-07 09:48:40 UTC" for seconds since the epoch (messages about OCSP times).
std::string utc_text(int64_t t);

}  // namespace sipring
