#include "crypto/cert_facts.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include "crypto/boringssl.h"
#include "crypto/tls_error.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

std::string bio_text(BIO* bio) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!BIO_mem_contents(bio, &data, &len)) return {};
  return std::string(reinterpret_cast<const char*>(data), len);
}

std::string asn1_utf8(const ASN1_STRING* value) {
  uint8_t* utf8 = nullptr;
  const int len = ASN1_STRING_to_UTF8(&utf8, value);
  // A string that does not convert (a malformed BMPString, say) reads as empty rather than
  // failing the whole certificate: the other facts are still worth having.
  if (len < 0) {
    clear_tls_errors();
    return {};
  }
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return out;
}

std::string first_entry(const X509_NAME* name, int nid) {
  const int index = X509_NAME_get_index_by_NID(name, nid, -1);
  if (index < 0) return {};
  return asn1_utf8(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index)));
}

NameFields name_fields(const X509_NAME* name) {
  NameFields f;
  f.cn = first_entry(name, NID_commonName);
  f.o = first_entry(name, NID_organizationName);
  f.ou = first_entry(name, NID_organizationalUnitName);
  f.c = first_entry(name, NID_countryName);
  f.st = first_entry(name, NID_stateOrProvinceName);
  f.l = first_entry(name, NID_localityName);
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  // RFC 2253 escaping keeps the text unambiguous; UTF-8 stays readable instead of \C3\BC.
  if (bio && X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
    f.text = bio_text(bio.get());
  }
  return f;
}

std::string serial_hex(const ASN1_INTEGER* serial) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const uint8_t* p = ASN1_STRING_get0_data(serial);
  size_t len = static_cast<size_t>(ASN1_STRING_length(serial));
  while (len > 0 && *p == 0) {
    ++p;
    --len;
  }
  std::string out = ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER ? "-" : "";
  if (len == 0) return out + "00";  // what i2a_ASN1_INTEGER prints for zero
  for (size_t i = 0; i < len; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 0xf];
  }
  return out;
}

// Seconds since the epoch without time_t or timegm, so dates past 2038 and GeneralizedTime
// years up to 9999 work on any platform.
bool to_unix(const ASN1_TIME* t, const ASN1_TIME* epoch, int64_t* out) {
  int days = 0, seconds = 0;
  if (!ASN1_TIME_diff(&days, &seconds, epoch, t)) return false;
  *out = static_cast<int64_t>(days) * 86400 + seconds;
  return true;
}

std::string time_text(const ASN1_TIME* t) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || !ASN1_TIME_print(bio.get(), t)) return {};
  return bio_text(bio.get());
}

std::string ia5(const ASN1_IA5STRING* s) {
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     static_cast<size_t>(ASN1_STRING_length(s)));
}

std::string ip_text(const ASN1_OCTET_STRING* ip) {
  const int len = ASN1_STRING_length(ip);
  char buf[INET6_ADDRSTRLEN];
  const int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : AF_UNSPEC;
  if (family == AF_UNSPEC || !inet_ntop(family, ASN1_STRING_get0_data(ip), buf, sizeof(buf))) {
    return "<invalid>";
  }
  return buf;
}

Status collect_san(X509* x, CertFacts* facts) {
  int crit = 0;
  bssl::UniquePtr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, &crit, nullptr)));
  if (!names) {
    if (crit == -1) return Status::ok();  // no subjectAltName at all
    return make_error(Errc::kInvalidArgument, "certificate has a %s subjectAltName extension (%s)",
                      crit == -2 ? "repeated" : "malformed", take_tls_errors().c_str());
  }
  for (const GENERAL_NAME* name : names.get()) {
    std::vector<std::string>* list = name->type == GEN_DNS     ? &facts->san_dns
                                     : name->type == GEN_URI   ? &facts->san_uri
                                     : name->type == GEN_EMAIL ? &facts->san_email
                                     : name->type == GEN_IPADD ? &facts->san_ip
                                                               : nullptr;
    if (list == nullptr) continue;  // otherName, directoryName, ...: nothing a script asks for
    // dNSName, uniformResourceIdentifier and rfc822Name are all IA5Strings (d.ia5).
    list->push_back(name->type == GEN_IPADD ? ip_text(name->d.iPAddress) : ia5(name->d.ia5));
  }
  return Status::ok();
}

bool is_self_signed(X509* x) {
  if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(x)) != 0) return false;
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(x));
  const bool ok = key && X509_verify(x, key.get()) == 1;
  clear_tls_errors();  // a failed verify is an answer here, not an error to report later
  return ok;
}

std::string key_type_text(X509* x) {
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(x));
  if (!key) {
    clear_tls_errors();  // an unknown algorithm: the other facts are still worth having
    return "unknown";
  }
  switch (EVP_PKEY_id(key.get())) {
    case EVP_PKEY_EC: {
      const EC_GROUP* group = EC_KEY_get0_group(EVP_PKEY_get0_EC_KEY(key.get()));
      const int nid = group != nullptr ? EC_GROUP_get_curve_name(group) : NID_undef;
      const char* curve = EC_curve_nid2nist(nid);
      return std::string("ECDSA ") + (curve != nullptr ? curve : OBJ_nid2sn(nid));
    }
    case EVP_PKEY_RSA:
      return "RSA " + std::to_string(EVP_PKEY_bits(key.get()));
    case EVP_PKEY_ED25519:
      return "Ed25519";
    default:
      return "unknown";
  }
}

std::string to_pem(std::span<const uint8_t> der) {
  bssl::UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  // The caller's bytes, not a re-encoding: the PEM decodes to exactly the DER we were given.
  if (!bio || PEM_write_bio(bio.get(), "CERTIFICATE", "", der.data(), der.size()) <= 0) return {};
  return bio_text(bio.get());
}

}  // namespace

Result<CertFacts> cert_facts(std::span<const uint8_t> der) {
  if (der.empty()) return make_error(Errc::kInvalidArgument, "empty certificate (no DER bytes)");
  const uint8_t* p = der.data();
  bssl::UniquePtr<X509> x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x) {
    return make_error(Errc::kInvalidArgument, "not a DER X.509 certificate (%zu bytes): %s",
                      der.size(), take_tls_errors().c_str());
  }
  const size_t used = static_cast<size_t>(p - der.data());
  if (used != der.size()) {
    return make_error(Errc::kInvalidArgument,
                      "%zu bytes follow the %zu-byte certificate: pass one DER certificate",
                      der.size() - used, used);
  }

  CertFacts facts;
  facts.subject = name_fields(X509_get_subject_name(x.get()));
  facts.issuer = name_fields(X509_get_issuer_name(x.get()));
  facts.serial = serial_hex(X509_get0_serialNumber(x.get()));

  bssl::UniquePtr<ASN1_TIME> epoch(ASN1_TIME_set(nullptr, 0));
  if (!epoch || !to_unix(X509_get0_notBefore(x.get()), epoch.get(), &facts.not_before) ||
      !to_unix(X509_get0_notAfter(x.get()), epoch.get(), &facts.not_after)) {
    return make_error(Errc::kInvalidArgument, "certificate validity times do not parse: %s",
                      take_tls_errors().c_str());
  }
  facts.not_before_text = time_text(X509_get0_notBefore(x.get()));
  facts.not_after_text = time_text(X509_get0_notAfter(x.get()));

  if (Status s = collect_san(x.get(), &facts); !s) return s;
  facts.self_signed = is_self_signed(x.get());
  facts.version = static_cast<int>(X509_get_version(x.get())) + 1;
  facts.key_type = key_type_text(x.get());
  facts.pem = to_pem(der);
  return facts;
}

std::optional<CertFacts> cert_facts_of(X509* x) {
  if (x == nullptr) return std::nullopt;
  uint8_t* der = nullptr;
  const int len = i2d_X509(x, &der);
  if (len <= 0) {
    clear_tls_errors();
    return std::nullopt;
  }
  auto f = cert_facts({der, static_cast<size_t>(len)});
  OPENSSL_free(der);
  if (!f) return std::nullopt;
  return std::move(f.value());
}

bool cert_expired(const CertFacts& facts, int64_t now_unix) noexcept {
  return now_unix < facts.not_before || now_unix > facts.not_after;
}

}  // namespace sipring
