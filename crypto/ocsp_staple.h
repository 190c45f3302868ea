// OCSP stapling for TLS contexts (RFC 6066 §8 status_request, RFC 8446 §4.4.2.1): the server's
// staple file, checked before it is ever sent, and the client's demand for a valid staple.
#pragma once

#include <openssl/base.h>

#include <cstdint>
#include <string>

#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

// Server contexts: reads profile.ocsp_staple_file (a DER OCSPResponse, as nginx's
// ssl_stapling_file), checks it with check_ocsp_response against the leaf certificate `ctx`
// already holds and that certificate's issuer at time `now`, and sets it as the response sent
// to clients that ask (status_request). The issuer is the certificate after the leaf in the
// certificate file, else one in ca_list that signed the leaf; with neither the file is refused
// (without the issuer's key nothing about the response can be checked). A response that does
// not parse, is not successful, is for another certificate, is not signed by the issuer (or a
// responder it authorised), is expired or not yet valid, or says revoked or unknown is refused:
// the error names the file, the reason and the response's thisUpdate/nextUpdate. Nothing is
// set when the profile has no staple file.
Status use_ocsp_staple(SSL_CTX* ctx, const TlsProfile& profile, int64_t now);

// Whether use_ocsp_staple() gave `ctx` a staple (servers count the handshakes that send it).
bool context_staples(const SSL_CTX* ctx);

// "2026-12-07 09:48:40 UTC" for seconds since the epoch (messages about OCSP times).
std::string utc_text(int64_t t);

}  // namespace sipring
