// Session-ticket keys shared by every reactor: up to kMaxKeys keys, one of which seals new
// tickets while all of them open tickets.
//
// Two sources, one at a time:
//  * per-process keys (the default): a random AES-128 key that rotate() replaces, normally every
//    12 hours (the sipring daemon; an embedder calls Engine::rotate_ticket_keys()). The key it
//    replaced still opens tickets until the next rotation;
//  * keys from a file every node shares (tls.ticket_key_file, crypto/ticket_key_file.h, HAProxy's
//    tls-ticket-keys format): install() puts them in place, AES-128 or AES-256, and rotate()
//    then leaves them alone (returns false): the file is rotated instead.
//
// Which key opens a ticket: the one whose 16-byte name the ticket carries (BoringSSL's ticket
// layout with a key callback: name, IV, AES-CBC ciphertext, HMAC-SHA256). A ticket opened with
// a key other than the sealing one still resumes, and BoringSSL is asked to issue a fresh ticket
// under the sealing key (counted: renewed()). A ticket naming no key held gets a full handshake,
// never an error (counted: unknown_key()). This is HAProxy's ssl_tlsext_ticket_key_cb.
//
// Reactors read the keys inside BoringSSL's ticket callback without locks (a seqlock: readers
// retry in the rare case a writer overlaps their copy) and copy only the key they use. Writers
// (rotate, install, use_random) are serialised by a mutex of their own, off the data path.
// Replaced keys are overwritten with the new ones or zeros; every copy a reader makes is
// cleansed before it returns.
#pragma once

#include <openssl/base.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <span>

namespace sipring {

class TicketKeys {
 public:
  static constexpr size_t kNameLen = 16;
  // Keys held at most: the bound of tls.ticket_key_count (HAProxy's TLS_TICKETS_NO, 3 there).
  static constexpr size_t kMaxKeys = 16;
  struct Key {
    uint8_t name[kNameLen];  // identifies the key inside each ticket (sent in clear)
    uint8_t aes[32];         // AES-CBC key: its first aes_len bytes
    uint8_t hmac[32];        // HMAC-SHA256 key: its first hmac_len bytes
    uint8_t aes_len;         // 16: AES-128-CBC, 32: AES-256-CBC
    uint8_t hmac_len;        // 16 (HAProxy's 48-byte keys) or 32
    uint8_t unused[6];       // zero: pads Key to whole 64-bit words
  };

  // Starts with one fresh random key (AES-128, 32-byte HMAC key), per-process mode.
  TicketKeys();
  // Zeroes every key held.
  ~TicketKeys();
  TicketKeys(const TicketKeys&) = delete;
  TicketKeys& operator=(const TicketKeys&) = delete;

  // Per-process mode: makes a new random key the sealing one; the old one still opens tickets
  // until the next rotation, the one before it is zeroed (its tickets get full handshakes).
  // Returns true. With installed keys (from_file()): changes nothing and returns false.
  bool rotate() noexcept;

  // Holds exactly `keys` from now on: keys[sealing] seals, every one of them opens. Needs
  // 1 <= keys.size() <= kMaxKeys, sealing < keys.size() and aes_len/hmac_len of 16 or 32
  // (the file loader guarantees them); returns false and changes nothing otherwise. Keys held
  // before are overwritten or zeroed. from_file() is true afterwards.
  bool install(std::span<const Key> keys, size_t sealing) noexcept;

  // Back to per-process mode: one fresh random key, every installed key zeroed.
  void use_random() noexcept;

  // Installs this object as `ctx`'s ticket key callback. The object must outlive `ctx`.
  void attach(SSL_CTX* ctx) noexcept;

  // A consistent copy of the keys held: returns their count (>= 1) and writes them to `out`
  // (kMaxKeys entries) and the sealing key's index to *sealing. Secret material: the caller
  // cleanses `out` (OPENSSL_cleanse) when done.
  size_t snapshot(Key* out, size_t* sealing) const noexcept;

  bool from_file() const noexcept { return (header() >> 16) & 1; }
  uint64_t rotations() const noexcept { return rotations_.load(std::memory_order_relaxed); }
  // Tickets opened with a key other than the sealing one (resumed, then re-issued).
  uint64_t renewed() const noexcept { return renewed_.load(std::memory_order_relaxed); }
  // Tickets naming a key not held (full handshake).
  uint64_t unknown_key() const noexcept { return unknown_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kWords = sizeof(Key) / sizeof(uint64_t);
  static_assert(sizeof(Key) % sizeof(uint64_t) == 0);
  static constexpr size_t kNameWords = kNameLen / sizeof(uint64_t);

  static int ticket_callback(SSL* ssl, uint8_t* key_name, uint8_t* iv, EVP_CIPHER_CTX* cipher,
                             HMAC_CTX* hmac, int encrypt);
  // Reader: copies the sealing key (`name` null) or the key named `name` into *out, and its
  // index to *index. False when no key has that name. Lock-free.
  bool find(const uint8_t* name, Key* out, size_t* index) const noexcept;
  // Writer (under writer_mu_): publishes keys[0..n) with `sealing` and the file flag.
  void publish(const Key* keys, size_t n, size_t sealing, bool from_file) noexcept;
  // header_: bits 0-7 count, 8-15 sealing index, 16 from_file. Read inside the seqlock only.
  uint64_t header() const noexcept { return header_.load(std::memory_order_relaxed); }

  std::mutex writer_mu_;
  // Even = stable, odd = a writer is storing.
  std::atomic<uint64_t> seq_{0};
  std::atomic<uint64_t> header_{0};
  std::array<std::array<std::atomic<uint64_t>, kWords>, kMaxKeys> slots_{};
  std::atomic<uint64_t> rotations_{0};
  std::atomic<uint64_t> renewed_{0};
  std::atomic<uint64_t> unknown_{0};
};

}  // namespace sipring
