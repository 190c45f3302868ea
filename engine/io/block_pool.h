// Per-reactor pool of heap Blocks in a few size classes, so steady-state traffic allocates
// nothing: freed blocks go to a per-class free list (capped, so a burst does not pin memory
// forever) and are reused. `misses` counts real allocations; a flat count under load proves the
// hot path does not allocate.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/io/block.h"

namespace sipring {

class BlockPool {
 public:
  // Class capacities: small replies, coalesced sends, one max TLS record, one max SIP message
  // plus one record of look-ahead.
  static constexpr uint32_t kClassSizes[] = {2048, 8192, 17408, 32768, 81920 + 1024};
  static constexpr int kClasses = sizeof(kClassSizes) / sizeof(kClassSizes[0]);

  explicit BlockPool(uint32_t max_free_per_class = 256) : max_free_(max_free_per_class) {}
  ~BlockPool();
  BlockPool(const BlockPool&) = delete;
  BlockPool& operator=(const BlockPool&) = delete;

  // A block with capacity >= `min_capacity`, size 0 and refs 1; nullptr if `min_capacity`
  // exceeds the largest class or memory is exhausted (counted in failures(): every caller
  // closes the connection it wanted the block for, and the reactor says so, once for all).
  Block* get(uint32_t min_capacity) noexcept;
  // Returns a block whose refs reached 0.
  void put(Block* b) noexcept;

  uint64_t misses() const { return misses_; }
  uint64_t in_use() const { return in_use_; }
  uint64_t failures() const { return failures_; }

 private:
  Block* free_[kClasses] = {};
  uint32_t free_count_[kClasses] = {};
  uint32_t max_free_;
  uint64_t misses_ = 0;
  uint64_t in_use_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace sipring
