#include "crypto/record_tls13.h"

#include <openssl/digest.h>
#include <openssl/hkdf.h>
#include <openssl/mem.h>
#include <openssl/ssl.h>

#include <cstring>

namespace sipring {
namespace {

// TLS alert descriptions we send (RFC 8446 §6).
constexpr uint8_t kAlertUnexpectedMessage = 10;
constexpr uint8_t kAlertBadRecordMac = 20;
constexpr uint8_t kAlertRecordOverflow = 22;
constexpr uint8_t kAlertIllegalParameter = 47;
constexpr uint8_t kAlertDecodeError = 50;
constexpr uint8_t kAlertInternalError = 80;

constexpr uint8_t kTypeAlert = 21;
constexpr uint8_t kTypeHandshake = 22;
constexpr uint8_t kTypeApplicationData = 23;
constexpr uint8_t kHandshakeKeyUpdate = 24;

struct Suite {
  const EVP_AEAD* aead;
  const EVP_MD* md;
};

bool suite_for(uint16_t cipher, Suite* out) {
  switch (cipher) {
    case 0x1301:
      *out = {EVP_aead_aes_128_gcm(), EVP_sha256()};
      return true;
    case 0x1302:
      *out = {EVP_aead_aes_256_gcm(), EVP_sha384()};
      return true;
    case 0x1303:
      *out = {EVP_aead_chacha20_poly1305(), EVP_sha256()};
      return true;
    default:
      return false;
  }
}

// HKDF-Expand-Label(secret, label, "", out_len) of RFC 8446 §7.1.
bool expand_label(const EVP_MD* md, std::span<const uint8_t> secret, const char* label,
                  uint8_t* out, size_t out_len) {
  uint8_t info[2 + 1 + 255 + 1];
  size_t label_len = strlen(label);
  size_t n = 0;
  info[n++] = static_cast<uint8_t>(out_len >> 8);
  info[n++] = static_cast<uint8_t>(out_len);
  info[n++] = static_cast<uint8_t>(6 + label_len);
  memcpy(info + n, "tls13 ", 6);
  n += 6;
  memcpy(info + n, label, label_len);
  n += label_len;
  info[n++] = 0;  // empty context
  return HKDF_expand(out, out_len, md, secret.data(), secret.size(), info, n) == 1;
}

void write_header(uint8_t* h, size_t body_len) {
  h[0] = kTypeApplicationData;  // every protected TLS 1.3 record says application_data outside
  h[1] = 0x03;
  h[2] = 0x03;
  h[3] = static_cast<uint8_t>(body_len >> 8);
  h[4] = static_cast<uint8_t>(body_len);
}

}  // namespace

Tls13Direction::~Tls13Direction() {
  if (initialized_) EVP_AEAD_CTX_cleanup(&aead_);
  OPENSSL_cleanse(secret_, sizeof(secret_));
  OPENSSL_cleanse(iv_, sizeof(iv_));
}

bool Tls13Direction::init(uint16_t cipher, std::span<const uint8_t> secret, uint64_t seq) noexcept {
  Suite suite;
  if (!suite_for(cipher, &suite) || secret.size() > sizeof(secret_) ||
      secret.size() != EVP_MD_size(suite.md)) {
    return false;
  }
  uint8_t key[EVP_AEAD_MAX_KEY_LENGTH];
  size_t key_len = EVP_AEAD_key_length(suite.aead);
  if (!expand_label(suite.md, secret, "key", key, key_len) ||
      !expand_label(suite.md, secret, "iv", iv_, sizeof(iv_))) {
    return false;
  }
  if (initialized_) EVP_AEAD_CTX_cleanup(&aead_);
  initialized_ =
      EVP_AEAD_CTX_init(&aead_, suite.aead, key, key_len, EVP_AEAD_DEFAULT_TAG_LENGTH, nullptr);
  OPENSSL_cleanse(key, sizeof(key));
  if (!initialized_) return false;
  if (secret.data() != secret_) memcpy(secret_, secret.data(), secret.size());
  secret_len_ = static_cast<uint8_t>(secret.size());
  cipher_ = cipher;
  seq_ = seq;
  return true;
}

bool Tls13Direction::update() noexcept {
  Suite suite;
  if (!initialized_ || !suite_for(cipher_, &suite)) return false;
  uint8_t next[48];
  if (!expand_label(suite.md, {secret_, secret_len_}, "traffic upd", next, secret_len_)) {
    return false;
  }
  memcpy(secret_, next, secret_len_);
  OPENSSL_cleanse(next, sizeof(next));
  return init(cipher_, {secret_, secret_len_}, 0);
}

void Tls13Direction::nonce(uint8_t out[12]) const noexcept {
  memcpy(out, iv_, 12);
  for (int i = 0; i < 8; i++) out[11 - i] ^= static_cast<uint8_t>(seq_ >> (8 * i));
}

size_t Tls13Direction::seal(uint8_t* p, size_t len, uint8_t type,
                            const uint8_t header[5]) noexcept {
  uint8_t n[12];
  nonce(n);
  p[len] = type;
  size_t out_len = 0;
  if (!EVP_AEAD_CTX_seal(&aead_, p, &out_len, len + 1 + Tls13RecordLayer::kTagLen, n, sizeof(n), p,
                         len + 1, header, 5)) {
    return 0;
  }
  seq_++;
  return out_len;
}

bool Tls13Direction::open(uint8_t* p, size_t len, const uint8_t header[5],
                          size_t* out_len) noexcept {
  uint8_t n[12];
  nonce(n);
  if (!EVP_AEAD_CTX_open(&aead_, p, out_len, len, n, sizeof(n), p, len, header, 5)) return false;
  seq_++;
  return true;
}

bool Tls13RecordLayer::init_from(const SSL* ssl) noexcept {
  if (SSL_version(ssl) != TLS1_3_VERSION) return false;
  const SSL_CIPHER* c = SSL_get_current_cipher(ssl);
  if (c == nullptr) return false;
  bssl::Span<const uint8_t> rs, ws;
  if (!bssl::SSL_get_traffic_secrets(ssl, &rs, &ws)) return false;
  return init(SSL_CIPHER_get_protocol_id(c), {rs.data(), rs.size()}, SSL_get_read_sequence(ssl),
              {ws.data(), ws.size()}, SSL_get_write_sequence(ssl));
}

bool Tls13RecordLayer::init(uint16_t cipher, std::span<const uint8_t> read_secret,
                            uint64_t read_seq, std::span<const uint8_t> write_secret,
                            uint64_t write_seq) noexcept {
  cipher_ = cipher;
  return read_.init(cipher, read_secret, read_seq) && write_.init(cipher, write_secret, write_seq);
}

Tls13RecordLayer::Open Tls13RecordLayer::fail(uint8_t* alert, uint8_t description,
                                              const char* why) noexcept {
  *alert = description;
  error_ = why;
  return Open::kError;
}

Tls13RecordLayer::Open Tls13RecordLayer::open(uint8_t* rec, size_t len,
                                              std::span<uint8_t>* plaintext, uint8_t* alert,
                                              bool* need_key_update_reply) noexcept {
  *alert = 0;
  size_t body = len - kHeaderLen;
  // After the handshake every record is protected and says application_data outside (§5.1);
  // change_cipher_spec is only tolerated before the peer's Finished.
  if (rec[0] != kTypeApplicationData) {
    return fail(alert, kAlertUnexpectedMessage, "unprotected record after the handshake");
  }
  if (body > kMaxCiphertext) {
    return fail(alert, kAlertRecordOverflow, "record longer than 2^14 + 256 bytes");
  }
  if (body < kTagLen + 1) {
    return fail(alert, kAlertDecodeError, "record shorter than its tag and content type");
  }
  size_t inner = 0;
  if (!read_.open(rec + kHeaderLen, body, rec, &inner)) {
    return fail(alert, kAlertBadRecordMac, "record failed authentication (bad record MAC)");
  }
  // Padding does not raise the limit: the whole TLSInnerPlaintext (content, type, zeros) is at
  // most 2^14 + 1 bytes (§5.4).
  if (inner > kMaxPlaintext + 1) {
    return fail(alert, kAlertRecordOverflow, "plaintext longer than 2^14 bytes");
  }
  uint8_t* p = rec + kHeaderLen;
  // Strip zero padding; the last non-zero byte is the real content type (§5.4).
  while (inner > 0 && p[inner - 1] == 0) inner--;
  if (inner == 0) return fail(alert, kAlertUnexpectedMessage, "record without a content type");
  uint8_t type = p[inner - 1];
  size_t n = inner - 1;
  switch (type) {
    case kTypeApplicationData:
      *plaintext = {p, n};
      return Open::kData;
    case kTypeAlert:
      if (n != 2) return fail(alert, kAlertDecodeError, "malformed alert");
      if (p[1] == 0) return Open::kCloseNotify;
      if (p[1] == 90) return Open::kHandled;  // user_canceled: a close_notify follows
      // Every other alert is fatal in TLS 1.3 (§6.2): nothing to send back.
      peer_alert_ = p[1];
      return fail(alert, 0, "the peer sent a fatal alert");
    case kTypeHandshake: {
      // Only KeyUpdate may reach a TLS 1.3 server after the handshake (a client never sends
      // NewSessionTicket, and sipring asks for no post-handshake authentication).
      if (n == 0) return fail(alert, kAlertDecodeError, "empty handshake record");
      if (p[0] != kHandshakeKeyUpdate) {
        return fail(alert, kAlertUnexpectedMessage, "post-handshake message other than KeyUpdate");
      }
      // A KeyUpdate body is one byte, and the message must end its record because the key
      // changes right after it (§5.1).
      if (n < 5 || p[1] != 0 || p[2] != 0 || p[3] != 1) {
        return fail(alert, kAlertDecodeError, "malformed KeyUpdate");
      }
      if (n > 5) {
        return fail(alert, kAlertUnexpectedMessage, "KeyUpdate does not end its record");
      }
      if (p[4] > 1) {
        return fail(alert, kAlertIllegalParameter, "KeyUpdate request neither 0 nor 1");
      }
      if (!read_.update()) return fail(alert, kAlertInternalError, "KeyUpdate key derivation");
      key_updates_++;
      *need_key_update_reply = p[4] == 1;
      return Open::kKeyUpdate;
    }
    default:
      return fail(alert, kAlertUnexpectedMessage, "unknown content type");
  }
}

size_t Tls13RecordLayer::seal(uint8_t* rec, size_t len, uint8_t type) noexcept {
  write_header(rec, len + 1 + kTagLen);
  size_t n = write_.seal(rec + kHeaderLen, len, type, rec);
  return n == 0 ? 0 : kHeaderLen + n;
}

size_t Tls13RecordLayer::seal_key_update(uint8_t* rec) noexcept {
  uint8_t* p = rec + kHeaderLen;
  p[0] = kHandshakeKeyUpdate;
  p[1] = 0;
  p[2] = 0;
  p[3] = 1;
  p[4] = 0;  // update_not_requested: we answer, we do not ask back
  size_t n = seal(rec, 5, kTypeHandshake);
  if (n == 0 || !write_.update()) return 0;
  return n;
}

size_t Tls13RecordLayer::seal_alert(uint8_t* rec, uint8_t level, uint8_t description) noexcept {
  rec[kHeaderLen] = level;
  rec[kHeaderLen + 1] = description;
  return seal(rec, 2, kTypeAlert);
}

}  // namespace sipring
