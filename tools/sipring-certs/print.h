// `sipring-certs print`: a short human-readable summary of a certificate, the fields one
// checks when a TLS handshake fails (names, validity, key, fingerprint).
#pragma once

#include <string>

#include <openssl/x509.h>

#include "sipring/result.h"

namespace sipring::certs {

// Returns the subjectAltName entries of |cert| in --san syntax, e.g.
// "DNS:localhost, IP:127.0.0.1", or "" if there are none.
std::string describe_sans(const X509* cert);

// Returns the SHA-256 fingerprint of |cert|'s DER encoding as colon-separated upper-case hex,
// the form `openssl x509 -fingerprint -sha256` prints.
Result<std::string> sha256_fingerprint(const X509* cert);

// Returns the summary of |cert|: one "field: value" line each for subject, issuer, serial,
// not before, not after, status, san, key and sha256.
Result<std::string> describe_cert(X509* cert);

// Prints the summary of the first certificate in the PEM file |path| to stdout. Errors name
// |path|.
Status print_cert_file(const std::string& path);

}  // namespace sipring::certs
