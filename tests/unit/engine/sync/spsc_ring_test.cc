// Tests for SpscRing: slot semantics, producer-side reclaim, cross-thread stress and the
// blocking consumer's wakeup protocol.
#include "engine/sync/spsc_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include "engine/sync/handoff_entry.h"

namespace sipring {
namespace {

using namespace std::chrono_literals;

struct Item {
  uint64_t seq;
  uint64_t check;
};

uint64_t mix(uint64_t x) {
  x ^= x >> 31;
  x *= 0x9E3779B97F4A7C15ull;
  return x ^ (x >> 29);
}

TEST(SpscRingTest, CapacityIsRoundedUpToPowerOfTwo) {
  EXPECT_EQ(SpscRing<Item>(5).capacity(), 8u);
  EXPECT_EQ(SpscRing<Item>(8).capacity(), 8u);
  EXPECT_EQ(SpscRing<Item>(0).capacity(), 2u);
}

TEST(SpscRingTest, HoldsHandoffEntriesAndIsCacheLineAligned) {
  SpscRing<HandoffEntry> ring(4);
  HandoffEntry* e = ring.claim();
  ASSERT_NE(e, nullptr);
  e->frame.size = 42;
  ring.commit();
  ASSERT_NE(ring.front(), nullptr);
  EXPECT_EQ(ring.front()->frame.size, 42u);
  EXPECT_GE(alignof(SpscRing<HandoffEntry>), 64u);
}

TEST(SpscRingTest, EmptyRingHasNoFront) {
  SpscRing<Item> ring(4);
  EXPECT_EQ(ring.front(), nullptr);
  EXPECT_EQ(ring.size_approx(), 0u);
}

TEST(SpscRingTest, ClaimedSlotsAreInvisibleUntilCommit) {
  SpscRing<Item> ring(4);
  *ring.claim() = {1, 0};
  *ring.claim() = {2, 0};
  EXPECT_EQ(ring.front(), nullptr);
  EXPECT_EQ(ring.produced(), 0u);
  ring.commit();
  EXPECT_EQ(ring.produced(), 2u);
  EXPECT_EQ(ring.size_approx(), 2u);
  ASSERT_NE(ring.front(), nullptr);
  EXPECT_EQ(ring.front()->seq, 1u);
  ring.pop();
  ASSERT_NE(ring.front(), nullptr);
  EXPECT_EQ(ring.front()->seq, 2u);
  ring.pop();
  EXPECT_EQ(ring.front(), nullptr);
}

TEST(SpscRingTest, ClaimFailsWhenFullAndPopsNeedReleaseAndReleasedToFreeSlots) {
  SpscRing<Item> ring(4);
  for (uint64_t i = 0; i < 4; ++i) *ring.claim() = {i, 0};
  EXPECT_EQ(ring.claim(), nullptr);
  ring.commit();

  ring.pop();
  ring.pop();
  EXPECT_EQ(ring.released(), 0u) << "pops are invisible before release()";
  EXPECT_EQ(ring.claim(), nullptr);
  ring.release();
  EXPECT_EQ(ring.claim(), nullptr) << "claim() only reuses slots seen through released()";
  EXPECT_EQ(ring.released(), 2u);
  EXPECT_EQ(ring.size_approx(), 2u);
  // The producer can still read the released slots before reusing them.
  EXPECT_EQ(ring.at(0).seq, 0u);
  EXPECT_EQ(ring.at(1).seq, 1u);
  ASSERT_NE(ring.claim(), nullptr);
  ASSERT_NE(ring.claim(), nullptr);
  EXPECT_EQ(ring.claim(), nullptr);
}

TEST(SpscRingTest, WrapsAroundKeepingOrder) {
  SpscRing<Item> ring(4);
  uint64_t next_in = 0, next_out = 0;
  for (int round = 0; round < 50; ++round) {
    for (int k = 0; k < 3; ++k) {
      Item* slot = ring.claim();
      ASSERT_NE(slot, nullptr);
      *slot = {next_in, mix(next_in)};
      ++next_in;
    }
    ring.commit();
    while (const Item* it = ring.front()) {
      EXPECT_EQ(it->seq, next_out);
      EXPECT_EQ(it->check, mix(next_out));
      ++next_out;
      ring.pop();
    }
    ring.release();
    ring.released();
  }
  EXPECT_EQ(next_out, 150u);
}

TEST(SpscRingTest, ReclaimVisitsEachReleasedSlotOnceInOrder) {
  SpscRing<Item> ring(8);
  for (uint64_t i = 0; i < 6; ++i) *ring.claim() = {i, 0};
  ring.commit();
  for (int i = 0; i < 4; ++i) ring.pop();
  ring.release();

  std::vector<uint64_t> seen;
  EXPECT_EQ(ring.reclaim([&](const Item& it) { seen.push_back(it.seq); }), 4u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(ring.reclaim([&](const Item& it) { seen.push_back(it.seq); }), 0u);

  ring.pop();
  ring.pop();
  ring.release();
  seen.clear();
  EXPECT_EQ(ring.reclaim([&](const Item& it) { seen.push_back(it.seq); }), 2u);
  EXPECT_EQ(seen, (std::vector<uint64_t>{4, 5}));
}

// One producer, one consumer, millions of items in random-sized batches: nothing lost or
// reordered, contents intact, and the producer reclaims every slot exactly once, in order.
TEST(SpscRingTest, ForEachPoppedVisitsThePopsNotYetReleasedAndUnreleasedCountsThem) {
  SpscRing<uint64_t> ring(8);
  for (uint64_t v = 1; v <= 6; ++v) *ring.claim() = v;
  ring.commit();
  EXPECT_EQ(ring.unreleased(), 6u);
  std::vector<uint64_t> seen;
  ring.for_each_popped([&](const uint64_t& v) { seen.push_back(v); });
  EXPECT_TRUE(seen.empty());
  ring.front();
  ring.pop();
  ring.front();
  ring.pop();
  ring.for_each_popped([&](const uint64_t& v) { seen.push_back(v); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2}));
  ring.release();
  seen.clear();
  ring.for_each_popped([&](const uint64_t& v) { seen.push_back(v); });
  EXPECT_TRUE(seen.empty()) << "released pops are the producer's again";
  EXPECT_EQ(ring.unreleased(), 6u) << "until the producer looks";
  ring.released();
  EXPECT_EQ(ring.unreleased(), 4u);
  ring.front();
  ring.pop();
  ring.for_each_popped([&](const uint64_t& v) { seen.push_back(v); });
  EXPECT_EQ(seen, (std::vector<uint64_t>{3}));
}

TEST(SpscRingStressTest, CrossThreadKeepsOrderAndContentsAndReclaimsEverySlot) {
  constexpr uint64_t kItems = 4'000'000;
  SpscRing<Item> ring(1024);
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> consumer_sum{0};

  std::thread consumer([&] {
    uint64_t expect = 0, sum = 0;
    while (expect < kItems) {
      int batch = 0;
      while (const Item* it = ring.front()) {
        if (it->seq != expect || it->check != mix(expect)) failed = true;
        sum += it->check;
        ++expect;
        ring.pop();
        if (++batch == 37) break;
      }
      ring.release();
      if (batch == 0) std::this_thread::yield();
    }
    consumer_sum = sum;
  });

  uint64_t next = 0, reclaimed = 0, rng = 12345, producer_sum = 0;
  bool reclaim_order_ok = true;
  auto reclaim = [&] {
    ring.reclaim([&](const Item& it) {
      if (it.seq != reclaimed || it.check != mix(reclaimed)) reclaim_order_ok = false;
      ++reclaimed;
    });
  };
  while (next < kItems) {
    rng = mix(rng + 1);
    const int batch = 1 + static_cast<int>(rng % 64);
    for (int k = 0; k < batch && next < kItems; ++k) {
      Item* slot = ring.claim();
      if (slot == nullptr) {
        reclaim();
        slot = ring.claim();
        if (slot == nullptr) break;
      }
      *slot = {next, mix(next)};
      producer_sum += slot->check;
      ++next;
    }
    ring.commit();
  }
  consumer.join();
  reclaim();
  EXPECT_FALSE(failed.load());
  EXPECT_TRUE(reclaim_order_ok);
  EXPECT_EQ(consumer_sum.load(), producer_sum);
  EXPECT_EQ(reclaimed, kItems);
  EXPECT_EQ(ring.size_approx(), 0u);
}

TEST(SpscRingWaitTest, WaitReturnsTrueWhenDataIsAlreadyThere) {
  SpscRing<Item> ring(4);
  std::atomic<bool> stop{false};
  *ring.claim() = {7, 0};
  ring.commit();
  EXPECT_TRUE(ring.wait_nonempty(stop, 0));
}

TEST(SpscRingWaitTest, SleepingConsumerIsWokenByCommit) {
  SpscRing<Item> ring(4);
  std::atomic<bool> stop{false};
  std::atomic<bool> got{false};
  std::thread consumer([&] {
    if (ring.wait_nonempty(stop, 0) && ring.front()->seq == 9) got = true;
  });
  std::this_thread::sleep_for(50ms);  // let it reach the futex
  *ring.claim() = {9, 0};
  ring.commit();
  consumer.join();
  EXPECT_TRUE(got.load());
}

TEST(SpscRingWaitTest, SleepingConsumerIsWokenByStop) {
  SpscRing<Item> ring(4);
  std::atomic<bool> stop{false};
  std::atomic<int> result{-1};
  std::thread consumer([&] { result = ring.wait_nonempty(stop, 0) ? 1 : 0; });
  std::this_thread::sleep_for(50ms);
  stop.store(true);
  ring.wake_consumer();
  consumer.join();
  EXPECT_EQ(result.load(), 0);
}

// Ping-pong: the producer sends one item and waits for the consumer's ack, so the consumer
// goes to sleep between almost every item and each commit races its sleep announcement. A lost
// wakeup would stall the round; the producer's deadline turns that into a failure.
TEST(SpscRingWaitTest, NoWakeupIsLostInManySleepCommitRounds) {
  constexpr uint64_t kRounds = 100'000;
  SpscRing<Item> ring(8);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked{0};
  std::thread consumer([&] {
    uint64_t n = 0;
    while (ring.wait_nonempty(stop, 0)) {
      while (ring.front() != nullptr) {
        ring.pop();
        ++n;
      }
      ring.release();
      acked.store(n, std::memory_order_release);
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool stalled = false;
  for (uint64_t i = 1; i <= kRounds && !stalled; ++i) {
    ring.released();
    *ring.claim() = {i, 0};
    ring.commit();
    int spins = 0;
    while (acked.load(std::memory_order_acquire) < i) {
      if (++spins % 1024 == 0) {
        std::this_thread::yield();
        if (std::chrono::steady_clock::now() > deadline) {
          stalled = true;
          break;
        }
      }
    }
  }
  stop.store(true);
  ring.wake_consumer();
  consumer.join();
  EXPECT_FALSE(stalled) << "consumer stalled at " << acked.load();
  EXPECT_EQ(acked.load(), stalled ? acked.load() : kRounds);
}

// Blocking consumer under a bursty producer: everything arrives, in order.
TEST(SpscRingStressTest, BlockingConsumerReceivesEverythingInOrder) {
  constexpr uint64_t kItems = 1'000'000;
  SpscRing<Item> ring(256);
  std::atomic<bool> stop{false};
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> received{0};
  std::thread consumer([&] {
    uint64_t expect = 0;
    while (ring.wait_nonempty(stop)) {
      while (const Item* it = ring.front()) {
        if (it->seq != expect || it->check != mix(expect)) failed = true;
        ++expect;
        ring.pop();
      }
      ring.release();
    }
    received = expect;
  });
  uint64_t next = 0, rng = 99;
  while (next < kItems) {
    rng = mix(rng + 1);
    const int batch = 1 + static_cast<int>(rng % 100);
    for (int k = 0; k < batch && next < kItems; ++k) {
      Item* slot = ring.claim();
      if (slot == nullptr) {
        ring.released();
        slot = ring.claim();
        if (slot == nullptr) break;
      }
      *slot = {next, mix(next)};
      ++next;
    }
    ring.commit();
    if (rng % 1000 == 0) std::this_thread::sleep_for(100us);  // let the consumer sleep
  }
  while (ring.released() != kItems) std::this_thread::yield();
  stop.store(true);
  ring.wake_consumer();
  consumer.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(received.load(), kItems);
}

}  // namespace
}  // namespace sipring
