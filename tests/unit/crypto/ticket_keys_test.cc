// Tests of TicketKeys: stateless resumption across server contexts that share the keys (as the
// reactors do), what one and two rotations do to old tickets, key isolation between unrelated
// key sets, snapshot() consistency while another thread rotates, and keys from a
// tls.ticket_key_file: 48- and 80-byte keys sealing with the file's bytes, two nodes sharing one
// file, HAProxy-style file rotation (renewed, then unknown tickets).
#include "crypto/ticket_keys.h"

#include <gtest/gtest.h>
#include <openssl/base64.h>
#include <openssl/cipher.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "crypto/ticket_key_file.h"
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

// The keys held, in order, and the sealing index.
std::vector<TicketKeys::Key> held(const TicketKeys& keys, size_t* sealing = nullptr) {
  TicketKeys::Key out[TicketKeys::kMaxKeys];
  size_t s = 0;
  const size_t n = keys.snapshot(out, &s);
  if (sealing != nullptr) *sealing = s;
  return std::vector<TicketKeys::Key>(out, out + n);
}

std::string current_name(const TicketKeys& keys) {
  size_t sealing = 0;
  std::vector<TicketKeys::Key> k = held(keys, &sealing);
  return std::string(reinterpret_cast<const char*>(k[sealing].name), TicketKeys::kNameLen);
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

// Server contexts on TicketKeys and a BoringSSL client of one TLS version, in memory.
template <class Param>
class ResumptionFixture : public ::testing::TestWithParam<Param> {
 protected:
  static void SetUpTestSuite() { cert_ = new test::TestCert(); }
  static void TearDownTestSuite() {
    delete cert_;
    cert_ = nullptr;
  }

  void use_version(uint16_t version) {
    TlsProfile o;
    o.tls_method = version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2";
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

  static inline test::TestCert* cert_ = nullptr;
  bssl::UniquePtr<SSL_CTX> client_ctx_;
};

class TicketKeysResumptionTest : public ResumptionFixture<uint16_t> {
 protected:
  void SetUp() override {
    // Two contexts on one key set: two reactors of one engine.
    reactor_a_ = server_ctx(&keys_);
    reactor_b_ = server_ctx(&keys_);
    use_version(GetParam());
  }

  TicketKeys keys_;
  bssl::UniquePtr<SSL_CTX> reactor_a_;
  bssl::UniquePtr<SSL_CTX> reactor_b_;
};

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

// Keys from a tls.ticket_key_file (HAProxy's format): parameterised by TLS version and key size
// (48 bytes: AES-128; 80 bytes: AES-256). Each TicketKeys is one node of a cluster; they share
// only the file's text.
class FileKeysTest : public ResumptionFixture<std::tuple<uint16_t, size_t>> {
 protected:
  void SetUp() override {
    use_version(std::get<0>(GetParam()));
    node_a_ = server_ctx(&keys_a_);
    node_b_ = server_ctx(&keys_b_);
  }
  size_t size() const { return std::get<1>(GetParam()); }
  // Key line i of the rotation history: random bytes, fixed per test.
  std::string key_line(int i) {
    while (static_cast<int>(lines_.size()) <= i) {
      std::vector<uint8_t> b(size());
      RAND_bytes(b.data(), b.size());
      size_t len = 0;
      EVP_EncodedLength(&len, b.size());
      std::string out(len, '\0');
      out.resize(EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()), b.data(), b.size()));
      lines_.push_back(out);
    }
    return lines_[i];
  }
  // Writes the file "lines first..first+2" to both nodes (what a rotation tool does).
  TicketKeyFile load_both(int first) {
    std::string text;
    for (int i = first; i < first + 3; i++) text += key_line(i) + "\n";
    auto f = parse_ticket_keys(text, "keys", 3);
    EXPECT_TRUE(f) << f.error().message;
    EXPECT_TRUE(keys_a_.install(f->keys, f->sealing));
    EXPECT_TRUE(keys_b_.install(f->keys, f->sealing));
    return std::move(f.value());
  }

  std::vector<std::string> lines_;
  TicketKeys keys_a_, keys_b_;
  bssl::UniquePtr<SSL_CTX> node_a_, node_b_;
};

TEST_P(FileKeysTest, TheSecondToLastKeySealsWithTheFilesAesAndHmacKeys) {
  TicketKeyFile f = load_both(0);
  Outcome first = connect(node_a_.get(), nullptr);
  ASSERT_TRUE(first.ok);
  ASSERT_TRUE(first.ticket);
  const TicketKeys::Key& k = f.keys[1];
  EXPECT_EQ(ticket_name(first.ticket.get()), key_bytes(k).substr(0, TicketKeys::kNameLen));
  // The ticket is name | IV | AES-CBC ciphertext | HMAC-SHA256 over the rest, made with the
  // file's bytes as the header documents: check it by hand.
  const uint8_t* t = nullptr;
  size_t len = 0;
  SSL_SESSION_get0_ticket(first.ticket.get(), &t, &len);
  ASSERT_GT(len, 16u + 16u + 32u);
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  HMAC(EVP_sha256(), k.hmac, size() == 80 ? 32 : 16, t, len - 32, mac, &mac_len);
  ASSERT_EQ(mac_len, 32u);
  EXPECT_EQ(memcmp(mac, t + len - 32, 32), 0) << "HMAC key is not the file's bytes 32-48/48-80";
  bssl::ScopedEVP_CIPHER_CTX d;
  const EVP_CIPHER* aes = size() == 80 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
  ASSERT_TRUE(EVP_DecryptInit_ex(d.get(), aes, nullptr, k.aes, t + 16));
  std::vector<uint8_t> plain(len);
  int n = 0, m = 0;
  ASSERT_TRUE(EVP_DecryptUpdate(d.get(), plain.data(), &n, t + 32, int(len - 64)));
  EXPECT_TRUE(EVP_DecryptFinal_ex(d.get(), plain.data() + n, &m))
      << "AES key is not the file's bytes 16-32/16-48";
}

TEST_P(FileKeysTest, ATicketFromNodeAResumesOnNodeBAndSurvivesOneRotation) {
  load_both(0);  // keys 0 1 2: 1 seals
  Outcome first = connect(node_a_.get(), nullptr);
  ASSERT_TRUE(first.ticket);
  Outcome on_b = connect(node_b_.get(), first.ticket.get());
  ASSERT_TRUE(on_b.ok);
  EXPECT_TRUE(on_b.resumed);
  EXPECT_EQ(keys_b_.renewed(), 0u);

  load_both(1);  // HAProxy-style rotation: keys 1 2 3, 2 seals, 1 still opens
  Outcome after = connect(node_b_.get(), first.ticket.get());
  ASSERT_TRUE(after.ok);
  EXPECT_TRUE(after.resumed);
  EXPECT_EQ(keys_b_.renewed(), 1u);
  ASSERT_TRUE(after.ticket);
  EXPECT_EQ(ticket_name(after.ticket.get()), current_name(keys_b_));  // re-issued
  EXPECT_NE(ticket_name(after.ticket.get()), ticket_name(first.ticket.get()));

  load_both(2);  // keys 2 3 4: key 1 left the file: a full handshake, never an error
  Outcome gone = connect(node_a_.get(), first.ticket.get());
  ASSERT_TRUE(gone.ok);
  EXPECT_FALSE(gone.resumed);
  EXPECT_EQ(keys_a_.unknown_key(), 1u);
  // The re-issued ticket (key 2) still resumes.
  Outcome renewed = connect(node_a_.get(), after.ticket.get());
  EXPECT_TRUE(renewed.resumed);
}

TEST_P(FileKeysTest, PerProcessTicketsGetAFullHandshakeOnceFileKeysAreIn) {
  Outcome first = connect(node_a_.get(), nullptr);
  ASSERT_TRUE(first.ticket);
  load_both(0);
  Outcome second = connect(node_a_.get(), first.ticket.get());
  ASSERT_TRUE(second.ok);
  EXPECT_FALSE(second.resumed);
  EXPECT_EQ(keys_a_.unknown_key(), 1u);
}

INSTANTIATE_TEST_SUITE_P(VersionsAndSizes, FileKeysTest,
                         ::testing::Combine(::testing::Values(uint16_t{TLS1_2_VERSION},
                                                              uint16_t{TLS1_3_VERSION}),
                                            ::testing::Values(size_t{48}, size_t{80})),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == TLS1_3_VERSION ? "Tls13"
                                                                                        : "Tls12") +
                                  (std::get<1>(info.param) == 80 ? "Aes256" : "Aes128");
                         });

TEST(TicketKeysTest, SnapshotBeforeAndAfterRotation) {
  TicketKeys keys;
  size_t sealing = 9;
  std::vector<TicketKeys::Key> before = held(keys, &sealing);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(sealing, 0u);
  EXPECT_EQ(before[0].aes_len, 16);
  EXPECT_EQ(before[0].hmac_len, 32);
  EXPECT_EQ(keys.rotations(), 0u);
  EXPECT_TRUE(keys.rotate());
  std::vector<TicketKeys::Key> after = held(keys, &sealing);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(sealing, 0u);
  EXPECT_EQ(keys.rotations(), 1u);
  EXPECT_EQ(key_bytes(after[1]), key_bytes(before[0]));
  EXPECT_NE(key_bytes(after[0]), key_bytes(before[0]));
  EXPECT_TRUE(keys.rotate());
  EXPECT_EQ(held(keys).size(), 2u);  // the oldest is gone
}

TEST(TicketKeysTest, EachObjectStartsWithItsOwnRandomKey) {
  TicketKeys a, b;
  EXPECT_NE(key_bytes(held(a)[0]), key_bytes(held(b)[0]));
}

TEST(TicketKeysTest, InstalledKeysStayUntilReplacedAndRefuseBadSets) {
  TicketKeys keys;
  TicketKeys::Key k[3] = {};
  for (int i = 0; i < 3; i++) {
    memset(k[i].name, 'a' + i, sizeof(k[i].name));
    k[i].aes_len = k[i].hmac_len = 32;
  }
  EXPECT_FALSE(keys.install(std::span(k, 0), 0));
  EXPECT_FALSE(keys.install(std::span(k, 3), 3));
  k[2].aes_len = 24;
  EXPECT_FALSE(keys.install(std::span(k, 3), 1));
  EXPECT_FALSE(keys.from_file());
  k[2].aes_len = 32;
  ASSERT_TRUE(keys.install(std::span(k, 3), 1));
  EXPECT_TRUE(keys.from_file());
  EXPECT_FALSE(keys.rotate());  // file keys are rotated by the file
  EXPECT_EQ(keys.rotations(), 0u);
  size_t sealing = 0;
  std::vector<TicketKeys::Key> h = held(keys, &sealing);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(sealing, 1u);
  for (int i = 0; i < 3; i++) EXPECT_EQ(key_bytes(h[i]), key_bytes(k[i]));
  // A smaller set leaves nothing of the larger one behind.
  ASSERT_TRUE(keys.install(std::span(k + 2, 1), 0));
  EXPECT_EQ(held(keys).size(), 1u);
  keys.use_random();
  EXPECT_FALSE(keys.from_file());
  h = held(keys);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_NE(h[0].name[0], 'c');
  EXPECT_TRUE(keys.rotate());
}

TEST(TicketKeysTest, SnapshotIsNeverTornWhileAnotherThreadRotates) {
  TicketKeys keys;
  constexpr int kRotations = 20000;
  // Every key that was ever current, in order; written by the (single) rotating thread.
  std::vector<std::string> history;
  history.reserve(kRotations + 1);
  history.push_back(key_bytes(held(keys)[0]));
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
        std::vector<TicketKeys::Key> h = held(keys);
        seen[r].push_back({key_bytes(h[0]), h.size() > 1 ? key_bytes(h[1]) : "", h.size() > 1});
      }
    });
  }
  for (int i = 0; i < kRotations; i++) {
    keys.rotate();
    history.push_back(key_bytes(held(keys)[0]));
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
