// In-process tests of RFC 5923 aliases: a connection the peer opened carries send_to() to that
// peer once the peer authenticated with a certificate naming the destination.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/error_format.h"
#include "engine/reactor/reactor.h"  // destination_owner(): which reactor a destination belongs to
#include "tests/testing/client_server.h"

namespace sipring {
namespace {

using namespace std::chrono_literals;
using namespace sipring::test;

// ---------------------------------------------------------------------------------------------
// RFC 5923 aliases: a connection the peer opened carries send_to() to that peer, but only
// once the peer authenticated with a certificate naming the destination.

class AliasTest : public ClientServerTest {
 protected:
  void SetUp() override {
    server_cert_ = issue_cert(leaf_spec("sip.example.test", {"sip.example.test"}), &pki_.ca);
    peer_cert_ = issue_cert(leaf_spec("peer.example.test", {"peer.example.test"}), &pki_.ca);
    // Verification on, certificates optional: an unauthenticated peer can still connect.
    start_server(server_cert_, [&](Config& c) {
      c.tls.profile.verify_certificate = true;
      c.tls.profile.require_certificate = false;
      c.tls.profile.ca_list = pki_.ca_pem;
    });
  }

  // A peer (the client engine) connects presenting `cert` (none if null) and sends one request;
  // returns the server's id of that connection.
  ConnId connect_peer(const IssuedCert* cert) {
    TlsProfile o = verifying();
    if (cert != nullptr) o.certificate = pki_.files.cert_and_key("peer.pem", *cert);
    start_client(1, o);
    EXPECT_EQ(client_->send_to(dest("sip.example.test"), bytes(options_request(1))).status,
              SendStatus::kOk);
    EXPECT_TRUE(client_core_->wait_for([](const std::vector<SeenFrame>& fs) {
      return !of_kind(fs, FrameKind::kMessage).empty();
    })) << events_of(client_core_->frames());
    std::vector<SeenFrame> replies = of_kind(client_core_->frames(), FrameKind::kMessage);
    if (!replies.empty()) peer_conn_ = replies[0].frame.conn;
    std::vector<SeenFrame> reqs = of_kind(server_core_.frames(), FrameKind::kMessage);
    return reqs.empty() ? ConnId() : reqs[0].frame.conn;
  }

  // A destination whose owning reactor on the server is `owner`, served by a listener that
  // never answers: if the alias were not used, the server's own connection would land there.
  Destination listening_destination(uint32_t owner, const std::string& name) {
    for (;;) {
      auto l = std::make_unique<SilentListener>();
      SockAddr a = loopback(l->port());
      if (destination_owner(a, 2) != owner) continue;
      listener_ = std::move(l);
      return Destination{a, name, ""};
    }
  }

  Status alias_on(uint32_t r, ConnId id, const Destination& d) {
    auto s = server_core_.run_on<Status>(r, [id, d](ReactorPort& p) { return p.add_alias(id, d); });
    if (!s) return make_error(Errc::kIo, "reactor %u did not run the task", r);
    return *s;
  }

  Result<ConnId> server_send_to(uint32_t r, const Destination& d, const std::string& msg) {
    auto res = server_core_.run_on<SendResult>(
        r, [d, msg](ReactorPort& p) { return p.send_to(d, bytes(msg)); });
    if (!res) return make_error(Errc::kIo, "reactor %u did not run the task", r);
    if (!res->ok()) return make_error(Errc::kIo, "send_to: %s", send_status_name(res->status));
    return res->conn;
  }

  // The requests the peer received on its own (client) connection, by Call-ID, in order.
  std::vector<std::string> received_by_peer(size_t n) {
    std::vector<std::string> ids;
    client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
      ids.clear();
      for (const SeenFrame& f : of_kind(fs, FrameKind::kMessage)) {
        if (f.frame.conn == peer_conn_ && f.text.rfind("OPTIONS ", 0) == 0) {
          ids.push_back(call_id_of(f.text));
        }
      }
      return ids.size() >= n;
    });
    return ids;
  }

  IssuedCert server_cert_, peer_cert_;
  ConnId peer_conn_;
  std::unique_ptr<SilentListener> listener_;
};

TEST_F(AliasTest, VerifiedPeersConnectionCarriesSendToItsNameOnTheSameReactor) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Destination d = listening_destination(id.reactor(), "peer.example.test");
  Status s = alias_on(id.reactor(), id, d);
  ASSERT_TRUE(s) << s.error().message;
  Result<ConnId> sent = server_send_to(id.reactor(), d, options_request(7));
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(sent.value(), id);
  EXPECT_EQ(received_by_peer(1), std::vector<std::string>{"call-7@test"});
  EXPECT_EQ(total(*server_).connected, 0u) << "the server opened a connection of its own";
  EXPECT_EQ(listener_->accepted(), 0);
}

TEST_F(AliasTest, AliasToAnotherReactorsConnectionKeepsMessagesInOrder) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  uint32_t other = 1 - id.reactor();
  Destination d = listening_destination(other, "peer.example.test");
  Status s = alias_on(id.reactor(), id, d);
  ASSERT_TRUE(s) << s.error().message;
  // The owner learns of the alias through its inbox; a send_to from the owner's own thread
  // after that runs behind it.
  ASSERT_TRUE(server_send_to(other, d, options_request(10)));
  ASSERT_EQ(server_->send_to(d, bytes(options_request(11))).status, SendStatus::kOk);
  Result<ConnId> third = server_send_to(other, d, options_request(12));
  ASSERT_TRUE(third) << third.error().message;
  EXPECT_EQ(third.value(), id);
  EXPECT_EQ(received_by_peer(3),
            (std::vector<std::string>{"call-10@test", "call-11@test", "call-12@test"}));
  EXPECT_EQ(total(*server_).connected, 0u);
  EXPECT_EQ(listener_->accepted(), 0);
}

TEST_F(AliasTest, EngineAddAliasWorksFromAnyThread) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Destination d = listening_destination(1 - id.reactor(), "peer.example.test");
  Status s = server_->add_alias(id, d);
  ASSERT_TRUE(s) << s.error().message;
  // Engine::add_alias returned once the connection's reactor queued it for the owner; the
  // owner handles its inbox in order, so this send finds the alias.
  ASSERT_EQ(server_->send_to(d, bytes(options_request(20))).status, SendStatus::kOk);
  EXPECT_EQ(received_by_peer(1), std::vector<std::string>{"call-20@test"});
  EXPECT_EQ(total(*server_).connected, 0u);
}

// Regression: Engine:: calls made on the connection's own reactor thread (a core using the
// engine instead of its port) waited 5 s for a control call that thread could never run.
TEST_F(AliasTest, EngineCallsOnTheConnectionsOwnReactorAnswerAtOnce) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Destination d = listening_destination(id.reactor(), "peer.example.test");
  auto took = server_core_.run_on<std::string>(id.reactor(), [this, id, d](ReactorPort&) {
    auto t0 = std::chrono::steady_clock::now();
    Result<TlsFacts> f = server_->tls_facts(id);
    Status s = server_->add_alias(id, d);
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    if (!f) return f.error().message;
    if (!s) return s.error().message;
    return ms < 1000 ? std::string("ok") : "took " + std::to_string(ms) + " ms";
  });
  ASSERT_TRUE(took.has_value());
  EXPECT_EQ(*took, "ok");
}

TEST_F(AliasTest, PeerWithoutAVerifiedCertificateIsRefused) {
  ConnId id = connect_peer(nullptr);
  ASSERT_TRUE(id.valid());
  Status s = alias_on(id.reactor(), id, listening_destination(id.reactor(), "peer.example.test"));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::kInvalidArgument);
  EXPECT_NE(s.error().message.find("did not present a certificate that verified"),
            std::string::npos)
      << s.error().message;
}

TEST_F(AliasTest, CertificateThatDoesNotNameTheDestinationIsRefused) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Status s = alias_on(id.reactor(), id, listening_destination(id.reactor(), "other.example.test"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("does not name other.example.test"), std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("peer.example.test"), std::string::npos)
      << "the error lists the names the certificate has: " << s.error().message;
}

TEST_F(AliasTest, IpDestinationNeedsAnIpSan) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Status s = alias_on(id.reactor(), id, listening_destination(id.reactor(), ""));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("does not name 127.0.0.1"), std::string::npos)
      << s.error().message;
}

TEST_F(AliasTest, IpDestinationMatchingAnIpSanIsAccepted) {
  CertSpec spec = leaf_spec("peer.example.test", {"peer.example.test"});
  spec.san_ip = {{127, 0, 0, 1}};
  IssuedCert with_ip = issue_cert(spec, &pki_.ca);
  ConnId id = connect_peer(&with_ip);
  ASSERT_TRUE(id.valid());
  Destination d = listening_destination(id.reactor(), "");
  Status s = alias_on(id.reactor(), id, d);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_TRUE(server_send_to(id.reactor(), d, options_request(30)));
  EXPECT_EQ(received_by_peer(1), std::vector<std::string>{"call-30@test"});
}

TEST_F(AliasTest, UnknownAndWrongReactorIdsAreRefused) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Destination d = listening_destination(id.reactor(), "peer.example.test");
  Status wrong = alias_on(1 - id.reactor(), id, d);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("call add_alias on its reactor"), std::string::npos)
      << wrong.error().message;
  Status stale = alias_on(id.reactor(), ConnId(id.reactor(), id.slot(), id.generation() + 1), d);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::kUnknownConnection);
}

TEST_F(AliasTest, ConnectionSipringOpenedCannotBeAnAlias) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Destination d{loopback(free_port()), "sip.example.test", ""};
  auto s = client_core_->run_on<Status>(
      peer_conn_.reactor(), [this, d](ReactorPort& p) { return p.add_alias(peer_conn_, d); });
  ASSERT_TRUE(s.has_value());
  ASSERT_FALSE(*s);
  EXPECT_NE(s->error().message.find("was opened by sipring"), std::string::npos)
      << s->error().message;
}

TEST_F(AliasTest, DestinationWithALiveConnectionKeepsIt) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Destination d = listening_destination(id.reactor(), "peer.example.test");
  // The server's own connection there never finishes its handshake (the listener is silent),
  // so it stays the destination's connection, with the message queued on it.
  Result<ConnId> own = server_send_to(id.reactor(), d, options_request(50));
  ASSERT_TRUE(own) << own.error().message;
  ASSERT_NE(own.value(), id);
  ASSERT_TRUE(wait_until([&] { return listener_->accepted() == 1; }));
  ASSERT_TRUE(alias_on(id.reactor(), id, d));
  // Switching connections would let message 51 overtake 50: it stays on the first one.
  Result<ConnId> again = server_send_to(id.reactor(), d, options_request(51));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again.value(), own.value());
}

TEST_F(AliasTest, AliasEndsWhenItsConnectionCloses) {
  ConnId id = connect_peer(&peer_cert_);
  ASSERT_TRUE(id.valid());
  Destination d = listening_destination(1 - id.reactor(), "peer.example.test");
  ASSERT_TRUE(server_->add_alias(id, d));
  stop_client();
  ASSERT_TRUE(server_core_.wait_for([&](const std::vector<SeenFrame>& fs) {
    return count_kind(fs, id, FrameKind::kClosed) == 1;
  }));
  // The owner notices the alias is gone and opens a connection of its own.
  Result<ConnId> sent = server_send_to(1 - id.reactor(), d, options_request(40));
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_NE(sent.value(), id);
  EXPECT_EQ(sent->reactor(), 1 - id.reactor());
  EXPECT_TRUE(wait_until([&] { return listener_->accepted() == 1; }));
  EXPECT_EQ(total(*server_).connected, 1u);
}

}  // namespace
}  // namespace sipring
