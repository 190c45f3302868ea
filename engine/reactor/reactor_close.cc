// How connections end, and the timers that end them.
//
// Closing is graceful and bounded: stop handing data to the core, send what is queued (a 400,
// a close_notify), shut down our write side so the peer sees everything before the FIN, keep
// draining what it still sends so the kernel does not answer with a reset, and close the socket
// when the peer closes too or the linger time (2 s) runs out. Only then is the slot reused.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/base/probes.h"
#include "engine/reactor/conn_sink.h"
#include "engine/reactor/op.h"
#include "engine/reactor/reactor.h"

namespace sipring {
namespace {

constexpr uint64_t kLingerNs = 2'000'000'000ull;

}  // namespace

void Reactor::close_conn(Connection* c, CloseReason why) {
  if (c->state == ConnState::kClosing || c->state == ConnState::kFree) return;
  const ConnState prev = c->state;
  c->state = ConnState::kClosing;
  c->close_reason = static_cast<uint16_t>(why);
  SIPRING_PROBE(close, conns_->id_of(c).raw(), static_cast<uint32_t>(why), close_reason_name(why));
  uint32_t slot = conns_->slot_of(c);
  timers_->arm(slot, now_ns_ + kLingerNs);
  // Partial input can never become a message now.
  if (c->rx_partial != nullptr) unref(c->rx_partial);
  if (c->msg_asm != nullptr) unref(c->msg_asm);
  c->rx_partial = c->msg_asm = nullptr;
  partial_changed(c);
  end_handshake(c);
  drop_ct_queue(c);
  if ((c->flags & (kConnFixed | kConnRecvArmed | kConnRecvPaused)) == kConnFixed &&
      (c->flags & kConnNeedRearm)) {
    // Its next read was waiting for the end of the iteration: read on, to drain until the peer
    // closes (see maybe_finish_close).
    c->flags &= static_cast<uint16_t>(~kConnNeedRearm);
    submit_recv(c);
  }
  if (prev == ConnState::kOpen && cfg_->tls.send_close_notify && why != CloseReason::kIoError &&
      c->tls) {
    if (seal_open_record(c)) {
      ConnSink sink(this, c);
      c->tls->close_notify(sink);
    }
  }
  if (prev == ConnState::kConnecting) {
    io_uring_sqe* sqe = uring_.sqe();
    io_uring_prep_cancel64(sqe, op_data(Op::kConnect, slot, c->generation), 0);
    io_uring_sqe_set_data64(sqe, op_data(Op::kCancel, slot, c->generation));
    c->ops++;
  }
  // The core hears about every connection it saw, and about every client connection it asked
  // for (so a failed connect is never silent).
  if (c->flags & (kConnAnnounced | kConnClient)) emit_event(c, FrameKind::kClosed);
  // A handshake that ends unfinished frees BoringSSL's state now (tens of KB, more while a
  // large ClientHello or Certificate message is half received), not after the linger: what
  // it still had to say (an alert) is already in the send queue. Never called from inside a
  // BoringSSL callback, so nothing of the SSL object is in use.
  if (prev == ConnState::kHandshake) c->tls.reset();
  // A balancer's TCP health check connects and closes (or resets) without a byte or within the
  // ClientHello: routine, so counted rather than logged (io_failed logs resets at debug only).
  if (prev == ConnState::kHandshake && !(c->flags & kConnClient) &&
      (why == CloseReason::kPeerClosed || why == CloseReason::kIoError)) {
    counters_.closed_before_handshake.add();
  }
  mark_dirty(c);
}

void Reactor::maybe_finish_close(Connection* c) {
  if (c->state != ConnState::kClosing) return;
  if (c->flags & kConnCloseSubmitted) {
    if (c->ops == 0) free_conn(c);
    return;
  }
  if (c->flags & kConnInstalling) return;  // on_install comes back here
  const bool hard = (c->flags & kConnHardClose) != 0;
  const bool fixed = (c->flags & kConnFixed) != 0;
  Block* h = c->tx_head;
  const bool unsent = (c->flags & kConnSendBusy) || (h != nullptr && h->ready > h->begin);
  const uint32_t slot = conns_->slot_of(c);
  if (unsent && !hard) return;
  const bool peer_open = (c->flags & kConnRecvArmed) != 0;
  if (fixed && peer_open && !(c->flags & kConnShutdownSubmitted)) {
    // Our side is done. SHUT_WR after a graceful flush lets the peer read everything before the
    // FIN; SHUT_RDWR on a hard close also aborts a send stuck on a peer that stopped reading.
    io_uring_sqe* sqe = uring_.sqe();
    io_uring_prep_shutdown(sqe, c->fd, hard ? SHUT_RDWR : SHUT_WR);
    sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data64(sqe, op_data(Op::kCancel, slot, c->generation));
    c->ops++;
    c->flags |= kConnShutdownSubmitted;
  }
  // Keep draining (and discarding) until the peer closes, so unread bytes do not turn our close
  // into a reset that could destroy the response we just sent.
  if (peer_open && !hard) return;
  if (hard && (c->flags & (kConnRecvArmed | kConnSendBusy)) && !(c->flags & kConnCancelSubmitted)) {
    io_uring_sqe* sqe = uring_.sqe();
    io_uring_prep_cancel_fd(sqe, c->fd,
                            IORING_ASYNC_CANCEL_ALL | (fixed ? IORING_ASYNC_CANCEL_FD_FIXED : 0));
    io_uring_sqe_set_data64(sqe, op_data(Op::kCancel, slot, c->generation));
    c->ops++;
    c->flags |= kConnCancelSubmitted;
  }
  // A direct descriptor index is reused by the next connection as soon as it is closed, so no
  // operation naming it (a late shutdown, a cancel, a recv) may still be in flight: close only
  // once every completion is in.
  if (c->ops != 0) return;
  if (fixed) {
    io_uring_sqe* sqe = uring_.sqe();
    io_uring_prep_close_direct(sqe, static_cast<unsigned>(c->fd));
    io_uring_sqe_set_data64(sqe, op_data(Op::kClose, slot, c->generation));
    c->ops++;
  } else if (c->fd >= 0) {
    ::close(c->fd);  // a plain fd: a client whose connect never completed
    c->fd = -1;
  }
  c->flags |= kConnCloseSubmitted;
  if (c->ops == 0) free_conn(c);
}

void Reactor::io_failed(Connection* c, const char* op, int res) {
  if (res == -ETIMEDOUT) {
    // TCP_USER_TIMEOUT (sipring.send_timeout_ms, set on every socket): the peer acknowledged
    // nothing, or kept its window closed, for that long.
    counters_.send_timeouts.add();
    char detail[96];
    snprintf(detail, sizeof(detail),
             "nothing acknowledged, or the receive window kept shut, for %d ms "
             "(sipring.send_timeout_ms, TCP_USER_TIMEOUT)",
             cfg_->engine.send_timeout_ms);
    log_peer(kLogNotice, c, "peer reads too little, connection aborted", detail);
    close_conn(c, CloseReason::kSendTimeout);
    return;
  }
  char what[32];
  snprintf(what, sizeof(what), "%s failed", op);
  log_peer(kLogDebug, c, what, strerror(-res));
  close_conn(c, CloseReason::kIoError);
}

void Reactor::drop_tx(Connection* c) {
  while (Block* b = c->tx_head) {
    c->tx_head = b->next;
    unref(b);
  }
  c->tx_tail = nullptr;
  c->open_rec = Connection::kNoRecord;
  tx_shrank(c, c->tx_bytes);
  c->replies.dropped();  // never sent: no reply_send value
}

void Reactor::drop_ct_accounting(Connection* c) {
  // Relaxed: see queue_plain().
  shared_->ct_bytes.fetch_sub(c->ct_bytes, std::memory_order_relaxed);
  c->ct_bytes = 0;
}

void Reactor::drop_ct_queue(Connection* c) {
  while (Block* q = c->ct_queue) {
    c->ct_queue = q->next;
    unref(q);
  }
  drop_ct_accounting(c);
}

void Reactor::hard_close(Connection* c) {
  c->flags |= kConnHardClose;
  // A send in flight still owns its block; the shutdown in maybe_finish_close() aborts it.
  if (!(c->flags & kConnSendBusy)) drop_tx(c);
  maybe_finish_close(c);
}

void Reactor::free_conn(Connection* c) {
  uint32_t slot = conns_->slot_of(c);
  timers_->disarm(slot);
  if (c->rx_partial != nullptr) unref(c->rx_partial);
  if (c->msg_asm != nullptr) unref(c->msg_asm);
  if (c->proxy) counters_.proxy_header_bytes.sub(c->proxy->size);
  drop_tx(c);
  drop_ct_queue(c);
  if (c->flags & kConnSourceCounted) shared_->sources.sub(SourceLimits::kConnections, c->source);
  counters_.closed.add();
  counters_.connections_open.sub();
  conns_->release(c);
}

uint64_t Reactor::open_deadline(const Connection* c) const noexcept {
  uint64_t d = UINT64_MAX;
  if (int idle = cfg_->tls.connection_timeout; idle >= 0) {  // -1: never closed for idleness
    d = c->last_io_ns + uint64_t(idle) * 1'000'000'000ull;
    // Not idle when sipring stopped reading it (backpressure, no buffers, low memory): the
    // peer's data may be waiting in the kernel, and closing now would lose it.
    if (d <= now_ns_ && (c->flags & (kConnRecvPaused | kConnNeedRearm))) {
      d = now_ns_ + uint64_t(idle) * 1'000'000'000ull;
    }
  }
  if (c->tx_since_ns != 0) {
    d = std::min<uint64_t>(d,
                           c->tx_since_ns + uint64_t(cfg_->engine.send_timeout_ms) * 1'000'000ull);
  }
  if (c->rx_since_ns != 0 && !reading_held_by_us(c)) {
    d = std::min<uint64_t>(
        d, c->rx_since_ns + uint64_t(cfg_->engine.message_timeout_ms) * 1'000'000ull);
  }
  return d;
}

void Reactor::arm_open_timer(Connection* c) {
  const uint64_t d = open_deadline(c);
  if (d == UINT64_MAX) {
    timers_->disarm(conns_->slot_of(c));
  } else {
    timers_->arm(conns_->slot_of(c), d);
  }
}

void Reactor::shed_over_budget() {
  over_budget_ = false;
  // At most a bounded number of closes per iteration: each frees its bytes (or will, once an
  // aborted send completes), and the next iteration sheds more if still needed.
  for (int round = 0; round < 64; round++) {
    const bool tx_over = !tx_share_.fits();
    const bool rx_over = !rx_share_.fits();
    if (!tx_over && !rx_over) return;
    Connection* worst = nullptr;
    uint32_t worst_bytes = 0;
    for (uint32_t s = 0; s < conns_->high_water(); s++) {
      Connection* c = conns_->at(s);
      if (c->state == ConnState::kFree || c->state == ConnState::kClosing) continue;
      const uint32_t bytes = tx_over ? c->tx_bytes : c->rx_held;
      if (bytes > worst_bytes) {
        worst = c;
        worst_bytes = bytes;
      }
    }
    if (worst == nullptr) {
      over_budget_ = true;  // what is over is already being closed: look again next time
      return;
    }
    counters_.budget_closed.add();
    char detail[128];
    snprintf(detail, sizeof(detail), "%u bytes %s, the largest here; sipring.%s is %llu",
             worst_bytes, tx_over ? "unsent" : "of partial input",
             tx_over ? "wq_max" : "rx_partial_max",
             static_cast<unsigned long long>(tx_over ? shared_->tx_budget.limit()
                                                     : shared_->rx_budget.limit()));
    log_peer(kLogWarn, worst, "memory budget exceeded, closing", detail);
    close_conn(worst, CloseReason::kMemoryBudget);
    hard_close(worst);
  }
  over_budget_ = true;
}

void Reactor::on_timer(uint32_t slot) {
  Connection* c = conns_->at(slot);
  switch (c->state) {
    case ConnState::kFree:
      return;
    case ConnState::kProxyHeader:
      proxy_header_missing(c, true);
      return;
    case ConnState::kInstalling:
    case ConnState::kConnecting:
    case ConnState::kHandshake:
      counters_.handshake_timeouts.add();
      log_peer(cfg_->tls.tls_log, c, "TLS handshake timed out", "");
      close_conn(c, c->state == ConnState::kConnecting ? CloseReason::kConnectFailed
                                                       : CloseReason::kHandshakeTimeout);
      return;
    case ConnState::kOpen: {
      const uint64_t ms = 1'000'000ull;
      if (c->tx_since_ns != 0 &&
          now_ns_ >= c->tx_since_ns + uint64_t(cfg_->engine.send_timeout_ms) * ms) {
        counters_.send_timeouts.add();
        char detail[96];
        snprintf(detail, sizeof(detail), "%u bytes unsent for %d ms (sipring.send_timeout_ms)",
                 c->tx_bytes, cfg_->engine.send_timeout_ms);
        log_peer(kLogNotice, c, "peer reads nothing, closing", detail);
        close_conn(c, CloseReason::kSendTimeout);
        hard_close(c);  // nothing queued will be read: do not linger on it
        return;
      }
      if (c->rx_since_ns != 0 && !reading_held_by_us(c) &&
          now_ns_ >= c->rx_since_ns + uint64_t(cfg_->engine.message_timeout_ms) * ms) {
        counters_.message_timeouts.add();
        // A complete head gets its 400 (RFC 3261 §18.3 expects an answer when it can be
        // built); a head still incomplete cannot be answered.
        const Block* a = c->msg_asm;
        const bool head_done = a != nullptr && memmem(a->data, a->size, "\r\n\r\n", 4) != nullptr;
        const bool answered = head_done && answer_400(c, {a->data, a->size}, "message timeout");
        char detail[96];
        snprintf(detail, sizeof(detail), "incomplete after %d ms (sipring.message_timeout_ms)",
                 cfg_->engine.message_timeout_ms);
        log_peer(kLogNotice, c,
                 answered ? "SIP message timed out, answered 400 and closing"
                          : "SIP message timed out, closing",
                 detail);
        close_conn(c, CloseReason::kMessageTimeout);
        return;
      }
      const int idle = cfg_->tls.connection_timeout;
      if (idle >= 0 && now_ns_ >= c->last_io_ns + uint64_t(idle) * 1'000'000'000ull &&
          !(c->flags & (kConnRecvPaused | kConnNeedRearm))) {
        counters_.idle_timeouts.add();
        close_conn(c, CloseReason::kIdleTimeout);
        return;
      }
      arm_open_timer(c);  // not due yet (there was I/O or progress since the timer was set)
      return;
    }
    case ConnState::kClosing:
      hard_close(c);
      if (c->state == ConnState::kClosing) timers_->arm(slot, now_ns_ + kLingerNs);
      return;
  }
}

void Reactor::log_peer(int level, Connection* c, const char* what, const char* detail) {
  SIPRING_LOG_LIMITED(peer_log_, now_ns_, level, "tls", "reactor %u: %s from %s%s%s", index_, what,
                      AddrText(c->peer).c_str(), detail[0] ? ": " : "", detail);
}

}  // namespace sipring
