// Tests of TlsConn against real BoringSSL peers in memory: server handshakes in TLS 1.2 and 1.3,
// the facts they report, records opened and sealed in place in both direct modes (sizes, many
// records, coalescing, corruption, truncation, close_notify), handshake failures, the buffered
// client mode with session resumption, and peer verification.
#include "crypto/tls_conn.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "crypto/ticket_keys.h"
#include "crypto/tls_context.h"
#include "tests/testing/mem_tls.h"
#include "tests/testing/test_cert.h"

namespace sipring {
namespace {

using test::as_bytes;
using test::as_string;
using test::MemSsl;
using test::seal_record;
using test::split_records;
using test::VectorSink;

constexpr uint8_t kAlertBadRecordMac = 20;

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : v) {
    x = x * 1103515245u + 12345u;
    b = static_cast<uint8_t>(x >> 16);
  }
  return v;
}

std::string sip_message(int i) {
  std::string body = "v=0 message " + std::to_string(i) + "\r\n";
  return "MESSAGE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TLS 10.0.0.1;branch=z9hG4bK" +
         std::to_string(i) + "\r\nCall-ID: " + std::to_string(i) +
         "@test\r\nCSeq: 1 MESSAGE\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

// One server context shared by every test (generating a certificate per test is wasteful).
class TlsEnv {
 public:
  static TlsEnv& get() {
    static TlsEnv env;
    return env;
  }
  test::TestCert cert;
  TicketKeys keys;

  bssl::UniquePtr<SSL_CTX> server_ctx(const std::string& method = "TLSv1.2+",
                                      const std::string& ciphers = "") {
    TlsProfile p;
    p.tls_method = method;
    p.cipher_list = ciphers;
    p.certificate = cert.pem_path();
    auto ctx = make_server_context(p, -1, &keys);
    EXPECT_TRUE(ctx) << ctx.error().message;
    return ctx ? std::move(ctx.value()) : nullptr;
  }
  static bssl::UniquePtr<SSL_CTX> client_ctx(const std::string& method,
                                             const std::string& ciphers = "",
                                             const std::string& ca_file = "") {
    TlsProfile o;
    o.tls_method = method;
    o.cipher_list = ciphers;
    o.ca_list = ca_file;
    o.verify_certificate = !ca_file.empty();
    auto ctx = make_client_context(o);
    EXPECT_TRUE(ctx) << ctx.error().message;
    return ctx ? std::move(ctx.value()) : nullptr;
  }
};

// A BoringSSL client connected to a sipring server in a direct mode.
struct Pair {
  bssl::UniquePtr<SSL_CTX> sctx;
  bssl::UniquePtr<SSL_CTX> cctx;
  std::unique_ptr<MemSsl> client;
  std::unique_ptr<TlsConn> server;

  // Client bytes (one or more records) -> server; returns the plaintexts of the data records.
  std::vector<std::string> to_server(const std::vector<uint8_t>& wire) {
    std::vector<std::string> out;
    std::vector<uint8_t> rest;
    for (auto& rec : split_records(wire, &rest)) {
      std::span<uint8_t> pt;
      uint8_t alert = 0xff;
      bool ku = false;
      TlsConn::Open r = server->open(rec.data(), rec.size(), &pt, &alert, &ku);
      EXPECT_EQ(r, TlsConn::Open::kData)
          << "alert " << int(alert) << " " << server->failure_reason();
      if (r != TlsConn::Open::kData) break;
      // In place: the plaintext lies inside the record buffer.
      EXPECT_GE(pt.data(), rec.data());
      EXPECT_LE(pt.data() + pt.size(), rec.data() + rec.size());
      out.push_back(as_string(pt));
    }
    EXPECT_TRUE(rest.empty());
    return out;
  }
};

Pair connect(const std::string& server_method, const std::string& client_method,
             const std::string& client_ciphers = "", const std::string& server_ciphers = "") {
  Pair p;
  p.sctx = TlsEnv::get().server_ctx(server_method, server_ciphers);
  p.cctx = TlsEnv::client_ctx(client_method, client_ciphers);
  p.client = MemSsl::client(p.cctx.get());
  p.server = TlsConn::server(p.sctx.get());
  std::string error;
  EXPECT_TRUE(test::handshake(*p.client, *p.server, &error)) << error;
  return p;
}

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
  EXPECT_EQ(alert, kAlertBadRecordMac);
  EXPECT_STRNE(p_.server->failure_reason(), "");
}

TEST_P(TlsConnDirectTest, FlippedTagByteIsBadRecordMac) {
  std::vector<uint8_t> wire = p_.client->write(as_bytes(sip_message(2)));
  wire.back() ^= 0x80;
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool ku = false;
  EXPECT_EQ(p_.server->open(wire.data(), wire.size(), &pt, &alert, &ku), TlsConn::Open::kError);
  EXPECT_EQ(alert, kAlertBadRecordMac);
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
  ASSERT_EQ(alert, kAlertBadRecordMac);
  VectorSink sink;
  ASSERT_TRUE(p_.server->send_fatal_alert(alert, sink));
  ASSERT_EQ(split_records(sink.bytes).size(), 1u);
  EXPECT_EQ(p_.server->mode(), TlsConn::Mode::kFailed);
  p_.client->give(sink.bytes);
  uint8_t buf[64];
  ERR_clear_error();
  int r = SSL_read(p_.client->ssl(), buf, sizeof(buf));
  EXPECT_EQ(SSL_get_error(p_.client->ssl(), r), SSL_ERROR_SSL);
  EXPECT_EQ(ERR_GET_REASON(ERR_peek_last_error()), SSL_AD_REASON_OFFSET + kAlertBadRecordMac);
  ERR_clear_error();
  VectorSink after;
  EXPECT_FALSE(p_.server->close_notify(after));
  EXPECT_FALSE(p_.server->send_fatal_alert(kAlertBadRecordMac, after));
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

// ---------------------------------------------------------------------------------------------
// TLS 1.3 specifics of the handshake hand-over.

TEST(TlsConnTest, Tls13DataInTheClientsFinishedFlightOpensAfterTheHandshake) {
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx("TLSv1.3");
  auto client = MemSsl::client(cctx.get());
  auto server = TlsConn::server(sctx.get());
  // ClientHello -> server flight.
  ASSERT_EQ(SSL_do_handshake(client->ssl()), -1);
  std::vector<uint8_t> hello = client->take();
  VectorSink sink;
  size_t consumed = 0;
  ASSERT_EQ(server->handshake(hello, &consumed, sink), TlsConn::Step::kNeedMore);
  EXPECT_EQ(consumed, hello.size());
  client->give(sink.take());
  // The client finishes and sends data right behind its Finished, in one flight.
  ASSERT_EQ(SSL_do_handshake(client->ssl()), 1);
  std::string msg = sip_message(7);
  ASSERT_EQ(SSL_write(client->ssl(), msg.data(), static_cast<int>(msg.size())),
            static_cast<int>(msg.size()));
  std::vector<uint8_t> flight = client->take();
  ASSERT_EQ(server->handshake(flight, &consumed, sink), TlsConn::Step::kDone);
  ASSERT_LT(consumed, flight.size());
  std::vector<uint8_t> rest(flight.begin() + consumed, flight.end());
  auto recs = split_records(rest);
  ASSERT_EQ(recs.size(), 1u);
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool ku = false;
  ASSERT_EQ(server->open(recs[0].data(), recs[0].size(), &pt, &alert, &ku), TlsConn::Open::kData)
      << int(alert);
  EXPECT_EQ(as_string(pt), msg);
  // The tickets written at the end of the handshake are readable by the client, and the record
  // sealed after them too (the write sequence accounts for the tickets).
  client->give(sink.take());
  std::vector<uint8_t> rec = seal_record(*server, as_bytes("after tickets"));
  client->give(rec);
  std::vector<uint8_t> got;
  EXPECT_EQ(client->read_all(&got), SSL_ERROR_WANT_READ);
  EXPECT_EQ(as_string(got), "after tickets");
  EXPECT_EQ(client->sessions().size(), 1u);  // SSL_CTX_set_num_tickets(ctx, 1)
}

TEST(TlsConnTest, Tls13ServerIssuesAResumableTicketDuringTheHandshake) {
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx("TLSv1.3");
  auto client = MemSsl::client(cctx.get());
  auto server = TlsConn::server(sctx.get());
  std::string error;
  ASSERT_TRUE(test::handshake(*client, *server, &error)) << error;
  std::vector<uint8_t> none;
  ASSERT_EQ(client->read_all(&none), SSL_ERROR_WANT_READ);
  ASSERT_EQ(client->sessions().size(), 1u);
  EXPECT_TRUE(SSL_SESSION_is_resumable(client->sessions()[0].get()));
}

// ---------------------------------------------------------------------------------------------
// The default TLS configuration (issue 8: RFC 9325's suites, the server's order, short tickets).

std::vector<std::string> cipher_names(const SSL_CTX* ctx) {
  std::vector<std::string> out;
  const STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx);
  for (size_t i = 0; i < sk_SSL_CIPHER_num(list); i++) {
    out.push_back(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)));
  }
  return out;
}

TEST(DefaultTlsConfig, Tls12SuitesAreEcdheWithAeadOnlyInRfc9325Order) {
  auto sctx = TlsEnv::get().server_ctx();
  EXPECT_EQ(cipher_names(sctx.get()),
            (std::vector<std::string>{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                                      "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
                                      "ECDHE-ECDSA-CHACHA20-POLY1305",
                                      "ECDHE-RSA-CHACHA20-POLY1305"}));
  EXPECT_EQ(weak_cipher_suites(sctx.get()), "");
  EXPECT_NE(SSL_CTX_get_options(sctx.get()) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  // Clients (the engine's client role) default to the same suites.
  EXPECT_EQ(cipher_names(TlsEnv::client_ctx("TLSv1.2+").get()), cipher_names(sctx.get()));
}

TEST(DefaultTlsConfig, WeakSuitesInAnExplicitListAreNamedWithTheirFaults) {
  auto sctx = TlsEnv::get().server_ctx(
      "TLSv1.2+", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:AES256-GCM-SHA384:DES-CBC3-SHA");
  ASSERT_NE(sctx, nullptr);
  EXPECT_EQ(weak_cipher_suites(sctx.get()),
            "ECDHE-RSA-AES128-SHA (CBC), AES256-GCM-SHA384 (RSA key exchange), DES-CBC3-SHA "
            "(3DES, CBC, RSA key exchange)");
}

TEST(DefaultTlsConfig, TheServersOrderWinsOverTheClients) {
  // The client prefers ChaCha20, then AES-256-GCM; the server's list ranks AES-256-GCM first.
  Pair p = connect("TLSv1.2+", "TLSv1.2",
                   "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384");
  ASSERT_NE(p.server, nullptr);
  EXPECT_EQ(p.server->cipher(), 0xC02C);  // ECDHE-ECDSA-AES256-GCM-SHA384
}

TEST(DefaultTlsConfig, CbcAndRsaKeyExchangeClientsAreRefused) {
  for (const char* suite : {"ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256", "DES-CBC3-SHA"}) {
    SCOPED_TRACE(suite);
    auto sctx = TlsEnv::get().server_ctx();
    auto cctx = TlsEnv::client_ctx("TLSv1.2", suite);
    auto client = MemSsl::client(cctx.get());
    auto server = TlsConn::server(sctx.get());
    std::string error;
    EXPECT_FALSE(test::handshake(*client, *server, &error));
    EXPECT_NE(error.find("NO_SHARED_CIPHER"), std::string::npos) << error;
  }
}

TEST(DefaultTlsConfig, SessionLifetimesStayWithinTheTicketKeysLife) {
  auto sctx = TlsEnv::get().server_ctx();
  EXPECT_EQ(SSL_CTX_get_timeout(sctx.get()), kTls12SessionLifetimeSeconds);
  for (const char* version : {"TLSv1.2", "TLSv1.3"}) {
    SCOPED_TRACE(version);
    auto cctx = TlsEnv::client_ctx(version);
    auto client = MemSsl::client(cctx.get());
    auto server = TlsConn::server(sctx.get());
    std::string error;
    ASSERT_TRUE(test::handshake(*client, *server, &error)) << error;
    std::vector<uint8_t> none;
    ASSERT_EQ(client->read_all(&none), SSL_ERROR_WANT_READ);
    ASSERT_EQ(client->sessions().size(), 1u);
    const SSL_SESSION* s = client->sessions()[0].get();
    // The lifetime the ticket announces (TLS 1.2: the hint; TLS 1.3: BoringSSL clients take
    // the NewSessionTicket's lifetime as the session's timeout): at most a day.
    uint32_t lifetime = std::string(version) == "TLSv1.3"
                            ? static_cast<uint32_t>(SSL_SESSION_get_timeout(s))
                            : SSL_SESSION_get_ticket_lifetime_hint(s);
    EXPECT_EQ(lifetime, std::string(version) == "TLSv1.3" ? kTls13SessionLifetimeSeconds
                                                          : kTls12SessionLifetimeSeconds);
    EXPECT_LE(lifetime, 86400u);
  }
}

// ---------------------------------------------------------------------------------------------
// Handshake failures.

TEST(TlsConnTest, NonTlsBytesFailTheHandshake) {
  auto sctx = TlsEnv::get().server_ctx();
  auto server = TlsConn::server(sctx.get());
  std::string junk = "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n";
  VectorSink sink;
  size_t consumed = 0;
  EXPECT_EQ(server->handshake(as_bytes(junk), &consumed, sink), TlsConn::Step::kFailed);
  EXPECT_EQ(server->mode(), TlsConn::Mode::kFailed);
  EXPECT_STRNE(server->failure_reason(), "");
  // A failed connection stays failed and refuses records.
  EXPECT_EQ(server->handshake(as_bytes(junk), &consumed, sink), TlsConn::Step::kFailed);
  uint8_t rec[64] = {23, 3, 3, 0, 20};
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool ku = false;
  EXPECT_EQ(server->open(rec, 25, &pt, &alert, &ku), TlsConn::Open::kError);
  EXPECT_EQ(server->seal(rec, 1), 0u);
  EXPECT_FALSE(server->close_notify(sink));
}

TEST(TlsConnTest, VersionMismatchFailsWithAnAlert) {
  auto sctx = TlsEnv::get().server_ctx("TLSv1.3");
  auto cctx = TlsEnv::client_ctx("TLSv1.2");
  auto client = MemSsl::client(cctx.get());
  auto server = TlsConn::server(sctx.get());
  ASSERT_EQ(SSL_do_handshake(client->ssl()), -1);
  std::vector<uint8_t> hello = client->take();
  VectorSink sink;
  size_t consumed = 0;
  EXPECT_EQ(server->handshake(hello, &consumed, sink), TlsConn::Step::kFailed);
  EXPECT_STRNE(server->failure_reason(), "");
  auto recs = split_records(sink.bytes);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0][0], 21);  // an alert record
  EXPECT_EQ(recs[0][5], 2);   // fatal
  EXPECT_EQ(recs[0][6], 70);  // protocol_version
}

// Regression: every handshake failure before verification was logged with BoringSSL's "not
// verified" code, "(Invalid certificate verification context)", even with verification off.
// verify_result() names a certificate problem only when verification is why it failed.
TEST(TlsConnTest, FailureBeforeVerificationCarriesNoVerifyResult) {
  auto sctx = TlsEnv::get().server_ctx("TLSv1.2");  // an ECDSA certificate
  auto cctx = TlsEnv::client_ctx("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
  auto client = MemSsl::client(cctx.get());
  auto server = TlsConn::server(sctx.get());
  ASSERT_EQ(SSL_do_handshake(client->ssl()), -1);
  std::vector<uint8_t> hello = client->take();
  VectorSink sink;
  size_t consumed = 0;
  EXPECT_EQ(server->handshake(hello, &consumed, sink), TlsConn::Step::kFailed);
  EXPECT_STREQ(server->failure_reason(), "NO_SHARED_CIPHER");
  EXPECT_EQ(server->verify_result(), X509_V_OK);

  auto junk_server = TlsConn::server(sctx.get());
  std::string junk = "OPTIONS sip:a@b SIP/2.0\r\n\r\n";
  EXPECT_EQ(junk_server->handshake(as_bytes(junk), &consumed, sink), TlsConn::Step::kFailed);
  EXPECT_EQ(junk_server->verify_result(), X509_V_OK);
}

TEST(TlsConnTest, RefusingSinkFailsTheHandshake) {
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx("TLSv1.3");
  auto client = MemSsl::client(cctx.get());
  auto server = TlsConn::server(sctx.get());
  ASSERT_EQ(SSL_do_handshake(client->ssl()), -1);
  std::vector<uint8_t> hello = client->take();
  VectorSink sink;
  sink.refuse = true;
  size_t consumed = 0;
  EXPECT_EQ(server->handshake(hello, &consumed, sink), TlsConn::Step::kFailed);
  EXPECT_EQ(server->mode(), TlsConn::Mode::kFailed);
}

TEST(TlsConnTest, HandshakeSplitIntoSingleBytesCompletes) {
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx("TLSv1.3");
  auto client = MemSsl::client(cctx.get());
  auto server = TlsConn::server(sctx.get());
  ASSERT_EQ(SSL_do_handshake(client->ssl()), -1);
  std::vector<uint8_t> hello = client->take();
  VectorSink sink;
  for (size_t i = 0; i < hello.size(); i++) {
    size_t consumed = 0;
    ASSERT_EQ(server->handshake({&hello[i], 1}, &consumed, sink), TlsConn::Step::kNeedMore);
    ASSERT_EQ(consumed, 1u);
  }
  client->give(sink.take());
  ASSERT_EQ(SSL_do_handshake(client->ssl()), 1);
  std::vector<uint8_t> fin = client->take();
  TlsConn::Step step = TlsConn::Step::kNeedMore;
  for (size_t i = 0; i < fin.size(); i++) {
    size_t consumed = 0;
    step = server->handshake({&fin[i], 1}, &consumed, sink);
    ASSERT_EQ(consumed, 1u);
    if (i + 1 < fin.size()) {
      ASSERT_EQ(step, TlsConn::Step::kNeedMore);
    }
  }
  EXPECT_EQ(step, TlsConn::Step::kDone);
  EXPECT_EQ(server->mode(), TlsConn::Mode::kDirect13);
}

// ---------------------------------------------------------------------------------------------
// Client role (buffered mode).

class TlsConnClientTest : public ::testing::TestWithParam<uint16_t> {
 protected:
  std::string method() const { return GetParam() == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"; }
};

TEST_P(TlsConnClientTest, BufferedClientExchangesDataWithDirectServer) {
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx(method());
  auto client = TlsConn::client(cctx.get(), "localhost", nullptr);
  auto server = TlsConn::server(sctx.get());
  ASSERT_NE(client, nullptr);
  std::string error;
  ASSERT_TRUE(test::handshake(*client, *server, &error)) << error;
  EXPECT_EQ(client->mode(), TlsConn::Mode::kBuffered);
  EXPECT_EQ(client->version(), GetParam());
  EXPECT_EQ(client->cipher(), server->cipher());
  EXPECT_FALSE(client->resumed());

  // client -> server
  VectorSink sink;
  std::string msg = sip_message(9);
  ASSERT_TRUE(client->write(as_bytes(msg), sink));
  auto recs = split_records(sink.bytes);
  ASSERT_EQ(recs.size(), 1u);
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool ku = false;
  ASSERT_EQ(server->open(recs[0].data(), recs[0].size(), &pt, &alert, &ku), TlsConn::Open::kData);
  EXPECT_EQ(as_string(pt), msg);

  // server -> client, two records fed at once
  std::vector<uint8_t> wire = seal_record(*server, as_bytes("first"));
  std::vector<uint8_t> second = seal_record(*server, as_bytes("second"));
  wire.insert(wire.end(), second.begin(), second.end());
  client->feed(wire);
  std::string got;
  uint8_t buf[64];
  size_t n = 0;
  TlsConn::Read r;
  while ((r = client->read(buf, sizeof(buf), &n, sink)) == TlsConn::Read::kData) {
    got.append(reinterpret_cast<char*>(buf), n);
  }
  EXPECT_EQ(r, TlsConn::Read::kNeedMore);
  EXPECT_EQ(got, "firstsecond");

  // close_notify from the client reaches the server.
  sink.take();
  ASSERT_TRUE(client->close_notify(sink));
  recs = split_records(sink.bytes);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(server->open(recs[0].data(), recs[0].size(), &pt, &alert, &ku),
            TlsConn::Open::kCloseNotify);
}

TEST_P(TlsConnClientTest, BufferedClientSeesServerCloseNotify) {
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx(method());
  auto client = TlsConn::client(cctx.get(), "localhost", nullptr);
  auto server = TlsConn::server(sctx.get());
  std::string error;
  ASSERT_TRUE(test::handshake(*client, *server, &error)) << error;
  VectorSink sink;
  ASSERT_TRUE(server->close_notify(sink));
  client->feed(sink.bytes);
  uint8_t buf[64];
  size_t n = 0;
  VectorSink out;
  EXPECT_EQ(client->read(buf, sizeof(buf), &n, out), TlsConn::Read::kCloseNotify);
}

TEST_P(TlsConnClientTest, BufferedClientRejectsACorruptRecord) {
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx(method());
  auto client = TlsConn::client(cctx.get(), "localhost", nullptr);
  auto server = TlsConn::server(sctx.get());
  std::string error;
  ASSERT_TRUE(test::handshake(*client, *server, &error)) << error;
  std::vector<uint8_t> rec = seal_record(*server, as_bytes("hello"));
  rec[rec.size() - 3] ^= 4;
  client->feed(rec);
  uint8_t buf[64];
  size_t n = 0;
  VectorSink out;
  EXPECT_EQ(client->read(buf, sizeof(buf), &n, out), TlsConn::Read::kError);
  EXPECT_STRNE(client->failure_reason(), "");
  // The client told the server why, with a bad_record_mac alert.
  auto recs = split_records(out.bytes);
  EXPECT_EQ(recs.size(), 1u);
}

TEST_P(TlsConnClientTest, PeerVerifiedOnlyWithATrustedCa) {
  auto sctx = TlsEnv::get().server_ctx();
  auto trusting = TlsEnv::client_ctx(method(), "", TlsEnv::get().cert.cert_path());
  auto plain = TlsEnv::client_ctx(method());
  std::string error;

  auto verified = TlsConn::client(trusting.get(), "localhost", nullptr);
  auto s1 = TlsConn::server(sctx.get());
  ASSERT_TRUE(test::handshake(*verified, *s1, &error)) << error;
  EXPECT_TRUE(verified->peer_verified());

  auto unverified = TlsConn::client(plain.get(), "localhost", nullptr);
  auto s2 = TlsConn::server(sctx.get());
  ASSERT_TRUE(test::handshake(*unverified, *s2, &error)) << error;
  EXPECT_FALSE(unverified->peer_verified());
}

TEST_P(TlsConnClientTest, UntrustedServerFailsVerification) {
  test::TestCert other("other.example");
  auto sctx = TlsEnv::get().server_ctx();
  auto cctx = TlsEnv::client_ctx(method(), "", other.cert_path());
  auto client = TlsConn::client(cctx.get(), "localhost", nullptr);
  auto server = TlsConn::server(sctx.get());
  std::string error;
  EXPECT_FALSE(test::handshake(*client, *server, &error));
  EXPECT_EQ(client->mode(), TlsConn::Mode::kFailed);
  EXPECT_STRNE(client->failure_reason(), "");
  // The log line says why, not only CERTIFICATE_VERIFY_FAILED.
  EXPECT_NE(client->verify_result(), X509_V_OK);
  EXPECT_FALSE(client->peer_verified());
}

INSTANTIATE_TEST_SUITE_P(Versions, TlsConnClientTest,
                         ::testing::Values(uint16_t{TLS1_2_VERSION}, uint16_t{TLS1_3_VERSION}),
                         [](const auto& info) {
                           return info.param == TLS1_3_VERSION ? "Tls13" : "Tls12";
                         });

// Regression: an unrecognised verify_client value fell through to optional_no_ca, which
// accepts any certificate. Callers validate it today; the context builder must not rely on it.
TEST(ServerContextVerifyClient, UnknownModeIsRefusedNotTreatedAsAcceptAny) {
  test::TestCert cert;
  TicketKeys keys;
  TlsProfile p;
  p.certificate = cert.pem_path();
  p.verify_client = "maybe";
  auto ctx = make_server_context(p, -1, &keys);
  ASSERT_FALSE(ctx);
  EXPECT_NE(ctx.error().message.find("verify_client \"maybe\""), std::string::npos)
      << ctx.error().message;
}

}  // namespace
}  // namespace sipring
