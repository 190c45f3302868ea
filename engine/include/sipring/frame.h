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

// What a Frame says of its connection: one bit each in Frame::flags, read with Frame::has() or
// the named accessors.
enum class FrameFlag : uint8_t {
  kTls = 1 << 0,           // received over TLS (always, for now)
  kPeerVerified = 1 << 1,  // the peer presented a certificate whose chain verified
  kClientRole = 1 << 2,    // sipring opened this connection (client role)
  kResumed = 1 << 3,       // the TLS session was resumed (kOpened and later frames)
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

// Plain data: the engine fills every field, the core only reads them.
struct Frame {
  ConnId conn;           // where replies go: Engine::send(conn, ...)
  const uint8_t* data;   // the whole message, head and body (kMessage; nullptr otherwise)
  uint32_t size;         // bytes at data
  uint16_t reactor;      // index of the owning reactor
  uint16_t tls_version;  // the TLS protocol version as on the wire: 0x0303 = TLS 1.2,
                         // 0x0304 = TLS 1.3; 0 before a handshake completed
  uint16_t cipher;       // IANA TLS cipher suite number, e.g. 0x1301 (TLS_AES_128_GCM_SHA256)
  uint8_t flags;         // FrameFlag bits
  FrameKind kind;        // a message or a connection event
  CloseReason reason;    // kClosed only
  SockAddr peer;         // remote address
  SockAddr local;        // local address of the connection

  std::span<const uint8_t> bytes() const { return {data, size}; }
  std::string_view text() const { return {reinterpret_cast<const char*>(data), size}; }
  bool has(FrameFlag f) const { return (flags & static_cast<uint8_t>(f)) != 0; }
  void set(FrameFlag f) { flags = static_cast<uint8_t>(flags | static_cast<uint8_t>(f)); }
  bool tls() const { return has(FrameFlag::kTls); }
  bool peer_verified() const { return has(FrameFlag::kPeerVerified); }
  bool client_role() const { return has(FrameFlag::kClientRole); }
  bool resumed() const { return has(FrameFlag::kResumed); }
};
// Frames are copied by value through the handoff ring, per message (inside the ring's entry,
// engine/sync/handoff_entry.h, which adds the engine's buffer reference): growing one costs
// every message ring memory and cache traffic, so it is a decision, not an accident.
static_assert(sizeof(Frame) == 88, "Frame grew or shrank: update docs/architecture.md (Handoff)");

}  // namespace sipring
