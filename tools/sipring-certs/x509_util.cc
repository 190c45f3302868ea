#include "x509_util.h"

#include <openssl/asn1.h>
#include <openssl/conf.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "errors.h"

namespace sipring::certs {
namespace {

constexpr size_t kSerialBytes = 16;

Result<bssl::UniquePtr<X509_EXTENSION>> make_ext(X509V3_CTX* ctx, int nid,
                                                 const std::string& value) {
  // A null CONF is fine: none of the values we pass refer to config sections.
  bssl::UniquePtr<X509_EXTENSION> ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext) {
    return tls_error(std::string("invalid ") + OBJ_nid2ln(nid) + " value '" + value + "'");
  }
  return ext;
}

}  // namespace

Status check_name_value(std::string_view value) {
  if (value.empty() || value.size() > kMaxNameLen) {
    return usage_error("a name must be 1 to " + std::to_string(kMaxNameLen) + " characters long");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return usage_error("a name must not contain control characters");
  }
  return Status::ok();
}

Result<bssl::UniquePtr<X509_NAME>> make_name(std::string_view cn, std::string_view org) {
  bssl::UniquePtr<X509_NAME> name(X509_NAME_new());
  if (!name) return tls_error("allocating name");
  auto add = [&](const char* field, std::string_view value) {
    return X509_NAME_add_entry_by_txt(name.get(), field, MBSTRING_UTF8,
                                      reinterpret_cast<const uint8_t*>(value.data()),
                                      static_cast<int>(value.size()), -1, 0);
  };
  if (!org.empty() && !add("O", org)) return tls_error("setting organization name");
  if (!add("CN", cn)) return tls_error("setting common name");
  return name;
}

std::string name_org(const X509_NAME* name) {
  int index = X509_NAME_get_index_by_NID(name, NID_organizationName, -1);
  if (index < 0) return "";
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  uint8_t* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, data);
  if (len < 0) return "";
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

Status add_cert_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Result<bssl::UniquePtr<X509_EXTENSION>> ext = make_ext(&ctx, nid, value);
  if (!ext) return ext.error();
  if (!X509_add_ext(cert, ext->get(), -1)) return tls_error("adding certificate extension");
  return Status::ok();
}

Status add_crl_ext(X509_CRL* crl, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, nullptr, nullptr, crl, 0);
  Result<bssl::UniquePtr<X509_EXTENSION>> ext = make_ext(&ctx, nid, value);
  if (!ext) return ext.error();
  if (!X509_CRL_add_ext(crl, ext->get(), -1)) return tls_error("adding CRL extension");
  return Status::ok();
}

Result<bssl::UniquePtr<BIGNUM>> random_serial() {
  uint8_t bytes[kSerialBytes];
  RAND_bytes(bytes, sizeof(bytes));
  bytes[0] &= 0x7f;  // positive in DER's two's complement
  bytes[0] |= 0x40;  // never zero, and always the full 16 bytes
  bssl::UniquePtr<BIGNUM> bn(BN_bin2bn(bytes, sizeof(bytes), nullptr));
  if (!bn) return tls_error("making serial number");
  return bn;
}

Status sign_cert(X509* cert, EVP_PKEY* key) {
  if (!X509_sign(cert, key, EVP_sha256())) return tls_error("signing certificate");
  return Status::ok();
}

Result<std::string> serial_hex(const ASN1_INTEGER* serial) {
  bssl::UniquePtr<BIGNUM> bn(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!bn) return tls_error("reading serial number");
  char* hex = BN_bn2hex(bn.get());
  if (hex == nullptr) return tls_error("formatting serial number");
  std::string out(hex);
  OPENSSL_free(hex);
  if (out.size() % 2 != 0) out = "0" + out;
  return out;
}

Status check_issued_by(X509* cert, X509* ca, const std::string& cert_path,
                       const std::string& ca_path) {
  bssl::UniquePtr<EVP_PKEY> ca_key(X509_get_pubkey(ca));
  if (X509_NAME_cmp(X509_get_issuer_name(cert), X509_get_subject_name(ca)) != 0 || !ca_key ||
      X509_verify(cert, ca_key.get()) != 1) {
    ERR_clear_error();
    return config_error(cert_path + ": was not issued by the CA in " + ca_path);
  }
  return Status::ok();
}

}  // namespace sipring::certs
