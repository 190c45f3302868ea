// In-process tests of sipring's client role and of the TLS facts a core may ask for: send_to()
// from an inline core and from other threads (connection opening, reuse, ordering, the owning
// reactor), the clear-text queue limits (tls.con_ct_wq_max, tls.ct_wq_max) and the handshake
// timeout against a server that never answers, RFC 5922 name checks of the server's certificate,
// ReactorPort::tls_facts / Engine::tls_facts on both ends, and the server's verification of
// client certificates (required, revoked by a CRL, optional_no_ca), and RFC 5923 aliases.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/reactor/reactor.h"  // destination_owner(): which reactor a destination belongs to
#include "sipring/engine.h"
#include "tests/testing/cert_builder.h"
#include "tests/testing/core_driver.h"
#include "tests/testing/loopback.h"
#include "tests/testing/pki_files.h"

namespace sipring {
namespace {

using namespace std::chrono_literals;
using namespace sipring::test;

// ---------------------------------------------------------------------------------------------
// Helpers.

std::string call_id_of(const std::string& msg) {
  const std::string key = "Call-ID: ";
  size_t p = msg.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  return msg.substr(p, msg.find("\r\n", p) - p);
}

size_t count_kind(const std::vector<SeenFrame>& fs, ConnId id, FrameKind kind) {
  size_t n = 0;
  for (const SeenFrame& f : fs) n += f.frame.conn == id && f.frame.kind == kind;
  return n;
}

std::vector<SeenFrame> of_kind(const std::vector<SeenFrame>& fs, FrameKind kind) {
  std::vector<SeenFrame> out;
  for (const SeenFrame& f : fs) {
    if (f.frame.kind == kind) out.push_back(f);
  }
  return out;
}

// "opened", "message", or "closed:<reason>".
std::string event_name(const Frame& f) {
  switch (f.kind) {
    case FrameKind::kOpened:
      return "opened";
    case FrameKind::kMessage:
      return "message";
    case FrameKind::kClosed:
      return std::string("closed:") + close_reason_name(f.reason);
  }
  return "?";
}

std::string events_of(const std::vector<SeenFrame>& fs) {
  std::string s;
  for (const SeenFrame& f : fs) s += event_name(f.frame) + " ";
  return s;
}

std::string standard_cipher_name(uint16_t value) {
  const SSL_CIPHER* c = SSL_get_cipher_by_value(value);
  return c != nullptr ? SSL_CIPHER_standard_name(c) : "";
}

int cipher_bits(uint16_t value) {
  const SSL_CIPHER* c = SSL_get_cipher_by_value(value);
  return c != nullptr ? SSL_CIPHER_get_bits(c, nullptr) : 0;
}

// A client engine's config: no listener, no control socket, small rings.
Config client_config(int reactors) {
  Config c;
  c.source = "engine_client_test client";
  c.engine = server_config(5060, reactors).engine;
  c.engine.reactors = reactors;
  c.ctl.socket = "";
  return c;
}

// A plain TCP listener that accepts connections and reads (and discards) whatever arrives but
// never writes: a TLS client's handshake with it never finishes.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 16);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~SilentListener() {
    stop_.store(true);
    thread_.join();
    for (int c : conns_) ::close(c);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void loop() {
    while (!stop_.load()) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : conns_) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          conns_.push_back(c);
          accepted_.fetch_add(1);
        }
      }
      for (size_t i = 1; i < fds.size(); i++) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[4096];
        if (read(fds[i].fd, buf, sizeof(buf)) <= 0) {
          ::close(fds[i].fd);
          std::erase(conns_, fds[i].fd);
        }
      }
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<int> conns_;  // the loop thread's only
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
};

// A test CA with its PEM file, plus room for more files.
struct Pki {
  PkiFiles files;
  IssuedCert ca = issue_cert(ca_spec("sipring test CA"));
  std::string ca_pem = files.certs("ca.pem", {&ca});
};

// What a test needs for a server engine (inline core answering 200 OK) and a client engine
// (inline core the test drives) on the same host.
class ClientServerTest : public ::testing::Test {
 protected:
  // Warnings and errors only: every engine start logs an info line.
  static void SetUpTestSuite() { set_log_level(0); }

  void TearDown() override {
    stop_client();
    if (server_) server_->stop(0);
  }

  // Starts a server presenting `cert` (issued by the test CA); `adjust` may change its config.
  void start_server(const IssuedCert& cert, const std::function<void(Config&)>& adjust = {},
                    int reactors = 2) {
    port_ = free_port();
    Config c = server_config(port_, reactors);
    c.ctl.socket = "";
    c.tls.profile.certificate =
        pki_.files.cert_and_key("server-" + std::to_string(port_) + ".pem", cert);
    if (adjust) adjust(c);
    Engine::Options o;
    o.core = server_core_.factory();
    server_ = start_engine(c, std::move(o));
    ASSERT_NE(server_, nullptr);
  }

  // Starts (or restarts) the client engine with `options` and a fresh core.
  void start_client(int reactors, const TlsProfile& options,
                    const std::function<void(Config&)>& adjust = {}) {
    stop_client();
    client_core_ = std::make_unique<CoreDriver>();
    Config c = client_config(reactors);
    if (adjust) adjust(c);
    Engine::Options o;
    o.listen = false;
    o.client = options;
    o.core = client_core_->factory();
    client_ = start_engine(c, std::move(o));
    ASSERT_NE(client_, nullptr);
  }

  void stop_client() {
    if (client_) client_->stop(0);
    client_.reset();  // the engine goes before the core driver it calls
    client_core_.reset();
  }

  // Client options that verify the server against the test CA and check its name.
  TlsProfile verifying() const {
    TlsProfile o;
    o.ca_list = pki_.ca_pem;
    o.verify_certificate = true;
    return o;
  }

  Destination dest(const std::string& server_name) const {
    return Destination{loopback(port_), server_name, ""};
  }

  // ReactorPort::send_to on client reactor `r`'s thread.
  Result<ConnId> port_send_to(uint32_t r, const Destination& d, const std::string& msg) {
    auto res = client_core_->run_on<Result<ConnId>>(
        r, [d, msg](ReactorPort& p) { return p.send_to(d, bytes(msg)); });
    if (!res) return make_error(Errc::kIo, "reactor %u did not run the task", r);
    return std::move(*res);
  }

  // Waits until the client core saw `n` messages (replies) on `id`.
  bool wait_replies(ConnId id, size_t n) {
    return client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
      return count_kind(fs, id, FrameKind::kMessage) >= n;
    });
  }

  // The first connection event (kOpened or kClosed) the client core saw for `id`, or "".
  std::string first_event(ConnId id) {
    std::string out;
    client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
      for (const SeenFrame& f : fs) {
        if (f.frame.conn == id && f.frame.kind != FrameKind::kMessage) {
          out = event_name(f.frame);
          return true;
        }
      }
      return false;
    });
    return out;
  }

  Pki pki_;
  uint16_t port_ = 0;
  CoreDriver server_core_{/*answer_requests=*/true};
  std::unique_ptr<Engine> server_;
  std::unique_ptr<CoreDriver> client_core_;
  std::unique_ptr<Engine> client_;
};

// ---------------------------------------------------------------------------------------------
// 1. send_to from an inline core.

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
  EXPECT_TRUE(fs[0].frame.flags & kFrameClientRole);
  EXPECT_EQ(fs[0].frame.peer, loopback(port_));
  EXPECT_EQ(fs[1].frame.kind, FrameKind::kMessage);
  EXPECT_TRUE(fs[1].frame.flags & kFrameClientRole);
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
    std::vector<Result<ConnId>> ids;
    uint16_t version_while_queueing = 0xffff;
  };
  // Five sends in one core run: the first opens the connection, none can have been sent yet.
  auto sent = client_core_->run_on<Sent>(0, [d](ReactorPort& p) {
    Sent s;
    for (int i = 1; i <= 5; i++) s.ids.push_back(p.send_to(d, bytes(options_request(i))));
    if (s.ids[0]) {
      auto facts = p.tls_facts(s.ids[0].value());
      if (facts) s.version_while_queueing = facts->version;
    }
    return s;
  });
  ASSERT_TRUE(sent);
  ASSERT_EQ(sent->ids.size(), 5u);
  ASSERT_TRUE(sent->ids[0]) << sent->ids[0].error().message;
  const ConnId id = sent->ids[0].value();
  for (auto& r : sent->ids) {
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r.value(), id);
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
// 2. send_to from other threads and other reactors.

TEST_F(ClientSendToTest, EngineSendToFromATestThreadIsDeliveredByTheOwningReactor) {
  start_client(2, verifying());
  const Destination d = dest("sip.example.test");
  const uint32_t owner = destination_owner(d.addr, 2);
  ASSERT_EQ(client_->send_to(d, bytes(options_request(1))), SendStatus::kOk);

  ConnId id;
  ASSERT_TRUE(client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
    for (const SeenFrame& f : fs) {
      if (f.frame.kind == FrameKind::kMessage) id = f.frame.conn;
    }
    return id.valid();
  })) << events_of(client_core_->frames());
  std::vector<SeenFrame> fs = client_core_->frames_of(id);
  ASSERT_EQ(fs.size(), 2u) << events_of(fs);
  EXPECT_EQ(fs[0].frame.kind, FrameKind::kOpened);
  EXPECT_EQ(fs[0].reactor, owner);
  EXPECT_EQ(fs[0].frame.reactor, owner);
  EXPECT_EQ(id.reactor(), owner);
  EXPECT_EQ(call_id_of(fs[1].text), "call-1@test");

  // A second message from the test thread takes the same connection.
  ASSERT_EQ(client_->send_to(d, bytes(options_request(2))), SendStatus::kOk);
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

  ConnId id;
  ASSERT_TRUE(client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
    for (const SeenFrame& f : fs) {
      if (f.frame.kind == FrameKind::kMessage) id = f.frame.conn;
    }
    return id.valid();
  })) << events_of(client_core_->frames());
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
// 3. The clear-text queue limits and the handshake timeout, against a server that never answers.

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
  std::vector<Result<ConnId>> send_many(const Destination& d, int n) {
    auto out = client_core_->run_on<std::vector<Result<ConnId>>>(0, [d, n](ReactorPort& p) {
      std::vector<Result<ConnId>> v;
      for (int i = 0; i < n; i++) v.push_back(p.send_to(d, bytes(options_request(i))));
      return v;
    });
    return out ? std::move(*out) : std::vector<Result<ConnId>>{};
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
  std::vector<Result<ConnId>> r = send_many(silent_dest("a.example.test"), 5);
  ASSERT_EQ(r.size(), 5u);
  for (int i = 0; i < 4; i++) {
    ASSERT_TRUE(r[i]) << i << ": " << r[i].error().message;
    EXPECT_EQ(r[i].value(), r[0].value());
  }
  ASSERT_FALSE(r[4]);
  EXPECT_EQ(r[4].error().code, Errc::kQueueFull) << r[4].error().message;
  ReactorStats s = total(*client_);
  EXPECT_EQ(s.send_queue_full, 1u);
  EXPECT_EQ(s.messages_out, 4u);
  EXPECT_EQ(queued_bytes(), 4 * m_);
}

TEST_F(ClearTextQueueTest, SendToBeyondCtWqMaxAcrossConnectionsIsRefused) {
  start(10000);
  std::vector<Result<ConnId>> a = send_many(silent_dest("a.example.test"), 4);
  ASSERT_EQ(a.size(), 4u);
  for (auto& r : a) ASSERT_TRUE(r) << r.error().message;
  // Another destination, another connection: its own queue has room, the total does not.
  std::vector<Result<ConnId>> b = send_many(silent_dest("b.example.test"), 3);
  ASSERT_EQ(b.size(), 3u);
  ASSERT_TRUE(b[0]) << b[0].error().message;
  ASSERT_TRUE(b[1]) << b[1].error().message;
  EXPECT_EQ(b[1].value(), b[0].value());
  EXPECT_NE(b[0].value(), a[0].value());
  ASSERT_FALSE(b[2]) << "6 messages queued in all: the 7th is over tls.ct_wq_max";
  EXPECT_EQ(b[2].error().code, Errc::kQueueFull) << b[2].error().message;
  EXPECT_EQ(total(*client_).send_queue_full, 1u);
  EXPECT_EQ(queued_bytes(), 6 * m_);
}

TEST_F(ClearTextQueueTest, UnfinishedHandshakeEndsInHandshakeTimeoutAndTheCoreHearsIt) {
  start(300);
  std::vector<Result<ConnId>> a = send_many(silent_dest("a.example.test"), 2);
  std::vector<Result<ConnId>> b = send_many(silent_dest("b.example.test"), 2);
  ASSERT_EQ(a.size(), 2u);
  ASSERT_EQ(b.size(), 2u);
  ASSERT_TRUE(a[0] && b[0]);
  const ConnId ida = a[0].value(), idb = b[0].value();
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
    EXPECT_TRUE(fs[0].frame.flags & kFrameClientRole);
  }
  EXPECT_TRUE(wait_until([&] { return silent_.accepted() == 2; }));  // TCP did connect
  ReactorStats s = total(*client_);
  EXPECT_EQ(s.handshake_timeouts, 2u);
  EXPECT_EQ(s.connected, 2u);
  EXPECT_EQ(queued_bytes(), 0u) << "a closed connection's clear text is no longer counted";

  // The destination is free again: the next send_to opens a new connection.
  std::vector<Result<ConnId>> again = send_many(silent_dest("a.example.test"), 1);
  ASSERT_EQ(again.size(), 1u);
  ASSERT_TRUE(again[0]) << again[0].error().message;
  EXPECT_NE(again[0].value(), ida);
}

// ---------------------------------------------------------------------------------------------
// 4. RFC 5922 name checks of the server's certificate (client role).

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
    EXPECT_TRUE(f.frame.flags & kFrameResumed);
    EXPECT_TRUE(f.frame.flags & kFramePeerVerified);
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
// 5. tls_facts on the server (reactor thread and test thread) and on the client.

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
    ASSERT_EQ(client_->send_to(dest("sip.example.test"), bytes(options_request(1))),
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
  // frame.h: kFramePeerVerified means the peer presented a certificate whose chain verified;
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
// 6. The server's verification of client certificates.

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
    EXPECT_EQ(client_->send_to(dest("sip.example.test"), bytes(options_request(1))),
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

// ---------------------------------------------------------------------------------------------
// 7. RFC 5923 aliases: a connection the peer opened carries send_to() to that peer, but only
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
    EXPECT_EQ(client_->send_to(dest("sip.example.test"), bytes(options_request(1))),
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
    auto res = server_core_.run_on<Result<ConnId>>(
        r, [d, msg](ReactorPort& p) { return p.send_to(d, bytes(msg)); });
    if (!res) return make_error(Errc::kIo, "reactor %u did not run the task", r);
    return std::move(*res);
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
  ASSERT_EQ(server_->send_to(d, bytes(options_request(11))), SendStatus::kOk);
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
  ASSERT_EQ(server_->send_to(d, bytes(options_request(20))), SendStatus::kOk);
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
