// Adaptive polling (sipring.adaptive_poll): whether a reactor that has run out of work polls
// (a non-blocking io_uring_enter) or sleeps.
//
// Sleeping costs the next piece of work a wake-up: the time from its arrival to the reactor
// running again (a few microseconds on bare metal; on a VM whose idle vCPU halts, tens of
// microseconds and a tail of milliseconds). Polling costs CPU time instead. ReactorPoll polls
// only when all three hold:
//
//   1. the reactor's idle gaps (from running out of work to the next work arriving, an average
//      over the last few) are shorter than one wake-up: work comes back faster than the reactor
//      could wake up for it, so sleeping saves little CPU and costs every message a wake-up;
//   2. this idle period has lasted less than one wake-up (spin, then sleep): a gap that turns
//      out long costs at most one wake-up's worth of polling;
//   3. the CPU budget allows: polling may add at most sipring.adaptive_poll_cpu_max percent to
//      the reactor's own CPU time. The budget is a token bucket that the reactor's working time
//      fills (each stretch of work from the end of one idle period to the start of the next adds
//      that percentage of itself) and polling drains; a poll that overdraws it leaves a debt the
//      next polls wait for, so the cap holds in the long run. The bucket starts empty and holds at
//      most the share of kBudgetWindowNs of work, which bounds a burst.
//
// Why a share of working time, not of wall time: the cost the operator weighs is "how much more
// CPU than sleeping", and sleeping's CPU is the working time (plus kernel work polling does not
// change). A wall-time cap of 10% was +64% CPU at 10k requests/s where the reactor works 16% of
// the time; a share of working time is +10% at any load. Under heavy load there are few idle
// periods left and nothing to poll; under light load there is little work and so little budget:
// polling is for the middle, where work comes back faster than a wake-up.
//
// Both figures are measured here, never assumed. The idle gap is measured on every idle period
// (less the wake-up estimate when the reactor slept through it). The wake-up cost is measured
// with a probe sleep about every 100 ms: a wait whose timeout (half the idle gap, within
// [10 us, 1 ms]) ends it before work arrives; how late after that timeout the reactor runs is
// one sample (io_uring's wait timer is armed without slack, so the lateness is the wake-up's,
// not the timer's). Both are averages (EWMA, weight 1/8): the policy follows the typical wake-up,
// not its tail.
//
// Reactor thread only. Costs nothing when disabled (the reactor does not call it then).
#pragma once

#include <cstdint>

#include "engine/base/log.h"
#include "engine/sync/counters.h"

namespace sipring {

class ReactorPoll {
 public:
  static constexpr uint64_t kProbeIntervalNs = 100'000'000;  // one wake-up sample per 100 ms
  static constexpr uint64_t kProbeMinNs = 10'000;
  static constexpr uint64_t kProbeMaxNs = 1'000'000;
  static constexpr uint64_t kBudgetWindowNs = 100'000'000;  // the bucket: this much work's share

  // Turns the policy on for reactor `reactor` with a CPU cap of `cpu_max_percent` (1..100) of
  // its working time, counting in `counters` (adaptive_polls, adaptive_poll_hits,
  // adaptive_poll_capped, adaptive_poll_ns, wake_cost_ns, idle_gap_ns). The budget starts empty;
  // work from `now_ns` on fills it. When the cap stops polling, an info line says so (at most one
  // a second).
  void enable(uint32_t reactor, uint32_t cpu_max_percent, ReactorCounters* counters,
              uint64_t now_ns) noexcept;
  bool enabled() const noexcept { return counters_ != nullptr; }

  // The reactor has nothing to do at `now_ns` (CLOCK_MONOTONIC). Returns true if it should poll
  // now. Returns false if it should sleep; then `*probe_timeout_ns` is 0, or the longest timeout
  // that sleep may have (a probe sleep, which measures the wake-up).
  bool should_poll(uint64_t now_ns, uint64_t* probe_timeout_ns) noexcept;

  // After the io_uring_enter that followed should_poll(): `found_work` if it brought completions
  // or messages. Ends the idle period when it did.
  void after_wait(uint64_t now_ns, bool found_work) noexcept;

  uint64_t wake_cost_ns() const noexcept { return wake_ns_; }  // 0 until measured
  uint64_t idle_gap_ns() const noexcept { return gap_ns_; }    // 0 until measured
  int64_t budget_ns() const noexcept { return tokens_ns_; }    // < 0: a debt

 private:
  void charge(uint64_t now_ns) noexcept;  // polling since last_ns_ used the budget
  static uint64_t ewma(uint64_t avg, uint64_t sample) noexcept {
    return avg == 0 ? sample : avg - avg / 8 + sample / 8;
  }

  ReactorCounters* counters_ = nullptr;
  uint32_t reactor_ = 0;
  RateLimitedLog capped_log_{1};
  uint64_t rate_percent_ = 0;
  int64_t cap_ns_ = 0;  // the budget's size: kBudgetWindowNs of work's share
  int64_t tokens_ns_ = 0;
  uint64_t work_from_ns_ = 0;  // the current stretch of work began then (the last idle's end)
  uint64_t wake_ns_ = 0;
  uint64_t gap_ns_ = 0;
  uint64_t idle_start_ns_ = 0;   // 0: not idle
  uint64_t last_ns_ = 0;         // the last poll decision while polling_
  bool polling_ = false;         // the last decision of this idle period was to poll
  bool slept_ = false;           // this idle period had a sleep
  bool capped_ = false;          // this idle period was cut by the budget (counted once)
  uint64_t probe_start_ns_ = 0;  // a probe sleep began then (0: none in flight)
  uint64_t probe_ns_ = 0;
  uint64_t next_probe_ns_ = 0;
};

}  // namespace sipring
