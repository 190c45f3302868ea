// Tests of TimerWheel: arm/disarm/re-arm, firing at or after the deadline and in deadline order,
// deadlines more than one turn away, large jumps of the clock, callbacks that re-arm their own
// timer, callbacks that disarm or move other timers due in the same sweep, and arm_no_later
// (arms when unarmed, moves a deadline earlier, never later).
#include "engine/io/timer_wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace sipring {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kTick = 10 * kMs;
constexpr uint64_t kStart = 1'000'000 * kMs;  // the monotonic clock is far from zero

// Steps the clock from `from` to `to` in `step` increments, recording (item, time) of each fire.
std::vector<std::pair<uint32_t, uint64_t>> run(TimerWheel& w, uint64_t from, uint64_t to,
                                               uint64_t step) {
  std::vector<std::pair<uint32_t, uint64_t>> fired;
  for (uint64_t now = from; now <= to; now += step) {
    w.advance(now, [&](uint32_t item) { fired.emplace_back(item, now); });
  }
  return fired;
}

TEST(TimerWheelTest, FiresOnceAtOrAfterTheDeadline) {
  TimerWheel w(16, 64, kTick, kStart);
  w.arm(3, kStart + 55 * kMs);
  EXPECT_TRUE(w.armed(3));
  EXPECT_EQ(w.armed_count(), 1u);
  auto fired = run(w, kStart, kStart + 200 * kMs, kMs);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, 3u);
  EXPECT_GE(fired[0].second, kStart + 55 * kMs);
  EXPECT_LT(fired[0].second, kStart + 55 * kMs + kTick);  // within one tick of it
  EXPECT_FALSE(w.armed(3));
  EXPECT_EQ(w.armed_count(), 0u);
}

TEST(TimerWheelTest, DeadlineOnATickBoundaryFiresExactlyThen) {
  TimerWheel w(4, 64, kTick, kStart);
  w.arm(0, kStart + 3 * kTick);
  std::vector<uint32_t> fired;
  w.advance(kStart + 3 * kTick - 1, [&](uint32_t i) { fired.push_back(i); });
  EXPECT_TRUE(fired.empty());
  w.advance(kStart + 3 * kTick, [&](uint32_t i) { fired.push_back(i); });
  EXPECT_EQ(fired, std::vector<uint32_t>{0});
}

TEST(TimerWheelTest, PastDeadlineFiresAtTheNextTick) {
  TimerWheel w(4, 64, kTick, kStart);
  w.arm(1, kStart - 5 * kTick);
  std::vector<uint32_t> fired;
  w.advance(kStart, [&](uint32_t i) { fired.push_back(i); });
  EXPECT_TRUE(fired.empty());  // never into the slot being swept
  w.advance(kStart + kTick, [&](uint32_t i) { fired.push_back(i); });
  EXPECT_EQ(fired, std::vector<uint32_t>{1});
}

TEST(TimerWheelTest, DisarmedTimerDoesNotFire) {
  TimerWheel w(8, 64, kTick, kStart);
  w.arm(1, kStart + 30 * kMs);
  w.arm(2, kStart + 30 * kMs);
  w.disarm(1);
  w.disarm(1);  // twice is harmless
  w.disarm(5);  // never armed: harmless
  EXPECT_FALSE(w.armed(1));
  EXPECT_EQ(w.armed_count(), 1u);
  auto fired = run(w, kStart, kStart + 100 * kMs, kMs);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, 2u);
}

TEST(TimerWheelTest, RearmMovesTheDeadline) {
  TimerWheel w(8, 64, kTick, kStart);
  w.arm(4, kStart + 30 * kMs);
  w.arm(4, kStart + 120 * kMs);  // later
  w.arm(5, kStart + 200 * kMs);
  w.arm(5, kStart + 50 * kMs);  // earlier
  EXPECT_EQ(w.armed_count(), 2u);
  auto fired = run(w, kStart, kStart + 300 * kMs, kMs);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].first, 5u);
  EXPECT_GE(fired[0].second, kStart + 50 * kMs);
  EXPECT_LT(fired[0].second, kStart + 60 * kMs);
  EXPECT_EQ(fired[1].first, 4u);
  EXPECT_GE(fired[1].second, kStart + 120 * kMs);
  EXPECT_LT(fired[1].second, kStart + 130 * kMs);
}

TEST(TimerWheelTest, FiresInDeadlineOrderAndNeverEarly) {
  constexpr uint32_t kItems = 500;
  TimerWheel w(kItems, 32, kTick, kStart);
  std::map<uint32_t, uint64_t> deadline;
  for (uint32_t i = 0; i < kItems; i++) {
    uint64_t d = kStart + (1 + (i * 7919) % 1000) * kMs;  // spread over ~3 turns of the wheel
    deadline[i] = d;
    w.arm(i, d);
  }
  auto fired = run(w, kStart, kStart + 1100 * kMs, kMs);
  ASSERT_EQ(fired.size(), kItems);
  uint64_t last_tick = 0;
  std::vector<bool> seen(kItems);
  for (auto [item, when] : fired) {
    EXPECT_FALSE(seen[item]) << item << " fired twice";
    seen[item] = true;
    EXPECT_GE(when, deadline[item]) << item;
    EXPECT_LT(when, deadline[item] + kTick) << item;
    uint64_t tick = (deadline[item] + kTick - 1) / kTick;
    EXPECT_GE(tick, last_tick) << "out of order at " << item;
    last_tick = tick;
  }
}

TEST(TimerWheelTest, DeadlinesBeyondOneTurnWaitForTheirTurn) {
  // 8 slots of 10 ms: one turn is 80 ms. 250 ms maps to the same slot as 10, 90 and 170 ms.
  TimerWheel w(4, 8, kTick, kStart);
  w.arm(0, kStart + 250 * kMs);
  w.arm(1, kStart + 10 * kMs);
  auto fired = run(w, kStart, kStart + 249 * kMs, kMs);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, 1u);
  EXPECT_TRUE(w.armed(0));
  fired = run(w, kStart + 250 * kMs, kStart + 260 * kMs, kMs);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, 0u);
  EXPECT_EQ(fired[0].second, kStart + 250 * kMs);
}

TEST(TimerWheelTest, BigJumpFiresEverythingDueOnceAndKeepsTheRest) {
  TimerWheel w(100, 16, kTick, kStart);
  for (uint32_t i = 0; i < 100; i++) w.arm(i, kStart + (i + 1) * 100 * kMs);  // 0.1 s .. 10 s
  std::vector<uint32_t> fired;
  // 5.05 s in one step: 505 ticks, about 31 turns of a 16-slot wheel.
  w.advance(kStart + 5050 * kMs, [&](uint32_t i) { fired.push_back(i); });
  std::sort(fired.begin(), fired.end());
  ASSERT_EQ(fired.size(), 50u);
  for (uint32_t i = 0; i < 50; i++) EXPECT_EQ(fired[i], i);
  for (uint32_t i = 50; i < 100; i++) EXPECT_TRUE(w.armed(i)) << i;
  EXPECT_EQ(w.armed_count(), 50u);
  // And the rest still fire on time after the jump.
  auto later = run(w, kStart + 5051 * kMs, kStart + 10100 * kMs, kMs);
  ASSERT_EQ(later.size(), 50u);
  for (auto [item, when] : later) EXPECT_GE(when, kStart + (item + 1) * 100 * kMs);
}

TEST(TimerWheelTest, CallbackRearmingItselfMakesAPeriodicTimer) {
  TimerWheel w(4, 16, kTick, kStart);
  uint64_t period = 35 * kMs;
  w.arm(2, kStart + period);
  std::vector<uint64_t> times;
  for (uint64_t now = kStart; now <= kStart + 1000 * kMs; now += kMs) {
    w.advance(now, [&](uint32_t item) {
      ASSERT_EQ(item, 2u);
      ASSERT_FALSE(w.armed(item));  // disarmed before the callback runs
      times.push_back(now);
      w.arm(item, now + period);
    });
  }
  // One fire per period (each rounded up to the next tick): 1000 / 40.
  EXPECT_EQ(times.size(), 25u);
  for (size_t i = 1; i < times.size(); i++) {
    EXPECT_GE(times[i] - times[i - 1], period);
    EXPECT_LT(times[i] - times[i - 1], period + kTick);
  }
  EXPECT_TRUE(w.armed(2));
}

TEST(TimerWheelTest, CallbackRearmingItselfIntoThePastFiresOncePerTick) {
  TimerWheel w(4, 16, kTick, kStart);
  w.arm(0, kStart + kTick);
  int fires = 0;
  w.advance(kStart + 5 * kTick, [&](uint32_t item) {
    fires++;
    w.arm(item, 0);  // "as soon as possible": the next tick, not this sweep again
  });
  EXPECT_LE(fires, 5);
  EXPECT_GE(fires, 1);
  EXPECT_TRUE(w.armed(0));
}

TEST(TimerWheelTest, NextWakeupIsTheNextTickBoundaryWhenArmed) {
  TimerWheel w(4, 16, kTick, kStart);
  EXPECT_EQ(w.next_wakeup_ns(kStart + 3 * kMs, 1'000 * kMs), 1'000 * kMs);  // nothing armed
  w.arm(0, kStart + 500 * kMs);
  EXPECT_EQ(w.next_wakeup_ns(kStart + 3 * kMs, 1'000 * kMs), 7 * kMs);
  EXPECT_EQ(w.next_wakeup_ns(kStart + 3 * kMs, 2 * kMs), 2 * kMs);  // capped
}

// The contract of advance(): "fire may re-arm or disarm any item". A callback that disarms
// another timer due in the same sweep must prevent it from firing.
TEST(TimerWheelTest, CallbackDisarmingAnotherDueTimerPreventsItsFire) {
  TimerWheel w(4, 16, kTick, kStart);
  // Same deadline, same slot. Arming pushes at the head: the list is 1 -> 0.
  w.arm(0, kStart + 2 * kTick);
  w.arm(1, kStart + 2 * kTick);
  std::vector<uint32_t> fired;
  w.advance(kStart + 3 * kTick, [&](uint32_t item) {
    fired.push_back(item);
    w.disarm(item == 0 ? 1 : 0);  // whichever fires first cancels the other
  });
  EXPECT_EQ(fired.size(), 1u) << "a timer disarmed by an earlier callback fired anyway";
  EXPECT_EQ(w.armed_count(), 0u);
}

// Same contract: a callback that moves another due timer to a later deadline must not have it
// fire now, and every other due timer must still fire exactly once.
TEST(TimerWheelTest, CallbackRearmingAnotherDueTimerLaterDefersIt) {
  TimerWheel w(8, 16, kTick, kStart);
  for (uint32_t i = 0; i < 4; i++) w.arm(i, kStart + 2 * kTick);  // list: 3 -> 2 -> 1 -> 0
  std::vector<uint32_t> fired;
  w.advance(kStart + 3 * kTick, [&](uint32_t item) {
    fired.push_back(item);
    if (item == 3) w.arm(2, kStart + 53 * kTick);  // another slot (53 % 16 != 2)
  });
  std::sort(fired.begin(), fired.end());
  EXPECT_EQ(fired, (std::vector<uint32_t>{0, 1, 3}));
  EXPECT_TRUE(w.armed(2));
}

// arm_no_later: the send and message timeouts must not wait behind a far idle deadline, and
// must not postpone a nearer one.
TEST(TimerWheelTest, ArmNoLaterArmsAnUnarmedItem) {
  TimerWheel w(4, 64, kTick, kStart);
  w.arm_no_later(2, kStart + 55 * kMs);
  EXPECT_TRUE(w.armed(2));
  EXPECT_EQ(w.armed_count(), 1u);
  auto fired = run(w, kStart, kStart + 200 * kMs, kMs);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].first, 2u);
  EXPECT_GE(fired[0].second, kStart + 55 * kMs);
  EXPECT_LT(fired[0].second, kStart + 55 * kMs + kTick);
}

TEST(TimerWheelTest, ArmNoLaterMovesAnItemEarlier) {
  TimerWheel w(4, 16, kTick, kStart);
  w.arm(1, kStart + 5000 * kMs);  // several turns away, like an idle timeout
  w.arm_no_later(1, kStart + 200 * kMs);
  EXPECT_EQ(w.armed_count(), 1u);
  auto fired = run(w, kStart, kStart + 6000 * kMs, kMs);
  ASSERT_EQ(fired.size(), 1u) << "fired at the old deadline too, or never";
  EXPECT_EQ(fired[0].first, 1u);
  EXPECT_GE(fired[0].second, kStart + 200 * kMs);
  EXPECT_LT(fired[0].second, kStart + 200 * kMs + kTick);
}

TEST(TimerWheelTest, ArmNoLaterNeverMovesAnItemLater) {
  TimerWheel w(4, 16, kTick, kStart);
  w.arm(1, kStart + 100 * kMs);
  w.arm_no_later(1, kStart + 5000 * kMs);
  w.arm_no_later(1, kStart + 101 * kMs);  // later within the next tick: still later
  w.arm(3, kStart + 57 * kMs);
  w.arm_no_later(3, kStart + 51 * kMs);  // earlier, but the same tick: it fires then either way
  EXPECT_EQ(w.armed_count(), 2u);
  auto fired = run(w, kStart, kStart + 6000 * kMs, kMs);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].first, 3u);
  EXPECT_EQ(fired[0].second, kStart + 60 * kMs);
  EXPECT_EQ(fired[1].first, 1u);
  EXPECT_EQ(fired[1].second, kStart + 100 * kMs);
}

TEST(TimerWheelTest, ArmNoLaterArmsAgainAfterTheItemFired) {
  TimerWheel w(4, 16, kTick, kStart);
  w.arm(0, kStart + 20 * kMs);
  auto fired = run(w, kStart, kStart + 30 * kMs, kMs);
  ASSERT_EQ(fired.size(), 1u);
  ASSERT_FALSE(w.armed(0));
  // The old deadline_tick (2) is earlier than the new one: an unarmed item must be armed anyway.
  w.arm_no_later(0, kStart + 300 * kMs);
  EXPECT_TRUE(w.armed(0));
  fired = run(w, kStart + 31 * kMs, kStart + 400 * kMs, kMs);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].second, kStart + 300 * kMs);
}

TEST(TimerWheelTest, ArmNoLaterWithAPastDeadlineFiresAtTheNextTick) {
  TimerWheel w(4, 16, kTick, kStart);
  w.arm(0, kStart + 500 * kMs);
  w.arm_no_later(0, kStart - 50 * kMs);
  std::vector<uint32_t> fired;
  w.advance(kStart + kTick, [&](uint32_t i) { fired.push_back(i); });
  EXPECT_EQ(fired, std::vector<uint32_t>{0});
  EXPECT_FALSE(w.armed(0));
}

}  // namespace
}  // namespace sipring
