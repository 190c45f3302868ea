// Our own logger, not a library's: it is small and allocation-free on the reactor path.
//
// Logging: one line per event, with Kamailio's numeric levels so operators can reuse their
// habits (tls_log/tls_debug pick the level of TLS messages). The levels, the threshold and the
// sink an embedder can replace are public (sipring/log.h); this header adds what the engine
// uses to write lines.
//
// Lines are formatted into a stack buffer and handed to the sink in one call (the default sink
// writes them to stderr with one writev(2), so lines from different threads never interleave).
// Logging is for events (a connection refused, a config error), never for the per-message path;
// per-peer problems go through RateLimitedLog so a flood of bad clients cannot flood the log.
#pragma once

#include <atomic>
#include <cstdint>

#include "sipring/log.h"
#include "sipring/sock_addr.h"

namespace sipring {

inline bool log_enabled(int level) noexcept {
  return level <= log_level();
}

// Writes one line "[component] message" at `level` to the sink, whatever the threshold (callers
// check log_enabled first; SIPRING_LOG does). Messages longer than the buffer are cut.
void log_line(int level, const char* component, const char* fmt, ...) noexcept
    __attribute__((format(printf, 3, 4)));

#define SIPRING_LOG(level, component, ...)                                                 \
  do {                                                                                     \
    if (::sipring::log_enabled(level)) ::sipring::log_line(level, component, __VA_ARGS__); \
  } while (0)

// Lets through at most `per_second` lines per second and counts the rest; the next line that
// passes says how many were suppressed. One instance per thread (not thread-safe by design).
class RateLimitedLog {
 public:
  explicit RateLimitedLog(uint32_t per_second) : per_second_(per_second) {}
  // Returns true if a line may be written now; `*suppressed` is set to the lines dropped since
  // the last line that was written.
  bool allow(uint64_t now_ns, uint64_t* suppressed) noexcept;

 private:
  uint32_t per_second_;
  uint32_t used_ = 0;
  uint64_t window_start_ns_ = 0;
  uint64_t dropped_ = 0;
};

// log_line() for a line RateLimitedLog let through: appends " (N similar lines suppressed)"
// when `suppressed` is not 0.
void log_line_after(uint64_t suppressed, int level, const char* component, const char* fmt,
                    ...) noexcept __attribute__((format(printf, 4, 5)));

// SIPRING_LOG rate-limited by `limiter` (a RateLimitedLog) at time `now_ns`: for events peers
// can cause, so a flood of them writes at most the limiter's lines a second, and the next line
// written says how many were dropped. The arguments are evaluated only when the line is
// written, and a line above the threshold does not use up the limiter.
#define SIPRING_LOG_LIMITED(limiter, now_ns, level, component, ...)                       \
  do {                                                                                    \
    uint64_t sipring_suppressed_;                                                         \
    if (::sipring::log_enabled(level) && (limiter).allow((now_ns), &sipring_suppressed_)) \
      ::sipring::log_line_after(sipring_suppressed_, level, component, __VA_ARGS__);      \
  } while (0)

// An address as text in a stack buffer, for log arguments without allocating:
// SIPRING_LOG(..., "from %s", AddrText(peer).c_str()).
class AddrText {
 public:
  explicit AddrText(const SockAddr& addr) noexcept { addr.format(buf_, sizeof(buf_)); }
  const char* c_str() const noexcept { return buf_; }

 private:
  char buf_[64];  // "[" INET6_ADDRSTRLEN "]:65535" fits
};

}  // namespace sipring
