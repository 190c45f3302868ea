// A log-linear latency histogram for the tools (sipring-load --histogram FILE) and its CSV.
//
// The same bucket layout as the engine's reactor histograms (engine/sync/histogram.h: every
// power of two split into 32 equal buckets, values below 32 exact, 2^40 ns and up in the last
// bucket), so a client-side CSV and the server's /metrics and `sipringctl stats` figures have the
// same bounds and plot on the same axis. It is a copy and not that header because the tools
// build against the public API only (tools/check-layers.py: tools/common may include nothing of
// engine/); tests/unit/tools/common/latency_histogram_test.cc checks the two layouts bucket by
// bucket, so they cannot drift apart. Tools only: 9 KiB, filled after a run, not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sipring::tool {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBits = 5;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;  // buckets per power of two
  static constexpr unsigned kMagnitudes = 40;                // values below 2^40 ns are bucketed
  static constexpr size_t kBuckets = (kMagnitudes - kSubBits + 1) * kSub;

  // The bucket that counts `ns`.
  static size_t bucket_of(uint64_t ns);
  // The largest value bucket `i` counts (the last bucket also takes everything above it).
  static uint64_t bucket_high(size_t i);

  void record(uint64_t ns) {
    counts_[bucket_of(ns)]++;
    count_++;
  }
  uint64_t count() const { return count_; }
  uint64_t count_in(size_t bucket) const { return counts_[bucket]; }

 private:
  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
};

// The histogram as CSV, for plotting (a latency CDF): the header "le_ns,count,cumulative,quantile"
// and one row per non-empty bucket in increasing order: le_ns is the bucket's largest value
// (inclusive), count its recordings, cumulative the recordings at most le_ns, quantile
// cumulative / total (9 significant digits, so a p99.99 step still shows). An empty histogram is
// the header alone.
std::string histogram_csv(const LatencyHistogram& h);

}  // namespace sipring::tool
