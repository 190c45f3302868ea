// Tests of sipring's in-place TLS 1.3 record layer against a BoringSSL client over memory:
// every TLS 1.3 suite (AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305), KeyUpdate in both request
// modes, and the checks on records a peer may send (padding, alerts, unexpected messages,
// sizes, replays). The record layer alone: record_tls13_test.cc.
//
// Suite selection: BoringSSL clients offer a fixed TLS 1.3 suite order that cannot be configured.
// A server with AES hardware honours it (AES-128-GCM), prefers AES-256-GCM when the key exchange
// is CECPQ2 (so the AES-256 tests add CECPQ2 to both contexts), and prefers ChaCha20 only without
// AES hardware; the ChaCha20 tests therefore run in a child process started with OPENSSL_ia32cap
// hiding AES-NI.
#include "crypto/record_tls13.h"

#include <gtest/gtest.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "crypto/tls_conn.h"
#include "tests/testing/tls_pair.h"

namespace sipring {
namespace {

using test::as_bytes;
using test::as_string;
using test::MemSsl;
using test::pattern;
using test::seal_record;
using test::split_records;
using test::TlsEnv;
using test::VectorSink;

// What the child process sets to hide AES-NI from BoringSSL (bit 57 of OPENSSL_ia32cap).
constexpr const char* kNoAesNi = "~0x200000000000000";

// ---------------------------------------------------------------------------------------------
// Against BoringSSL, per suite.

struct Suite {
  uint16_t id;
  const char* name;
};

class RecordTls13Test : public ::testing::TestWithParam<Suite> {
 protected:
  void SetUp() override {
    const uint16_t id = GetParam().id;
    const bool aes_hw = EVP_has_aes_hardware() != 0;
    if (id == 0x1303 && aes_hw) {
      GTEST_SKIP() << "ChaCha20 is only chosen without AES hardware: run by "
                      "RecordTls13ChildTest.ChaCha20SuiteWithoutAesHardware in a child process";
    }
    if (id != 0x1303 && !aes_hw) {
      GTEST_SKIP() << "BoringSSL prefers ChaCha20 without AES hardware";
    }
    sctx_ = TlsEnv::get().server_ctx();
    ASSERT_NE(sctx_, nullptr);
    cctx_ = TlsEnv::client_ctx("TLSv1.3");
    ASSERT_NE(cctx_, nullptr);
    if (id == 0x1302) {
      // With CECPQ2 BoringSSL servers rank AES-128 below the 256-bit suites.
      ASSERT_TRUE(SSL_CTX_set1_curves_list(sctx_.get(), "CECPQ2:X25519"));
      ASSERT_TRUE(SSL_CTX_set1_curves_list(cctx_.get(), "CECPQ2"));
    }
    client_ = MemSsl::client(cctx_.get());
    server_ = TlsConn::server(sctx_.get());
    std::string error;
    ASSERT_TRUE(test::handshake(*client_, *server_, &error)) << error;
    ASSERT_EQ(server_->mode(), TlsConn::Mode::kDirect13);
    ASSERT_EQ(server_->cipher(), id) << "negotiated a different suite";
    std::vector<uint8_t> none;
    ASSERT_EQ(client_->read_all(&none), SSL_ERROR_WANT_READ);  // takes the ticket
  }

  struct Opened {
    TlsConn::Open result;
    uint8_t alert;
    bool key_update;
    std::string plaintext;
  };
  Opened open(std::vector<uint8_t> rec) {
    Opened o{TlsConn::Open::kError, 0xff, false, {}};
    std::span<uint8_t> pt;
    o.result = server_->open(rec.data(), rec.size(), &pt, &o.alert, &o.key_update);
    if (o.result == TlsConn::Open::kData) o.plaintext = as_string(pt);
    return o;
  }
  // Client writes `msg` (after whatever SSL_key_update queued); returns the opened records.
  std::vector<Opened> client_sends(const std::string& msg) {
    std::vector<Opened> out;
    for (auto& rec : split_records(client_->write(as_bytes(msg)))) out.push_back(open(rec));
    return out;
  }
  // Server seals `msg`; returns what the client reads (and checks the read ran dry cleanly).
  std::string server_sends(const std::string& msg) {
    std::vector<uint8_t> rec = seal_record(*server_, as_bytes(msg));
    EXPECT_FALSE(rec.empty());
    client_->give(rec);
    std::vector<uint8_t> got;
    EXPECT_EQ(client_->read_all(&got), SSL_ERROR_WANT_READ);
    return as_string(got);
  }
  // A record layer holding the client's write keys, to craft records BoringSSL would not send.
  // The client SSL must not write after this.
  std::unique_ptr<Tls13RecordLayer> forge() {
    auto peer = std::make_unique<Tls13RecordLayer>();
    EXPECT_TRUE(peer->init_from(client_->ssl()));
    return peer;
  }
  static std::vector<uint8_t> forge_record(Tls13RecordLayer& peer, std::span<const uint8_t> inner,
                                           uint8_t type) {
    std::vector<uint8_t> rec(5 + inner.size() + 17);
    if (!inner.empty()) memcpy(rec.data() + 5, inner.data(), inner.size());
    size_t n = peer.seal(rec.data(), inner.size(), type);
    EXPECT_EQ(n, rec.size());
    return rec;
  }

  bssl::UniquePtr<SSL_CTX> sctx_;
  bssl::UniquePtr<SSL_CTX> cctx_;
  std::unique_ptr<MemSsl> client_;
  std::unique_ptr<TlsConn> server_;
};

TEST_P(RecordTls13Test, NegotiatesTheSuiteAndReportsFacts) {
  EXPECT_EQ(server_->version(), TLS1_3_VERSION);
  EXPECT_EQ(server_->cipher(), GetParam().id);
  EXPECT_FALSE(server_->resumed());
  EXPECT_EQ(server_->record_prefix(), Tls13RecordLayer::kHeaderLen);
  EXPECT_EQ(server_->record_suffix_max(), 1 + Tls13RecordLayer::kTagLen);
}

TEST_P(RecordTls13Test, RoundTripsEverySizeBothWays) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{1500}, size_t{4096}, size_t{16383},
                      size_t{16384}}) {
    SCOPED_TRACE(size);
    std::string msg = as_string(pattern(size, static_cast<uint32_t>(size)));
    EXPECT_EQ(server_sends(msg), msg);
    if (size == 0) continue;  // SSL_write sends no record for zero bytes
    auto got = client_sends(msg);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].result, TlsConn::Open::kData);
    EXPECT_EQ(got[0].plaintext, msg);
  }
}

TEST_P(RecordTls13Test, SealedRecordIsExactlyPlaintextPlusOverhead) {
  std::vector<uint8_t> rec = seal_record(*server_, pattern(300, 1));
  ASSERT_EQ(rec.size(), 300 + Tls13RecordLayer::kOverhead);
  EXPECT_EQ(rec[0], 23);  // outer type is always application_data
  EXPECT_EQ(rec[1], 3);
  EXPECT_EQ(rec[2], 3);
  EXPECT_EQ((rec[3] << 8) | rec[4], 300 + 17);
}

TEST_P(RecordTls13Test, KeyUpdateRequestedIsAnsweredAndTrafficContinues) {
  for (int round = 0; round < 5; round++) {
    SCOPED_TRACE(round);
    ASSERT_TRUE(SSL_key_update(client_->ssl(), SSL_KEY_UPDATE_REQUESTED));
    auto got = client_sends("after client update " + std::to_string(round));
    ASSERT_EQ(got.size(), 2u);  // KeyUpdate, then data under the new key
    EXPECT_EQ(got[0].result, TlsConn::Open::kKeyUpdate);
    EXPECT_TRUE(got[0].key_update);
    EXPECT_EQ(got[1].result, TlsConn::Open::kData) << int(got[1].alert);
    EXPECT_FALSE(got[1].key_update);
    EXPECT_EQ(got[1].plaintext, "after client update " + std::to_string(round));

    // Staged data goes out under the old key, then our KeyUpdate, then the new key.
    std::vector<uint8_t> staged = seal_record(*server_, as_bytes("staged before the reply"));
    VectorSink sink;
    ASSERT_TRUE(server_->seal_key_update(sink));
    ASSERT_EQ(split_records(sink.bytes).size(), 1u);
    client_->give(staged);
    client_->give(sink.bytes);
    std::vector<uint8_t> got_client;
    ASSERT_EQ(client_->read_all(&got_client), SSL_ERROR_WANT_READ);
    EXPECT_EQ(as_string(got_client), "staged before the reply");
    EXPECT_EQ(server_sends("under the new server key"), "under the new server key");

    auto later = client_sends("later");
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].result, TlsConn::Open::kData);
    EXPECT_EQ(later[0].plaintext, "later");
  }
}

TEST_P(RecordTls13Test, KeyUpdateNotRequestedNeedsNoReply) {
  ASSERT_TRUE(SSL_key_update(client_->ssl(), SSL_KEY_UPDATE_NOT_REQUESTED));
  auto got = client_sends("new client key");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].result, TlsConn::Open::kKeyUpdate);  // counted, though nothing to answer
  EXPECT_FALSE(got[0].key_update);
  EXPECT_EQ(got[1].result, TlsConn::Open::kData);
  EXPECT_EQ(got[1].plaintext, "new client key");
  // Our write key did not change: the client still reads us.
  EXPECT_EQ(server_sends("old server key"), "old server key");
  auto later = client_sends("still new client key");
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].plaintext, "still new client key");
}

TEST_P(RecordTls13Test, KeyUpdateFlushedWithoutDataIsHandled) {
  ASSERT_TRUE(SSL_key_update(client_->ssl(), SSL_KEY_UPDATE_REQUESTED));
  auto got = client_sends("");  // an empty SSL_write flushes the KeyUpdate alone
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].result, TlsConn::Open::kKeyUpdate);
  EXPECT_TRUE(got[0].key_update);
  VectorSink sink;
  ASSERT_TRUE(server_->seal_key_update(sink));
  client_->give(sink.bytes);
  EXPECT_EQ(server_sends("ok"), "ok");
}

TEST_P(RecordTls13Test, UnpromptedServerKeyUpdateIsAcceptedByTheClient) {
  for (int i = 0; i < 40; i++) {
    VectorSink sink;
    ASSERT_TRUE(server_->seal_key_update(sink));
    client_->give(sink.bytes);
    ASSERT_EQ(server_sends("gen " + std::to_string(i)), "gen " + std::to_string(i));
  }
  auto got = client_sends("client key unchanged");
  ASSERT_EQ(got.size(), 1u);  // not_requested: the client does not answer
  EXPECT_EQ(got[0].plaintext, "client key unchanged");
}

TEST_P(RecordTls13Test, ManyRecordsWithKeyUpdatesInterleaved) {
  for (int i = 0; i < 300; i++) {
    if (i % 50 == 25) {
      ASSERT_TRUE(SSL_key_update(client_->ssl(), SSL_KEY_UPDATE_REQUESTED));
    }
    std::string msg = as_string(pattern(1 + (i * 97) % 5000, i));
    auto got = client_sends(msg);
    ASSERT_FALSE(got.empty());
    bool reply = false;
    for (auto& o : got) reply |= o.key_update;
    ASSERT_EQ(got.back().plaintext, msg) << i;
    if (reply) {
      VectorSink sink;
      ASSERT_TRUE(server_->seal_key_update(sink));
      client_->give(sink.bytes);
    }
    ASSERT_EQ(server_sends(msg), msg) << i;
  }
}

TEST_P(RecordTls13Test, CorruptedRecordIsBadRecordMac) {
  std::vector<uint8_t> wire = client_->write(as_bytes("some SIP bytes"));
  for (size_t pos : {size_t{5}, wire.size() / 2, wire.size() - 1}) {
    std::vector<uint8_t> bad = wire;
    bad[pos] ^= 0x10;
    Opened o = open(bad);
    EXPECT_EQ(o.result, TlsConn::Open::kError) << pos;
    EXPECT_EQ(o.alert, SSL_AD_BAD_RECORD_MAC) << pos;
  }
  // A corrupted length (the header is additional data) fails too.
  std::vector<uint8_t> bad(wire.begin(), wire.end() - 1);
  bad[4] = static_cast<uint8_t>(bad[4] - 1);
  EXPECT_EQ(open(bad).alert, SSL_AD_BAD_RECORD_MAC);
  // A failed open did not advance the sequence: the intact record still opens.
  Opened ok = open(wire);
  EXPECT_EQ(ok.result, TlsConn::Open::kData);
  EXPECT_EQ(ok.plaintext, "some SIP bytes");
}

TEST_P(RecordTls13Test, ReplayedOrReorderedRecordsAreRejected) {
  std::vector<uint8_t> first = client_->write(as_bytes("one"));
  std::vector<uint8_t> second = client_->write(as_bytes("two"));
  EXPECT_EQ(open(second).alert, SSL_AD_BAD_RECORD_MAC);  // sequence 1 while 0 is expected
  EXPECT_EQ(open(first).plaintext, "one");
  EXPECT_EQ(open(first).alert, SSL_AD_BAD_RECORD_MAC);  // replay
  EXPECT_EQ(open(second).plaintext, "two");
}

TEST_P(RecordTls13Test, CloseNotifyBothWays) {
  VectorSink sink;
  ASSERT_TRUE(server_->close_notify(sink));
  client_->give(sink.bytes);
  std::vector<uint8_t> got;
  EXPECT_EQ(client_->read_all(&got), SSL_ERROR_ZERO_RETURN);

  ASSERT_GE(SSL_shutdown(client_->ssl()), 0);
  auto recs = split_records(client_->take());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(open(recs[0]).result, TlsConn::Open::kCloseNotify);
}

TEST_P(RecordTls13Test, PaddedRecordOpens) {
  auto peer = forge();
  // Inner plaintext: data, the real type, then zero padding (RFC 8446 §5.4). seal() appends one
  // more byte, which is the last padding zero here.
  std::string data = "padded message";
  std::vector<uint8_t> inner(data.begin(), data.end());
  inner.push_back(23);
  inner.resize(inner.size() + 200, 0);
  Opened o = open(forge_record(*peer, inner, 0));
  EXPECT_EQ(o.result, TlsConn::Open::kData);
  EXPECT_EQ(o.plaintext, data);
}

TEST_P(RecordTls13Test, AllZeroInnerPlaintextIsUnexpectedMessage) {
  auto peer = forge();
  std::vector<uint8_t> zeros(10, 0);
  Opened o = open(forge_record(*peer, zeros, 0));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_UNEXPECTED_MESSAGE);
}

TEST_P(RecordTls13Test, EmptyApplicationDataIsDataOfLengthZero) {
  auto peer = forge();
  Opened o = open(forge_record(*peer, {}, 23));
  EXPECT_EQ(o.result, TlsConn::Open::kData);
  EXPECT_EQ(o.plaintext, "");
}

TEST_P(RecordTls13Test, AlertsFromThePeer) {
  auto peer = forge();
  const uint8_t user_canceled[2] = {1, 90};
  EXPECT_EQ(open(forge_record(*peer, user_canceled, 21)).result, TlsConn::Open::kHandled);
  const uint8_t fatal[2] = {2, 40};  // handshake_failure
  Opened o = open(forge_record(*peer, fatal, 21));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, 0);  // nothing to send back to a peer that gave up
  const uint8_t too_long[3] = {1, 0, 0};
  o = open(forge_record(*peer, too_long, 21));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_DECODE_ERROR);
  const uint8_t close_notify[2] = {1, 0};
  EXPECT_EQ(open(forge_record(*peer, close_notify, 21)).result, TlsConn::Open::kCloseNotify);
}

TEST_P(RecordTls13Test, HandshakeMessagesOtherThanKeyUpdateAreRejected) {
  auto peer = forge();
  // A NewSessionTicket header: clients never send one.
  const uint8_t nst[5] = {4, 0, 0, 1, 0};
  Opened o = open(forge_record(*peer, nst, 22));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_UNEXPECTED_MESSAGE);
}

TEST_P(RecordTls13Test, MalformedKeyUpdatesAreRejected) {
  auto peer = forge();
  const uint8_t bad_request[5] = {24, 0, 0, 1, 2};
  Opened o = open(forge_record(*peer, bad_request, 22));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_ILLEGAL_PARAMETER);
  // KeyUpdate must end its record; one followed by another message is refused.
  const uint8_t two[10] = {24, 0, 0, 1, 0, 24, 0, 0, 1, 0};
  o = open(forge_record(*peer, two, 22));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_UNEXPECTED_MESSAGE);
}

TEST_P(RecordTls13Test, MalformedKeyUpdateLengthsAreDecodeErrors) {
  auto peer = forge();
  const uint8_t long_body[6] = {24, 0, 0, 2, 0, 0};  // a KeyUpdate body is one byte
  Opened o = open(forge_record(*peer, long_body, 22));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_DECODE_ERROR);
  EXPECT_STREQ(server_->failure_reason(), "malformed KeyUpdate");
}

TEST_P(RecordTls13Test, FragmentedKeyUpdateIsADecodeError) {
  auto peer = forge();
  const uint8_t head[3] = {24, 0, 0};  // sipring does not reassemble handshake messages
  Opened o = open(forge_record(*peer, head, 22));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_DECODE_ERROR);
}

TEST_P(RecordTls13Test, PostHandshakeClientHelloIsUnexpectedMessage) {
  auto peer = forge();
  const uint8_t client_hello[8] = {1, 0, 0, 4, 3, 3, 0, 0};
  Opened o = open(forge_record(*peer, client_hello, 22));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_UNEXPECTED_MESSAGE);
  EXPECT_STREQ(server_->failure_reason(), "post-handshake message other than KeyUpdate");
}

TEST_P(RecordTls13Test, PeersFatalAlertIsNamedAndNotAnswered) {
  auto peer = forge();
  const uint8_t bad_certificate[2] = {2, 42};
  Opened o = open(forge_record(*peer, bad_certificate, 21));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, 0);
  EXPECT_STREQ(server_->failure_reason(), SSL_alert_desc_string_long(42));
}

TEST_P(RecordTls13Test, BadRecordMacIsExplained) {
  std::vector<uint8_t> wire = client_->write(as_bytes("x"));
  wire[6] ^= 1;
  EXPECT_EQ(open(wire).alert, SSL_AD_BAD_RECORD_MAC);
  EXPECT_STREQ(server_->failure_reason(), "record failed authentication (bad record MAC)");
}

TEST_P(RecordTls13Test, UnknownInnerContentTypeIsUnexpectedMessage) {
  auto peer = forge();
  const uint8_t body[3] = {1, 2, 3};
  Opened o = open(forge_record(*peer, body, 20));  // change_cipher_spec is not protected
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_UNEXPECTED_MESSAGE);
}

TEST_P(RecordTls13Test, OuterTypeMustBeApplicationData) {
  std::vector<uint8_t> wire = client_->write(as_bytes("x"));
  wire[0] = 22;
  Opened o = open(wire);
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_UNEXPECTED_MESSAGE);
}

TEST_P(RecordTls13Test, RecordSizeLimits) {
  {
    std::vector<uint8_t> rec(5 + 16384 + 256 + 1, 0);
    rec[0] = 23;
    rec[1] = rec[2] = 3;
    rec[3] = static_cast<uint8_t>((rec.size() - 5) >> 8);
    rec[4] = static_cast<uint8_t>(rec.size() - 5);
    EXPECT_EQ(open(rec).alert, SSL_AD_RECORD_OVERFLOW);
  }
  {
    std::vector<uint8_t> rec = {23, 3, 3, 0, 16};
    rec.resize(5 + 16, 0);
    EXPECT_EQ(open(rec).alert, SSL_AD_DECODE_ERROR);  // shorter than a tag plus the type byte
  }
  {
    // A correctly protected record whose plaintext exceeds 2^14 bytes.
    auto peer = forge();
    std::vector<uint8_t> big = pattern(16385, 9);
    Opened o = open(forge_record(*peer, big, 23));
    EXPECT_EQ(o.result, TlsConn::Open::kError);
    EXPECT_EQ(o.alert, SSL_AD_RECORD_OVERFLOW);
  }
}

TEST_P(RecordTls13Test, PaddingDoesNotRaiseTheRecordLimit) {
  // RFC 8446 §5.4: 16000 data bytes, the type and 500 zeros make a TLSInnerPlaintext over
  // 2^14 + 1 bytes, though the data alone would fit.
  auto peer = forge();
  std::vector<uint8_t> inner = pattern(16000, 3);
  inner.push_back(23);
  inner.resize(inner.size() + 499, 0);  // forge_record's seal() adds the last zero
  Opened o = open(forge_record(*peer, inner, 0));
  EXPECT_EQ(o.result, TlsConn::Open::kError);
  EXPECT_EQ(o.alert, SSL_AD_RECORD_OVERFLOW);
}

TEST_P(RecordTls13Test, PaddedInnerPlaintextOfExactlyTheLimitOpens) {
  auto peer = forge();
  std::vector<uint8_t> inner = pattern(16000, 4);
  inner.push_back(23);
  inner.resize(16384, 0);  // + the zero seal() appends = 2^14 + 1 bytes
  Opened o = open(forge_record(*peer, inner, 0));
  EXPECT_EQ(o.result, TlsConn::Open::kData);
  EXPECT_EQ(o.plaintext.size(), 16000u);
}

INSTANTIATE_TEST_SUITE_P(Suites, RecordTls13Test,
                         ::testing::Values(Suite{0x1301, "Aes128Gcm"}, Suite{0x1302, "Aes256Gcm"},
                                           Suite{0x1303, "ChaCha20Poly1305"}),
                         [](const auto& info) { return std::string(info.param.name); });

// Runs the ChaCha20-Poly1305 cases in a child process that hides AES-NI, the only way to make a
// BoringSSL server pick that suite for a BoringSSL client.
TEST(RecordTls13ChildTest, ChaCha20SuiteWithoutAesHardware) {
  if (!EVP_has_aes_hardware()) GTEST_SKIP() << "no AES hardware: the suite tests ran directly";
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  ASSERT_GT(n, 0);
  self[n] = '\0';
  std::string cmd = std::string("OPENSSL_ia32cap='") + kNoAesNi + "' '" + self +
                    "' --gtest_filter='Suites/RecordTls13Test.*/ChaCha20Poly1305' 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  size_t k;
  while ((k = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, k);
  int status = pclose(f);
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  EXPECT_EQ(out.find("[  SKIPPED ]"), std::string::npos) << out;
  EXPECT_NE(out.find("[  PASSED  ]"), std::string::npos) << out;
  EXPECT_EQ(out.find("[  PASSED  ] 0 tests"), std::string::npos) << out;
}

}  // namespace
}  // namespace sipring
