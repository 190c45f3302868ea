// A sipring TlsConn server and a BoringSSL client over memory, for the crypto tests: one shared
// server certificate and ticket keys (TlsEnv), contexts made the way the engine makes them, a
// connected pair (connect), and deterministic payloads (pattern, sip_message).
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crypto/ticket_keys.h"
#include "crypto/tls_conn.h"
#include "tests/testing/mem_tls.h"
#include "tests/testing/test_cert.h"

namespace sipring::test {

// `n` bytes that differ with `seed` and along the buffer (no long runs of one value).
std::vector<uint8_t> pattern(size_t n, uint32_t seed);

// A SIP MESSAGE request numbered `i`, with a small body and a right Content-Length.
std::string sip_message(int i);

// One server certificate and one set of ticket keys shared by every test of a binary
// (generating a certificate per test is wasteful).
class TlsEnv {
 public:
  static TlsEnv& get();
  TestCert cert;
  TicketKeys keys;

  // A server context as the engine makes it (make_server_context) on `cert` and `keys`; null
  // (and a test failure) if that fails.
  bssl::UniquePtr<SSL_CTX> server_ctx(const std::string& method = "TLSv1.2+",
                                      const std::string& ciphers = "");
  // A client context (make_client_context); verifies the server against `ca_file` when set.
  static bssl::UniquePtr<SSL_CTX> client_ctx(const std::string& method,
                                             const std::string& ciphers = "",
                                             const std::string& ca_file = "");
};

// A BoringSSL client connected to a sipring server in a direct mode.
struct Pair {
  bssl::UniquePtr<SSL_CTX> sctx;
  bssl::UniquePtr<SSL_CTX> cctx;
  std::unique_ptr<MemSsl> client;
  std::unique_ptr<TlsConn> server;

  // Client bytes (one or more records) -> server; returns the plaintexts of the data records,
  // and fails the test if a record is not data or is not opened in place.
  std::vector<std::string> to_server(const std::vector<uint8_t>& wire);
};

// A pair not connected yet, for tests that drive the handshake themselves:
//   auto [sctx, cctx, client, server] = fresh_pair("TLSv1.2+", "TLSv1.3");
Pair fresh_pair(const std::string& server_method, const std::string& client_method,
                const std::string& client_ciphers = "", const std::string& server_ciphers = "");

// fresh_pair(), handshaken (a test failure if the handshake fails).
Pair connect(const std::string& server_method, const std::string& client_method,
             const std::string& client_ciphers = "", const std::string& server_ciphers = "");

}  // namespace sipring::test
