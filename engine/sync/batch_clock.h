// The monotonic clock, and each thread's last reading of it for the instruments (issue 13).
//
// Threads on the data path read the clock once per batch of work, never per message: a reactor
// once per loop iteration, a core thread (Engine::Inbox) once per wait() and per batch of pops.
// They leave that reading in batch_clock_ns so that what they do next in the batch (a reply
// queued with Engine::send from a core thread) can be stamped without another clock read. A
// stamp taken from it is never later than the truth: it is at most one batch old.
#pragma once

#include <time.h>

#include <cstdint>

namespace sipring {

// CLOCK_MONOTONIC in nanoseconds (a vDSO call, no syscall).
inline uint64_t monotonic_ns() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

// This thread's last batch reading of monotonic_ns(), or 0 if it keeps none.
inline thread_local uint64_t t_batch_clock_ns = 0;

// A reading for a stamp: the thread's batch reading, or the clock itself on a thread that keeps
// none (a thread sending without an inbox: then one read per message, its own choice).
inline uint64_t batch_clock_ns() noexcept {
  return t_batch_clock_ns != 0 ? t_batch_clock_ns : monotonic_ns();
}

// A 32-bit stamp of reading `ns` (what a ReplyInbox record carries), and the reading back from
// a later reading `now_ns` within 2^31 ns (2.1 s) of it. A stamp a little after `now_ns` (a
// sender that read its clock after the reactor's iteration began) gives `now_ns`: never later.
inline uint32_t clock_stamp(uint64_t ns) noexcept {
  return static_cast<uint32_t>(ns);
}
inline uint64_t clock_unstamp(uint32_t stamp, uint64_t now_ns) noexcept {
  const int32_t ago = static_cast<int32_t>(static_cast<uint32_t>(now_ns) - stamp);
  return ago > 0 ? now_ns - static_cast<uint64_t>(ago) : now_ns;
}

}  // namespace sipring
