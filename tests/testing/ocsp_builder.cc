#include "tests/testing/ocsp_builder.h"

#include <openssl/bytestring.h>
#include <openssl/digest.h>
#include <openssl/mem.h>
#include <openssl/nid.h>
#include <openssl/obj.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>

namespace sipring::test {
namespace {

constexpr unsigned kCtx = CBS_ASN1_CONTEXT_SPECIFIC;
constexpr unsigned kCons = CBS_ASN1_CONSTRUCTED;

void must(bool ok, const char* what) {
  if (ok) return;
  std::fprintf(stderr, "ocsp_builder: %s failed\n", what);
  std::abort();
}

void gen_time(CBB* out, int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  struct tm tm;
  char buf[20];
  must(gmtime_r(&tt, &tm) != nullptr, "gmtime_r");
  must(strftime(buf, sizeof(buf), "%Y%m%d%H%M%SZ", &tm) == 15, "strftime");
  CBB c;
  must(CBB_add_asn1(out, &c, CBS_ASN1_GENERALIZEDTIME) &&
           CBB_add_bytes(&c, reinterpret_cast<const uint8_t*>(buf), 15) && CBB_flush(out),
       "GeneralizedTime");
}

void octets_of_hash(CBB* out, const EVP_MD* md, const uint8_t* p, size_t n, bool damage) {
  uint8_t h[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  must(EVP_Digest(p, n, h, &len, md, nullptr), "EVP_Digest");
  if (damage) h[0] ^= 1;
  CBB c;
  must(CBB_add_asn1(out, &c, CBS_ASN1_OCTETSTRING) && CBB_add_bytes(&c, h, len) && CBB_flush(out),
       "OCTET STRING");
}

void single(CBB* out, const OcspSpec& s, X509* leaf, X509* issuer, bool other) {
  CBB sr, id, alg, st, next;
  const EVP_MD* md = s.sha256_id ? EVP_sha256() : EVP_sha1();
  uint8_t* name = nullptr;
  const int name_len = i2d_X509_NAME(X509_get_issuer_name(leaf), &name);
  const ASN1_BIT_STRING* key = X509_get0_pubkey_bitstr(issuer);
  bssl::UniquePtr<ASN1_INTEGER> serial(ASN1_INTEGER_dup(X509_get0_serialNumber(leaf)));
  if (other || s.wrong_serial) ASN1_INTEGER_set(serial.get(), 0x7777);
  uint8_t* serial_der = nullptr;
  const int serial_len = i2d_ASN1_INTEGER(serial.get(), &serial_der);
  must(name_len > 0 && serial_len > 0 && CBB_add_asn1(out, &sr, CBS_ASN1_SEQUENCE) &&
           CBB_add_asn1(&sr, &id, CBS_ASN1_SEQUENCE) &&
           CBB_add_asn1(&id, &alg, CBS_ASN1_SEQUENCE) &&
           OBJ_nid2cbb(&alg, s.sha256_id ? NID_sha256 : NID_sha1) && CBB_flush(&id),
       "CertID");
  octets_of_hash(&id, md, name, static_cast<size_t>(name_len), false);
  octets_of_hash(&id, md, ASN1_STRING_get0_data(key), static_cast<size_t>(ASN1_STRING_length(key)),
                 s.wrong_key_hash);
  must(CBB_add_bytes(&id, serial_der, static_cast<size_t>(serial_len)) && CBB_flush(&sr), "serial");
  OPENSSL_free(name);
  OPENSSL_free(serial_der);
  if (s.status == OcspSpec::Cert::kRevoked) {
    must(CBB_add_asn1(&sr, &st, kCtx | kCons | 1), "revoked");
    gen_time(&st, s.revoked_at);
  } else {
    must(CBB_add_asn1(&sr, &st, kCtx | (s.status == OcspSpec::Cert::kGood ? 0 : 2)), "status");
  }
  must(CBB_flush(&sr), "status");
  gen_time(&sr, s.this_update);
  if (s.next_update != 0) {
    must(CBB_add_asn1(&sr, &next, kCtx | kCons | 0), "nextUpdate");
    gen_time(&next, s.next_update);
  }
  must(CBB_flush(out), "SingleResponse");
}

std::vector<uint8_t> finish(CBB* cbb) {
  uint8_t* p = nullptr;
  size_t n = 0;
  must(CBB_finish(cbb, &p, &n), "CBB_finish");
  std::vector<uint8_t> v(p, p + n);
  OPENSSL_free(p);
  return v;
}

}  // namespace

std::vector<uint8_t> make_ocsp_response(const OcspSpec& s, const IssuedCert& leaf,
                                        const IssuedCert& issuer) {
  bssl::ScopedCBB cbb;
  CBB resp, status;
  must(CBB_init(cbb.get(), 1024) && CBB_add_asn1(cbb.get(), &resp, CBS_ASN1_SEQUENCE) &&
           CBB_add_asn1(&resp, &status, CBS_ASN1_ENUMERATED) &&
           CBB_add_u8(&status, static_cast<uint8_t>(s.response_status)),
       "OCSPResponse");
  if (s.response_status != 0) return finish(cbb.get());

  const IssuedCert& signer = s.signer != nullptr ? *s.signer : issuer;
  bssl::ScopedCBB tbs_cbb;
  CBB rd, rid, responses;
  uint8_t* name = nullptr;
  const int name_len = i2d_X509_NAME(X509_get_subject_name(signer.x509.get()), &name);
  must(CBB_init(tbs_cbb.get(), 512) && CBB_add_asn1(tbs_cbb.get(), &rd, CBS_ASN1_SEQUENCE) &&
           CBB_add_asn1(&rd, &rid, kCtx | kCons | 1) &&
           CBB_add_bytes(&rid, name, static_cast<size_t>(name_len)) && CBB_flush(&rd),
       "ResponseData");
  OPENSSL_free(name);
  gen_time(&rd, s.this_update);
  must(CBB_add_asn1(&rd, &responses, CBS_ASN1_SEQUENCE), "responses");
  if (s.other_single_first) single(&responses, s, leaf.x509.get(), issuer.x509.get(), true);
  single(&responses, s, leaf.x509.get(), issuer.x509.get(), false);
  const std::vector<uint8_t> tbs = finish(tbs_cbb.get());

  bssl::ScopedEVP_MD_CTX md;
  size_t sig_len = 0;
  must(EVP_DigestSignInit(md.get(), nullptr, EVP_sha256(), nullptr, signer.key.get()) &&
           EVP_DigestSign(md.get(), nullptr, &sig_len, tbs.data(), tbs.size()),
       "sign");
  std::vector<uint8_t> sig(sig_len);
  must(EVP_DigestSign(md.get(), sig.data(), &sig_len, tbs.data(), tbs.size()), "sign");
  sig.resize(sig_len);
  if (s.flip_signature_bit) sig[sig.size() / 2] ^= 0x10;

  CBB bytes_exp, bytes, type, octets, basic, alg, bits, certs_exp, certs;
  must(CBB_add_asn1(&resp, &bytes_exp, kCtx | kCons | 0) &&
           CBB_add_asn1(&bytes_exp, &bytes, CBS_ASN1_SEQUENCE) &&
           CBB_add_asn1(&bytes, &type, CBS_ASN1_OBJECT) &&
           CBB_add_asn1_oid_from_text(&type, "1.3.6.1.5.5.7.48.1.1", 20) &&
           CBB_add_asn1(&bytes, &octets, CBS_ASN1_OCTETSTRING) &&
           CBB_add_asn1(&octets, &basic, CBS_ASN1_SEQUENCE) &&
           CBB_add_bytes(&basic, tbs.data(), tbs.size()) &&
           CBB_add_asn1(&basic, &alg, CBS_ASN1_SEQUENCE) &&
           OBJ_nid2cbb(&alg, NID_ecdsa_with_SHA256) &&
           CBB_add_asn1(&basic, &bits, CBS_ASN1_BITSTRING) && CBB_add_u8(&bits, 0) &&
           CBB_add_bytes(&bits, sig.data(), sig.size()),
       "BasicOCSPResponse");
  if (s.include_signer) {
    must(CBB_add_asn1(&basic, &certs_exp, kCtx | kCons | 0) &&
             CBB_add_asn1(&certs_exp, &certs, CBS_ASN1_SEQUENCE) &&
             CBB_add_bytes(&certs, signer.der.data(), signer.der.size()),
         "certs");
  }
  return finish(cbb.get());
}

}  // namespace sipring::test
