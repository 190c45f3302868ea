// Tests of the reply_send bookkeeping (engine/sync/reply_clock.h) and of the 32-bit clock stamps
// replies carry through the reply inbox (engine/sync/batch_clock.h): a batch is timed from its
// oldest reply to the send that carries its last byte, never less, and stamps come back exact.
#include "engine/sync/reply_clock.h"

#include <gtest/gtest.h>

#include "engine/sync/batch_clock.h"

namespace sipring {
namespace {

TEST(ReplyClock, ABatchEndsWithTheSendCarryingItsLastByteAndCountsEachReply) {
  ReplyClock c;
  uint64_t oldest = 0;
  EXPECT_EQ(c.sent(100, &oldest), 0u) << "a send without replies (a handshake flight)";
  c.queued(1000);
  c.queued(900);  // an inbox reply stamped earlier than the one queued inline before it
  c.queued(1500);
  c.submitted(3000);  // 3000 bytes queued, the three replies among them
  c.queued(2000);     // after the submission: the next batch's
  EXPECT_EQ(c.sent(1000, &oldest), 0u) << "the batch's last byte is still unsent";
  EXPECT_EQ(c.sent(2000, &oldest), 3u);
  EXPECT_EQ(oldest, 900u);
  EXPECT_EQ(c.sent(500, &oldest), 0u) << "the fourth reply was in no submitted send yet";
  c.submitted(400);
  EXPECT_EQ(c.sent(400, &oldest), 1u);
  EXPECT_EQ(oldest, 2000u);
}

TEST(ReplyClock, RepliesQueuedWhileABatchIsInFlightWaitForTheNextSubmission) {
  ReplyClock c;
  uint64_t oldest = 0;
  c.queued(10);
  c.submitted(100);
  c.queued(20);
  c.submitted(300);  // the first batch is still in flight: the second reply keeps waiting
  EXPECT_EQ(c.sent(100, &oldest), 1u);
  EXPECT_EQ(oldest, 10u);
  c.submitted(200);
  EXPECT_EQ(c.sent(200, &oldest), 1u);
  EXPECT_EQ(oldest, 20u);
}

TEST(ReplyClock, DroppedRepliesAreNeverRecorded) {
  ReplyClock c;
  uint64_t oldest = 0;
  c.queued(10);
  c.submitted(100);
  c.queued(20);
  c.dropped();
  EXPECT_EQ(c.sent(1000, &oldest), 0u);
  c.submitted(1000);
  EXPECT_EQ(c.sent(1000, &oldest), 0u);
}

TEST(BatchClock, StampsComeBackExactWithin2SecondsAndNeverLater) {
  const uint64_t now = 123'456'789'012'345ull;
  for (uint64_t ago : {uint64_t{0}, uint64_t{1}, uint64_t{999'999}, uint64_t{2'000'000'000}}) {
    EXPECT_EQ(clock_unstamp(clock_stamp(now - ago), now), now - ago) << ago;
  }
  // Across a wrap of the low 32 bits.
  const uint64_t wrap = uint64_t{7} << 32;
  EXPECT_EQ(clock_unstamp(clock_stamp(wrap - 5), wrap + 5), wrap - 5);
  // A sender whose reading is a little after the reactor's: the reactor's time, not later.
  EXPECT_EQ(clock_unstamp(clock_stamp(now + 300), now), now);
}

TEST(BatchClock, ThreadsWithoutABatchReadingReadTheClock) {
  t_batch_clock_ns = 0;
  const uint64_t before = monotonic_ns();
  const uint64_t got = batch_clock_ns();
  EXPECT_GE(got, before);
  t_batch_clock_ns = 42;
  EXPECT_EQ(batch_clock_ns(), 42u);
  t_batch_clock_ns = 0;
}

}  // namespace
}  // namespace sipring
