// Logging: one line per event on stderr, with Kamailio's numeric levels so operators can reuse
// their habits (tls_log/tls_debug pick the level of TLS messages).
//
// Lines are formatted into a stack buffer and written with one write(2), so lines from
// different threads never interleave. Logging is for events (a connection refused, a config
// error), never for the per-message path; per-peer problems go through RateLimitedLog so a
// flood of bad clients cannot flood the log.
#pragma once

#include <atomic>
#include <cstdint>

namespace sipring {

// Kamailio levels: lower is more important.
enum LogLevel : int {
  kLogAlert = -5,
  kLogBug = -4,
  kLogCrit = -3,
  kLogErr = -1,
  kLogWarn = 0,
  kLogNotice = 1,
  kLogInfo = 2,
  kLogDebug = 3,
};

// Messages above this level are dropped (Kamailio's `debug` global). Default kLogInfo.
void set_log_level(int level) noexcept;
int log_level() noexcept;
inline bool log_enabled(int level) noexcept { return level <= log_level(); }

// Writes one line "TIME LEVEL [component] message".
void log_line(int level, const char* component, const char* fmt, ...) noexcept
    __attribute__((format(printf, 3, 4)));

#define SIPRING_LOG(level, component, ...)                                  \
  do {                                                                      \
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

}  // namespace sipring
