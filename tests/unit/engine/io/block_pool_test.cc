// Tests of BlockPool: size-class selection, the state of a block handed out, reuse without new
// allocations (misses() stays flat), per-class free lists, and the cap on each free list.
#include "engine/io/block_pool.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

namespace sipring {
namespace {

TEST(BlockPoolTest, PicksTheSmallestClassThatFits) {
  BlockPool pool;
  struct Case {
    uint32_t want;
    uint32_t capacity;
    uint8_t size_class;
  };
  const Case cases[] = {
      {0, 2048, 0},      {1, 2048, 0},      {2048, 2048, 0},        {2049, 8192, 1},
      {8192, 8192, 1},   {8193, 17408, 2},  {16384 + 22, 17408, 2}, {17408, 17408, 2},
      {17409, 32768, 3}, {32768, 32768, 3}, {32769, 82944, 4},      {81920 + 1024, 82944, 4},
  };
  for (const Case& c : cases) {
    Block* b = pool.get(c.want);
    ASSERT_NE(b, nullptr) << c.want;
    EXPECT_EQ(b->capacity, c.capacity) << c.want;
    EXPECT_EQ(b->size_class, c.size_class) << c.want;
    pool.put(b);
  }
}

TEST(BlockPoolTest, RefusesMoreThanTheLargestClass) {
  BlockPool pool;
  EXPECT_EQ(pool.get(81920 + 1024 + 1), nullptr);
  EXPECT_EQ(pool.get(UINT32_MAX), nullptr);
  EXPECT_EQ(pool.misses(), 0u);
  EXPECT_EQ(pool.in_use(), 0u);
  EXPECT_EQ(pool.failures(), 2u);  // what the reactor counts in pool_failures and logs
  ASSERT_NE(pool.get(1), nullptr);
  EXPECT_EQ(pool.failures(), 2u);
}

TEST(BlockPoolTest, BlockComesOutEmptyOwnedOnceAndAligned) {
  BlockPool pool;
  Block* b = pool.get(100);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->size, 0u);
  EXPECT_EQ(b->begin, 0u);
  EXPECT_EQ(b->ready, 0u);
  EXPECT_EQ(b->refs, 1u);
  EXPECT_EQ(b->next, nullptr);
  EXPECT_EQ(b->bid, Block::kPooled);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b->data) % 64, 0u);
  EXPECT_EQ(b->room(), b->capacity);
  memset(b->data, 0xab, b->capacity);  // the whole payload is writable
  // A reused block is reset, whatever its last user left in it.
  b->size = 77;
  b->begin = 5;
  b->ready = 50;
  b->refs = 0;
  b->next = b;
  pool.put(b);
  Block* again = pool.get(100);
  ASSERT_EQ(again, b);
  EXPECT_EQ(again->size, 0u);
  EXPECT_EQ(again->begin, 0u);
  EXPECT_EQ(again->ready, 0u);
  EXPECT_EQ(again->refs, 1u);
  EXPECT_EQ(again->next, nullptr);
  pool.put(again);
}

TEST(BlockPoolTest, SteadyGetPutAllocatesNothingNew) {
  BlockPool pool;
  std::vector<Block*> held;
  for (uint32_t size : BlockPool::kClassSizes) held.push_back(pool.get(size));
  for (Block* b : held) pool.put(b);
  const uint64_t misses = pool.misses();
  EXPECT_EQ(misses, uint64_t{BlockPool::kClasses});
  for (int round = 0; round < 100000; round++) {
    Block* a = pool.get(static_cast<uint32_t>(round % 2048));
    Block* b = pool.get(16384 + 22);
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    pool.put(b);
    pool.put(a);
  }
  EXPECT_EQ(pool.misses(), misses);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(BlockPoolTest, FreeListsAreKeptPerClass) {
  BlockPool pool;
  Block* small = pool.get(10);
  pool.put(small);
  Block* large = pool.get(10000);  // must not take the small free block
  EXPECT_NE(large, small);
  EXPECT_EQ(large->capacity, 17408u);
  EXPECT_EQ(pool.misses(), 2u);
  EXPECT_EQ(pool.get(10), small);
  EXPECT_EQ(pool.misses(), 2u);
  pool.put(small);
  pool.put(large);
}

TEST(BlockPoolTest, InUseCountsBlocksHandedOut) {
  BlockPool pool;
  Block* a = pool.get(1);
  Block* b = pool.get(9000);
  EXPECT_EQ(pool.in_use(), 2u);
  pool.put(a);
  EXPECT_EQ(pool.in_use(), 1u);
  pool.put(b);
  EXPECT_EQ(pool.in_use(), 0u);
}

TEST(BlockPoolTest, FreeListIsCappedAndTheExcessIsFreed) {
  BlockPool pool(4);
  std::vector<Block*> burst;
  for (int i = 0; i < 10; i++) burst.push_back(pool.get(100));
  EXPECT_EQ(pool.misses(), 10u);
  std::set<Block*> kept(burst.begin(), burst.begin() + 4);  // the first four put back stay
  for (Block* b : burst) pool.put(b);
  // Only four come back from the free list; the other six are new allocations.
  std::vector<Block*> again;
  for (int i = 0; i < 10; i++) again.push_back(pool.get(100));
  EXPECT_EQ(pool.misses(), 16u);
  int reused = 0;
  for (Block* b : again) reused += kept.count(b) != 0;
  EXPECT_EQ(reused, 4);
  for (Block* b : again) pool.put(b);
}

TEST(BlockPoolTest, CapAppliesToEachClassSeparately) {
  BlockPool pool(2);
  std::vector<Block*> small, big;
  for (int i = 0; i < 2; i++) small.push_back(pool.get(100));
  for (int i = 0; i < 2; i++) big.push_back(pool.get(30000));
  for (Block* b : small) pool.put(b);
  for (Block* b : big) pool.put(b);
  const uint64_t misses = pool.misses();
  for (int i = 0; i < 2; i++) small[i] = pool.get(100);
  for (int i = 0; i < 2; i++) big[i] = pool.get(30000);
  EXPECT_EQ(pool.misses(), misses);
  for (Block* b : small) pool.put(b);
  for (Block* b : big) pool.put(b);
}

TEST(BlockPoolTest, ZeroCapFreesEverything) {
  BlockPool pool(0);
  Block* a = pool.get(100);
  pool.put(a);
  Block* b = pool.get(100);
  EXPECT_EQ(pool.misses(), 2u);
  pool.put(b);
}

}  // namespace
}  // namespace sipring
