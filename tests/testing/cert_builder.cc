#include "tests/testing/cert_builder.h"

#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/err.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>

namespace sipring::test {
namespace {

[[noreturn]] void die(const char* what) {
  fprintf(stderr, "issue_cert: %s failed\n", what);
  ERR_print_errors_fp(stderr);
  abort();
}

void check(bool ok, const char* what) {
  if (!ok) die(what);
}

bssl::UniquePtr<EVP_PKEY> make_key(CertSpec::Key type) {
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  check(key != nullptr, "EVP_PKEY_new");
  if (type == CertSpec::Key::kRsa2048) {
    bssl::UniquePtr<RSA> rsa(RSA_new());
    bssl::UniquePtr<BIGNUM> e(BN_new());
    check(rsa && e && BN_set_word(e.get(), RSA_F4) &&
              RSA_generate_key_ex(rsa.get(), 2048, e.get(), nullptr),
          "RSA key generation");
    check(EVP_PKEY_assign_RSA(key.get(), rsa.get()), "EVP_PKEY_assign_RSA");
    rsa.release();  // owned by `key` now
    return key;
  }
  const int nid = type == CertSpec::Key::kP384 ? NID_secp384r1 : NID_X9_62_prime256v1;
  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(nid));
  check(ec && EC_KEY_generate_key(ec.get()), "EC key generation");
  check(EVP_PKEY_assign_EC_KEY(key.get(), ec.get()), "EVP_PKEY_assign_EC_KEY");
  ec.release();  // owned by `key` now
  return key;
}

// Appends one GENERAL_NAME whose value is an IA5String or OCTET STRING holding `bytes` as is.
void add_name(GENERAL_NAMES* names, int type, const void* bytes, size_t len) {
  bssl::UniquePtr<GENERAL_NAME> name(GENERAL_NAME_new());
  check(name != nullptr, "GENERAL_NAME_new");
  ASN1_STRING* value =
      ASN1_STRING_type_new(type == GEN_IPADD ? V_ASN1_OCTET_STRING : V_ASN1_IA5STRING);
  check(value && ASN1_STRING_set(value, bytes, static_cast<int>(len)), "SAN value");
  GENERAL_NAME_set0_value(name.get(), type, value);
  check(sk_GENERAL_NAME_push(names, name.get()) != 0, "sk_GENERAL_NAME_push");
  name.release();  // owned by `names` now
}

void add_san(X509* x, const CertSpec& spec) {
  if (spec.san_dns.empty() && spec.san_uri.empty() && spec.san_ip.empty() &&
      spec.san_email.empty()) {
    return;
  }
  bssl::UniquePtr<GENERAL_NAMES> names(GENERAL_NAMES_new());
  check(names != nullptr, "GENERAL_NAMES_new");
  for (const auto& s : spec.san_dns) add_name(names.get(), GEN_DNS, s.data(), s.size());
  for (const auto& s : spec.san_uri) add_name(names.get(), GEN_URI, s.data(), s.size());
  for (const auto& ip : spec.san_ip) add_name(names.get(), GEN_IPADD, ip.data(), ip.size());
  for (const auto& s : spec.san_email) add_name(names.get(), GEN_EMAIL, s.data(), s.size());
  check(X509_add1_ext_i2d(x, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) == 1,
        "subjectAltName");
}

void set_time(ASN1_TIME* t, int64_t unix_seconds) {
  check(ASN1_TIME_set(t, static_cast<time_t>(unix_seconds)) != nullptr, "validity time");
}

}  // namespace

IssuedCert issue_cert(const CertSpec& spec, const IssuedCert* issuer) {
  IssuedCert out;
  out.key = make_key(spec.key);
  out.x509.reset(X509_new());
  X509* x = out.x509.get();
  check(x != nullptr, "X509_new");
  check(X509_set_version(x, X509_VERSION_3), "X509_set_version");

  bssl::UniquePtr<BIGNUM> bn(BN_bin2bn(spec.serial.data(), spec.serial.size(), nullptr));
  check(bn && BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(x)), "serial number");
  set_time(X509_getm_notBefore(x), spec.not_before);
  set_time(X509_getm_notAfter(x), spec.not_after);

  X509_NAME* subject = X509_get_subject_name(x);
  for (const auto& [field, value] : spec.subject) {
    check(X509_NAME_add_entry_by_txt(subject, field.c_str(), MBSTRING_UTF8,
                                     reinterpret_cast<const uint8_t*>(value.data()),
                                     static_cast<int>(value.size()), -1, 0),
          "subject attribute");
  }
  check(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->x509.get()) : subject),
        "issuer name");
  check(X509_set_pubkey(x, out.key.get()), "X509_set_pubkey");

  if (spec.ca) {
    bssl::UniquePtr<BASIC_CONSTRAINTS> bc(BASIC_CONSTRAINTS_new());
    check(bc != nullptr, "BASIC_CONSTRAINTS_new");
    bc->ca = 0xff;
    check(X509_add1_ext_i2d(x, NID_basic_constraints, bc.get(), 1, X509V3_ADD_DEFAULT) == 1,
          "basicConstraints");
  }
  if (spec.ocsp_signing) {
    bssl::UniquePtr<EXTENDED_KEY_USAGE> eku(sk_ASN1_OBJECT_new_null());
    check(eku && sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_OCSP_sign)) != 0, "EKU");
    check(X509_add1_ext_i2d(x, NID_ext_key_usage, eku.get(), 0, X509V3_ADD_DEFAULT) == 1,
          "extendedKeyUsage");
  }
  add_san(x, spec);

  EVP_PKEY* signer = issuer ? issuer->key.get() : out.key.get();
  check(X509_sign(x, signer, EVP_sha256()) != 0, "X509_sign");

  uint8_t* der = nullptr;
  const int len = i2d_X509(x, &der);
  check(len > 0, "i2d_X509");
  out.der.assign(der, der + len);
  OPENSSL_free(der);
  return out;
}

}  // namespace sipring::test
