#include "tests/unit/testing/test_cert.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

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

bssl::UniquePtr<EVP_PKEY> make_p256_key() {
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  check(ec && EC_KEY_generate_key(ec.get()), "P-256 key generation");
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  check(key && EVP_PKEY_assign_EC_KEY(key.get(), ec.get()), "EVP_PKEY_assign_EC_KEY");
  ec.release();  // owned by `key` now
  return key;
}

bssl::UniquePtr<X509> make_self_signed(EVP_PKEY* key, const std::string& cn) {
  bssl::UniquePtr<X509> x(X509_new());
  check(x != nullptr, "X509_new");
  check(X509_set_version(x.get(), X509_VERSION_3), "X509_set_version");
  uint8_t serial[8];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;  // positive
  bssl::UniquePtr<BIGNUM> bn(BN_bin2bn(serial, sizeof(serial), nullptr));
  check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x.get())), "serial number");
  check(X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x.get()), 30L * 86400) != nullptr, "notAfter");
  X509_NAME* name = X509_get_subject_name(x.get());
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const uint8_t*>(cn.c_str()), -1, -1, 0),
        "subject CN");
  check(X509_set_issuer_name(x.get(), name), "issuer");
  check(X509_set_pubkey(x.get(), key), "X509_set_pubkey");
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, x.get(), x.get(), nullptr, nullptr, 0);
  std::string san = "DNS:" + cn;
  bssl::UniquePtr<X509_EXTENSION> ext(
      X509V3_EXT_nconf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str()));
  check(ext && X509_add_ext(x.get(), ext.get(), -1), "subjectAltName");
  check(X509_sign(x.get(), key, EVP_sha256()) != 0, "X509_sign");
  return x;
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
  bssl::UniquePtr<EVP_PKEY> key = make_p256_key();
  bssl::UniquePtr<X509> cert = make_self_signed(key.get(), common_name);
  write_pem(pem_path_, cert.get(), key.get());
  write_pem(cert_path_, cert.get(), nullptr);
}

TestCert::~TestCert() {
  unlink(pem_path_.c_str());
  unlink(cert_path_.c_str());
  rmdir(dir_.c_str());
}

}  // namespace sipring::test
