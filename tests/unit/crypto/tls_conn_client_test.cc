// Tests of TlsConn's buffered client mode against a sipring server in memory: data both ways,
// close_notify, corrupt records, and verification of the server against a CA.
#include "crypto/tls_conn.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "tests/testing/tls_pair.h"

namespace sipring {
namespace {

using test::as_bytes;
using test::as_string;
using test::seal_record;
using test::sip_message;
using test::split_records;
using test::TlsEnv;
using test::VectorSink;

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

}  // namespace
}  // namespace sipring
