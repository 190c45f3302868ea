// The tools' latency histogram (tools/common/latency_histogram.h): the engine's layout, bucket
// by bucket, and the CSV sipring-load --histogram writes.
#include "tools/common/latency_histogram.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "engine/sync/histogram.h"

namespace sipring::tool {
namespace {

namespace engine = sipring::histogram_layout;

TEST(LatencyHistogram, LayoutIsTheEnginesBucketByBucket) {
  ASSERT_EQ(LatencyHistogram::kBuckets, engine::kBuckets);
  for (size_t i = 0; i < engine::kBuckets; i++) {
    ASSERT_EQ(LatencyHistogram::bucket_high(i), engine::bucket_high(i)) << "bucket " << i;
  }
  for (uint64_t v : {uint64_t{0}, uint64_t{31}, uint64_t{32}, uint64_t{33}, uint64_t{1000},
                     uint64_t{65535}, uint64_t{65536}, uint64_t{1} << 39, (uint64_t{1} << 40) - 1,
                     uint64_t{1} << 40, UINT64_MAX}) {
    EXPECT_EQ(LatencyHistogram::bucket_of(v), engine::bucket_of(v)) << v;
  }
}

TEST(LatencyHistogram, EmptyIsTheHeaderAlone) {
  LatencyHistogram h;
  EXPECT_EQ(histogram_csv(h), "le_ns,count,cumulative,quantile\n");
}

TEST(LatencyHistogram, CsvHasOneRowPerNonEmptyBucketWithCumulativeCounts) {
  LatencyHistogram h;
  h.record(5);  // exact below 32
  h.record(5);
  h.record(1008);  // 512..1023 is split in 32 buckets of 16: 1008..1023
  h.record(1023);
  h.record(100'000);     // 98304..100351 (width 2048)
  h.record(UINT32_MAX);  // sipring-load's clamp: 4227858432..4294967295
  EXPECT_EQ(histogram_csv(h),
            "le_ns,count,cumulative,quantile\n"
            "5,2,2,0.333333333\n"
            "1023,2,4,0.666666667\n"
            "100351,1,5,0.833333333\n"
            "4294967295,1,6,1\n");
  EXPECT_EQ(h.count(), 6u);
}

TEST(LatencyHistogram, EveryValueLiesInItsRowsBucket) {
  // le_ns bounds each recorded value from above within 1/32 of it (the layout's promise).
  for (uint64_t v = 1; v < (uint64_t{1} << 36); v = v * 3 + 1) {
    uint64_t high = LatencyHistogram::bucket_high(LatencyHistogram::bucket_of(v));
    EXPECT_GE(high, v);
    EXPECT_LE(high - v, v / 32) << v;
  }
}

}  // namespace
}  // namespace sipring::tool
