// The builders of sipring's Error messages: fmt's compile-checked format, and a printf-style one
// kept for older code. Internal: they need fmt, which the public headers (sipring/result.h) do
// not expose to an embedder.
#pragma once

#include <utility>

#include <fmt/format.h>

#include "sipring/result.h"

namespace sipring {

// Builds an Error whose message is fmt::format(format, args...). The format string is checked
// against the arguments at compile time: a placeholder without an argument, an argument without
// a placeholder or a spec that does not fit its type does not compile (printf-style formats
// only warn, and pass std::string through .c_str()). std::string, std::string_view and numbers
// format as themselves.
template <class... Args>
Error format_error(Errc code, fmt::format_string<Args...> format, Args&&... args) {
  return Error{code, fmt::format(format, std::forward<Args>(args)...)};
}

// Builds an Error from a printf-style format. Kept only while layers outside config/ and tls/
// still call it; new code uses format_error.
Error make_error(Errc code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace sipring
