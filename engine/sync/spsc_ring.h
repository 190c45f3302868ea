// Single-producer single-consumer ring of fixed-size slots: the reactor -> SIP core handoff.
// Our own: no Debian queue lets the producer reclaim a slot the consumer released (see below).
//
// A reactor claims slots, fills them and publishes a whole batch with one release store; the core
// reads the slots in place and releases a batch of pops with one release store. Unlike a plain
// queue, the producer reads each slot once more after the consumer released it (reclaim(), or
// released() + at()), because a Frame borrows a reactor buffer that the reactor must take back
// before the slot is overwritten. For that reason claim() never looks at the consumer position
// by itself: it only reuses slots the producer was told about through released()/reclaim().
//
// Positions are free-running 64-bit counters (they do not wrap in practice); slot = pos & mask.
// Each index lives on its own cache line, and each side keeps a private copy of the other side's
// index so that it touches the shared line only when its copy says "full" or "empty".
#pragma once

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

namespace sipring {

namespace ring_detail {

// One x86-64/arm64 cache line. Not std::hardware_destructive_interference_size: g++ warns that
// its value may differ between translation units compiled with different -mtune.
inline constexpr size_t kCacheLine = 64;

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "futex needs a plain 32-bit word under the atomic");

// Sleeps while *word == expected. The kernel compares and enqueues atomically, so a wake that
// changed the word before we got here makes this return at once (EAGAIN).
inline void futex_wait(std::atomic<uint32_t>* word, uint32_t expected) noexcept {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAIT_PRIVATE, expected, nullptr,
          nullptr, 0);
}

// Wakes one thread sleeping in futex_wait on `word`.
inline void futex_wake_one(std::atomic<uint32_t>* word) noexcept {
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace ring_detail

template <class T>
class SpscRing {
  static_assert(std::is_trivially_copyable_v<T>, "slots are reused by plain overwrite");

 public:
  // Default spin rounds of wait_nonempty() before it sleeps (a few microseconds at most).
  static constexpr int kDefaultSpins = 128;

  // Creates a ring of `capacity` slots, rounded up to a power of two (at least 2). All storage
  // is allocated here; nothing is allocated afterwards. Slots start value-initialised.
  explicit SpscRing(size_t capacity)
      : mask_(std::bit_ceil(capacity < 2 ? size_t{2} : capacity) - 1),
        slots_(static_cast<T*>(
            ::operator new[](sizeof(T) * (mask_ + 1), std::align_val_t{kStorageAlign}))) {
    std::uninitialized_value_construct_n(slots_, mask_ + 1);
  }
  ~SpscRing() { ::operator delete[](slots_, std::align_val_t{kStorageAlign}); }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  // Number of slots (a power of two).
  size_t capacity() const noexcept { return mask_ + 1; }

  // --- Producer side (one thread) ---

  // Returns the next free slot to fill, or nullptr when every slot is either unreleased or not
  // yet reclaimed. Space freed by the consumer becomes usable only after released() or
  // reclaim(); on nullptr, call one of them and retry. The slot is invisible to the consumer
  // until commit(); its previous contents are still there (read them first via at()).
  T* claim() noexcept {
    if (p_.claim - p_.released == capacity()) return nullptr;
    return &slots_[p_.claim++ & mask_];
  }

  // Publishes every slot claimed since the last commit, with one store, and wakes a consumer
  // sleeping in wait_nonempty(). Cheap when nothing was claimed.
  void commit() noexcept {
    if (p_.claim == p_.published) return;
    p_.published = p_.claim;
    // release: our writes into the claimed slots become visible to the consumer's acquire load.
    head_.store(p_.published, std::memory_order_release);
    wake_consumer();
  }

  // Returns the consumer's published position: every position below it was popped and released,
  // so the producer may read it with at() and then reuse it. Also makes that room visible to
  // claim(). The previous return value (or the ring's start, 0) is where the new range begins.
  uint64_t released() noexcept {
    // acquire: the consumer's reads of those slots happen before our later overwrite of them.
    p_.released = tail_.load(std::memory_order_acquire);
    return p_.released;
  }

  // Calls f(const T&) for every slot released since the previous reclaim()/released() call,
  // oldest first, and makes the room claimable. Returns the number of slots reclaimed.
  template <class F>
  size_t reclaim(F&& f) noexcept(noexcept(f(std::declval<const T&>()))) {
    const uint64_t from = p_.released;
    const uint64_t to = released();
    for (uint64_t pos = from; pos != to; ++pos) f(at(pos));
    return static_cast<size_t>(to - from);
  }

  // Reads the slot of position `pos`. Producer only, for a position that was committed and not
  // yet reused (produced() - capacity() <= pos < produced()), typically a released one.
  const T& at(uint64_t pos) const noexcept { return slots_[pos & mask_]; }

  // Number of slots ever committed (the position the next commit starts from).
  uint64_t produced() const noexcept { return p_.published; }

  // Committed slots the producer has not seen released yet: the consumer's backlog as of the
  // last released()/reclaim() (an upper bound of it now). Producer only; no shared access.
  size_t unreleased() const noexcept { return static_cast<size_t>(p_.published - p_.released); }

  // --- Consumer side (one thread) ---

  // Returns the oldest unpopped slot, or nullptr if the ring is empty. The slot stays valid and
  // unchanged until release() publishes its pop.
  const T* front() noexcept {
    if (c_.read == c_.head) {
      // acquire: pairs with commit()'s release, so the slot contents we are about to read are
      // the producer's.
      c_.head = head_.load(std::memory_order_acquire);
      if (c_.read == c_.head) return nullptr;
    }
    return &slots_[c_.read & mask_];
  }

  // Consumes the slot front() returned. Not visible to the producer until release(): pop a
  // batch, then release once. Precondition: front() returned non-null since the last pop().
  void pop() noexcept { ++c_.read; }

  // Calls f(const T&) for every slot popped since the last release(), oldest first. They are
  // still intact: the producer may not reuse a slot before release() hands it back.
  template <class F>
  void for_each_popped(F&& f) const noexcept(noexcept(f(std::declval<const T&>()))) {
    for (uint64_t pos = c_.released; pos != c_.read; ++pos) f(slots_[pos & mask_]);
  }

  // Publishes all pops so far with one store, handing the slots back to the producer.
  void release() noexcept {
    if (c_.read == c_.released) return;
    c_.released = c_.read;
    // release: our reads of the popped slots happen before the producer's acquire in
    // released() allows it to overwrite them.
    tail_.store(c_.released, std::memory_order_release);
  }

  // Committed slots not yet released. Exact only when both sides are idle; any thread may call.
  size_t size_approx() const noexcept {
    // acquire: a tail value t is stored after the consumer saw head >= t, so the head we load
    // next is >= t and the difference cannot underflow.
    const uint64_t tail = tail_.load(std::memory_order_acquire);
    // relaxed: any value at or after `tail` is a fine approximation.
    const uint64_t head = head_.load(std::memory_order_relaxed);
    return static_cast<size_t>(head - tail);
  }

  // Blocks the consumer until front() is non-null (returns true) or `stop` is set (returns
  // false; data is checked first). Spins `spins` rounds, then sleeps on a futex. Whoever sets
  // `stop` must call wake_consumer() afterwards.
  //
  // Why no wakeup is lost (Dekker): the consumer stores sleeping_=1, runs a seq_cst fence, then
  // re-reads head_ and stop; the producer stores head_ (or the stopper stores stop), runs a
  // seq_cst fence, then reads sleeping_. The two fences are ordered in the single total order of
  // seq_cst operations. If the consumer's fence is first, the producer's read sees sleeping_=1
  // and wakes it; if the producer's fence is first, the consumer's re-read sees the new head_ or
  // stop and does not sleep. The futex itself sleeps only while sleeping_ is still 1, and the
  // kernel checks that atomically with queueing, so a wake between our check and the syscall
  // makes futex_wait return at once.
  bool wait_nonempty(std::atomic<bool>& stop, int spins = kDefaultSpins) noexcept {
    for (;;) {
      for (int i = 0;; ++i) {
        if (front() != nullptr) return true;
        // acquire: whatever the stopper wrote before setting stop is visible to our caller.
        if (stop.load(std::memory_order_acquire)) return false;
        if (i >= spins) break;
        ring_detail::cpu_relax();
      }
      // relaxed: the seq_cst fence below orders this store before our re-checks.
      sleeping_.store(1, std::memory_order_relaxed);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      // relaxed: after the fence, either we see the new head_/stop or the producer sees our flag;
      // front() re-reads head_ with acquire before any slot is touched.
      if (head_.load(std::memory_order_relaxed) != c_.read ||
          stop.load(std::memory_order_relaxed)) {
        // relaxed: only retracts our announcement; a producer that raced us to 0 at worst
        // issues one useless futex wake.
        sleeping_.store(0, std::memory_order_relaxed);
        continue;
      }
      // acquire: reading the 0 written by wake_consumer()'s release exchange makes the
      // producer's head_ store (or the stopper's stop store) visible to the next loop.
      while (sleeping_.load(std::memory_order_acquire) != 0) {
        ring_detail::futex_wait(&sleeping_, 1);
      }
    }
  }

  // Wakes the consumer if it sleeps in wait_nonempty(). commit() calls this; a thread that set
  // the `stop` flag must call it too. Safe from any thread.
  void wake_consumer() noexcept {
    // seq_cst: the producer half of the Dekker pair described at wait_nonempty().
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // relaxed: ordered after our head_/stop store by the fence above; if it reads 0 the
    // consumer's re-check is guaranteed to see our store.
    if (sleeping_.load(std::memory_order_relaxed) == 0) return;
    // release: the consumer's acquire load of this 0 sees our stores; exchange lets exactly one
    // of several wakers (producer, stopper) make the syscall.
    if (sleeping_.exchange(0, std::memory_order_release) != 0) {
      ring_detail::futex_wake_one(&sleeping_);
    }
  }

 private:
  static constexpr size_t kStorageAlign = alignof(T) > ring_detail::kCacheLine
                                              ? alignof(T)
                                              : ring_detail::kCacheLine;

  struct alignas(ring_detail::kCacheLine) ProducerState {
    uint64_t claim = 0;      // next position claim() hands out
    uint64_t published = 0;  // last value stored to head_
    uint64_t released = 0;   // consumer position as last seen by released()
  };
  struct alignas(ring_detail::kCacheLine) ConsumerState {
    uint64_t read = 0;      // next position to pop
    uint64_t released = 0;  // last value stored to tail_
    uint64_t head = 0;      // producer position as last seen
  };

  // Shared indices, each alone on its line: writes by one side invalidate only that line.
  alignas(ring_detail::kCacheLine) std::atomic<uint64_t> head_{0};      // producer -> consumer
  alignas(ring_detail::kCacheLine) std::atomic<uint64_t> tail_{0};      // consumer -> producer
  alignas(ring_detail::kCacheLine) std::atomic<uint32_t> sleeping_{0};  // consumer in futex
  // Private state of each side, on lines the other side never touches.
  ProducerState p_;
  ConsumerState c_;
  // Read-only after construction; shared by both sides without contention.
  alignas(ring_detail::kCacheLine) const size_t mask_;
  T* const slots_;
};

}  // namespace sipring
