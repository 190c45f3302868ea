// ReplyInbox's per-thread ring lookup and lock-free registration.
#include "engine/sync/reply_inbox.h"

#include <new>

namespace sipring {
namespace {

// Serial numbers and thread tokens are never reused, so a cache entry naming a destroyed inbox
// (or a slot owned by an exited thread) can never match again. 0 means "none".
std::atomic<uint64_t> g_next_serial{1};
std::atomic<uint64_t> g_next_thread_token{1};

struct CacheEntry {
  uint64_t serial;
  SpscByteRing* ring;
};
// Direct-mapped by serial: a thread sending to more than kCacheSize inboxes in turn only pays
// a scan of owners_ on collisions, it never registers twice.
constexpr size_t kCacheSize = 64;
thread_local CacheEntry t_cache[kCacheSize];
thread_local uint64_t t_token = 0;

uint64_t thread_token() noexcept {
  // relaxed: only uniqueness matters.
  if (t_token == 0) t_token = g_next_thread_token.fetch_add(1, std::memory_order_relaxed);
  return t_token;
}

}  // namespace

ReplyInbox::ReplyInbox(size_t ring_bytes) noexcept
    // relaxed: only uniqueness matters.
    : serial_(g_next_serial.fetch_add(1, std::memory_order_relaxed)),
      ring_bytes_(ring_bytes),
      max_payload_(SpscByteRing::max_payload_for(ring_bytes)) {}

ReplyInbox::~ReplyInbox() {
  for (uint32_t i = 0; i < registered(); ++i) {
    delete rings_[i].load(std::memory_order_acquire);  // acquire: see the ring fully built
  }
}

SpscByteRing* ReplyInbox::find(uint64_t token) const noexcept {
  const uint32_t n = registered();
  for (uint32_t i = 0; i < n; ++i) {
    // relaxed: only this thread ever stores `token`, and it did so before using the ring.
    if (owners_[i].load(std::memory_order_relaxed) == token) {
      return rings_[i].load(std::memory_order_relaxed);  // relaxed: stored by this thread
    }
  }
  return nullptr;
}

SpscByteRing* ReplyInbox::lookup_or_register(bool create) noexcept {
  CacheEntry& entry = t_cache[serial_ % kCacheSize];
  if (entry.serial == serial_) return entry.ring;
  const uint64_t token = thread_token();
  SpscByteRing* ring = find(token);
  if (ring == nullptr) {
    if (!create || registered() >= kMaxProducers) return nullptr;
    ring = new (std::nothrow) SpscByteRing(ring_bytes_);
    if (ring == nullptr || !ring->ok()) {
      delete ring;
      return nullptr;
    }
    // relaxed: the slot index only has to be unique; the ring is published by the store below.
    uint32_t slot = count_.load(std::memory_order_relaxed);
    do {
      if (slot >= kMaxProducers) {
        delete ring;
        return nullptr;
      }
    } while (!count_.compare_exchange_weak(slot, slot + 1, std::memory_order_relaxed));
    owners_[slot].store(token, std::memory_order_relaxed);  // relaxed: read back only by us
    // release: the consumer's acquire load in drain() sees a fully constructed ring.
    rings_[slot].store(ring, std::memory_order_release);
  }
  entry = {serial_, ring};
  return ring;
}

std::span<uint8_t> ReplyInbox::reserve(uint32_t len, uint64_t tag, uint32_t stamp) noexcept {
  if (len > max_payload_) return {};
  SpscByteRing* ring = lookup_or_register(/*create=*/true);
  return ring != nullptr ? ring->reserve(len, tag, stamp) : std::span<uint8_t>();
}

void ReplyInbox::commit() noexcept {
  if (SpscByteRing* ring = lookup_or_register(/*create=*/false)) ring->commit();
}

bool ReplyInbox::empty() noexcept {
  const uint32_t n = registered();
  for (uint32_t i = 0; i < n; ++i) {
    // acquire: as in drain(), the ring object must be fully built before we read it.
    SpscByteRing* ring = rings_[i].load(std::memory_order_acquire);
    if (ring != nullptr && !ring->empty()) return false;
  }
  return true;
}

}  // namespace sipring
