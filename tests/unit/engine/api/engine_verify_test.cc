// In-process tests of certificate verification both ways: RFC 5922 name checks of the
// server's certificate in the client role (SAN, CN, wildcards, IP literals, verify_hostname,
// session resumption per name), and the server's verification of client certificates
// (required, revoked by a CRL, optional, optional_no_ca).
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/client_server.h"

namespace sipring {
namespace {

using namespace std::chrono_literals;
using namespace sipring::test;

// ---------------------------------------------------------------------------------------------
// RFC 5922 name checks of the server's certificate (client role).

class ClientNameCheckTest : public ClientServerTest {
 protected:
  void serve(const CertSpec& spec, const IssuedCert* issuer = nullptr) {
    server_cert_ = issue_cert(spec, issuer != nullptr ? issuer : &pki_.ca);
    start_server(server_cert_);
  }
  // The first event of a connection that send_to(server_name) opens from a fresh client that
  // verifies against the test CA: "opened" or "closed:<reason>".
  std::string outcome(const std::string& server_name, const std::string& verify_hostname = "") {
    TlsProfile o = verifying();
    o.verify_hostname = verify_hostname;
    start_client(1, o);
    Result<ConnId> id = port_send_to(0, dest(server_name), options_request(1));
    if (!id) return "send_to: " + id.error().message;
    std::string e = first_event(*id);
    if (e == "opened") {
      // It is usable too: the request went out and the reply came back.
      EXPECT_TRUE(wait_replies(*id, 1)) << events_of(client_core_->frames());
    } else if (e == "closed:handshake-failed") {
      EXPECT_EQ(total(*client_).handshake_failures, 1u);
    }
    return e;
  }
  IssuedCert server_cert_;
};

TEST_F(ClientNameCheckTest, DnsSanMatchingTheServerNameOpens) {
  serve(leaf_spec("server", {"sip.example.test"}));
  EXPECT_EQ(outcome("sip.example.test"), "opened");
  EXPECT_EQ(outcome("SIP.Example.Test."), "opened");  // case and one trailing dot do not matter
}

TEST_F(ClientNameCheckTest, DnsSanNotMatchingTheServerNameFailsTheHandshake) {
  serve(leaf_spec("server", {"sip.example.test"}));
  EXPECT_EQ(outcome("other.example.test"), "closed:handshake-failed");
  EXPECT_EQ(outcome("example.test"), "closed:handshake-failed");  // no suffix matching
}

TEST_F(ClientNameCheckTest, VerifyHostnameNoSkipsTheNameCheck) {
  serve(leaf_spec("server", {"sip.example.test"}));
  EXPECT_EQ(outcome("other.example.test", "no"), "opened");
}

TEST_F(ClientNameCheckTest, VerifyHostnameNoStillVerifiesTheChain) {
  IssuedCert rogue = issue_cert(ca_spec("rogue CA"));
  serve(leaf_spec("server", {"sip.example.test"}), &rogue);
  EXPECT_EQ(outcome("sip.example.test", "no"), "closed:handshake-failed");
  EXPECT_EQ(outcome("sip.example.test"), "closed:handshake-failed");
}

TEST_F(ClientNameCheckTest, VerifyHostnameNameIsCheckedInsteadOfTheDestinations) {
  serve(leaf_spec("server", {"sip.example.test"}));
  EXPECT_EQ(outcome("other.example.test", "sip.example.test"), "opened");
  EXPECT_EQ(outcome("sip.example.test", "other.example.test"), "closed:handshake-failed");
}

TEST_F(ClientNameCheckTest, SipUriSansAreUsedInsteadOfDnsSans) {
  serve(leaf_spec("server", {"other.example.test"}, {"sip:sip.example.test"}));
  EXPECT_EQ(outcome("sip.example.test"), "opened");
  EXPECT_EQ(outcome("other.example.test"), "closed:handshake-failed");
}

TEST_F(ClientNameCheckTest, CommonNameCountsOnlyWithoutSubjectAltName) {
  serve(leaf_spec("sip.example.test"));
  EXPECT_EQ(outcome("sip.example.test"), "opened");
}

TEST_F(ClientNameCheckTest, CommonNameIsIgnoredWhenThereIsASubjectAltName) {
  serve(leaf_spec("sip.example.test", {"other.example.test"}));
  EXPECT_EQ(outcome("sip.example.test"), "closed:handshake-failed");
}

TEST_F(ClientNameCheckTest, WildcardDnsSanNeverMatches) {
  serve(leaf_spec("server", {"*.example.test"}));
  EXPECT_EQ(outcome("sip.example.test"), "closed:handshake-failed");
}

// Session tickets are kept per address and name: a session made with one name verified must not let
// a connection to the same address for another name skip its name check by resuming.
TEST_F(ClientNameCheckTest, ASessionVerifiedForOneNameIsNotResumedForAnother) {
  serve(leaf_spec("server", {"sip.example.test"}));
  start_client(1, verifying());
  Result<ConnId> a = port_send_to(0, dest("sip.example.test"), options_request(1));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_EQ(first_event(*a), "opened");
  ASSERT_TRUE(wait_replies(*a, 1));  // the ticket comes with the server's first write
  Result<ConnId> b = port_send_to(0, dest("other.example.test"), options_request(2));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_NE(b.value(), a.value());
  EXPECT_EQ(first_event(*b), "closed:handshake-failed");
  EXPECT_EQ(total(*server_).handshakes_resumed, 0u);
}

// The other side of the same rule: the same destination and name resumes, and the resumed
// connection still says its peer was verified.
TEST_F(ClientNameCheckTest, ASessionIsResumedForTheSameName) {
  serve(leaf_spec("server", {"sip.example.test"}));
  start_client(1, verifying());
  Result<ConnId> a = port_send_to(0, dest("sip.example.test"), options_request(1));
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_EQ(first_event(*a), "opened");
  ASSERT_TRUE(wait_replies(*a, 1));
  ConnId first = a.value();
  client_core_->run_on<bool>(0, [first](ReactorPort& p) {
    p.close(first);
    return true;
  });
  ASSERT_TRUE(client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
    return count_kind(fs, first, FrameKind::kClosed) == 1;
  })) << events_of(client_core_->frames());
  Result<ConnId> b = port_send_to(0, dest("sip.example.test"), options_request(2));
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_NE(b.value(), first);
  EXPECT_EQ(first_event(*b), "opened");
  ASSERT_TRUE(wait_replies(*b, 1));
  EXPECT_EQ(total(*server_).handshakes_resumed, 1u);
  for (const SeenFrame& f : client_core_->frames_of(b.value())) {
    if (f.frame.kind != FrameKind::kOpened) continue;
    EXPECT_TRUE(f.frame.resumed());
    EXPECT_TRUE(f.frame.peer_verified());
  }
}

TEST_F(ClientNameCheckTest, IpLiteralDestinationMatchesAnIpSan) {
  serve(leaf_spec("server", {"sip.example.test"}, {}, {"127.0.0.1"}));
  EXPECT_EQ(outcome(""), "opened");  // no server name: the address is the name
}

TEST_F(ClientNameCheckTest, IpLiteralDestinationIgnoresDnsSansAndOtherIps) {
  serve(leaf_spec("127.0.0.1", {"127.0.0.1"}, {}, {"127.0.0.2"}));
  EXPECT_EQ(outcome(""), "closed:handshake-failed");
}

// ---------------------------------------------------------------------------------------------
// The server's verification of client certificates.

class ServerVerificationTest : public ClientServerTest,
                               public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    server_cert_ = issue_cert(leaf_spec("sip.example.test", {"sip.example.test"}), &pki_.ca);
  }
  void serve(const std::string& verify_client, const std::string& crl = "") {
    start_server(server_cert_, [&](Config& c) {
      if (verify_client.empty()) {
        c.tls.profile.verify_certificate = true;
        c.tls.profile.require_certificate = true;
      } else {
        c.tls.profile.verify_client = verify_client;
      }
      c.tls.profile.ca_list = pki_.ca_pem;
      c.tls.profile.crl = crl;
    });
  }
  // Sends one request from a client presenting `cert` (none if null); returns its connection's
  // events once it got the reply or closed.
  std::vector<SeenFrame> attempt(const IssuedCert* cert) {
    TlsProfile o = verifying();
    o.tls_method = GetParam();
    if (cert != nullptr) {
      o.certificate =
          pki_.files.cert_and_key("client-" + std::to_string(clients_++) + ".pem", *cert);
    }
    start_client(1, o);
    EXPECT_EQ(client_->send_to(dest("sip.example.test"), bytes(options_request(1))).status,
              SendStatus::kOk);
    std::vector<SeenFrame> out;
    client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
      out = fs;
      for (const SeenFrame& f : fs) {
        if (f.frame.kind != FrameKind::kOpened) return true;
      }
      return false;
    });
    return out;
  }
  // The server refused the client: its handshake failed there, no request reached the core,
  // and the client's connection closed without a reply.
  void expect_refused(const std::vector<SeenFrame>& fs) {
    ASSERT_FALSE(fs.empty()) << "the client heard nothing";
    EXPECT_TRUE(of_kind(fs, FrameKind::kMessage).empty()) << events_of(fs);
    EXPECT_EQ(of_kind(fs, FrameKind::kClosed).size(), 1u) << events_of(fs);
    EXPECT_TRUE(wait_until([&] { return total(*server_).handshake_failures == 1; }))
        << "server handshake_failures " << total(*server_).handshake_failures;
    ReactorStats s = total(*server_);
    EXPECT_EQ(s.accepted, 1u);
    EXPECT_EQ(s.messages_in, 0u);
    EXPECT_TRUE(of_kind(server_core_.frames(), FrameKind::kMessage).empty());
  }
  // The request reached the server core: its frame and the connection's facts.
  std::pair<Frame, TlsFacts> accepted_facts(const std::vector<SeenFrame>& fs) {
    EXPECT_EQ(of_kind(fs, FrameKind::kMessage).size(), 1u) << events_of(fs);
    std::vector<SeenFrame> req = of_kind(server_core_.frames(), FrameKind::kMessage);
    if (req.size() != 1u) {
      ADD_FAILURE() << "server saw " << req.size() << " requests";
      return {};
    }
    Result<TlsFacts> f = server_->tls_facts(req[0].frame.conn);
    EXPECT_TRUE(f) << f.error().message;
    return {req[0].frame, f ? f.value() : TlsFacts{}};
  }

  IssuedCert server_cert_;
  int clients_ = 0;
};

TEST_P(ServerVerificationTest, ClientWithAValidCertificateIsVerified) {
  serve("");
  IssuedCert good = issue_cert(leaf_spec("client.example.test"), &pki_.ca);
  auto [frame, facts] = accepted_facts(attempt(&good));
  EXPECT_TRUE(frame.peer_verified());
  EXPECT_TRUE(facts.peer_presented);
  EXPECT_TRUE(facts.peer_verified);
  EXPECT_EQ(facts.verify_result, X509_V_OK);
  EXPECT_EQ(total(*server_).handshake_failures, 0u);
}

TEST_P(ServerVerificationTest, ClientWithoutACertificateIsRefusedWhenRequired) {
  serve("");
  expect_refused(attempt(nullptr));
}

TEST_P(ServerVerificationTest, ClientFromAnUntrustedCaIsRefused) {
  serve("");
  IssuedCert rogue_ca = issue_cert(ca_spec("rogue CA"));
  IssuedCert rogue = issue_cert(leaf_spec("client.example.test"), &rogue_ca);
  expect_refused(attempt(&rogue));
}

TEST_P(ServerVerificationTest, RevokedClientCertificateIsRefusedByTheCrl) {
  IssuedCert revoked = issue_cert(leaf_spec("revoked.example.test"), &pki_.ca);
  serve("", pki_.files.crl("crl.pem", pki_.ca, {&revoked}));
  expect_refused(attempt(&revoked));
}

TEST_P(ServerVerificationTest, UnrevokedClientCertificatePassesTheCrlCheck) {
  IssuedCert revoked = issue_cert(leaf_spec("revoked.example.test"), &pki_.ca);
  IssuedCert good = issue_cert(leaf_spec("client.example.test"), &pki_.ca);
  serve("", pki_.files.crl("crl.pem", pki_.ca, {&revoked}));
  auto [frame, facts] = accepted_facts(attempt(&good));
  EXPECT_TRUE(frame.peer_verified());
  EXPECT_TRUE(facts.peer_verified);
  EXPECT_FALSE(facts.peer_revoked);
}

TEST_P(ServerVerificationTest, OptionalAcceptsAClientWithoutACertificate) {
  serve("optional");
  auto [frame, facts] = accepted_facts(attempt(nullptr));
  EXPECT_FALSE(frame.peer_verified());
  EXPECT_FALSE(facts.peer_presented);
  EXPECT_FALSE(facts.peer_verified);
  EXPECT_FALSE(facts.peer.has_value());
}

TEST_P(ServerVerificationTest, OptionalNoCaAcceptsAnUntrustedCertificateAndSaysWhy) {
  serve("optional_no_ca");
  IssuedCert rogue_ca = issue_cert(ca_spec("rogue CA"));
  IssuedCert rogue = issue_cert(leaf_spec("client.example.test"), &rogue_ca);
  auto [frame, facts] = accepted_facts(attempt(&rogue));
  EXPECT_FALSE(frame.peer_verified());
  EXPECT_TRUE(facts.peer_presented);
  EXPECT_FALSE(facts.peer_verified);
  EXPECT_NE(facts.verify_result, X509_V_OK);
  EXPECT_FALSE(facts.verify_error.empty());
  ASSERT_TRUE(facts.peer.has_value());
  EXPECT_EQ(facts.peer->issuer.cn, "rogue CA");
  EXPECT_EQ(total(*server_).handshake_failures, 0u);
}

TEST_P(ServerVerificationTest, OptionalNoCaAcceptsARevokedCertificateAndMarksIt) {
  IssuedCert revoked = issue_cert(leaf_spec("revoked.example.test"), &pki_.ca);
  serve("optional_no_ca", pki_.files.crl("crl.pem", pki_.ca, {&revoked}));
  auto [frame, facts] = accepted_facts(attempt(&revoked));
  EXPECT_FALSE(frame.peer_verified());
  EXPECT_TRUE(facts.peer_presented);
  EXPECT_FALSE(facts.peer_verified);
  EXPECT_TRUE(facts.peer_revoked);
  EXPECT_EQ(facts.verify_result, X509_V_ERR_CERT_REVOKED);
  EXPECT_FALSE(facts.verify_error.empty());
}

INSTANTIATE_TEST_SUITE_P(Versions, ServerVerificationTest, ::testing::Values("TLSv1.3", "TLSv1.2"),
                         [](const auto& info) {
                           return std::string(info.param) == "TLSv1.2" ? "Tls12" : "Tls13";
                         });

}  // namespace
}  // namespace sipring
