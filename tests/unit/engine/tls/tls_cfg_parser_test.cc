// Tests of the tls.cfg parser (parse_tls_domains, load_tls_domains; engine/tls/tls_cfg_parser.cc):
// real files, attributes, sections, errors, files and directories.
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

// --- Real files -------------------------------------------------------------------------------

TEST(TlsDomainsFile, DebianTlsCfgLoadsUnchanged) {
  if (!std::filesystem::exists(kDebianTlsCfg)) GTEST_SKIP() << kDebianTlsCfg << " is absent";
  Result<TlsDomainSet> r = load_tls_domains(kDebianTlsCfg, "/etc/kamailio");
  ASSERT_TRUE(r.is_ok()) << r.error().message;
  const TlsDomainSet& set = r.value();
  EXPECT_EQ(set.source, kDebianTlsCfg);
  EXPECT_THAT(names(set), ::testing::ElementsAre("server:default", "client:default"));

  const TlsDomain& srv = set.domains[0];
  EXPECT_EQ(srv.where, "/etc/kamailio/tls.cfg:15");
  EXPECT_EQ(srv.profile.tls_method, "TLSv1.2+");
  EXPECT_FALSE(srv.profile.verify_certificate);
  EXPECT_FALSE(srv.profile.require_certificate);
  EXPECT_EQ(srv.profile.private_key, "/etc/kamailio/kamailio-selfsigned.key");
  EXPECT_EQ(srv.profile.certificate, "/etc/kamailio/kamailio-selfsigned.pem");
  EXPECT_EQ(srv.profile.ca_list, "");  // commented out in the file
  EXPECT_EQ(srv.profile.crl, "");

  const TlsDomain& cli = set.domains[1];
  EXPECT_EQ(cli.where, "/etc/kamailio/tls.cfg:31");
  EXPECT_EQ(cli.profile.tls_method, "TLSv1.2+");  // "#method" is a comment: the default stays
  EXPECT_TRUE(cli.profile.verify_certificate);
  EXPECT_TRUE(cli.profile.require_certificate);
}

// The file's commented-out examples are Kamailio's own documentation of the format; with the
// leading '#' removed from their section and attribute lines they must parse too.
TEST(TlsDomainsFile, DebianTlsCfgExamplesParseWhenUncommented) {
  if (!std::filesystem::exists(kDebianTlsCfg)) GTEST_SKIP() << kDebianTlsCfg << " is absent";
  const std::string text = std::regex_replace(
      read_text(kDebianTlsCfg), std::regex("^#(\\[|[a-z_]+ = )", std::regex::multiline), "$1");
  ASSERT_NE(text, read_text(kDebianTlsCfg));
  const TlsDomainSet set = must_parse(text, "/etc/kamailio");
  EXPECT_THAT(
      names(set),
      ::testing::ElementsAre("server:default", "client:default", "server:5.6.7.8:5061/kamailio.org",
                             "client:1.2.3.4:5061/example.sip;server_id=example.sip",
                             "server:any/mysipserver.org", "server:any/mysipserver.net"));
  const TlsDomain* org = find(set, "server:any/mysipserver.org");
  ASSERT_NE(org, nullptr);
  EXPECT_EQ(org->profile.server_name_mode, 1);
  EXPECT_EQ(org->profile.server_id, "mysipserver.org");
  EXPECT_EQ(org->profile.verify_depth, 3);
  EXPECT_EQ(org->profile.crl, "/etc/kamailio/tls/mysipserver_org_crl.pem");
  EXPECT_EQ(find(set, "server:any/mysipserver.net")->profile.server_name_mode, 2);
  const TlsDomain* client = find(set, "client:1.2.3.4:5061/example.sip;server_id=example.sip");
  ASSERT_NE(client, nullptr);
  EXPECT_FALSE(client->profile.verify_certificate);
  EXPECT_EQ(client->profile.certificate, "/etc/kamailio/tls/example_cert.pem");
}

TEST(TlsDomainsFile, ManualExample36Parses) {
  const std::string text =
      "[server:default]\n"
      "method = TLSv1\n"
      "verify_certificate = yes\n"
      "require_certificate = yes\n"
      "private_key = default_key.pem\n"
      "certificate = default_cert.pem\n"
      "ca_list = default_ca.pem\n"
      "crl = default_crl.pem\n"
      "\n"
      "[client:default]\n"
      "verify_certificate = yes\n"
      "require_certificate = yes\n"
      "\n"
      "#more relaxed for connection on the loopback interface\n"
      "[server:127.0.0.1:5061]\n"
      "method = SSLv23\n"
      "verify_certificate = yes\n"
      "require_certificate = no\n"
      "private_key = local_key.pem\n"
      "certificate = local_cert.pem\n"
      "verify_depth = 3\n"
      "ca_list = local_ca.pem\n";
  const TlsDomainSet set = must_parse(text);
  EXPECT_EQ(set.source, kName);
  EXPECT_THAT(names(set),
              ::testing::ElementsAre("server:default", "client:default", "server:127.0.0.1:5061"));
  const TlsDomain& def = set.domains[0];
  EXPECT_EQ(def.where, "tls.cfg:1");
  EXPECT_EQ(def.profile.tls_method, "TLSv1");
  EXPECT_TRUE(def.profile.verify_certificate);
  EXPECT_TRUE(def.profile.require_certificate);
  EXPECT_EQ(def.profile.private_key, "/etc/sipring/default_key.pem");
  EXPECT_EQ(def.profile.certificate, "/etc/sipring/default_cert.pem");
  EXPECT_EQ(def.profile.ca_list, "/etc/sipring/default_ca.pem");
  EXPECT_EQ(def.profile.crl, "/etc/sipring/default_crl.pem");
  EXPECT_EQ(set.domains[1].where, "tls.cfg:10");
  EXPECT_EQ(set.domains[1].profile.certificate, "");  // nothing inherited from server:default
  const TlsDomain& local = set.domains[2];
  EXPECT_EQ(local.where, "tls.cfg:15");
  EXPECT_EQ(local.kind, TlsDomain::Kind::kAddress);
  EXPECT_EQ(local.addr, addr("127.0.0.1:5061"));
  EXPECT_EQ(local.profile.tls_method, "SSLv23");
  EXPECT_FALSE(local.profile.require_certificate);
  EXPECT_EQ(local.profile.verify_depth, 3);
  EXPECT_EQ(local.profile.ca_list, "/etc/sipring/local_ca.pem");
  EXPECT_EQ(local.profile.crl, "");  // not inherited from server:default either
}

TEST(TlsDomainsFile, KamailioReadmeSampleParses) {
  const std::string text =
      "[server:default]\nmethod = TLSv1\nverify_certificate = yes\nrequire_certificate = yes\n"
      "private_key = default_key.pem\ncertificate = default_cert.pem\nca_list = default_ca.pem\n"
      "crl = default_crl.pem\n\n"
      "[client:default]\nverify_certificate = yes\nrequire_certificate = yes\n\n"
      "# more relaxed for connection on the loopback interface\n"
      "[server:127.0.0.1:5061]\nmethod = TLSv1\nverify_certificate = yes\n"
      "require_certificate = no\nprivate_key = local_kamailio_org_key.pem\n"
      "certificate = local_kamailio_org_cert.pem\nverify_depth = 3\nca_list = local_ca.pem\n"
      "server_name = kamailio.org\n\n"
      "[client:127.0.0.1:5061]\nmethod = TLSv1\nverify_certificate = yes\n"
      "require_certificate = yes\nprivate_key = default_key.pem\n"
      "certificate = default_cert.pem\nca_list = default_ca.pem\ncrl = default_crl.pem\n"
      "server_name = kamailio.org\nserver_id = kamailio.org\n\n"
      "# server profile on any address\n"
      "[server:any]\nmethod = TLSv1\nverify_certificate = yes\nrequire_certificate = no\n"
      "private_key = kamailio_net_key.pem\ncertificate = kamailio_net_cert.pem\n"
      "verify_depth = 3\nca_list = local_ca.pem\nserver_name = kamailio.net\n"
      "server_name_mode = 1\n";
  const TlsDomainSet set = must_parse(text);
  EXPECT_THAT(names(set),
              ::testing::ElementsAre("server:default", "client:default",
                                     "server:127.0.0.1:5061/kamailio.org",
                                     "client:127.0.0.1:5061/kamailio.org;server_id=kamailio.org",
                                     "server:any/kamailio.net"));
}

// --- Attributes -------------------------------------------------------------------------------

struct AliasCase {
  const char* line;
  std::function<bool(const TlsProfile&)> holds;
};

TEST(TlsDomainsAttributes, EveryNameAndKamailioAliasSetsItsField) {
  const std::vector<AliasCase> cases = {
      {"tls_method = TLSv1.3", [](const TlsProfile& p) { return p.tls_method == "TLSv1.3"; }},
      {"method = TLSv1.2", [](const TlsProfile& p) { return p.tls_method == "TLSv1.2"; }},
      {"verify_certificate = yes", [](const TlsProfile& p) { return p.verify_certificate; }},
      {"verify_cert = on", [](const TlsProfile& p) { return p.verify_certificate; }},
      {"verify_depth = 4", [](const TlsProfile& p) { return p.verify_depth == 4; }},
      {"require_certificate = 1", [](const TlsProfile& p) { return p.require_certificate; }},
      {"require_cert = true", [](const TlsProfile& p) { return p.require_certificate; }},
      {"private_key = k.pem",
       [](const TlsProfile& p) { return p.private_key == "/etc/sipring/k.pem"; }},
      {"pkey_file = k2.pem",
       [](const TlsProfile& p) { return p.private_key == "/etc/sipring/k2.pem"; }},
      {"certificate = c.pem",
       [](const TlsProfile& p) { return p.certificate == "/etc/sipring/c.pem"; }},
      {"cert_file = c2.pem",
       [](const TlsProfile& p) { return p.certificate == "/etc/sipring/c2.pem"; }},
      {"ca_list = ca.pem", [](const TlsProfile& p) { return p.ca_list == "/etc/sipring/ca.pem"; }},
      {"calist_file = ca2.pem",
       [](const TlsProfile& p) { return p.ca_list == "/etc/sipring/ca2.pem"; }},
      {"ca_path = cas", [](const TlsProfile& p) { return p.ca_path == "/etc/sipring/cas"; }},
      {"crl = crl.pem", [](const TlsProfile& p) { return p.crl == "/etc/sipring/crl.pem"; }},
      {"cipher_list = HIGH:!aNULL",
       [](const TlsProfile& p) { return p.cipher_list == "HIGH:!aNULL"; }},
      {"server_name = sip.example.org",
       [](const TlsProfile& p) { return p.server_name == "sip.example.org"; }},
      {"server_id = peer-one", [](const TlsProfile& p) { return p.server_id == "peer-one"; }},
      {"verify_client = optional_no_ca",
       [](const TlsProfile& p) { return p.verify_client == "optional_no_ca"; }},
      {"private_key_password = \"s3cret pass\"",
       [](const TlsProfile& p) { return p.private_key_password == "s3cret pass"; }},
      {"verify_hostname = peer.example.org",
       [](const TlsProfile& p) { return p.verify_hostname == "peer.example.org"; }},
      {"ocsp_require = yes", [](const TlsProfile& p) { return p.ocsp_require; }},
  };
  for (const AliasCase& c : cases) {
    SCOPED_TRACE(c.line);
    const TlsDomainSet set = must_parse(std::string("[client:default]\n") + c.line + "\n");
    ASSERT_FALSE(set.domains.empty());
    EXPECT_TRUE(c.holds(set.domains[0].profile));
  }
  // server_name_mode needs a server_name beside it.
  const TlsDomainSet set =
      must_parse("[server:any]\nserver_name = example.org\nserver_name_mode = 2\n");
  EXPECT_EQ(set.domains[0].profile.server_name_mode, 2);
}

// Issue 11: Kamailio master's second certificate (server sections) and sipring's groups.
TEST(TlsDomainsAttributes, SecondCertificateAndGroupsSetTheirFields) {
  const std::vector<AliasCase> cases = {
      {"certificate2 = r.pem",
       [](const TlsProfile& p) { return p.certificate2 == "/etc/sipring/r.pem"; }},
      {"cert_file2 = r2.pem",
       [](const TlsProfile& p) { return p.certificate2 == "/etc/sipring/r2.pem"; }},
      {"private_key2 = rk.pem",
       [](const TlsProfile& p) { return p.private_key2 == "/etc/sipring/rk.pem"; }},
      {"pkey_file2 = rk2.pem",
       [](const TlsProfile& p) { return p.private_key2 == "/etc/sipring/rk2.pem"; }},
      {"private_key_password2 = pw",
       [](const TlsProfile& p) { return p.private_key_password2 == "pw"; }},
      {"pkey_password2 = pw2",
       [](const TlsProfile& p) { return p.private_key_password2 == "pw2"; }},
      {"groups = p-384:x25519", [](const TlsProfile& p) { return p.groups == "P-384:X25519"; }},
  };
  for (const AliasCase& c : cases) {
    SCOPED_TRACE(c.line);
    const TlsDomainSet set = must_parse(std::string("[server:default]\n") + c.line + "\n");
    ASSERT_FALSE(set.domains.empty());
    EXPECT_TRUE(c.holds(set.domains[0].profile));
  }
  // Unset, a section has the default groups; clients take groups too.
  EXPECT_EQ(must_parse("[server:default]\n").domains[0].profile.groups, "X25519:P-256:P-384");
  EXPECT_EQ(must_parse("[client:default]\ngroups = P-256\n").domains[0].profile.groups, "P-256");
  EXPECT_THAT(
      parse_error("[client:default]\ncertificate2 = r.pem\n"),
      AllOf(StartsWith("tls.cfg:2: "), HasSubstr("certificate2 applies to server domains only")));
  EXPECT_THAT(parse_error("[server:default]\ngroups = X25519:X448\n"),
              AllOf(StartsWith("tls.cfg:2: groups \"X25519:X448\": \"X448\" is not a "
                               "key-exchange group this BoringSSL implements; it offers "),
                    HasSubstr("X25519")));
}

TEST(TlsDomainsAttributes, OcspStapleFileIsAServerPathResolvedLikeCertificates) {
  const TlsDomainSet set = must_parse("[server:default]\nocsp_staple_file = staple.der\n");
  EXPECT_EQ(set.domains[0].profile.ocsp_staple_file, "/etc/sipring/staple.der");
  EXPECT_FALSE(set.domains[0].profile.ocsp_require);
}

TEST(TlsDomainsAttributes, NamesRolesAndDomainWordsAreCaseInsensitive) {
  const TlsDomainSet set = must_parse(
      "[SERVER:DEFAULT]\nMETHOD = tlsv1.2+\nVerify_Cert = YES\n"
      "[Client:Any]\nServer_Name = example.org\n");
  EXPECT_THAT(names(set),
              ::testing::ElementsAre("server:default", "client:any/example.org", "client:default"));
  EXPECT_EQ(set.domains[0].profile.tls_method, "TLSv1.2+");  // stored as the registry spells it
  EXPECT_TRUE(set.domains[0].profile.verify_certificate);
}

TEST(TlsDomainsAttributes, KamailioSectionWordAliases) {
  const TlsDomainSet set =
      must_parse("[srv:def]\n[cli:*]\n[s:all]\nserver_name = a.example\n[c:10.0.0.1:5061]\n");
  EXPECT_THAT(names(set), ::testing::ElementsAre("server:default", "client:default",
                                                 "server:any/a.example", "client:10.0.0.1:5061"));
}

TEST(TlsDomainsAttributes, BooleansTakeKamailiosSpellings) {
  for (const char* yes : {"yes", "on", "true", "1", "enable", "enabled", "Yes", "TRUE"}) {
    const TlsDomainSet set = must_parse(std::string("[server:default]\nverify_cert = ") + yes);
    EXPECT_TRUE(set.domains[0].profile.verify_certificate) << yes;
  }
  for (const char* no : {"no", "off", "false", "0", "disable", "disabled"}) {
    const TlsDomainSet set = must_parse(std::string("[server:default]\nverify_cert = yes\n") +
                                        "[client:default]\nrequire_cert = " + no);
    EXPECT_FALSE(set.domains[1].profile.require_certificate) << no;
  }
}

TEST(TlsDomainsAttributes, TlsMethodTakesRegistryValuesAndKamailiosTls10Spellings) {
  for (const char* m : {"TLSv1.2+", "TLSv1.2", "TLSv1.3", "TLSv1.3+", "TLSv1", "TLSv1.1", "TLSv1+",
                        "TLSv1.1+", "SSLv23"}) {
    EXPECT_EQ(
        must_parse(std::string("[server:default]\nmethod = ") + m).domains[0].profile.tls_method,
        m);
  }
  EXPECT_EQ(must_parse("[server:default]\nmethod = TLSv1.0").domains[0].profile.tls_method,
            "TLSv1");
  EXPECT_EQ(must_parse("[server:default]\nmethod = TLSv1.0+").domains[0].profile.tls_method,
            "TLSv1+");
}

TEST(TlsDomainsAttributes, VerifyClientTakesKamailiosFourValues) {
  for (const char* v : {"off", "on", "optional", "optional_no_ca"}) {
    EXPECT_EQ(must_parse(std::string("[server:default]\nverify_client = ") + v)
                  .domains[0]
                  .profile.verify_client,
              v);
  }
  EXPECT_EQ(must_parse("[server:default]\nverify_client = ON").domains[0].profile.verify_client,
            "on");
  EXPECT_EQ(must_parse("[server:default]\n").domains[0].profile.verify_client, "");  // unset
}

TEST(TlsDomainsAttributes, WhitespaceCommentsQuotesEscapesAndCrlf) {
  const TlsDomainSet set = must_parse(
      "\xEF\xBB\xBF# leading comment after a byte order mark\r\n"
      "   \t\r\n"
      "  [  server  :  default  ]   # trailing comment\r\n"
      "certificate=c.pem\r\n"
      "\tprivate_key\t=\t\"my key.pem\"\t# quoted: spaces kept, comment dropped\r\n"
      "cipher_list = \"HIGH:#weird\"\r\n"
      "ca_list = a\\ b\\#c.pem\r\n"
      "crl = \"q\\\"uote.pem\"\r\n"
      "server_id = \"\"\r\n");
  ASSERT_EQ(set.domains.size(), 2u);
  const TlsProfile& p = set.domains[0].profile;
  EXPECT_EQ(set.domains[0].where, "tls.cfg:3");
  EXPECT_EQ(p.certificate, "/etc/sipring/c.pem");
  EXPECT_EQ(p.private_key, "/etc/sipring/my key.pem");
  EXPECT_EQ(p.cipher_list, "HIGH:#weird");
  EXPECT_EQ(p.ca_list, "/etc/sipring/a b#c.pem");
  EXPECT_EQ(p.crl, "/etc/sipring/q\"uote.pem");
  EXPECT_EQ(p.server_id, "");
}

TEST(TlsDomainsAttributes, PathsFollowTheManualsRules) {
  const std::string cwd = std::filesystem::current_path().string();
  const TlsDomainSet set = must_parse(
      "[server:default]\ncertificate = ./x.pem\nprivate_key = /abs/k.pem\nca_list = ca/x.pem\n"
      "crl = ../up.pem\nca_path = ./cadir/\n");
  const TlsProfile& p = set.domains[0].profile;
  EXPECT_EQ(p.certificate, cwd + "/x.pem");
  EXPECT_EQ(p.private_key, "/abs/k.pem");
  EXPECT_EQ(p.ca_list, "/etc/sipring/ca/x.pem");
  EXPECT_EQ(p.crl, std::filesystem::path(cwd + "/../up.pem").lexically_normal().string());
  EXPECT_EQ(p.ca_path, cwd + "/cadir");
}

TEST(TlsDomainsAttributes, RelativeConfigDirIsTakenFromTheWorkingDirectory) {
  const std::string cwd = std::filesystem::current_path().string();
  const TlsDomainSet set = must_parse("[server:default]\ncertificate = x.pem\n", "conf");
  EXPECT_EQ(set.domains[0].profile.certificate, cwd + "/conf/x.pem");
}

TEST(TlsDomainsAttributes, UnsetAttributesKeepTlsProfileDefaults) {
  const TlsDomainSet set = must_parse("[server:10.0.0.1:5061]\n");
  const TlsProfile& p = set.domains[0].profile;
  const TlsProfile defaults;
  EXPECT_EQ(p.tls_method, defaults.tls_method);
  EXPECT_EQ(p.verify_depth, 9);
  EXPECT_FALSE(p.verify_certificate);
  EXPECT_FALSE(p.require_certificate);
  EXPECT_EQ(p.certificate, "");
  EXPECT_EQ(p.server_name_mode, 0);
}

// --- Sections ---------------------------------------------------------------------------------

TEST(TlsDomainsSections, Ipv6AddressesInBrackets) {
  const TlsDomainSet set = must_parse(
      "[server:[2001:db8::1]:5061]\n[client:[::1]:5061]\n[server:[ 2001:DB8::2 ] : 5062 ]\n");
  EXPECT_THAT(names(set), ::testing::ElementsAre("server:[2001:db8::1]:5061", "client:[::1]:5061",
                                                 "server:[2001:db8::2]:5062", "client:default"));
  EXPECT_EQ(set.domains[0].addr, addr("[2001:db8::1]:5061"));
  EXPECT_EQ(set.domains[0].addr.family(), AF_INET6);
}

TEST(TlsDomainsSections, AddressPortZeroMeansAnyPort) {
  const TlsDomainSet set = must_parse("[server:10.0.0.1:0]\n");
  EXPECT_EQ(set.domains[0].name(), "server:10.0.0.1:0");
  EXPECT_EQ(set.server_for(addr("10.0.0.1:5061"), ""), &set.domains[0]);
  EXPECT_EQ(set.server_for(addr("10.0.0.1:7000"), ""), &set.domains[0]);
  EXPECT_EQ(set.server_for(addr("10.0.0.2:5061"), ""), nullptr);
}

TEST(TlsDomainsSections, SeveralAnySectionsDifferingByServerName) {
  const TlsDomainSet set = must_parse(
      "[server:any]\nserver_name = a.example\n[server:any]\nserver_name = b.example\n"
      "[client:any]\nserver_name = a.example\n[client:any]\nserver_id = only-id\n"
      "[client:any]\nserver_name = a.example\nserver_id = other\n");
  EXPECT_THAT(names(set),
              ::testing::ElementsAre("server:any/a.example", "server:any/b.example",
                                     "client:any/a.example", "client:any;server_id=only-id",
                                     "client:any/a.example;server_id=other", "client:default"));
}

TEST(TlsDomainsSections, SameAddressWithAndWithoutServerNameCoexist) {
  const TlsDomainSet set = must_parse(
      "[server:10.0.0.1:5061]\n[server:10.0.0.1:5061]\nserver_name = a.example\n"
      "[server:10.0.0.1:5061]\nserver_name = b.example\n");
  EXPECT_EQ(set.domains.size(), 4u);
}

TEST(TlsDomainsSections, MissingClientDefaultIsBuiltIn) {
  const TlsDomainSet set = must_parse("[server:default]\ncertificate = c.pem\n");
  ASSERT_EQ(set.domains.size(), 2u);
  const TlsDomain& cli = set.domains[1];
  EXPECT_EQ(cli.name(), "client:default");
  EXPECT_EQ(cli.where, "built-in");
  EXPECT_EQ(cli.profile.certificate, "");
  EXPECT_FALSE(cli.profile.verify_certificate);
  // A missing server:default is not invented.
  EXPECT_EQ(must_parse("[client:default]\n").domains.size(), 1u);
}

TEST(TlsDomainsSections, NameShowsServerNameAndClientServerId) {
  TlsDomain d;
  EXPECT_EQ(d.name(), "server:default");
  d.kind = TlsDomain::Kind::kAny;
  d.profile.server_name = "example.org";
  d.profile.server_id = "ignored-for-servers";
  EXPECT_EQ(d.name(), "server:any/example.org");
  d.role = TlsDomain::Role::kClient;
  d.kind = TlsDomain::Kind::kAddress;
  d.addr = addr("10.0.0.1:5061");
  EXPECT_EQ(d.name(), "client:10.0.0.1:5061/example.org;server_id=ignored-for-servers");
}

// --- Errors -----------------------------------------------------------------------------------

struct ErrorCase {
  std::string text;
  std::string starts;    // "tls.cfg:LINE: "
  std::string contains;  // part of the reason
};

TEST(TlsDomainsErrors, EachFormNamesFileLineAndWhatIsAccepted) {
  const std::vector<ErrorCase> cases = {
      // Attribute names and placement.
      {"[server:default]\ncipher = HIGH\n", "tls.cfg:2: ",
       "unknown attribute \"cipher\" (did you mean \"cipher_list\"?); accepted: tls_method,"},
      {"[server:default]\nca_file = x\n", "tls.cfg:2: ", "unknown attribute \"ca_file\""},
      {"[server:default]\nverify_client_depth = 3\n",
       "tls.cfg:2: ", "unknown attribute \"verify_client_depth\""},
      {"# comment\nmethod = TLSv1.2\n[server:default]\n",
       "tls.cfg:2: ", "attribute \"method\" before any section"},
      {"[server:default]\nmethod TLSv1.2\n", "tls.cfg:2: ", "expected '=' after \"method\""},
      {"[server:default]\nmethod =\n", "tls.cfg:2: ", "method: value missing"},
      {"[server:default]\nmethod = # nothing\n", "tls.cfg:2: ", "method: value missing"},
      {"[server:default]\ncertificate = a b.pem\n", "tls.cfg:2: ",
       "unexpected \"b.pem\" after the value of certificate; quote values that contain spaces"},
      {"[server:default]\ncertificate = \"a.pem\n", "tls.cfg:2: ", "missing closing quote"},
      {"[server:default]\ncertificate = a\"b.pem\n", "tls.cfg:2: ", "a quote inside"},
      {"[server:default]\ncertificate = a.pem\\\n", "tls.cfg:2: ", "line continuation"},
      {"[server:default]\ncertificate = a\\x.pem\n", "tls.cfg:2: ", "unsupported escape"},
      {"[server:default]\n= x\n", "tls.cfg:2: ", "unexpected \"= x\"; a line holds"},
      {"[server:default]\ncertificate = a.pem\ncert_file = b.pem\n", "tls.cfg:3: ",
       "cert_file is already set in this section at line 2 (as \"certificate\"); keep one"},
      // Section headers.
      {"\n[server:default\n", "tls.cfg:2: ", "missing ']' at the end of the section header"},
      {"[proxy:default]\n", "tls.cfg:1: ",
       "unknown section type \"proxy\": write [server:default], [server:any], [server:IP:PORT] "
       "or [server:[IPv6]:PORT]"},
      {"[]\n", "tls.cfg:1: ", "section type missing"},
      {"[server default]\n", "tls.cfg:1: ", "expected ':' after \"server\""},
      {"[server:]\n", "tls.cfg:1: ", "address missing in the section header"},
      {"[server:10.0.0.1]\n",
       "tls.cfg:1: ", "port missing after 10.0.0.1: write [server:10.0.0.1:5061]"},
      {"[server:10.0.0.1:70000]\n", "tls.cfg:1: ", "port \"70000\" after 10.0.0.1 is not a number"},
      {"[server:10.0.0.1:sip]\n", "tls.cfg:1: ", "port \"sip\""},
      {"[server:10.0.0.256:5061]\n", "tls.cfg:1: ", "\"10.0.0.256\" is not an IPv4 address"},
      {"[server:sip.example.org:5061]\n",
       "tls.cfg:1: ", "for a host name use [server:any] with server_name = sip.example.org"},
      {"[server:2001:db8::1:5061]\n", "tls.cfg:1: ", "IPv6 addresses go in brackets"},
      {"[server:::1:5061]\n", "tls.cfg:1: ", "IPv6 addresses go in brackets"},
      {"[client:::1:5061]\n",
       "tls.cfg:1: ", "IPv6 addresses go in brackets: [client:[2001:db8::1]:5061]"},
      {"[c:10.0.0.1]\n", "tls.cfg:1: ", "write [client:10.0.0.1:5061]"},
      {"[server:[2001:db8::1:5061]\n", "tls.cfg:1: ", "port missing after [2001:db8::1:5061]"},
      {"[server:[2001:db8::zz]:5061]\n", "tls.cfg:1: ", "\"2001:db8::zz\" is not an IPv6 address"},
      {"[server:[2001:db8::1:5061]\n", "tls.cfg:1: ", "write [server:[2001:db8::1:5061]:5061]"},
      {"[server:default:5061]\n", "tls.cfg:1: ", "[server:default] takes no address or port"},
      {"[server:Any:5061]\n", "tls.cfg:1: ", "[server:Any] takes no address or port"},
      {"[server:default x]\n", "tls.cfg:1: ", "unexpected \"x]\" in the section header"},
      {"[server:default] method = TLSv1.2\n",
       "tls.cfg:1: ", "after the section header; attributes go on their own lines"},
      // Values.
      {"[server:default]\nverify_certificate = maybe\n",
       "tls.cfg:2: ", "verify_certificate: \"maybe\" is not a boolean"},
      {"[server:default]\nverify_cert = 2\n", "tls.cfg:2: ", "verify_cert: \"2\" is not a boolean"},
      {"[server:default]\nmethod = SSLv3\n",
       "tls.cfg:2: ", "method: \"SSLv3\" is refused: SSL 2.0 and 3.0 are broken"},
      {"[server:default]\ntls_method = SSLv2\n", "tls.cfg:2: ", "tls_method: \"SSLv2\" is refused"},
      {"[server:default]\nmethod = TLSv2\n",
       "tls.cfg:2: ", "method: \"TLSv2\" is not one of TLSv1.2+, TLSv1.2, TLSv1.3"},
      {"[server:default]\nverify_depth = 101\n",
       "tls.cfg:2: ", "verify_depth: 101 is out of range [0, 100]"},
      {"[server:default]\nverify_depth = deep\n", "tls.cfg:2: ", "verify_depth: "},
      {"[server:default]\nverify_client = sometimes\n", "tls.cfg:2: ",
       "verify_client: \"sometimes\" is not one of off, on, optional, optional_no_ca"},
      {"[server:any]\nserver_name = a.example\nserver_name_mode = 3\n",
       "tls.cfg:3: ", "server_name_mode: \"3\" is not 0 (server_name only), 1"},
      {"[server:any]\nserver_name = a*.example.org\n",
       "tls.cfg:2: ", "has a '*' that is not a leading \"*.\""},
      {"[server:any]\nserver_name = a.*.example.org\n",
       "tls.cfg:2: ", "has a '*' that is not a leading \"*.\""},
      {"[server:any]\nserver_name = *.*.example.org\n",
       "tls.cfg:2: ", "has a '*' that is not a leading \"*.\""},
      {"[server:any]\nserver_name = *\n", "tls.cfg:2: ", "has a '*' that is not a leading"},
      {"[server:any]\nserver_name = *.\n", "tls.cfg:2: ", "has a '*' that is not a leading"},
      {"[client:any]\nserver_name = *.example.org\n", "tls.cfg:2: ",
       "a client domain's server_name is also the name it sends (SNI), so it cannot be a "
       "pattern"},
      {"[server:any]\nserver_name = *.example.org\nserver_name_mode = 2\n", "tls.cfg:3: ",
       "server_name_mode 2 with the pattern \"*.example.org\": a pattern matches one label"},
      {"[server:any]\nserver_name = \"a example\"\n", "tls.cfg:2: ", "is not a host name"},
      {"[server:any]\nserver_name = example.org.\n", "tls.cfg:2: ", "is not a host name"},
      {"[server:default]\nverify_hostname = x.example\n",
       "tls.cfg:2: ", "verify_hostname applies to client domains only"},
      {"[server:default]\nocsp_require = 1\n",
       "tls.cfg:2: ", "ocsp_require applies to client domains only"},
      {"[client:default]\nocsp_staple_file = /x.der\n",
       "tls.cfg:2: ", "ocsp_staple_file applies to server domains only"},
      {"[client:default]\nocsp_require = maybe\n", "tls.cfg:2: ", "ocsp_require: "},
      // Whole-section checks, reported at the section's header line.
      {"[server:default]\n[server:any]\nmethod = TLSv1.2\n",
       "tls.cfg:2: ", "[server:any] needs server_name"},
      {"[client:any]\n", "tls.cfg:1: ", "[client:any] needs server_name or server_id"},
      {"[server:default]\nserver_name_mode = 1\n",
       "tls.cfg:2: ", "server_name_mode without server_name"},
      // Duplicates name both lines.
      {"[server:default]\n\n[server:def]\n", "tls.cfg:3: ",
       "duplicate section: server:default is already defined at tls.cfg:1; there can be only one"},
      {"[client:default]\n[client:*]\n",
       "tls.cfg:2: ", "client:default is already defined at tls.cfg:1"},
      {"[server:10.0.0.1:5061]\n[server:10.0.0.1:5061]\n",
       "tls.cfg:2: ", "server:10.0.0.1:5061 is already defined at tls.cfg:1; merge them"},
      {"[server:[::1]:5061]\n[server:[0:0::1]:5061]\n",
       "tls.cfg:2: ", "server:[::1]:5061 is already defined at tls.cfg:1"},
      {"[server:any]\nserver_name = a.example\n[server:any]\nserver_name = A.Example\n",
       "tls.cfg:3: ", "server:any/A.Example is already defined at tls.cfg:1"},
      {"[server:10.0.0.1:5061]\nserver_name = a.example\n[server:10.0.0.1:5061]\n"
       "server_name = a.example\n",
       "tls.cfg:3: ", "is already defined at tls.cfg:1"},
      {"[client:10.0.0.1:5061]\nserver_id = x\n[client:any]\nserver_id = X\n", "tls.cfg:3: ",
       "server_id \"X\" is already used by client:10.0.0.1:5061;server_id=x at tls.cfg:1"},
      // Nothing at all.
      {"# only comments\n\n", "tls.cfg: ", "no [server:...] or [client:...] section"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.text);
    EXPECT_THAT(parse_error(c.text), AllOf(StartsWith(c.starts), HasSubstr(c.contains)));
  }
}

// A value the module parameter would refuse is refused with the registry's own reason.
TEST(TlsDomainsErrors, ValueReasonsMatchTheRegistrysWords) {
  Config cfg;
  const Status reg = set_param(cfg, *find_param("tls", "tls_method"), ParamValue::of_text("SSLv3"));
  ASSERT_FALSE(reg.is_ok());
  const std::string reason = reg.message().substr(std::string("tls.tls_method: ").size());
  EXPECT_EQ(parse_error("[server:default]\nmethod = SSLv3\n"), "tls.cfg:2: method: " + reason);

  const Status depth =
      set_param(cfg, *find_param("tls", "verify_depth"), ParamValue::of_text("-1"));
  ASSERT_FALSE(depth.is_ok());
  EXPECT_EQ(parse_error("[server:default]\nverify_depth = -1\n"),
            "tls.cfg:2: verify_depth: " +
                depth.message().substr(std::string("tls.verify_depth: ").size()));
}

TEST(TlsDomainsErrors, ServerSectionWithoutCertificateStillParses) {
  // Whether a server domain can serve is the context builder's question, not the parser's.
  EXPECT_TRUE(parse("[server:default]\n").is_ok());
}

TEST(TlsDomainsFiles, LoadResolvesThePathAndNamesErrorsByFullPath) {
  TempDir dir;
  dir.write("tls.cfg", "[server:default]\ncertificate = c.pem\n");
  Result<TlsDomainSet> r = load_tls_domains("tls.cfg", dir.path());
  ASSERT_TRUE(r.is_ok()) << r.error().message;
  EXPECT_EQ(r.value().source, dir.path() + "/tls.cfg");
  EXPECT_EQ(r.value().domains[0].where, dir.path() + "/tls.cfg:1");
  EXPECT_EQ(r.value().domains[0].profile.certificate, dir.path() + "/c.pem");

  dir.write("bad.cfg", "[server:default]\nbogus = 1\n");
  Result<TlsDomainSet> bad = load_tls_domains(dir.path() + "/bad.cfg", "/elsewhere");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_THAT(bad.error().message, StartsWith(dir.path() + "/bad.cfg:2: unknown attribute"));
}

TEST(TlsDomainsFiles, MissingFileIsAConfigError) {
  Result<TlsDomainSet> r = load_tls_domains("/nonexistent/tls.cfg", kDir);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().code, Errc::kConfig);
  EXPECT_THAT(r.error().message,
              AllOf(HasSubstr("\"/nonexistent/tls.cfg\""), HasSubstr("No such file")));
}

TEST(TlsDomainsFiles, DirectoryIsReadFileByFileInNameOrder) {
  TempDir dir;
  dir.write("20-client.cfg", "[client:default]\nverify_cert = yes\n");
  dir.write("10-server.cfg", "[server:default]\n");
  dir.write(".hidden.swp", "garbage that would not parse\n");
  Result<TlsDomainSet> r = load_tls_domains(dir.path(), "/etc/sipring");
  ASSERT_TRUE(r.is_ok()) << r.error().message;
  EXPECT_EQ(r.value().source, dir.path());
  EXPECT_THAT(names(r.value()), ::testing::ElementsAre("server:default", "client:default"));
  EXPECT_EQ(r.value().domains[1].where, dir.path() + "/20-client.cfg:1");

  // Duplicates are found across files and both places are named.
  dir.write("30-again.cfg", "\n[server:default]\n");
  Result<TlsDomainSet> dup = load_tls_domains(dir.path(), "/etc/sipring");
  ASSERT_FALSE(dup.is_ok());
  EXPECT_EQ(dup.error().message, dir.path() +
                                     "/30-again.cfg:2: duplicate section: server:default "
                                     "is already defined at " +
                                     dir.path() + "/10-server.cfg:1; there can be only one");
  // A section does not continue into the next file.
  dir.write("30-again.cfg", "verify_cert = yes\n");
  Result<TlsDomainSet> orphan = load_tls_domains(dir.path(), "/etc/sipring");
  ASSERT_FALSE(orphan.is_ok());
  EXPECT_THAT(orphan.error().message, StartsWith(dir.path() + "/30-again.cfg:1: attribute"));
}

}  // namespace
}  // namespace sipring
