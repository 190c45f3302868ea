// Per-connection state, kept small because SIP means many mostly idle connections: an idle
// TLS 1.3 connection is this struct (~128 bytes) plus its record layer, and holds no buffers.
//
// Buffers appear only while needed: rx_partial while a TLS record is split across receives,
// msg_asm while a SIP message is split across records, the tx chain while bytes wait to be sent.
#pragma once

#include <cstdint>
#include <memory>
#include <type_traits>

#include "crypto/tls_conn.h"
#include "engine/io/block.h"
#include "engine/reactor/source_limits.h"
#include "engine/sip/sip_framer.h"
#include "engine/sync/instruments.h"
#include "engine/sync/reply_clock.h"
#include "engine/tls/tls_contexts.h"
#include "sipring/sock_addr.h"

namespace sipring {

enum class ConnState : uint8_t {
  kFree,         // slot unused
  kInstalling,   // accepted; moving its fd into the direct descriptor table
  kProxyHeader,  // proxy listener: reading the PROXY protocol header; TLS starts after it
  kConnecting,   // client: TCP connect in flight
  kHandshake,    // TLS handshake running
  kOpen,         // established: records flow
  kClosing,      // no more reading; flushing what is queued, then closing the socket
};

enum ConnFlags : uint16_t {
  kConnRecvArmed = 1 << 0,   // a multishot recv is armed
  kConnSendBusy = 1 << 1,    // a send is in flight
  kConnDirty = 1 << 2,       // on the reactor's flush list
  kConnRecvPaused = 1 << 3,  // reading paused by handoff backpressure
  kConnNeedRearm = 1 << 4,   // recv stopped (no buffers / paused) and must be re-armed
  kConnClient = 1 << 5,      // we opened it
  kConnFixed = 1 << 6,       // fd is a direct descriptor
  kConnCloseSubmitted = 1 << 7,
  kConnAnnounced = 1 << 8,  // the core was told it opened (client role)
  kConnCancelSubmitted = 1 << 9,
  kConnInstalling = 1 << 10,  // the fd is being moved into the direct table (an op in flight)
  kConnShutdownSubmitted = 1 << 11,
  kConnHardClose = 1 << 12,         // linger time is over: abort whatever is still pending
  kConnTxPaused = 1 << 13,          // reading paused: unsent replies passed sipring.conn_wq_max
  kConnSourceCounted = 1 << 14,     // counted in SourceLimits::kConnections (accepted)
  kConnHandshakeCounted = 1 << 15,  // counted as a server handshake in progress
};

// A connection accepted on a proxy listener (sipring.proxy_protocol_listen): the balancer's
// address and the PROXY header as received, parsed again only when facts are asked for.
struct ProxyOrigin {
  SockAddr balancer;  // the socket's peer
  uint32_t size = 0;
  std::unique_ptr<uint8_t[]> header;
};

struct Connection {
  static constexpr uint32_t kNoRecord = 0xffffffffu;

  uint32_t generation;  // of the ConnId that names this connection
  int32_t fd;           // direct descriptor (kConnFixed) or plain fd; -1 when none
  ConnState state;
  uint8_t ops;                 // SQEs in flight whose completion must arrive before reuse
  uint16_t flags;              // ConnFlags
  uint16_t listener;           // index of the listener that accepted it
  uint16_t close_reason;       // why it is closing (CloseReason), for the core and logs
  SipFramer framer;            // message boundary state of the plaintext stream
  uint32_t open_rec;           // offset in tx_tail of the record being filled, or kNoRecord
  uint32_t flush_next;         // next slot on the reactor's flush list
  uint64_t last_io_ns;         // for the idle timeout
  uint64_t tx_since_ns;        // queued bytes waiting since (or sent last at); 0 = none queued
  uint64_t rx_since_ns;        // a partial message or record held since; 0 = none
  uint32_t rx_held;            // bytes of rx_partial + msg_asm, as counted in rx_partial_bytes
  SourceLimits::Slots source;  // the peer's counters in SourceLimits (accepted connections)
  std::unique_ptr<TlsConn> tls;
  Block* rx_partial;  // a TLS record split across receives (ciphertext)
  Block* msg_asm;     // a SIP message split across records (plaintext)
  Block* tx_head;     // bytes to send, oldest first
  Block* tx_tail;
  Block* ct_queue;    // client role: plaintext queued until the handshake is done
  uint32_t tx_bytes;  // bytes queued in the tx chain
  uint32_t ct_bytes;  // bytes in ct_queue (limit: tls.con_ct_wq_max)
  SockAddr peer;
  SockAddr local;
  uint64_t created_ns;    // monotonic time of accept/connect, for tls.list
  uint64_t connected_ns;  // client role: TCP connected (its handshake's start)
  // When its replies were queued (reply_send histogram); nothing without instruments.
  [[no_unique_address]] std::conditional_t<kInstrumentsEnabled, ReplyClock, NoReplyClock> replies;
  const TlsDomain* domain;             // the TLS domain in use (in tls_set)
  std::unique_ptr<char[]> sni;         // server: the client's SNI; client: the SNI we sent
  std::unique_ptr<ProxyOrigin> proxy;  // proxy listeners: set once the header is read
  // The TLS contexts this connection started with: a reload does not change them under it.
  std::shared_ptr<const TlsContextSet> tls_set;
};

// Whether sipring, not the peer, stopped reading this connection (handoff backpressure, no free
// receive buffer, low memory): the rest of a partial message may be waiting in the kernel, so
// the message clock stands still (rearm_stopped_recvs moves it on by the pause). A pause the peer
// caused by not reading its own replies (kConnTxPaused) does not stop the clock.
inline bool reading_held_by_us(const Connection* c) noexcept {
  return (c->flags & (kConnRecvPaused | kConnNeedRearm)) != 0 && (c->flags & kConnTxPaused) == 0;
}

}  // namespace sipring
