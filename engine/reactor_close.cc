// How connections end, and the timers that end them.
//
// Closing is graceful and bounded: stop handing data to the core, send what is queued (a 400,
// a close_notify), shut down our write side so the peer sees everything before the FIN, keep
// draining what it still sends so the kernel does not answer with a reset, and close the socket
// when the peer closes too or the linger time (2 s) runs out. Only then is the slot reused.
#include <cstring>

#include "engine/conn_sink.h"
#include "engine/op.h"
#include "engine/reactor.h"

namespace sipring {
namespace {

constexpr uint64_t kLingerNs = 2'000'000'000ull;

}  // namespace

void Reactor::close_conn(Connection* c, CloseReason why) {
  if (c->state == ConnState::kClosing || c->state == ConnState::kFree) return;
  const ConnState prev = c->state;
  c->state = ConnState::kClosing;
  c->close_reason = static_cast<uint16_t>(why);
  uint32_t slot = conns_->slot_of(c);
  timers_->arm(slot, now_ns_ + kLingerNs);
  // Partial input can never become a message now.
  if (c->rx_partial != nullptr) unref(c->rx_partial);
  if (c->msg_asm != nullptr) unref(c->msg_asm);
  c->rx_partial = c->msg_asm = nullptr;
  drop_ct_queue(c);
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

void Reactor::drop_tx(Connection* c) {
  while (Block* b = c->tx_head) {
    c->tx_head = b->next;
    unref(b);
  }
  c->tx_tail = nullptr;
  c->open_rec = Connection::kNoRecord;
  c->tx_bytes = 0;
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
  drop_tx(c);
  drop_ct_queue(c);
  counters_.closed.add();
  counters_.connections_open.sub();
  conns_->release(c);
}

void Reactor::arm_idle_timer(Connection* c) {
  int timeout = cfg_->tls.connection_timeout;
  if (timeout < 0) return;  // -1: never close idle connections
  timers_->arm(conns_->slot_of(c), c->last_io_ns + uint64_t(timeout) * 1'000'000'000ull);
}

void Reactor::on_timer(uint32_t slot) {
  Connection* c = conns_->at(slot);
  switch (c->state) {
    case ConnState::kFree: return;
    case ConnState::kInstalling:
    case ConnState::kConnecting:
    case ConnState::kHandshake:
      counters_.handshake_timeouts.add();
      log_peer(cfg_->tls.tls_log, c, "TLS handshake timed out", "");
      close_conn(c, c->state == ConnState::kConnecting ? CloseReason::kConnectFailed
                                                       : CloseReason::kHandshakeTimeout);
      return;
    case ConnState::kOpen: {
      int timeout = cfg_->tls.connection_timeout;
      if (timeout < 0) return;
      uint64_t deadline = c->last_io_ns + uint64_t(timeout) * 1'000'000'000ull;
      if (deadline > now_ns_) {
        timers_->arm(slot, deadline);  // there was I/O since the timer was set
        return;
      }
      if (c->flags & (kConnRecvPaused | kConnNeedRearm)) {
        // Not idle: sipring stopped reading it (backpressure, no buffers, low memory) and the
        // peer's data may be waiting in the kernel. Closing now would lose it.
        timers_->arm(slot, now_ns_ + uint64_t(timeout) * 1'000'000'000ull);
        return;
      }
      counters_.idle_timeouts.add();
      close_conn(c, CloseReason::kIdleTimeout);
      return;
    }
    case ConnState::kClosing:
      hard_close(c);
      if (c->state == ConnState::kClosing) timers_->arm(slot, now_ns_ + kLingerNs);
      return;
  }
}

void Reactor::log_peer(int level, Connection* c, const char* what, const char* detail) {
  if (!log_enabled(level)) return;
  uint64_t suppressed = 0;
  if (!peer_log_.allow(now_ns_, &suppressed)) return;
  char peer[64];
  c->peer.format(peer, sizeof(peer));
  if (suppressed != 0) {
    log_line(level, "tls", "reactor %u: %s from %s%s%s (%llu similar lines suppressed)", index_,
             what, peer, detail[0] ? ": " : "", detail, static_cast<unsigned long long>(suppressed));
  } else {
    log_line(level, "tls", "reactor %u: %s from %s%s%s", index_, what, peer, detail[0] ? ": " : "",
             detail);
  }
}

}  // namespace sipring
