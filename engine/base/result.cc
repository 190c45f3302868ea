// The printf-style Error builder of engine/base/error_format.h (error code names are in
// enum_names.cc).
#include "engine/base/error_format.h"

#include <cstdarg>
#include <cstdio>

namespace sipring {

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
