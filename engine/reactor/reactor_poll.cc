#include "engine/reactor/reactor_poll.h"

#include <algorithm>

namespace sipring {

void ReactorPoll::enable(uint32_t reactor, uint32_t cpu_max_percent, ReactorCounters* counters,
                         uint64_t now_ns) noexcept {
  reactor_ = reactor;
  rate_percent_ = std::clamp<uint32_t>(cpu_max_percent, 1, 100);
  cap_ns_ = static_cast<int64_t>(kBudgetWindowNs / 100 * rate_percent_);
  tokens_ns_ = 0;
  work_from_ns_ = now_ns;
  counters_ = counters;
}

void ReactorPoll::charge(uint64_t now_ns) noexcept {
  const uint64_t polled = now_ns - last_ns_;
  tokens_ns_ -= static_cast<int64_t>(polled);
  counters_->adaptive_poll_ns.add(polled);
  last_ns_ = now_ns;
}

bool ReactorPoll::should_poll(uint64_t now_ns, uint64_t* probe_timeout_ns) noexcept {
  *probe_timeout_ns = 0;
  if (idle_start_ns_ == 0) {
    // A stretch of work ends: its share fills the budget (the difference is at most the
    // stretch's length, so the product cannot overflow before 2^64 / 100 ns, 5.8 years).
    const uint64_t work = now_ns - work_from_ns_;
    tokens_ns_ = std::min(cap_ns_, tokens_ns_ + static_cast<int64_t>(work * rate_percent_ / 100));
    idle_start_ns_ = now_ns;
    polling_ = slept_ = capped_ = false;
  }
  if (polling_) charge(now_ns);
  const uint64_t idle = now_ns - idle_start_ns_;
  // Both figures measured, work coming back faster than a wake-up, and this gap not yet longer
  // than one wake-up.
  const bool want = wake_ns_ != 0 && gap_ns_ != 0 && gap_ns_ < wake_ns_ && idle < wake_ns_;
  if (want && tokens_ns_ > 0) {
    polling_ = true;
    last_ns_ = now_ns;
    counters_->adaptive_polls.add();
    return true;
  }
  if (want && !capped_) {
    capped_ = true;
    counters_->adaptive_poll_capped.add();
    SIPRING_LOG_LIMITED(
        capped_log_, now_ns, kLogInfo, "engine",
        "reactor %u: adaptive poll used its share, %u%% of the reactor's working "
        "time (sipring.adaptive_poll_cpu_max): sleeping, wake-ups %.1f us, work every "
        "%.1f us",
        reactor_, static_cast<unsigned>(rate_percent_), static_cast<double>(wake_ns_) / 1e3,
        static_cast<double>(gap_ns_) / 1e3);
  }
  polling_ = false;
  slept_ = true;
  if (now_ns >= next_probe_ns_) {
    next_probe_ns_ = now_ns + kProbeIntervalNs;
    probe_ns_ = std::clamp(gap_ns_ / 2, kProbeMinNs, kProbeMaxNs);
    probe_start_ns_ = now_ns;
    *probe_timeout_ns = probe_ns_;
  }
  return false;
}

void ReactorPoll::after_wait(uint64_t now_ns, bool found_work) noexcept {
  if (idle_start_ns_ == 0) return;
  if (polling_) charge(now_ns);
  if (probe_start_ns_ != 0) {
    // Only a probe that its timeout ended is a sample: work (or a wake-up for it) may have ended
    // the others early.
    if (!found_work && now_ns - probe_start_ns_ >= probe_ns_) {
      wake_ns_ = ewma(wake_ns_, std::max<uint64_t>(1, now_ns - probe_start_ns_ - probe_ns_));
      counters_->wake_cost_ns.set(wake_ns_);
    }
    probe_start_ns_ = 0;
  }
  if (!found_work) return;
  if (polling_) counters_->adaptive_poll_hits.add();
  uint64_t gap = now_ns - idle_start_ns_;
  // A sleep made the gap look longer by the wake-up.
  if (slept_) gap = gap > wake_ns_ ? gap - wake_ns_ : 1;
  gap_ns_ = ewma(gap_ns_, std::max<uint64_t>(1, gap));
  counters_->idle_gap_ns.set(gap_ns_);
  idle_start_ns_ = 0;
  work_from_ns_ = now_ns;
  polling_ = false;
}

}  // namespace sipring
