// Tests of the OCSP parser and checks (crypto/ocsp.h) on responses built in memory
// (tests/testing/ocsp_builder.h): good, revoked and unknown statuses, SHA-1 and SHA-256
// CertIDs, time windows, responses for other certificates, wrong signers, authorised and
// unauthorised responder certificates, unsuccessful statuses, and malformed input (every
// truncation, every flipped byte, trailing bytes, PEM text).
#include "crypto/ocsp.h"

#include <gtest/gtest.h>
#include <openssl/nid.h>

#include <string>
#include <vector>

#include "tests/testing/cert_builder.h"
#include "tests/testing/ocsp_builder.h"

namespace sipring {
namespace {

using test::CertSpec;
using test::issue_cert;
using test::IssuedCert;
using test::make_ocsp_response;
using test::OcspSpec;

constexpr int64_t kNow = 1750000000;  // inside CertSpec's default validity

class OcspTest : public ::testing::Test {
 protected:
  OcspTest() {
    CertSpec ca;
    ca.subject = {{"CN", "OCSP Test CA"}};
    ca.ca = true;
    ca_ = issue_cert(ca);
    CertSpec leaf;
    leaf.subject = {{"CN", "sip.example"}};
    leaf.serial = {0x8f, 0x01};
    leaf_ = issue_cert(leaf, &ca_);
  }

  OcspSpec good() const {
    OcspSpec s;
    s.this_update = kNow - 3600;
    s.next_update = kNow + 86400;
    return s;
  }

  OcspVerdict check(const std::vector<uint8_t>& der, int64_t now = kNow) {
    return check_ocsp_response(der, leaf_.x509.get(), ca_.x509.get(), now);
  }

  OcspVerdict check(const OcspSpec& s, int64_t now = kNow) {
    return check(make_ocsp_response(s, leaf_, ca_), now);
  }

  IssuedCert ca_, leaf_;
};

TEST_F(OcspTest, GoodWithSha1CertIdIsGood) {
  OcspVerdict v = check(good());
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kGood) << v.reason;
  ASSERT_TRUE(v.found);
  EXPECT_EQ(v.single.hash_nid, NID_sha1);
  EXPECT_EQ(v.single.this_update, kNow - 3600);
  EXPECT_EQ(v.single.next_update, kNow + 86400);
}

TEST_F(OcspTest, GoodWithSha256CertIdIsGood) {
  OcspSpec s = good();
  s.sha256_id = true;
  OcspVerdict v = check(s);
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kGood) << v.reason;
  EXPECT_EQ(v.single.hash_nid, NID_sha256);
}

TEST_F(OcspTest, RevokedIsRevokedWithItsTime) {
  OcspSpec s = good();
  s.status = OcspSpec::Cert::kRevoked;
  s.revoked_at = kNow - 7200;
  OcspVerdict v = check(s);
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kRevoked);
  EXPECT_EQ(v.single.revocation_time, kNow - 7200);
  EXPECT_NE(std::string(v.reason).find("revoked"), std::string::npos);
}

TEST_F(OcspTest, UnknownStatusIsRefused) {
  OcspSpec s = good();
  s.status = OcspSpec::Cert::kUnknown;
  OcspVerdict v = check(s);
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kRefused);
  EXPECT_NE(std::string(v.reason).find("unknown"), std::string::npos);
}

TEST_F(OcspTest, ExpiredIsRefused) {
  OcspVerdict v = check(good(), kNow + 86400);  // exactly at nextUpdate: no longer valid
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kRefused);
  EXPECT_NE(std::string(v.reason).find("expired"), std::string::npos);
}

TEST_F(OcspTest, ThisUpdateInTheFutureIsRefusedBeyondTheSkewOnly) {
  OcspSpec s = good();
  s.this_update = kNow + kOcspClockSkewSeconds;
  EXPECT_EQ(check(s).kind, OcspVerdict::Kind::kGood);
  s.this_update = kNow + kOcspClockSkewSeconds + 1;
  OcspVerdict v = check(s);
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kRefused);
  EXPECT_NE(std::string(v.reason).find("future"), std::string::npos);
}

TEST_F(OcspTest, NoNextUpdateIsRefused) {
  OcspSpec s = good();
  s.next_update = 0;
  OcspVerdict v = check(s);
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kRefused);
  EXPECT_NE(std::string(v.reason).find("nextUpdate"), std::string::npos);
}

TEST_F(OcspTest, ResponseForAnotherSerialOrIssuerKeyIsRefused) {
  OcspSpec s = good();
  s.wrong_serial = true;
  EXPECT_FALSE(check(s).found);
  EXPECT_NE(std::string(check(s).reason).find("another certificate"), std::string::npos);
  s = good();
  s.wrong_key_hash = true;
  EXPECT_EQ(check(s).kind, OcspVerdict::Kind::kRefused);
  EXPECT_FALSE(check(s).found);
}

TEST_F(OcspTest, TheMatchingSingleResponseIsFoundAfterAnother) {
  OcspSpec s = good();
  s.other_single_first = true;
  EXPECT_EQ(check(s).kind, OcspVerdict::Kind::kGood) << check(s).reason;
}

TEST_F(OcspTest, ResponseForAnotherIssuerIsRefused) {
  CertSpec other;
  other.subject = {{"CN", "Another CA"}};
  other.ca = true;
  IssuedCert other_ca = issue_cert(other);
  std::vector<uint8_t> der = make_ocsp_response(good(), leaf_, ca_);
  OcspVerdict v = check_ocsp_response(der, leaf_.x509.get(), other_ca.x509.get(), kNow);
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kRefused);
  EXPECT_FALSE(v.found);
}

TEST_F(OcspTest, DamagedSignatureIsRefused) {
  OcspSpec s = good();
  s.flip_signature_bit = true;
  OcspVerdict v = check(s);
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kRefused);
  EXPECT_NE(std::string(v.reason).find("signature"), std::string::npos);
}

TEST_F(OcspTest, SignedByAStrangerIsRefusedEvenWithItsCertificateIncluded) {
  CertSpec stranger;
  stranger.subject = {{"CN", "Stranger"}};
  stranger.ocsp_signing = true;
  IssuedCert key = issue_cert(stranger);  // self-signed: not issued by the CA
  OcspSpec s = good();
  s.signer = &key;
  s.include_signer = true;
  EXPECT_EQ(check(s).kind, OcspVerdict::Kind::kRefused);
}

TEST_F(OcspTest, AuthorisedResponderIncludedInTheResponseIsAccepted) {
  CertSpec responder;
  responder.subject = {{"CN", "OCSP Responder"}};
  responder.ocsp_signing = true;
  IssuedCert r = issue_cert(responder, &ca_);
  OcspSpec s = good();
  s.signer = &r;
  s.include_signer = true;
  EXPECT_EQ(check(s).kind, OcspVerdict::Kind::kGood) << check(s).reason;
  s.include_signer = false;  // its certificate must come with the response
  EXPECT_EQ(check(s).kind, OcspVerdict::Kind::kRefused);
}

TEST_F(OcspTest, ResponderWithoutOcspSigningIsRefused) {
  CertSpec responder;
  responder.subject = {{"CN", "Not a responder"}};
  IssuedCert r = issue_cert(responder, &ca_);
  OcspSpec s = good();
  s.signer = &r;
  s.include_signer = true;
  EXPECT_EQ(check(s).kind, OcspVerdict::Kind::kRefused);
}

TEST_F(OcspTest, UnsuccessfulStatusParsesAndIsRefused) {
  OcspSpec s = good();
  s.response_status = 3;  // tryLater
  std::vector<uint8_t> der = make_ocsp_response(s, leaf_, ca_);
  OcspResponse r;
  EXPECT_EQ(parse_ocsp_response(der, &r), nullptr);
  EXPECT_EQ(r.response_status, 3);
  OcspVerdict v = check(der);
  EXPECT_EQ(v.kind, OcspVerdict::Kind::kRefused);
  EXPECT_STREQ(v.reason, "responseStatus is not successful but tryLater");
}

TEST_F(OcspTest, EveryTruncationIsRefused) {
  std::vector<uint8_t> der = make_ocsp_response(good(), leaf_, ca_);
  for (size_t n = 0; n < der.size(); ++n) {
    std::vector<uint8_t> cut(der.begin(), der.begin() + static_cast<long>(n));
    OcspResponse r;
    EXPECT_NE(parse_ocsp_response(cut, &r), nullptr) << "prefix of " << n << " bytes";
    EXPECT_EQ(check(cut).kind, OcspVerdict::Kind::kRefused);
  }
}

TEST_F(OcspTest, EveryFlippedByteIsRefused) {
  std::vector<uint8_t> der = make_ocsp_response(good(), leaf_, ca_);
  for (size_t i = 0; i < der.size(); ++i) {
    std::vector<uint8_t> bad = der;
    bad[i] ^= 0x01;
    EXPECT_NE(check(bad).kind, OcspVerdict::Kind::kGood) << "byte " << i;
  }
}

TEST_F(OcspTest, TrailingBytesAndPemTextAreRefused) {
  std::vector<uint8_t> der = make_ocsp_response(good(), leaf_, ca_);
  der.push_back(0);
  OcspResponse r;
  EXPECT_STREQ(parse_ocsp_response(der, &r), "not a DER OCSPResponse");
  const std::string pem = "-----BEGIN OCSP RESPONSE-----\nMIIB\n-----END OCSP RESPONSE-----\n";
  EXPECT_NE(parse_ocsp_response({reinterpret_cast<const uint8_t*>(pem.data()), pem.size()}, &r),
            nullptr);
  EXPECT_NE(parse_ocsp_response({}, &r), nullptr);
}

}  // namespace
}  // namespace sipring
