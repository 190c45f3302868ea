#include "engine/io/block_pool.h"

#include <cstdlib>
#include <new>

namespace sipring {

BlockPool::~BlockPool() {
  for (int c = 0; c < kClasses; c++) {
    while (Block* b = free_[c]) {
      free_[c] = b->next;
      free(b);
    }
  }
}

Block* BlockPool::get(uint32_t min_capacity) noexcept {
  int c = 0;
  while (c < kClasses && kClassSizes[c] < min_capacity) c++;
  if (c == kClasses) {
    failures_++;
    return nullptr;
  }
  Block* b = free_[c];
  if (b != nullptr) {
    free_[c] = b->next;
    free_count_[c]--;
  } else {
    // Header and payload in one allocation; payload 64-byte aligned after the header.
    void* mem = aligned_alloc(64, 64 + kClassSizes[c]);
    if (mem == nullptr) {
      failures_++;
      return nullptr;
    }
    misses_++;
    b = new (mem) Block();
    b->data = static_cast<uint8_t*>(mem) + 64;
    b->capacity = kClassSizes[c];
    b->size_class = static_cast<uint8_t>(c);
  }
  static_assert(sizeof(Block) <= 64);
  b->next = nullptr;
  b->size = b->begin = b->ready = 0;
  b->refs = 1;
  in_use_++;
  return b;
}

void BlockPool::put(Block* b) noexcept {
  in_use_--;
  int c = b->size_class;
  if (free_count_[c] >= max_free_) {
    free(b);
    return;
  }
  b->next = free_[c];
  free_[c] = b;
  free_count_[c]++;
}

}  // namespace sipring
