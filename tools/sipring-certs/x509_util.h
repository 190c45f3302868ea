// Small building blocks for certificates and CRLs shared by the ca, server/client and crl
// subcommands: names, extensions in OpenSSL config syntax, serial numbers, signing.
#pragma once

#include <string>
#include <string_view>

#include <openssl/bn.h>
#include <openssl/x509.h>

#include "sipring/result.h"

namespace sipring::certs {

// Longest CN and O values X.520 allows (ub-common-name, ub-organization-name).
inline constexpr size_t kMaxNameLen = 64;

// Returns a usage error unless |value|, a --cn or --org, is 1..kMaxNameLen bytes with no
// control characters (index.txt is tab-separated, and control characters in names only cause
// trouble for peers).
Status check_name_value(std::string_view value);

// Returns the name "O=|org|, CN=|cn|", or just "CN=|cn|" when |org| is empty.
Result<bssl::UniquePtr<X509_NAME>> make_name(std::string_view cn, std::string_view org);

// Returns the first O entry of |name|, or "" if there is none.
std::string name_org(const X509_NAME* name);

// Adds to |cert| the extension |nid| with |value| in OpenSSL config syntax, e.g.
// "critical,CA:TRUE". |issuer| supplies the key id for authorityKeyIdentifier (pass |cert| for
// a self-signed certificate). Errors include |value| so a bad --san is easy to spot.
Status add_cert_ext(X509* cert, X509* issuer, int nid, const std::string& value);

// Adds to |crl| the extension |nid| with |value|, with |issuer| as the CRL's issuer.
Status add_crl_ext(X509_CRL* crl, X509* issuer, int nid, const std::string& value);

// Returns a random positive serial number of 127 bits, the form RFC 5280 and the CA/Browser
// Forum ask for when serials are not tracked (used for the self-signed CA certificate).
Result<bssl::UniquePtr<BIGNUM>> random_serial();

// Signs |cert| with |key| using SHA-256.
Status sign_cert(X509* cert, EVP_PKEY* key);

// Returns a config error naming |cert_path| and |ca_path| unless |ca| issued |cert| (names
// match and the CA's key verifies the signature).
Status check_issued_by(X509* cert, X509* ca, const std::string& cert_path,
                       const std::string& ca_path);

// Returns the serial number of |cert| as upper-case hex with an even number of digits, the
// form OpenSSL's index.txt uses.
Result<std::string> serial_hex(const ASN1_INTEGER* serial);

}  // namespace sipring::certs
