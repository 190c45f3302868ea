// Tests of SharedBudget and BudgetShare: the quantum and reserve sizing, claims that never pass
// the limit whatever the number of shares, add() failing exactly when reserve and pool cannot
// cover, a reactor within its reserve never over budget whatever another took, spare quanta
// returned by sub() (one quantum of slack kept above what is used or the reserve) and claimable by
// another share, an unattached share being unlimited, and claim() never over-granting under
// contention.
#include "engine/sync/budget.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace sipring {
namespace {

constexpr int64_t kKiB = 1024;

TEST(BudgetTest, QuantumIsAQuarterOfEachReactorsShareWithinBounds) {
  SharedBudget b;
  b.init(1ull << 30, 4);  // 64 MiB per reactor: capped at 256 KiB
  EXPECT_EQ(b.quantum(), 256 * kKiB);
  EXPECT_EQ(b.limit(), 1ull << 30);
  b.init(4ull << 20, 4);  // 1 MiB per reactor: a quarter of it
  EXPECT_EQ(b.quantum(), 256 * kKiB);
  b.init(1ull << 20, 4);  // 256 KiB per reactor
  EXPECT_EQ(b.quantum(), 64 * kKiB);
  b.init(64 * kKiB, 4);  // 16 KiB per reactor
  EXPECT_EQ(b.quantum(), 4 * kKiB);
  b.init(64 * kKiB, 0);  // no reactors counts as one
  EXPECT_EQ(b.quantum(), 16 * kKiB);
  b.init(1000, 2);  // tiny: never below 4 KiB
  EXPECT_EQ(b.quantum(), 4 * kKiB);
}

TEST(BudgetTest, SmallLimitLetsEveryReactorHoldAFewQuanta) {
  for (uint32_t reactors : {1u, 2u, 4u, 8u}) {
    SharedBudget b;
    b.init(1ull << 20, reactors);
    EXPECT_GE(static_cast<int64_t>(b.limit()) / b.quantum(), 4 * int64_t{reactors}) << reactors;
  }
}

// Shares add in turn until each is refused: the bytes every share was granted (its adds that
// returned true) never sum past the limit, and little of the limit is left unused.
TEST(BudgetTest, ClaimsNeverPassTheLimitOverSeveralShares) {
  constexpr int kShares = 4;
  constexpr int64_t kLimit = 64 * kKiB;
  SharedBudget shared;
  shared.init(kLimit, kShares);
  ASSERT_EQ(shared.quantum(), 4 * kKiB);
  BudgetShare shares[kShares];
  for (BudgetShare& s : shares) s.attach(&shared);
  int64_t granted[kShares] = {};
  bool refused[kShares] = {};
  int live = kShares;
  for (int round = 0; round < 1000 && live > 0; round++) {
    for (int i = 0; i < kShares; i++) {
      if (refused[i]) continue;
      const uint64_t n = 700 + 300 * static_cast<uint64_t>(i);  // unequal, unaligned sizes
      if (shares[i].add(n)) {
        granted[i] += static_cast<int64_t>(n);
      } else {
        refused[i] = true;
        live--;
        // Counted anyway: the caller sheds.
        EXPECT_EQ(shares[i].used(), static_cast<uint64_t>(granted[i]) + n);
        EXPECT_FALSE(shares[i].fits());
      }
      int64_t sum = 0;
      for (int64_t g : granted) sum += g;
      ASSERT_LE(sum, kLimit) << "round " << round;
    }
  }
  ASSERT_EQ(live, 0) << "the limit never refused anything";
  int64_t sum = 0;
  for (int64_t g : granted) sum += g;
  // Each share wastes less than one quantum (its last claim covered a partial add) plus its
  // refused add: nothing else of the limit stays unclaimed.
  EXPECT_GT(sum, kLimit - kShares * shared.quantum());
}

TEST(BudgetTest, ReserveIsHalfOfEachReactorsShareInWholeQuanta) {
  SharedBudget b;
  b.init(32 * kKiB, 2);  // 16 KiB each: quantum 4 KiB, reserve 8 KiB
  EXPECT_EQ(b.quantum(), 4 * kKiB);
  EXPECT_EQ(b.reserve(), 8 * kKiB);
  b.init(1ull << 30, 2);
  EXPECT_EQ(b.reserve(), 256 * 1024 * kKiB);
  b.init(1000, 2);  // below a quantum per reactor: no reserve, all pool
  EXPECT_EQ(b.reserve(), 0);
}

// Two reactors, 32 KiB: each has an 8 KiB reserve and they share a 16 KiB pool.
TEST(BudgetTest, AddIsRefusedExactlyWhenReserveAndPoolCannotCover) {
  SharedBudget shared;
  shared.init(32 * kKiB, 2);
  ASSERT_EQ(shared.quantum(), 4 * kKiB);
  BudgetShare a, b;
  a.attach(&shared);
  b.attach(&shared);

  EXPECT_TRUE(a.add(8 * kKiB));      // a's reserve: nothing claimed
  EXPECT_TRUE(a.add(1));             // claims one quantum
  EXPECT_TRUE(a.add(4 * kKiB - 1));  // fills it
  EXPECT_TRUE(a.add(4 * kKiB + 1));  // needs two more quanta: 12 KiB of the pool claimed
  EXPECT_EQ(a.used(), uint64_t(16 * kKiB + 1));
  // b has its reserve and one quantum of pool left...
  EXPECT_TRUE(b.add(8 * kKiB));
  EXPECT_TRUE(b.add(4 * kKiB));
  // ...and not one byte more, nor may a grow past the room it holds.
  EXPECT_FALSE(b.add(1));
  EXPECT_EQ(b.used(), uint64_t(12 * kKiB + 1));
  EXPECT_FALSE(b.fits());
  b.sub(1);
  EXPECT_TRUE(b.fits());
  EXPECT_TRUE(a.add(4 * kKiB - 1));  // a's third quantum had room for this
  EXPECT_FALSE(a.add(1));
  a.sub(1);
  EXPECT_TRUE(a.fits());
}

// The point of the reserve: however much of the pool one reactor's peers took, another reactor's
// bytes within its reserve always fit, so it never has to shed its own small connections.
TEST(BudgetTest, AReactorWithinItsReserveIsNeverOverBudget) {
  SharedBudget shared;
  shared.init(256 * kKiB, 2);  // the attack test's wq_max
  BudgetShare hog, quiet;
  hog.attach(&shared);
  quiet.attach(&shared);
  while (hog.add(1000)) {
  }
  EXPECT_FALSE(hog.fits());
  for (int i = 0; i < 1000; i++) {
    ASSERT_TRUE(quiet.add(500)) << i;  // a reply in flight
    quiet.sub(500);
  }
  EXPECT_TRUE(quiet.add(static_cast<uint64_t>(shared.reserve())));
  EXPECT_FALSE(quiet.add(1));
}

TEST(BudgetTest, RefusedMultiQuantumAddClaimsNothing) {
  SharedBudget shared;
  shared.init(32 * kKiB, 2);  // reserves 8 KiB each, pool 16 KiB
  BudgetShare a, b;
  a.attach(&shared);
  b.attach(&shared);
  ASSERT_TRUE(a.add(16 * kKiB));  // its reserve and half the pool
  // Three quanta needed, two free: refused, and none of the two may be taken by the attempt.
  EXPECT_FALSE(b.add(20 * kKiB));
  b.sub(20 * kKiB);
  EXPECT_EQ(b.used(), 0u);
  EXPECT_TRUE(b.add(16 * kKiB)) << "a refused add kept part of its claim";
}

TEST(BudgetTest, SubReturnsSpareQuantaKeepingOneQuantumOfSlackAndTheReserve) {
  SharedBudget shared;
  shared.init(32 * kKiB, 2);
  const int64_t q = shared.quantum();
  const int64_t r = shared.reserve();
  ASSERT_EQ(q, 4 * kKiB);
  ASSERT_EQ(r, 8 * kKiB);
  BudgetShare a, b;
  a.attach(&shared);
  b.attach(&shared);
  ASSERT_TRUE(a.add(r + 16 * kKiB));  // a holds its reserve and the whole pool
  EXPECT_TRUE(b.add(r));              // b's reserve is still its own
  EXPECT_FALSE(b.add(1));
  b.sub(1);

  // One quantum spare is slack: a keeps it.
  a.sub(q);
  EXPECT_FALSE(b.add(1));
  b.sub(1);
  // Two quanta spare: one goes back, one stays.
  a.sub(q);
  EXPECT_EQ(a.used(), uint64_t(r + 2 * q));
  EXPECT_TRUE(b.add(q));
  EXPECT_FALSE(b.add(1));
  b.sub(1);

  // a down to its reserve: it keeps one quantum of the pool as slack, the rest is b's.
  a.sub(2 * q);
  EXPECT_EQ(a.used(), uint64_t(r));
  EXPECT_TRUE(b.add(2 * q));
  EXPECT_FALSE(b.add(1));
  b.sub(1);
  // a emptied: its unused reserve is slack enough, so its last quantum of the pool goes back too.
  a.sub(r);
  EXPECT_TRUE(b.add(q));
  EXPECT_FALSE(b.add(1));
  b.sub(1);

  // And b, emptied, returns the whole pool, which a can then claim.
  b.sub(r + 4 * q);
  EXPECT_EQ(b.used(), 0u);
  EXPECT_TRUE(a.add(r + 4 * q));
  EXPECT_FALSE(a.add(1));
}

TEST(BudgetTest, SubByOneByteAtATimeReturnsEverySpareQuantum) {
  SharedBudget shared;
  shared.init(64 * kKiB, 2);
  const int64_t q = shared.quantum();
  const int64_t r = shared.reserve();
  BudgetShare a, b;
  a.attach(&shared);
  b.attach(&shared);
  ASSERT_TRUE(a.add(64 * kKiB - r));  // a's reserve and the whole pool
  for (int64_t i = 0; i < 64 * kKiB - r; i++) a.sub(1);
  EXPECT_EQ(a.used(), 0u);
  // a gave back all of the pool but less than two quanta of slack.
  EXPECT_TRUE(b.add(64 * kKiB - r - 2 * q));
}

TEST(BudgetTest, ShareWithoutABudgetIsUnlimited) {
  BudgetShare s;
  for (int i = 0; i < 1000; i++) EXPECT_TRUE(s.add(uint64_t{1} << 32));
  EXPECT_TRUE(s.fits());
  EXPECT_EQ(s.used(), uint64_t{1000} << 32);
  s.sub(uint64_t{1000} << 32);
  EXPECT_EQ(s.used(), 0u);
  EXPECT_TRUE(s.fits());
}

// claim() from many threads at once: what is granted and not yet released never passes the
// pool, and everything released can be claimed again.
TEST(BudgetTest, ConcurrentClaimsNeverPassTheLimit) {
  constexpr int kThreads = 4;
  constexpr int kRounds = 20000;
  SharedBudget shared;
  shared.init(64 * kKiB, kThreads);
  const int64_t q = shared.quantum();
  const int64_t pool = 64 * kKiB - kThreads * shared.reserve();  // what claim() hands out
  std::atomic<int64_t> granted{0};
  std::atomic<int64_t> max_granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRounds; i++) {
        const int64_t n = q * (1 + (i + t) % 5);
        if (!shared.claim(n)) continue;
        int64_t now = granted.fetch_add(n) + n;
        int64_t seen = max_granted.load();
        while (now > seen && !max_granted.compare_exchange_weak(seen, now)) {
        }
        granted.fetch_sub(n);
        shared.release(n);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_LE(max_granted.load(), pool);
  EXPECT_GT(max_granted.load(), 0);
  EXPECT_TRUE(shared.claim(pool)) << "claims leaked";
  EXPECT_FALSE(shared.claim(1));
}

}  // namespace
}  // namespace sipring
