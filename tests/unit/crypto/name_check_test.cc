// Tests of check_peer_name() against RFC 5922 §7.1/§7.2: sip URI subjectAltNames before DNS
// ones, the CN only without any subjectAltName, whole-name case-insensitive comparison without
// wildcards or suffixes, trailing dots, IP literals against IP entries only, URIs that are not
// SIP domain identities, hosts and certificates that are refused, and the detail text.
#include "crypto/name_check.h"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/mem.h>
#include <openssl/x509v3.h>

#include <string>
#include <vector>

#include "tests/testing/cert_builder.h"

namespace sipring {
namespace {

using test::CertSpec;
using test::issue_cert;

constexpr char kHost[] = "sip.example.com";

std::vector<uint8_t> cert(std::vector<std::string> dns, std::vector<std::string> uri = {},
                          std::vector<std::vector<uint8_t>> ip = {},
                          std::vector<std::string> email = {}, std::string cn = "unrelated.cn") {
  CertSpec spec;
  spec.subject = {{"CN", cn}};
  spec.san_dns = std::move(dns);
  spec.san_uri = std::move(uri);
  spec.san_ip = std::move(ip);
  spec.san_email = std::move(email);
  return issue_cert(spec).der;
}

std::vector<uint8_t> cert_without_san(std::vector<std::string> cns) {
  CertSpec spec;
  spec.subject.clear();
  for (auto& cn : cns) spec.subject.push_back({"CN", cn});
  return issue_cert(spec).der;
}

const std::vector<uint8_t> kV4 = {192, 0, 2, 10};
const std::vector<uint8_t> kV6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a};

// --- sip URI subjectAltNames (RFC 5922 §7.1, URI) ------------------------------------------

TEST(NameCheckTest, SipUriSanMatches) {
  const NameCheck r = check_peer_name(cert({}, {"sip:sip.example.com"}), kHost);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "sip.example.com matches subjectAltName URI sip:sip.example.com");
}

TEST(NameCheckTest, AnyOfSeveralSipUrisMatches) {
  const auto der = cert({}, {"sip:a.example", "sip:sip.example.com", "sip:b.example"});
  EXPECT_TRUE(check_peer_name(der, kHost).ok);
  EXPECT_TRUE(check_peer_name(der, "b.example").ok);
}

TEST(NameCheckTest, SipUriSanWinsOverDnsSan) {
  // The DNS entry names the host, but a sip URI exists, so DNS entries are not identities.
  const auto der = cert({"sip.example.com"}, {"sip:other.example"});
  const NameCheck r = check_peer_name(der, kHost);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail,
            "no subjectAltName matches sip.example.com (URI: sip:other.example; DNS not consulted "
            "because sip URIs are present: sip.example.com)");
  EXPECT_TRUE(check_peer_name(der, "other.example").ok);
}

TEST(NameCheckTest, SipUriSchemeIsCaseInsensitive) {
  EXPECT_TRUE(check_peer_name(cert({}, {"SIP:sip.example.com"}), kHost).ok);
  EXPECT_TRUE(check_peer_name(cert({}, {"Sip:sip.example.com"}), kHost).ok);
}

TEST(NameCheckTest, SipUriPortAndParametersAreNotCompared) {
  // RFC 5922 §7.2: only the DNS name component is compared.
  EXPECT_TRUE(check_peer_name(cert({}, {"sip:sip.example.com:5061"}), kHost).ok);
  EXPECT_TRUE(check_peer_name(cert({}, {"sip:sip.example.com;transport=tls"}), kHost).ok);
  EXPECT_TRUE(check_peer_name(cert({}, {"sip:sip.example.com:5061;transport=tls?x=y"}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({}, {"sip:sip.example.com.evil:5061"}), kHost).ok);
}

TEST(NameCheckTest, SipsUriIsNotASipDomainIdentity) {
  const NameCheck r = check_peer_name(cert({}, {"sips:sip.example.com"}), kHost);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail,
            "no subjectAltName matches sip.example.com (URI ignored: sips:sip.example.com "
            "(scheme is not sip))");
}

TEST(NameCheckTest, SipUriWithUserPartIsNotASipDomainIdentity) {
  const NameCheck r = check_peer_name(cert({}, {"sip:alice@sip.example.com"}), kHost);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("sip:alice@sip.example.com (has a user part)"), std::string::npos)
      << r.detail;
}

TEST(NameCheckTest, OtherSchemesAreNotSipDomainIdentities) {
  for (const char* uri : {"https://sip.example.com/", "tel:+15551234", "urn:sip.example.com",
                          "sipx:sip.example.com", "sip.example.com"}) {
    EXPECT_FALSE(check_peer_name(cert({}, {uri}), kHost).ok) << uri;
  }
}

TEST(NameCheckTest, UrisThatAreNotSipDomainsLeaveDnsEntriesInPlay) {
  // sips:, a user part and https: are not SIP domain identities, so the DNS entry counts.
  const auto der = cert({"sip.example.com"}, {"sips:sip.example.com", "sip:alice@other.example",
                                              "https://other.example/"});
  const NameCheck r = check_peer_name(der, kHost);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "sip.example.com matches subjectAltName DNS sip.example.com");
}

TEST(NameCheckTest, SipUriWithoutHostIsIgnored) {
  const auto der = cert({"sip.example.com"}, {"sip:", "sip:;transport=tls"});
  EXPECT_TRUE(check_peer_name(der, kHost).ok);
}

// --- DNS subjectAltNames -------------------------------------------------------------------

TEST(NameCheckTest, DnsSanMatches) {
  const NameCheck r = check_peer_name(cert({"a.example", "sip.example.com"}), kHost);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "sip.example.com matches subjectAltName DNS sip.example.com");
}

TEST(NameCheckTest, DnsMismatchListsTheOfferedNames) {
  const NameCheck r = check_peer_name(cert({"a.example", "b.example"}), kHost);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "no subjectAltName matches sip.example.com (DNS: a.example, b.example)");
}

TEST(NameCheckTest, ComparisonIsCaseInsensitive) {
  EXPECT_TRUE(check_peer_name(cert({"SIP.Example.COM"}), kHost).ok);
  EXPECT_TRUE(check_peer_name(cert({"sip.example.com"}), "SIP.EXAMPLE.com").ok);
  EXPECT_TRUE(check_peer_name(cert({}, {"sip:Sip.Example.Com"}), "sIP.exAMPLE.com").ok);
  EXPECT_TRUE(check_peer_name(cert_without_san({"SIP.EXAMPLE.COM"}), kHost).ok);
}

TEST(NameCheckTest, SuffixesDoNotMatch) {
  EXPECT_FALSE(check_peer_name(cert({"example.com"}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({"sip.example.com"}), "example.com").ok);
  EXPECT_FALSE(check_peer_name(cert({"xsip.example.com"}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({}, {"sip:example.com"}), kHost).ok);
}

TEST(NameCheckTest, WildcardDnsSanNeverMatches) {
  EXPECT_FALSE(check_peer_name(cert({"*.example.com"}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({"*"}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({"s*.example.com"}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({}, {"sip:*.example.com"}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert_without_san({"*.example.com"}), kHost).ok);
}

TEST(NameCheckTest, WildcardHostIsRefusedEvenAgainstTheSameWildcard) {
  // RFC 5922 §7.2 would let "*.example.com" equal only itself; it is not a host we can reach.
  const NameCheck r = check_peer_name(cert({"*.example.com"}), "*.example.com");
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("neither a DNS name nor an IP literal"), std::string::npos) << r.detail;
}

TEST(NameCheckTest, LeadingDotNeverMatches) {
  EXPECT_FALSE(check_peer_name(cert({".example.com"}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({".sip.example.com"}), kHost).ok);
}

TEST(NameCheckTest, TrailingDotIsIgnoredOnBothSides) {
  EXPECT_TRUE(check_peer_name(cert({"sip.example.com"}), "sip.example.com.").ok);
  EXPECT_TRUE(check_peer_name(cert({"sip.example.com."}), kHost).ok);
  EXPECT_TRUE(check_peer_name(cert({}, {"sip:sip.example.com."}), kHost).ok);
  EXPECT_TRUE(check_peer_name(cert_without_san({"sip.example.com."}), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({"sip.example.com"}), "sip.example.com..").ok);
}

TEST(NameCheckTest, EmbeddedNulInDnsSanNeverMatches) {
  const NameCheck r =
      check_peer_name(cert({std::string("sip.example.com\0.evil.example", 29)}), kHost);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail,
            "no subjectAltName matches sip.example.com (DNS: sip.example.com\\x00.evil.example)");
}

// --- the subject CN (RFC 5922 §7.1 step 2) -------------------------------------------------

TEST(NameCheckTest, CnCountsOnlyWithoutSubjectAltName) {
  const NameCheck r = check_peer_name(cert_without_san({"sip.example.com"}), kHost);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail,
            "sip.example.com matches subject CN sip.example.com (certificate has no "
            "subjectAltName)");
}

TEST(NameCheckTest, CnIsIgnoredWhenAnySubjectAltNameExists) {
  // Even an email-only or IP-only subjectAltName takes the CN out of play.
  EXPECT_FALSE(check_peer_name(cert({}, {}, {}, {"admin@example.com"}, kHost), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({}, {}, {kV4}, {}, kHost), kHost).ok);
  EXPECT_FALSE(check_peer_name(cert({"a.example"}, {}, {}, {}, kHost), kHost).ok);
  const NameCheck r = check_peer_name(cert({}, {}, {}, {"admin@example.com"}, kHost), kHost);
  EXPECT_EQ(r.detail, "no subjectAltName matches sip.example.com (no DNS or sip URI entries)");
}

TEST(NameCheckTest, AnyOfSeveralCnsMatches) {
  EXPECT_TRUE(check_peer_name(cert_without_san({"a.example", "sip.example.com"}), kHost).ok);
}

TEST(NameCheckTest, CnMismatchSaysWhatTheCnIs) {
  const NameCheck r = check_peer_name(cert_without_san({"Example Server"}), kHost);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail,
            "certificate has no subjectAltName and no subject CN matches sip.example.com (CN: "
            "Example Server)");
  EXPECT_EQ(check_peer_name(cert_without_san({}), kHost).detail,
            "certificate has no subjectAltName and no subject CN matches sip.example.com (no CN)");
}

// --- IP literals ---------------------------------------------------------------------------

TEST(NameCheckTest, Ipv4LiteralMatchesIpSan) {
  const NameCheck r = check_peer_name(cert({}, {}, {kV4}), "192.0.2.10");
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "192.0.2.10 matches subjectAltName IP 192.0.2.10");
  EXPECT_FALSE(check_peer_name(cert({}, {}, {kV4}), "192.0.2.11").ok);
}

TEST(NameCheckTest, Ipv6LiteralMatchesIpSanInAnySpelling) {
  const auto der = cert({}, {}, {kV4, kV6});
  for (const char* host : {"2001:db8::a", "2001:DB8::A", "2001:0db8:0:0:0:0:0:000a",
                           "[2001:db8::a]", "[2001:DB8:0::A]"}) {
    const NameCheck r = check_peer_name(der, host);
    EXPECT_TRUE(r.ok) << host << ": " << r.detail;
  }
  EXPECT_EQ(check_peer_name(der, "[2001:db8::a]").detail,
            "[2001:db8::a] matches subjectAltName IP 2001:db8::a");
  EXPECT_FALSE(check_peer_name(der, "2001:db8::b").ok);
}

TEST(NameCheckTest, IpMismatchListsTheOfferedAddresses) {
  const NameCheck r = check_peer_name(cert({}, {}, {kV4, kV6}), "198.51.100.1");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "no subjectAltName matches 198.51.100.1 (IP: 192.0.2.10, 2001:db8::a)");
}

TEST(NameCheckTest, IpLiteralNeverMatchesDnsSanUriOrCn) {
  EXPECT_FALSE(check_peer_name(cert({"192.0.2.10"}), "192.0.2.10").ok);
  EXPECT_FALSE(check_peer_name(cert({}, {"sip:192.0.2.10"}), "192.0.2.10").ok);
  EXPECT_FALSE(check_peer_name(cert({"2001:db8::a"}), "[2001:db8::a]").ok);
  EXPECT_FALSE(check_peer_name(cert_without_san({"192.0.2.10"}), "192.0.2.10").ok);
  EXPECT_EQ(check_peer_name(cert({"192.0.2.10"}), "192.0.2.10").detail,
            "no subjectAltName IP entry, and an IP literal is matched only against those "
            "(192.0.2.10)");
}

TEST(NameCheckTest, DnsHostNeverMatchesIpSan) {
  EXPECT_FALSE(check_peer_name(cert({}, {}, {{127, 0, 0, 1}}), "localhost").ok);
}

TEST(NameCheckTest, Ipv4DoesNotMatchItsMappedIpv6Form) {
  const std::vector<uint8_t> mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10};
  EXPECT_FALSE(check_peer_name(cert({}, {}, {mapped}), "192.0.2.10").ok);
  EXPECT_TRUE(check_peer_name(cert({}, {}, {mapped}), "::ffff:192.0.2.10").ok);
}

TEST(NameCheckTest, BracketsHoldOnlyIpv6) {
  EXPECT_FALSE(check_peer_name(cert({}, {}, {kV4}), "[192.0.2.10]").ok);
  EXPECT_FALSE(check_peer_name(cert({"sip.example.com"}), "[sip.example.com]").ok);
}

// --- refused input -------------------------------------------------------------------------

TEST(NameCheckTest, MalformedHostsAreRefused) {
  const auto der = cert({"sip.example.com"});
  const std::vector<std::string> hosts = {"",
                                          ".",
                                          "sip..example.com",
                                          "sip.example.com:5061",
                                          "sip example.com",
                                          "m\xC3\xBCnchen.example",
                                          "2001:db8::a%eth0",
                                          "[2001:db8::a",
                                          std::string(64, 'a') + ".example"};
  for (const std::string& host : hosts) {
    const NameCheck r = check_peer_name(der, host);
    EXPECT_FALSE(r.ok) << host;
    EXPECT_NE(r.detail.find("neither a DNS name nor an IP literal"), std::string::npos) << r.detail;
  }
  EXPECT_EQ(check_peer_name(der, "m\xC3\xBCnchen.example").detail,
            "\"m\\xc3\\xbcnchen.example\" is neither a DNS name nor an IP literal (no wildcards; "
            "IDNs as A-labels)");
}

TEST(NameCheckTest, PunycodeHostMatchesALabelSan) {
  EXPECT_TRUE(check_peer_name(cert({"xn--mnchen-3ya.example"}), "XN--MNCHEN-3YA.example").ok);
}

TEST(NameCheckTest, UnparsableCertificateFails) {
  const std::vector<uint8_t> garbage = {0x30, 0x03, 0x02, 0x01};
  const NameCheck r = check_peer_name(garbage, kHost);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail.rfind("peer certificate does not parse", 0), 0u) << r.detail;
  EXPECT_FALSE(check_peer_name({}, kHost).ok);
  std::vector<uint8_t> trailing = cert({"sip.example.com"});
  trailing.push_back(0);
  EXPECT_FALSE(check_peer_name(trailing, kHost).ok);
}

TEST(NameCheckTest, MalformedSubjectAltNameFailsClosedWithoutCnFallback) {
  CertSpec spec;
  spec.subject = {{"CN", kHost}};
  test::IssuedCert c = issue_cert(spec);
  const uint8_t bad_value[] = {0x02, 0x01, 0x05};  // an INTEGER, not GeneralNames
  bssl::UniquePtr<ASN1_OCTET_STRING> value(ASN1_OCTET_STRING_new());
  ASSERT_TRUE(ASN1_OCTET_STRING_set(value.get(), bad_value, sizeof(bad_value)));
  bssl::UniquePtr<X509_EXTENSION> ext(
      X509_EXTENSION_create_by_NID(nullptr, NID_subject_alt_name, 0, value.get()));
  ASSERT_TRUE(ext && X509_add_ext(c.x509.get(), ext.get(), -1));
  ASSERT_TRUE(X509_sign(c.x509.get(), c.key.get(), EVP_sha256()));
  uint8_t* der = nullptr;
  const int len = i2d_X509(c.x509.get(), &der);
  ASSERT_GT(len, 0);
  const std::vector<uint8_t> bytes(der, der + len);
  OPENSSL_free(der);

  const NameCheck r = check_peer_name(bytes, kHost);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail.rfind("certificate's subjectAltName extension is malformed", 0), 0u)
      << r.detail;
}

}  // namespace
}  // namespace sipring
