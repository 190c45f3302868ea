// Tests of ReactorPoll, the adaptive poll policy: nothing is polled until the wake-up cost and
// the idle gap are measured; the wake-up cost comes only from probe sleeps their timeout ended;
// polls happen only while gaps are shorter than a wake-up and only for one wake-up's time per
// idle period; the CPU cap stops polling and refills with time; the counters say all of it.
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
  // ends with work if `work`. Returns whether it polled.
  bool iteration(uint64_t wait_ns, bool work, uint64_t* probe = nullptr) {
    uint64_t p = 0;
    bool polled = poll_.should_poll(now_, &p);
    if (probe != nullptr) *probe = p;
    now_ += wait_ns;
    poll_.after_wait(now_, work);
    return polled;
  }

  // Measures a wake-up cost of `late_ns`: a probe sleep whose timeout ended it that late.
  void measure_wake(uint64_t late_ns) {
    now_ += ReactorPoll::kProbeIntervalNs;  // a probe is due
    uint64_t probe = 0;
    ASSERT_FALSE(poll_.should_poll(now_, &probe));
    ASSERT_NE(probe, 0u);
    now_ += probe + late_ns;
    poll_.after_wait(now_, false);
  }

  // Idle periods of `gap_ns` (plus the wake-up when slept through) until the gap average is
  // there; then a second passes (the CPU budget is full again) and the counters restart at 0.
  void measure_gaps(uint64_t gap_ns) {
    for (int i = 0; i < 64; i++) {
      uint64_t p = 0;
      bool polled = poll_.should_poll(now_, &p);
      now_ += gap_ns + (polled ? 0 : poll_.wake_cost_ns());
      poll_.after_wait(now_, true);
    }
    now_ += 1000 * kMs;
    counters_.adaptive_polls.set(0);
    counters_.adaptive_poll_hits.set(0);
    counters_.adaptive_poll_capped.set(0);
  }

  ReactorPoll poll_;
  ReactorCounters counters_;
  uint64_t now_ = kStart;
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

TEST_F(ReactorPollTest, CpuCapStopsPollingAndRefillsWithTime) {
  enable(1);  // 1% of a second: 10 ms of polling
  measure_wake(40 * kUs);
  measure_gaps(10 * kUs);
  uint64_t polled_ns = 0;
  const uint64_t t0 = now_;
  // Work every 20 us, found by polling, until the budget runs out.
  while (polled_ns < 100 * kMs && iteration(20 * kUs, true)) polled_ns += 20 * kUs;
  EXPECT_GE(polled_ns, 9 * kMs);
  EXPECT_LE(polled_ns, 12 * kMs);  // the budget, plus what refilled meanwhile (1%)
  EXPECT_EQ(counters_.adaptive_poll_capped.get(), 1u);
  EXPECT_LE(now_ - t0, 13 * kMs);
  // Over budget (in debt by at most the poll that overdrew it): the next idle period sleeps.
  EXPECT_LE(poll_.budget_ns(), 0);
  EXPECT_GT(poll_.budget_ns(), -static_cast<int64_t>(20 * kUs));
  EXPECT_FALSE(iteration(10 * kUs + 40 * kUs, true));
  EXPECT_EQ(counters_.adaptive_poll_capped.get(), 2u);
  // A second later the budget is full again.
  now_ += 1000 * kMs;
  EXPECT_TRUE(iteration(1 * kUs, true));
  // Full less the poll just made and the debt left by the one that overdrew.
  EXPECT_LE(poll_.budget_ns(), static_cast<int64_t>(10 * kMs - 1 * kUs));
  EXPECT_GE(poll_.budget_ns(), static_cast<int64_t>(10 * kMs - 21 * kUs));
}

TEST_F(ReactorPollTest, SpendsAtMostTheCapOverLongRuns) {
  enable(5);
  measure_wake(40 * kUs);
  measure_gaps(10 * kUs);
  // Ten seconds of work every 10 us that polling would always catch.
  uint64_t polled_ns = 0;
  const uint64_t t0 = now_;
  while (now_ - t0 < 10'000 * kMs) {
    if (iteration(10 * kUs, true)) {
      polled_ns += 10 * kUs;
    } else {
      now_ += 40 * kUs;  // the wake-up of a sleep
    }
  }
  const double share = static_cast<double>(polled_ns) / static_cast<double>(now_ - t0);
  EXPECT_LE(share, 0.05 + 0.006);  // the cap, plus the first second's full budget spread out
  EXPECT_GE(share, 0.04);
}

}  // namespace
}  // namespace sipring
