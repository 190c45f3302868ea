// MemWatch: the flags behind tls.low_mem_threshold1/2 follow the thresholds against the memory
// this machine really has free (a threshold above it is "low", one below it is not).
#include "engine/io/mem_watch.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace sipring {
namespace {

using namespace std::chrono_literals;

bool wait_flags(const MemWatch& w, uint8_t want) {
  for (int i = 0; i < 200; i++) {
    if (w.flags() == want) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(AvailableMemory, ReadsAPlausibleAmount) {
  uint64_t kb = available_memory_kb();
  EXPECT_GT(kb, 1024u) << "less than 1 MB free, or /proc/meminfo unreadable";
  EXPECT_LT(kb, uint64_t{1} << 40) << "more than 1 PB free";
}

TEST(MemWatch, OffByDefaultAndWithZeroOrMinusOne) {
  MemWatch w;
  w.start();
  EXPECT_EQ(w.flags(), 0);
  w.set_thresholds(-1, 0);
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(w.flags(), 0);
  EXPECT_EQ(w.threshold_kb(1), 0);
  EXPECT_EQ(w.threshold_kb(2), 0);
}

TEST(MemWatch, ThresholdAboveFreeMemorySetsItsFlagAndClearingItClearsIt) {
  MemWatch w;
  w.start();
  const int huge = 2147483647;  // 2 TB: more than any test machine has free
  w.set_thresholds(huge, 0);
  ASSERT_TRUE(wait_flags(w, MemWatch::kRefuseNew));
  EXPECT_GT(w.free_kb(), 0u);
  w.set_thresholds(0, huge);
  ASSERT_TRUE(wait_flags(w, MemWatch::kPauseReads));
  w.set_thresholds(huge, huge);
  ASSERT_TRUE(wait_flags(w, MemWatch::kRefuseNew | MemWatch::kPauseReads));
  w.set_thresholds(0, 0);
  ASSERT_TRUE(wait_flags(w, 0));
}

TEST(MemWatch, ThresholdBelowFreeMemoryIsNotLow) {
  MemWatch w;
  w.start();
  w.set_thresholds(1, 1);  // 1 KB
  std::this_thread::sleep_for(250ms);
  EXPECT_EQ(w.flags(), 0);
  EXPECT_GT(w.free_kb(), 1u);
}

TEST(MemWatch, StopsAndRestarts) {
  MemWatch w;
  w.start();
  w.stop();
  w.start();
  w.set_thresholds(2147483647, 0);
  EXPECT_TRUE(wait_flags(w, MemWatch::kRefuseNew));
  w.stop();
}

}  // namespace
}  // namespace sipring
