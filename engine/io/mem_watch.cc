// Sampling free memory for tls.low_mem_threshold1/2 (see mem_watch.h).
#include "engine/io/mem_watch.h"

#include <chrono>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/ascii.h"
#include "engine/base/log.h"

namespace sipring {
namespace {

constexpr auto kPeriod = std::chrono::milliseconds(100);

// The lines of a small file (/proc, cgroupfs), read whole; none if it cannot be read.
std::vector<std::string_view> lines_of(const std::string& text) {
  std::vector<std::string_view> out;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    out.push_back(strip_ascii_whitespace(rest.substr(0, nl)));
    if (nl == std::string_view::npos) break;
    rest.remove_prefix(nl + 1);
  }
  return out;
}

// The first line of a small file, or "" if it cannot be read.
std::string first_line(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text) return {};
  std::vector<std::string_view> lines = lines_of(text.value());
  return lines.empty() ? std::string() : std::string(lines.front());
}

// A "Name: N kB" field of /proc/meminfo, or 0.
uint64_t meminfo_kb(std::string_view name) {
  Result<std::string> text = read_file("/proc/meminfo");
  if (!text) return 0;
  for (std::string_view line : lines_of(text.value())) {
    if (line.size() > name.size() && line.substr(0, name.size()) == name &&
        line[name.size()] == ':') {
      return strtoull(std::string(line.substr(name.size() + 1)).c_str(), nullptr, 10);
    }
  }
  return 0;
}

// This process's cgroup v2 directory under /sys/fs/cgroup, or "" when there is none.
std::string cgroup_dir() {
  Result<std::string> text = read_file("/proc/self/cgroup");
  if (!text) return {};
  for (std::string_view line : lines_of(text.value())) {
    if (line.substr(0, 3) == "0::") return "/sys/fs/cgroup" + std::string(line.substr(3));
  }
  return {};
}

// The cgroup's memory.max in bytes, or UINT64_MAX when it has no limit.
uint64_t cgroup_max_bytes(const std::string& dir) {
  if (dir.empty()) return UINT64_MAX;
  std::string max = first_line(dir + "/memory.max");
  if (max.empty() || max == "max") return UINT64_MAX;
  return strtoull(max.c_str(), nullptr, 10);
}

// What this process's cgroup (v2) still allows, in KB, or UINT64_MAX when it has no limit.
uint64_t cgroup_available_kb() {
  const std::string dir = cgroup_dir();
  const uint64_t m = cgroup_max_bytes(dir);
  std::string cur = m == UINT64_MAX ? std::string() : first_line(dir + "/memory.current");
  if (cur.empty()) return UINT64_MAX;
  unsigned long long c = strtoull(cur.c_str(), nullptr, 10);
  return m > c ? (m - c) / 1024 : 0;
}

}  // namespace

uint64_t total_memory_kb() {
  const uint64_t kb = meminfo_kb("MemTotal");
  const uint64_t cg = cgroup_max_bytes(cgroup_dir());
  return cg / 1024 < kb ? cg / 1024 : kb;
}

uint64_t available_memory_kb() {
  uint64_t kb = meminfo_kb("MemAvailable");
  uint64_t cg = cgroup_available_kb();
  return cg < kb ? cg : kb;
}

void MemWatch::set_thresholds(int threshold1_kb, int threshold2_kb) {
  t1_.store(threshold1_kb > 0 ? threshold1_kb : 0, std::memory_order_relaxed);
  t2_.store(threshold2_kb > 0 ? threshold2_kb : 0, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> l(mu_);
    changed_ = true;
  }
  cv_.notify_one();
}

void MemWatch::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
}

void MemWatch::stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void MemWatch::run() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    changed_ = false;
    l.unlock();
    sample();
    l.lock();
    bool on = t1_.load(std::memory_order_relaxed) > 0 || t2_.load(std::memory_order_relaxed) > 0;
    if (on) {
      cv_.wait_for(l, kPeriod, [this] { return stopping_ || changed_; });
    } else {
      cv_.wait(l, [this] { return stopping_ || changed_; });
    }
  }
}

void MemWatch::sample() {
  int t1 = t1_.load(std::memory_order_relaxed);
  int t2 = t2_.load(std::memory_order_relaxed);
  uint8_t now = 0;
  uint64_t kb = 0;
  if (t1 > 0 || t2 > 0) {
    kb = available_memory_kb();
    if (t1 > 0 && kb < static_cast<uint64_t>(t1)) now |= kRefuseNew;
    if (t2 > 0 && kb < static_cast<uint64_t>(t2)) now |= kPauseReads;
  }
  free_kb_.store(kb, std::memory_order_relaxed);
  uint8_t before = flags_.exchange(now, std::memory_order_relaxed);
  struct Effect {
    uint8_t flag;
    int which;
    int threshold;
    const char* low;   // what sipring does while below the threshold
    const char* back;  // and once above it again
  };
  const Effect effects[] = {
      {kRefuseNew, 1, t1, "refusing new TLS connections", "accepting new TLS connections again"},
      {kPauseReads, 2, t2, "reading from TLS connections paused (data waits in the kernel)",
       "reading from TLS connections again"},
  };
  for (const Effect& e : effects) {
    if (!((before ^ now) & e.flag)) continue;
    if (now & e.flag) {
      SIPRING_LOG(kLogWarn, "tls", "low memory: %llu KB free < tls.low_mem_threshold%d %d KB: %s",
                  static_cast<unsigned long long>(kb), e.which, e.threshold, e.low);
    } else {
      std::string why = e.threshold > 0 ? std::to_string(kb) + " KB free" : "threshold off";
      SIPRING_LOG(kLogNotice, "tls", "memory back above tls.low_mem_threshold%d (%s): %s", e.which,
                  why.c_str(), e.back);
    }
  }
}

}  // namespace sipring
