// A framed SIP message as the SIP core receives it from the handoff ring.
//
// The message bytes are borrowed: they live in a reactor-owned buffer until the core pops the
// frame from the ring, and must not be touched afterwards (copy them to keep them longer).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "sipring/conn_id.h"
#include "sipring/sock_addr.h"

namespace sipring {

enum FrameFlags : uint8_t {
  kFrameTls = 1 << 0,           // received over TLS (always, for now)
  kFramePeerVerified = 1 << 1,  // the peer presented a certificate whose chain verified
  kFrameClientRole = 1 << 2,    // sipring opened this connection (client role)
  kFrameResumed = 1 << 3,       // the TLS session was resumed (kOpened)
};

enum class FrameKind : uint8_t {
  kMessage,  // a complete SIP message
  kOpened,   // a client connection finished its handshake (client role only)
  kClosed,   // a connection closed; `reason` says why (sent for every connection the core saw)
};

// Why a connection closed.
enum class CloseReason : uint16_t {
  kNone,
  kPeerClosed,        // TCP FIN or TLS close_notify from the peer
  kIoError,           // reset, broken pipe or another socket error
  kHandshakeFailed,   // TLS handshake refused (see the log for BoringSSL's reason)
  kHandshakeTimeout,  // the handshake did not finish within sipring.handshake_timeout_ms
  kTlsError,          // a bad record or a fatal alert after the handshake
  kIdleTimeout,       // tls.connection_timeout expired without I/O
  kBadMessage,        // malformed SIP framing (answered 400 when possible)
  kLocalClose,        // the core asked for it
  kShutdown,          // the engine is stopping
  kConnectFailed,     // client role: TCP connect failed or timed out
  kQueueFull,         // the send queue exceeded its limit (sipring.conn_wq_hard_max)
  kSendTimeout,       // queued bytes made no progress for sipring.send_timeout_ms
  kMessageTimeout,    // a message did not complete within sipring.message_timeout_ms
  kMemoryBudget,      // closed to keep sipring.wq_max / sipring.rx_partial_max (largest first)
};
const char* close_reason_name(CloseReason r) noexcept;

struct Frame {
  ConnId conn;           // where replies go: Engine::send(conn, ...)
  const uint8_t* data;   // the whole message, head and body
  uint32_t size;         // bytes at data
  uint16_t reactor;      // index of the owning reactor
  uint16_t tls_version;  // TLS1_2_VERSION (0x0303) or TLS1_3_VERSION (0x0304)
  uint16_t cipher;       // IANA cipher suite number, e.g. 0x1301
  uint8_t flags;         // FrameFlags
  FrameKind kind;        // a message or a connection event
  CloseReason reason;    // kClosed only
  void* block;           // internal: the reactor buffer holding data (do not touch)
  SockAddr peer;         // remote address
  SockAddr local;        // local address of the connection

  std::span<const uint8_t> bytes() const { return {data, size}; }
  std::string_view text() const { return {reinterpret_cast<const char*>(data), size}; }
  bool peer_verified() const { return (flags & kFramePeerVerified) != 0; }
};
// Frames are copied by value through the handoff ring, per message: growing one costs every
// message ring memory and cache traffic, so it is a decision, not an accident.
static_assert(sizeof(Frame) == 96, "Frame grew or shrank: update docs/architecture.md (Handoff)");

}  // namespace sipring
