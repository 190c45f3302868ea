// The reactor's live counters: written only by the owning reactor thread, read by any thread.
//
// A single writer needs no atomic read-modify-write: a relaxed load plus a relaxed store is a
// plain add on x86, yet readers on other threads see whole values without a data race.
#pragma once

#include <atomic>
#include <cstdint>

#include "sipring/stats.h"

namespace sipring {

class Counter {
 public:
  void add(uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void sub(uint64_t n = 1) noexcept {
    v_.store(v_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
  }
  void set(uint64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
  uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

struct ReactorCounters {
#define SIPRING_DECLARE_COUNTER(name, doc) Counter name;
  SIPRING_COUNTERS(SIPRING_DECLARE_COUNTER)
#undef SIPRING_DECLARE_COUNTER

  ReactorStats snapshot() const noexcept {
    ReactorStats s;
#define SIPRING_COPY_COUNTER(name, doc) s.name = name.get();
    SIPRING_COUNTERS(SIPRING_COPY_COUNTER)
#undef SIPRING_COPY_COUNTER
    return s;
  }
};

}  // namespace sipring
