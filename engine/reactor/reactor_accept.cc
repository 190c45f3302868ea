// How connections begin: multishot accept (server role), connect (client role), and moving the
// new socket into the ring's direct descriptor table so it stops costing a process fd and a
// file-table lookup on every operation.
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "crypto/verify.h"
#include "engine/base/probes.h"
#include "engine/reactor/conn_sink.h"
#include "engine/reactor/op.h"
#include "engine/reactor/reactor.h"

namespace sipring {
namespace {

SockAddr peer_of(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return SockAddr();
  return SockAddr::from(reinterpret_cast<sockaddr*>(&ss), len);
}

SockAddr local_of(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return SockAddr();
  return SockAddr::from(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace

void Reactor::arm_accept(uint32_t listener) {
  ReactorListener& l = listeners_[listener];
  if (l.fd < 0 || l.accept_armed) return;
  io_uring_sqe* sqe = uring_.sqe();
  io_uring_prep_multishot_accept(sqe, l.fd, nullptr, nullptr, SOCK_CLOEXEC);
  io_uring_sqe_set_data64(sqe, op_data(Op::kAccept, listener, 0));
  l.accept_armed = true;
}

void Reactor::pause_accepting() {
  if (accept_paused_) return;
  accept_paused_ = true;
  counters_.handshake_waits.add();
  SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogWarn, "accept",
                      "reactor %u: %u TLS handshakes in progress (sipring.max_handshakes): new "
                      "connections wait in the kernel's backlog until some finish",
                      index_, handshakes_in_flight_);
  for (uint32_t i = 0; i < listeners_.size(); i++) {
    if (!listeners_[i].accept_armed) continue;
    // Its completion (-ECANCELED, no F_MORE) clears accept_armed in on_accept.
    io_uring_sqe* sqe = uring_.sqe();
    io_uring_prep_cancel64(sqe, op_data(Op::kAccept, i, 0), 0);
    io_uring_sqe_set_data64(sqe, op_data(Op::kNone, 0, 0));
  }
}

void Reactor::resume_accepting() {
  if (!accept_paused_) return;
  accept_paused_ = false;
  if (!accepting_) return;
  for (uint32_t i = 0; i < listeners_.size(); i++) arm_accept(i);
}

void Reactor::end_handshake(Connection* c) noexcept {
  if (!(c->flags & kConnHandshakeCounted)) return;
  c->flags &= static_cast<uint16_t>(~kConnHandshakeCounted);
  // A proxy listener's connection is counted for its source only once the header named it.
  if (c->flags & kConnSourceCounted) shared_->sources.sub(SourceLimits::kHandshakes, c->source);
  handshakes_in_flight_--;
  counters_.handshakes_in_flight.sub();
  // Hysteresis: accept again once an eighth of the limit is free, not at every single one.
  const uint32_t max = cfg_->engine.max_handshakes;
  if (accept_paused_ && handshakes_in_flight_ < max - max / 8) {
    resume_accepting();
  }
}

bool Reactor::admit(const SockAddr& peer, SourceLimits::Slots slots) {
  const char* what = nullptr;
  char detail[160];
  const uint32_t held = shared_->sources.count(SourceLimits::kConnections, slots);
  const uint32_t shaking = shared_->sources.count(SourceLimits::kHandshakes, slots);
  // The reserve: the last source_reserve_percent of the table only takes sources holding fewer
  // than kSmallHolder connections, so a newcomer still gets in while the big holders wait.
  constexpr uint32_t kSmallHolder = 8;
  const uint32_t reserve = static_cast<uint32_t>(uint64_t{conns_->capacity()} *
                                                 cfg_->engine.source_reserve_percent / 100);
  const uint32_t max_handshakes = cfg_->engine.max_handshakes;
  if (held >= shared_->max_per_source) {
    counters_.source_refused.add();
    what = "refusing a connection: its source is at its limit";
    snprintf(detail, sizeof(detail), "%u connections (sipring.max_connections_per_source %u)", held,
             shared_->max_per_source);
  } else if (shaking >= shared_->max_handshakes_per_source) {
    counters_.source_refused.add();
    what = "refusing a connection: its source has too many handshakes in progress";
    snprintf(detail, sizeof(detail), "%u (sipring.max_handshakes_per_source %u)", shaking,
             shared_->max_handshakes_per_source);
  } else if (held >= kSmallHolder && conns_->in_use() + reserve >= conns_->capacity()) {
    counters_.reserve_refused.add();
    what = "refusing a connection: the table is in its reserve and this source holds many";
    snprintf(detail, sizeof(detail),
             "%u connections; %u of %u slots used (sipring.source_reserve_percent %u)", held,
             conns_->in_use(), conns_->capacity(), cfg_->engine.source_reserve_percent);
  } else if (shaking >= kSmallHolder &&
             handshakes_in_flight_ + max_handshakes * cfg_->engine.source_reserve_percent / 100 >=
                 max_handshakes) {
    // The same reserve for handshake slots: a few sources holding idle half-open handshakes
    // must not keep every newcomer out until their handshake timeouts.
    counters_.reserve_refused.add();
    what = "refusing a connection: handshake slots are in their reserve and this source holds many";
    snprintf(detail, sizeof(detail),
             "%u handshakes; %u of %u in progress (sipring.source_reserve_percent %u)", shaking,
             handshakes_in_flight_, max_handshakes, cfg_->engine.source_reserve_percent);
  } else {
    return true;
  }
  SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogWarn, "accept", "reactor %u: %s from %s: %s", index_,
                      what, AddrText(peer).c_str(), detail);
  return false;
}

void Reactor::on_accept(uint32_t listener, io_uring_cqe* cqe) {
  if (!(cqe->flags & IORING_CQE_F_MORE)) {
    listeners_[listener].accept_armed = false;
    if (accepting_ && !accept_paused_) arm_accept(listener);
  }
  int fd = cqe->res;
  if (fd < 0) {
    if (fd != -ECANCELED && fd != -EBADF) {
      SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogErr, "accept",
                          "reactor %u: accept on %s failed: %s", index_,
                          AddrText(listeners_[listener].addr).c_str(), strerror(-fd));
    }
    return;
  }
  if (!accepting_) {
    ::close(fd);
    return;
  }
  if (low_mem() & MemWatch::kRefuseNew) {
    counters_.low_mem_refused.add();
    SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogWarn, "tls",
                        "reactor %u: refusing a new TLS connection from %s: %llu KB free is "
                        "below tls.low_mem_threshold1 (%d KB)",
                        index_, AddrText(peer_of(fd)).c_str(),
                        static_cast<unsigned long long>(shared_->mem->free_kb()),
                        shared_->mem->threshold_kb(1));
    ::close(fd);
    return;
  }
  if (handshakes_in_flight_ >= cfg_->engine.max_handshakes) {
    // Accepting is paused (or its cancel is on the way), but one multishot accept may hand over
    // a whole backlog at once: what exceeds the limit is refused, never queued here.
    counters_.handshake_refused.add();
    SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogWarn, "accept",
                        "reactor %u: refusing a connection from %s: %u TLS handshakes already "
                        "in progress (sipring.max_handshakes)",
                        index_, AddrText(peer_of(fd)).c_str(), handshakes_in_flight_);
    ::close(fd);
    return;
  }
  const SockAddr peer = peer_of(fd);
  const bool proxy = listeners_[listener].proxy;
  if (proxy && !any_contains(shared_->proxy_trusted, peer)) {
    // Only a balancer may say who the client is (README "PROXY protocol").
    counters_.proxy_untrusted.add();
    SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogWarn, "accept",
                        "reactor %u: refusing a connection to PROXY protocol listener %s from "
                        "%s: not in sipring.proxy_protocol_trusted",
                        index_, AddrText(listeners_[listener].addr).c_str(),
                        AddrText(peer).c_str());
    ::close(fd);
    return;
  }
  // Per-source limits count the real client: on a proxy listener, once the header names it
  // (read_proxy_header); the balancer itself is no source.
  const SourceLimits::Slots slots = shared_->sources.slots_of(peer);
  if (!proxy && !admit(peer, slots)) {
    ::close(fd);
    return;
  }
  Connection* c = conns_->alloc();
  if (c == nullptr) {
    ::close(fd);
    SIPRING_LOG_LIMITED(peer_log_, now_ns_, kLogErr, "accept",
                        "reactor %u: connection table full (%u connections): refusing a new one; "
                        "raise sipring.max_connections",
                        index_, conns_->capacity());
    return;
  }
  // Per connection, not per message: two cheap syscalls give the addresses that io_uring's
  // multishot accept cannot report reliably.
  c->peer = peer;
  c->flags |= kConnHandshakeCounted;
  if (!proxy) {
    c->source = slots;
    c->flags |= kConnSourceCounted;
    shared_->sources.add(SourceLimits::kConnections, slots);
    shared_->sources.add(SourceLimits::kHandshakes, slots);
  }
  counters_.handshakes_in_flight.add();
  if (++handshakes_in_flight_ >= cfg_->engine.max_handshakes) pause_accepting();
  c->local = listeners_[listener].wildcard ? local_of(fd) : listeners_[listener].addr;
  c->fd = fd;
  c->listener = static_cast<uint16_t>(listener);
  c->state = ConnState::kInstalling;
  c->last_io_ns = c->created_ns =
      now_ns_;  // the server handshake's start (before any PROXY header)
  counters_.accepted.add();
  SIPRING_PROBE(accept, conns_->id_of(c).raw(), index_);
  counters_.connections_open.add();
  // The connection's one timer (its slot in the wheel) bounds the PROXY header first, on a
  // proxy listener; read_proxy_header() re-arms the same timer for the handshake once the
  // header is in, and on_timer() tells the two apart by the state (kProxyHeader or not). No
  // second timer per connection: the two deadlines never run at once.
  const int timeout_ms =
      proxy ? cfg_->engine.proxy_header_timeout_ms : cfg_->engine.handshake_timeout_ms;
  timers_->arm(conns_->slot_of(c), now_ns_ + uint64_t(timeout_ms) * 1'000'000ull);
  install(c);
}

void Reactor::install(Connection* c) {
  int plain = c->fd;
  uint32_t slot = conns_->slot_of(c);
  io_uring_sqe* sqe = uring_.sqe();
  // The kernel reads the plain fd from c->fd and writes the allocated direct index back there.
  io_uring_prep_files_update(sqe, &c->fd, 1, static_cast<int>(IORING_FILE_INDEX_ALLOC));
  io_uring_sqe_set_data64(sqe, op_data(Op::kInstall, slot, c->generation));
  sqe->flags |= IOSQE_IO_LINK;
  sqe = uring_.sqe();
  io_uring_prep_close(sqe, plain);
  io_uring_sqe_set_data64(sqe, op_data(Op::kCloseFd, slot, c->generation));
  c->ops += 2;
  c->flags |= kConnInstalling;
}

void Reactor::on_install(Connection* c, int res) {
  c->ops--;
  c->flags &= static_cast<uint16_t>(~kConnInstalling);
  if (res != 1) {
    // Nothing was installed, so the linked close was cancelled: the plain fd is still ours.
    log_peer(kLogErr, c, "cannot install the socket as a direct descriptor", strerror(-res));
    ::close(c->fd);
    c->fd = -1;
    close_conn(c, CloseReason::kIoError);
    return;
  }
  c->flags |= kConnFixed;
  if (c->state == ConnState::kClosing) return;
  if (c->flags & kConnClient) {
    start_tls(c);
    return;
  }
  if (listeners_[c->listener].proxy) {
    // The header first, through the same receive path; TLS begins after it.
    c->state = ConnState::kProxyHeader;
    arm_recv(c);
    return;
  }
  if (begin_server_tls(c)) arm_recv(c);
}

bool Reactor::begin_server_tls(Connection* c) {
  // The TLS domain of the address it was accepted on; SNI may switch it during the handshake.
  c->tls_set = snap_->tls;
  c->domain = c->tls_set ? c->tls_set->server_domain(c->local, {}) : nullptr;
  SSL_CTX* ctx = c->tls_set ? c->tls_set->context_of(c->domain) : nullptr;
  if (ctx == nullptr) {
    log_peer(kLogErr, c, "no TLS server domain for this address", "");
    close_conn(c, CloseReason::kHandshakeFailed);
    return false;
  }
  c->tls = TlsConn::server(ctx);
  if (!c->tls) {
    log_peer(kLogErr, c, "out of memory for a TLS session", "");
    close_conn(c, CloseReason::kIoError);
    return false;
  }
  c->tls->set_user(c);
  c->state = ConnState::kHandshake;
  return true;
}

void Reactor::on_connect(Connection* c, int res) {
  c->ops--;
  if (c->state == ConnState::kClosing) return;
  if (res < 0) {
    log_peer(kLogInfo, c, "connect failed", strerror(-res));
    close_conn(c, CloseReason::kConnectFailed);
    return;
  }
  c->local = local_of(c->fd);
  counters_.connected.add();
  c->connected_ns = now_ns_;
  instr_.record(HistogramId::connect, now_ns_ - c->created_ns);
  SIPRING_PROBE(connect_done, conns_->id_of(c).raw(), now_ns_ - c->created_ns);
  c->state = ConnState::kInstalling;
  install(c);
}

void Reactor::start_tls(Connection* c) {
  c->state = ConnState::kHandshake;
  if (shared_->client_proxy_protocol != 0 && !queue_proxy_header(c)) {
    log_peer(kLogErr, c, "cannot queue the PROXY protocol header", "");
    close_conn(c, CloseReason::kConnectFailed);
    return;
  }
  ConnSink sink(this, c);
  size_t consumed;
  if (c->tls->handshake({}, &consumed, sink) == TlsConn::Step::kFailed) {
    log_peer(kLogErr, c, "TLS client handshake could not start", c->tls->failure_reason());
    close_conn(c, CloseReason::kHandshakeFailed);
    return;
  }
  mark_dirty(c);
  arm_recv(c);
}

std::string Reactor::session_key(const SockAddr& addr, const SSL_CTX* ctx, uint64_t generation,
                                 std::string_view sni, std::string_view expected_name) {
  char head[64];
  snprintf(head, sizeof(head), "%p/%llu|", static_cast<const void*>(ctx),
           static_cast<unsigned long long>(generation));
  std::string key = head;
  key += addr.to_string();
  key += '|';
  key += sni;
  key += '|';
  key += expected_name;
  return key;
}

SSL_SESSION* Reactor::session_for(const std::string& key) {
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : it->second.get();
}

int Reactor::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* c = static_cast<Connection*>(TlsConn::user_of(ssl));
  if (c == nullptr || current_ == nullptr) return 0;
  // Returning 1 takes ownership of the reference BoringSSL passed us.
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  std::string key =
      session_key(c->peer, SSL_get_SSL_CTX(ssl), c->tls_set ? c->tls_set->generation() : 0,
                  sni != nullptr ? sni : "", expected_peer_name(ssl));
  current_->sessions_[key].reset(session);
  return 1;
}

int Reactor::on_server_name(SSL* ssl, int*, void* set) {
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  auto* c = static_cast<Connection*>(TlsConn::user_of(ssl));
  if (sni == nullptr || c == nullptr) return SSL_TLSEXT_ERR_OK;
  if (const TlsDomain* d =
          static_cast<const TlsContextSet*>(set)->on_server_name(ssl, c->local, sni)) {
    c->domain = d;
  }
  if (c->sni == nullptr) {
    size_t n = strnlen(sni, 255);
    c->sni.reset(new (std::nothrow) char[n + 1]);
    if (c->sni) {
      memcpy(c->sni.get(), sni, n);
      c->sni[n] = '\0';
    }
  }
  return SSL_TLSEXT_ERR_OK;
}

}  // namespace sipring
