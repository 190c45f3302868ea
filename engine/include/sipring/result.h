// Error values for sipring's public API.
//
// Setup and control paths return Result<T>/Status carrying a message a person can act on.
// The per-message path returns allocation-free codes instead (SendStatus in engine.h).
// Values of these types are not synchronised: share one between threads only by copying it.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

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

namespace result_detail {
// Writes why to stderr and aborts: see Result(Error). Inline, so that result.h needs no library.
[[noreturn]] inline void ok_status_as_error() noexcept {
  std::fputs(
      "sipring: a Result<T> was built from an OK Status or an Error with Errc::kOk; "
      "a Result holds a value or a real error (a bug in the caller)\n",
      stderr);
  std::abort();
}
}  // namespace result_detail

// A value of type T or an Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  // An error. `error.code` must not be Errc::kOk, nor `status` OK: a Result holds a value or a
  // real error, and one that is neither would read as failed with nothing to say why. That
  // is a bug in the caller, which the type cannot refuse at compile time (a Status is OK or not
  // at run time), so it aborts with a line on stderr instead of returning a silent failure.
  Result(Error error) : v_(std::move(error)) {  // NOLINT: implicit by design
    if (std::get<1>(v_).code == Errc::kOk) result_detail::ok_status_as_error();
  }
  Result(Status status) : Result(status.error()) {}  // NOLINT: only for errors, see above

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

}  // namespace sipring
