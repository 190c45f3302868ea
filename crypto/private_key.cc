#include "crypto/private_key.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>

#include "crypto/tls_error.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

struct Passphrase {
  const std::string* password;
  bool asked = false;
};

// BoringSSL asks for the passphrase only when the key is encrypted.
int passphrase_cb(char* buf, int size, int, void* arg) {
  auto* p = static_cast<Passphrase*>(arg);
  p->asked = true;
  if (p->password->empty()) return -1;
  int n = static_cast<int>(std::min<size_t>(p->password->size(), static_cast<size_t>(size)));
  memcpy(buf, p->password->data(), static_cast<size_t>(n));
  return n;
}

}  // namespace

Status load_private_key(SSL_CTX* ctx, const char* what, const std::string& path,
                        const std::string& password) {
  ERR_clear_error();
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    return make_error(Errc::kConfig, "%s %s: cannot open (%s)", what, path.c_str(),
                      take_tls_errors().c_str());
  }
  Passphrase pass{&password};
  bssl::UniquePtr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_cb, &pass));
  if (!key) {
    std::string detail = take_tls_errors();
    if (pass.asked && password.empty()) {
      return make_error(Errc::kConfig,
                        "%s %s is encrypted: set tls.private_key_password (or the tls.cfg "
                        "attribute private_key_password) to its passphrase",
                        what, path.c_str());
    }
    if (pass.asked) {
      return make_error(Errc::kConfig, "%s %s: wrong private_key_password (%s)", what, path.c_str(),
                        detail.c_str());
    }
    return make_error(Errc::kConfig, "%s %s: no usable PEM private key (%s)", what, path.c_str(),
                      detail.c_str());
  }
  if (!SSL_CTX_use_PrivateKey(ctx, key.get())) {
    return make_error(Errc::kConfig, "%s %s: key rejected (%s)", what, path.c_str(),
                      take_tls_errors().c_str());
  }
  return Status::ok();
}

}  // namespace sipring
