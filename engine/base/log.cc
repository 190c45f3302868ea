#include "engine/base/log.h"

#include <sys/uio.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>

namespace sipring {
namespace {

std::atomic<int> g_level{kLogInfo};

// "TIME LEVEL " then the line and a newline, in one writev(2): O_APPEND files and pipes (up to
// PIPE_BUF) keep concurrent lines whole.
void stderr_sink(void*, LogLevel level, std::string_view line) {
  char head[64];
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  tm t;
  gmtime_r(&ts.tv_sec, &t);
  int n = snprintf(head, sizeof(head), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s ", t.tm_year + 1900,
                   t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, ts.tv_nsec / 1000000,
                   log_level_name(level));
  iovec iov[3] = {{head, static_cast<size_t>(n)},
                  {const_cast<char*>(line.data()), line.size()},
                  {const_cast<char*>("\n"), 1}};
  ssize_t w = writev(STDERR_FILENO, iov, 3);
  (void)w;  // nowhere left to report a failed log write
}

// Relaxed: set_log_sink() is documented as not synchronised with logging; the atomics only keep
// a misuse from being undefined behaviour.
std::atomic<LogSink> g_sink{stderr_sink};
std::atomic<void*> g_sink_ctx{nullptr};

// Formats "[component] message" (and the suppressed count) into a stack buffer and hands it to
// the sink. Cuts what does not fit.
void vlog(uint64_t suppressed, int level, const char* component, const char* fmt, va_list ap) {
  char buf[1024];
  size_t len = 0;
  auto grow = [&](int m) {
    if (m > 0) len += static_cast<size_t>(m);
    if (len > sizeof(buf) - 1) len = sizeof(buf) - 1;
  };
  grow(snprintf(buf, sizeof(buf), "[%s] ", component));
  grow(vsnprintf(buf + len, sizeof(buf) - len, fmt, ap));
  if (suppressed != 0) {
    grow(snprintf(buf + len, sizeof(buf) - len, " (%llu similar lines suppressed)",
                  static_cast<unsigned long long>(suppressed)));
  }
  g_sink.load(std::memory_order_relaxed)(g_sink_ctx.load(std::memory_order_relaxed),
                                         static_cast<LogLevel>(level), std::string_view(buf, len));
}

}  // namespace

const char* log_level_name(LogLevel level) noexcept {
  switch (level) {
    case kLogAlert:
      return "ALERT";
    case kLogBug:
      return "BUG";
    case kLogCrit:
      return "CRITICAL";
    case kLogErr:
      return "ERROR";
    case kLogWarn:
      return "WARNING";
    case kLogNotice:
      return "NOTICE";
    case kLogInfo:
      return "INFO";
    default:
      return "DEBUG";
  }
}

// Relaxed: the level is an independent knob; a thread seeing the change a bit late is fine.
void set_log_level(LogLevel level) noexcept {
  g_level.store(level, std::memory_order_relaxed);
}
LogLevel log_level() noexcept {
  return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed));
}

void set_log_sink(LogSink sink, void* ctx) noexcept {
  g_sink_ctx.store(sink != nullptr ? ctx : nullptr, std::memory_order_relaxed);
  g_sink.store(sink != nullptr ? sink : stderr_sink, std::memory_order_relaxed);
}

void log_line(int level, const char* component, const char* fmt, ...) noexcept {
  va_list ap;
  va_start(ap, fmt);
  vlog(0, level, component, fmt, ap);
  va_end(ap);
}

void log_line_after(uint64_t suppressed, int level, const char* component, const char* fmt,
                    ...) noexcept {
  va_list ap;
  va_start(ap, fmt);
  vlog(suppressed, level, component, fmt, ap);
  va_end(ap);
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
