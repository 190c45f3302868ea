// What a sipring-load run does (parsed from the command line) and the totals every reactor's
// load core adds to while it runs.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "sipring/sock_addr.h"

namespace sipring::load {

enum class Mode { kHandshake, kRps, kRate, kIdle };
const char* mode_name(Mode m);

struct Plan {
  Mode mode = Mode::kRps;
  SockAddr target;
  std::string sni = "localhost";
  uint32_t reactors = 1;
  uint32_t connections = 50;   // rps/rate/idle: connections; handshake: handshakes in flight
  uint32_t pipeline = 16;      // rps: requests in flight per connection
  uint64_t requests = 0;       // rps: total requests (0: until duration)
  uint64_t handshakes = 1000;  // handshake: total
  bool resume = false;         // handshake: offer session tickets (resumed handshakes)
  double rate = 10000;         // rate: requests per second, all connections together
  double duration_s = 10;      // upper bound of the measured phase (rate: its length)
  double hold_s = 10;          // idle: how long to hold the connections
  double warmup_s = 0;         // rate: seconds to send before measuring
  uint32_t ramp = 200;         // rps/rate/idle: handshakes in flight while opening connections
  int handshake_timeout_ms = 30000;
};

// Summed over reactors with relaxed atomics: each is an independent statistic.
struct Totals {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> lost{0};
  std::atomic<uint64_t> mismatched{0};
  std::atomic<uint64_t> opened{0};
  std::atomic<uint64_t> handshakes_full{0};  // measured handshakes (not the priming one)
  std::atomic<uint64_t> handshakes_resumed{0};
  std::atomic<uint64_t> connect_failures{0};
  std::atomic<uint64_t> unexpected_closes{0};
  std::atomic<uint64_t> first_send_ns{UINT64_MAX};
  std::atomic<uint64_t> measure_start_ns{UINT64_MAX};  // handshake mode: first measured connect
  std::atomic<uint64_t> last_done_ns{0};
  std::atomic<uint64_t> close_reasons[16] = {};  // by CloseReason, for unexpected closes
  std::atomic<uint32_t> reactors_done{0};
  std::atomic<bool> stop_sending{false};  // set by main when the time is up
};

}  // namespace sipring::load
