// Certificates with chosen contents, made in memory for tests of certificate parsing and name
// checks: subject and issuer names, serial bytes, validity, every subjectAltName kind, and the
// signing key (self-signed, or issued by another test certificate).
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sipring::test {

// What goes into a certificate. Empty SAN lists and `san_extension == false` leave the
// subjectAltName extension out entirely.
struct CertSpec {
  // Subject attributes in order, by OpenSSL short name ("CN", "O", "OU", "C", "ST", "L", ...).
  // Values are UTF-8.
  std::vector<std::pair<std::string, std::string>> subject = {{"CN", "test.example"}};
  // The serial number's magnitude, big-endian. BoringSSL drops leading zero bytes and adds the
  // DER sign byte itself, so {0x00, 0x8f} and {0x8f} both encode as 02 02 00 8f.
  std::vector<uint8_t> serial = {0x01};
  int64_t not_before = 1700000000;  // unix seconds
  int64_t not_after = 1800000000;
  // subjectAltName entries, written in this order: DNS, URI, IP, email. Strings are written
  // byte for byte (an embedded NUL stays in the certificate).
  std::vector<std::string> san_dns, san_uri, san_email;
  std::vector<std::vector<uint8_t>> san_ip;  // 4 or 16 bytes (other lengths are kept as given)
  // basicConstraints CA:TRUE, for certificates that issue others.
  bool ca = false;
  // The certificate's key (generated fresh for each certificate).
  enum class Key : uint8_t { kP256, kP384, kRsa2048 };
  Key key = Key::kP256;
  // extendedKeyUsage id-kp-OCSPSigning: a responder the issuer authorised (RFC 6960 §4.2.2.2).
  bool ocsp_signing = false;
};

// A certificate with its private key (a fresh key of CertSpec::key per certificate).
struct IssuedCert {
  bssl::UniquePtr<X509> x509;
  bssl::UniquePtr<EVP_PKEY> key;
  std::vector<uint8_t> der;
};

// Builds the certificate `spec` describes. With `issuer` null it is self-signed (issuer name =
// subject, signed by its own key); otherwise the issuer name is `issuer`'s subject and `issuer`'s
// key signs it. Aborts the test binary if BoringSSL refuses, since no test can continue.
IssuedCert issue_cert(const CertSpec& spec, const IssuedCert* issuer = nullptr);

}  // namespace sipring::test
