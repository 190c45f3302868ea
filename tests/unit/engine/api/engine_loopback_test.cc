// End-to-end tests of Engine over loopback TLS, in process: an inline core and a threads-mode
// core answering requests, pipelining and record coalescing, stale and invalid connection ids,
// the statistics, stop() with a grace time, and the client role (connect, queued sends, kOpened,
// replies, close, resumption, connect failure) against a second engine.
#include "sipring/engine.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/tls_context.h"
#include "sipring/sip_response.h"
#include "tests/testing/loopback.h"
#include "tests/testing/test_cert.h"

namespace sipring {
namespace {

using namespace std::chrono_literals;
using namespace sipring::test;

// What a core saw, readable from the test thread.
struct Seen {
  std::mutex mu;
  std::vector<Frame> messages;  // data pointers are dangling after pop(): header fields only
  std::vector<std::string> texts;
  std::vector<Frame> closed;
  std::vector<SendStatus> send_results;

  size_t message_count() {
    std::lock_guard<std::mutex> l(mu);
    return messages.size();
  }
  size_t closed_count() {
    std::lock_guard<std::mutex> l(mu);
    return closed.size();
  }
};

// Inline core: answers every request with 200 OK through the port.
class AnswerCore final : public Core {
 public:
  explicit AnswerCore(Seen* seen) : seen_(seen) {}
  uint64_t run(ReactorPort& port) noexcept override {
    while (const Frame* f = port.front()) {
      if (f->kind == FrameKind::kMessage) {
        std::string reply = answer(*f);
        SendStatus s = port.send(f->conn, bytes(reply));
        std::lock_guard<std::mutex> l(seen_->mu);
        seen_->messages.push_back(*f);
        seen_->texts.emplace_back(f->text());
        seen_->send_results.push_back(s);
      } else if (f->kind == FrameKind::kClosed) {
        std::lock_guard<std::mutex> l(seen_->mu);
        seen_->closed.push_back(*f);
      }
      port.pop();
    }
    return 0;
  }

 private:
  Seen* seen_;
};

// ---------------------------------------------------------------------------------------------
// Server role, inline core.

class EngineInlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    Engine::Options o;
    o.core = [this](uint32_t) { return std::make_unique<AnswerCore>(&seen_); };
    engine_ = start_engine(server_config(port_), std::move(o));
    ASSERT_NE(engine_, nullptr);
    ASSERT_TRUE(engine_->running());
    EXPECT_EQ(engine_->reactors(), 2u);
  }
  void TearDown() override {
    if (engine_) engine_->stop(std::chrono::milliseconds(0));
  }

  uint16_t port_ = 0;
  Seen seen_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineInlineTest, AnswersARequestAndCountsIt) {
  BlockingClient c(port_, "TLSv1.3");
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(options_request(1)));
  std::string got = c.read_responses(1);
  EXPECT_EQ(got.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("Call-ID: call-1@test"), std::string::npos) << got;
  EXPECT_NE(got.find("CSeq: 1 OPTIONS"), std::string::npos) << got;

  ASSERT_EQ(seen_.message_count(), 1u);
  {
    std::lock_guard<std::mutex> l(seen_.mu);
    const Frame& f = seen_.messages[0];
    EXPECT_EQ(f.kind, FrameKind::kMessage);
    EXPECT_EQ(f.tls_version, TLS1_3_VERSION);
    EXPECT_EQ(f.cipher, 0x1301);
    EXPECT_TRUE(f.tls());
    EXPECT_FALSE(f.client_role());
    EXPECT_EQ(f.conn.reactor(), f.reactor);
    EXPECT_TRUE(f.conn.valid());
    EXPECT_EQ(f.peer.host(), "127.0.0.1");
    EXPECT_EQ(f.local.port(), port_);
    EXPECT_EQ(seen_.texts[0], options_request(1));
    EXPECT_EQ(seen_.send_results[0], SendStatus::kOk);
  }
  ASSERT_TRUE(wait_until([&] { return total(*engine_).messages_out >= 1; }));
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.connections_open, 1u);
  EXPECT_EQ(s.handshakes_full, 1u);
  EXPECT_EQ(s.handshakes_resumed, 0u);
  EXPECT_EQ(s.tls13_direct, 1u);
  EXPECT_EQ(s.messages_in, 1u);
  EXPECT_EQ(s.messages_out, 1u);
  EXPECT_GE(s.records_in, 1u);
  EXPECT_GE(s.records_out, 1u);
  EXPECT_GT(s.bytes_in, 0u);
  EXPECT_GT(s.bytes_out, 0u);
}

// Regression: a reactor read the old snapshot's connection_timeout after announcing it had
// moved to the new one, so a quick second change could free the old snapshot under it (a
// use-after-free that ASan builds, tools/run-sanitizers.sh, report). Many changes in a row while
// serving must leave the engine answering, with the last value in force.
TEST_F(EngineInlineTest, RapidConnectionTimeoutChangesWhileServing) {
  BlockingClient c(port_, "TLSv1.3");
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 300; i++) {
    Status st = engine_->set_param("tls", "connection_timeout", std::to_string(100 + i % 7), true);
    ASSERT_TRUE(st) << st.message();
    if (i % 50 == 0) ASSERT_TRUE(c.send(options_request(i)));
  }
  std::string got = c.read_responses(6);
  EXPECT_NE(got.find("Call-ID: call-250@test"), std::string::npos) << got;
  EXPECT_EQ(engine_->get_param("tls", "connection_timeout").value(), std::to_string(100 + 299 % 7));
}

TEST_F(EngineInlineTest, PipelinedRequestsGetAllRepliesInFewerRecords) {
  BlockingClient c(port_, "TLSv1.3");
  ASSERT_TRUE(c.connected());
  std::string burst;
  for (int i = 0; i < 16; i++) burst += options_request(i);
  ASSERT_TRUE(c.send(burst));  // one TLS record carrying 16 messages
  std::string got = c.read_responses(16);
  ASSERT_EQ(count(got, "SIP/2.0 200 OK\r\n"), 16u) << got;
  for (int i = 0; i < 16; i++) {
    EXPECT_NE(got.find("Call-ID: call-" + std::to_string(i) + "@test"), std::string::npos) << i;
  }
  ASSERT_TRUE(wait_until([&] { return total(*engine_).messages_out >= 16; }));
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.messages_in, 16u);
  EXPECT_EQ(s.messages_out, 16u);
  // Replies queued in one loop iteration share a record.
  EXPECT_LT(s.records_out, s.messages_out);
  EXPECT_EQ(s.rx_copied_bytes, 0u);  // every message lay inside one record
}

TEST_F(EngineInlineTest, ServesTls12ThroughTheDirect12Path) {
  BlockingClient c(port_, "TLSv1.2");
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(options_request(5) + options_request(6)));
  std::string got = c.read_responses(2);
  EXPECT_EQ(count(got, "SIP/2.0 200 OK\r\n"), 2u) << got;
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.tls12_direct, 1u);
  EXPECT_EQ(s.tls13_direct, 0u);
  std::lock_guard<std::mutex> l(seen_.mu);
  ASSERT_FALSE(seen_.messages.empty());
  EXPECT_EQ(seen_.messages[0].tls_version, TLS1_2_VERSION);
}

TEST_F(EngineInlineTest, ManyClientsAcrossReactors) {
  std::vector<std::unique_ptr<BlockingClient>> clients;
  for (int i = 0; i < 8; i++) {
    clients.push_back(std::make_unique<BlockingClient>(port_, i % 2 ? "TLSv1.2" : "TLSv1.3"));
    ASSERT_TRUE(clients.back()->connected()) << i;
  }
  for (int round = 0; round < 5; round++) {
    for (auto& c : clients) ASSERT_TRUE(c->send(options_request(round)));
  }
  for (auto& c : clients) EXPECT_EQ(count(c->read_responses(5), "SIP/2.0 200 OK\r\n"), 5u);
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.accepted, 8u);
  EXPECT_EQ(s.handshakes_full, 8u);
  EXPECT_EQ(s.messages_in, 40u);
}

TEST_F(EngineInlineTest, SendToAClosedConnectionIsUnknown) {
  ConnId id;
  {
    BlockingClient c(port_, "TLSv1.3");
    ASSERT_TRUE(c.connected());
    ASSERT_TRUE(c.send(options_request(1)));
    c.read_responses(1);
    {
      std::lock_guard<std::mutex> l(seen_.mu);
      ASSERT_EQ(seen_.messages.size(), 1u);
      id = seen_.messages[0].conn;
    }
    // Still open: a reply from the test thread goes through, and the client reads it before
    // closing (unread bytes would turn its close into a reset).
    EXPECT_EQ(engine_->send(id, bytes("SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")),
              SendStatus::kOk);
    EXPECT_EQ(count(c.read_responses(2), "SIP/2.0 200 OK\r\n"), 2u);
  }
  // The client closes; the core hears kClosed, and the slot is released.
  ASSERT_TRUE(wait_until([&] { return seen_.closed_count() == 1 && total(*engine_).closed == 1; }));
  {
    std::lock_guard<std::mutex> l(seen_.mu);
    EXPECT_EQ(seen_.closed[0].conn, id);
    EXPECT_EQ(seen_.closed[0].reason, CloseReason::kPeerClosed);
  }
  EXPECT_EQ(engine_->send(id, bytes("late reply")), SendStatus::kUnknownConnection);
  EXPECT_EQ(total(*engine_).connections_open, 0u);
}

TEST_F(EngineInlineTest, SendToAnIdThatNeverExistedIsUnknown) {
  const std::string msg = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(engine_->send(ConnId(200, 1, 1), bytes(msg)), SendStatus::kUnknownConnection);
  EXPECT_EQ(engine_->send(ConnId(0, 100, 1), bytes(msg)), SendStatus::kUnknownConnection);
  EXPECT_EQ(engine_->send(ConnId(1, 1000000, 1), bytes(msg)), SendStatus::kUnknownConnection);
  // The all-zero id is invalid by definition (conn_id.h).
  EXPECT_EQ(engine_->send(ConnId(), bytes(msg)), SendStatus::kUnknownConnection);
}

TEST_F(EngineInlineTest, SendAfterStopIsNotRunning) {
  engine_->stop(std::chrono::milliseconds(0));
  EXPECT_FALSE(engine_->running());
  EXPECT_EQ(engine_->send(ConnId(0, 0, 1), bytes("x")), SendStatus::kNotRunning);
  engine_->stop(std::chrono::milliseconds(0));  // idempotent
}

TEST_F(EngineInlineTest, KeyUpdateFromTheClientIsAnsweredAndTrafficContinues) {
  BlockingClient c(port_, "TLSv1.3");
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(options_request(1)));
  c.read_responses(1);
  ASSERT_TRUE(SSL_key_update(c.ssl(), SSL_KEY_UPDATE_REQUESTED));
  ASSERT_TRUE(c.send(options_request(2)));  // KeyUpdate, then this under the new key
  std::string got = c.read_responses(2);    // the reply comes under the server's new key
  EXPECT_NE(got.find("Call-ID: call-2@test"), std::string::npos) << got;
  ASSERT_TRUE(c.send(options_request(3)));
  got = c.read_responses(3);
  EXPECT_NE(got.find("Call-ID: call-3@test"), std::string::npos) << got;
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.key_updates, 1u);
  EXPECT_EQ(s.messages_in, 3u);
}

// Issue 8 part 5: key_updates counts every KeyUpdate received, not only those asking for ours.
TEST_F(EngineInlineTest, KeyUpdateNotRequestedIsCountedToo) {
  BlockingClient c(port_, "TLSv1.3");
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(SSL_key_update(c.ssl(), SSL_KEY_UPDATE_NOT_REQUESTED));
  ASSERT_TRUE(c.send(options_request(1)));
  c.read_responses(1);
  ASSERT_TRUE(SSL_key_update(c.ssl(), SSL_KEY_UPDATE_REQUESTED));
  ASSERT_TRUE(c.send(options_request(2)));
  std::string got = c.read_responses(2);
  EXPECT_NE(got.find("Call-ID: call-2@test"), std::string::npos) << got;
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.key_updates, 2u);
  EXPECT_EQ(s.messages_in, 2u);
}

// stop(grace): "waiting at most grace_ms before closing the rest hard". A client that keeps its
// connection open must not hold stop() much longer than the grace time.
class EngineStopTest : public EngineInlineTest, public ::testing::WithParamInterface<int> {};

TEST_P(EngineStopTest, StopWithGraceReturnsSoonAfterTheGraceAndClosesIdleClients) {
  const int grace_ms = GetParam();
  BlockingClient c(port_, "TLSv1.3");
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(options_request(1)));
  c.read_responses(1);
  auto t0 = Clock::now();
  engine_->stop(std::chrono::milliseconds(grace_ms));
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  EXPECT_FALSE(engine_->running());
  EXPECT_LT(took.count(), grace_ms + 1000)
      << "stop(" << grace_ms << ") took " << took.count() << " ms";
  // The server shut its side: the client sees the end of the stream.
  int e = c.read_to_end();
  EXPECT_TRUE(e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) << e;
  EXPECT_EQ(total(*engine_).connections_open, 0u);
}

TEST_P(EngineStopTest, StopReturnsAtOnceWhenClientsCloseThemselves) {
  auto c = std::make_unique<BlockingClient>(port_, "TLSv1.3");
  ASSERT_TRUE(c->connected());
  ASSERT_TRUE(c->send(options_request(1)));
  c->read_responses(1);
  c->close();
  ASSERT_TRUE(wait_until([&] { return total(*engine_).connections_open == 0; }));
  auto t0 = Clock::now();
  engine_->stop(std::chrono::milliseconds(GetParam()));
  EXPECT_LT(Clock::now() - t0, 1000ms);  // nothing to linger for (the linger time is 2 s)
}

INSTANTIATE_TEST_SUITE_P(Grace, EngineStopTest, ::testing::Values(0, 300),
                         [](const auto& info) { return "Ms" + std::to_string(info.param); });

TEST(EngineCloseNotifyTest, StopSendsCloseNotifyWhenConfigured) {
  uint16_t port = free_port();
  Seen seen;
  Config cfg = server_config(port, 1);
  cfg.tls.send_close_notify = true;
  Engine::Options o;
  o.core = [&](uint32_t) { return std::make_unique<AnswerCore>(&seen); };
  auto engine = start_engine(cfg, std::move(o));
  ASSERT_NE(engine, nullptr);
  BlockingClient c(port, "TLSv1.3");
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(options_request(1)));
  c.read_responses(1);
  std::thread stopper([&] { engine->stop(std::chrono::milliseconds(2000)); });
  EXPECT_EQ(c.read_to_end(), SSL_ERROR_ZERO_RETURN);
  c.close();  // lets the engine finish its graceful close early
  stopper.join();
}

// ---------------------------------------------------------------------------------------------
// Server role, threads mode.

TEST(EngineThreadsTest, CoreThreadsReplyThroughEngineSend) {
  uint16_t port = free_port();
  auto engine = start_engine(server_config(port), Engine::Options{});
  ASSERT_NE(engine, nullptr);
  Seen seen;
  std::vector<std::thread> cores;
  for (uint32_t r = 0; r < engine->reactors(); r++) {
    cores.emplace_back([&, r] {
      Engine::Inbox& inbox = engine->inbox(r);
      while (inbox.wait()) {
        while (const Frame* f = inbox.front()) {
          if (f->kind == FrameKind::kMessage) {
            SendStatus s = engine->send(f->conn, bytes(answer(*f)));
            std::lock_guard<std::mutex> l(seen.mu);
            seen.messages.push_back(*f);
            seen.send_results.push_back(s);
            EXPECT_EQ(f->reactor, r);
          }
          inbox.pop();
        }
      }
    });
  }
  {
    BlockingClient c(port, "TLSv1.3");
    ASSERT_TRUE(c.connected());
    std::string burst;
    for (int i = 0; i < 16; i++) burst += options_request(i);
    ASSERT_TRUE(c.send(burst));
    std::string got = c.read_responses(16);
    EXPECT_EQ(count(got, "SIP/2.0 200 OK\r\n"), 16u) << got;
    // One more round trip, one message at a time.
    ASSERT_TRUE(c.send(options_request(99)));
    got = c.read_responses(17);
    EXPECT_NE(got.find("Call-ID: call-99@test"), std::string::npos);
  }
  ReactorStats s = total(*engine);
  EXPECT_EQ(s.messages_in, 17u);
  EXPECT_EQ(s.handshakes_full, 1u);
  engine->stop(std::chrono::milliseconds(500));
  for (auto& t : cores) t.join();  // wait() returns false once the engine stopped
  std::lock_guard<std::mutex> l(seen.mu);
  EXPECT_EQ(seen.messages.size(), 17u);
  for (SendStatus st : seen.send_results) EXPECT_EQ(st, SendStatus::kOk);
}

// ---------------------------------------------------------------------------------------------
// Client role.

// Connects to `target` twice in a row. The first connection sends its OPTIONS before the
// handshake finished (queued in clear text), the second after kOpened; each closes after the
// 200 OK.
class ClientCore final : public Core {
 public:
  struct Log {
    std::mutex mu;
    std::vector<std::string> events;  // "opened", "opened-resumed", "message:<text>", "closed:<r>"
    std::vector<Frame> frames;
    std::vector<SendStatus> sends;
    std::string connect_error;
    std::atomic<bool> done{false};
  };
  ClientCore(SockAddr target, Log* log) : target_(target), log_(log) {}

  uint64_t run(ReactorPort& port) noexcept override {
    if (!started_) {
      started_ = true;
      open(port, /*send_early=*/true);
    }
    while (const Frame* f = port.front()) {
      Frame copy = *f;
      std::string text(f->text());
      port.pop();
      std::lock_guard<std::mutex> l(log_->mu);
      log_->frames.push_back(copy);
      switch (copy.kind) {
        case FrameKind::kOpened:
          log_->events.push_back(copy.resumed() ? "opened-resumed" : "opened");
          if (connections_ == 2) log_->sends.push_back(port.send(copy.conn, bytes(request())));
          break;
        case FrameKind::kMessage:
          log_->events.push_back("message:" + text);
          port.close(copy.conn);
          break;
        case FrameKind::kClosed:
          log_->events.push_back(std::string("closed:") + close_reason_name(copy.reason));
          if (connections_ == 1) {
            pending_open_ = true;
          } else {
            log_->done.store(true);
          }
          break;
      }
    }
    if (pending_open_) {
      pending_open_ = false;
      open(port, /*send_early=*/false);
    }
    return port.now_ns() + 20'000'000;
  }

 private:
  static std::string request() { return options_request(42); }
  void open(ReactorPort& port, bool send_early) {
    connections_++;
    Result<ConnId> id = port.connect(Destination{target_, "localhost", {}});
    if (!id) {
      std::lock_guard<std::mutex> l(log_->mu);
      log_->connect_error = id.error().message;
      log_->done.store(true);
      return;
    }
    if (send_early) {
      SendStatus s = port.send(id.value(), bytes(request()));
      std::lock_guard<std::mutex> l(log_->mu);
      log_->sends.push_back(s);
    }
  }

  SockAddr target_;
  Log* log_;
  bool started_ = false;
  bool pending_open_ = false;
  int connections_ = 0;
};

TEST(EngineClientRoleTest, ConnectsSendsGetsTheReplyClosesAndResumes) {
  uint16_t port = free_port();
  Seen server_seen;
  Engine::Options so;
  so.core = [&](uint32_t) { return std::make_unique<AnswerCore>(&server_seen); };
  auto server = start_engine(server_config(port), std::move(so));
  ASSERT_NE(server, nullptr);

  ClientCore::Log log;
  Config cc;
  cc.source = "engine_loopback_test client";
  cc.engine = server_config(port).engine;
  cc.engine.reactors = 1;
  Engine::Options co;
  co.listen = false;
  co.client.tls_method = "TLSv1.3";
  co.core = [&](uint32_t) { return std::make_unique<ClientCore>(loopback(port), &log); };
  auto client = start_engine(cc, std::move(co));
  ASSERT_NE(client, nullptr);

  ASSERT_TRUE(wait_until([&] { return log.done.load(); }))
      << "client core did not finish; events so far: " << [&] {
           std::lock_guard<std::mutex> l(log.mu);
           std::string s;
           for (auto& e : log.events) s += e.substr(0, 40) + " | ";
           return s;
         }();
  std::lock_guard<std::mutex> l(log.mu);
  EXPECT_EQ(log.connect_error, "");
  ASSERT_EQ(log.events.size(), 6u);
  EXPECT_EQ(log.events[0], "opened");
  EXPECT_EQ(log.events[1].rfind("message:SIP/2.0 200 OK\r\n", 0), 0u) << log.events[1];
  EXPECT_NE(log.events[1].find("Call-ID: call-42@test"), std::string::npos);
  EXPECT_EQ(log.events[2], "closed:local-close");
  EXPECT_EQ(log.events[3], "opened-resumed");
  EXPECT_EQ(log.events[4].rfind("message:SIP/2.0 200 OK\r\n", 0), 0u) << log.events[4];
  EXPECT_EQ(log.events[5], "closed:local-close");
  for (SendStatus s : log.sends) EXPECT_EQ(s, SendStatus::kOk);
  EXPECT_EQ(log.sends.size(), 2u);
  for (const Frame& f : log.frames) {
    EXPECT_TRUE(f.client_role());
    EXPECT_EQ(f.peer, loopback(port));
  }
  EXPECT_EQ(log.frames[0].tls_version, TLS1_3_VERSION);

  ReactorStats cs = total(*client);
  EXPECT_EQ(cs.connected, 2u);
  ReactorStats ss = total(*server);
  EXPECT_EQ(ss.handshakes_full, 1u);
  EXPECT_EQ(ss.handshakes_resumed, 1u);
  EXPECT_EQ(ss.messages_in, 2u);
  client->stop(std::chrono::milliseconds(500));
  server->stop(std::chrono::milliseconds(500));
}

TEST(EngineClientRoleTest, ConnectToAClosedPortReportsConnectFailed) {
  uint16_t port = free_port();  // nobody listens there
  ClientCore::Log log;
  Config cc;
  cc.source = "engine_loopback_test client";
  cc.engine = server_config(port).engine;
  cc.engine.reactors = 1;
  Engine::Options co;
  co.listen = false;
  co.core = [&](uint32_t) { return std::make_unique<ClientCore>(loopback(port), &log); };
  auto client = start_engine(cc, std::move(co));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(wait_until([&] {
    std::lock_guard<std::mutex> l(log.mu);
    return !log.events.empty();
  }));
  std::lock_guard<std::mutex> l(log.mu);
  EXPECT_EQ(log.events[0], "closed:connect-failed");
  ASSERT_FALSE(log.frames.empty());
  EXPECT_EQ(log.frames[0].kind, FrameKind::kClosed);
  EXPECT_EQ(log.frames[0].reason, CloseReason::kConnectFailed);
}

TEST(EngineCreateTest, ServerWithoutListenAddressIsRefused) {
  Config c;
  c.source = "empty.cfg";
  auto e = Engine::create(c, Engine::Options{});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("empty.cfg"), std::string::npos);
}

TEST(EngineCreateTest, StartFailsOnAMissingCertificate) {
  Config c = server_config(free_port(), 1);
  c.tls.profile.certificate = "/nonexistent/sipring-test.pem";
  auto e = Engine::create(c, Engine::Options{});
  ASSERT_TRUE(e);
  Status s = e.value()->start();
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("/nonexistent/sipring-test.pem"), std::string::npos) << s.message();
  EXPECT_FALSE(e.value()->running());
}

}  // namespace
}  // namespace sipring
