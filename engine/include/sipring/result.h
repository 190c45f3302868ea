// Error values for sipring's public API.
//
// Setup and control paths return Result<T>/Status carrying a message a person can act on.
// The per-message path returns the allocation-free Errc alone (see SendStatus in engine.h).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace sipring {

enum class Errc : uint8_t {
  kOk = 0,
  kInvalidArgument,    // a value the caller passed is malformed or out of range
  kConfig,             // a configuration file or parameter is wrong
  kIo,                 // a system call failed (message carries errno text)
  kTls,                // BoringSSL refused something (message carries its error queue)
  kUnsupported,        // the kernel or library lacks a needed feature
  kUnknownConnection,  // the connection id is stale, closed or never existed
  kQueueFull,          // a bounded queue is full: retry later, nothing was taken
  kTooLarge,           // the message exceeds a configured limit
  kShuttingDown,       // the engine is stopping
  kNotRunning,         // the engine was not started
};

// Stable short name of an error code, e.g. "unknown-connection".
const char* errc_name(Errc code) noexcept;

// An error: a code plus a message that says what went wrong and what to do about it.
struct Error {
  Errc code = Errc::kOk;
  std::string message;
};

// Success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design
  static Status ok() { return {}; }

  bool is_ok() const { return error_.code == Errc::kOk; }
  explicit operator bool() const { return is_ok(); }
  Errc code() const { return error_.code; }
  const std::string& message() const { return error_.message; }
  const Error& error() const { return error_; }

 private:
  Error error_;
};

// A value of type T or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(status.error()) {}  // NOLINT: only for errors

  bool is_ok() const { return v_.index() == 0; }
  explicit operator bool() const { return is_ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(v_); }
  Status status() const { return is_ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

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
