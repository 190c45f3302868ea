#include "pem_io.h"

#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/pkcs8.h>

#include "errors.h"
#include "file_io.h"

namespace sipring::certs {
namespace {

constexpr size_t kSaltLen = 16;

Result<std::string> bio_to_string(BIO* bio, std::string_view what) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!BIO_mem_contents(bio, &data, &len)) return tls_error(what);
  return std::string(reinterpret_cast<const char*>(data), len);
}

// Refuses to prompt on the terminal: sipring-certs is scripted, and the keys it reads back
// (the CA key) are stored unencrypted in a 0600 file.
int no_password(char*, int, int, void*) {
  return 0;
}

Result<bssl::UniquePtr<BIO>> open_pem(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text) return text.error();
  // BIO_new_mem_buf does not copy; copy so the BIO owns its bytes after |text| goes away.
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || BIO_write(bio.get(), text->data(), static_cast<int>(text->size())) !=
                  static_cast<int>(text->size())) {
    return tls_error(path + ": buffering");
  }
  return bio;
}

}  // namespace

Result<std::string> cert_to_pem(X509* cert) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_X509(bio.get(), cert)) return tls_error("encoding certificate");
  return bio_to_string(bio.get(), "encoding certificate");
}

Result<std::string> key_to_pem(EVP_PKEY* key) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      !PEM_write_bio_PKCS8PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)) {
    return tls_error("encoding private key");
  }
  return bio_to_string(bio.get(), "encoding private key");
}

Result<std::string> key_to_encrypted_pem(const EVP_PKEY* key, std::string_view password) {
  if (password.empty()) return usage_error("the key password must not be empty");
  bssl::ScopedCBB cbb;
  uint8_t* der = nullptr;
  size_t der_len = 0;
  // pbe_nid -1 selects PBES2 with |cipher|; salt nullptr means a fresh random salt.
  if (!CBB_init(cbb.get(), 0) ||
      !PKCS8_marshal_encrypted_private_key(cbb.get(), -1, EVP_aes_256_cbc(), password.data(),
                                           password.size(), nullptr, kSaltLen, kPbkdf2Iterations,
                                           key) ||
      !CBB_finish(cbb.get(), &der, &der_len)) {
    return tls_error("encrypting private key");
  }
  bssl::UniquePtr<uint8_t> der_owner(der);
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      !PEM_write_bio(bio.get(), "ENCRYPTED PRIVATE KEY", "", der, static_cast<long>(der_len))) {
    return tls_error("encoding encrypted private key");
  }
  return bio_to_string(bio.get(), "encoding encrypted private key");
}

Result<std::string> crl_to_pem(X509_CRL* crl) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_X509_CRL(bio.get(), crl)) return tls_error("encoding CRL");
  return bio_to_string(bio.get(), "encoding CRL");
}

Result<bssl::UniquePtr<X509>> read_cert_file(const std::string& path) {
  Result<bssl::UniquePtr<BIO>> bio = open_pem(path);
  if (!bio) return bio.error();
  bssl::UniquePtr<X509> cert(PEM_read_bio_X509(bio->get(), nullptr, no_password, nullptr));
  if (!cert) return tls_error(path + ": no readable PEM certificate");
  return cert;
}

Result<bssl::UniquePtr<EVP_PKEY>> read_key_file(const std::string& path) {
  Result<bssl::UniquePtr<BIO>> bio = open_pem(path);
  if (!bio) return bio.error();
  bssl::UniquePtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio->get(), nullptr, no_password, nullptr));
  if (!key) {
    return tls_error(path + ": no readable unencrypted PEM private key");
  }
  return key;
}

}  // namespace sipring::certs
