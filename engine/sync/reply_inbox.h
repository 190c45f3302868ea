// ReplyInbox: the reply path into one reactor from any number of sending threads.
//
// Each sending thread gets its own SpscByteRing into the reactor, created by its first send and
// registered without locks (a CAS on the slot count, then a release store of the ring pointer).
// A thread finds its ring through a small thread-local cache keyed by the inbox's never-reused
// serial number, so a send costs no shared write besides the ring's own. Rings live as long as
// the inbox: a thread that exits leaves its ring (and its slot) behind, so at most
// kMaxProducers distinct threads can ever send through one inbox.
//
// The reactor calls drain() every loop iteration, and ReplyInbox::empty() as the has_work
// predicate of its Doorbell. Senders call reserve()/commit() and then ring the reactor's
// Doorbell.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>

#include "engine/sync/byte_ring.h"

namespace sipring {

class ReplyInbox {
 public:
  static constexpr uint32_t kMaxProducers = 64;

  // `ring_bytes` is the buffer size of each per-thread ring (rounded up to a power of two);
  // the largest message is half of it minus a 16-byte header (see SpscByteRing).
  explicit ReplyInbox(size_t ring_bytes) noexcept;
  // Frees all rings. No thread may be inside reserve()/commit() or use the inbox afterwards.
  ~ReplyInbox();
  ReplyInbox(const ReplyInbox&) = delete;
  ReplyInbox& operator=(const ReplyInbox&) = delete;

  // --- Producer side: any thread ---

  // Reserves a record of `len` bytes tagged `tag` in the calling thread's ring (creating the
  // ring on the thread's first call) and returns the payload to fill. Returns an empty span if
  // the ring is full, len exceeds max_payload(), kMaxProducers other threads already hold
  // rings, or the ring could not be allocated: the caller reports queue-full (or too-large).
  // As with SpscByteRing, a refusal has data() == nullptr (len 0 gives a non-null empty span).
  // `stamp`: the low 32 bits of the sender's clock (batch_clock_ns) when it queued the message,
  // handed to the consumer for the reply_send histogram (0 without instruments).
  std::span<uint8_t> reserve(uint32_t len, uint64_t tag, uint32_t stamp = 0) noexcept;

  // Publishes the calling thread's reservations. No-op for a thread without a ring.
  void commit() noexcept;

  // Largest `len` reserve() can ever accept.
  uint32_t max_payload() const noexcept { return max_payload_; }

  // --- Consumer side: the reactor thread ---

  // Calls f(uint64_t tag, std::span<const uint8_t> payload, uint32_t stamp) for every
  // committed record of every producer ring (in each ring's order; rings one after the other)
  // and then releases them. The payload is valid only during the call. Returns the number of
  // records. Bounded: a ring is released only after it was drained, so one call takes at most a
  // ring's bytes from each producer.
  template <class F>
  size_t drain(F&& f) {
    size_t n = 0;
    const uint32_t count = registered();
    for (uint32_t i = 0; i < count; ++i) {
      // acquire: pairs with the registering thread's release, so the ring object is built.
      SpscByteRing* ring = rings_[i].load(std::memory_order_acquire);
      if (ring == nullptr) continue;  // slot claimed, ring not yet stored: nothing sent yet
      SpscByteRing::Record rec;
      size_t taken = 0;
      while (ring->peek(&rec)) {
        f(rec.tag, rec.payload, rec.stamp);
        ring->pop();
        ++taken;
      }
      if (taken != 0) ring->release();
      n += taken;
    }
    return n;
  }

  // True if no ring holds a committed record. Consumer only (it refreshes the consumer's view).
  bool empty() noexcept;

  // Number of threads that registered a ring (any thread; may lag behind).
  uint32_t registered() const noexcept {
    // relaxed: only bounds the scan; ring contents are published through rings_[i].
    const uint32_t n = count_.load(std::memory_order_relaxed);
    return n < kMaxProducers ? n : kMaxProducers;
  }

 private:
  SpscByteRing* find(uint64_t thread_token) const noexcept;
  SpscByteRing* lookup_or_register(bool create) noexcept;

  const uint64_t serial_;  // unique over the process lifetime; keys the thread-local cache
  const size_t ring_bytes_;
  const uint32_t max_payload_;
  alignas(ring_detail::kCacheLine) std::atomic<uint32_t> count_{0};  // slots claimed
  std::atomic<uint64_t> owners_[kMaxProducers] = {};                 // thread token per slot
  std::atomic<SpscByteRing*> rings_[kMaxProducers] = {};
};

}  // namespace sipring
