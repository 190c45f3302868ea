#include "tools/common/latency_histogram.h"

#include <bit>
#include <cstdio>

namespace sipring::tool {

size_t LatencyHistogram::bucket_of(uint64_t ns) {
  if (ns < kSub) return static_cast<size_t>(ns);
  const unsigned magnitude = 63u - static_cast<unsigned>(std::countl_zero(ns));
  if (magnitude >= kMagnitudes) return kBuckets - 1;
  const unsigned shift = magnitude - kSubBits;
  return static_cast<size_t>((shift + 1) * kSub + ((ns >> shift) - kSub));
}

uint64_t LatencyHistogram::bucket_high(size_t i) {
  const uint64_t group = i / kSub, sub = i % kSub;
  // Group 0 holds 0..kSub-1 exactly; group g >= 1 holds [kSub << (g-1), kSub << g).
  const uint64_t low = group == 0 ? sub : (kSub + sub) << (group - 1);
  const uint64_t width = group == 0 ? 1 : uint64_t{1} << (group - 1);
  return low + width - 1;
}

std::string histogram_csv(const LatencyHistogram& h) {
  std::string out = "le_ns,count,cumulative,quantile\n";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < LatencyHistogram::kBuckets; i++) {
    const uint64_t n = h.count_in(i);
    if (n == 0) continue;
    cumulative += n;
    char row[96];
    int len =
        snprintf(row, sizeof(row), "%llu,%llu,%llu,%.9g\n",
                 static_cast<unsigned long long>(LatencyHistogram::bucket_high(i)),
                 static_cast<unsigned long long>(n), static_cast<unsigned long long>(cumulative),
                 static_cast<double>(cumulative) / static_cast<double>(h.count()));
    out.append(row, static_cast<size_t>(len));
  }
  return out;
}

}  // namespace sipring::tool
