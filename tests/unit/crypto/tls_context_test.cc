// Tests of the TLS contexts sipring makes (crypto/tls_context.h): the default configuration
// (RFC 9325's suites in the server's order, weak suites named, CBC and RSA key exchange refused,
// session lifetimes within the ticket keys' life) and the client-verification modes.
#include "crypto/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <string>
#include <vector>

#include "crypto/ticket_keys.h"
#include "crypto/tls_conn.h"
#include "tests/testing/tls_pair.h"

namespace sipring {
namespace {

using test::connect;
using test::fresh_pair;
using test::MemSsl;
using test::Pair;
using test::TlsEnv;

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
  EXPECT_EQ(
      cipher_names(sctx.get()),
      (std::vector<std::string>{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
                                "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
                                "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305"}));
  EXPECT_EQ(weak_cipher_suites(sctx.get()), "");
  EXPECT_NE(SSL_CTX_get_options(sctx.get()) & SSL_OP_CIPHER_SERVER_PREFERENCE, 0u);
  // Clients (the engine's client role) default to the same suites.
  EXPECT_EQ(cipher_names(TlsEnv::client_ctx("TLSv1.2+").get()), cipher_names(sctx.get()));
}

TEST(DefaultTlsConfig, WeakSuitesInAnExplicitListAreNamedWithTheirFaults) {
  auto sctx = TlsEnv::get().server_ctx(
      "TLSv1.2+",
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:AES256-GCM-SHA384:DES-CBC3-SHA");
  ASSERT_NE(sctx, nullptr);
  EXPECT_EQ(weak_cipher_suites(sctx.get()),
            "ECDHE-RSA-AES128-SHA (CBC), AES256-GCM-SHA384 (RSA key exchange), DES-CBC3-SHA "
            "(3DES, CBC, RSA key exchange)");
}

TEST(DefaultTlsConfig, TheServersOrderWinsOverTheClients) {
  // The client prefers ChaCha20, then AES-256-GCM; the server's list ranks AES-256-GCM first.
  Pair p =
      connect("TLSv1.2+", "TLSv1.2", "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384");
  ASSERT_NE(p.server, nullptr);
  EXPECT_EQ(p.server->cipher(), 0xC02C);  // ECDHE-ECDSA-AES256-GCM-SHA384
}

TEST(DefaultTlsConfig, CbcAndRsaKeyExchangeClientsAreRefused) {
  for (const char* suite : {"ECDHE-ECDSA-AES128-SHA", "AES128-GCM-SHA256", "DES-CBC3-SHA"}) {
    SCOPED_TRACE(suite);
    auto [sctx, cctx, client, server] = fresh_pair("TLSv1.2+", "TLSv1.2", suite);
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
