// Tests of TlsConn's direct modes against a BoringSSL client in memory: records opened and
// sealed in place in TLS 1.3 and 1.2 (every size, many records, coalescing, corruption,
// truncation, close_notify) and every TLS 1.2 suite's prefix and suffix. Handshakes:
// tls_conn_handshake_test.cc; the buffered client mode: tls_conn_client_test.cc.
#include "crypto/tls_conn.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "tests/testing/tls_pair.h"

namespace sipring {
namespace {

using test::as_bytes;
using test::as_string;
using test::connect;
using test::Pair;
using test::pattern;
using test::seal_record;
using test::sip_message;
using test::split_records;
using test::VectorSink;

// ---------------------------------------------------------------------------------------------
// Both direct modes.

class TlsConnDirectTest : public ::testing::TestWithParam<uint16_t> {
 protected:
  void SetUp() override {
    p_ = connect("TLSv1.2+", GetParam() == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2");
    ASSERT_NE(p_.server, nullptr);
    ASSERT_TRUE(p_.server->mode() == TlsConn::Mode::kDirect12 ||
                p_.server->mode() == TlsConn::Mode::kDirect13);
    // Consume what the server sent after the handshake (tickets) on the client side.
    std::vector<uint8_t> none;
    ASSERT_EQ(p_.client->read_all(&none), SSL_ERROR_WANT_READ);
    ASSERT_TRUE(none.empty());
  }
  bool tls13() const { return GetParam() == TLS1_3_VERSION; }

  // Server seals `payload`; the client reads it back.
  void server_to_client(const std::vector<uint8_t>& payload) {
    std::vector<uint8_t> rec = seal_record(*p_.server, payload);
    ASSERT_FALSE(rec.empty()) << p_.server->failure_reason();
    ASSERT_LE(rec.size(),
              p_.server->record_prefix() + payload.size() + p_.server->record_suffix_max());
    p_.client->give(rec);
    std::vector<uint8_t> got;
    ASSERT_EQ(p_.client->read_all(&got), SSL_ERROR_WANT_READ);
    ASSERT_EQ(got, payload);
  }

  Pair p_;
};

TEST_P(TlsConnDirectTest, HandshakeReportsVersionCipherAndMode) {
  TlsConn& s = *p_.server;
  EXPECT_EQ(s.version(), GetParam());
  EXPECT_EQ(s.version(), SSL_version(p_.client->ssl()));
  EXPECT_EQ(s.cipher(), SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(p_.client->ssl())));
  EXPECT_FALSE(s.resumed());
  EXPECT_FALSE(s.peer_verified());  // no client certificate
  EXPECT_STREQ(s.failure_reason(), "");
  if (tls13()) {
    EXPECT_EQ(s.mode(), TlsConn::Mode::kDirect13);
    EXPECT_EQ(s.cipher(), 0x1301);  // AES-128-GCM: what BoringSSL picks with AES hardware
    EXPECT_EQ(s.record_prefix(), 5u);
    EXPECT_EQ(s.record_suffix_max(), 17u);  // inner type byte + tag
  } else {
    EXPECT_EQ(s.mode(), TlsConn::Mode::kDirect12);
    EXPECT_EQ(s.cipher(), 0xC02B);      // ECDHE-ECDSA-AES128-GCM-SHA256
    EXPECT_EQ(s.record_prefix(), 13u);  // header + explicit nonce
    EXPECT_EQ(s.record_suffix_max(), 16u);
  }
}

TEST_P(TlsConnDirectTest, OpensClientRecordsInPlaceForEachSize) {
  for (size_t size : {size_t{1}, size_t{100}, size_t{1500}, size_t{16384}}) {
    std::vector<uint8_t> payload = pattern(size, static_cast<uint32_t>(size));
    std::vector<uint8_t> wire = p_.client->write(payload);
    ASSERT_EQ(split_records(wire).size(), 1u) << size;
    std::vector<std::string> got = p_.to_server(wire);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], as_string(payload)) << size;
  }
}

TEST_P(TlsConnDirectTest, SealsRecordsTheClientReadsForEachSize) {
  for (size_t size : {size_t{0}, size_t{1}, size_t{100}, size_t{1500}, size_t{16384}}) {
    SCOPED_TRACE(size);
    server_to_client(pattern(size, static_cast<uint32_t>(size) + 7));
  }
}

TEST_P(TlsConnDirectTest, ManyRecordsBothWaysKeepSequenceNumbersInStep) {
  for (uint32_t i = 0; i < 1000; i++) {
    size_t size = 1 + (i * 37) % 3000;
    std::vector<uint8_t> up = pattern(size, i);
    std::vector<std::string> got = p_.to_server(p_.client->write(up));
    ASSERT_EQ(got.size(), 1u) << i;
    ASSERT_EQ(got[0], as_string(up)) << i;
    server_to_client(pattern(size + 1, i + 100000));
    if (HasFatalFailure()) return;
  }
}

TEST_P(TlsConnDirectTest, CoalescesSeveralMessagesIntoOneRecord) {
  std::string all;
  for (int i = 0; i < 5; i++) all += sip_message(i);
  std::vector<uint8_t> rec = seal_record(*p_.server, as_bytes(all));
  ASSERT_FALSE(rec.empty());
  ASSERT_EQ(split_records(rec).size(), 1u);
  p_.client->give(rec);
  std::vector<uint8_t> got;
  std::vector<size_t> chunks;
  ASSERT_EQ(p_.client->read_all(&got, &chunks), SSL_ERROR_WANT_READ);
  EXPECT_EQ(as_string(got), all);
  // SSL_read returns at most one record per call: one chunk proves one record.
  EXPECT_EQ(chunks, std::vector<size_t>{all.size()});
}

TEST_P(TlsConnDirectTest, FlippedCiphertextByteIsBadRecordMac) {
  std::vector<uint8_t> wire = p_.client->write(as_bytes(sip_message(1)));
  ASSERT_EQ(split_records(wire).size(), 1u);
  wire[wire.size() / 2] ^= 0x01;
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool ku = false;
  EXPECT_EQ(p_.server->open(wire.data(), wire.size(), &pt, &alert, &ku), TlsConn::Open::kError);
  EXPECT_EQ(alert, SSL_AD_BAD_RECORD_MAC);
  EXPECT_STRNE(p_.server->failure_reason(), "");
}

TEST_P(TlsConnDirectTest, FlippedTagByteIsBadRecordMac) {
  std::vector<uint8_t> wire = p_.client->write(as_bytes(sip_message(2)));
  wire.back() ^= 0x80;
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool ku = false;
  EXPECT_EQ(p_.server->open(wire.data(), wire.size(), &pt, &alert, &ku), TlsConn::Open::kError);
  EXPECT_EQ(alert, SSL_AD_BAD_RECORD_MAC);
}

// The engine sends the alert open() names instead of closing silently; the client must read it
// as that alert, and nothing may follow it (no close_notify, no data).
TEST_P(TlsConnDirectTest, BadRecordMacAlertReachesTheClientAndEndsTheConnection) {
  std::vector<uint8_t> wire = p_.client->write(as_bytes(sip_message(3)));
  wire[wire.size() / 2] ^= 0x01;
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool ku = false;
  ASSERT_EQ(p_.server->open(wire.data(), wire.size(), &pt, &alert, &ku), TlsConn::Open::kError);
  ASSERT_EQ(alert, SSL_AD_BAD_RECORD_MAC);
  VectorSink sink;
  ASSERT_TRUE(p_.server->send_fatal_alert(alert, sink));
  ASSERT_EQ(split_records(sink.bytes).size(), 1u);
  EXPECT_EQ(p_.server->mode(), TlsConn::Mode::kFailed);
  p_.client->give(sink.bytes);
  uint8_t buf[64];
  ERR_clear_error();
  int r = SSL_read(p_.client->ssl(), buf, sizeof(buf));
  EXPECT_EQ(SSL_get_error(p_.client->ssl(), r), SSL_ERROR_SSL);
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_AD_REASON_OFFSET + SSL_AD_BAD_RECORD_MAC);
  ERR_clear_error();
  VectorSink after;
  EXPECT_FALSE(p_.server->close_notify(after));
  EXPECT_FALSE(p_.server->send_fatal_alert(SSL_AD_BAD_RECORD_MAC, after));
  EXPECT_TRUE(after.bytes.empty());
  std::vector<uint8_t> rec(64);
  EXPECT_EQ(p_.server->seal(rec.data(), 1), 0u);
}

TEST_P(TlsConnDirectTest, TruncatedRecordIsAnError) {
  std::vector<uint8_t> wire = p_.client->write(pattern(1000, 3));
  ASSERT_EQ(split_records(wire).size(), 1u);
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool ku = false;
  EXPECT_EQ(p_.server->open(wire.data(), wire.size() / 2, &pt, &alert, &ku), TlsConn::Open::kError);
}

TEST_P(TlsConnDirectTest, ClientCloseNotifyIsReported) {
  ASSERT_GE(SSL_shutdown(p_.client->ssl()), 0);
  std::vector<uint8_t> wire = p_.client->take();
  auto recs = split_records(wire);
  ASSERT_EQ(recs.size(), 1u);
  std::span<uint8_t> pt;
  uint8_t alert = 0xff;
  bool ku = false;
  EXPECT_EQ(p_.server->open(recs[0].data(), recs[0].size(), &pt, &alert, &ku),
            TlsConn::Open::kCloseNotify);
}

TEST_P(TlsConnDirectTest, ServerCloseNotifyIsAZeroReturnForTheClient) {
  VectorSink sink;
  ASSERT_TRUE(p_.server->close_notify(sink));
  ASSERT_EQ(split_records(sink.bytes).size(), 1u);
  p_.client->give(sink.bytes);
  std::vector<uint8_t> got;
  EXPECT_EQ(p_.client->read_all(&got), SSL_ERROR_ZERO_RETURN);
  EXPECT_TRUE(got.empty());
}

TEST_P(TlsConnDirectTest, DataBeforeCloseNotifyIsDelivered) {
  std::vector<uint8_t> rec = seal_record(*p_.server, as_bytes(sip_message(4)));
  VectorSink sink;
  ASSERT_TRUE(p_.server->close_notify(sink));
  p_.client->give(rec);
  p_.client->give(sink.bytes);
  std::vector<uint8_t> got;
  EXPECT_EQ(p_.client->read_all(&got), SSL_ERROR_ZERO_RETURN);
  EXPECT_EQ(as_string(got), sip_message(4));
}

TEST_P(TlsConnDirectTest, BufferedCallsAreRefusedInDirectMode) {
  VectorSink sink;
  EXPECT_FALSE(p_.server->write(as_bytes("x"), sink));
  uint8_t buf[16];
  size_t n = 99;
  EXPECT_EQ(p_.server->read(buf, sizeof(buf), &n, sink), TlsConn::Read::kError);
  EXPECT_EQ(n, 0u);
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsConnDirectTest,
                         ::testing::Values(uint16_t{TLS1_2_VERSION}, uint16_t{TLS1_3_VERSION}),
                         [](const auto& info) {
                           return info.param == TLS1_3_VERSION ? "Tls13" : "Tls12";
                         });

// ---------------------------------------------------------------------------------------------
// TLS 1.2 suites: the prefix and the largest suffix must fit every record length.

struct Tls12Suite {
  const char* name;
  uint16_t id;
};

class TlsConnTls12SuiteTest : public ::testing::TestWithParam<Tls12Suite> {};

TEST_P(TlsConnTls12SuiteTest, SealsAndOpensEveryLengthWithinPrefixAndSuffix) {
  // The server names the suite too: CBC is not in the default list, but an operator may add it.
  Pair p = connect("TLSv1.2+", "TLSv1.2", GetParam().name, GetParam().name);
  ASSERT_NE(p.server, nullptr);
  ASSERT_EQ(p.server->mode(), TlsConn::Mode::kDirect12);
  EXPECT_EQ(p.server->cipher(), GetParam().id);
  std::vector<uint8_t> none;
  ASSERT_EQ(p.client->read_all(&none), SSL_ERROR_WANT_READ);
  std::vector<size_t> sizes;
  for (size_t n = 0; n <= 80; n++) sizes.push_back(n);
  for (size_t n = 16384 - 40; n <= 16384; n++) sizes.push_back(n);
  for (size_t n : sizes) {
    std::vector<uint8_t> payload = pattern(n, static_cast<uint32_t>(n));
    std::vector<uint8_t> rec = seal_record(*p.server, payload);
    ASSERT_FALSE(rec.empty()) << n;
    ASSERT_LE(rec.size(), p.server->record_prefix() + n + p.server->record_suffix_max()) << n;
    p.client->give(rec);
    std::vector<uint8_t> got;
    ASSERT_EQ(p.client->read_all(&got), SSL_ERROR_WANT_READ) << n;
    ASSERT_EQ(got, payload) << n;
    if (n == 0) continue;
    std::vector<std::string> up = p.to_server(p.client->write(payload));
    ASSERT_EQ(up.size(), 1u);
    ASSERT_EQ(up[0], as_string(payload)) << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Suites, TlsConnTls12SuiteTest,
                         ::testing::Values(Tls12Suite{"ECDHE-ECDSA-AES128-GCM-SHA256", 0xC02B},
                                           Tls12Suite{"ECDHE-ECDSA-AES256-GCM-SHA384", 0xC02C},
                                           Tls12Suite{"ECDHE-ECDSA-CHACHA20-POLY1305", 0xCCA9},
                                           Tls12Suite{"ECDHE-ECDSA-AES128-SHA", 0xC009}),
                         [](const auto& info) {
                           std::string s = info.param.name;
                           for (char& c : s) {
                             if (c == '-') c = '_';
                           }
                           return s;
                         });

}  // namespace
}  // namespace sipring
