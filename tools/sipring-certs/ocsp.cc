#include "ocsp.h"

#include <ctime>

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/evp.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/x509.h>

#include "ca_dir.h"
#include "ca_index.h"
#include "errors.h"
#include "pem_io.h"
#include "validity.h"
#include "x509_util.h"

namespace sipring::certs {
namespace {

constexpr unsigned kTag0 = CBS_ASN1_CONTEXT_SPECIFIC | 0;
constexpr unsigned kTag1 = CBS_ASN1_CONTEXT_SPECIFIC | 1;
constexpr unsigned kExplicit0 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0;
constexpr unsigned kExplicit1 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1;
// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1.
constexpr uint8_t kOidBasic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};

bool add_time(CBB* out, int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  struct tm tm;
  char text[32];
  CBB time;
  return gmtime_r(&tt, &tm) != nullptr &&
         strftime(text, sizeof(text), "%Y%m%d%H%M%SZ", &tm) == 15 &&
         CBB_add_asn1(out, &time, CBS_ASN1_GENERALIZEDTIME) &&
         CBB_add_bytes(&time, reinterpret_cast<const uint8_t*>(text), 15) && CBB_flush(out);
}

bool add_der(CBB* out, const uint8_t* der, int len) {
  return len > 0 && CBB_add_bytes(out, der, static_cast<size_t>(len));
}

// An AlgorithmIdentifier; RSA signatures and the CertID hashes carry NULL parameters.
bool add_algorithm(CBB* out, int nid, bool null_params) {
  CBB alg, null;
  return CBB_add_asn1(out, &alg, CBS_ASN1_SEQUENCE) && OBJ_nid2cbb(&alg, nid) &&
         (!null_params || CBB_add_asn1(&alg, &null, CBS_ASN1_NULL)) && CBB_flush(out);
}

bool add_hash(CBB* out, const EVP_MD* md, const uint8_t* data, size_t len) {
  uint8_t hash[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  CBB os;
  return EVP_Digest(data, len, hash, &n, md, nullptr) &&
         CBB_add_asn1(out, &os, CBS_ASN1_OCTETSTRING) && CBB_add_bytes(&os, hash, n) &&
         CBB_flush(out);
}

// CertID (RFC 6960 §4.1.1): hashes of the issuer's name (as the certificate carries it) and of
// its public key bits, and the serial.
bool add_cert_id(CBB* out, X509* cert, X509* ca, bool sha256) {
  const EVP_MD* md = sha256 ? EVP_sha256() : EVP_sha1();
  uint8_t* name = nullptr;
  const int name_len = i2d_X509_NAME(X509_get_issuer_name(cert), &name);
  bssl::UniquePtr<uint8_t> own_name(name);
  uint8_t* serial = nullptr;
  const int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &serial);
  bssl::UniquePtr<uint8_t> own_serial(serial);
  const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(ca);
  CBB id;
  return name_len > 0 && key != nullptr && CBB_add_asn1(out, &id, CBS_ASN1_SEQUENCE) &&
         add_algorithm(&id, sha256 ? NID_sha256 : NID_sha1, true) &&
         add_hash(&id, md, name, static_cast<size_t>(name_len)) &&
         add_hash(&id, md, ASN1_STRING_get0_data(key),
                  static_cast<size_t>(ASN1_STRING_length(key))) &&
         add_der(&id, serial, serial_len) && CBB_flush(out);
}

struct Answer {
  bool revoked = false;
  int64_t revoked_at = 0;
  int64_t this_update = 0;
  int64_t next_update = 0;
};

bool add_single(CBB* out, X509* cert, X509* ca, const Answer& a, bool sha256) {
  CBB single, status, next;
  if (!CBB_add_asn1(out, &single, CBS_ASN1_SEQUENCE) || !add_cert_id(&single, cert, ca, sha256)) {
    return false;
  }
  if (a.revoked) {
    if (!CBB_add_asn1(&single, &status, kExplicit1) || !add_time(&status, a.revoked_at)) {
      return false;
    }
  } else if (!CBB_add_asn1(&single, &status, kTag0)) {  // good: [0] IMPLICIT NULL
    return false;
  }
  return CBB_flush(&single) && add_time(&single, a.this_update) &&
         CBB_add_asn1(&single, &next, kExplicit0) && add_time(&next, a.next_update) &&
         CBB_flush(out);
}

// ResponseData: v1 (omitted), responderID byName, producedAt = thisUpdate, one response.
bool add_response_data(CBB* out, X509* cert, X509* ca, const Answer& a, bool sha256) {
  uint8_t* name = nullptr;
  const int name_len = i2d_X509_NAME(X509_get_subject_name(ca), &name);
  bssl::UniquePtr<uint8_t> own(name);
  CBB data, rid, responses;
  return CBB_add_asn1(out, &data, CBS_ASN1_SEQUENCE) && CBB_add_asn1(&data, &rid, kExplicit1) &&
         add_der(&rid, name, name_len) && add_time(&data, a.this_update) &&
         CBB_add_asn1(&data, &responses, CBS_ASN1_SEQUENCE) &&
         add_single(&responses, cert, ca, a, sha256) && CBB_flush(out);
}

Result<std::string> encode(X509* cert, const LoadedCa& ca, const Answer& a, bool sha256) {
  bssl::ScopedCBB tbs;
  uint8_t* tbs_der = nullptr;
  size_t tbs_len = 0;
  if (!CBB_init(tbs.get(), 512) || !add_response_data(tbs.get(), cert, ca.cert.get(), a, sha256) ||
      !CBB_finish(tbs.get(), &tbs_der, &tbs_len)) {
    return tls_error("encoding the OCSP ResponseData");
  }
  bssl::UniquePtr<uint8_t> own_tbs(tbs_der);
  const bool rsa = EVP_PKEY_id(ca.key.get()) == NID_rsaEncryption;
  bssl::ScopedEVP_MD_CTX md;
  size_t sig_len = 0;
  if (!EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, ca.key.get()) ||
      !EVP_DigestSign(md.get(), nullptr, &sig_len, tbs_der, tbs_len)) {
    return tls_error("signing the OCSP response");
  }
  std::string sig(sig_len, '\0');
  if (!EVP_DigestSign(md.get(), reinterpret_cast<uint8_t*>(sig.data()), &sig_len, tbs_der,
                      tbs_len)) {
    return tls_error("signing the OCSP response");
  }
  bssl::ScopedCBB cbb;
  CBB resp, status, bytes_exp, bytes, type, octets, basic, bits;
  uint8_t* der = nullptr;
  size_t der_len = 0;
  if (!CBB_init(cbb.get(), tbs_len + sig_len + 64) ||
      !CBB_add_asn1(cbb.get(), &resp, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&resp, &status, CBS_ASN1_ENUMERATED) || !CBB_add_u8(&status, 0) ||
      !CBB_add_asn1(&resp, &bytes_exp, kExplicit0) ||
      !CBB_add_asn1(&bytes_exp, &bytes, CBS_ASN1_SEQUENCE) ||
      !CBB_add_asn1(&bytes, &type, CBS_ASN1_OBJECT) ||
      !CBB_add_bytes(&type, kOidBasic, sizeof(kOidBasic)) ||
      !CBB_add_asn1(&bytes, &octets, CBS_ASN1_OCTETSTRING) ||
      !CBB_add_asn1(&octets, &basic, CBS_ASN1_SEQUENCE) ||
      !CBB_add_bytes(&basic, tbs_der, tbs_len) ||
      !add_algorithm(&basic, rsa ? NID_sha256WithRSAEncryption : NID_ecdsa_with_SHA256, rsa) ||
      !CBB_add_asn1(&basic, &bits, CBS_ASN1_BITSTRING) || !CBB_add_u8(&bits, 0) ||
      !CBB_add_bytes(&bits, reinterpret_cast<const uint8_t*>(sig.data()), sig_len) ||
      !CBB_finish(cbb.get(), &der, &der_len)) {
    return tls_error("encoding the OCSP response");
  }
  bssl::UniquePtr<uint8_t> own(der);
  return std::string(reinterpret_cast<const char*>(der), der_len);
}

// The index's revocation time (YYMMDDHHMMSSZ, maybe followed by ",reason") in seconds.
Result<int64_t> index_time(const std::string& text, const std::string& index_path) {
  const std::string t = text.substr(0, text.find(','));
  if (t.size() != 13) return config_error(index_path + ": bad revocation time '" + t + "'");
  const std::string century = t.compare(0, 2, "50") < 0 ? "20" : "19";  // RFC 5280 UTCTime
  return parse_utc_time(century + t);
}

// The status, times and revocation the response states.
Result<Answer> answer_for(const OcspOptions& o, X509* cert, const CaPaths& paths) {
  Answer a;
  a.this_update = o.this_update.value_or(static_cast<int64_t>(time(nullptr)));
  a.next_update = o.next_update.value_or(a.this_update + o.days * 86400);
  if (a.next_update <= a.this_update) {
    return usage_error("nextUpdate must be after thisUpdate");
  }
  a.revoked = o.status == OcspOptions::CertStatus::kRevoked;
  a.revoked_at = o.revoked_at.value_or(a.this_update);
  if (o.status != OcspOptions::CertStatus::kFromIndex && !(a.revoked && !o.revoked_at)) return a;
  Result<std::vector<IndexEntry>> index = load_index(paths.index);
  if (!index) return index.status();
  Result<std::string> serial = serial_hex(X509_get0_serialNumber(cert));
  if (!serial) return serial.status();
  IndexEntry* entry = find_entry(*index, *serial);
  if (entry == nullptr) {
    if (o.status != OcspOptions::CertStatus::kFromIndex) return a;  // revoked, at thisUpdate
    return config_error(o.cert_file + ": serial " + *serial + " is not recorded in " + paths.index +
                        "; give --status good or --status revoked");
  }
  if (o.status == OcspOptions::CertStatus::kFromIndex) a.revoked = entry->status == 'R';
  if (a.revoked && !o.revoked_at && entry->status == 'R') {
    Result<int64_t> at = index_time(entry->revoked_at, paths.index);
    if (!at) return at.status();
    a.revoked_at = *at;
  }
  return a;
}

}  // namespace

Status write_ocsp_response(const OcspOptions& options) {
  if (Status s = check_writable(options.out, options.overwrite); !s) return s;
  CaPaths paths = CaPaths::in(options.dir);
  Result<LoadedCa> ca = load_ca(paths);
  if (!ca) return ca.status();
  Result<bssl::UniquePtr<X509>> cert = read_cert_file(options.cert_file);
  if (!cert) return cert.status();
  if (Status s = check_issued_by(cert->get(), ca->cert.get(), options.cert_file, paths.cert); !s) {
    return s;
  }
  Result<Answer> answer = answer_for(options, cert->get(), paths);
  if (!answer) return answer.status();
  Result<std::string> der = encode(cert->get(), *ca, *answer, options.sha256_cert_id);
  if (!der) return der.status();
  return write_reported(options.out, *der, kPublicMode, options.overwrite);
}

}  // namespace sipring::certs
