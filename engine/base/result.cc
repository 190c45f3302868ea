// Names of error codes and the printf-style Error builder declared in sipring/result.h.
#include "sipring/result.h"

#include <cstdarg>
#include <cstdio>

namespace sipring {

const char* errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::kOk:
      return "ok";
    case Errc::kInvalidArgument:
      return "invalid-argument";
    case Errc::kConfig:
      return "config";
    case Errc::kIo:
      return "io";
    case Errc::kTls:
      return "tls";
    case Errc::kUnsupported:
      return "unsupported";
    case Errc::kUnknownConnection:
      return "unknown-connection";
    case Errc::kQueueFull:
      return "queue-full";
    case Errc::kTooLarge:
      return "too-large";
    case Errc::kShuttingDown:
      return "shutting-down";
    case Errc::kNotRunning:
      return "not-running";
  }
  // A value cast from an integer that names no code: say so rather than crash a log line.
  return "unknown-error";
}

Error make_error(Errc code, const char* fmt, ...) {
  Error error;
  error.code = code;
  va_list args;
  va_start(args, fmt);
  va_list measure;
  va_copy(measure, args);
  const int len = std::vsnprintf(nullptr, 0, fmt, measure);
  va_end(measure);
  if (len > 0) {
    error.message.resize(static_cast<size_t>(len));
    // vsnprintf writes the terminating NUL at message[len], which std::string owns.
    std::vsnprintf(error.message.data(), static_cast<size_t>(len) + 1, fmt, args);
  }
  va_end(args);
  return error;
}

}  // namespace sipring
