#include "engine/base/log.h"

#include <unistd.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace sipring {
namespace {

std::atomic<int> g_level{kLogInfo};

const char* level_name(int level) {
  switch (level) {
    case kLogAlert: return "ALERT";
    case kLogBug: return "BUG";
    case kLogCrit: return "CRITICAL";
    case kLogErr: return "ERROR";
    case kLogWarn: return "WARNING";
    case kLogNotice: return "NOTICE";
    case kLogInfo: return "INFO";
    default: return "DEBUG";
  }
}

}  // namespace

// Relaxed: the level is an independent knob; a thread seeing the change a bit late is fine.
void set_log_level(int level) noexcept { g_level.store(level, std::memory_order_relaxed); }
int log_level() noexcept { return g_level.load(std::memory_order_relaxed); }

void log_line(int level, const char* component, const char* fmt, ...) noexcept {
  char buf[1024];
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  int n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s [%s] ", t.tm_year + 1900,
                   t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000,
                   level_name(level), component);
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(buf + n, sizeof(buf) - n - 1, fmt, ap);
  va_end(ap);
  size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : std::min<size_t>(m, sizeof(buf) - n - 2));
  buf[len++] = '\n';
  ssize_t w = write(STDERR_FILENO, buf, len);
  (void)w;  // nowhere left to report a failed log write
}

bool RateLimitedLog::allow(uint64_t now_ns, uint64_t* suppressed) noexcept {
  if (now_ns - window_start_ns_ >= 1'000'000'000ull) {
    window_start_ns_ = now_ns;
    used_ = 0;
  }
  if (used_ >= per_second_) {
    dropped_++;
    return false;
  }
  used_++;
  *suppressed = dropped_;
  dropped_ = 0;
  return true;
}

}  // namespace sipring
