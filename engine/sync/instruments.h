// Per-reactor instruments: latency histograms and loop utilisation (issue 13).
//
// Counters (sipring/stats.h) say how much happened; these say how long it took and how busy a
// reactor is. Like the counters, every field has exactly one writer and any thread may read:
// the reactor thread writes all of them except handoff_wait, which the one consumer of that
// reactor's handoff ring writes (the reactor itself for an inline core, else the core thread
// serving that reactor's Engine::Inbox). Readers copy them into an InstrumentsSnapshot
// (Engine's control path, never a reactor) and merge snapshots across reactors.
//
// Fixed memory: kHistogramCount Histograms of 9 KiB each per reactor, allocated with the
// reactor, never on the per-message path.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "engine/base/probes.h"
#include "engine/sync/counters.h"
#include "engine/sync/histogram.h"

namespace sipring {

// Whether this build records (meson -Dinstruments, default true). Off, every record/mark call
// below compiles to nothing, histograms stay empty and readers say "instruments": false.
inline constexpr bool kInstrumentsEnabled = SIPRING_INSTRUMENTS != 0;

// X-macro: name, unit ("seconds": recorded in ns, exported in seconds; "count": a plain number),
// meaning. Order is the order of RPC output and of the Prometheus families.
#define SIPRING_HISTOGRAMS(X)                                                                      \
  X(handshake_server_full, seconds, "server role: connection accepted to full handshake done")     \
  X(handshake_server_resumed, seconds, "server role: accepted to resumed handshake done")          \
  X(handshake_client_full, seconds, "client role: TCP connected to full handshake done")           \
  X(handshake_client_resumed, seconds, "client role: TCP connected to resumed handshake done")     \
  X(connect, seconds, "client role: connect submitted to TCP connected")                           \
  X(handoff_wait, seconds, "a frame in the handoff ring: pushed by the reactor to popped by core") \
  X(reply_send, seconds, "a reply: queued by the core to the completion of the send carrying it")  \
  X(completions_per_enter, count, "completions reaped per io_uring_enter")

enum class HistogramId : uint8_t {
#define SIPRING_HISTOGRAM_ID(name, unit, doc) name,
  SIPRING_HISTOGRAMS(SIPRING_HISTOGRAM_ID)
#undef SIPRING_HISTOGRAM_ID
};

inline constexpr size_t kHistogramCount = 0
#define SIPRING_HISTOGRAM_ONE(name, unit, doc) +1
    SIPRING_HISTOGRAMS(SIPRING_HISTOGRAM_ONE)
#undef SIPRING_HISTOGRAM_ONE
    ;

// Loop utilisation and ring marks. Times are nanoseconds; marks are taken since start.
#define SIPRING_UTILISATION(X)                                                                    \
  X(busy_ns, "time the reactor thread spent outside io_uring_enter's wait")                       \
  X(sleep_ns, "time the reactor thread spent waiting in io_uring_enter")                          \
  X(polls, "non-blocking io_uring_enter calls made while work was expected (busy/adaptive poll)") \
  X(handoff_high_water, "most frames ever waiting in the handoff ring at once")                   \
  X(inbox_high_water_bytes, "most bytes ever waiting in the reply inbox at once")                 \
  X(buffers_free_low_water, "fewest provided receive buffers ever free at once")

struct InstrumentsSnapshot;

struct ReactorInstruments {
  std::array<Histogram, kHistogramCount> histograms;
#define SIPRING_DECLARE_UTILISATION(name, doc) Counter name;
  SIPRING_UTILISATION(SIPRING_DECLARE_UTILISATION)
#undef SIPRING_DECLARE_UTILISATION

  Histogram& operator[](HistogramId id) noexcept {
    return histograms[static_cast<size_t>(id)];
  }

  // The writer's calls: nothing at all in a build without instruments.
  void record(HistogramId id, uint64_t value, uint64_t n = 1) noexcept {
    if constexpr (kInstrumentsEnabled) (*this)[id].record(value, n);
  }
  void add(Counter& time, uint64_t n) noexcept {
    if constexpr (kInstrumentsEnabled) time.add(n);
  }
  // High-water mark: keeps the largest value seen.
  void raise(Counter& mark, uint64_t value) noexcept {
    if constexpr (kInstrumentsEnabled) {
      if (value > mark.get()) mark.set(value);
    }
  }
  // Low-water mark: keeps the smallest value seen (start it with set()).
  void lower(Counter& mark, uint64_t value) noexcept {
    if constexpr (kInstrumentsEnabled) {
      if (value < mark.get()) mark.set(value);
    }
  }

  // Any thread: a copy (relaxed reads, see Histogram and Counter).
  InstrumentsSnapshot snapshot() const noexcept;
};

struct InstrumentsSnapshot {
  std::array<HistogramSnapshot, kHistogramCount> histograms;
#define SIPRING_DECLARE_UTILISATION_VALUE(name, doc) uint64_t name = 0;
  SIPRING_UTILISATION(SIPRING_DECLARE_UTILISATION_VALUE)
#undef SIPRING_DECLARE_UTILISATION_VALUE
};

inline InstrumentsSnapshot ReactorInstruments::snapshot() const noexcept {
  InstrumentsSnapshot s;
  for (size_t i = 0; i < kHistogramCount; i++) histograms[i].add_to(&s.histograms[i]);
#define SIPRING_COPY_UTILISATION(name, doc) s.name = name.get();
  SIPRING_UTILISATION(SIPRING_COPY_UTILISATION)
#undef SIPRING_COPY_UTILISATION
  return s;
}

// Adds `other` to `total`: histograms merged, times and counts summed, high-water marks the
// largest, low-water marks the smallest (the figures of the engine as a whole).
inline void merge_instruments(InstrumentsSnapshot* total, const InstrumentsSnapshot& other,
                              bool first) noexcept {
  for (size_t i = 0; i < kHistogramCount; i++) total->histograms[i].merge(other.histograms[i]);
  total->busy_ns += other.busy_ns;
  total->sleep_ns += other.sleep_ns;
  total->polls += other.polls;
  total->handoff_high_water = std::max(total->handoff_high_water, other.handoff_high_water);
  total->inbox_high_water_bytes =
      std::max(total->inbox_high_water_bytes, other.inbox_high_water_bytes);
  total->buffers_free_low_water =
      first ? other.buffers_free_low_water
            : std::min(total->buffers_free_low_water, other.buffers_free_low_water);
}

}  // namespace sipring
