// A byte budget shared by every reactor (sipring.wq_max for unsent replies, sipring.rx_partial_max
// for partial input), kept without a counter that every message would contend on.
//
// Each reactor counts its own bytes exactly (BudgetShare) and claims room from the shared pool
// (SharedBudget) in quanta, returning spare quanta with one quantum of slack. The shared atomic
// is therefore touched once per quantum of growth or shrinkage, not per message, and the room
// all reactors hold never exceeds the limit. A reactor whose bytes outgrow its room and cannot
// claim more is over budget: BudgetShare::add says so and the reactor sheds (closes its largest
// holders) at the end of the loop iteration, so the process total exceeds the limit by at most
// what one iteration of each reactor added.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace sipring {

class SharedBudget {
 public:
  // `limit` bytes over `reactors` reactors. The quantum is 256 KiB, or less so that every
  // reactor can hold a few quanta of a small limit.
  void init(uint64_t limit, uint32_t reactors) noexcept {
    limit_ = static_cast<int64_t>(limit);
    const int64_t share = limit_ / (4 * int64_t{std::max<uint32_t>(reactors, 1)});
    quantum_ = std::clamp<int64_t>(share, 4096, 256 * 1024);
  }
  uint64_t limit() const noexcept { return static_cast<uint64_t>(limit_); }
  int64_t quantum() const noexcept { return quantum_; }

  // Claims `n` bytes of room; false (and nothing claimed) when that would pass the limit.
  bool claim(int64_t n) noexcept {
    // Relaxed: a limit, not an ordering; no other memory is published through it.
    if (claimed_.fetch_add(n, std::memory_order_relaxed) + n <= limit_) return true;
    claimed_.fetch_sub(n, std::memory_order_relaxed);
    return false;
  }
  void release(int64_t n) noexcept { claimed_.fetch_sub(n, std::memory_order_relaxed); }

 private:
  int64_t limit_ = INT64_MAX;
  int64_t quantum_ = 256 * 1024;
  // Written by every reactor, but once per quantum: its own cache line keeps it off the
  // read-mostly fields above.
  alignas(64) std::atomic<int64_t> claimed_{0};
};

// One reactor's part of a SharedBudget. Reactor thread only.
class BudgetShare {
 public:
  void attach(SharedBudget* shared) noexcept { shared_ = shared; }

  // Counts `n` more bytes. False when they do not fit the room this reactor holds and the shared
  // budget cannot give more: the bytes are counted anyway, and the caller must shed.
  bool add(uint64_t n) noexcept {
    used_ += static_cast<int64_t>(n);
    return used_ <= held_ || grow();
  }
  // Counts `n` bytes fewer (never more than were added), returning spare room.
  void sub(uint64_t n) noexcept {
    used_ -= static_cast<int64_t>(n);
    if (shared_ != nullptr && held_ - used_ >= 2 * shared_->quantum()) shrink();
  }
  // Whether this reactor's bytes fit its room (claiming more if needed).
  bool fits() noexcept { return used_ <= held_ || grow(); }
  uint64_t used() const noexcept { return static_cast<uint64_t>(used_); }

 private:
  bool grow() noexcept {
    if (shared_ == nullptr) return true;  // no budget attached (unit tests): unlimited
    const int64_t q = shared_->quantum();
    const int64_t need = (used_ - held_ + q - 1) / q * q;
    if (!shared_->claim(need)) return false;
    held_ += need;
    return true;
  }
  void shrink() noexcept {
    const int64_t q = shared_->quantum();
    const int64_t give = (held_ - used_ - q) / q * q;  // keep one quantum of slack
    shared_->release(give);
    held_ -= give;
  }

  SharedBudget* shared_ = nullptr;
  int64_t used_ = 0;  // bytes counted on this reactor
  int64_t held_ = 0;  // room claimed from shared_, a multiple of its quantum
};

}  // namespace sipring
