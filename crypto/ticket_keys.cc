#include "crypto/ticket_keys.h"

#include <openssl/cipher.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>

namespace sipring {
namespace {

// The ex_data slot holding each SSL_CTX's TicketKeys; allocated once, thread-safely.
int ex_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// A per-process key: AES-128-CBC with a 32-byte HMAC-SHA256 key, as sipring always used.
TicketKeys::Key random_key() {
  TicketKeys::Key key = {};
  RAND_bytes(key.name, sizeof(key.name));
  RAND_bytes(key.aes, 16);
  RAND_bytes(key.hmac, 32);
  key.aes_len = 16;
  key.hmac_len = 32;
  return key;
}

bool valid_length(uint8_t n) {
  return n == 16 || n == 32;
}

}  // namespace

TicketKeys::TicketKeys() {
  Key k = random_key();
  publish(&k, 1, 0, false);
  OPENSSL_cleanse(&k, sizeof(k));
}

TicketKeys::~TicketKeys() {
  std::lock_guard<std::mutex> lock(writer_mu_);
  publish(nullptr, 0, 0, false);
}

void TicketKeys::publish(const Key* keys, size_t n, size_t sealing, bool from_file) noexcept {
  const uint64_t s = seq_.load(std::memory_order_relaxed);
  // Odd sequence first; release fence so no key store is seen before readers see the odd value.
  seq_.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  header_.store(uint64_t(n) | uint64_t(sealing) << 8 | uint64_t(from_file) << 16,
                std::memory_order_relaxed);
  for (size_t i = 0; i < kMaxKeys; i++) {
    uint64_t words[kWords] = {};  // slots past `n` are zeroed: no old key lingers
    if (i < n) memcpy(words, &keys[i], sizeof(Key));
    // Relaxed: the seqlock's sequence stores order these against readers.
    for (size_t w = 0; w < kWords; w++) slots_[i][w].store(words[w], std::memory_order_relaxed);
    OPENSSL_cleanse(words, sizeof(words));
  }
  // Release: readers that see the even value also see every word written above.
  seq_.store(s + 2, std::memory_order_release);
}

bool TicketKeys::rotate() noexcept {
  std::lock_guard<std::mutex> lock(writer_mu_);
  if (from_file()) return false;
  Key keys[2];
  size_t sealing = 0;
  Key held[kMaxKeys];
  const size_t n = snapshot(held, &sealing);
  keys[0] = random_key();
  keys[1] = held[sealing];
  publish(keys, 2, 0, false);
  OPENSSL_cleanse(held, sizeof(Key) * n);
  OPENSSL_cleanse(keys, sizeof(keys));
  rotations_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool TicketKeys::install(std::span<const Key> keys, size_t sealing) noexcept {
  if (keys.empty() || keys.size() > kMaxKeys || sealing >= keys.size()) return false;
  for (const Key& k : keys) {
    if (!valid_length(k.aes_len) || !valid_length(k.hmac_len)) return false;
  }
  std::lock_guard<std::mutex> lock(writer_mu_);
  publish(keys.data(), keys.size(), sealing, true);
  return true;
}

void TicketKeys::use_random() noexcept {
  std::lock_guard<std::mutex> lock(writer_mu_);
  Key k = random_key();
  publish(&k, 1, 0, false);
  OPENSSL_cleanse(&k, sizeof(k));
}

size_t TicketKeys::snapshot(Key* out, size_t* sealing) const noexcept {
  for (;;) {
    // Acquire: pairs with the writer's final release store.
    const uint64_t s1 = seq_.load(std::memory_order_acquire);
    if (s1 & 1) continue;
    const uint64_t h = header();
    const size_t n = std::min<size_t>(h & 0xff, kMaxKeys);
    for (size_t i = 0; i < n; i++) {
      uint64_t words[kWords];
      for (size_t w = 0; w < kWords; w++) words[w] = slots_[i][w].load(std::memory_order_relaxed);
      memcpy(&out[i], words, sizeof(Key));
    }
    // Acquire fence: the loads above complete before we re-read the sequence.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq_.load(std::memory_order_relaxed) == s1) {
      *sealing = (h >> 8) & 0xff;
      return n;
    }
  }
}

bool TicketKeys::find(const uint8_t* name, Key* out, size_t* index) const noexcept {
  uint64_t want[kNameWords] = {};
  if (name != nullptr) memcpy(want, name, kNameLen);
  for (;;) {
    const uint64_t s1 = seq_.load(std::memory_order_acquire);
    if (s1 & 1) continue;
    const uint64_t h = header();
    const size_t n = std::min<size_t>(h & 0xff, kMaxKeys);
    const size_t sealing = (h >> 8) & 0xff;
    // The sealing key first (HAProxy's order), then the others: only names are read until one
    // matches, so a lookup copies one key, not all of them.
    size_t found = kMaxKeys;
    if (name == nullptr) {
      found = sealing;
    } else {
      for (size_t k = 0; k < n && found == kMaxKeys; k++) {
        const size_t i = (sealing + k) % n;
        bool same = true;
        for (size_t w = 0; w < kNameWords; w++) {
          same &= slots_[i][w].load(std::memory_order_relaxed) == want[w];
        }
        if (same) found = i;
      }
    }
    uint64_t words[kWords] = {};
    if (found < n) {
      for (size_t w = 0; w < kWords; w++) {
        words[w] = slots_[found][w].load(std::memory_order_relaxed);
      }
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq_.load(std::memory_order_relaxed) != s1) {
      OPENSSL_cleanse(words, sizeof(words));
      continue;  // a writer overlapped: the copy may be torn
    }
    if (found >= n) return false;
    memcpy(out, words, sizeof(Key));
    OPENSSL_cleanse(words, sizeof(words));
    *index = found == sealing ? 0 : 1;
    return true;
  }
}

void TicketKeys::attach(SSL_CTX* ctx) noexcept {
  SSL_CTX_set_ex_data(ctx, ex_index(), this);
  SSL_CTX_set_tlsext_ticket_key_cb(ctx, &TicketKeys::ticket_callback);
}

int TicketKeys::ticket_callback(SSL* ssl, uint8_t* key_name, uint8_t* iv, EVP_CIPHER_CTX* cipher,
                                HMAC_CTX* hmac, int encrypt) {
  auto* self = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  if (self == nullptr) return -1;
  Key key;
  size_t other = 0;  // 0: the sealing key, 1: another one
  if (!self->find(encrypt ? nullptr : key_name, &key, &other)) {
    self->unknown_.fetch_add(1, std::memory_order_relaxed);
    return 0;  // unknown key: full handshake (never reached when sealing: that key exists)
  }
  bool ok = true;
  if (encrypt) {
    memcpy(key_name, key.name, kNameLen);
    ok = RAND_bytes(iv, EVP_MAX_IV_LENGTH) == 1;
  }
  const EVP_CIPHER* aes = key.aes_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
  ok = ok && HMAC_Init_ex(hmac, key.hmac, key.hmac_len, EVP_sha256(), nullptr) &&
       (encrypt ? EVP_EncryptInit_ex(cipher, aes, nullptr, key.aes, iv)
                : EVP_DecryptInit_ex(cipher, aes, nullptr, key.aes, iv));
  OPENSSL_cleanse(&key, sizeof(key));
  if (!ok) return -1;
  if (!encrypt && other != 0) {
    // Still valid, but ask BoringSSL to issue a ticket under the sealing key.
    self->renewed_.fetch_add(1, std::memory_order_relaxed);
    return 2;
  }
  return 1;
}

}  // namespace sipring
