// Tests for ReplyInbox: lazy per-thread ring registration, the producer limit, per-producer
// order under 8 concurrent senders, the thread-local ring cache, and the Doorbell that wakes the
// reactor draining an inbox.
#include "engine/sync/reply_inbox.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/sync/doorbell.h"

namespace sipring {
namespace {

bool send(ReplyInbox& inbox, uint64_t tag, uint64_t value) {
  std::span<uint8_t> p = inbox.reserve(sizeof value, tag);
  if (p.data() == nullptr) return false;
  std::memcpy(p.data(), &value, sizeof value);
  inbox.commit();
  return true;
}

uint64_t value_of(std::span<const uint8_t> payload) {
  uint64_t v = 0;
  std::memcpy(&v, payload.data(), sizeof v);
  return v;
}

TEST(ReplyInboxTest, FirstSendRegistersOneRingPerThread) {
  ReplyInbox inbox(4096);
  EXPECT_EQ(inbox.registered(), 0u);
  EXPECT_TRUE(inbox.empty());
  ASSERT_TRUE(send(inbox, 1, 11));
  ASSERT_TRUE(send(inbox, 2, 22));
  EXPECT_EQ(inbox.registered(), 1u);
  std::thread([&] { ASSERT_TRUE(send(inbox, 3, 33)); }).join();
  EXPECT_EQ(inbox.registered(), 2u);
  EXPECT_FALSE(inbox.empty());

  std::vector<std::pair<uint64_t, uint64_t>> got;
  EXPECT_EQ(inbox.drain([&](uint64_t tag, std::span<const uint8_t> p, uint32_t) {
    got.emplace_back(tag, value_of(p));
  }),
            3u);
  EXPECT_EQ(got, (std::vector<std::pair<uint64_t, uint64_t>>{{1, 11}, {2, 22}, {3, 33}}));
  EXPECT_TRUE(inbox.empty());
  EXPECT_EQ(inbox.drain([](uint64_t, std::span<const uint8_t>, uint32_t) {}), 0u);
}

TEST(ReplyInboxTest, UncommittedRecordsAreNotDrained) {
  ReplyInbox inbox(4096);
  ASSERT_NE(inbox.reserve(8, 1).data(), nullptr);
  EXPECT_TRUE(inbox.empty());
  EXPECT_EQ(inbox.drain([](uint64_t, std::span<const uint8_t>, uint32_t) {}), 0u);
  inbox.commit();
  EXPECT_EQ(inbox.drain([](uint64_t, std::span<const uint8_t>, uint32_t) {}), 1u);
}

TEST(ReplyInboxTest, FullRingAndTooLargeRecordAreRefusedAndFreedByDrain) {
  ReplyInbox inbox(256);  // max payload 112
  EXPECT_EQ(inbox.max_payload(), 112u);
  EXPECT_EQ(inbox.reserve(113, 1).data(), nullptr);
  int sent = 0;
  while (send(inbox, sent, sent)) ++sent;
  EXPECT_EQ(sent, 256 / 24);  // 24-byte records
  EXPECT_EQ(inbox.drain([](uint64_t, std::span<const uint8_t>, uint32_t) {}),
            static_cast<size_t>(sent));
  EXPECT_TRUE(send(inbox, 99, 99));
}

TEST(ReplyInboxTest, CommitFromThreadWithoutRingDoesNothing) {
  ReplyInbox inbox(4096);
  std::thread([&] { inbox.commit(); }).join();
  EXPECT_EQ(inbox.registered(), 0u);
}

TEST(ReplyInboxTest, AtMostMaxProducersThreadsGetRingsAndExitedThreadsKeepTheirs) {
  ReplyInbox inbox(256);
  for (uint32_t i = 0; i < ReplyInbox::kMaxProducers; ++i) {
    std::thread([&, i] { EXPECT_TRUE(send(inbox, i, i)); }).join();
  }
  EXPECT_EQ(inbox.registered(), ReplyInbox::kMaxProducers);
  bool refused = false;
  std::thread([&] { refused = inbox.reserve(8, 0).data() == nullptr; }).join();
  EXPECT_TRUE(refused);
  EXPECT_EQ(inbox.drain([](uint64_t, std::span<const uint8_t>, uint32_t) {}),
            ReplyInbox::kMaxProducers);
}

// More inboxes than the thread-local cache has entries: cache collisions must find the
// thread's existing ring again instead of registering a second one (which would break order).
TEST(ReplyInboxTest, ThreadSendingToManyInboxesKeepsOneRingPerInbox) {
  constexpr int kInboxes = 200;
  std::vector<std::unique_ptr<ReplyInbox>> inboxes;
  for (int i = 0; i < kInboxes; ++i) inboxes.push_back(std::make_unique<ReplyInbox>(1024));
  for (uint64_t round = 0; round < 5; ++round) {
    for (auto& inbox : inboxes) ASSERT_TRUE(send(*inbox, round, round));
  }
  for (auto& inbox : inboxes) {
    EXPECT_EQ(inbox->registered(), 1u);
    uint64_t expect = 0;
    inbox->drain(
        [&](uint64_t tag, std::span<const uint8_t>, uint32_t) { EXPECT_EQ(tag, expect++); });
    EXPECT_EQ(expect, 5u);
  }
}

// A destroyed inbox's cache entry must not be used by a new inbox at the same address.
TEST(ReplyInboxTest, NewInboxDoesNotReuseStaleCacheEntries) {
  for (int i = 0; i < 100; ++i) {
    auto inbox = std::make_unique<ReplyInbox>(1024);
    ASSERT_TRUE(send(*inbox, i, i));
    EXPECT_EQ(inbox->drain([&](uint64_t tag, std::span<const uint8_t>, uint32_t) {
      EXPECT_EQ(tag, static_cast<uint64_t>(i));
    }),
              1u);
  }
}

// 8 producer threads send sequence-numbered records to one consumer through small rings:
// each producer's order is kept and the totals are exact.
TEST(ReplyInboxStressTest, EightProducersKeepPerProducerOrderAndExactTotals) {
  constexpr int kProducers = 8;
  constexpr uint64_t kPerProducer = 250'000;
  ReplyInbox inbox(2048);
  std::atomic<int> ready{0};
  std::vector<std::thread> producers;
  std::vector<uint64_t> full_retries(kProducers);
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      ready.fetch_add(1);
      while (ready.load() < kProducers) std::this_thread::yield();
      for (uint64_t seq = 0; seq < kPerProducer;) {
        const uint32_t len = 8 + static_cast<uint32_t>(seq % 64);
        std::span<uint8_t> out = inbox.reserve(len, (uint64_t{uint32_t(p)} << 32) | seq);
        if (out.data() == nullptr) {
          ++full_retries[p];
          inbox.commit();
          std::this_thread::yield();
          continue;
        }
        const uint64_t v = seq * 1000003 + p;
        std::memcpy(out.data(), &v, sizeof v);
        std::memset(out.data() + 8, static_cast<int>(seq & 0xff), len - 8);
        ++seq;
        if (seq % 4 == 0 || seq == kPerProducer) inbox.commit();
      }
    });
  }

  std::vector<uint64_t> next(kProducers, 0);
  uint64_t total = 0, bad = 0, value_sum = 0;
  while (total < kProducers * kPerProducer) {
    const size_t n = inbox.drain([&](uint64_t tag, std::span<const uint8_t> payload, uint32_t) {
      const uint32_t p = static_cast<uint32_t>(tag >> 32);
      const uint64_t seq = static_cast<uint32_t>(tag);
      if (p >= kProducers || seq != next[p] || payload.size() != 8 + seq % 64 ||
          value_of(payload) != seq * 1000003 + p) {
        ++bad;
      } else {
        for (size_t i = 8; i < payload.size(); ++i) {
          if (payload[i] != static_cast<uint8_t>(seq & 0xff)) ++bad;
        }
      }
      if (p < kProducers) next[p] = seq + 1;
      value_sum += value_of(payload);
    });
    total += n;
    if (n == 0) std::this_thread::yield();
  }
  for (auto& t : producers) t.join();

  uint64_t expect_sum = 0;
  for (int p = 0; p < kProducers; ++p) {
    for (uint64_t seq = 0; seq < kPerProducer; ++seq) expect_sum += seq * 1000003 + p;
  }
  EXPECT_EQ(bad, 0u);
  EXPECT_EQ(total, kProducers * kPerProducer);
  EXPECT_EQ(value_sum, expect_sum);
  for (int p = 0; p < kProducers; ++p) EXPECT_EQ(next[p], kPerProducer) << "producer " << p;
  EXPECT_EQ(inbox.registered(), static_cast<uint32_t>(kProducers));
  EXPECT_TRUE(inbox.empty());
  EXPECT_EQ(inbox.drain([](uint64_t, std::span<const uint8_t>, uint32_t) {}), 0u);
}

TEST(DoorbellTest, RingWritesTheEventfdOnlyWhenTheConsumerAnnouncedSleeping) {
  Doorbell bell;
  ASSERT_TRUE(bell.open(EFD_CLOEXEC | EFD_NONBLOCK).is_ok());
  ASSERT_GE(bell.fd(), 0);
  bell.ring();
  EXPECT_FALSE(bell.consume()) << "awake consumer: no syscall, no event";

  ASSERT_TRUE(bell.prepare_sleep([] { return false; }));
  bell.ring();
  bell.ring();  // the first ring cleared the flag: no second write
  uint64_t count = 0;
  ASSERT_EQ(::read(bell.fd(), &count, sizeof count), static_cast<ssize_t>(sizeof count));
  EXPECT_EQ(count, 1u);
  bell.woke();
  bell.ring();
  EXPECT_FALSE(bell.consume());
}

TEST(DoorbellTest, PrepareSleepRefusesAndWithdrawsWhenWorkRacedIn) {
  Doorbell bell;
  ASSERT_TRUE(bell.open(EFD_CLOEXEC | EFD_NONBLOCK).is_ok());
  EXPECT_FALSE(bell.prepare_sleep([] { return true; }));
  bell.ring();
  EXPECT_FALSE(bell.consume()) << "the announcement was withdrawn";
}

// A reactor-like sleeper drains a ReplyInbox and sleeps in poll() on the doorbell; a producer
// sends one record, rings, and waits for the ack before the next, so nearly every round races
// a send against the sleep announcement. A lost wakeup shows up as a poll() timeout.
TEST(DoorbellTest, SleeperInPollNeverMissesAWakeupIn100kRounds) {
  constexpr uint64_t kRounds = 100'000;
  constexpr int kPollTimeoutMs = 2000;
  ReplyInbox inbox(4096);
  Doorbell bell;
  ASSERT_TRUE(bell.open().is_ok());  // blocking fd, as io_uring wants; read only when readable
  std::atomic<uint64_t> acked{0};
  std::atomic<bool> abort{false};
  uint64_t sleeps = 0, fd_wakeups = 0, misses = 0;

  std::thread sleeper([&] {
    uint64_t got = 0;
    while (got < kRounds && !abort.load()) {
      const size_t n = inbox.drain([&](uint64_t tag, std::span<const uint8_t>, uint32_t) {
        if (tag == got + 1) got = tag;
      });
      if (n != 0) {
        acked.store(got, std::memory_order_release);
        continue;
      }
      if (!bell.prepare_sleep([&] { return !inbox.empty() || abort.load(); })) continue;
      ++sleeps;
      pollfd pfd{bell.fd(), POLLIN, 0};
      const int r = ::poll(&pfd, 1, kPollTimeoutMs);
      bell.woke();
      if (r == 1) {
        ++fd_wakeups;
        bell.consume();
      } else if (r == 0 && inbox.empty()) {
        continue;  // woken by nothing and nothing sent: the producer is slow, not a miss
      } else if (r == 0) {
        ++misses;  // work was there for a whole timeout and nobody woke us
      }
    }
  });

  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::seconds(90);
  uint64_t rng = 1;
  for (uint64_t i = 1; i <= kRounds; ++i) {
    // A short random pause moves the send around the sleeper's announce/poll window.
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    for (uint64_t spin = (rng >> 33) % 2048; spin != 0; --spin) ring_detail::cpu_relax();
    ASSERT_TRUE(send(inbox, i, i));
    bell.ring();
    while (acked.load(std::memory_order_acquire) < i) {
      if (std::chrono::steady_clock::now() > deadline) {
        abort = true;
        bell.ring();
        sleeper.join();
        FAIL() << "stalled at round " << i << " after " << misses << " missed wakeups";
      }
      std::this_thread::yield();
    }
  }
  sleeper.join();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(misses, 0u);
  EXPECT_GT(fd_wakeups, 0u) << "the sleeping path was never exercised";
  RecordProperty("sleeps", std::to_string(sleeps));
  RecordProperty("fd_wakeups", std::to_string(fd_wakeups));
  std::printf("[          ] %llu rounds in %.2fs: %llu sleeps, %llu eventfd wakeups\n",
              static_cast<unsigned long long>(kRounds), secs,
              static_cast<unsigned long long>(sleeps), static_cast<unsigned long long>(fd_wakeups));
}

}  // namespace
}  // namespace sipring
