#include "crypto/tls_conn.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>

#include "crypto/ocsp_staple.h"
#include "crypto/verify.h"

namespace sipring {
namespace {

const char* reason_from_queue(const char* fallback) {
  uint32_t err = ERR_peek_last_error();
  const char* reason = err != 0 ? ERR_reason_error_string(err) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : fallback;
}

}  // namespace

TlsConn::~TlsConn() = default;

std::unique_ptr<TlsConn> TlsConn::make(SSL_CTX* ctx) noexcept {
  std::unique_ptr<TlsConn> c(new (std::nothrow) TlsConn());
  if (!c) return nullptr;
  c->ssl_.reset(SSL_new(ctx));
  c->io_.reset(new (std::nothrow) IoBioState());
  if (!c->ssl_ || !c->io_) return nullptr;
  BIO* bio = new_io_bio(c->io_.get());
  if (bio == nullptr) return nullptr;
  SSL_set_bio(c->ssl_.get(), bio, bio);  // one reference, used both ways
  return c;
}

std::unique_ptr<TlsConn> TlsConn::server(SSL_CTX* ctx) noexcept {
  std::unique_ptr<TlsConn> c = make(ctx);
  if (!c) return nullptr;
  SSL_set_accept_state(c->ssl_.get());
  // The handshake configuration (certificate, key, lists) is only needed until the handshake
  // ends; shedding it keeps TLS 1.2 connections, which keep their SSL, small.
  SSL_set_shed_handshake_config(c->ssl_.get(), 1);
  return c;
}

std::unique_ptr<TlsConn> TlsConn::client(SSL_CTX* ctx, const char* sni, SSL_SESSION* session,
                                         std::string_view expected_name) noexcept {
  std::unique_ptr<TlsConn> c = make(ctx);
  if (!c) return nullptr;
  SSL_set_connect_state(c->ssl_.get());
  if (sni != nullptr && sni[0] != '\0') SSL_set_tlsext_host_name(c->ssl_.get(), sni);
  if (session != nullptr) SSL_set_session(c->ssl_.get(), session);
  if (!set_expected_peer_name(c->ssl_.get(), expected_name)) return nullptr;
  return c;
}

bool TlsConn::peer_revoked() const {
  return verify_result_ == X509_V_ERR_CERT_REVOKED;
}

TlsConn::Step TlsConn::handshake(std::span<const uint8_t> in, size_t* consumed,
                                 ByteSink& out) noexcept {
  *consumed = 0;
  if (mode_ != Mode::kHandshake) return mode_ == Mode::kFailed ? Step::kFailed : Step::kDone;
  io_->set_input(in);
  io_->out = &out;
  int r = SSL_do_handshake(ssl_.get());
  *consumed = io_->in_pos;
  const char* refusal = nullptr;
  if (CertOutcome o = take_certificate_outcome(ssl_.get(), &refusal); o != CertOutcome::kNone) {
    cert_outcome_ = o;
  }
  if (r == 1) {
    finish_handshake(SSL_is_server(ssl_.get()));
    return Step::kDone;
  }
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ) {
    // The request is only visible while the handshake runs (BoringSSL drops it at the end).
    if (!staple_asked_ && SSL_is_server(ssl_.get()) &&
        SSL_get_tlsext_status_type(ssl_.get()) == TLSEXT_STATUSTYPE_ocsp) {
      staple_asked_ = context_staples(SSL_get_SSL_CTX(ssl_.get()));
    }
    return Step::kNeedMore;
  }
  const uint32_t last = ERR_peek_last_error();
  failure_ = reason_from_queue(err == SSL_ERROR_ZERO_RETURN ? "peer closed during handshake"
                                                            : "handshake failed");
  if (refusal != nullptr) failure_ = refusal;
  if (ERR_GET_LIB(last) == ERR_LIB_SSL && ERR_GET_REASON(last) == SSL_R_NO_SHARED_GROUP) {
    // TLS 1.3: BoringSSL found no group of the context's list among the client's.
    cert_outcome_ = CertOutcome::kNoSharedGroup;
    failure_ =
        "NO_SHARED_GROUP: the client offers none of the domain's key-exchange groups "
        "(tls.groups)";
  }
  // Why the peer's certificate was refused (revoked, expired, unknown CA, wrong name), which
  // the error queue only calls CERTIFICATE_VERIFY_FAILED. Only then: for a handshake that failed
  // before verification ran (no shared cipher, bad record, ...) or with verification off,
  // BoringSSL answers X509_V_ERR_INVALID_CALL ("Invalid certificate verification context"),
  // which is no reason at all.
  verify_result_ =
      ERR_GET_LIB(last) == ERR_LIB_SSL && ERR_GET_REASON(last) == SSL_R_CERTIFICATE_VERIFY_FAILED
          ? static_cast<int32_t>(SSL_get_verify_result(ssl_.get()))
          : X509_V_OK;
  if (!SSL_is_server(ssl_.get())) ocsp_refusal_ = sipring::ocsp_refusal(ssl_.get());
  mode_ = Mode::kFailed;
  return Step::kFailed;
}

void TlsConn::finish_handshake(bool server) noexcept {
  SSL* ssl = ssl_.get();
  version_ = static_cast<uint16_t>(SSL_version(ssl));
  cipher_ = SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(ssl));
  resumed_ = SSL_session_reused(ssl) != 0;
  stapled_ = staple_asked_ && !resumed_;
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(ssl);
  if (chain != nullptr && sk_CRYPTO_BUFFER_num(chain) > 0) {
    CRYPTO_BUFFER* leaf = sk_CRYPTO_BUFFER_value(chain, 0);
    CRYPTO_BUFFER_up_ref(leaf);
    peer_cert_.reset(leaf);
  }
  verify_result_ = static_cast<int32_t>(SSL_get_verify_result(ssl));
  // is_peer_verified(): a certificate was presented, verification ran, and the chain verified.
  peer_verified_ = peer_cert_ != nullptr && (SSL_get_verify_mode(ssl) & SSL_VERIFY_PEER) != 0 &&
                   verify_result_ == X509_V_OK;
  if (!server) {
    mode_ = Mode::kBuffered;
    return;
  }
  if (version_ == TLS1_3_VERSION) {
    // BoringSSL holds TLS 1.3 session tickets back until the server's first write (so a client
    // that never reads cannot stall it). We take over writing, so flush them now with an empty
    // write; they were sealed already, so the write sequence below accounts for them.
    SSL_write(ssl, "", 0);
    ERR_clear_error();
    r13_.reset(new (std::nothrow) Tls13RecordLayer());
    if (r13_ && r13_->init_from(ssl)) {
      mode_ = Mode::kDirect13;
      prefix_ = Tls13RecordLayer::kHeaderLen;
      suffix_max_ = 1 + Tls13RecordLayer::kTagLen;
      // Everything BoringSSL had to say (including session tickets) is already written, so
      // the SSL object and its buffers can go: the record layer carries on alone.
      ssl_.reset();
      io_.reset();
      return;
    }
    r13_.reset();
    failure_ = "unsupported TLS 1.3 cipher suite";
    mode_ = Mode::kFailed;
    return;
  }
  mode_ = Mode::kDirect12;
  prefix_ = static_cast<uint16_t>(bssl::SealRecordPrefixLen(ssl, SSL3_RT_MAX_PLAIN_LENGTH));
  size_t suffix = 0;
  // CBC padding makes the suffix depend on the length modulo the block size.
  for (size_t len = SSL3_RT_MAX_PLAIN_LENGTH - 32; len <= SSL3_RT_MAX_PLAIN_LENGTH; len++) {
    suffix = std::max(suffix, bssl::SealRecordSuffixLen(ssl, len));
  }
  suffix_max_ = static_cast<uint16_t>(suffix);
}

TlsConn::Open TlsConn::open(uint8_t* rec, size_t len, std::span<uint8_t>* plaintext, uint8_t* alert,
                            bool* key_update_reply) noexcept {
  *alert = 0;
  if (mode_ == Mode::kDirect13) {
    const Open result = r13_->open(rec, len, plaintext, alert, key_update_reply);
    if (result == Open::kError) {
      // The peer's own alert by name (static strings), else what was wrong with the record.
      failure_ = *alert == 0 && r13_->peer_alert() != 0
                     ? SSL_alert_desc_string_long(r13_->peer_alert())
                     : r13_->error();
    }
    return result;
  }
  if (mode_ != Mode::kDirect12) return Open::kError;
  bssl::Span<uint8_t> out;
  size_t record_len = 0;
  switch (bssl::OpenRecord(ssl_.get(), &out, &record_len, alert, bssl::Span<uint8_t>(rec, len))) {
    case bssl::OpenRecordResult::kOK:
      *plaintext = {out.data(), out.size()};
      return Open::kData;
    case bssl::OpenRecordResult::kDiscard:
      return Open::kHandled;
    case bssl::OpenRecordResult::kAlertCloseNotify:
      return Open::kCloseNotify;
    case bssl::OpenRecordResult::kIncompleteRecord:
    case bssl::OpenRecordResult::kError:
      break;
  }
  // OpenRecord refuses an authenticated handshake record with unexpected_message. After a TLS
  // 1.2 handshake a client sends one only to renegotiate (RFC 5746), which sipring never does:
  // answer no_renegotiation, the alert RFC 5246 §7.2.2 defines for it, at the fatal level as
  // BoringSSL's own SSL_read does for servers, since the connection ends here.
  if (*alert == SSL_AD_UNEXPECTED_MESSAGE && rec[0] == SSL3_RT_HANDSHAKE) {
    ERR_clear_error();
    *alert = SSL_AD_NO_RENEGOTIATION;
    failure_ = "renegotiation attempt (handshake message after the handshake)";
    return Open::kError;
  }
  failure_ = reason_from_queue("bad TLS 1.2 record");
  return Open::kError;
}

size_t TlsConn::seal(uint8_t* rec, size_t len) noexcept {
  if (mode_ == Mode::kDirect13) return r13_->seal(rec, len);
  if (mode_ != Mode::kDirect12) return 0;
  size_t suffix = bssl::SealRecordSuffixLen(ssl_.get(), len);
  uint8_t* body = rec + prefix_;
  if (!bssl::SealRecord(ssl_.get(), bssl::Span<uint8_t>(rec, prefix_),
                        bssl::Span<uint8_t>(body, len), bssl::Span<uint8_t>(body + len, suffix),
                        bssl::Span<const uint8_t>(body, len))) {
    failure_ = reason_from_queue("sealing a TLS 1.2 record failed");
    return 0;
  }
  return prefix_ + len + suffix;
}

bool TlsConn::seal_key_update(ByteSink& out) noexcept {
  if (mode_ != Mode::kDirect13) return false;
  uint8_t rec[Tls13RecordLayer::kOverhead + 5];
  size_t n = r13_->seal_key_update(rec);
  return n != 0 && out.write({rec, n});
}

bool TlsConn::send_fatal_alert(uint8_t description, ByteSink& out) noexcept {
  bool written = false;
  if (mode_ == Mode::kDirect13) {
    uint8_t rec[Tls13RecordLayer::kOverhead + 2];
    size_t n = r13_->seal_alert(rec, SSL3_AL_FATAL, description);
    written = n != 0 && out.write({rec, n});
  } else if (mode_ == Mode::kDirect12 && ssl_ && io_) {
    // BoringSSL seals the alert under the current write key and sequence (SealRecord keeps both
    // in the SSL) and writes it through the connection's BIO to `out`.
    io_->out = &out;
    written = SSL_send_fatal_alert(ssl_.get(), description) > 0;
    ERR_clear_error();
  } else {
    return false;
  }
  mode_ = Mode::kFailed;
  return written;
}

void TlsConn::feed(std::span<const uint8_t> in) noexcept {
  if (io_) io_->set_input(in);
}

TlsConn::Read TlsConn::read(uint8_t* out, size_t cap, size_t* n, ByteSink& sink) noexcept {
  *n = 0;
  if (mode_ != Mode::kBuffered) return Read::kError;
  io_->out = &sink;
  int r = SSL_read(ssl_.get(), out, static_cast<int>(std::min<size_t>(cap, INT32_MAX)));
  if (r > 0) {
    *n = static_cast<size_t>(r);
    return Read::kData;
  }
  int err = SSL_get_error(ssl_.get(), r);
  if (err == SSL_ERROR_WANT_READ) return Read::kNeedMore;
  if (err == SSL_ERROR_ZERO_RETURN) return Read::kCloseNotify;
  failure_ = reason_from_queue("TLS read failed");
  return Read::kError;
}

bool TlsConn::write(std::span<const uint8_t> plaintext, ByteSink& out) noexcept {
  if (mode_ != Mode::kBuffered) return false;
  io_->out = &out;
  int r = SSL_write(ssl_.get(), plaintext.data(), static_cast<int>(plaintext.size()));
  if (r == static_cast<int>(plaintext.size())) return true;
  failure_ = reason_from_queue("TLS write failed");
  return false;
}

void TlsConn::set_user(void* p) noexcept {
  if (ssl_) SSL_set_app_data(ssl_.get(), p);
}

void* TlsConn::user_of(const SSL* ssl) noexcept {
  return SSL_get_app_data(ssl);
}

bool TlsConn::close_notify(ByteSink& out) noexcept {
  if (mode_ == Mode::kDirect13) {
    uint8_t rec[Tls13RecordLayer::kOverhead + 2];
    size_t n = r13_->seal_alert(rec, 1, 0);
    return n != 0 && out.write({rec, n});
  }
  if (!ssl_ || !io_ || mode_ == Mode::kHandshake || mode_ == Mode::kFailed) return false;
  io_->out = &out;
  int r = SSL_shutdown(ssl_.get());
  ERR_clear_error();
  return r >= 0;
}

}  // namespace sipring
