// Certificate verification settings of a TLS context, as the TLS module manual and Kamailio
// define them: verify_certificate, require_certificate, verify_depth, ca_list (and Kamailio's
// ca_path), crl, and Kamailio's verify_client; for clients also the RFC 5922 name check.
#pragma once

#include <openssl/base.h>

#include <string>
#include <string_view>

#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

// Server contexts: which client certificates to ask for and how to judge them.
//   off (verify 0)                     -> no certificate request
//   optional (verify 1, require 0)     -> asked; if presented it must verify
//   on (verify 1, require 1)           -> a verified certificate is required
//   optional_no_ca                     -> asked; accepted whatever the verification says,
//                                         which is recorded (peer_verified false, revoked, ...)
// Client contexts: verify_certificate verifies the server's chain; the name check is per
// connection (set_expected_peer_name); verify_client and require_certificate are not used.
// The profile's verify_depth, ca_list, ca_path (no CA at all: every chain fails) and crl (revoked
// certificates fail, or are marked under optional_no_ca) apply to both; ocsp_require to
// clients (see ocsp_refusal below). Errors name the file.
Status apply_verification(SSL_CTX* ctx, const TlsProfile& v, bool server);

// Client connections: the name the server's certificate must carry (RFC 5922). Empty = no
// name check. The string is copied into the SSL.
bool set_expected_peer_name(SSL* ssl, std::string_view name);

// Client contexts with ocsp_require ask for an OCSP staple (status_request) and accept a
// server only when its staple is a valid response for its certificate (crypto/ocsp.h:
// check_ocsp_response, with the issuer from the verified chain) saying good. Revoked fails
// the verification (X509_V_ERR_CERT_REVOKED, alert certificate_revoked); no staple or a bad
// one fails the handshake with alert bad_certificate_status_response. ocsp_require needs
// verify_certificate. Resumed sessions are not checked again (no certificate is sent).
// ocsp_refusal() is why `ssl`'s server was refused (static text), or nullptr.
const char* ocsp_refusal(const SSL* ssl);

// The name set_expected_peer_name() stored in `ssl`; empty when there is none. Resumption
// keys on it: a session verified for one name must never be resumed for another.
std::string_view expected_peer_name(const SSL* ssl);

}  // namespace sipring
