#include "tests/testing/tls_pair.h"

#include <gtest/gtest.h>

#include "crypto/tls_context.h"

namespace sipring::test {

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

TlsEnv& TlsEnv::get() {
  static TlsEnv env;
  return env;
}

bssl::UniquePtr<SSL_CTX> TlsEnv::server_ctx(const std::string& method, const std::string& ciphers) {
  TlsProfile p;
  p.tls_method = method;
  p.cipher_list = ciphers;
  p.certificate = cert.pem_path();
  auto ctx = make_server_context(p, -1, &keys);
  EXPECT_TRUE(ctx) << ctx.error().message;
  return ctx ? std::move(ctx.value()) : nullptr;
}

bssl::UniquePtr<SSL_CTX> TlsEnv::client_ctx(const std::string& method, const std::string& ciphers,
                                            const std::string& ca_file) {
  TlsProfile o;
  o.tls_method = method;
  o.cipher_list = ciphers;
  o.ca_list = ca_file;
  o.verify_certificate = !ca_file.empty();
  auto ctx = make_client_context(o);
  EXPECT_TRUE(ctx) << ctx.error().message;
  return ctx ? std::move(ctx.value()) : nullptr;
}

std::vector<std::string> Pair::to_server(const std::vector<uint8_t>& wire) {
  std::vector<std::string> out;
  std::vector<uint8_t> rest;
  for (auto& rec : split_records(wire, &rest)) {
    std::span<uint8_t> pt;
    uint8_t alert = 0xff;
    bool ku = false;
    TlsConn::Open r = server->open(rec.data(), rec.size(), &pt, &alert, &ku);
    EXPECT_EQ(r, TlsConn::Open::kData) << "alert " << int(alert) << " " << server->failure_reason();
    if (r != TlsConn::Open::kData) break;
    // In place: the plaintext lies inside the record buffer.
    EXPECT_GE(pt.data(), rec.data());
    EXPECT_LE(pt.data() + pt.size(), rec.data() + rec.size());
    out.push_back(as_string(pt));
  }
  EXPECT_TRUE(rest.empty());
  return out;
}

Pair fresh_pair(const std::string& server_method, const std::string& client_method,
                const std::string& client_ciphers, const std::string& server_ciphers) {
  Pair p;
  p.sctx = TlsEnv::get().server_ctx(server_method, server_ciphers);
  p.cctx = TlsEnv::client_ctx(client_method, client_ciphers);
  p.client = MemSsl::client(p.cctx.get());
  p.server = TlsConn::server(p.sctx.get());
  return p;
}

Pair connect(const std::string& server_method, const std::string& client_method,
             const std::string& client_ciphers, const std::string& server_ciphers) {
  Pair p = fresh_pair(server_method, client_method, client_ciphers, server_ciphers);
  std::string error;
  EXPECT_TRUE(handshake(*p.client, *p.server, &error)) << error;
  return p;
}

}  // namespace sipring::test
