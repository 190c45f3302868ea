#include "tests/testing/pki_files.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace sipring::test {
namespace {

[[noreturn]] void die(const char* what, const std::string& path) {
  fprintf(stderr, "PkiFiles: %s failed for %s\n", what, path.c_str());
  ERR_print_errors_fp(stderr);
  abort();
}

void check(bool ok, const char* what, const std::string& path) {
  if (!ok) die(what, path);
}

constexpr int64_t kHour = 3600;
constexpr int64_t kThirtyDays = 30 * 24 * kHour;

std::vector<uint8_t> next_serial() {
  // Distinct serials keep the CRL tests honest: a CRL revokes by (issuer, serial).
  static std::atomic<uint32_t> next{0x1000};
  uint32_t s = next.fetch_add(1);
  return {static_cast<uint8_t>(s >> 24), static_cast<uint8_t>(s >> 16),
          static_cast<uint8_t>(s >> 8), static_cast<uint8_t>(s)};
}

}  // namespace

PkiFiles::PkiFiles() {
  char tmpl[] = "/tmp/sipring-pki-XXXXXX";
  check(mkdtemp(tmpl) != nullptr, "mkdtemp", tmpl);
  dir_ = tmpl;
}

PkiFiles::~PkiFiles() {
  for (const std::string& f : files_) unlink(f.c_str());
  rmdir(dir_.c_str());
}

std::string PkiFiles::path_of(const std::string& name) {
  std::string path = dir_ + "/" + name;
  files_.push_back(path);
  return path;
}

std::string PkiFiles::cert_and_key(const std::string& name, const IssuedCert& cert) {
  std::string path = path_of(name);
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "w"));
  check(bio != nullptr, "open", path);
  check(PEM_write_bio_X509(bio.get(), cert.x509.get()), "PEM_write_bio_X509", path);
  check(PEM_write_bio_PrivateKey(bio.get(), cert.key.get(), nullptr, nullptr, 0, nullptr, nullptr),
        "PEM_write_bio_PrivateKey", path);
  return path;
}

std::string PkiFiles::certs(const std::string& name,
                            std::initializer_list<const IssuedCert*> certs) {
  std::string path = path_of(name);
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "w"));
  check(bio != nullptr, "open", path);
  for (const IssuedCert* c : certs) {
    check(PEM_write_bio_X509(bio.get(), c->x509.get()), "PEM_write_bio_X509", path);
  }
  return path;
}

std::string PkiFiles::crl(const std::string& name, const IssuedCert& issuer,
                          std::initializer_list<const IssuedCert*> revoked) {
  std::string path = path_of(name);
  const int64_t now = static_cast<int64_t>(time(nullptr));
  bssl::UniquePtr<X509_CRL> crl(X509_CRL_new());
  check(crl != nullptr, "X509_CRL_new", path);
  check(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2), "X509_CRL_set_version", path);
  check(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer.x509.get())),
        "X509_CRL_set_issuer_name", path);
  bssl::UniquePtr<ASN1_TIME> last(ASN1_TIME_set(nullptr, static_cast<time_t>(now - kHour)));
  bssl::UniquePtr<ASN1_TIME> next(ASN1_TIME_set(nullptr, static_cast<time_t>(now + kThirtyDays)));
  check(last && next, "ASN1_TIME_set", path);
  check(X509_CRL_set1_lastUpdate(crl.get(), last.get()), "X509_CRL_set1_lastUpdate", path);
  check(X509_CRL_set1_nextUpdate(crl.get(), next.get()), "X509_CRL_set1_nextUpdate", path);
  for (const IssuedCert* c : revoked) {
    X509_REVOKED* r = X509_REVOKED_new();
    check(r != nullptr, "X509_REVOKED_new", path);
    check(X509_REVOKED_set_serialNumber(r, X509_get_serialNumber(c->x509.get())) &&
              X509_REVOKED_set_revocationDate(r, last.get()),
          "X509_REVOKED fields", path);
    check(X509_CRL_add0_revoked(crl.get(), r), "X509_CRL_add0_revoked", path);  // owns r now
  }
  check(X509_CRL_sort(crl.get()), "X509_CRL_sort", path);
  check(X509_CRL_sign(crl.get(), issuer.key.get(), EVP_sha256()) != 0, "X509_CRL_sign", path);
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "w"));
  check(bio != nullptr, "open", path);
  check(PEM_write_bio_X509_CRL(bio.get(), crl.get()), "PEM_write_bio_X509_CRL", path);
  return path;
}

CertSpec leaf_spec(const std::string& cn, std::vector<std::string> dns,
                   std::vector<std::string> uri, std::vector<std::string> ipv4) {
  const int64_t now = static_cast<int64_t>(time(nullptr));
  CertSpec s;
  s.subject = {{"CN", cn}};
  s.serial = next_serial();
  s.not_before = now - kHour;
  s.not_after = now + kThirtyDays;
  s.san_dns = std::move(dns);
  s.san_uri = std::move(uri);
  for (const std::string& ip : ipv4) {
    in_addr a{};
    if (inet_pton(AF_INET, ip.c_str(), &a) != 1) die("inet_pton", ip);
    const auto* b = reinterpret_cast<const uint8_t*>(&a.s_addr);
    s.san_ip.push_back({b[0], b[1], b[2], b[3]});
  }
  return s;
}

CertSpec ca_spec(const std::string& cn) {
  CertSpec s = leaf_spec(cn);
  s.ca = true;
  return s;
}

}  // namespace sipring::test
