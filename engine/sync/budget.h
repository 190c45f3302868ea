// A byte budget shared by every reactor (sipring.wq_max for unsent replies, sipring.rx_partial_max
// for partial input), kept without a counter that every message would contend on.
//
// Half the limit is split evenly into reserves, one per reactor, that are always its own; the
// other half is a pool that reactors claim from in quanta, returning spare quanta with one
// quantum of slack. The shared atomic is therefore touched once per quantum of growth or
// shrinkage, not per message, and the room all reactors hold never exceeds the limit. A reactor
// whose bytes outgrow its room and cannot claim more is over budget: BudgetShare::add says so and
// the reactor sheds (closes its largest holders) at the end of the loop iteration, so the
// process total exceeds the limit by at most what one iteration of each reactor added.
//
// The reserve is what makes shedding fair: a reactor over budget holds more than its reserve, so
// what it closes are the connections that took the pool. Without it, one reactor's stalled peers
// could take the whole limit and another reactor, unable to claim a quantum for an ordinary reply,
// would close its own small, healthy connections instead.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace sipring {

class SharedBudget {
 public:
  // `limit` bytes over `reactors` reactors, each of which attaches exactly one BudgetShare. The
  // quantum is 256 KiB, or less so that every reactor can hold a few quanta of a small limit;
  // each reactor's reserve is half its even share, in whole quanta.
  void init(uint64_t limit, uint32_t reactors) noexcept {
    limit_ = static_cast<int64_t>(limit);
    const int64_t n = int64_t{std::max<uint32_t>(reactors, 1)};
    quantum_ = std::clamp<int64_t>(limit_ / (4 * n), 4096, 256 * 1024);
    reserve_ = limit_ / (2 * n) / quantum_ * quantum_;
    pool_ = limit_ - n * reserve_;
  }
  uint64_t limit() const noexcept { return static_cast<uint64_t>(limit_); }
  int64_t quantum() const noexcept { return quantum_; }
  int64_t reserve() const noexcept { return reserve_; }

  // Claims `n` bytes of room from the pool; false (and nothing claimed) when that would pass it.
  bool claim(int64_t n) noexcept {
    // Relaxed: a limit, not an ordering; no other memory is published through it.
    if (claimed_.fetch_add(n, std::memory_order_relaxed) + n <= pool_) return true;
    claimed_.fetch_sub(n, std::memory_order_relaxed);
    return false;
  }
  void release(int64_t n) noexcept { claimed_.fetch_sub(n, std::memory_order_relaxed); }

 private:
  int64_t limit_ = INT64_MAX;
  int64_t pool_ = INT64_MAX;  // limit_ less every reactor's reserve
  int64_t quantum_ = 256 * 1024;
  int64_t reserve_ = 0;
  // Written by every reactor, but once per quantum: its own cache line keeps it off the
  // read-mostly fields above.
  alignas(64) std::atomic<int64_t> claimed_{0};
};

// One reactor's part of a SharedBudget: its reserve, and what it claimed from the pool. Reactor
// thread only.
class BudgetShare {
 public:
  void attach(SharedBudget* shared) noexcept { shared_ = shared; }

  // Counts `n` more bytes. False when they do not fit the room this reactor holds and the pool
  // cannot give more: the bytes are counted anyway, and the caller must shed.
  bool add(uint64_t n) noexcept {
    used_ += static_cast<int64_t>(n);
    return fits();
  }
  // Counts `n` bytes fewer (never more than were added), returning spare quanta to the pool.
  void sub(uint64_t n) noexcept {
    used_ -= static_cast<int64_t>(n);
    if (shared_ != nullptr && claimed_ > 0 && room() - used_ >= 2 * shared_->quantum()) shrink();
  }
  // Whether this reactor's bytes fit its room (claiming more from the pool if needed).
  bool fits() noexcept { return shared_ == nullptr || used_ <= room() || grow(); }
  uint64_t used() const noexcept { return static_cast<uint64_t>(used_); }

 private:
  int64_t room() const noexcept { return shared_->reserve() + claimed_; }
  bool grow() noexcept {
    const int64_t q = shared_->quantum();
    const int64_t need = (used_ - room() + q - 1) / q * q;
    if (!shared_->claim(need)) return false;
    claimed_ += need;
    return true;
  }
  void shrink() noexcept {
    const int64_t q = shared_->quantum();
    // Keep one quantum of slack above what is used; the reserve is never given back.
    const int64_t give = std::min(claimed_, (room() - used_ - q) / q * q);
    shared_->release(give);
    claimed_ -= give;
  }

  SharedBudget* shared_ = nullptr;  // null (unit tests): unlimited
  int64_t used_ = 0;                // bytes counted on this reactor
  int64_t claimed_ = 0;             // room claimed from the pool, a multiple of the quantum
};

}  // namespace sipring
