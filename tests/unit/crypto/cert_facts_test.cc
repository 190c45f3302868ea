// Tests of cert_facts(): subject and issuer parts, serial formatting, validity times and texts,
// every subjectAltName kind, the self-signed flag, the version, the PEM text, refusal of bad
// input, and agreement with the openssl command line on the same certificate.
#include "crypto/cert_facts.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/bytestring.h>
#include <openssl/mem.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "tests/testing/cert_builder.h"

namespace sipring {
namespace {

using test::CertSpec;
using test::issue_cert;
using test::IssuedCert;

CertFacts facts_of(const IssuedCert& cert) {
  auto facts = cert_facts(cert.der);
  EXPECT_TRUE(facts) << facts.error().message;
  return facts ? facts.value() : CertFacts{};
}

std::string serial_of(std::vector<uint8_t> serial) {
  CertSpec spec;
  spec.serial = std::move(serial);
  return facts_of(issue_cert(spec)).serial;
}

TEST(CertFactsTest, SubjectAndIssuerPartsComeFromTheirOwnNames) {
  CertSpec ca_spec;
  ca_spec.subject = {{"C", "DE"},         {"ST", "Berlin"}, {"L", "Mitte"},
                     {"O", "Example CA"}, {"OU", "PKI"},    {"CN", "Example Root"}};
  ca_spec.ca = true;
  const IssuedCert ca = issue_cert(ca_spec);
  CertSpec leaf_spec;
  leaf_spec.subject = {{"C", "FR"},        {"ST", "IDF"}, {"L", "Paris"},
                       {"O", "Voice Ltd"}, {"OU", "SIP"}, {"CN", "sip.example.com"}};
  const CertFacts f = facts_of(issue_cert(leaf_spec, &ca));

  EXPECT_EQ(f.subject.cn, "sip.example.com");
  EXPECT_EQ(f.subject.o, "Voice Ltd");
  EXPECT_EQ(f.subject.ou, "SIP");
  EXPECT_EQ(f.subject.c, "FR");
  EXPECT_EQ(f.subject.st, "IDF");
  EXPECT_EQ(f.subject.l, "Paris");
  EXPECT_EQ(f.subject.text, "CN=sip.example.com,OU=SIP,O=Voice Ltd,L=Paris,ST=IDF,C=FR");
  EXPECT_EQ(f.issuer.cn, "Example Root");
  EXPECT_EQ(f.issuer.o, "Example CA");
  EXPECT_EQ(f.issuer.ou, "PKI");
  EXPECT_EQ(f.issuer.c, "DE");
  EXPECT_EQ(f.issuer.st, "Berlin");
  EXPECT_EQ(f.issuer.l, "Mitte");
  EXPECT_EQ(f.issuer.text, "CN=Example Root,OU=PKI,O=Example CA,L=Mitte,ST=Berlin,C=DE");
}

TEST(CertFactsTest, MissingNamePartsAreEmpty) {
  CertSpec spec;
  spec.subject = {{"CN", "only.example"}};
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_EQ(f.subject.cn, "only.example");
  EXPECT_EQ(f.subject.o, "");
  EXPECT_EQ(f.subject.ou, "");
  EXPECT_EQ(f.subject.c, "");
  EXPECT_EQ(f.subject.st, "");
  EXPECT_EQ(f.subject.l, "");
  EXPECT_EQ(f.subject.text, "CN=only.example");
}

TEST(CertFactsTest, RepeatedAttributeReportsTheFirst) {
  CertSpec spec;
  spec.subject = {{"OU", "first"}, {"OU", "second"}, {"CN", "a.example"}};
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_EQ(f.subject.ou, "first");
  EXPECT_EQ(f.subject.text, "CN=a.example,OU=second,OU=first");
}

TEST(CertFactsTest, NameTextEscapesRfc2253SpecialsAndKeepsUtf8) {
  CertSpec spec;
  spec.subject = {{"O", "Ex, Inc+\"x\""}, {"L", "Z\xC3\xBCrich"}, {"CN", "a.example"}};
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_EQ(f.subject.o, "Ex, Inc+\"x\"");
  EXPECT_EQ(f.subject.l, "Z\xC3\xBCrich");
  EXPECT_EQ(f.subject.text, "CN=a.example,L=Z\xC3\xBCrich,O=Ex\\, Inc\\+\\\"x\\\"");
}

TEST(CertFactsTest, SerialIsUpperHexWithoutTheDerSignByte) {
  // 0x8F.. needs a 00 sign byte in DER; openssl prints it without.
  EXPECT_EQ(serial_of({0x8f, 0xab, 0xcd}), "8FABCD");
  EXPECT_EQ(serial_of({0x7f, 0x01}), "7F01");
}

TEST(CertFactsTest, SerialDropsLeadingZeroBytes) {
  EXPECT_EQ(serial_of({0x00, 0x00, 0x12, 0x34}), "1234");
}

TEST(CertFactsTest, SerialKeepsTwoDigitsPerByteLikeOpenssl) {
  EXPECT_EQ(serial_of({0x01, 0x23}), "0123");
  EXPECT_EQ(serial_of({0x05}), "05");
}

TEST(CertFactsTest, SerialZeroIsDoubleZero) {
  EXPECT_EQ(serial_of({0x00}), "00");
}

TEST(CertFactsTest, TwentyByteSerialIsFortyDigits) {
  std::vector<uint8_t> serial(20, 0xff);
  EXPECT_EQ(serial_of(serial), std::string(40, 'F'));
  std::vector<uint8_t> counting;
  std::string expected;
  for (int i = 1; i <= 20; ++i) {
    counting.push_back(static_cast<uint8_t>(i * 11));
    char hex[3];
    snprintf(hex, sizeof(hex), "%02X", i * 11);
    expected += hex;
  }
  EXPECT_EQ(serial_of(counting), expected);
}

TEST(CertFactsTest, NonMinimalSerialEncodingIsRefused) {
  // BoringSSL refuses INTEGERs with redundant leading zero bytes (not DER); the error says so.
  CertSpec spec;
  spec.serial = {0x12, 0x34};
  std::vector<uint8_t> der = issue_cert(spec).der;
  // version [0] INTEGER 2, then serial 02 02 12 34: rewrite it as 02 02 00 12 (same length).
  const uint8_t pattern[] = {0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x02, 0x12, 0x34};
  auto it = std::search(der.begin(), der.end(), std::begin(pattern), std::end(pattern));
  ASSERT_NE(it, der.end());
  it[7] = 0x00;
  it[8] = 0x12;
  auto facts = cert_facts(der);
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().code, Errc::kInvalidArgument);
  EXPECT_NE(facts.error().message.find("INVALID_INTEGER"), std::string::npos)
      << facts.error().message;
}

TEST(CertFactsTest, ValidityIsUnixSecondsAndOpensslText) {
  CertSpec spec;
  spec.not_before = 1700000000;  // UTCTime
  spec.not_after = 2524608000;   // 2050-01-01: GeneralizedTime
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_EQ(f.not_before, 1700000000);
  EXPECT_EQ(f.not_after, 2524608000);
  EXPECT_EQ(f.not_before_text, "Nov 14 22:13:20 2023 GMT");
  EXPECT_EQ(f.not_after_text, "Jan  1 00:00:00 2050 GMT");
}

TEST(CertFactsTest, ValidityBeyond2038AndBefore1970) {
  CertSpec spec;
  spec.not_before = -86400;     // 1969-12-31
  spec.not_after = 4102444799;  // 2099-12-31 23:59:59
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_EQ(f.not_before, -86400);
  EXPECT_EQ(f.not_after, 4102444799);
  EXPECT_EQ(f.not_before_text, "Dec 31 00:00:00 1969 GMT");
  EXPECT_EQ(f.not_after_text, "Dec 31 23:59:59 2099 GMT");
}

TEST(CertFactsTest, ExpiredMeansOutsideTheInclusiveWindow) {
  CertFacts f;
  f.not_before = 1000;
  f.not_after = 2000;
  EXPECT_TRUE(cert_expired(f, 999));
  EXPECT_FALSE(cert_expired(f, 1000));
  EXPECT_FALSE(cert_expired(f, 1500));
  EXPECT_FALSE(cert_expired(f, 2000));
  EXPECT_TRUE(cert_expired(f, 2001));
}

TEST(CertFactsTest, ExpiredAgreesWithParsedValidity) {
  CertSpec spec;
  spec.not_before = 1700000000;
  spec.not_after = 1700086400;
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_TRUE(cert_expired(f, 1699999999));
  EXPECT_FALSE(cert_expired(f, 1700043200));
  EXPECT_TRUE(cert_expired(f, 1700086401));
}

TEST(CertFactsTest, EverySanKindIsListedInCertificateOrder) {
  CertSpec spec;
  spec.san_dns = {"sip.example.com", "b.example"};
  spec.san_uri = {"sip:example.com", "sips:alice@example.com"};
  spec.san_ip = {{192, 0, 2, 1}, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
  spec.san_email = {"admin@example.com"};
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_EQ(f.san_dns, (std::vector<std::string>{"sip.example.com", "b.example"}));
  EXPECT_EQ(f.san_uri, (std::vector<std::string>{"sip:example.com", "sips:alice@example.com"}));
  EXPECT_EQ(f.san_ip, (std::vector<std::string>{"192.0.2.1", "2001:db8::1"}));
  EXPECT_EQ(f.san_email, (std::vector<std::string>{"admin@example.com"}));
}

TEST(CertFactsTest, Ipv6SanIsRfc5952Text) {
  CertSpec spec;
  spec.san_ip = {
      // 2001:db8:0:0:1:0:0:1: the first of two equal zero runs is compressed
      {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1},
      // 2001:db8:0:1:1:1:1:1: a single zero group is not compressed
      {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
      // ::ffff:192.0.2.1, IPv4-mapped
      {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1},
      // FE80::ABCD, lower case
      {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd},
  };
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_EQ(f.san_ip, (std::vector<std::string>{"2001:db8::1:0:0:1", "2001:db8:0:1:1:1:1:1",
                                                "::ffff:192.0.2.1", "fe80::abcd"}));
}

TEST(CertFactsTest, IpSanOfWrongLengthReadsInvalid) {
  CertSpec spec;
  spec.san_ip = {{10, 0, 0, 1, 9}};
  const CertFacts f = facts_of(issue_cert(spec));
  EXPECT_EQ(f.san_ip, (std::vector<std::string>{"<invalid>"}));
}

TEST(CertFactsTest, NoSanExtensionGivesEmptyLists) {
  const CertFacts f = facts_of(issue_cert(CertSpec{}));
  EXPECT_TRUE(f.san_dns.empty());
  EXPECT_TRUE(f.san_uri.empty());
  EXPECT_TRUE(f.san_ip.empty());
  EXPECT_TRUE(f.san_email.empty());
}

TEST(CertFactsTest, SelfSignedCaIsSelfSigned) {
  CertSpec spec;
  spec.subject = {{"CN", "Root"}};
  spec.ca = true;
  EXPECT_TRUE(facts_of(issue_cert(spec)).self_signed);
}

TEST(CertFactsTest, LeafIssuedByACaIsNotSelfSigned) {
  CertSpec ca_spec;
  ca_spec.subject = {{"CN", "Root"}};
  ca_spec.ca = true;
  const IssuedCert ca = issue_cert(ca_spec);
  CertSpec leaf;
  leaf.subject = {{"CN", "leaf.example"}};
  const CertFacts f = facts_of(issue_cert(leaf, &ca));
  EXPECT_FALSE(f.self_signed);
  EXPECT_EQ(f.issuer.cn, "Root");
}

TEST(CertFactsTest, IssuerEqualToSubjectButSignedByAnotherKeyIsNotSelfSigned) {
  CertSpec ca_spec;
  ca_spec.subject = {{"CN", "Same Name"}};
  ca_spec.ca = true;
  const IssuedCert ca = issue_cert(ca_spec);
  CertSpec leaf;
  leaf.subject = {{"CN", "Same Name"}};  // issuer name = subject name, but the CA's key signs
  const CertFacts f = facts_of(issue_cert(leaf, &ca));
  EXPECT_EQ(f.issuer.text, f.subject.text);
  EXPECT_FALSE(f.self_signed);
}

TEST(CertFactsTest, VersionIsThree) {
  EXPECT_EQ(facts_of(issue_cert(CertSpec{})).version, 3);
}

TEST(CertFactsTest, PemDecodesToTheSameDer) {
  CertSpec spec;
  spec.san_dns = {"sip.example.com"};
  const IssuedCert cert = issue_cert(spec);
  const CertFacts f = facts_of(cert);
  ASSERT_EQ(f.pem.rfind("-----BEGIN CERTIFICATE-----\n", 0), 0u);
  ASSERT_GE(f.pem.size(), 26u);
  EXPECT_EQ(f.pem.substr(f.pem.size() - 26), "-----END CERTIFICATE-----\n");
  size_t line_start = 0;
  for (size_t nl; (nl = f.pem.find('\n', line_start)) != std::string::npos; line_start = nl + 1) {
    EXPECT_LE(nl - line_start, 64u);
  }

  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(f.pem.data(), static_cast<int>(f.pem.size())));
  bssl::UniquePtr<X509> back(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  ASSERT_NE(back, nullptr);
  uint8_t* der = nullptr;
  const int len = i2d_X509(back.get(), &der);
  ASSERT_GT(len, 0);
  EXPECT_EQ(std::vector<uint8_t>(der, der + len), cert.der);
  OPENSSL_free(der);
}

TEST(CertFactsTest, EmptyInputIsAnError) {
  auto facts = cert_facts({});
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().code, Errc::kInvalidArgument);
  EXPECT_NE(facts.error().message.find("empty"), std::string::npos);
}

TEST(CertFactsTest, GarbageIsAnErrorThatSaysWhy) {
  const std::vector<uint8_t> garbage = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02};
  auto facts = cert_facts(garbage);
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().code, Errc::kInvalidArgument);
  EXPECT_NE(facts.error().message.find("not a DER X.509 certificate (7 bytes)"), std::string::npos)
      << facts.error().message;
}

TEST(CertFactsTest, PemTextIsNotDer) {
  const IssuedCert cert = issue_cert(CertSpec{});
  const std::string pem = facts_of(cert).pem;
  auto facts = cert_facts(std::span(reinterpret_cast<const uint8_t*>(pem.data()), pem.size()));
  ASSERT_FALSE(facts);
  EXPECT_NE(facts.error().message.find("not a DER X.509 certificate"), std::string::npos);
}

TEST(CertFactsTest, TruncatedDerIsAnError) {
  const IssuedCert cert = issue_cert(CertSpec{});
  auto facts = cert_facts(std::span(cert.der).first(cert.der.size() - 1));
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().code, Errc::kInvalidArgument);
}

TEST(CertFactsTest, BytesAfterTheCertificateAreAnError) {
  std::vector<uint8_t> der = issue_cert(CertSpec{}).der;
  const size_t cert_len = der.size();
  der.push_back(0x00);
  der.push_back(0x00);
  auto facts = cert_facts(der);
  ASSERT_FALSE(facts);
  EXPECT_EQ(facts.error().message, "2 bytes follow the " + std::to_string(cert_len) +
                                       "-byte certificate: pass one DER certificate");
}

TEST(CertFactsTest, MalformedSubjectAltNameIsAnError) {
  IssuedCert cert = issue_cert(CertSpec{});
  // A subjectAltName whose value is an INTEGER, not a SEQUENCE of GeneralName.
  const uint8_t bad_value[] = {0x02, 0x01, 0x05};
  bssl::UniquePtr<ASN1_OCTET_STRING> value(ASN1_OCTET_STRING_new());
  ASSERT_TRUE(ASN1_OCTET_STRING_set(value.get(), bad_value, sizeof(bad_value)));
  bssl::UniquePtr<X509_EXTENSION> ext(
      X509_EXTENSION_create_by_NID(nullptr, NID_subject_alt_name, 0, value.get()));
  ASSERT_TRUE(ext && X509_add_ext(cert.x509.get(), ext.get(), -1));
  ASSERT_TRUE(X509_sign(cert.x509.get(), cert.key.get(), EVP_sha256()));
  uint8_t* der = nullptr;
  const int len = i2d_X509(cert.x509.get(), &der);
  ASSERT_GT(len, 0);
  const std::vector<uint8_t> bytes(der, der + len);
  OPENSSL_free(der);

  auto facts = cert_facts(bytes);
  ASSERT_FALSE(facts);
  EXPECT_NE(facts.error().message.find("malformed subjectAltName"), std::string::npos)
      << facts.error().message;
}

// Runs `openssl x509` on `pem` and returns its output; empty if the tool is missing.
std::string openssl_x509(const std::string& pem, const std::string& args) {
  char path[] = "/tmp/sipring-cert-facts-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return {};
  const bool written = write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  close(fd);
  std::string out;
  if (written) {
    const std::string cmd = "openssl x509 -in " + std::string(path) + " " + args + " 2>/dev/null";
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[512];
      size_t n;
      while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
      pclose(p);
    }
  }
  unlink(path);
  return out;
}

TEST(CertFactsTest, AgreesWithTheOpensslCommandLine) {
  CertSpec ca_spec;
  ca_spec.subject = {{"C", "DE"}, {"O", "Example, CA"}, {"CN", "Root"}};
  ca_spec.ca = true;
  const IssuedCert ca = issue_cert(ca_spec);
  CertSpec spec;
  spec.subject = {{"C", "FR"}, {"L", "Z\xC3\xBCrich"}, {"O", "Voice"}, {"CN", "sip.example.com"}};
  spec.serial = {0x00, 0x9a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15};
  spec.not_before = 1764244800;  // Nov 27 12:00:00 2025
  spec.not_after = 2532859200;   // GeneralizedTime
  const CertFacts f = facts_of(issue_cert(spec, &ca));

  const std::string out = openssl_x509(
      f.pem, "-noout -serial -subject -issuer -startdate -enddate -nameopt RFC2253,-esc_msb");
  if (out.empty()) GTEST_SKIP() << "openssl command line not available";
  EXPECT_EQ(out, "serial=" + f.serial + "\nsubject=" + f.subject.text +
                     "\nissuer=" + f.issuer.text + "\nnotBefore=" + f.not_before_text +
                     "\nnotAfter=" + f.not_after_text + "\n");
  EXPECT_EQ(f.serial, "9A0B0C0D0E0F101112131415");
  EXPECT_EQ(f.not_before_text, "Nov 27 12:00:00 2025 GMT");
}

}  // namespace
}  // namespace sipring
