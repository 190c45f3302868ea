// Single-producer single-consumer ring of variable-length records: the reply path from one
// sending thread to one reactor (ReplyInbox holds one per sending thread).
// Our own: library queues hold fixed-size elements; replies are written in place, any length.
//
// Each record is a 16-byte header {uint32 length; uint32 stamp; uint64 tag} followed by the
// payload (the stamp is the producer's: ReplyInbox puts the low 32 bits of the send time there),
// padded so the next record starts 8-byte aligned. A payload is always contiguous: when it would
// cross the end of the buffer, the producer fills the tail with a padding record (or, if fewer than
// 16 bytes are left, the tail is skipped by both sides without a header) and starts the record at
// offset 0. A record that needs more than capacity/2 bytes is refused, so padding plus record
// always fit in an empty ring.
//
// Positions are free-running 64-bit byte counters; offset = pos & mask. Producer and consumer
// indices sit on separate cache lines and each side caches the other's index.
#pragma once

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <span>

#include "engine/sync/spsc_ring.h"  // ring_detail::kCacheLine

namespace sipring {

class SpscByteRing {
 public:
  static constexpr uint32_t kHeaderSize = 16;
  static constexpr size_t kMinCapacity = 64;

  struct Record {
    uint64_t tag;
    uint32_t stamp;
    std::span<const uint8_t> payload;
  };

  // Creates a ring of `capacity_bytes`, rounded up to a power of two (at least kMinCapacity).
  // Allocation failure does not throw: ok() is false and reserve() always refuses.
  explicit SpscByteRing(size_t capacity_bytes) noexcept
      : mask_(rounded_capacity(capacity_bytes) - 1),
        data_(static_cast<uint8_t*>(::operator new[](
            mask_ + 1, std::align_val_t{ring_detail::kCacheLine}, std::nothrow))) {}
  ~SpscByteRing() { ::operator delete[](data_, std::align_val_t{ring_detail::kCacheLine}); }
  SpscByteRing(const SpscByteRing&) = delete;
  SpscByteRing& operator=(const SpscByteRing&) = delete;

  // False if the buffer could not be allocated.
  bool ok() const noexcept { return data_ != nullptr; }
  // Buffer size in bytes (a power of two).
  size_t capacity() const noexcept { return mask_ + 1; }
  // Largest payload reserve() accepts: the record (header + padded payload) must fit in half
  // the buffer.
  uint32_t max_payload() const noexcept { return max_payload_for(capacity()); }

  // The capacity a ring built with `capacity_bytes` gets.
  static constexpr size_t rounded_capacity(size_t capacity_bytes) noexcept {
    return std::bit_ceil(capacity_bytes < kMinCapacity ? kMinCapacity : capacity_bytes);
  }
  // max_payload() of a ring built with `capacity_bytes`.
  static constexpr uint32_t max_payload_for(size_t capacity_bytes) noexcept {
    return static_cast<uint32_t>(rounded_capacity(capacity_bytes) / 2 - kHeaderSize);
  }

  // --- Producer side (one thread) ---

  // Reserves a record of `payload_len` bytes tagged `tag` and returns its payload to fill, or an
  // empty span if the ring lacks room right now or payload_len > max_payload() (or !ok()).
  // The record reaches the consumer at the next commit(); several reservations may be
  // committed together. The span is 8-byte aligned. A zero-length record is accepted with a
  // non-null empty span, so test refusal with data() == nullptr when payload_len may be 0.
  // `stamp` is handed to the consumer as is (Record::stamp).
  std::span<uint8_t> reserve(uint32_t payload_len, uint64_t tag, uint32_t stamp = 0) noexcept {
    const uint64_t need = record_size(payload_len);
    if (need > capacity() / 2 || data_ == nullptr) return {};
    const uint64_t tail_room = capacity() - (p_.write & mask_);
    const uint64_t skip = tail_room < need ? tail_room : 0;
    if (p_.write + skip + need - p_.read > capacity()) {
      // acquire: the consumer finished reading the bytes it released before we overwrite them.
      p_.read = read_.load(std::memory_order_acquire);
      if (p_.write + skip + need - p_.read > capacity()) return {};
    }
    if (skip >= kHeaderSize) {
      write_header(data_ + (p_.write & mask_),
                   static_cast<uint32_t>(skip - kHeaderSize) | kPaddingBit, 0, 0);
    }
    p_.write += skip;
    uint8_t* rec = data_ + (p_.write & mask_);
    write_header(rec, payload_len, stamp, tag);
    p_.write += need;
    return {rec + kHeaderSize, payload_len};
  }

  // Publishes every record reserved since the last commit, with one store (none if nothing was
  // reserved).
  void commit() noexcept {
    if (p_.write == p_.published) return;
    p_.published = p_.write;
    // release: headers and payloads written by reserve()'s caller are visible to the
    // consumer's acquire load of write_.
    write_.store(p_.published, std::memory_order_release);
  }

  // --- Consumer side (one thread) ---

  // Fills *out with the oldest record and returns true, or returns false if the ring is empty.
  // The payload stays valid and unchanged until release() publishes its pop.
  bool peek(Record* out) noexcept {
    for (;;) {
      if (c_.read == c_.write) {
        // acquire: pairs with commit()'s release, so headers and payloads are the producer's.
        c_.write = write_.load(std::memory_order_acquire);
        if (c_.read == c_.write) return false;
      }
      const uint8_t* rec = data_ + (c_.read & mask_);
      const uint64_t tail_room = capacity() - (c_.read & mask_);
      if (tail_room < kHeaderSize) {  // headerless tail skip, see the file comment
        c_.read += tail_room;
        continue;
      }
      Header h;
      std::memcpy(&h, rec, sizeof h);
      const uint64_t size = record_size(h.length & ~kPaddingBit);
      if (h.length & kPaddingBit) {
        c_.read += size;
        continue;
      }
      c_.current = size;
      out->tag = h.tag;
      out->stamp = h.stamp;
      out->payload = {rec + kHeaderSize, h.length};
      return true;
    }
  }

  // Consumes the record peek() returned (no-op if peek() returned nothing since the last pop).
  // Not visible to the producer until release(): pop a batch, then release once.
  void pop() noexcept {
    c_.read += c_.current;
    c_.current = 0;
  }

  // Publishes all pops so far with one store, handing the bytes back to the producer.
  void release() noexcept {
    if (c_.read == c_.released) return;
    c_.released = c_.read;
    // release: our reads of the popped payloads happen before the producer's acquire load of
    // read_ allows it to overwrite them.
    read_.store(c_.released, std::memory_order_release);
  }

  // True if nothing is committed beyond the consumer's position. Consumer only.
  bool empty() noexcept {
    if (c_.read != c_.write) return false;
    // acquire: same pairing as in peek(); a caller that sees "not empty" may peek at once.
    c_.write = write_.load(std::memory_order_acquire);
    return c_.read == c_.write;
  }

 private:
  struct Header {
    uint32_t length;  // payload bytes, without the alignment padding; kPaddingBit: padding
    uint32_t stamp;   // the producer's, see reserve()
    uint64_t tag;
  };
  static_assert(sizeof(Header) == kHeaderSize);
  // Marks a padding record in Header::length (payloads are far below 2^31: at most half the
  // buffer).
  static constexpr uint32_t kPaddingBit = uint32_t{1} << 31;

  static uint64_t record_size(uint32_t payload_len) noexcept {
    return kHeaderSize + ((uint64_t{payload_len} + 7) & ~uint64_t{7});
  }
  static void write_header(uint8_t* at, uint32_t length, uint32_t stamp, uint64_t tag) noexcept {
    const Header h{length, stamp, tag};
    std::memcpy(at, &h, sizeof h);
  }

  struct alignas(ring_detail::kCacheLine) ProducerState {
    uint64_t write = 0;      // end of the last reserved record
    uint64_t published = 0;  // last value stored to write_
    uint64_t read = 0;       // consumer position as last seen
  };
  struct alignas(ring_detail::kCacheLine) ConsumerState {
    uint64_t read = 0;      // start of the next record to peek
    uint64_t released = 0;  // last value stored to read_
    uint64_t write = 0;     // producer position as last seen
    uint64_t current = 0;   // size of the record peek() returned
  };

  // Shared indices, each alone on its line.
  alignas(ring_detail::kCacheLine) std::atomic<uint64_t> write_{0};  // producer -> consumer
  alignas(ring_detail::kCacheLine) std::atomic<uint64_t> read_{0};   // consumer -> producer
  ProducerState p_;
  ConsumerState c_;
  // Read-only after construction.
  alignas(ring_detail::kCacheLine) const size_t mask_;
  uint8_t* const data_;
};

}  // namespace sipring
