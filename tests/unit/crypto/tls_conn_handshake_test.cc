// Tests of TlsConn's server handshake against BoringSSL clients in memory: TLS 1.3 data in the
// client's Finished flight, the ticket issued during the handshake, and handshake failures
// (non-TLS bytes, version mismatch, a refusing sink, a handshake fed one byte at a time).
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
using test::fresh_pair;
using test::seal_record;
using test::sip_message;
using test::split_records;
using test::TlsEnv;
using test::VectorSink;

// ---------------------------------------------------------------------------------------------
// TLS 1.3 specifics of the handshake hand-over.

TEST(TlsConnTest, Tls13DataInTheClientsFinishedFlightOpensAfterTheHandshake) {
  auto [sctx, cctx, client, server] = fresh_pair("TLSv1.2+", "TLSv1.3");
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
  auto [sctx, cctx, client, server] = fresh_pair("TLSv1.2+", "TLSv1.3");
  std::string error;
  ASSERT_TRUE(test::handshake(*client, *server, &error)) << error;
  std::vector<uint8_t> none;
  ASSERT_EQ(client->read_all(&none), SSL_ERROR_WANT_READ);
  ASSERT_EQ(client->sessions().size(), 1u);
  EXPECT_TRUE(SSL_SESSION_is_resumable(client->sessions()[0].get()));
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
  auto [sctx, cctx, client, server] = fresh_pair("TLSv1.3", "TLSv1.2");
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
  // The server has an ECDSA certificate; the client offers only an RSA suite (the server's
  // certificate choice refuses it, crypto/cert_select.h).
  auto [sctx, cctx, client, server] =
      fresh_pair("TLSv1.2", "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256");
  ASSERT_EQ(SSL_do_handshake(client->ssl()), -1);
  std::vector<uint8_t> hello = client->take();
  VectorSink sink;
  size_t consumed = 0;
  EXPECT_EQ(server->handshake(hello, &consumed, sink), TlsConn::Step::kFailed);
  EXPECT_STREQ(server->failure_reason(),
               "the client offers no TLS 1.2 cipher suite of cipher_list for an ECDSA "
               "certificate; add certificate2 (RSA)");
  EXPECT_EQ(server->certificate_outcome(), CertOutcome::kNoCertificate);
  EXPECT_EQ(server->verify_result(), X509_V_OK);

  auto junk_server = TlsConn::server(sctx.get());
  std::string junk = "OPTIONS sip:a@b SIP/2.0\r\n\r\n";
  EXPECT_EQ(junk_server->handshake(as_bytes(junk), &consumed, sink), TlsConn::Step::kFailed);
  EXPECT_EQ(junk_server->verify_result(), X509_V_OK);
}

TEST(TlsConnTest, RefusingSinkFailsTheHandshake) {
  auto [sctx, cctx, client, server] = fresh_pair("TLSv1.2+", "TLSv1.3");
  ASSERT_EQ(SSL_do_handshake(client->ssl()), -1);
  std::vector<uint8_t> hello = client->take();
  VectorSink sink;
  sink.refuse = true;
  size_t consumed = 0;
  EXPECT_EQ(server->handshake(hello, &consumed, sink), TlsConn::Step::kFailed);
  EXPECT_EQ(server->mode(), TlsConn::Mode::kFailed);
}

TEST(TlsConnTest, HandshakeSplitIntoSingleBytesCompletes) {
  auto [sctx, cctx, client, server] = fresh_pair("TLSv1.2+", "TLSv1.3");
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

}  // namespace
}  // namespace sipring
