// Tests of sipring's in-place TLS 1.3 record layer on its own: an RFC 8448 known answer, key
// derivation and sequence rules of one direction, KeyUpdate counting and the alert each refusal
// names. Against a BoringSSL peer: record_tls13_boringssl_test.cc.
#include "crypto/record_tls13.h"

#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "tests/testing/tls_pair.h"

namespace sipring {
namespace {

using test::as_bytes;
using test::as_string;
using test::MemSsl;
using test::pattern;
using test::TlsEnv;

std::vector<uint8_t> hex(const char* s) {
  std::vector<uint8_t> out;
  int hi = -1;
  for (; *s; s++) {
    int v = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : -1;
    if (v < 0) continue;
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<uint8_t>(hi << 4 | v));
      hi = -1;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Both ends of a record stream from given secrets: KeyUpdate counting and alert codes.

// The write direction of a peer whose records a Tls13RecordLayer reads (its read secret).
class PeerWriter {
 public:
  explicit PeerWriter(Tls13RecordLayer* reader) {
    uint8_t read_secret[32], write_secret[32];
    for (int i = 0; i < 32; i++) {
      read_secret[i] = static_cast<uint8_t>(i);
      write_secret[i] = static_cast<uint8_t>(0x80 + i);
    }
    EXPECT_TRUE(reader->init(0x1301, {read_secret, 32}, 0, {write_secret, 32}, 0));
    EXPECT_TRUE(dir_.init(0x1301, {read_secret, 32}, 0));
  }
  // A protected record with inner `content` and inner type `type`.
  std::vector<uint8_t> record(std::span<const uint8_t> content, uint8_t type) {
    const size_t body = content.size() + 1 + Tls13RecordLayer::kTagLen;
    std::vector<uint8_t> rec(5 + body);
    rec[0] = 23;
    rec[1] = rec[2] = 3;
    rec[3] = static_cast<uint8_t>(body >> 8);
    rec[4] = static_cast<uint8_t>(body);
    if (!content.empty()) memcpy(rec.data() + 5, content.data(), content.size());
    EXPECT_EQ(dir_.seal(rec.data() + 5, content.size(), type, rec.data()), body);
    return rec;
  }
  // A KeyUpdate record, after which the peer writes under its next key.
  std::vector<uint8_t> key_update(uint8_t request) {
    const uint8_t msg[5] = {24, 0, 0, 1, request};
    std::vector<uint8_t> rec = record(msg, 22);
    EXPECT_TRUE(dir_.update());
    return rec;
  }

 private:
  Tls13Direction dir_;
};

// Part 5 of issue 8: every KeyUpdate counts, whether or not it asks for ours.
TEST(Tls13RecordLayerTest, EveryKeyUpdateIsCountedRequestedOrNot) {
  Tls13RecordLayer ours;
  PeerWriter peer(&ours);
  std::span<uint8_t> pt;
  uint8_t alert = 0xff;
  for (uint8_t request : {uint8_t{0}, uint8_t{0}, uint8_t{1}, uint8_t{0}}) {
    SCOPED_TRACE(int(request));
    std::vector<uint8_t> rec = peer.key_update(request);
    bool reply = request == 0;  // set from the message, not left as it was
    EXPECT_EQ(ours.open(rec.data(), rec.size(), &pt, &alert, &reply),
              Tls13RecordLayer::Open::kKeyUpdate);
    EXPECT_EQ(alert, 0);
    EXPECT_EQ(reply, request == 1);
  }
  EXPECT_EQ(ours.key_updates(), 4u);
  // Data under the peer's latest key opens.
  std::vector<uint8_t> rec = peer.record(as_bytes("abc"), 23);
  bool reply = false;
  ASSERT_EQ(ours.open(rec.data(), rec.size(), &pt, &alert, &reply), Tls13RecordLayer::Open::kData);
  EXPECT_EQ(as_string(pt), "abc");
}

TEST(Tls13RecordLayerTest, KeyUpdateWithABadRequestValueIsIllegalParameterAndNotCounted) {
  Tls13RecordLayer ours;
  PeerWriter peer(&ours);
  std::vector<uint8_t> rec = peer.key_update(2);
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool reply = false;
  EXPECT_EQ(ours.open(rec.data(), rec.size(), &pt, &alert, &reply), Tls13RecordLayer::Open::kError);
  EXPECT_EQ(alert, SSL_AD_ILLEGAL_PARAMETER);
  EXPECT_STREQ(ours.error(), "KeyUpdate request neither 0 nor 1");
  EXPECT_EQ(ours.key_updates(), 0u);
  EXPECT_FALSE(reply);
}

TEST(Tls13RecordLayerTest, EachRefusalNamesItsAlert) {
  struct Case {
    std::vector<uint8_t> inner;  // content, then the type byte seal() appends
    uint8_t type;
    uint8_t alert;
  };
  const Case cases[] = {
      {{1, 0, 0, 0}, 22, SSL_AD_UNEXPECTED_MESSAGE},         // ClientHello (renegotiation attempt)
      {{4, 0, 0, 1, 0}, 22, SSL_AD_UNEXPECTED_MESSAGE},      // NewSessionTicket from a client
      {{24, 0, 0, 1, 0, 0}, 22, SSL_AD_UNEXPECTED_MESSAGE},  // data after a KeyUpdate
      {{24, 0, 1, 0, 0}, 22, SSL_AD_DECODE_ERROR},           // wrong KeyUpdate length
      {{}, 22, SSL_AD_DECODE_ERROR},                         // empty handshake record
      {{2}, 21, SSL_AD_DECODE_ERROR},                        // one-byte alert
      {{1, 2, 3}, 20, SSL_AD_UNEXPECTED_MESSAGE},  // change_cipher_spec after the handshake
      {{1, 2, 3}, 99, SSL_AD_UNEXPECTED_MESSAGE},  // unknown content type
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.inner) + " type " + std::to_string(c.type));
    Tls13RecordLayer ours;
    PeerWriter peer(&ours);
    std::vector<uint8_t> rec = peer.record(c.inner, c.type);
    std::span<uint8_t> pt;
    uint8_t alert = 0;
    bool reply = false;
    EXPECT_EQ(ours.open(rec.data(), rec.size(), &pt, &alert, &reply),
              Tls13RecordLayer::Open::kError);
    EXPECT_EQ(alert, c.alert);
    EXPECT_STRNE(ours.error(), "");
  }
}

// ---------------------------------------------------------------------------------------------
// One direction, without a handshake.

// RFC 8448 §3 (simple 1-RTT handshake): the server's application data record, its second record
// under server_application_traffic_secret_0 (the NewSessionTicket was sequence 0).
TEST(Tls13DirectionTest, SealsTheRfc8448ServerApplicationRecord) {
  std::vector<uint8_t> secret =
      hex("a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb "
          "63 16 43");
  std::vector<uint8_t> plaintext(50);
  for (size_t i = 0; i < plaintext.size(); i++) plaintext[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> expected = hex(
      "17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4 a4 69 32 fc 32 25 d0 5f 82 aa "
      "1b 36 e3 0e fa f9 7d 90 e6 df fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2 "
      "ab f3 32 54 0d d0 32 e1 67 c2 95 5d");

  Tls13Direction w;
  ASSERT_TRUE(w.init(0x1301, secret, 1));
  std::vector<uint8_t> rec(5 + 50 + 17);
  memcpy(rec.data(), expected.data(), 5);
  memcpy(rec.data() + 5, plaintext.data(), 50);
  EXPECT_EQ(w.seal(rec.data() + 5, 50, 23, rec.data()), 67u);
  EXPECT_EQ(rec, expected);
  EXPECT_EQ(w.seq(), 2u);

  Tls13Direction r;
  ASSERT_TRUE(r.init(0x1301, secret, 1));
  size_t inner = 0;
  ASSERT_TRUE(r.open(expected.data() + 5, 67, expected.data(), &inner));
  ASSERT_EQ(inner, 51u);
  EXPECT_EQ(std::vector<uint8_t>(expected.begin() + 5, expected.begin() + 55), plaintext);
  EXPECT_EQ(expected[55], 23);
}

TEST(Tls13DirectionTest, RejectsUnknownSuitesAndWrongSecretLengths) {
  uint8_t secret[48] = {1, 2, 3};
  Tls13Direction d;
  EXPECT_FALSE(d.init(0x1304, {secret, 32}, 0));  // AES-128-CCM: not implemented
  EXPECT_FALSE(d.init(0xC02B, {secret, 32}, 0));  // a TLS 1.2 suite
  EXPECT_FALSE(d.init(0x1301, {secret, 48}, 0));  // SHA-256 suites take 32-byte secrets
  EXPECT_FALSE(d.init(0x1302, {secret, 32}, 0));  // SHA-384 suites take 48-byte secrets
  EXPECT_FALSE(d.update());                       // nothing to update yet
  EXPECT_TRUE(d.init(0x1302, {secret, 48}, 0));
  EXPECT_TRUE(d.init(0x1303, {secret, 32}, 5));  // re-initialising is allowed
  EXPECT_EQ(d.seq(), 5u);
}

class Tls13DirectionSuiteTest : public ::testing::TestWithParam<uint16_t> {
 protected:
  size_t secret_len() const { return GetParam() == 0x1302 ? 48 : 32; }
};

TEST_P(Tls13DirectionSuiteTest, OpenInvertsSealAndSequencesMustMatch) {
  uint8_t secret[48];
  RAND_bytes(secret, sizeof(secret));
  Tls13Direction w, r, late;
  ASSERT_TRUE(w.init(GetParam(), {secret, secret_len()}, 0));
  ASSERT_TRUE(r.init(GetParam(), {secret, secret_len()}, 0));
  ASSERT_TRUE(late.init(GetParam(), {secret, secret_len()}, 1));
  const uint8_t header[5] = {23, 3, 3, 0, 0};
  for (uint32_t i = 0; i < 20; i++) {
    std::vector<uint8_t> pt = pattern(i * 50, i);
    std::vector<uint8_t> buf(pt.size() + 17);
    std::copy(pt.begin(), pt.end(), buf.begin());
    ASSERT_EQ(w.seal(buf.data(), pt.size(), 23, header), pt.size() + 17);
    if (i == 0) {
      // Sealed at sequence 0: a reader expecting sequence 1 must reject it.
      std::vector<uint8_t> copy = buf;
      size_t n = 0;
      EXPECT_FALSE(late.open(copy.data(), copy.size(), header, &n));
      EXPECT_EQ(late.seq(), 1u);  // a failed open does not advance
    }
    size_t n = 0;
    ASSERT_TRUE(r.open(buf.data(), buf.size(), header, &n)) << i;
    ASSERT_EQ(n, pt.size() + 1);
    EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + pt.size()), pt);
  }
  EXPECT_EQ(w.seq(), 20u);
  EXPECT_EQ(r.seq(), 20u);
}

TEST_P(Tls13DirectionSuiteTest, UpdateChangesTheKeyAndResetsTheSequence) {
  uint8_t secret[48];
  RAND_bytes(secret, sizeof(secret));
  Tls13Direction w, r;
  ASSERT_TRUE(w.init(GetParam(), {secret, secret_len()}, 7));
  ASSERT_TRUE(r.init(GetParam(), {secret, secret_len()}, 7));
  const uint8_t header[5] = {23, 3, 3, 0, 0};
  ASSERT_TRUE(w.update());
  EXPECT_EQ(w.seq(), 0u);
  uint8_t buf[64] = "after update";
  ASSERT_NE(w.seal(buf, 12, 23, header), 0u);
  size_t n = 0;
  uint8_t copy[64];
  memcpy(copy, buf, sizeof(buf));
  // The reader still on the old key (at the old or the new sequence) cannot open it.
  EXPECT_FALSE(r.open(copy, 12 + 17, header, &n));
  ASSERT_TRUE(r.update());
  EXPECT_EQ(r.seq(), 0u);
  ASSERT_TRUE(r.open(buf, 12 + 17, header, &n));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buf), 12), "after update");
}

TEST_P(Tls13DirectionSuiteTest, HeaderIsAuthenticated) {
  uint8_t secret[48];
  RAND_bytes(secret, sizeof(secret));
  Tls13Direction w, r;
  ASSERT_TRUE(w.init(GetParam(), {secret, secret_len()}, 0));
  ASSERT_TRUE(r.init(GetParam(), {secret, secret_len()}, 0));
  const uint8_t header[5] = {23, 3, 3, 0, 30};
  const uint8_t other[5] = {23, 3, 1, 0, 30};
  uint8_t buf[64] = "authenticated";
  ASSERT_NE(w.seal(buf, 13, 23, header), 0u);
  size_t n = 0;
  EXPECT_FALSE(r.open(buf, 30, other, &n));
}

INSTANTIATE_TEST_SUITE_P(Suites, Tls13DirectionSuiteTest,
                         ::testing::Values(uint16_t{0x1301}, uint16_t{0x1302}, uint16_t{0x1303}),
                         [](const auto& info) {
                           return info.param == 0x1301   ? "Aes128Gcm"
                                  : info.param == 0x1302 ? "Aes256Gcm"
                                                         : "ChaCha20Poly1305";
                         });

TEST(Tls13RecordLayerTest, InitFromRefusesATls12Connection) {
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx("TLSv1.2");
  ASSERT_TRUE(sctx && cctx);
  auto client = MemSsl::client(cctx.get());
  auto server = MemSsl::server(sctx.get());
  for (int i = 0; i < 6; i++) {
    SSL_do_handshake(client->ssl());
    server->give(client->take());
    SSL_do_handshake(server->ssl());
    client->give(server->take());
  }
  ASSERT_FALSE(SSL_in_init(client->ssl()));
  ASSERT_EQ(SSL_version(client->ssl()), TLS1_2_VERSION);
  Tls13RecordLayer layer;
  EXPECT_FALSE(layer.init_from(client->ssl()));
}

}  // namespace
}  // namespace sipring
