// Tests of ReactorPoll, the adaptive poll policy: nothing is polled until the wake-up cost and
// the idle gap are measured; the wake-up cost comes only from probe sleeps their timeout ended;
// polls happen only while gaps are shorter than a wake-up and only for one wake-up's time per
// idle period; the CPU cap holds polling to a share of the reactor's working time, starting
// empty, bounded in bursts; the counters say all of it.
#include "engine/reactor/reactor_poll.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace sipring {
namespace {

constexpr uint64_t kUs = 1000;
constexpr uint64_t kMs = 1000 * kUs;
constexpr uint64_t kStart = 1'000'000 * kMs;  // an arbitrary CLOCK_MONOTONIC origin

class ReactorPollTest : public ::testing::Test {
 protected:
  void enable(uint32_t cpu_max = 10) { poll_.enable(0, cpu_max, &counters_, now_); }

  // One idle iteration at the current time: the decision, then the wait lasting `wait_ns`, which
  // ends with work if `work`; that work then takes work_ns_ (what fills the CPU budget). Returns
  // whether it polled.
  bool iteration(uint64_t wait_ns, bool work, uint64_t* probe = nullptr) {
    uint64_t p = 0;
    bool polled = poll_.should_poll(now_, &p);
    if (probe != nullptr) *probe = p;
    now_ += wait_ns;
    poll_.after_wait(now_, work);
    if (work) now_ += work_ns_;
    return polled;
  }

  // Measures a wake-up cost of `late_ns`: a probe sleep whose timeout ended it that late. The
  // reactor is idle (sleeping) until a probe is due: wall time, not work.
  void measure_wake(uint64_t late_ns) {
    uint64_t probe = 0;
    ASSERT_FALSE(poll_.should_poll(now_, &probe));
    if (probe == 0) {  // not due yet: sleep until it is
      now_ += ReactorPoll::kProbeIntervalNs;
      poll_.after_wait(now_, false);
      ASSERT_FALSE(poll_.should_poll(now_, &probe));
    }
    ASSERT_NE(probe, 0u);
    now_ += probe + late_ns;
    poll_.after_wait(now_, false);
  }

  // Idle periods of `gap_ns` (plus the wake-up when slept through), each followed by work_ns_
  // of work, until the gap average is there; then the counters restart at 0.
  void measure_gaps(uint64_t gap_ns) {
    for (int i = 0; i < 128; i++) {
      uint64_t p = 0;
      bool polled = poll_.should_poll(now_, &p);
      now_ += gap_ns + (polled ? 0 : poll_.wake_cost_ns());
      poll_.after_wait(now_, true);
      now_ += work_ns_;
    }
    counters_.adaptive_polls.set(0);
    counters_.adaptive_poll_hits.set(0);
    counters_.adaptive_poll_capped.set(0);
    counters_.adaptive_poll_ns.set(0);
  }

  ReactorPoll poll_;
  ReactorCounters counters_;
  uint64_t now_ = kStart;
  uint64_t work_ns_ = 10 * kUs;  // each piece of work found takes this long
};

TEST_F(ReactorPollTest, DisabledUntilEnabled) {
  EXPECT_FALSE(poll_.enabled());
  enable();
  EXPECT_TRUE(poll_.enabled());
}

TEST_F(ReactorPollTest, NeverPollsBeforeBothFiguresAreMeasured) {
  enable();
  uint64_t probe = 0;
  // The very first sleep is a probe, of the shortest length while no gap is known.
  EXPECT_FALSE(iteration(5 * kUs, true, &probe));
  EXPECT_EQ(probe, ReactorPoll::kProbeMinNs);
  EXPECT_EQ(poll_.wake_cost_ns(), 0u);  // work ended the probe early: no sample
  for (int i = 0; i < 100; i++) EXPECT_FALSE(iteration(1 * kUs, true));
  EXPECT_EQ(counters_.adaptive_polls.get(), 0u);
}

TEST_F(ReactorPollTest, WakeCostIsTheLatenessOfAProbeItsTimeoutEnded) {
  enable();
  measure_wake(40 * kUs);
  EXPECT_EQ(poll_.wake_cost_ns(), 40 * kUs);
  EXPECT_EQ(counters_.wake_cost_ns.get(), 40 * kUs);
  // The next probe only after kProbeIntervalNs.
  uint64_t probe = 0;
  iteration(500 * kUs, true, &probe);
  EXPECT_EQ(probe, 0u);
  // Averaged: one later sample of 120 us moves it by an eighth of the difference.
  measure_wake(120 * kUs);
  EXPECT_EQ(poll_.wake_cost_ns(), 40 * kUs + 80 * kUs / 8);
}

TEST_F(ReactorPollTest, ProbeLengthFollowsTheGap) {
  enable();
  measure_wake(40 * kUs);
  measure_gaps(300 * kUs);
  now_ += ReactorPoll::kProbeIntervalNs;
  uint64_t probe = 0;
  iteration(1 * kUs, true, &probe);
  EXPECT_NEAR(static_cast<double>(probe), 150.0 * kUs, 10.0 * kUs);  // half the gap
}

TEST_F(ReactorPollTest, SleepsWhenWorkComesBackSlowerThanAWakeUp) {
  enable();
  measure_wake(40 * kUs);
  measure_gaps(100 * kUs);  // 10k/s with a 40 us wake-up: sleeping is right
  EXPECT_NEAR(static_cast<double>(poll_.idle_gap_ns()), 100.0 * kUs, 5.0 * kUs);
  for (int i = 0; i < 100; i++) EXPECT_FALSE(iteration(140 * kUs, true));
  EXPECT_EQ(counters_.adaptive_polls.get(), 0u);
  EXPECT_EQ(counters_.adaptive_poll_capped.get(), 0u);
}

TEST_F(ReactorPollTest, PollsWhileWorkComesBackFasterThanAWakeUp) {
  enable(100);
  measure_wake(40 * kUs);
  measure_gaps(10 * kUs);
  EXPECT_LT(poll_.idle_gap_ns(), poll_.wake_cost_ns());
  // Work found by a poll 2 us in: counted as a hit, and the gap it measured is exact.
  for (int i = 0; i < 100; i++) {
    EXPECT_TRUE(iteration(1 * kUs, false));
    EXPECT_TRUE(iteration(1 * kUs, true));
  }
  EXPECT_EQ(counters_.adaptive_polls.get(), 200u);
  EXPECT_EQ(counters_.adaptive_poll_hits.get(), 100u);
  EXPECT_NEAR(static_cast<double>(poll_.idle_gap_ns()), 2.0 * kUs, 0.5 * kUs);
  EXPECT_EQ(counters_.idle_gap_ns.get(), poll_.idle_gap_ns());
}

TEST_F(ReactorPollTest, PollsAtMostOneWakeUpPerIdlePeriodThenSleeps) {
  enable(100);
  work_ns_ = 100 * kUs;  // enough budget for a whole wake-up's polling
  measure_wake(40 * kUs);
  measure_gaps(10 * kUs);
  int polls = 0;
  while (iteration(1 * kUs, false)) polls++;
  // Polled for the wake-up cost (40 us, one poll a microsecond), then slept.
  EXPECT_GE(polls, 38);
  EXPECT_LE(polls, 41);
  EXPECT_EQ(counters_.adaptive_poll_hits.get(), 0u);
  EXPECT_EQ(counters_.adaptive_poll_capped.get(), 0u);
}

TEST_F(ReactorPollTest, BudgetStartsEmptyAndOnlyWorkFillsIt) {
  enable(10);
  measure_wake(40 * kUs);
  work_ns_ = 0;
  measure_gaps(10 * kUs);
  // Work comes back faster than a wake-up, but no time was spent working: nothing to poll with.
  EXPECT_FALSE(iteration(10 * kUs + 40 * kUs, true));
  EXPECT_EQ(counters_.adaptive_polls.get(), 0u);
  EXPECT_EQ(counters_.adaptive_poll_capped.get(), 1u);
  EXPECT_EQ(poll_.budget_ns(), 0);
  // Nor does idle wall time earn any: a second asleep (ended by a timer, say).
  EXPECT_FALSE(iteration(1000 * kMs, false));
  uint64_t p = 0;
  EXPECT_FALSE(poll_.should_poll(now_, &p));
  EXPECT_EQ(poll_.budget_ns(), 0);
  now_ += 40 * kUs;
  poll_.after_wait(now_, true);
  measure_gaps(10 * kUs);  // the second-long gap averaged away again
  // 100 us of work earns 10 us of polling.
  now_ += 100 * kUs;
  EXPECT_TRUE(iteration(4 * kUs, false));
  EXPECT_TRUE(iteration(4 * kUs, false));
  EXPECT_TRUE(iteration(4 * kUs, false));  // 2 us left when it began: this one overdraws
  EXPECT_FALSE(iteration(4 * kUs, true));  // in debt: sleeps
  EXPECT_EQ(poll_.budget_ns(), -static_cast<int64_t>(2 * kUs));
  EXPECT_EQ(counters_.adaptive_polls.get(), 3u);
  EXPECT_EQ(counters_.adaptive_poll_ns.get(), 12 * kUs);
  EXPECT_EQ(counters_.adaptive_poll_capped.get(), 1u);
}

TEST_F(ReactorPollTest, BurstsAreBoundedByTheBucket) {
  enable(10);
  measure_wake(40 * kUs);
  measure_gaps(10 * kUs);
  // Ten seconds of work in one stretch earn no more than 100 ms of work's share: 10 ms.
  now_ += 10'000 * kMs;
  uint64_t p = 0;
  EXPECT_TRUE(poll_.should_poll(now_, &p));
  EXPECT_EQ(poll_.budget_ns(), static_cast<int64_t>(10 * kMs));
}

class ReactorPollCapTest : public ReactorPollTest,
                           public ::testing::WithParamInterface<uint32_t> {};

// The cap's promise, over a long run where polling would always pay: time polled is the cap's
// share of time worked, no more (and, with that much to gain, not much less).
TEST_P(ReactorPollCapTest, PollingStaysWithinItsShareOfWorkingTime) {
  const uint32_t cap = GetParam();
  enable(cap);
  measure_wake(40 * kUs);
  measure_gaps(10 * kUs);
  // Ten seconds of work (10 us each) coming back 10 us after the last, which a poll always
  // catches; a sleep costs the 40 us wake-up on top.
  uint64_t polled_ns = 0;
  uint64_t worked_ns = 0;
  const uint64_t t0 = now_;
  while (now_ - t0 < 10'000 * kMs) {
    uint64_t p = 0;
    const bool polled = poll_.should_poll(now_, &p);
    now_ += 10 * kUs + (polled ? 0 : 40 * kUs);
    poll_.after_wait(now_, true);
    if (polled) polled_ns += 10 * kUs;
    now_ += work_ns_;
    worked_ns += work_ns_;
  }
  const double share = static_cast<double>(polled_ns) / static_cast<double>(worked_ns);
  EXPECT_LE(share, cap / 100.0 + 0.001);
  EXPECT_GE(share, cap / 100.0 * 0.9);
  EXPECT_EQ(counters_.adaptive_poll_ns.get(), polled_ns);
}

INSTANTIATE_TEST_SUITE_P(Caps, ReactorPollCapTest, ::testing::Values(1u, 5u, 10u, 15u, 50u));

}  // namespace
}  // namespace sipring
