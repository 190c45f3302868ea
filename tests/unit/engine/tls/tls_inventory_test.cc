// tls_files, tls_param_files, certificates_in_use and days_left (engine/tls/tls_inventory.h):
// the files the automatic reload watches and what tls.certs shows.
#include "engine/tls/tls_inventory.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "crypto/ticket_keys.h"
#include "engine/tls/tls_contexts.h"
#include "tests/testing/pki_files.h"

namespace sipring {
namespace {

TlsDomain domain(TlsDomain::Role role, TlsProfile p) {
  TlsDomain d;
  d.role = role;
  d.profile = std::move(p);
  return d;
}

// "what path [(directory)] @domain" for each file, to compare whole lists.
std::vector<std::string> described(const std::vector<TlsFileUse>& files) {
  std::vector<std::string> out;
  for (const TlsFileUse& f : files) {
    out.push_back(f.what + " " + f.path + (f.directory ? " (directory)" : "") + " @" + f.domain);
  }
  return out;
}

TEST(TlsFiles, ListsEveryFileOnceWithItsDomain) {
  TlsDomainSet set;
  set.source = "modparams";
  TlsProfile server;
  server.certificate = "/etc/sip/cert.pem";
  server.private_key = "/etc/sip/key.pem";
  server.ca_list = "/etc/sip/ca.pem";
  server.ca_path = "/etc/sip/ca.d";
  server.crl = "/etc/sip/crl.pem";
  server.ocsp_staple_file = "/etc/sip/staple.der";
  TlsProfile client;
  client.ca_list = "/etc/sip/ca.pem";  // shared: listed once
  set.domains = {domain(TlsDomain::Role::kServer, server),
                 domain(TlsDomain::Role::kClient, client)};
  EXPECT_EQ(described(tls_files(set)), (std::vector<std::string>{
                                           "certificate /etc/sip/cert.pem @server:default",
                                           "private_key /etc/sip/key.pem @server:default",
                                           "ca_list /etc/sip/ca.pem @server:default",
                                           "ca_path /etc/sip/ca.d (directory) @server:default",
                                           "crl /etc/sip/crl.pem @server:default",
                                           "ocsp_staple_file /etc/sip/staple.der @server:default",
                                       }));
}

TEST(TlsFiles, NamesTheTlsCfg) {
  TlsDomainSet set;
  set.source = "/etc/sip/tls.cfg";
  TlsProfile server;
  server.certificate = "/etc/sip/cert.pem";  // key in the same file: nothing more
  set.domains = {domain(TlsDomain::Role::kServer, server)};
  EXPECT_EQ(described(tls_files(set)),
            (std::vector<std::string>{"config /etc/sip/tls.cfg @",
                                      "certificate /etc/sip/cert.pem @server:default"}));
}

TEST(TlsParamFiles, NamesTheTicketKeyFileWhenSet) {
  TlsParams params;
  EXPECT_TRUE(tls_param_files(params).empty());
  params.ticket_key_file = "/run/sipring/tls-ticket-keys";
  EXPECT_EQ(described(tls_param_files(params)),
            std::vector<std::string>{"ticket_key_file /run/sipring/tls-ticket-keys @"});
}

TEST(DaysLeft, RoundsDownAndGoesNegativeOnceExpired) {
  EXPECT_EQ(days_left(1000, 1000), 0);
  EXPECT_EQ(days_left(1000 + 86399, 1000), 0);
  EXPECT_EQ(days_left(1000 + 86400, 1000), 1);
  EXPECT_EQ(days_left(1000 + 14 * 86400 + 5, 1000), 14);
  EXPECT_EQ(days_left(999, 1000), -1);
  EXPECT_EQ(days_left(1000 - 86400, 1000), -1);
  EXPECT_EQ(days_left(1000 - 86401, 1000), -2);
}

TEST(CertificatesInUse, ShowsEachDomainsCertificateAsLoaded) {
  test::PkiFiles pki;
  test::CertSpec spec = test::leaf_spec("sip.example.com", {"sip.example.com"}, {}, {"127.0.0.1"});
  const int64_t now = static_cast<int64_t>(time(nullptr));
  spec.not_after = now + 5 * 86400 + 60;
  const test::IssuedCert cert = test::issue_cert(spec);
  TlsParams params;
  params.profile.certificate = pki.cert_and_key("server.pem", cert);
  TicketKeys tickets;
  auto set = TlsContextSet::build(params, "/", &tickets, 1);
  ASSERT_TRUE(set) << set.error().message;
  const std::vector<TlsCertificate> certs = certificates_in_use(*set.value(), now);
  // The module parameters give the client domain the same certificate (a client certificate).
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(certs[0].domain, "server:default");
  EXPECT_EQ(certs[1].domain, "client:default");
  EXPECT_EQ(certs[1].facts.serial, certs[0].facts.serial);
  EXPECT_EQ(certs[0].file, params.profile.certificate);
  EXPECT_EQ(certs[0].facts.subject.cn, "sip.example.com");
  EXPECT_EQ(certs[0].facts.san_dns, std::vector<std::string>{"sip.example.com"});
  EXPECT_EQ(certs[0].facts.san_ip, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(certs[0].facts.key_type, "ECDSA P-256");
  EXPECT_EQ(certs[0].facts.not_after, spec.not_after);
  EXPECT_EQ(certs[0].days_left, 5);
}

TEST(CertificatesInUse, SkipsDomainsWithoutCertificate) {
  test::PkiFiles pki;
  const test::IssuedCert cert = test::issue_cert(test::leaf_spec("localhost"));
  const std::string cert_file = pki.cert_and_key("server.pem", cert);
  TlsParams params;
  params.config = std::filesystem::path(cert_file).parent_path() / "tls.cfg";
  FILE* f = fopen(params.config.c_str(), "w");
  ASSERT_NE(f, nullptr);
  fprintf(f, "[server:default]\ncertificate = %s\n", cert_file.c_str());
  fclose(f);
  TicketKeys tickets;
  auto set = TlsContextSet::build(params, "/", &tickets, 1);
  std::remove(params.config.c_str());
  ASSERT_TRUE(set) << set.error().message;
  const std::vector<TlsCertificate> certs = certificates_in_use(*set.value(), 0);
  ASSERT_EQ(certs.size(), 1u) << "the built-in client:default has no certificate";
  EXPECT_EQ(certs[0].domain, "server:default");
  const std::vector<TlsFileUse> files = tls_files(set.value()->domains());
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].path, params.config);
  EXPECT_EQ(files[0].what, "config");
}

}  // namespace
}  // namespace sipring
