#include "crypto/ticket_keys.h"

#include <openssl/cipher.h>
#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <cstring>

namespace sipring {
namespace {

// The ex_data slot holding each SSL_CTX's TicketKeys; allocated once, thread-safely.
int ex_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

TicketKeys::Key random_key() {
  TicketKeys::Key key;
  RAND_bytes(reinterpret_cast<uint8_t*>(&key), sizeof(key));
  return key;
}

}  // namespace

TicketKeys::TicketKeys() {
  // Written before any reader can see this object, so plain stores are enough.
  store(current_, random_key());
}

void TicketKeys::store(std::array<std::atomic<uint64_t>, kWords>& dst, const Key& key) noexcept {
  uint64_t words[kWords];
  memcpy(words, &key, sizeof(key));
  // Relaxed: the seqlock's sequence stores order these against readers.
  for (size_t i = 0; i < kWords; i++) dst[i].store(words[i], std::memory_order_relaxed);
}

void TicketKeys::rotate() noexcept {
  Key cur, prev;
  bool has_prev;
  snapshot(&cur, &prev, &has_prev);
  Key next = random_key();
  uint64_t s = seq_.load(std::memory_order_relaxed);
  // Odd sequence first; release fence so no key store is seen before readers see the odd value.
  seq_.store(s + 1, std::memory_order_relaxed);
  std::atomic_thread_fence(std::memory_order_release);
  store(previous_, cur);
  store(current_, next);
  has_previous_.store(true, std::memory_order_relaxed);
  // Release: readers that see the even value also see every key word written above.
  seq_.store(s + 2, std::memory_order_release);
  rotations_.fetch_add(1, std::memory_order_relaxed);
}

void TicketKeys::snapshot(Key* current, Key* previous, bool* has_previous) const noexcept {
  uint64_t cw[kWords], pw[kWords];
  for (;;) {
    // Acquire: pairs with the writer's final release store.
    uint64_t s1 = seq_.load(std::memory_order_acquire);
    if (s1 & 1) continue;
    for (size_t i = 0; i < kWords; i++) cw[i] = current_[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < kWords; i++) pw[i] = previous_[i].load(std::memory_order_relaxed);
    bool hp = has_previous_.load(std::memory_order_relaxed);
    // Acquire fence: the key loads above complete before we re-read the sequence.
    std::atomic_thread_fence(std::memory_order_acquire);
    if (seq_.load(std::memory_order_relaxed) == s1) {
      *has_previous = hp;
      break;
    }
  }
  memcpy(current, cw, sizeof(Key));
  memcpy(previous, pw, sizeof(Key));
}

void TicketKeys::attach(SSL_CTX* ctx) noexcept {
  SSL_CTX_set_ex_data(ctx, ex_index(), this);
  SSL_CTX_set_tlsext_ticket_key_cb(ctx, &TicketKeys::ticket_callback);
}

int TicketKeys::ticket_callback(SSL* ssl, uint8_t* key_name, uint8_t* iv, EVP_CIPHER_CTX* cipher,
                                HMAC_CTX* hmac, int encrypt) {
  auto* self = static_cast<TicketKeys*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ex_index()));
  if (self == nullptr) return -1;
  Key cur, prev;
  bool has_prev;
  self->snapshot(&cur, &prev, &has_prev);
  const Key* key = nullptr;
  int found = 1;
  if (encrypt) {
    key = &cur;
    memcpy(key_name, key->name, kNameLen);
    if (!RAND_bytes(iv, 16)) return -1;
  } else if (memcmp(key_name, cur.name, kNameLen) == 0) {
    key = &cur;
  } else if (has_prev && memcmp(key_name, prev.name, kNameLen) == 0) {
    key = &prev;
    found = 2;  // still valid, but ask BoringSSL to issue a ticket under the current key
  } else {
    return 0;  // unknown key: full handshake
  }
  if (!HMAC_Init_ex(hmac, key->hmac, sizeof(key->hmac), EVP_sha256(), nullptr)) return -1;
  int ok = encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_128_cbc(), nullptr, key->aes, iv)
                   : EVP_DecryptInit_ex(cipher, EVP_aes_128_cbc(), nullptr, key->aes, iv);
  return ok ? found : -1;
}

}  // namespace sipring
