// Test certificates, keys and CRLs (made with cert_builder.h) written as PEM files in a private
// temporary directory, for engine tests that configure TLS by file name (tls.certificate,
// tls.ca_list, tls.crl, Engine::Options::client).
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "tests/testing/cert_builder.h"

namespace sipring::test {

// A temporary directory of PEM files; it and everything written into it are removed when the
// object goes away. Every writer aborts the test binary if the file cannot be written, since
// no TLS test can continue without it.
class PkiFiles {
 public:
  PkiFiles();
  ~PkiFiles();
  PkiFiles(const PkiFiles&) = delete;
  PkiFiles& operator=(const PkiFiles&) = delete;

  // Writes `cert` followed by its private key to `name` (the layout tls.certificate accepts
  // without a separate private_key) and returns the file's path.
  std::string cert_and_key(const std::string& name, const IssuedCert& cert);
  // Writes the certificates only, in order (a CA list), and returns the file's path.
  std::string certs(const std::string& name, std::initializer_list<const IssuedCert*> certs);
  // Writes a CRL signed by `issuer` (named after its subject) that revokes `revoked` (by
  // serial number), valid from an hour ago for 30 days, and returns the file's path.
  std::string crl(const std::string& name, const IssuedCert& issuer,
                  std::initializer_list<const IssuedCert*> revoked);

 private:
  std::string path_of(const std::string& name);

  std::string dir_;
  std::vector<std::string> files_;
};

// A CertSpec valid from an hour ago for 30 days with subject CN `cn`, a serial number unique
// within the process, and the given subjectAltNames (IPv4 addresses as text, e.g. "127.0.0.1").
CertSpec leaf_spec(const std::string& cn, std::vector<std::string> dns = {},
                   std::vector<std::string> uri = {}, std::vector<std::string> ipv4 = {});
// The same for a CA certificate (basicConstraints CA:TRUE, no subjectAltName).
CertSpec ca_spec(const std::string& cn);

}  // namespace sipring::test
