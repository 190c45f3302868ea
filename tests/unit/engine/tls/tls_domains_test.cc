// Tests of domain selection and the module-parameter domains (engine/tls/tls_domains.h).
#include "engine/tls/tls_domains.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <regex>
#include <string>

#include "engine/config/config_registry.h"
#include "tests/testing/tls_cfg_text.h"

namespace sipring {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace ::sipring::test;  // NOLINT: the tls.cfg test helpers

// --- Selection --------------------------------------------------------------------------------

const char kSelectionCfg[] =
    "[server:default]\n"                                               // 0
    "[server:10.0.0.1:5061]\n"                                         // 1
    "[server:10.0.0.1:5061]\nserver_name = addr.example\n"             // 2
    "[server:any]\nserver_name = any.example\n"                        // 3
    "[server:any]\nserver_name = addr.example\n"                       // 4: loses to 2 on 10.0.0.1
    "[server:10.0.0.2:5061]\nserver_name = only-named.example\n"       // 5
    "[server:any]\nserver_name = sub.example\nserver_name_mode = 1\n"  // 6
    "[server:any]\nserver_name = deep.sub.example\nserver_name_mode = 2\n"  // 7
    "[server:any]\nserver_name = x.sub.example\n"                           // 8
    "[client:default]\n";                                                   // 9

TEST(TlsDomainsSelection, ServerAddressWithSniBeatsAnyWithSni) {
  const TlsDomainSet set = must_parse(kSelectionCfg);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), "addr.example"), &set.domains[2]);
  // On another address only the any domain answers that name.
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), "addr.example"), &set.domains[4]);
}

TEST(TlsDomainsSelection, ServerAnyWithSniBeatsPlainAddress) {
  const TlsDomainSet set = must_parse(kSelectionCfg);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), "any.example"), &set.domains[3]);
}

TEST(TlsDomainsSelection, ServerPlainAddressWhenNoNameMatches) {
  const TlsDomainSet set = must_parse(kSelectionCfg);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), "unknown.example"), &set.domains[1]);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), ""), &set.domains[1]);
}

TEST(TlsDomainsSelection, ServerDefaultWhenNothingElseMatches) {
  const TlsDomainSet set = must_parse(kSelectionCfg);
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), "unknown.example"), &set.domains[0]);
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), ""), &set.domains[0]);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5062"), ""), &set.domains[0]);  // port differs
  // A named address domain does not answer another name.
  EXPECT_EQ(set.server_for(addr("10.0.0.2:5061"), "other.example"), &set.domains[0]);
}

TEST(TlsDomainsSelection, ServerNamedAddressDomainServesClientsWithoutSni) {
  // Kamailio picks the socket's domain before SNI arrives, so a client sending none gets it.
  const TlsDomainSet set = must_parse(kSelectionCfg);
  EXPECT_EQ(set.server_for(addr("10.0.0.2:5061"), ""), &set.domains[5]);
  EXPECT_EQ(set.server_for(addr("10.0.0.2:5061"), "only-named.example"), &set.domains[5]);
}

TEST(TlsDomainsSelection, SniComparesCaseInsensitivelyAndExactly) {
  const TlsDomainSet set = must_parse(kSelectionCfg);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), "ADDR.Example"), &set.domains[2]);
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), "Any.EXAMPLE"), &set.domains[3]);
  // No suffix match with server_name_mode 0.
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), "www.any.example"), &set.domains[0]);
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), "any.example.evil"), &set.domains[0]);
}

TEST(TlsDomainsSelection, ServerNameModeSubdomainsAndMostSpecificWins) {
  const TlsDomainSet set = must_parse(kSelectionCfg);
  const SockAddr other = addr("10.0.0.9:5061");
  EXPECT_EQ(set.server_for(other, "sub.example"), &set.domains[6]);         // mode 1: itself
  EXPECT_EQ(set.server_for(other, "a.sub.example"), &set.domains[6]);       // and subdomains
  EXPECT_EQ(set.server_for(other, "deep.sub.example"), &set.domains[6]);    // mode 2 not itself
  EXPECT_EQ(set.server_for(other, "a.deep.sub.example"), &set.domains[7]);  // longer suffix
  EXPECT_EQ(set.server_for(other, "x.sub.example"), &set.domains[8]);       // exact beats suffix
  EXPECT_EQ(set.server_for(other, "xsub.example"), &set.domains[0]);        // not a subdomain
}

// Issue 11 part 7: "*.example.com" patterns, the most specific match, any letter case.
const char kPatternCfg[] =
    "[server:default]\n"                                                   // 0
    "[server:any]\nserver_name = *.example.com\n"                          // 1
    "[server:any]\nserver_name = example.com\nserver_name_mode = 2\n"      // 2
    "[server:any]\nserver_name = *.sip.example.com\n"                      // 3
    "[server:any]\nserver_name = edge.sip.example.com\n"                   // 4
    "[server:any]\nserver_name = sip.example.com\nserver_name_mode = 1\n"  // 5
    "[server:10.0.0.1:5061]\nserver_name = *.example.net\n";               // 6

TEST(TlsDomainsSelection, PatternMatchesExactlyOneLabel) {
  const TlsDomainSet set = must_parse(kPatternCfg);
  const SockAddr other = addr("10.0.0.9:5061");
  EXPECT_EQ(set.server_for(other, "a.example.com"), &set.domains[1]);
  // Not the name itself (no server_name answers it: default), not two labels (mode 2 does).
  EXPECT_EQ(set.server_for(other, "example.com"), &set.domains[0]);
  EXPECT_EQ(set.server_for(other, "a.b.example.com"), &set.domains[2]);
  EXPECT_EQ(set.server_for(other, "aexample.com"), &set.domains[0]);
  EXPECT_EQ(set.server_for(other, ".example.com"), &set.domains[0]);  // an empty label
}

TEST(TlsDomainsSelection, MostSpecificWinsExactThenLongestSuffixThenPattern) {
  const TlsDomainSet set = must_parse(kPatternCfg);
  const SockAddr other = addr("10.0.0.9:5061");
  EXPECT_EQ(set.server_for(other, "edge.sip.example.com"), &set.domains[4]);  // exact
  EXPECT_EQ(set.server_for(other, "sip.example.com"), &set.domains[5]);       // exact (mode 1)
  // One label before sip.example.com: the pattern beats mode 1's suffix of the same length,
  // and both beat the shorter suffixes example.com.
  EXPECT_EQ(set.server_for(other, "pbx.sip.example.com"), &set.domains[3]);
  // Two labels: only mode 1 of sip.example.com (longer than mode 2's example.com) covers it.
  EXPECT_EQ(set.server_for(other, "a.pbx.sip.example.com"), &set.domains[5]);
}

TEST(TlsDomainsSelection, PatternsCompareCaseInsensitivelyAndKeepTheAddressTier) {
  const TlsDomainSet set = must_parse(kPatternCfg);
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), "PBX.Sip.EXAMPLE.com"), &set.domains[3]);
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), "A.EXAMPLE.COM"), &set.domains[1]);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), "Sip.Example.NET"), &set.domains[6]);
  EXPECT_EQ(set.server_for(addr("10.0.0.9:5061"), "sip.example.net"), &set.domains[0]);
  EXPECT_EQ(set.domains[1].name(), "server:any/*.example.com");
}

TEST(TlsDomainsSelection, ServerExactPortBeatsPortZeroAndMappedIpv4Matches) {
  const TlsDomainSet set = must_parse("[server:10.0.0.1:0]\n[server:10.0.0.1:5061]\n");
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), ""), &set.domains[1]);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5070"), ""), &set.domains[0]);
  EXPECT_EQ(set.server_for(addr("[::ffff:10.0.0.1]:5061"), ""), &set.domains[1]);
  EXPECT_EQ(set.server_for(addr("[::1]:5061"), ""), nullptr);  // nothing at all matches
}

TEST(TlsDomainsSelection, ServerIpv6Address) {
  const TlsDomainSet set =
      must_parse("[server:default]\n[server:[2001:db8::1]:5061]\nserver_name = v6.example\n");
  EXPECT_EQ(set.server_for(addr("[2001:db8::1]:5061"), "V6.example"), &set.domains[1]);
  EXPECT_EQ(set.server_for(addr("[2001:db8::2]:5061"), "v6.example"), &set.domains[0]);
}

const char kClientCfg[] =
    "[client:default]\n"                                                      // 0
    "[client:10.0.0.1:5061]\n"                                                // 1
    "[client:10.0.0.1:5061]\nserver_name = peer.example\n"                    // 2
    "[client:any]\nserver_name = any.example\n"                               // 3
    "[client:10.0.0.2:5061]\nserver_name = named.example\nserver_id = two\n"  // 4
    "[client:any]\nserver_id = by-id\n"                                       // 5
    "[server:default]\nserver_id = by-id\n";                                  // 6: never a client

TEST(TlsDomainsSelection, ClientServerIdFirst) {
  const TlsDomainSet set = must_parse(kClientCfg);
  EXPECT_EQ(set.client_for(addr("10.0.0.1:5061"), "peer.example", "BY-ID"), &set.domains[5]);
  EXPECT_EQ(set.client_for(addr("10.0.0.9:5061"), "", "two"), &set.domains[4]);
  // An unknown id falls through to the other rules.
  EXPECT_EQ(set.client_for(addr("10.0.0.1:5061"), "peer.example", "nope"), &set.domains[2]);
}

TEST(TlsDomainsSelection, ClientServerNameThenAddressThenDefault) {
  const TlsDomainSet set = must_parse(kClientCfg);
  EXPECT_EQ(set.client_for(addr("10.0.0.1:5061"), "Peer.Example", ""), &set.domains[2]);
  EXPECT_EQ(set.client_for(addr("10.0.0.1:5061"), "any.example", ""), &set.domains[3]);
  EXPECT_EQ(set.client_for(addr("10.0.0.9:5061"), "any.example", ""), &set.domains[3]);
  EXPECT_EQ(set.client_for(addr("10.0.0.1:5061"), "other.example", ""), &set.domains[1]);
  EXPECT_EQ(set.client_for(addr("10.0.0.1:5061"), "", ""), &set.domains[1]);
  EXPECT_EQ(set.client_for(addr("10.0.0.9:5061"), "", ""), &set.domains[0]);
  EXPECT_EQ(set.client_for(addr("10.0.0.9:5061"), "other.example", ""), &set.domains[0]);
}

TEST(TlsDomainsSelection, ClientNamedAddressDomainServesCallsWithoutServerName) {
  // Its server_name is then the SNI to send (Kamailio's [client:IP:PORT] with server_name).
  const TlsDomainSet set = must_parse(kClientCfg);
  EXPECT_EQ(set.client_for(addr("10.0.0.2:5061"), "", ""), &set.domains[4]);
  EXPECT_EQ(set.client_for(addr("10.0.0.2:5061"), "else.example", ""), &set.domains[0]);
}

TEST(TlsDomainsSelection, ClientBuiltInDefaultWhenFileHasNone) {
  const TlsDomainSet set = must_parse("[server:default]\n");
  const TlsDomain* d = set.client_for(addr("10.0.0.1:5061"), "", "");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->where, "built-in");
}

// --- Module parameters and files --------------------------------------------------------------

TEST(TlsDomainsParams, ModuleParametersMakeServerAndClientDefault) {
  TlsParams params;
  params.profile.tls_method = "TLSv1.3";
  params.profile.certificate = "/etc/sipring/cert.pem";
  params.profile.private_key = "/etc/sipring/key.pem";
  params.profile.ca_list = "/etc/sipring/ca.pem";
  params.profile.crl = "/etc/sipring/crl.pem";
  params.profile.verify_certificate = true;
  params.profile.verify_depth = 4;
  params.profile.require_certificate = true;
  params.profile.cipher_list = "HIGH";
  const TlsDomainSet set = domains_from_params(params);
  EXPECT_EQ(set.source, "modparams");
  ASSERT_THAT(names(set), ::testing::ElementsAre("server:default", "client:default"));
  for (const TlsDomain& d : set.domains) {
    EXPECT_EQ(d.where, "modparam");
    EXPECT_EQ(d.profile.tls_method, "TLSv1.3");
    EXPECT_EQ(d.profile.certificate, "/etc/sipring/cert.pem");
    EXPECT_EQ(d.profile.private_key, "/etc/sipring/key.pem");
    EXPECT_EQ(d.profile.ca_list, "/etc/sipring/ca.pem");
    EXPECT_EQ(d.profile.crl, "/etc/sipring/crl.pem");
    EXPECT_TRUE(d.profile.verify_certificate);
    EXPECT_EQ(d.profile.verify_depth, 4);
    EXPECT_TRUE(d.profile.require_certificate);
    EXPECT_EQ(d.profile.cipher_list, "HIGH");
  }
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), "x.example"), &set.domains[0]);
  EXPECT_EQ(set.client_for(addr("10.0.0.1:5061"), "x.example", "id"), &set.domains[1]);
}

}  // namespace
}  // namespace sipring
