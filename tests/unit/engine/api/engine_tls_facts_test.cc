// In-process tests of the TLS facts a core may ask for: ReactorPort::tls_facts on the reactor
// thread and Engine::tls_facts from another thread, on the server and the client, and the
// peer-verified flag of frames.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/client_server.h"

namespace sipring {
namespace {

using namespace std::chrono_literals;
using namespace sipring::test;

// ---------------------------------------------------------------------------------------------
// tls_facts on the server (reactor thread and test thread) and on the client.

// The server verifies client certificates (verify_certificate, require_certificate, ca_list);
// the client presents one and verifies the server. Parameter: the client's tls_method.
class TlsFactsTest : public ClientServerTest, public ::testing::WithParamInterface<const char*> {
 protected:
  struct Asked {
    Frame frame;
    Result<TlsFacts> facts;    // port.tls_facts(frame.conn) on the reactor thread
    Result<TlsFacts> unknown;  // port.tls_facts(an id that never existed)
  };

  void SetUp() override {
    server_cert_ = issue_cert(leaf_spec("sip.example.test", {"sip.example.test"}), &pki_.ca);
    client_cert_ = issue_cert(leaf_spec("client.example.test", {"client.example.test"}), &pki_.ca);
    server_core_.set_on_frame([this](ReactorPort& port, const Frame& f) {
      if (f.kind != FrameKind::kMessage) return;
      Asked a{f, port.tls_facts(f.conn), port.tls_facts(ConnId(port.index(), 4000, 9))};
      std::lock_guard<std::mutex> l(mu_);
      asked_.push_back(std::move(a));
    });
    start_server(server_cert_, [&](Config& c) {
      c.tls.profile.verify_certificate = true;
      c.tls.profile.require_certificate = true;
      c.tls.profile.ca_list = pki_.ca_pem;
    });
    TlsProfile o = verifying();
    o.tls_method = GetParam();
    o.certificate = pki_.files.cert_and_key("client.pem", client_cert_);
    start_client(1, o);
    ASSERT_EQ(client_->send_to(dest("sip.example.test"), bytes(options_request(1))).status,
              SendStatus::kOk);
    ASSERT_TRUE(client_core_->wait_for([](const std::vector<SeenFrame>& fs) {
      return !of_kind(fs, FrameKind::kMessage).empty();
    })) << events_of(client_core_->frames());
    client_conn_ = of_kind(client_core_->frames(), FrameKind::kMessage)[0].frame.conn;
  }

  uint16_t expected_version() const {
    return std::string(GetParam()) == "TLSv1.2" ? TLS1_2_VERSION : TLS1_3_VERSION;
  }

  Asked first_asked() {
    std::lock_guard<std::mutex> l(mu_);
    EXPECT_EQ(asked_.size(), 1u);
    return asked_.at(0);
  }

  IssuedCert server_cert_, client_cert_;
  ConnId client_conn_;
  std::mutex mu_;
  std::vector<Asked> asked_;
};

// What both ends' facts must say about the server's accepted connection.
void expect_server_facts(const TlsFacts& f, const Frame& frame, uint16_t version) {
  EXPECT_EQ(f.version, version);
  EXPECT_EQ(f.version_text, version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2");
  EXPECT_EQ(frame.tls_version, version);
  EXPECT_FALSE(f.cipher.empty());
  EXPECT_EQ(f.cipher, standard_cipher_name(frame.cipher));
  EXPECT_EQ(f.cipher_bits, cipher_bits(frame.cipher));
  EXPECT_GE(f.cipher_bits, 128);
  EXPECT_EQ(f.sni, "sip.example.test");
  EXPECT_EQ(f.domain, "server:default");
  EXPECT_FALSE(f.client_role);
  EXPECT_TRUE(f.peer_presented);
  EXPECT_TRUE(f.peer_verified);
  EXPECT_FALSE(f.peer_revoked);
  EXPECT_FALSE(f.peer_expired);
  EXPECT_FALSE(f.peer_self_signed);
  EXPECT_EQ(f.verify_result, X509_V_OK);
  EXPECT_EQ(f.verify_error, "");
  ASSERT_TRUE(f.peer.has_value());
  EXPECT_EQ(f.peer->subject.cn, "client.example.test");
  EXPECT_EQ(f.peer->issuer.cn, "sipring test CA");
  ASSERT_TRUE(f.own.has_value());
  EXPECT_EQ(f.own->subject.cn, "sip.example.test");
  EXPECT_EQ(frame.peer_verified(), f.peer_verified);
}

TEST_P(TlsFactsTest, ServerFactsOnTheReactorThreadDescribeTheConnection) {
  Asked a = first_asked();
  ASSERT_TRUE(a.facts) << a.facts.error().message;
  expect_server_facts(a.facts.value(), a.frame, expected_version());
  EXPECT_TRUE(a.frame.peer_verified());
}

TEST_P(TlsFactsTest, EngineTlsFactsFromTheTestThreadAgreeWithTheReactorThread) {
  Asked a = first_asked();
  Result<TlsFacts> f = server_->tls_facts(a.frame.conn);
  ASSERT_TRUE(f) << f.error().message;
  expect_server_facts(f.value(), a.frame, expected_version());
  ASSERT_TRUE(a.facts);
  EXPECT_EQ(f->cipher, a.facts->cipher);
  ASSERT_TRUE(f->peer && a.facts->peer);
  EXPECT_EQ(f->peer->serial, a.facts->peer->serial);
  EXPECT_EQ(f->peer->pem, a.facts->peer->pem);
}

TEST_P(TlsFactsTest, ClientFactsDescribeTheServerAndOurCertificate) {
  Result<TlsFacts> f = client_->tls_facts(client_conn_);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_TRUE(f->client_role);
  EXPECT_EQ(f->version, expected_version());
  EXPECT_FALSE(f->cipher.empty());
  EXPECT_EQ(f->sni, "sip.example.test");
  EXPECT_TRUE(f->peer_presented);
  EXPECT_TRUE(f->peer_verified);
  ASSERT_TRUE(f->peer.has_value());
  EXPECT_EQ(f->peer->subject.cn, "sip.example.test");
  ASSERT_EQ(f->peer->san_dns.size(), 1u);
  EXPECT_EQ(f->peer->san_dns[0], "sip.example.test");
  ASSERT_TRUE(f->own.has_value());
  EXPECT_EQ(f->own->subject.cn, "client.example.test");
}

TEST_P(TlsFactsTest, ClientFramesSayPeerVerifiedLikeTlsFacts) {
  Result<TlsFacts> f = client_->tls_facts(client_conn_);
  ASSERT_TRUE(f) << f.error().message;
  ASSERT_TRUE(f->peer_verified);
  std::vector<SeenFrame> fs = client_core_->frames_of(client_conn_);
  ASSERT_EQ(fs.size(), 2u) << events_of(fs);
  EXPECT_EQ(fs[1].frame.kind, FrameKind::kMessage);
  EXPECT_EQ(fs[1].frame.peer_verified(), f->peer_verified);
  EXPECT_EQ(fs[0].frame.kind, FrameKind::kOpened);
  // frame.h: FrameFlag::kPeerVerified means the peer presented a certificate whose chain verified;
  // the kOpened frame is where a client core first learns it.
  EXPECT_EQ(fs[0].frame.peer_verified(), f->peer_verified)
      << "kOpened frame flags " << int(fs[0].frame.flags);
}

TEST_P(TlsFactsTest, UnknownConnectionIdIsAnError) {
  Asked a = first_asked();
  ASSERT_FALSE(a.unknown);
  EXPECT_EQ(a.unknown.error().code, Errc::kUnknownConnection);
  for (ConnId id : {ConnId(0, 4000, 9), ConnId(1, 4000, 9), ConnId(200, 1, 1), ConnId()}) {
    Result<TlsFacts> f = server_->tls_facts(id);
    ASSERT_FALSE(f) << id.raw();
    EXPECT_EQ(f.error().code, Errc::kUnknownConnection) << id.raw() << ": " << f.error().message;
  }
  // A connection that has closed is unknown too.
  stop_client();
  ASSERT_TRUE(wait_until([&] { return total(*server_).closed == 1; }));
  Result<TlsFacts> gone = server_->tls_facts(a.frame.conn);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, Errc::kUnknownConnection);
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsFactsTest, ::testing::Values("TLSv1.3", "TLSv1.2"),
                         [](const auto& info) {
                           return std::string(info.param) == "TLSv1.2" ? "Tls12" : "Tls13";
                         });

// ---------------------------------------------------------------------------------------------
// A proxy listener (sipring.proxy_protocol_listen) fed by a client engine that sends a PROXY v2
// header first (Engine::Options::client_proxy_protocol): the header names the client's own
// socket, so the frame's peer is that address, and the facts say who sent it and to where.

class ProxyFactsTest : public ClientServerTest {};

TEST_F(ProxyFactsTest, HeaderFromTheClientRoleReachesTheFacts) {
  const IssuedCert cert = issue_cert(leaf_spec("sip.example.test", {"sip.example.test"}), &pki_.ca);
  std::mutex mu;
  std::vector<Frame> frames;
  std::vector<Result<TlsFacts>> facts;
  server_core_.set_on_frame([&](ReactorPort& port, const Frame& f) {
    if (f.kind != FrameKind::kMessage) return;
    Result<TlsFacts> r = port.tls_facts(f.conn);
    std::lock_guard<std::mutex> l(mu);
    frames.push_back(f);
    facts.push_back(std::move(r));
  });
  start_server(cert, [](Config& c) {
    c.proxy_protocol_listen = c.listen;
    c.listen.clear();
    c.engine.proxy_protocol_trusted = "127.0.0.0/8,::1/128";
  });
  client_core_ = std::make_unique<CoreDriver>();
  Engine::Options o;
  o.listen = false;
  o.client = verifying();
  o.core = client_core_->factory();
  o.client_proxy_protocol = 2;
  client_ = start_engine(client_config(1), std::move(o));
  ASSERT_NE(client_, nullptr);
  ASSERT_EQ(client_->send_to(dest("sip.example.test"), bytes(options_request(1))).status,
            SendStatus::kOk);
  ASSERT_NE(wait_first_reply_conn(), ConnId()) << events_of(client_core_->frames());
  std::lock_guard<std::mutex> l(mu);
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_TRUE(facts[0].is_ok()) << facts[0].error().message;
  ASSERT_TRUE(facts[0]->proxy.has_value());
  const ProxyFacts& p = *facts[0]->proxy;
  EXPECT_EQ(p.version, 2);
  EXPECT_FALSE(p.local);
  EXPECT_EQ(p.balancer, frames[0].peer);  // the client named its own socket
  EXPECT_EQ(p.destination, loopback(port_));
  EXPECT_EQ(facts[0]->version, TLS1_3_VERSION);  // TLS ran after the header
  auto listed = server_->connections();
  ASSERT_TRUE(listed.is_ok());
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_TRUE((*listed)[0].proxy.has_value());
  EXPECT_EQ((*listed)[0].peer, frames[0].peer);
  EXPECT_EQ((*listed)[0].proxy->version, 2);
}

}  // namespace
}  // namespace sipring
