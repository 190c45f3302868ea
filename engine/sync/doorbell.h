// Doorbell: how any thread wakes a reactor that sleeps in io_uring_enter, without a syscall when
// the reactor is awake.
//
// The reactor keeps an io_uring read armed on fd() (an eventfd). Before it sleeps it announces
// so with prepare_sleep(); a producer that has just published work calls ring(), which writes
// the eventfd only if the reactor announced sleeping, and clears the announcement with an
// exchange so that several concurrent producers write once between them.
//
// Protocol (consumer = the reactor):
//   loop {
//     do work, drain rings;
//     if (bell.prepare_sleep([&] { return have_work(); })) {
//       io_uring_submit_and_wait(...);   // the armed eventfd read completes on ring()
//       bell.woke();                     // re-arm the eventfd read when its CQE arrives
//     }
//   }
// producer: publish work (a release store, e.g. SpscByteRing::commit()); then bell.ring().
//
// Why no wakeup is lost (Dekker): the consumer stores sleeping_=true, runs a seq_cst fence and
// then re-checks for work (has_work); a producer publishes its work, runs a seq_cst fence and
// then reads sleeping_. The two fences are ordered in the single total order of seq_cst
// operations: if the consumer's comes first, the producer reads true and writes the eventfd;
// if the producer's comes first, the consumer's re-check sees the work and does not sleep. The
// eventfd keeps a counter, so a write that lands before the consumer enters the kernel still
// makes the wait return.
#pragma once

#include <sys/eventfd.h>

#include <atomic>

#include "engine/sync/spsc_ring.h"  // ring_detail::kCacheLine
#include "sipring/result.h"

namespace sipring {

class Doorbell {
 public:
  Doorbell() = default;
  ~Doorbell();
  Doorbell(const Doorbell&) = delete;
  Doorbell& operator=(const Doorbell&) = delete;

  // Creates the eventfd. `eventfd_flags` are passed to eventfd(2); keep the default (blocking)
  // when io_uring reads the fd: io_uring completes reads of an O_NONBLOCK fd with -EAGAIN
  // instead of waiting. Add EFD_NONBLOCK for poll()-based consumers that call consume().
  // Returns kIo if eventfd(2) fails. Call once, before any other method.
  Status open(int eventfd_flags = EFD_CLOEXEC);

  // The eventfd, for the consumer's armed io_uring read or poll(). -1 before open().
  int fd() const noexcept { return fd_; }

  // Consumer: announces that it is about to sleep, then calls has_work(). Returns true if the
  // caller may sleep now (a later ring() will write the eventfd); returns false, with the
  // announcement withdrawn, if has_work() found work that raced in. has_work() must read the
  // producers' published state (e.g. SpscByteRing::empty()).
  template <class HasWork>
  bool prepare_sleep(HasWork&& has_work) noexcept(noexcept(has_work())) {
    // relaxed: the seq_cst fence below orders it before has_work()'s loads.
    sleeping_.store(true, std::memory_order_relaxed);
    // seq_cst: the consumer half of the Dekker pair described at the top of this file.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (!has_work()) return true;
    woke();
    return false;
  }

  // Consumer: withdraws the sleeping announcement after waking (or deciding not to sleep).
  // After a wake caused by ring(), the producer's work is visible to the caller.
  void woke() noexcept {
    // acquire: if a producer's exchange cleared the flag (and so wrote the eventfd), reading
    // its release makes the work it published before ring() visible to us.
    sleeping_.exchange(false, std::memory_order_acquire);
  }

  // Producer, any thread: wakes the consumer if it announced sleeping. Call after publishing
  // the work. Costs one fence and one shared load when the consumer is awake.
  void ring() noexcept {
    // seq_cst: the producer half of the Dekker pair; orders our publication before the load.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // relaxed: ordered by the fence; false means the consumer's re-check will see our work.
    if (!sleeping_.load(std::memory_order_relaxed)) return;
    // release: pairs with woke()'s acquire. Exchange: only the producer that flips it writes.
    if (sleeping_.exchange(false, std::memory_order_release)) signal();
  }

  // Consumer: reads (and so resets) the eventfd counter; returns true if it was non-zero.
  // Only for a non-blocking fd, or after poll() said it is readable; io_uring users consume the
  // counter with their armed read instead.
  bool consume() noexcept;

 private:
  void signal() noexcept;  // writes 1 to the eventfd

  alignas(ring_detail::kCacheLine) std::atomic<bool> sleeping_{false};
  alignas(ring_detail::kCacheLine) int fd_ = -1;
};

}  // namespace sipring
