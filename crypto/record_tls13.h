// TLS 1.3 record protection done in place on sipring's own buffers (RFC 8446 §5).
//
// After BoringSSL finishes a TLS 1.3 handshake, the engine takes the traffic secrets and
// sequence numbers and frees the SSL object: an idle connection then holds only this state
// (two AEAD contexts and two secrets), and every record is decrypted where the kernel put it
// and encrypted where it will be sent from, with no copy into or out of BoringSSL's buffers.
// KeyUpdate (§4.6.3) is handled here; any other post-handshake message is an error for a server.
// Every refused record comes with the alert RFC 8446 §5 and §6 name for it and a reason for the
// log, so the caller can tell the peer and the operator why the connection ends.
#pragma once

#include <openssl/aead.h>
#include <openssl/base.h>

#include <cstddef>
#include <cstdint>
#include <span>

namespace sipring {

// One direction (read or write) of a TLS 1.3 connection.
class Tls13Direction {
 public:
  Tls13Direction() = default;
  ~Tls13Direction();
  Tls13Direction(const Tls13Direction&) = delete;
  Tls13Direction& operator=(const Tls13Direction&) = delete;

  // Derives key and IV from `secret` (RFC 8446 §7.3). `cipher` is the IANA suite number.
  bool init(uint16_t cipher, std::span<const uint8_t> secret, uint64_t seq) noexcept;
  // Replaces the secret with the next generation ("traffic upd") and resets the sequence.
  bool update() noexcept;

  // Encrypts `len` plaintext bytes at p[0..len) in place as inner type `type`; p[len] must be
  // writable for the type byte and p[len+1..len+1+kTagLen) for the tag. Returns the ciphertext
  // length (len + 1 + tag), or 0 on failure. `header` is the 5-byte record header (AAD).
  size_t seal(uint8_t* p, size_t len, uint8_t type, const uint8_t header[5]) noexcept;
  // Decrypts `len` ciphertext bytes at p in place. Returns false on authentication failure.
  // On success *out_len is the inner plaintext length, including the trailing type byte and
  // any padding.
  bool open(uint8_t* p, size_t len, const uint8_t header[5], size_t* out_len) noexcept;

  uint64_t seq() const { return seq_; }

 private:
  void nonce(uint8_t out[12]) const noexcept;

  EVP_AEAD_CTX aead_{};
  uint8_t iv_[12] = {};
  uint8_t secret_[48] = {};
  uint8_t secret_len_ = 0;
  uint16_t cipher_ = 0;
  bool initialized_ = false;
  uint64_t seq_ = 0;
};

// Both directions plus the record framing around them.
class Tls13RecordLayer {
 public:
  static constexpr size_t kHeaderLen = 5;
  static constexpr size_t kTagLen = 16;
  static constexpr size_t kMaxPlaintext = 16384;
  static constexpr size_t kMaxCiphertext = kMaxPlaintext + 256;
  // Overhead added to each sealed record: header + inner type byte + tag.
  static constexpr size_t kOverhead = kHeaderLen + 1 + kTagLen;

  // Takes over from a BoringSSL connection whose TLS 1.3 handshake completed; the SSL may be
  // freed afterwards. Returns false if the suite is not one we implement.
  bool init_from(const SSL* ssl) noexcept;
  // Starts from given traffic secrets (what init_from takes out of BoringSSL), for tests and
  // fuzzing that need both ends of a record stream without a handshake.
  bool init(uint16_t cipher, std::span<const uint8_t> read_secret, uint64_t read_seq,
            std::span<const uint8_t> write_secret, uint64_t write_seq) noexcept;

  enum class Open : uint8_t {
    kData,         // *plaintext holds application data (may be empty)
    kKeyUpdate,    // a KeyUpdate, requested or not: the read key moved on; nothing to deliver
    kHandled,      // a record we consumed ourselves (user_canceled); nothing to deliver
    kCloseNotify,  // the peer closed its side cleanly
    kError,        // bad record: send *alert as a fatal alert (if non-zero) and close
  };
  // Opens the complete record at rec[0..len) (header included) in place.
  // `*need_key_update_reply` is set (with kKeyUpdate) when the peer asked us to update our write
  // key: the caller must then seal_key_update() before sending anything else.
  // On kError, *alert is the alert to send: bad_record_mac (20) when decryption fails,
  // decode_error (50) for a malformed record or message, unexpected_message (10) for a record or
  // post-handshake message a server never accepts, record_overflow (22), illegal_parameter (47)
  // for a KeyUpdate that is neither 0 nor 1; 0 when the peer sent a fatal alert itself (nothing
  // goes back). error() then says why, and peer_alert() names the peer's alert.
  Open open(uint8_t* rec, size_t len, std::span<uint8_t>* plaintext, uint8_t* alert,
            bool* need_key_update_reply) noexcept;
  // Why the last open() returned kError (static storage), "" before any error.
  const char* error() const { return error_; }
  // The description of the fatal alert the peer sent (open() returned kError, *alert == 0).
  uint8_t peer_alert() const { return peer_alert_; }

  // Seals the application data at rec[kHeaderLen .. kHeaderLen+len) in place, writing the header
  // before it and type+tag after it. Returns the record length (len + kOverhead) or 0.
  size_t seal(uint8_t* rec, size_t len, uint8_t type = 23) noexcept;
  // Writes a KeyUpdate(update_not_requested) record at rec (room for 5 + kOverhead bytes)
  // and switches to the next write key. Returns the record length or 0.
  size_t seal_key_update(uint8_t* rec) noexcept;
  // Writes an alert record (e.g. close_notify = 0). Returns the record length or 0.
  size_t seal_alert(uint8_t* rec, uint8_t level, uint8_t description) noexcept;

  uint16_t cipher() const { return cipher_; }
  // KeyUpdates received, requested or not.
  uint64_t key_updates() const { return key_updates_; }

 private:
  Open fail(uint8_t* alert, uint8_t description, const char* why) noexcept;

  Tls13Direction read_;
  Tls13Direction write_;
  const char* error_ = "";
  uint16_t cipher_ = 0;
  uint8_t peer_alert_ = 0;
  uint32_t key_updates_ = 0;
};

}  // namespace sipring
