// Session-ticket keys shared by every reactor: one current key that seals new tickets and the
// previous key that still opens tickets issued before the last rotation.
//
// Reactors read the keys inside BoringSSL's ticket callback without locks (a seqlock: readers
// retry in the rare case a rotation overlaps their copy). One writer rotates them, normally
// the engine's control thread on a timer.
#pragma once

#include <openssl/base.h>

#include <array>
#include <atomic>
#include <cstdint>

namespace sipring {

class TicketKeys {
 public:
  static constexpr size_t kNameLen = 16;
  struct Key {
    uint8_t name[kNameLen];  // identifies the key inside each ticket
    uint8_t aes[16];         // AES-128-CBC ticket encryption
    uint8_t hmac[32];        // HMAC-SHA256 ticket authentication
  };

  // Starts with a fresh random current key and no previous key.
  TicketKeys();

  // Makes a new random key current; the old current becomes previous, the old previous is
  // forgotten (its tickets fall back to full handshakes). Single writer only.
  void rotate() noexcept;

  // Installs this object as `ctx`'s ticket key callback. The object must outlive `ctx`.
  void attach(SSL_CTX* ctx) noexcept;

  uint64_t rotations() const noexcept { return rotations_.load(std::memory_order_relaxed); }

  // Copies a consistent snapshot of both keys. `has_previous` is false before the first
  // rotation.
  void snapshot(Key* current, Key* previous, bool* has_previous) const noexcept;

 private:
  static constexpr size_t kWords = sizeof(Key) / sizeof(uint64_t);
  static_assert(sizeof(Key) % sizeof(uint64_t) == 0);

  static int ticket_callback(SSL* ssl, uint8_t* key_name, uint8_t* iv, EVP_CIPHER_CTX* cipher,
                             HMAC_CTX* hmac, int encrypt);
  void store(std::array<std::atomic<uint64_t>, kWords>& dst, const Key& key) noexcept;

  // Even = stable, odd = a rotation is writing.
  std::atomic<uint64_t> seq_{0};
  std::array<std::atomic<uint64_t>, kWords> current_{};
  std::array<std::atomic<uint64_t>, kWords> previous_{};
  std::atomic<bool> has_previous_{false};
  std::atomic<uint64_t> rotations_{0};
};

}  // namespace sipring
