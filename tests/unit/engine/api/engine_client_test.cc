// In-process tests of sipring's client role: send_to() from an inline core and from other
// threads (connection opening, reuse, ordering, the owning reactor), and the clear-text queue
// limits (tls.con_ct_wq_max, tls.ct_wq_max) and the handshake timeout against a server that
// never answers. Name checks: engine_verify_test.cc; TLS facts: engine_tls_facts_test.cc;
// RFC 5923 aliases: engine_alias_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "engine/reactor/reactor.h"  // destination_owner(): which reactor a destination belongs to
#include "tests/testing/client_server.h"

namespace sipring {
namespace {

using namespace std::chrono_literals;
using namespace sipring::test;

// ---------------------------------------------------------------------------------------------
// send_to from an inline core.

class ClientSendToTest : public ClientServerTest {
 protected:
  void SetUp() override {
    server_cert_ = issue_cert(leaf_spec("sip.example.test", {"sip.example.test"}), &pki_.ca);
    start_server(server_cert_);
  }
  IssuedCert server_cert_;
};

// Regression: sipring-load (a pure client) took, or warned it could not take, the default
// control socket of the sipring server next to it. A client engine opens one only when asked
// for a path of its own.
TEST_F(ClientSendToTest, ClientEngineOpensNoControlSocketUnlessItsConfigNamesOne) {
  start_client(1, verifying(), [](Config& c) { c.ctl.socket = CtlParams{}.socket; });
  EXPECT_EQ(client_->control_socket(), "");
  const std::string own = "/tmp/sipring-client-ctl-" + std::to_string(getpid()) + ".sock";
  start_client(1, verifying(), [&](Config& c) { c.ctl.socket = "unix:" + own; });
  EXPECT_EQ(client_->control_socket(), own);
  stop_client();
  unlink(own.c_str());
}

TEST_F(ClientSendToTest, FirstSendToOpensTheConnectionAndTheReplyArrivesOnIt) {
  start_client(1, verifying());
  Result<ConnId> id = port_send_to(0, dest("sip.example.test"), options_request(1));
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(id->valid());
  EXPECT_EQ(id->reactor(), 0u);
  ASSERT_TRUE(wait_replies(*id, 1)) << events_of(client_core_->frames());

  std::vector<SeenFrame> fs = client_core_->frames_of(*id);
  ASSERT_EQ(fs.size(), 2u) << events_of(fs);
  EXPECT_EQ(fs[0].frame.kind, FrameKind::kOpened);
  EXPECT_TRUE(fs[0].frame.client_role());
  EXPECT_EQ(fs[0].frame.peer, loopback(port_));
  EXPECT_EQ(fs[1].frame.kind, FrameKind::kMessage);
  EXPECT_TRUE(fs[1].frame.client_role());
  EXPECT_EQ(fs[1].text.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << fs[1].text;
  EXPECT_EQ(call_id_of(fs[1].text), "call-1@test");

  EXPECT_EQ(total(*client_).connected, 1u);
  ReactorStats ss = total(*server_);
  EXPECT_EQ(ss.accepted, 1u);
  EXPECT_EQ(ss.messages_in, 1u);
  std::vector<SeenFrame> requests = of_kind(server_core_.frames(), FrameKind::kMessage);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].text, options_request(1));
}

TEST_F(ClientSendToTest, SendToTheSameDestinationReusesTheConnection) {
  start_client(1, verifying());
  Result<ConnId> first = port_send_to(0, dest("sip.example.test"), options_request(1));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(wait_replies(*first, 1)) << events_of(client_core_->frames());
  // The connection is open now (kOpened came first): the next message takes it too.
  Result<ConnId> second = port_send_to(0, dest("sip.example.test"), options_request(2));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second.value(), first.value());
  ASSERT_TRUE(wait_replies(*first, 2)) << events_of(client_core_->frames());

  std::vector<SeenFrame> fs = client_core_->frames_of(*first);
  ASSERT_EQ(fs.size(), 3u) << events_of(fs);
  EXPECT_EQ(fs[0].frame.kind, FrameKind::kOpened);
  EXPECT_EQ(call_id_of(fs[1].text), "call-1@test");
  EXPECT_EQ(call_id_of(fs[2].text), "call-2@test");
  EXPECT_EQ(count_kind(client_core_->frames(), *first, FrameKind::kOpened), 1u);

  EXPECT_EQ(total(*client_).connected, 1u);
  EXPECT_EQ(total(*server_).accepted, 1u);
  std::vector<SeenFrame> requests = of_kind(server_core_.frames(), FrameKind::kMessage);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].frame.conn, requests[1].frame.conn);  // one connection on the server
  EXPECT_EQ(call_id_of(requests[0].text), "call-1@test");
  EXPECT_EQ(call_id_of(requests[1].text), "call-2@test");
}

TEST_F(ClientSendToTest, MessagesQueuedBeforeTheHandshakeAreDeliveredInOrder) {
  start_client(1, verifying());
  const Destination d = dest("sip.example.test");
  struct Sent {
    std::vector<SendResult> ids;
    uint16_t version_while_queueing = 0xffff;
  };
  // Five sends in one core run: the first opens the connection, none can have been sent yet.
  auto sent = client_core_->run_on<Sent>(0, [d](ReactorPort& p) {
    Sent s;
    for (int i = 1; i <= 5; i++) s.ids.push_back(p.send_to(d, bytes(options_request(i))));
    if (s.ids[0].ok()) {
      auto facts = p.tls_facts(s.ids[0].conn);
      if (facts) s.version_while_queueing = facts->version;
    }
    return s;
  });
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->ids.size(), 5u);
  ASSERT_TRUE(sent->ids[0].ok()) << send_status_name(sent->ids[0].status);
  const ConnId id = sent->ids[0].conn;
  for (auto& r : sent->ids) {
    ASSERT_TRUE(r.ok()) << send_status_name(r.status);
    EXPECT_EQ(r.conn, id);
  }
  EXPECT_EQ(sent->version_while_queueing, 0u) << "the handshake had not even started";

  ASSERT_TRUE(wait_replies(id, 5)) << events_of(client_core_->frames());
  std::vector<SeenFrame> fs = client_core_->frames_of(id);
  ASSERT_EQ(fs.size(), 6u) << events_of(fs);
  EXPECT_EQ(fs[0].frame.kind, FrameKind::kOpened);
  for (int i = 1; i <= 5; i++) {
    EXPECT_EQ(call_id_of(fs[i].text), "call-" + std::to_string(i) + "@test") << i;
  }
  std::vector<SeenFrame> requests = of_kind(server_core_.frames(), FrameKind::kMessage);
  ASSERT_EQ(requests.size(), 5u);
  for (int i = 0; i < 5; i++) {
    EXPECT_EQ(requests[i].text, options_request(i + 1)) << i;
    EXPECT_EQ(requests[i].frame.conn, requests[0].frame.conn);
  }
  EXPECT_EQ(total(*server_).accepted, 1u);
}

// ---------------------------------------------------------------------------------------------
// send_to from other threads and other reactors.

TEST_F(ClientSendToTest, EngineSendToFromATestThreadIsDeliveredByTheOwningReactor) {
  start_client(2, verifying());
  const Destination d = dest("sip.example.test");
  const uint32_t owner = destination_owner(d.addr, 2);
  ASSERT_EQ(client_->send_to(d, bytes(options_request(1))).status, SendStatus::kOk);

  const ConnId id = wait_first_reply_conn();
  ASSERT_TRUE(id.valid()) << events_of(client_core_->frames());
  std::vector<SeenFrame> fs = client_core_->frames_of(id);
  ASSERT_EQ(fs.size(), 2u) << events_of(fs);
  EXPECT_EQ(fs[0].frame.kind, FrameKind::kOpened);
  EXPECT_EQ(fs[0].reactor, owner);
  EXPECT_EQ(fs[0].frame.reactor, owner);
  EXPECT_EQ(id.reactor(), owner);
  EXPECT_EQ(call_id_of(fs[1].text), "call-1@test");

  // A second message from the test thread takes the same connection.
  ASSERT_EQ(client_->send_to(d, bytes(options_request(2))).status, SendStatus::kOk);
  ASSERT_TRUE(wait_replies(id, 2)) << events_of(client_core_->frames());
  fs = client_core_->frames_of(id);
  ASSERT_EQ(fs.size(), 3u) << events_of(fs);
  EXPECT_EQ(call_id_of(fs[2].text), "call-2@test");
  EXPECT_EQ(client_->stats().reactors[owner].connected, 1u);
  EXPECT_EQ(total(*client_).connected, 1u);
  EXPECT_EQ(total(*server_).accepted, 1u);
}

TEST_F(ClientSendToTest, PortSendToForAnotherReactorsDestinationIsHandedToItsOwner) {
  start_client(2, verifying());
  const Destination d = dest("sip.example.test");
  const uint32_t owner = destination_owner(d.addr, 2);
  const uint32_t other = 1 - owner;

  Result<ConnId> handed = port_send_to(other, d, options_request(1));
  ASSERT_TRUE(handed) << handed.error().message;
  EXPECT_FALSE(handed->valid()) << "the id is the owner's to choose";

  const ConnId id = wait_first_reply_conn();
  ASSERT_TRUE(id.valid()) << events_of(client_core_->frames());
  std::vector<SeenFrame> fs = client_core_->frames_of(id);
  ASSERT_EQ(fs.size(), 2u) << events_of(fs);
  EXPECT_EQ(fs[0].frame.kind, FrameKind::kOpened);
  EXPECT_EQ(fs[0].reactor, owner);
  EXPECT_EQ(fs[0].frame.reactor, owner);
  EXPECT_EQ(id.reactor(), owner);
  EXPECT_EQ(fs[1].reactor, owner);

  // The owner's own send_to finds the connection the handed-over message opened.
  Result<ConnId> own = port_send_to(owner, d, options_request(2));
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_EQ(own.value(), id);
  ASSERT_TRUE(wait_replies(id, 2));
  EXPECT_EQ(client_->stats().reactors[other].connected, 0u);
  EXPECT_EQ(total(*client_).connected, 1u);
  EXPECT_EQ(total(*server_).accepted, 1u);
}

// ---------------------------------------------------------------------------------------------
// The clear-text queue limits and the handshake timeout, against a server that never answers.

class ClearTextQueueTest : public ClientServerTest {
 protected:
  // Room for 4 messages per connection and 6 in all.
  void start(int handshake_timeout_ms) {
    start_client(1, TlsProfile{}, [&](Config& c) {
      c.tls.con_ct_wq_max = static_cast<int>(4 * m_ + m_ / 2);
      c.tls.ct_wq_max = static_cast<int>(6 * m_ + m_ / 2);
      c.engine.handshake_timeout_ms = handshake_timeout_ms;
    });
  }
  Destination silent_dest(const std::string& name) const {
    return Destination{loopback(silent_.port()), name, ""};
  }
  // `n` send_to() calls to `d` in one core run.
  std::vector<SendResult> send_many(const Destination& d, int n) {
    auto out = client_core_->run_on<std::vector<SendResult>>(0, [d, n](ReactorPort& p) {
      std::vector<SendResult> v;
      for (int i = 0; i < n; i++) v.push_back(p.send_to(d, bytes(options_request(i))));
      return v;
    });
    return out ? std::move(*out) : std::vector<SendResult>{};
  }
  uint64_t queued_bytes() {
    auto s = client_->tls_summary();
    EXPECT_TRUE(s) << s.error().message;
    return s ? s->clear_text_queued_bytes : ~0ull;
  }

  SilentListener silent_;
  const size_t m_ = options_request(0).size();  // every options_request(i < 10) is this long
};

TEST_F(ClearTextQueueTest, SendToBeyondConCtWqMaxIsRefusedAndCounted) {
  start(10000);
  std::vector<SendResult> r = send_many(silent_dest("a.example.test"), 5);
  ASSERT_EQ(r.size(), 5u);
  for (int i = 0; i < 4; i++) {
    ASSERT_TRUE(r[i].ok()) << i << ": " << send_status_name(r[i].status);
    EXPECT_EQ(r[i].conn, r[0].conn);
  }
  ASSERT_FALSE(r[4].ok());
  EXPECT_EQ(r[4].status, SendStatus::kClearTextQueueFull) << send_status_name(r[4].status);
  ReactorStats s = total(*client_);
  EXPECT_EQ(s.send_queue_full, 1u);
  EXPECT_EQ(s.messages_out, 4u);
  EXPECT_EQ(queued_bytes(), 4 * m_);
}

TEST_F(ClearTextQueueTest, SendToBeyondCtWqMaxAcrossConnectionsIsRefused) {
  start(10000);
  std::vector<SendResult> a = send_many(silent_dest("a.example.test"), 4);
  ASSERT_EQ(a.size(), 4u);
  for (auto& r : a) ASSERT_TRUE(r.ok()) << send_status_name(r.status);
  // Another destination, another connection: its own queue has room, the total does not.
  std::vector<SendResult> b = send_many(silent_dest("b.example.test"), 3);
  ASSERT_EQ(b.size(), 3u);
  ASSERT_TRUE(b[0].ok()) << send_status_name(b[0].status);
  ASSERT_TRUE(b[1].ok()) << send_status_name(b[1].status);
  EXPECT_EQ(b[1].conn, b[0].conn);
  EXPECT_NE(b[0].conn, a[0].conn);
  ASSERT_FALSE(b[2].ok()) << "6 messages queued in all: the 7th is over tls.ct_wq_max";
  EXPECT_EQ(b[2].status, SendStatus::kClearTextQueueFull) << send_status_name(b[2].status);
  EXPECT_EQ(total(*client_).send_queue_full, 1u);
  EXPECT_EQ(queued_bytes(), 6 * m_);
}

TEST_F(ClearTextQueueTest, UnfinishedHandshakeEndsInHandshakeTimeoutAndTheCoreHearsIt) {
  start(300);
  std::vector<SendResult> a = send_many(silent_dest("a.example.test"), 2);
  std::vector<SendResult> b = send_many(silent_dest("b.example.test"), 2);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  ASSERT_TRUE(a[0].ok() && b[0].ok());
  const ConnId ida = a[0].conn, idb = b[0].conn;
  EXPECT_EQ(queued_bytes(), 4 * m_);

  ASSERT_TRUE(client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
    return count_kind(fs, ida, FrameKind::kClosed) == 1 &&
           count_kind(fs, idb, FrameKind::kClosed) == 1;
  })) << events_of(client_core_->frames());
  for (ConnId id : {ida, idb}) {
    std::vector<SeenFrame> fs = client_core_->frames_of(id);
    ASSERT_EQ(fs.size(), 1u) << events_of(fs);  // no kOpened, no message
    EXPECT_EQ(fs[0].frame.kind, FrameKind::kClosed);
    EXPECT_EQ(fs[0].frame.reason, CloseReason::kHandshakeTimeout)
        << close_reason_name(fs[0].frame.reason);
    EXPECT_TRUE(fs[0].frame.client_role());
  }
  EXPECT_TRUE(wait_until([&] { return silent_.accepted() == 2; }));  // TCP did connect
  ReactorStats s = total(*client_);
  EXPECT_EQ(s.handshake_timeouts, 2u);
  EXPECT_EQ(s.connected, 2u);
  EXPECT_EQ(queued_bytes(), 0u) << "a closed connection's clear text is no longer counted";

  // The destination is free again: the next send_to opens a new connection.
  std::vector<SendResult> again = send_many(silent_dest("a.example.test"), 1);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(again[0].ok()) << send_status_name(again[0].status);
  EXPECT_NE(again[0].conn, ida);
}

}  // namespace
}  // namespace sipring
