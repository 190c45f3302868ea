#include "keygen.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/rsa.h>

#include "errors.h"

namespace sipring::certs {

Result<bssl::UniquePtr<EVP_PKEY>> generate_key(const KeySpec& spec) {
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!key) return tls_error("allocating key");
  if (spec.type == KeySpec::Type::kEcP256) {
    bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
    if (!ec || !EC_KEY_generate_key(ec.get()) || !EVP_PKEY_assign_EC_KEY(key.get(), ec.get())) {
      return tls_error("generating P-256 key");
    }
    ec.release();  // now owned by |key|
    return key;
  }
  bssl::UniquePtr<RSA> rsa(RSA_new());
  bssl::UniquePtr<BIGNUM> e(BN_new());
  if (!rsa || !e || !BN_set_word(e.get(), RSA_F4) ||
      !RSA_generate_key_ex(rsa.get(), spec.rsa_bits, e.get(), nullptr) ||
      !EVP_PKEY_assign_RSA(key.get(), rsa.get())) {
    return tls_error("generating RSA-" + std::to_string(spec.rsa_bits) + " key");
  }
  rsa.release();  // now owned by |key|
  return key;
}

std::string describe_key(const EVP_PKEY* key) {
  switch (EVP_PKEY_id(key)) {
    case EVP_PKEY_EC: {
      const EC_KEY* ec = EVP_PKEY_get0_EC_KEY(key);
      int nid = EC_GROUP_get_curve_name(EC_KEY_get0_group(ec));
      const char* nist = EC_curve_nid2nist(nid);
      return std::string("EC ") + (nist != nullptr ? nist : OBJ_nid2sn(nid));
    }
    case EVP_PKEY_RSA:
      return "RSA " + std::to_string(EVP_PKEY_bits(key)) + " bits";
    case EVP_PKEY_ED25519:
      return "Ed25519";
    default:
      return "unknown key type " + std::to_string(EVP_PKEY_id(key));
  }
}

}  // namespace sipring::certs
