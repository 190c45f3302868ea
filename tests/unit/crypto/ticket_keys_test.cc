// Tests of TicketKeys: stateless resumption across server contexts that share the keys (as the
// reactors do), what one and two rotations do to old tickets, key isolation between unrelated
// key sets, and snapshot() consistency while another thread rotates.
#include "crypto/ticket_keys.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/tls_conn.h"
#include "crypto/tls_context.h"
#include "tests/testing/mem_tls.h"
#include "tests/testing/test_cert.h"

namespace sipring {
namespace {

using test::MemSsl;

std::string key_bytes(const TicketKeys::Key& k) {
  return std::string(reinterpret_cast<const char*>(&k), sizeof(k));
}

std::string current_name(const TicketKeys& keys) {
  TicketKeys::Key cur, prev;
  bool has_prev = false;
  keys.snapshot(&cur, &prev, &has_prev);
  return std::string(reinterpret_cast<const char*>(cur.name), TicketKeys::kNameLen);
}

// The key name a ticket was sealed under: its first 16 bytes (BoringSSL's ticket layout with a
// key callback is name, IV, ciphertext, HMAC).
std::string ticket_name(const SSL_SESSION* s) {
  const uint8_t* t = nullptr;
  size_t len = 0;
  SSL_SESSION_get0_ticket(s, &t, &len);
  if (len < TicketKeys::kNameLen) return {};
  return std::string(reinterpret_cast<const char*>(t), TicketKeys::kNameLen);
}

class TicketKeysResumptionTest : public ::testing::TestWithParam<uint16_t> {
 protected:
  static void SetUpTestSuite() { cert_ = new test::TestCert(); }
  static void TearDownTestSuite() {
    delete cert_;
    cert_ = nullptr;
  }

  void SetUp() override {
    // Two contexts on one key set: two reactors of one engine.
    reactor_a_ = server_ctx(&keys_);
    reactor_b_ = server_ctx(&keys_);
    TlsProfile o;
    o.tls_method = GetParam() == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2";
    auto c = make_client_context(o);
    ASSERT_TRUE(c) << c.error().message;
    client_ctx_ = std::move(c.value());
  }

  static bssl::UniquePtr<SSL_CTX> server_ctx(TicketKeys* keys) {
    TlsProfile p;
    p.certificate = cert_->pem_path();
    auto ctx = make_server_context(p, -1, keys);
    EXPECT_TRUE(ctx) << ctx.error().message;
    return ctx ? std::move(ctx.value()) : nullptr;
  }

  struct Outcome {
    bool ok = false;
    bool resumed = false;
    // The newest ticket the client holds after the connection (null if none arrived).
    bssl::UniquePtr<SSL_SESSION> ticket;
    size_t tickets = 0;
  };
  // One connection to `server_ctx`, offering `session`; reads post-handshake tickets.
  Outcome connect(SSL_CTX* server_ctx, SSL_SESSION* session) {
    Outcome r;
    auto client = MemSsl::client(client_ctx_.get(), "localhost", session);
    auto server = TlsConn::server(server_ctx);
    std::string error;
    r.ok = test::handshake(*client, *server, &error);
    EXPECT_TRUE(r.ok) << error;
    if (!r.ok) return r;
    std::vector<uint8_t> none;
    EXPECT_EQ(client->read_all(&none), SSL_ERROR_WANT_READ);
    r.resumed = server->resumed();
    EXPECT_EQ(r.resumed, SSL_session_reused(client->ssl()) != 0);
    r.tickets = client->sessions().size();
    if (r.tickets > 0) {
      SSL_SESSION_up_ref(client->sessions().back().get());
      r.ticket.reset(client->sessions().back().get());
    }
    return r;
  }

  static test::TestCert* cert_;
  TicketKeys keys_;
  bssl::UniquePtr<SSL_CTX> reactor_a_;
  bssl::UniquePtr<SSL_CTX> reactor_b_;
  bssl::UniquePtr<SSL_CTX> client_ctx_;
};

test::TestCert* TicketKeysResumptionTest::cert_ = nullptr;

TEST_P(TicketKeysResumptionTest, TicketFromOneReactorResumesOnAnother) {
  Outcome first = connect(reactor_a_.get(), nullptr);
  ASSERT_TRUE(first.ok);
  EXPECT_FALSE(first.resumed);
  ASSERT_EQ(first.tickets, 1u);
  EXPECT_EQ(ticket_name(first.ticket.get()), current_name(keys_));

  Outcome second = connect(reactor_b_.get(), first.ticket.get());
  ASSERT_TRUE(second.ok);
  EXPECT_TRUE(second.resumed);
}

TEST_P(TicketKeysResumptionTest, AfterOneRotationOldTicketResumesAndANewOneIsIssued) {
  Outcome first = connect(reactor_a_.get(), nullptr);
  ASSERT_EQ(first.tickets, 1u);
  const std::string old_name = ticket_name(first.ticket.get());
  keys_.rotate();
  EXPECT_EQ(keys_.rotations(), 1u);
  ASSERT_NE(current_name(keys_), old_name);

  Outcome second = connect(reactor_b_.get(), first.ticket.get());
  ASSERT_TRUE(second.ok);
  EXPECT_TRUE(second.resumed);
  // The server renewed the ticket under the current key.
  ASSERT_EQ(second.tickets, 1u);
  EXPECT_EQ(ticket_name(second.ticket.get()), current_name(keys_));

  // And the renewed ticket resumes too.
  Outcome third = connect(reactor_a_.get(), second.ticket.get());
  EXPECT_TRUE(third.resumed);
}

TEST_P(TicketKeysResumptionTest, AfterTwoRotationsOldTicketFallsBackToAFullHandshake) {
  Outcome first = connect(reactor_a_.get(), nullptr);
  ASSERT_EQ(first.tickets, 1u);
  keys_.rotate();
  keys_.rotate();
  EXPECT_EQ(keys_.rotations(), 2u);

  Outcome second = connect(reactor_b_.get(), first.ticket.get());
  ASSERT_TRUE(second.ok);
  EXPECT_FALSE(second.resumed);
  ASSERT_EQ(second.tickets, 1u);
  EXPECT_EQ(ticket_name(second.ticket.get()), current_name(keys_));
}

TEST_P(TicketKeysResumptionTest, UnrelatedKeySetCannotOpenTheTicket) {
  Outcome first = connect(reactor_a_.get(), nullptr);
  ASSERT_EQ(first.tickets, 1u);
  TicketKeys other;
  bssl::UniquePtr<SSL_CTX> other_engine = server_ctx(&other);
  Outcome second = connect(other_engine.get(), first.ticket.get());
  ASSERT_TRUE(second.ok);
  EXPECT_FALSE(second.resumed);
}

TEST_P(TicketKeysResumptionTest, HandshakesWhileAnotherThreadRotatesAlwaysComplete) {
  Outcome seed = connect(reactor_a_.get(), nullptr);
  ASSERT_EQ(seed.tickets, 1u);
  bssl::UniquePtr<SSL_SESSION> session = std::move(seed.ticket);
  std::atomic<bool> stop{false};
  std::thread rotator([&] {
    while (!stop.load(std::memory_order_relaxed)) {
      keys_.rotate();
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  // Handshake until the rotator has rotated many times under us (it may start late).
  int resumed = 0;
  int handshakes = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((handshakes < 200 || keys_.rotations() < 50) &&
         std::chrono::steady_clock::now() < deadline) {
    Outcome r = connect(handshakes % 2 ? reactor_a_.get() : reactor_b_.get(), session.get());
    if (!r.ok) break;
    handshakes++;
    resumed += r.resumed;
    if (r.ticket) session = std::move(r.ticket);
  }
  stop.store(true);
  rotator.join();
  EXPECT_GE(keys_.rotations(), 50u);
  EXPECT_GE(handshakes, 200);
  // Not asserted exactly (it depends on timing), but most offers carry a fresh ticket.
  EXPECT_GT(resumed, 0);
}

INSTANTIATE_TEST_SUITE_P(Versions, TicketKeysResumptionTest,
                         ::testing::Values(uint16_t{TLS1_2_VERSION}, uint16_t{TLS1_3_VERSION}),
                         [](const auto& info) {
                           return info.param == TLS1_3_VERSION ? "Tls13" : "Tls12";
                         });

TEST(TicketKeysTest, SnapshotBeforeAndAfterRotation) {
  TicketKeys keys;
  TicketKeys::Key cur0, prev0, cur1, prev1;
  bool has_prev = true;
  keys.snapshot(&cur0, &prev0, &has_prev);
  EXPECT_FALSE(has_prev);
  EXPECT_EQ(keys.rotations(), 0u);
  keys.rotate();
  keys.snapshot(&cur1, &prev1, &has_prev);
  EXPECT_TRUE(has_prev);
  EXPECT_EQ(keys.rotations(), 1u);
  EXPECT_EQ(key_bytes(prev1), key_bytes(cur0));
  EXPECT_NE(key_bytes(cur1), key_bytes(cur0));
}

TEST(TicketKeysTest, EachObjectStartsWithItsOwnRandomKey) {
  TicketKeys a, b;
  TicketKeys::Key ca, cb, p;
  bool hp;
  a.snapshot(&ca, &p, &hp);
  b.snapshot(&cb, &p, &hp);
  EXPECT_NE(key_bytes(ca), key_bytes(cb));
}

TEST(TicketKeysTest, SnapshotIsNeverTornWhileAnotherThreadRotates) {
  TicketKeys keys;
  constexpr int kRotations = 20000;
  // Every key that was ever current, in order; written by the (single) rotating thread.
  std::vector<std::string> history;
  history.reserve(kRotations + 1);
  {
    TicketKeys::Key c, p;
    bool hp;
    keys.snapshot(&c, &p, &hp);
    history.push_back(key_bytes(c));
  }
  std::atomic<bool> done{false};
  struct Seen {
    std::string current, previous;
    bool has_previous;
  };
  constexpr size_t kMaxSeen = 100000;
  std::vector<std::vector<Seen>> seen(2);
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; r++) {
    readers.emplace_back([&, r] {
      seen[r].reserve(kMaxSeen);
      while (!done.load(std::memory_order_acquire) && seen[r].size() < kMaxSeen) {
        TicketKeys::Key c, p;
        bool hp = false;
        keys.snapshot(&c, &p, &hp);
        seen[r].push_back({key_bytes(c), key_bytes(p), hp});
      }
    });
  }
  for (int i = 0; i < kRotations; i++) {
    keys.rotate();
    TicketKeys::Key c, p;
    bool hp;
    keys.snapshot(&c, &p, &hp);
    history.push_back(key_bytes(c));
  }
  done.store(true, std::memory_order_release);
  for (auto& t : readers) t.join();
  EXPECT_EQ(keys.rotations(), uint64_t{kRotations});

  std::map<std::string, size_t> index;
  for (size_t i = 0; i < history.size(); i++) index[history[i]] = i;
  ASSERT_EQ(index.size(), history.size()) << "random keys repeated";
  size_t checked = 0;
  for (auto& list : seen) {
    for (const Seen& s : list) {
      auto it = index.find(s.current);
      ASSERT_NE(it, index.end()) << "a snapshot's current key was never current (torn read)";
      if (it->second == 0) {
        EXPECT_FALSE(s.has_previous);
      } else {
        ASSERT_TRUE(s.has_previous);
        ASSERT_EQ(s.previous, history[it->second - 1])
            << "previous key does not belong with the current one (torn read)";
      }
      checked++;
    }
  }
  EXPECT_GT(checked, 0u);
}

}  // namespace
}  // namespace sipring
