// Measures a server's CPU time (and memory) over the load's measured phase, from /proc, so the
// load tool can report CPU per operation for any server: sipring (threads) or Kamailio
// (processes). Uses per-thread schedstat (nanoseconds) when the kernel has it, else stat ticks.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tools/common/json.h"

namespace sipring::load {

using tool::JsonValue;

class ServerCpu {
 public:
  // `pids`: comma-separated process ids; empty disables the measurement.
  explicit ServerCpu(const std::string& pids);
  void begin();
  void end();
  // {"pids":"...","cpu_s":..,"cpu_us_per_op":..,"pss_kib":..}, or null when disabled.
  JsonValue json(uint64_t ops) const;

 private:
  std::vector<int> pids_;
  std::string text_;
  double begin_s_ = 0, end_s_ = 0;
  uint64_t pss_kib_ = 0;
};

// CPU seconds used so far by every thread of `pid`.
double process_cpu_seconds(int pid);
// Proportional set size of `pid` in KiB (smaps_rollup), 0 if unreadable.
uint64_t process_pss_kib(int pid);

}  // namespace sipring::load
