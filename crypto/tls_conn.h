// The TLS state of one connection, from handshake to close.
//
// Handshakes run in BoringSSL over borrowed spans (io_bio.h). Once a server handshake is done,
// application records are opened and sealed in place on the engine's buffers:
//   - TLS 1.3: by our own record layer (record_tls13.h); the SSL object is freed, so an idle
//     connection keeps only two AEAD contexts.
//   - TLS 1.2: by BoringSSL's in-place OpenRecord/SealRecord; the SSL object stays.
// Client connections keep the SSL object and use SSL_read/SSL_write ("buffered"), because
// TLS 1.3 session tickets arrive after the handshake and only BoringSSL can take them.
#pragma once

#include <openssl/base.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "crypto/boringssl.h"
#include "crypto/byte_sink.h"
#include "crypto/cert_select.h"
#include "crypto/io_bio.h"
#include "crypto/record_tls13.h"

namespace sipring {

class TlsConn {
 public:
  // kFailed: the handshake failed, or a fatal alert was sent (send_fatal_alert()).
  enum class Mode : uint8_t { kHandshake, kDirect13, kDirect12, kBuffered, kFailed };
  enum class Step : uint8_t { kNeedMore, kDone, kFailed };
  // What open() made of a record: the TLS 1.3 record layer's outcomes, for both versions.
  using Open = Tls13RecordLayer::Open;
  enum class Read : uint8_t { kData, kNeedMore, kCloseNotify, kError };

  // A server connection on `ctx` (which must outlive the handshake). nullptr on allocation failure.
  static std::unique_ptr<TlsConn> server(SSL_CTX* ctx) noexcept;
  // A client connection; `sni` may be null; `session` (may be null) is offered for resumption;
  // `expected_name` (may be empty) is the name the server's certificate must carry when the
  // context verifies servers (RFC 5922, see crypto/verify.h).
  static std::unique_ptr<TlsConn> client(SSL_CTX* ctx, const char* sni, SSL_SESSION* session,
                                         std::string_view expected_name = {}) noexcept;
  ~TlsConn();

  // Runs the handshake over `in` (empty to start a client). BoringSSL's flights go to `out`.
  // *consumed is how much of `in` BoringSSL read; on kDone the rest of `in` holds application
  // records. On kFailed, failure_reason() says why and any alert BoringSSL wrote is in `out`.
  Step handshake(std::span<const uint8_t> in, size_t* consumed, ByteSink& out) noexcept;

  // --- Direct modes (kDirect13, kDirect12) ---
  // Bytes to leave before the plaintext of a record, and the most bytes sealing adds after it.
  size_t record_prefix() const noexcept { return prefix_; }
  size_t record_suffix_max() const noexcept { return suffix_max_; }
  // Opens the complete record rec[0..len) in place. On kData, *plaintext points into rec.
  // kKeyUpdate: the peer sent a TLS 1.3 KeyUpdate; *key_update_reply is set when it requested
  // ours: the caller seals what it has staged, then calls seal_key_update() before sealing
  // anything else. kHandled: a record with nothing to deliver (e.g. a warning alert).
  // kError: failure_reason() says why, and *alert is the alert RFC 8446 §6 / RFC 5246 §7.2 name
  // for it (bad_record_mac, decode_error, unexpected_message, record_overflow, ...; for TLS 1.2
  // a renegotiation attempt gets no_renegotiation, as BoringSSL's own servers answer it), to be
  // sent with send_fatal_alert(); 0 when the peer ended the connection with its own fatal alert.
  Open open(uint8_t* rec, size_t len, std::span<uint8_t>* plaintext, uint8_t* alert,
            bool* key_update_reply) noexcept;
  // Seals the plaintext at rec[prefix .. prefix+len) in place; returns the record length or 0.
  size_t seal(uint8_t* rec, size_t len) noexcept;
  // Appends our KeyUpdate answer to `out`. TLS 1.3 direct mode only.
  bool seal_key_update(ByteSink& out) noexcept;
  // Appends a fatal alert with `description` to `out`, protected like any record of the
  // connection, after what is already queued. The connection is then failed: nothing more is
  // sealed or opened, and close_notify() writes nothing (RFC 8446 §6.2: a fatal alert ends the
  // connection). Direct modes only; false if no alert could be written.
  bool send_fatal_alert(uint8_t description, ByteSink& out) noexcept;

  // --- Buffered mode (kBuffered) ---
  // Hands received ciphertext to BoringSSL; then call read() until it returns kNeedMore.
  // `in` must stay valid until then.
  void feed(std::span<const uint8_t> in) noexcept;
  // Decrypts into out[0..cap); *n is the plaintext length on kData. Writes (e.g. alerts) go to
  // sink.
  Read read(uint8_t* out, size_t cap, size_t* n, ByteSink& sink) noexcept;
  // Encrypts `plaintext` into `out` as one or more records.
  bool write(std::span<const uint8_t> plaintext, ByteSink& out) noexcept;

  // Attaches an opaque pointer to the SSL (for BoringSSL callbacks); `user_of` reads it back.
  void set_user(void* p) noexcept;
  static void* user_of(const SSL* ssl) noexcept;

  // Appends a close_notify alert to `out`.
  bool close_notify(ByteSink& out) noexcept;

  // Facts about the established connection.
  Mode mode() const { return mode_; }
  uint16_t version() const { return version_; }
  uint16_t cipher() const { return cipher_; }
  bool resumed() const { return resumed_; }
  bool peer_verified() const { return peer_verified_; }
  // The X509_V_* outcome of verifying the peer's chain (X509_V_OK when nothing was verified);
  // after a failed handshake, why the certificate was refused if that is why it failed
  // (CERTIFICATE_VERIFY_FAILED), else X509_V_OK.
  int verify_result() const { return verify_result_; }
  bool peer_revoked() const;
  // The peer's leaf certificate (DER), kept after the handshake only if the peer sent one;
  // nothing is parsed until asked (crypto/cert_facts.h).
  const CRYPTO_BUFFER* peer_certificate() const { return peer_cert_.get(); }
  // Why the handshake or a record failed: BoringSSL's reason text (static storage), or, when
  // the server refused the client in its choice of certificate (certificate_outcome()), that
  // refusal's reason (valid as long as the server context).
  const char* failure_reason() const { return failure_; }
  // Servers: which certificate the handshake served, or why it refused the client
  // (crypto/cert_select.h); kNone before the ClientHello and for clients.
  CertOutcome certificate_outcome() const { return cert_outcome_; }
  // After a failed client handshake: why ocsp_require refused the server's OCSP staple (static
  // text, crypto/verify.h), else nullptr.
  const char* ocsp_refusal() const { return ocsp_refusal_; }
  // Server: whether this handshake sent an OCSP staple (the client asked, the context has one,
  // and the certificate was sent: not a resumption).
  bool stapled() const { return stapled_; }

 private:
  TlsConn() = default;
  // An SSL on `ctx` wired to a fresh IoBioState, neither client nor server yet.
  static std::unique_ptr<TlsConn> make(SSL_CTX* ctx) noexcept;
  void finish_handshake(bool server) noexcept;

  bssl::UniquePtr<SSL> ssl_;
  std::unique_ptr<Tls13RecordLayer> r13_;     // kDirect13 only
  std::unique_ptr<IoBioState> io_;            // while BoringSSL does I/O
  bssl::UniquePtr<CRYPTO_BUFFER> peer_cert_;  // leaf certificate the peer presented, if any
  const char* failure_ = "";
  const char* ocsp_refusal_ = nullptr;
  uint16_t version_ = 0;
  uint16_t cipher_ = 0;
  uint16_t prefix_ = 0;
  uint16_t suffix_max_ = 0;
  int32_t verify_result_ = 0;
  Mode mode_ = Mode::kHandshake;
  CertOutcome cert_outcome_ = CertOutcome::kNone;
  bool resumed_ = false;
  bool peer_verified_ = false;
  bool staple_asked_ = false;  // server: the client asked for a staple and the context has one
  bool stapled_ = false;
};

}  // namespace sipring
