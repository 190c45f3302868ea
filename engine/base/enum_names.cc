// Data table: the names of the public enums' values (sipring/result.h, engine.h, frame.h), as
// logs, RPC replies and JSON print them, indexed by value. A name is part of the interface:
// change none, append new ones.
#include <cstddef>
#include <iterator>

#include "sipring/engine.h"
#include "sipring/frame.h"
#include "sipring/result.h"

namespace sipring {
namespace {

constexpr const char* kErrcNames[] = {
    "ok",          "invalid-argument",   "config",     "io",        "tls",
    "unsupported", "unknown-connection", "queue-full", "too-large", "shutting-down",
    "not-running",
};
static_assert(std::size(kErrcNames) == size_t(Errc::kNotRunning) + 1, "a name for every Errc");

constexpr const char* kSendStatusNames[] = {
    "ok",          "unknown-connection", "queue-full",     "too-large",
    "not-running", "overloaded",         "connect-failed", "clear-text-queue-full",
};
static_assert(std::size(kSendStatusNames) == size_t(SendStatus::kClearTextQueueFull) + 1,
              "a name for every SendStatus");

constexpr const char* kCloseReasonNames[] = {
    "none",           "peer-closed",  "io-error",     "handshake-failed", "handshake-timeout",
    "tls-error",      "idle-timeout", "bad-message",  "local-close",      "shutdown",
    "connect-failed", "queue-full",   "send-timeout", "message-timeout",  "memory-budget",
};
static_assert(std::size(kCloseReasonNames) == size_t(CloseReason::kMemoryBudget) + 1,
              "a name for every CloseReason");

// A value cast from an integer that names nothing gets `unknown` rather than a crash in a log
// line.
template <typename Enum, size_t N>
const char* name_in(const char* const (&names)[N], Enum value, const char* unknown) noexcept {
  const size_t i = static_cast<size_t>(value);
  return i < N ? names[i] : unknown;
}

}  // namespace

const char* errc_name(Errc code) noexcept {
  return name_in(kErrcNames, code, "unknown-error");
}
const char* send_status_name(SendStatus s) noexcept {
  return name_in(kSendStatusNames, s, "?");
}
const char* close_reason_name(CloseReason r) noexcept {
  return name_in(kCloseReasonNames, r, "?");
}

}  // namespace sipring
