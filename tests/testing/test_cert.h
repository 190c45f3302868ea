// Test certificates made in memory: an ECDSA P-256 key and a self-signed certificate written to a
// temporary PEM file, so TLS tests need no fixture files and no openssl command line.
#pragma once

#include <string>

namespace sipring::test {

// A PEM file holding a self-signed certificate followed by its private key (the layout
// make_server_context accepts as `certificate` alone). The file and its directory are removed
// when the object goes away.
class TestCert {
 public:
  // Generates a fresh P-256 key and a certificate for `common_name` (also its DNS subjectAltName),
  // valid from an hour ago for 30 days. Aborts the test binary if BoringSSL fails, because no
  // TLS test can run without it.
  explicit TestCert(const std::string& common_name = "localhost");
  ~TestCert();
  TestCert(const TestCert&) = delete;
  TestCert& operator=(const TestCert&) = delete;

  // Path of the PEM file with the certificate and the key.
  const std::string& pem_path() const { return pem_path_; }
  // Path of a PEM file with the certificate only (usable as a CA file by clients).
  const std::string& cert_path() const { return cert_path_; }

 private:
  std::string dir_;
  std::string pem_path_;
  std::string cert_path_;
};

}  // namespace sipring::test
