// The low-memory guard behind tls.low_mem_threshold1/2.
//
// A thread samples how much memory is still free (the kernel's MemAvailable, or less when this
// process's cgroup v2 limit is closer) and publishes one flag byte that every reactor reads with
// a relaxed load: below threshold1 new TLS connections are refused (accepted sockets closed at
// once, client connections not opened); below threshold2 reactors stop reading from established
// connections, so their data waits in the kernel instead of in sipring's buffers, and reading
// resumes when memory is back. Neither loses a byte that was received. Thresholds are KB; 0 and
// -1 are off: the manual's -1 picked a conservative value for OpenSSL builds that crashed when
// malloc failed (its bug #1491), and BoringSSL returns errors instead.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

namespace sipring {

// KB of memory free for this process now: MemAvailable from /proc/meminfo, capped by what its
// cgroup v2 memory.max still allows. 0 when neither can be read.
uint64_t available_memory_kb();
// KB of memory this process may use at most: MemTotal, or its cgroup v2 memory.max if lower.
// 0 when neither can be read. The base of the automatic limits (sipring.wq_max, rx_partial_max).
uint64_t total_memory_kb();

class MemWatch {
 public:
  static constexpr uint8_t kRefuseNew = 1;   // below tls.low_mem_threshold1
  static constexpr uint8_t kPauseReads = 2;  // below tls.low_mem_threshold2

  MemWatch() = default;
  ~MemWatch() { stop(); }
  MemWatch(const MemWatch&) = delete;
  MemWatch& operator=(const MemWatch&) = delete;

  // Any thread: new thresholds in KB (<= 0: off); takes effect within one sampling period.
  void set_thresholds(int threshold1_kb, int threshold2_kb);
  // Starts and stops the sampling thread (it sleeps while both thresholds are off).
  void start();
  void stop();

  // Any thread, hot path: the kRefuseNew / kPauseReads flags now.
  uint8_t flags() const noexcept {
    // Relaxed: advisory flags; acting on a value one sample old is fine.
    return flags_.load(std::memory_order_relaxed);
  }
  // For log lines: the last sample and the thresholds it was compared with.
  uint64_t free_kb() const noexcept { return free_kb_.load(std::memory_order_relaxed); }
  int threshold_kb(int which) const noexcept {
    return (which == 1 ? t1_ : t2_).load(std::memory_order_relaxed);
  }

 private:
  void run();
  void sample();

  std::atomic<int> t1_{0};
  std::atomic<int> t2_{0};
  std::atomic<uint8_t> flags_{0};
  std::atomic<uint64_t> free_kb_{0};
  std::mutex mu_;  // sampling thread's sleep; never taken by reactors
  std::condition_variable cv_;
  bool stopping_ = false;
  bool changed_ = false;
  std::thread thread_;
};

}  // namespace sipring
