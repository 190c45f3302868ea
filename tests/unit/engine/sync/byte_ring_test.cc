// Tests for SpscByteRing: record framing, contiguous payloads across the wrap (padding record
// and headerless tail), full/too-large refusals, and a cross-thread stress run.
#include "engine/sync/byte_ring.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>

namespace sipring {
namespace {

void fill(std::span<uint8_t> out, uint64_t seed) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(seed * 131 + i * 7);
}
bool check(std::span<const uint8_t> in, uint64_t seed) {
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != static_cast<uint8_t>(seed * 131 + i * 7)) return false;
  }
  return true;
}

// Reserves, fills and commits one record; returns its payload (empty if refused).
std::span<uint8_t> put(SpscByteRing& ring, uint32_t len, uint64_t tag) {
  std::span<uint8_t> p = ring.reserve(len, tag);
  if (p.data() == nullptr) return p;
  fill(p, tag);
  ring.commit();
  return p;
}

TEST(SpscByteRingTest, CapacityIsRoundedUpAndMaxPayloadIsHalfMinusHeader) {
  SpscByteRing ring(100);
  EXPECT_TRUE(ring.ok());
  EXPECT_EQ(ring.capacity(), 128u);
  EXPECT_EQ(ring.max_payload(), 48u);
  EXPECT_EQ(SpscByteRing(1).capacity(), SpscByteRing::kMinCapacity);
  EXPECT_EQ(SpscByteRing::max_payload_for(1 << 20), (1u << 19) - 16);
}

TEST(SpscByteRingTest, RecordLargerThanHalfTheRingIsRefusedEvenWhenEmpty) {
  SpscByteRing ring(128);
  EXPECT_TRUE(ring.reserve(49, 1).empty());
  EXPECT_TRUE(ring.reserve(UINT32_MAX, 1).empty());
  EXPECT_EQ(ring.reserve(48, 1).size(), 48u);
}

TEST(SpscByteRingTest, EmptyRingHasNothingToPeek) {
  SpscByteRing ring(128);
  SpscByteRing::Record rec;
  EXPECT_FALSE(ring.peek(&rec));
  EXPECT_TRUE(ring.empty());
}

TEST(SpscByteRingTest, RecordsAreInvisibleUntilCommitThenKeepTagPayloadAndOrder) {
  SpscByteRing ring(1024);
  std::span<uint8_t> a = ring.reserve(5, 100);
  ASSERT_EQ(a.size(), 5u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data()) % 8, 0u);
  fill(a, 100);
  std::span<uint8_t> b = ring.reserve(0, 200);
  EXPECT_NE(b.data(), nullptr) << "zero-length payloads are records too";
  std::span<uint8_t> c = ring.reserve(13, 300);
  ASSERT_EQ(c.size(), 13u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(c.data()) % 8, 0u);
  fill(c, 300);

  SpscByteRing::Record rec;
  EXPECT_FALSE(ring.peek(&rec));
  EXPECT_TRUE(ring.empty());
  ring.commit();
  EXPECT_FALSE(ring.empty());

  ASSERT_TRUE(ring.peek(&rec));
  EXPECT_EQ(rec.tag, 100u);
  EXPECT_EQ(rec.payload.size(), 5u);
  EXPECT_TRUE(check(rec.payload, 100));
  ring.pop();
  ASSERT_TRUE(ring.peek(&rec));
  EXPECT_EQ(rec.tag, 200u);
  EXPECT_EQ(rec.payload.size(), 0u);
  ring.pop();
  ASSERT_TRUE(ring.peek(&rec));
  EXPECT_EQ(rec.tag, 300u);
  EXPECT_TRUE(check(rec.payload, 300));
  ring.pop();
  EXPECT_FALSE(ring.peek(&rec));
}

TEST(SpscByteRingTest, StampsReachTheConsumerAcrossThePaddingAtTheWrap) {
  SpscByteRing ring(128);
  SpscByteRing::Record rec;
  // 40 + 40 bytes, popped; the third record (40) does not fit in the 48 left before the end
  // with a header, so a padding record fills the tail and the stamp must survive the skip.
  for (uint32_t round = 0; round < 6; ++round) {
    const uint32_t stamp = 0xfffffff0u + round;  // high bits set: not confused with padding
    std::span<uint8_t> p = ring.reserve(24, round, stamp);
    ASSERT_EQ(p.size(), 24u);
    ring.commit();
    ASSERT_TRUE(ring.peek(&rec));
    EXPECT_EQ(rec.tag, round);
    EXPECT_EQ(rec.stamp, stamp);
    EXPECT_EQ(rec.payload.size(), 24u);
    ring.pop();
    ring.release();
  }
  EXPECT_FALSE(ring.peek(&rec));
}

TEST(SpscByteRingTest, FullRingRefusesUntilConsumerReleases) {
  SpscByteRing ring(128);
  for (uint64_t i = 0; i < 5; ++i) ASSERT_FALSE(put(ring, 8, i).empty());  // 5 x 24 bytes
  EXPECT_TRUE(ring.reserve(8, 5).empty()) << "8 bytes left, a record needs 24";

  SpscByteRing::Record rec;
  ASSERT_TRUE(ring.peek(&rec));
  ring.pop();
  EXPECT_TRUE(ring.reserve(8, 5).empty()) << "a pop is invisible before release()";
  ring.release();
  // Now 24 + 8 bytes are free: the 8-byte tail (too small for a header) is skipped and the
  // record goes to offset 0.
  ASSERT_FALSE(put(ring, 8, 5).empty());

  for (uint64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(ring.peek(&rec));
    EXPECT_EQ(rec.tag, i);
    EXPECT_EQ(rec.payload.size(), 8u);
    EXPECT_TRUE(check(rec.payload, i));
    ring.pop();
  }
  EXPECT_FALSE(ring.peek(&rec));
}

TEST(SpscByteRingTest, PayloadThatWouldCrossTheEndMovesToStartBehindPaddingRecord) {
  SpscByteRing ring(128);
  std::span<uint8_t> first = put(ring, 8, 1);  // offset 0, payload at 16
  put(ring, 8, 2);
  put(ring, 8, 3);  // ends at 72
  SpscByteRing::Record rec;
  while (ring.peek(&rec)) ring.pop();
  ring.release();

  // Needs 64 bytes; only 56 remain before the end, so a 56-byte padding record fills them.
  std::span<uint8_t> wrapped = put(ring, 48, 4);
  ASSERT_EQ(wrapped.size(), 48u);
  EXPECT_EQ(wrapped.data(), first.data()) << "payload must restart at the buffer start";

  ASSERT_TRUE(ring.peek(&rec));
  EXPECT_EQ(rec.tag, 4u) << "the padding record is not visible to the consumer";
  EXPECT_EQ(rec.payload.size(), 48u);
  EXPECT_TRUE(check(rec.payload, 4));
  ring.pop();
  EXPECT_FALSE(ring.peek(&rec));
  ring.release();
  EXPECT_FALSE(ring.reserve(48, 5).empty()) << "padding bytes were released with the record";
}

TEST(SpscByteRingTest, PaddingCountsAgainstFreeSpace) {
  SpscByteRing ring(128);
  put(ring, 8, 1);
  put(ring, 8, 2);
  put(ring, 8, 3);  // bytes 0..72 used
  SpscByteRing::Record rec;
  ASSERT_TRUE(ring.peek(&rec));
  ring.pop();
  ring.release();  // bytes 0..24 free again: 24 + 56 = 80 free, but not contiguously
  // 48-byte payload needs 64 bytes; the 56 tail bytes are too few and padding them leaves
  // only 24 at the start.
  EXPECT_TRUE(ring.reserve(48, 4).empty());
  EXPECT_FALSE(ring.reserve(32, 4).empty()) << "48 bytes fit in the 56-byte tail";
}

// Producer and consumer threads, millions of variable-length records through a small ring:
// order, tags, lengths and contents all survive many wraps.
TEST(SpscByteRingStressTest, CrossThreadKeepsOrderLengthsAndContents) {
  constexpr uint64_t kRecords = 2'000'000;
  SpscByteRing ring(4096);
  auto len_of = [](uint64_t seq) { return static_cast<uint32_t>((seq * 2654435761u) % 301); };
  std::atomic<bool> failed{false};
  std::atomic<uint64_t> consumer_bytes{0};

  std::thread consumer([&] {
    uint64_t expect = 0, bytes = 0;
    SpscByteRing::Record rec;
    while (expect < kRecords) {
      int n = 0;
      while (ring.peek(&rec)) {
        if (rec.tag != expect || rec.payload.size() != len_of(expect) ||
            !check(rec.payload, expect)) {
          failed = true;
        }
        bytes += rec.payload.size();
        ++expect;
        ring.pop();
        if (++n == 16) break;
      }
      ring.release();
      if (n == 0) std::this_thread::yield();
    }
    consumer_bytes = bytes;
  });

  uint64_t producer_bytes = 0;
  for (uint64_t seq = 0; seq < kRecords;) {
    int batch = 0;
    while (seq < kRecords && batch < 8) {
      std::span<uint8_t> p = ring.reserve(len_of(seq), seq);
      if (p.data() == nullptr) break;
      fill(p, seq);
      producer_bytes += p.size();
      ++seq;
      ++batch;
    }
    ring.commit();
    if (batch == 0) std::this_thread::yield();
  }
  consumer.join();
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(consumer_bytes.load(), producer_bytes);
}

}  // namespace
}  // namespace sipring
