// The reactor's provided-buffer ring: the kernel picks a free buffer for each multishot recv
// completion, so idle connections hold no receive memory at all.
//
// Each buffer is wrapped in a Block. After a recv, the Block belongs to the reactor (refs >= 1)
// until every frame that points into it has been popped; then it goes back to the kernel.
// Returns are batched: the ring tail is published once per loop iteration.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <memory>

#include "engine/io/block.h"
#include "sipring/result.h"

namespace sipring {

class BufferRing {
 public:
  BufferRing() = default;
  ~BufferRing();
  BufferRing(const BufferRing&) = delete;
  BufferRing& operator=(const BufferRing&) = delete;

  // Registers `count` (power of two) buffers of `size` bytes as group `group` on `ring`.
  Status init(io_uring* ring, uint16_t group, uint32_t count, uint32_t size);

  uint16_t group() const { return group_; }
  // The Block for buffer `bid` that the kernel just filled with `len` bytes; refs is set to 1.
  Block* take(uint16_t bid, uint32_t len) noexcept;
  // Gives a Block whose refs reached 0 back to the kernel (visible after publish()).
  void give_back(Block* b) noexcept;
  // Publishes all buffers given back since the last call. Returns how many.
  uint32_t publish() noexcept;
  // Buffers currently out of the kernel's hands.
  uint32_t held() const { return held_; }
  uint32_t count() const { return count_; }
  // Buffers the kernel can fill right now: neither held nor given back but unpublished.
  uint32_t available() const { return count_ - held_ - pending_; }

 private:
  io_uring* ring_ = nullptr;
  io_uring_buf_ring* br_ = nullptr;
  size_t br_bytes_ = 0;
  uint8_t* mem_ = nullptr;
  size_t mem_bytes_ = 0;
  std::unique_ptr<Block[]> blocks_;
  uint32_t count_ = 0;
  uint32_t size_ = 0;
  uint32_t held_ = 0;
  uint32_t pending_ = 0;  // given back but not yet published
  uint16_t group_ = 0;
  bool registered_ = false;
};

}  // namespace sipring
