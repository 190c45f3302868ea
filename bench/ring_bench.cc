// Microbenchmarks of the data-path rings: SpscRing with 128-byte slots (the Frame handoff) and
// SpscByteRing/ReplyInbox with 300-byte records (the reply path), same thread and cross-thread.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>

#include "engine/sync/byte_ring.h"
#include "engine/sync/doorbell.h"
#include "engine/sync/reply_inbox.h"
#include "engine/sync/spsc_ring.h"

namespace sipring {
namespace {

struct Slot128 {
  uint64_t first;
  uint8_t middle[112];
  uint64_t last;
};
static_assert(sizeof(Slot128) == 128);

constexpr uint32_t kRecordBytes = 300;

// Fills a slot the way a reactor fills a Frame: every byte written.
inline void fill_slot(Slot128* s, uint64_t seq) {
  s->first = seq;
  std::memset(s->middle, static_cast<int>(seq), sizeof s->middle);
  s->last = seq;
}

// Producer and consumer in one thread, as when the SIP core runs inline after a reactor batch:
// claim+fill `batch` slots, commit, pop them, release, reclaim.
void BM_SpscRing128_SameThread(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  SpscRing<Slot128> ring(8192);
  uint64_t seq = 0, sum = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) fill_slot(ring.claim(), seq++);
    ring.commit();
    while (const Slot128* s = ring.front()) {
      sum += s->first + s->last;
      ring.pop();
    }
    ring.release();
    ring.reclaim([&](const Slot128& s) { sum += s.first; });
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * batch);
}
BENCHMARK(BM_SpscRing128_SameThread)->Arg(1)->Arg(32);

// Producer = benchmark thread, consumer = another thread (the separate core thread). One
// iteration = one slot; commit every `batch` slots or when the ring is full. The consumer spins
// (arg1 = 0) or blocks in wait_nonempty() (arg1 = 1).
void BM_SpscRing128_CrossThread(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  const bool blocking = state.range(1) != 0;
  SpscRing<Slot128> ring(8192);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> consumed{0};
  std::thread consumer([&] {
    uint64_t n = 0, sum = 0;
    for (;;) {
      if (blocking) {
        if (!ring.wait_nonempty(stop)) break;
      } else if (ring.front() == nullptr) {
        if (stop.load(std::memory_order_acquire) && ring.front() == nullptr) break;
        ring_detail::cpu_relax();
        continue;
      }
      int k = 0;
      while (const Slot128* s = ring.front()) {
        sum += s->first + s->last;
        ring.pop();
        if (++k == 64) break;
      }
      ring.release();
      n += k;
    }
    benchmark::DoNotOptimize(sum);
    consumed = n;
  });
  uint64_t seq = 0;
  int pending = 0;
  for (auto _ : state) {
    Slot128* s;
    while ((s = ring.claim()) == nullptr) {
      ring.commit();
      pending = 0;
      ring.released();
    }
    fill_slot(s, seq++);
    if (++pending == batch) {
      ring.commit();
      pending = 0;
      ring.released();
    }
  }
  ring.commit();
  while (ring.released() != seq) ring_detail::cpu_relax();
  stop.store(true);
  ring.wake_consumer();
  consumer.join();
  if (consumed.load() != seq) state.SkipWithError("lost items");
  state.SetItemsProcessed(static_cast<int64_t>(seq));
}
BENCHMARK(BM_SpscRing128_CrossThread)->Args({1, 0})->Args({32, 0})->Args({32, 1})->UseRealTime();

// 300-byte records through one SpscByteRing in one thread, `batch` per commit.
void BM_ByteRing300_SameThread(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  SpscByteRing ring(1 << 20);
  uint8_t msg[kRecordBytes];
  std::memset(msg, 'x', sizeof msg);
  uint64_t tag = 0, sum = 0;
  SpscByteRing::Record rec;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) {
      std::memcpy(ring.reserve(kRecordBytes, tag++).data(), msg, kRecordBytes);
    }
    ring.commit();
    while (ring.peek(&rec)) {
      sum += rec.tag + rec.payload[kRecordBytes - 1];
      ring.pop();
    }
    ring.release();
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * batch);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * batch * kRecordBytes);
}
BENCHMARK(BM_ByteRing300_SameThread)->Arg(1)->Arg(32);

// 300-byte records from the benchmark thread to a spinning consumer thread that reads every
// payload byte (as a reactor copying into a TLS write does). Commit every `batch` records.
void BM_ByteRing300_CrossThread(benchmark::State& state) {
  const int batch = static_cast<int>(state.range(0));
  SpscByteRing ring(1 << 20);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> consumed{0};
  std::thread consumer([&] {
    uint64_t n = 0, sum = 0;
    uint8_t sink[kRecordBytes];
    SpscByteRing::Record rec;
    for (;;) {
      int k = 0;
      while (ring.peek(&rec)) {
        std::memcpy(sink, rec.payload.data(), rec.payload.size());
        sum += sink[k % kRecordBytes];
        ring.pop();
        if (++k == 64) break;
      }
      ring.release();
      n += k;
      if (k == 0) {
        if (stop.load(std::memory_order_acquire) && ring.empty()) break;
        ring_detail::cpu_relax();
      }
    }
    benchmark::DoNotOptimize(sum);
    consumed = n;
  });
  uint8_t msg[kRecordBytes];
  std::memset(msg, 'y', sizeof msg);
  uint64_t tag = 0;
  int pending = 0;
  for (auto _ : state) {
    std::span<uint8_t> out;
    while ((out = ring.reserve(kRecordBytes, tag)).data() == nullptr) {
      ring.commit();
      pending = 0;
      ring_detail::cpu_relax();
    }
    std::memcpy(out.data(), msg, kRecordBytes);
    ++tag;
    if (++pending == batch) {
      ring.commit();
      pending = 0;
    }
  }
  ring.commit();
  stop.store(true);
  consumer.join();
  if (consumed.load() != tag) state.SkipWithError("lost records");
  state.SetItemsProcessed(static_cast<int64_t>(tag));
  state.SetBytesProcessed(static_cast<int64_t>(tag) * kRecordBytes);
}
BENCHMARK(BM_ByteRing300_CrossThread)->Arg(1)->Arg(32)->UseRealTime();

// A full reply send as Engine::send would do it, consumer awake: ReplyInbox reserve + copy +
// commit + Doorbell::ring (fence, no syscall); the reactor drains every 32 sends.
void BM_ReplyInboxSend300_SameThread(benchmark::State& state) {
  ReplyInbox inbox(1 << 20);
  Doorbell bell;
  if (!bell.open().is_ok()) {
    state.SkipWithError("eventfd failed");
    return;
  }
  uint8_t msg[kRecordBytes];
  std::memset(msg, 'z', sizeof msg);
  uint64_t tag = 0, sum = 0;
  for (auto _ : state) {
    std::memcpy(inbox.reserve(kRecordBytes, tag).data(), msg, kRecordBytes);
    inbox.commit();
    bell.ring();
    if (++tag % 32 == 0) {
      inbox.drain([&](uint64_t t, std::span<const uint8_t> p, uint32_t) { sum += t + p[0]; });
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ReplyInboxSend300_SameThread);

}  // namespace
}  // namespace sipring

BENCHMARK_MAIN();
