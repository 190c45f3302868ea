#include "crypto/ocsp.h"

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>

namespace sipring {
namespace {

constexpr unsigned kExplicit0 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 0;
constexpr unsigned kExplicit1 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 1;
constexpr unsigned kExplicit2 = CBS_ASN1_CONTEXT_SPECIFIC | CBS_ASN1_CONSTRUCTED | 2;
constexpr unsigned kImplicit0 = CBS_ASN1_CONTEXT_SPECIFIC | 0;  // good: [0] IMPLICIT NULL
constexpr unsigned kImplicit2 = CBS_ASN1_CONTEXT_SPECIFIC | 2;  // unknown: [2] IMPLICIT NULL
constexpr unsigned kRevokedTag = kExplicit1;                    // [1] IMPLICIT RevokedInfo

// id-pkix-ocsp-basic, 1.3.6.1.5.5.7.48.1.1.
constexpr uint8_t kOidBasic[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01};

std::span<const uint8_t> span_of(const CBS& c) {
  return {CBS_data(&c), CBS_len(&c)};
}

// Days from 1970-01-01 to y-m-d, y >= 0 (proleptic Gregorian; H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// A DER GeneralizedTime as RFC 5280 §4.1.2.5.2 restricts it: YYYYMMDDHHMMSSZ exactly.
bool get_time(CBS* in, int64_t* out) {
  CBS t;
  if (!CBS_get_asn1(in, &t, CBS_ASN1_GENERALIZEDTIME) || CBS_len(&t) != 15) return false;
  const uint8_t* p = CBS_data(&t);
  if (p[14] != 'Z') return false;
  int v[6];
  const int widths[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0, pos = 0; i < 6; pos += widths[i], ++i) {
    v[i] = 0;
    for (int k = 0; k < widths[i]; ++k) {
      const uint8_t c = p[pos + k];
      if (c < '0' || c > '9') return false;
      v[i] = v[i] * 10 + (c - '0');
    }
  }
  static constexpr int kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > kMonthDays[v[1] - 1] || v[3] > 23 || v[4] > 59 ||
      v[5] > 59) {
    return false;
  }
  const bool leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
  if (v[1] == 2 && v[2] == 29 && !leap) return false;
  *out = days_from_civil(v[0], v[1], v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5];
  return true;
}

// An AlgorithmIdentifier whose parameters are absent or NULL; *oid gets the OID's contents.
bool get_algorithm(CBS* in, CBS* oid) {
  CBS alg, params;
  if (!CBS_get_asn1(in, &alg, CBS_ASN1_SEQUENCE) || !CBS_get_asn1(&alg, oid, CBS_ASN1_OBJECT)) {
    return false;
  }
  if (CBS_len(&alg) == 0) return true;
  return CBS_get_asn1(&alg, &params, CBS_ASN1_NULL) && CBS_len(&params) == 0 && CBS_len(&alg) == 0;
}

int hash_nid_of(const CBS& oid) {
  const int nid = OBJ_cbs2nid(&oid);
  return nid == NID_sha1 || nid == NID_sha256 ? nid : 0;
}

// Extensions are skipped, but they must be a SEQUENCE; nonces and the like change nothing here.
bool skip_extensions(CBS* in, unsigned tag) {
  int present = 0;
  CBS ext, seq;
  if (!CBS_get_optional_asn1(in, &ext, &present, tag)) return false;
  return !present || (CBS_get_asn1(&ext, &seq, CBS_ASN1_SEQUENCE) && CBS_len(&ext) == 0);
}

const char* parse_response_data(CBS tbs, OcspResponse* out) {
  CBS rd, ver, rid, responses;
  int has_version = 0;
  unsigned rid_tag = 0;
  uint64_t version = 0;
  if (!CBS_get_asn1(&tbs, &rd, CBS_ASN1_SEQUENCE) ||
      !CBS_get_optional_asn1(&rd, &ver, &has_version, kExplicit0)) {
    return "ResponseData does not parse";
  }
  if (has_version && (!CBS_get_asn1_uint64(&ver, &version) || version != 0 || CBS_len(&ver) != 0)) {
    return "ResponseData.version is not v1";
  }
  if (!CBS_get_any_asn1(&rd, &rid, &rid_tag) || (rid_tag != kExplicit1 && rid_tag != kExplicit2)) {
    return "ResponseData.responderID is neither byName nor byKey";
  }
  if (!get_time(&rd, &out->produced_at)) return "ResponseData.producedAt is not a GeneralizedTime";
  if (!CBS_get_asn1(&rd, &responses, CBS_ASN1_SEQUENCE) || !skip_extensions(&rd, kExplicit1) ||
      CBS_len(&rd) != 0) {
    return "ResponseData.responses does not parse";
  }
  out->responses = span_of(responses);
  if (out->responses.empty()) return "the response holds no SingleResponse";
  std::span<const uint8_t> rest = out->responses;
  OcspSingle single;
  while (!rest.empty()) {
    if (const char* why = next_ocsp_single(&rest, &single)) return why;
  }
  return nullptr;
}

// The certificate in `cert_der` signed by `issuer`, valid at `now` and authorised for OCSP
// signing (RFC 6960 §4.2.2.2: id-kp-OCSPSigning in its extended key usage), or null.
bssl::UniquePtr<X509> authorised_responder(CBS cert_der, X509* issuer, EVP_PKEY* issuer_key,
                                           int64_t now) {
  const uint8_t* p = CBS_data(&cert_der);
  bssl::UniquePtr<X509> r(d2i_X509(nullptr, &p, static_cast<long>(CBS_len(&cert_der))));
  if (!r || p != CBS_data(&cert_der) + CBS_len(&cert_der)) return nullptr;
  time_t t = static_cast<time_t>(now);
  const bool ok = X509_check_issued(issuer, r.get()) == X509_V_OK &&
                  X509_verify(r.get(), issuer_key) == 1 &&
                  (X509_get_extension_flags(r.get()) & EXFLAG_XKUSAGE) != 0 &&
                  (X509_get_extended_key_usage(r.get()) & XKU_OCSP_SIGN) != 0 &&
                  X509_cmp_time(X509_get0_notBefore(r.get()), &t) < 0 &&
                  X509_cmp_time(X509_get0_notAfter(r.get()), &t) > 0;
  if (!ok) return nullptr;
  return r;
}

// Whether `key` made `r.signature` over `r.tbs` with `r.sig_alg` (ECDSA, RSA PKCS#1 with SHA-2,
// Ed25519; the key type must match the algorithm). *unsupported is set for other algorithms.
bool signature_verifies(const OcspResponse& r, EVP_PKEY* key, bool* unsupported) {
  CBS oid;
  CBS_init(&oid, r.sig_alg.data(), r.sig_alg.size());
  int md_nid = 0, pkey_nid = 0;
  const int sig_nid = OBJ_cbs2nid(&oid);
  if (sig_nid == NID_undef || !OBJ_find_sigid_algs(sig_nid, &md_nid, &pkey_nid) ||
      !(md_nid == NID_sha256 || md_nid == NID_sha384 || md_nid == NID_sha512 ||
        (md_nid == NID_undef && pkey_nid == NID_ED25519)) ||
      !(pkey_nid == NID_rsaEncryption || pkey_nid == NID_X9_62_id_ecPublicKey ||
        pkey_nid == NID_ED25519)) {
    *unsupported = true;
    return false;
  }
  if (EVP_PKEY_id(key) != pkey_nid) return false;
  const EVP_MD* md = md_nid == NID_undef ? nullptr : EVP_get_digestbynid(md_nid);
  bssl::ScopedEVP_MD_CTX ctx;
  const bool ok = EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key) &&
                  EVP_DigestVerify(ctx.get(), r.signature.data(), r.signature.size(), r.tbs.data(),
                                   r.tbs.size());
  ERR_clear_error();
  return ok;
}

// Whether `s`'s CertID names `leaf` issued by `issuer` (RFC 6960 §4.1.1: hashes of the issuer's
// name as the leaf carries it and of the issuer's public key bits; the leaf's serial).
bool names_certificate(const OcspSingle& s, X509* leaf, X509* issuer) {
  const EVP_MD* md = s.hash_nid == NID_sha1     ? EVP_sha1()
                     : s.hash_nid == NID_sha256 ? EVP_sha256()
                                                : nullptr;
  const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(issuer);
  const uint8_t* name = nullptr;
  size_t name_len = 0;
  if (md == nullptr || key == nullptr ||
      !X509_NAME_get0_der(X509_get_issuer_name(leaf), &name, &name_len)) {
    return false;
  }
  uint8_t hash[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  if (!EVP_Digest(name, name_len, hash, &len, md, nullptr) || s.name_hash.size() != len ||
      memcmp(hash, s.name_hash.data(), len) != 0 ||
      !EVP_Digest(ASN1_STRING_get0_data(key), static_cast<size_t>(ASN1_STRING_length(key)), hash,
                  &len, md, nullptr) ||
      s.key_hash.size() != len || memcmp(hash, s.key_hash.data(), len) != 0) {
    return false;
  }
  uint8_t serial[64];
  uint8_t* w = serial;
  const ASN1_INTEGER* sn = X509_get0_serialNumber(leaf);
  const int n = i2d_ASN1_INTEGER(sn, nullptr);
  return n > 0 && static_cast<size_t>(n) <= sizeof(serial) && i2d_ASN1_INTEGER(sn, &w) == n &&
         s.serial.size() == static_cast<size_t>(n) &&
         memcmp(serial, s.serial.data(), s.serial.size()) == 0;
}

}  // namespace

const char* next_ocsp_single(std::span<const uint8_t>* responses, OcspSingle* out) {
  CBS in, single, cert_id, hash_oid, name_hash, key_hash, serial, status;
  CBS_init(&in, responses->data(), responses->size());
  unsigned status_tag = 0;
  if (!CBS_get_asn1(&in, &single, CBS_ASN1_SEQUENCE) ||
      !CBS_get_asn1(&single, &cert_id, CBS_ASN1_SEQUENCE) || !get_algorithm(&cert_id, &hash_oid) ||
      !CBS_get_asn1(&cert_id, &name_hash, CBS_ASN1_OCTETSTRING) ||
      !CBS_get_asn1(&cert_id, &key_hash, CBS_ASN1_OCTETSTRING) ||
      !CBS_get_asn1_element(&cert_id, &serial, CBS_ASN1_INTEGER) || CBS_len(&cert_id) != 0) {
    return "a SingleResponse's CertID does not parse";
  }
  *out = OcspSingle();
  out->hash_nid = hash_nid_of(hash_oid);
  out->name_hash = span_of(name_hash);
  out->key_hash = span_of(key_hash);
  out->serial = span_of(serial);
  if (!CBS_get_any_asn1(&single, &status, &status_tag)) return "a certStatus does not parse";
  if (status_tag == kImplicit0 && CBS_len(&status) == 0) {
    out->status = OcspCertStatus::kGood;
  } else if (status_tag == kImplicit2 && CBS_len(&status) == 0) {
    out->status = OcspCertStatus::kUnknown;
  } else if (status_tag == kRevokedTag) {
    out->status = OcspCertStatus::kRevoked;
    CBS reason, reason_enum;
    int has_reason = 0;
    if (!get_time(&status, &out->revocation_time) ||
        !CBS_get_optional_asn1(&status, &reason, &has_reason, kExplicit0) ||
        (has_reason &&
         (!CBS_get_asn1(&reason, &reason_enum, CBS_ASN1_ENUMERATED) || CBS_len(&reason) != 0)) ||
        CBS_len(&status) != 0) {
      return "a revoked certStatus (RevokedInfo) does not parse";
    }
  } else {
    return "a certStatus is neither good, revoked nor unknown";
  }
  if (!get_time(&single, &out->this_update)) return "a thisUpdate is not a GeneralizedTime";
  CBS next;
  int has_next = 0;
  if (!CBS_get_optional_asn1(&single, &next, &has_next, kExplicit0) ||
      (has_next && (!get_time(&next, &out->next_update) || CBS_len(&next) != 0))) {
    return "a nextUpdate is not a GeneralizedTime";
  }
  if (!skip_extensions(&single, kExplicit1) || CBS_len(&single) != 0) {
    return "a SingleResponse has unexpected fields";
  }
  *responses = responses->subspan(responses->size() - CBS_len(&in));
  return nullptr;
}

const char* parse_ocsp_response(std::span<const uint8_t> der, OcspResponse* out) {
  *out = OcspResponse();
  CBS in, resp, status, bytes_exp, bytes, type, basic_octets, basic, tbs, sig, certs_exp, certs;
  CBS_init(&in, der.data(), der.size());
  uint64_t st = 0;
  if (!CBS_get_asn1(&in, &resp, CBS_ASN1_SEQUENCE) || CBS_len(&in) != 0 ||
      !CBS_get_asn1(&resp, &status, CBS_ASN1_ENUMERATED) || CBS_len(&status) != 1) {
    return "not a DER OCSPResponse";
  }
  st = CBS_data(&status)[0];
  if (st > 6 || st == 4) return "responseStatus is not an OCSPResponseStatus";
  out->response_status = static_cast<int>(st);
  if (st != 0) return nullptr;
  if (!CBS_get_asn1(&resp, &bytes_exp, kExplicit0) || CBS_len(&resp) != 0 ||
      !CBS_get_asn1(&bytes_exp, &bytes, CBS_ASN1_SEQUENCE) || CBS_len(&bytes_exp) != 0 ||
      !CBS_get_asn1(&bytes, &type, CBS_ASN1_OBJECT) ||
      !CBS_get_asn1(&bytes, &basic_octets, CBS_ASN1_OCTETSTRING) || CBS_len(&bytes) != 0) {
    return "successful, but its responseBytes do not parse";
  }
  if (!CBS_mem_equal(&type, kOidBasic, sizeof(kOidBasic))) {
    return "not a basic OCSP response (responseType is not id-pkix-ocsp-basic)";
  }
  CBS sig_oid;
  uint8_t unused_bits = 0;
  if (!CBS_get_asn1(&basic_octets, &basic, CBS_ASN1_SEQUENCE) || CBS_len(&basic_octets) != 0 ||
      !CBS_get_asn1_element(&basic, &tbs, CBS_ASN1_SEQUENCE) || !get_algorithm(&basic, &sig_oid) ||
      !CBS_get_asn1(&basic, &sig, CBS_ASN1_BITSTRING) || !CBS_get_u8(&sig, &unused_bits) ||
      unused_bits != 0) {
    return "the BasicOCSPResponse does not parse";
  }
  int has_certs = 0;
  if (!CBS_get_optional_asn1(&basic, &certs_exp, &has_certs, kExplicit0) ||
      (has_certs &&
       (!CBS_get_asn1(&certs_exp, &certs, CBS_ASN1_SEQUENCE) || CBS_len(&certs_exp) != 0)) ||
      CBS_len(&basic) != 0) {
    return "the BasicOCSPResponse's certs do not parse";
  }
  out->tbs = span_of(tbs);
  out->sig_alg = span_of(sig_oid);
  out->signature = span_of(sig);
  if (has_certs) out->certs = span_of(certs);
  return parse_response_data(tbs, out);
}

OcspVerdict check_ocsp_response(std::span<const uint8_t> der, X509* leaf, X509* issuer,
                                int64_t now) {
  OcspVerdict v;
  OcspResponse r;
  if (const char* why = parse_ocsp_response(der, &r)) {
    v.reason = why;
    return v;
  }
  if (r.response_status != 0) {
    static constexpr const char* kNotSuccessful[] = {
        "",
        "responseStatus is not successful but malformedRequest",
        "responseStatus is not successful but internalError",
        "responseStatus is not successful but tryLater",
        "",
        "responseStatus is not successful but sigRequired",
        "responseStatus is not successful but unauthorized"};
    v.reason = kNotSuccessful[r.response_status];  // 1-6 but 4 (parse_ocsp_response)
    return v;
  }
  std::span<const uint8_t> rest = r.responses;
  while (!rest.empty() && !v.found) {
    if (next_ocsp_single(&rest, &v.single) != nullptr) break;  // parse_ocsp_response checked
    v.found = names_certificate(v.single, leaf, issuer);
  }
  if (!v.found) {
    v.reason = "it holds no status for this certificate (another certificate or issuer)";
    return v;
  }
  // Signed by the issuer itself, or by a responder certificate in the response it authorised.
  bssl::UniquePtr<EVP_PKEY> issuer_key(X509_get_pubkey(issuer));
  bool unsupported = false;
  bool signed_ok = issuer_key && signature_verifies(r, issuer_key.get(), &unsupported);
  CBS certs;
  CBS_init(&certs, r.certs.data(), r.certs.size());
  CBS one;
  while (!signed_ok && !unsupported && issuer_key && CBS_len(&certs) != 0 &&
         CBS_get_asn1_element(&certs, &one, CBS_ASN1_SEQUENCE)) {
    bssl::UniquePtr<X509> responder = authorised_responder(one, issuer, issuer_key.get(), now);
    if (!responder) continue;
    bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(responder.get()));
    signed_ok = key && signature_verifies(r, key.get(), &unsupported);
  }
  ERR_clear_error();
  if (!signed_ok) {
    v.reason = unsupported ? "its signature algorithm is not supported (ECDSA, RSA PKCS#1 with "
                             "SHA-256/384/512, Ed25519 are)"
                           : "its signature does not verify with the issuer's key, nor with a "
                             "responder certificate in it that the issuer authorised "
                             "(id-kp-OCSPSigning)";
    return v;
  }
  const OcspSingle& s = v.single;
  if (s.this_update > now + kOcspClockSkewSeconds) {
    v.reason = "its thisUpdate is in the future";
    return v;
  }
  if (s.next_update == 0) {
    v.reason = "it has no nextUpdate, so it does not say how long it may be used";
    return v;
  }
  if (s.next_update <= now) {
    v.reason = "it has expired (its nextUpdate has passed)";
    return v;
  }
  switch (s.status) {
    case OcspCertStatus::kGood:
      v.kind = OcspVerdict::Kind::kGood;
      v.reason = "";
      break;
    case OcspCertStatus::kRevoked:
      v.kind = OcspVerdict::Kind::kRevoked;
      v.reason = "the certificate is revoked";
      break;
    case OcspCertStatus::kUnknown:
      v.reason = "the responder does not know the certificate (status unknown)";
      break;
  }
  return v;
}

}  // namespace sipring
