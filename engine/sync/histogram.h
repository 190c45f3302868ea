// Latency histograms for the reactors: HdrHistogram's log-linear layout with fixed memory.
//
// Every power of two is split into kSub equal buckets, so a recorded value lies within 1/kSub
// (3.1%) of its bucket's bounds whatever its size; values below kSub are exact. Values are
// nanoseconds; anything from 2^kMagnitudes ns (about 18 minutes) up lands in the last bucket.
// One Histogram is 9 KiB and never allocates.
//
// One thread records (the owning reactor); any thread may read. As with Counter, a single
// writer needs no atomic read-modify-write: each update is a relaxed load and a relaxed store,
// and a reader sees whole values. A reader's copy is not one instant of the writer's (a bucket
// may already count a value the sum does not have yet); HistogramSnapshot::count is taken
// from the buckets themselves, so quantiles always agree with the counts they come from.
//
// Why our own and not a library: the HdrHistogram C library is not packaged in Debian 12, and
// what the reactors need (record, copy, merge, quantile, cumulative buckets for Prometheus) is
// this one header.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace sipring {

namespace histogram_layout {

inline constexpr unsigned kSubBits = 5;
inline constexpr uint64_t kSub = uint64_t{1} << kSubBits;  // buckets per power of two
inline constexpr unsigned kMagnitudes = 40;                // values below 2^40 ns are bucketed
// Group 0 holds 0..kSub-1 exactly; group g >= 1 holds [kSub << (g-1), kSub << g).
inline constexpr size_t kBuckets = (kMagnitudes - kSubBits + 1) * kSub;

// The bucket that counts `v`.
constexpr size_t bucket_of(uint64_t v) noexcept {
  if (v < kSub) return static_cast<size_t>(v);
  const unsigned magnitude = 63u - static_cast<unsigned>(std::countl_zero(v));
  if (magnitude >= kMagnitudes) return kBuckets - 1;
  const unsigned shift = magnitude - kSubBits;
  return static_cast<size_t>((shift + 1) * kSub + ((v >> shift) - kSub));
}

// The smallest value bucket `i` counts.
constexpr uint64_t bucket_low(size_t i) noexcept {
  const uint64_t group = i / kSub, sub = i % kSub;
  return group == 0 ? sub : (kSub + sub) << (group - 1);
}

// The largest value bucket `i` counts (the last bucket also takes everything above it).
constexpr uint64_t bucket_high(size_t i) noexcept {
  const uint64_t group = i / kSub;
  const uint64_t width = group == 0 ? 1 : uint64_t{1} << (group - 1);
  return bucket_low(i) + width - 1;
}

}  // namespace histogram_layout

// A copy of one or more histograms (merged), for reading: quantiles and Prometheus buckets.
struct HistogramSnapshot {
  std::array<uint64_t, histogram_layout::kBuckets> counts{};
  uint64_t count = 0;   // sum of counts
  uint64_t sum_ns = 0;  // sum of the recorded values (may lag the counts by a few values)
  uint64_t max_ns = 0;  // the largest value recorded

  void merge(const HistogramSnapshot& other) noexcept {
    for (size_t i = 0; i < counts.size(); i++) counts[i] += other.counts[i];
    count += other.count;
    sum_ns += other.sum_ns;
    if (other.max_ns > max_ns) max_ns = other.max_ns;
  }

  // The value at quantile q (0 < q <= 1): the largest value of the bucket that holds the
  // ceil(q * count)-th smallest recording (never more than max_ns), so a tail is never
  // understated by more than the bucket width. 0 when empty.
  uint64_t quantile(double q) const noexcept {
    if (count == 0) return 0;
    double want = q * static_cast<double>(count);
    uint64_t rank = static_cast<uint64_t>(want);
    if (static_cast<double>(rank) < want || rank == 0) rank++;
    if (rank > count) rank = count;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts.size(); i++) {
      seen += counts[i];
      if (seen >= rank) {
        const uint64_t high = histogram_layout::bucket_high(i);
        return high < max_ns ? high : max_ns;
      }
    }
    return max_ns;
  }

  // How many recordings were at most `le_ns`. Exact when le_ns + 1 is a bucket boundary (every
  // power of two is one, so Prometheus buckets at powers of two are exact), else it counts the
  // whole bucket that holds le_ns.
  uint64_t count_at_most(uint64_t le_ns) const noexcept {
    const size_t last = histogram_layout::bucket_of(le_ns);
    uint64_t n = 0;
    for (size_t i = 0; i <= last; i++) n += counts[i];
    return n;
  }
};

class Histogram {
 public:
  // Owning thread only.
  void record(uint64_t ns) noexcept { record(ns, 1); }

  // Owning thread only: `n` recordings of the same value `ns` (one measurement that bounds n
  // events, e.g. the replies a send carried); n == 0 records nothing.
  void record(uint64_t ns, uint64_t n) noexcept {
    if (n == 0) return;
    std::atomic<uint64_t>& b = counts_[histogram_layout::bucket_of(ns)];
    b.store(b.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    sum_.store(sum_.load(std::memory_order_relaxed) + ns * n, std::memory_order_relaxed);
    if (ns > max_.load(std::memory_order_relaxed)) max_.store(ns, std::memory_order_relaxed);
  }

  // Any thread: adds this histogram's current contents to `out`.
  void add_to(HistogramSnapshot* out) const noexcept {
    uint64_t n = 0;
    for (size_t i = 0; i < counts_.size(); i++) {
      const uint64_t c = counts_[i].load(std::memory_order_relaxed);
      out->counts[i] += c;
      n += c;
    }
    out->count += n;
    out->sum_ns += sum_.load(std::memory_order_relaxed);
    const uint64_t m = max_.load(std::memory_order_relaxed);
    if (m > out->max_ns) out->max_ns = m;
  }

 private:
  std::array<std::atomic<uint64_t>, histogram_layout::kBuckets> counts_{};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
};

}  // namespace sipring
