#include "tests/testing/test_cert.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "tests/testing/cert_builder.h"

namespace sipring::test {
namespace {

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "TestCert: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  abort();
}

void check(bool ok, const char* what) {
  if (!ok) die(what);
}

void write_pem(const std::string& path, X509* cert, EVP_PKEY* key) {
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "w"));
  check(bio != nullptr, "opening the PEM file");
  check(PEM_write_bio_X509(bio.get(), cert), "PEM_write_bio_X509");
  if (key != nullptr) {
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr),
          "PEM_write_bio_PrivateKey");
  }
}

}  // namespace

TestCert::TestCert(const std::string& common_name) {
  char tmpl[] = "/tmp/sipring-test-cert-XXXXXX";
  check(mkdtemp(tmpl) != nullptr, "mkdtemp");
  dir_ = tmpl;
  pem_path_ = dir_ + "/server.pem";
  cert_path_ = dir_ + "/cert.pem";
  CertSpec spec;
  spec.subject = {{"CN", common_name}};
  spec.san_dns = {common_name};
  spec.serial.resize(8);
  RAND_bytes(spec.serial.data(), spec.serial.size());
  spec.serial[0] &= 0x7f;
  const int64_t now = static_cast<int64_t>(time(nullptr));
  spec.not_before = now - 3600;
  spec.not_after = now + 30 * 86400;
  IssuedCert cert = issue_cert(spec);  // self-signed
  write_pem(pem_path_, cert.x509.get(), cert.key.get());
  write_pem(cert_path_, cert.x509.get(), nullptr);
}

TestCert::~TestCert() {
  unlink(pem_path_.c_str());
  unlink(cert_path_.c_str());
  rmdir(dir_.c_str());
}

}  // namespace sipring::test
