// Tests of the reactors' latency histograms (engine/sync/histogram.h): the bucket layout is
// exact at its edges and within 1/32 everywhere, quantiles never understate, merging adds, and a
// reader on another thread sees whole values while the owner records.
#include "engine/sync/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <thread>
#include <vector>

namespace sipring {
namespace {

using namespace histogram_layout;

TEST(HistogramLayout, SmallValuesAreExact) {
  for (uint64_t v = 0; v < kSub; v++) {
    EXPECT_EQ(bucket_of(v), v);
    EXPECT_EQ(bucket_low(v), v);
    EXPECT_EQ(bucket_high(v), v);
  }
}

TEST(HistogramLayout, BucketsTileTheRangeWithoutGapsOrOverlap) {
  for (size_t i = 0; i + 1 < kBuckets; i++) {
    ASSERT_EQ(bucket_high(i) + 1, bucket_low(i + 1)) << "bucket " << i;
    ASSERT_EQ(bucket_of(bucket_low(i)), i);
    ASSERT_EQ(bucket_of(bucket_high(i)), i);
  }
  EXPECT_EQ(bucket_low(kBuckets - 1) + (uint64_t{1} << (kMagnitudes - kSubBits - 1)),
            uint64_t{1} << kMagnitudes);
}

TEST(HistogramLayout, PowersOfTwoStartBuckets) {
  for (unsigned m = 0; m < kMagnitudes; m++) {
    const uint64_t v = uint64_t{1} << m;
    EXPECT_EQ(bucket_low(bucket_of(v)), v) << "2^" << m;
  }
}

TEST(HistogramLayout, RelativeErrorIsWithinOneSubBucket) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; i++) {
    const uint64_t v = rng() >> (rng() % 40 + 24);
    const size_t b = bucket_of(v);
    ASSERT_LE(bucket_low(b), v);
    ASSERT_LE(v, bucket_high(b));
    ASSERT_LE(double(bucket_high(b) - bucket_low(b)), double(v) / double(kSub) + 1.0) << v;
  }
}

TEST(HistogramLayout, HugeValuesGoToTheLastBucket) {
  EXPECT_EQ(bucket_of(uint64_t{1} << kMagnitudes), kBuckets - 1);
  EXPECT_EQ(bucket_of(UINT64_MAX), kBuckets - 1);
}

TEST(Histogram, QuantilesOfKnownValues) {
  Histogram h;
  for (uint64_t v = 1; v <= 1000; v++) h.record(v * 1000);  // 1 us .. 1 ms
  HistogramSnapshot s;
  h.add_to(&s);
  EXPECT_EQ(s.count, 1000u);
  EXPECT_EQ(s.sum_ns, 500500u * 1000u);
  EXPECT_EQ(s.max_ns, 1'000'000u);
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = q * 1000 * 1000;
    const double got = double(s.quantile(q));
    EXPECT_GE(got, exact) << q;  // never understated
    EXPECT_LE(got, exact * (1.0 + 1.0 / kSub)) << q;
  }
  EXPECT_EQ(s.quantile(1.0), 1'000'000u);  // capped at the maximum recorded
}

TEST(Histogram, EmptyAndSingle) {
  HistogramSnapshot empty;
  EXPECT_EQ(empty.quantile(0.99), 0u);
  Histogram h;
  h.record(12345);
  HistogramSnapshot s;
  h.add_to(&s);
  EXPECT_EQ(s.quantile(0.01), 12345u);
  EXPECT_EQ(s.quantile(1.0), 12345u);
}

TEST(Histogram, WeightedRecordEqualsRepeatedRecords) {
  Histogram weighted, repeated;
  weighted.record(700, 5);
  weighted.record(90'000, 3);
  weighted.record(1, 0);  // nothing
  for (int i = 0; i < 5; i++) repeated.record(700);
  for (int i = 0; i < 3; i++) repeated.record(90'000);
  HistogramSnapshot w, r;
  weighted.add_to(&w);
  repeated.add_to(&r);
  EXPECT_EQ(w.count, 8u);
  EXPECT_EQ(w.counts, r.counts);
  EXPECT_EQ(w.sum_ns, r.sum_ns);
  EXPECT_EQ(w.sum_ns, 5u * 700 + 3u * 90'000);
  EXPECT_EQ(w.max_ns, 90'000u);
  EXPECT_EQ(w.quantile(0.5), r.quantile(0.5));
  EXPECT_EQ(w.quantile(0.99), r.quantile(0.99));
}

TEST(Histogram, MergeAddsEverything) {
  Histogram a, b;
  for (int i = 0; i < 100; i++) a.record(1000);
  for (int i = 0; i < 300; i++) b.record(1'000'000);
  HistogramSnapshot s;
  a.add_to(&s);
  b.add_to(&s);
  EXPECT_EQ(s.count, 400u);
  EXPECT_EQ(s.max_ns, 1'000'000u);
  EXPECT_EQ(s.quantile(0.25), bucket_high(bucket_of(1000)));  // its bucket's largest value
  EXPECT_EQ(s.quantile(0.26), 1'000'000u);
  HistogramSnapshot t;
  t.merge(s);
  t.merge(s);
  EXPECT_EQ(t.count, 800u);
  EXPECT_EQ(t.sum_ns, 2 * s.sum_ns);
}

TEST(Histogram, CountAtMostIsExactAtPowersOfTwo) {
  Histogram h;
  std::vector<uint64_t> values;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 20000; i++) {
    values.push_back(rng() % (uint64_t{1} << 30));
    h.record(values.back());
  }
  HistogramSnapshot s;
  h.add_to(&s);
  for (unsigned m = 10; m <= 30; m++) {
    const uint64_t le = (uint64_t{1} << m) - 1;
    const auto exact =
        std::count_if(values.begin(), values.end(), [le](uint64_t v) { return v <= le; });
    EXPECT_EQ(s.count_at_most(le), uint64_t(exact)) << "le 2^" << m << "-1";
  }
}

TEST(Histogram, ReaderOnAnotherThreadSeesWholeMonotonicCounts) {
  Histogram h;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2'000'000; i++) h.record(uint64_t(i % 5000) * 100);
    done.store(true);
  });
  uint64_t last = 0;
  int reads = 0;
  while (!done.load() || reads == 0) {
    HistogramSnapshot s;
    h.add_to(&s);
    ASSERT_GE(s.count, last);
    ASSERT_LE(s.count, 2'000'000u);
    last = s.count;
    reads++;
  }
  writer.join();
  HistogramSnapshot s;
  h.add_to(&s);
  EXPECT_EQ(s.count, 2'000'000u);
}

}  // namespace
}  // namespace sipring
