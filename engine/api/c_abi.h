// The C ABI's internals (sipring/sipring.h is the contract): what its opaque handles hold, and
// the conversions every c_*.cc file shares. The C ABI is a thin layer over the public C++ API:
//   c_status.cc   status codes and names, error text, addresses, destinations, the version
//   c_config.cc   sipring_config: building a Config from a file or from parameter calls
//   c_engine.cc   sipring_engine: create, start, stop, free; the inline core; consumer inboxes
//   c_send.cc     sending, connecting, closing and aliasing from any thread
//   c_port.cc     the inline core's sipring_port
//   c_info.cc     TLS facts, runtime parameters, TLS reload, counters, log, responses
//
// Every entry point catches every exception (none may cross into C) and checks its pointers;
// the per-message ones (frames, sends, the port, sipring_build_response) add no allocation, lock
// or system call to what the C++ call they wrap does.
#pragma once

#include <arpa/inet.h>

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string_view>
#include <vector>

#include "engine/base/log.h"
#include "sipring/engine.h"
#include "sipring/sipring.h"

// The handles: C sees only their names.
struct sipring_config {
  sipring::Config config;
};

struct sipring_engine {
  std::unique_ptr<sipring::Engine> engine;
  // Filled by sipring_engine_start, before any consumer thread may call: Engine::inbox(r) for
  // each reactor, so the per-frame calls are one index and one virtual call.
  std::vector<sipring::Engine::Inbox*> inboxes;
  bool inline_core = false;  // sipring_options.core was set: the core pops, not inboxes
};

// Lives in the inline core adapter (c_engine.cc) and wraps its reactor's port during run().
struct sipring_port {
  sipring::ReactorPort* port = nullptr;
};

namespace sipring::capi {

// The frame layout the header promises (a C compiler must agree: see tests/meson.build's
// compile of examples/relay_min.c).
static_assert(sizeof(sipring_addr) == 24, "sipring_addr is 24 bytes");
static_assert(sizeof(sipring_frame) == 80, "sipring_frame is 80 bytes");
static_assert(offsetof(sipring_frame, data) == 8 && offsetof(sipring_frame, size) == 16 &&
                  offsetof(sipring_frame, reactor) == 20 && offsetof(sipring_frame, kind) == 22 &&
                  offsetof(sipring_frame, flags) == 23 &&
                  offsetof(sipring_frame, tls_version) == 24 &&
                  offsetof(sipring_frame, cipher) == 26 && offsetof(sipring_frame, reason) == 28 &&
                  offsetof(sipring_frame, peer) == 32 && offsetof(sipring_frame, local) == 56,
              "sipring_frame's fields are where sipring.h says");

// Frame kinds and close reasons are copied as numbers: the C constants must be the C++ values.
static_assert(SIPRING_FRAME_MESSAGE == int(FrameKind::kMessage) &&
              SIPRING_FRAME_OPENED == int(FrameKind::kOpened) &&
              SIPRING_FRAME_CLOSED == int(FrameKind::kClosed));
static_assert(SIPRING_CLOSE_NONE == int(CloseReason::kNone) &&
              SIPRING_CLOSE_PEER_CLOSED == int(CloseReason::kPeerClosed) &&
              SIPRING_CLOSE_IO_ERROR == int(CloseReason::kIoError) &&
              SIPRING_CLOSE_HANDSHAKE_FAILED == int(CloseReason::kHandshakeFailed) &&
              SIPRING_CLOSE_HANDSHAKE_TIMEOUT == int(CloseReason::kHandshakeTimeout) &&
              SIPRING_CLOSE_TLS_ERROR == int(CloseReason::kTlsError) &&
              SIPRING_CLOSE_IDLE_TIMEOUT == int(CloseReason::kIdleTimeout) &&
              SIPRING_CLOSE_BAD_MESSAGE == int(CloseReason::kBadMessage) &&
              SIPRING_CLOSE_LOCAL == int(CloseReason::kLocalClose) &&
              SIPRING_CLOSE_SHUTDOWN == int(CloseReason::kShutdown) &&
              SIPRING_CLOSE_CONNECT_FAILED == int(CloseReason::kConnectFailed) &&
              SIPRING_CLOSE_QUEUE_FULL == int(CloseReason::kQueueFull) &&
              SIPRING_CLOSE_SEND_TIMEOUT == int(CloseReason::kSendTimeout) &&
              SIPRING_CLOSE_MESSAGE_TIMEOUT == int(CloseReason::kMessageTimeout) &&
              SIPRING_CLOSE_MEMORY_BUDGET == int(CloseReason::kMemoryBudget));

// --- Status codes and error text (c_status.cc) ---

// The SIPRING_ERR_* code of an Errc / a SendStatus.
int status_of(Errc code) noexcept;
int status_of(SendStatus status) noexcept;

// Copies `text` into out (cut to fit, NUL-terminated) when out is set and size > 0. Returns
// whether all of it fit.
bool copy_text(char* out, size_t size, std::string_view text) noexcept;
// Copies `message` into err (copy_text), then returns `status`.
int fail(char* err, size_t err_size, int status, std::string_view message) noexcept;
// The Error's code (mapped) and message.
int fail(char* err, size_t err_size, const Error& error) noexcept;

// Runs `body` (returning T) and returns its result; an exception becomes `on_error` with
// "<function>: internal error: <what>" in err (and in the log, for calls without err).
template <class T, class F>
T guarded(const char* function, char* err, size_t err_size, T on_error, F&& body) noexcept {
  const char* what = "unknown exception";
  try {
    return body();
  } catch (const std::bad_alloc&) {
    what = "out of memory";
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  // Formatting into a stack buffer: no second exception while reporting the first.
  char text[512];
  snprintf(text, sizeof(text), "%s: internal error (please report it): %s", function, what);
  copy_text(err, err_size, text);
  SIPRING_LOG(kLogBug, "capi", "%s", text);
  return on_error;
}

// --- Configuration (c_config.cc) ---

// The rules a config file's parser checks across lines, for a Config built by parameter calls.
Status check_config(const Config& cfg);

// --- Addresses, destinations (c_status.cc) ---

// A copy of `a`'s fields; allocation-free (per frame).
inline void to_c_addr(const SockAddr& a, sipring_addr* out) noexcept {
  std::memset(out, 0, sizeof(*out));
  out->family = a.family();
  if (a.family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(a.sa());
    out->port = ntohs(v4->sin_port);
    std::memcpy(out->ip, &v4->sin_addr, 4);
  } else if (a.family() == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(a.sa());
    out->port = ntohs(v6->sin6_port);
    out->scope_id = v6->sin6_scope_id;
    std::memcpy(out->ip, &v6->sin6_addr, 16);
  }
}

// `to` as a Destination: the address parsed, the names copied (NULL = ""). Errors say which
// field is wrong (Errc::kInvalidArgument).
Status to_destination(const sipring_destination* to, Destination* out);
// to_destination for the calls without an err buffer (sipring_send_to, sipring_port_send_to):
// the reason goes to the log, prefixed with `function`. Returns SIPRING_OK or the error's code.
int to_destination_logged(const char* function, const sipring_destination* to, Destination* out);

// A message's bytes as the C++ API takes them.
inline std::span<const uint8_t> bytes_of(const void* data, size_t size) noexcept {
  return {static_cast<const uint8_t*>(data), size};
}

// --- Frames ---

// The sipring_frame flags of `f` (the one place that reads Frame's flags).
inline uint8_t c_flags(const Frame& f) noexcept {
  return static_cast<uint8_t>(((f.flags & kFrameTls) ? SIPRING_FLAG_TLS : 0) |
                              ((f.flags & kFramePeerVerified) ? SIPRING_FLAG_PEER_VERIFIED : 0) |
                              ((f.flags & kFrameClientRole) ? SIPRING_FLAG_CLIENT_ROLE : 0) |
                              ((f.flags & kFrameResumed) ? SIPRING_FLAG_RESUMED : 0));
}

// A field-by-field copy of `f`; allocation-free (per frame).
inline void to_c_frame(const Frame& f, sipring_frame* out) noexcept {
  out->conn = f.conn.raw();
  out->data = reinterpret_cast<const char*>(f.data);
  out->size = f.kind == FrameKind::kMessage ? f.size : 0;
  out->reactor = f.reactor;
  out->kind = static_cast<uint8_t>(f.kind);
  out->flags = c_flags(f);
  out->tls_version = f.tls_version;
  out->cipher = f.cipher;
  out->reason = f.kind == FrameKind::kClosed ? static_cast<uint16_t>(f.reason) : 0;
  out->reserved = 0;
  to_c_addr(f.peer, &out->peer);
  to_c_addr(f.local, &out->local);
}

}  // namespace sipring::capi
