// In-memory TLS plumbing for tests and benchmarks: a ByteSink that collects bytes, a BoringSSL
// SSL over memory BIOs, record splitting, and a handshake driver between a BoringSSL client and
// a sipring TlsConn server, so the crypto layer can be exercised without sockets.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crypto/byte_sink.h"
#include "crypto/tls_conn.h"

namespace sipring::test {

// Collects everything written to it; `refuse` makes writes fail (a full send queue).
class VectorSink final : public ByteSink {
 public:
  bool write(std::span<const uint8_t> bytes) noexcept override;
  // Returns the collected bytes and starts over.
  std::vector<uint8_t> take();

  std::vector<uint8_t> bytes;
  bool refuse = false;
};

// Cuts a byte stream into complete TLS records (header included). Bytes after the last complete
// record go to *rest if it is non-null.
std::vector<std::vector<uint8_t>> split_records(std::span<const uint8_t> stream,
                                                std::vector<uint8_t>* rest = nullptr);

// A BoringSSL SSL whose transport is a pair of memory BIOs. New session tickets it receives are
// kept in sessions() (the context must not have its own new-session callback).
class MemSsl {
 public:
  // A client on `ctx` offering `session` (may be null) and sending `sni` (may be null).
  static std::unique_ptr<MemSsl> client(SSL_CTX* ctx, const char* sni = "localhost",
                                        SSL_SESSION* session = nullptr);
  // A server on `ctx`.
  static std::unique_ptr<MemSsl> server(SSL_CTX* ctx);
  ~MemSsl();
  MemSsl(const MemSsl&) = delete;
  MemSsl& operator=(const MemSsl&) = delete;

  SSL* ssl() const { return ssl_.get(); }
  // Hands bytes from the peer to BoringSSL.
  void give(std::span<const uint8_t> bytes);
  // Returns (and removes) everything BoringSSL wrote.
  std::vector<uint8_t> take();
  // SSL_write of all of `plaintext` (one record per call up to 16 KiB); returns the wire bytes.
  // An empty result with a non-empty input means SSL_write failed.
  std::vector<uint8_t> write(std::span<const uint8_t> plaintext);
  // SSL_read until BoringSSL has no more plaintext. Appends plaintext to *out and, if non-null,
  // the size of each SSL_read result to *chunks (one record at most per call). Returns the
  // SSL_get_error code of the last call: SSL_ERROR_WANT_READ when the input ran dry,
  // SSL_ERROR_ZERO_RETURN after a close_notify, SSL_ERROR_SSL on a bad record.
  int read_all(std::vector<uint8_t>* out, std::vector<size_t>* chunks = nullptr);
  // Session tickets received so far, oldest first.
  const std::vector<bssl::UniquePtr<SSL_SESSION>>& sessions() const { return sessions_; }

 private:
  MemSsl() = default;
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  bssl::UniquePtr<SSL> ssl_;
  BIO* rbio_ = nullptr;  // owned by ssl_
  BIO* wbio_ = nullptr;  // owned by ssl_
  std::vector<bssl::UniquePtr<SSL_SESSION>> sessions_;
};

// Runs a handshake between a BoringSSL client and a sipring server, passing each flight in
// memory. Everything the server wrote (including post-handshake tickets) has been given to the
// client on return. Bytes the client sent after its last flight and the server did not consume
// end up in *leftover. Returns false with *error set if either side failed.
bool handshake(MemSsl& client, TlsConn& server, std::string* error,
               std::vector<uint8_t>* leftover = nullptr);

// The same between two plain BoringSSL endpoints (the baseline sipring is compared with).
bool handshake(MemSsl& client, MemSsl& server, std::string* error);

// The same between a sipring client (buffered mode) and a sipring server.
bool handshake(TlsConn& client, TlsConn& server, std::string* error);

// Seals `plaintext` with a server in a direct mode: lays it out with record_prefix() room before
// and record_suffix_max() after, calls seal() and returns the record (empty if seal failed).
std::vector<uint8_t> seal_record(TlsConn& server, std::span<const uint8_t> plaintext);

// Converts a string to bytes.
std::span<const uint8_t> as_bytes(const std::string& s);
std::string as_string(std::span<const uint8_t> b);

}  // namespace sipring::test
