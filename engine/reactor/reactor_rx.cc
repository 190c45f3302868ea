// The receive path up to plaintext: socket bytes -> (PROXY header) -> handshake steps -> TLS
// records opened in place -> deliver() (reactor_frames.cc: SIP framing, frames in the handoff
// ring). In the common case (a record inside one receive buffer) no byte is copied: the record is
// opened in the buffer the kernel filled. A record split across receives is copied (rx_partial,
// counted). Also here: receive backpressure (pausing and re-arming reads) and the accounting of
// partial input (rx_partial_bytes, the message clock).
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/reactor/conn_sink.h"
#include "engine/reactor/op.h"
#include "engine/reactor/reactor.h"

namespace sipring {
namespace {

constexpr size_t kRecordHeader = 5;
// TLS 1.2 allows 2^14 + 2048 bytes of ciphertext; TLS 1.3 less (the record layer checks).
constexpr size_t kMaxRecord = kRecordHeader + 16384 + 2048;

size_t record_length(const uint8_t* h) {
  return kRecordHeader + ((size_t{h[3]} << 8) | h[4]);
}

}  // namespace

void Reactor::unref(Block* b) noexcept {
  if (--b->refs != 0) return;
  if (b->bid == Block::kPooled) {
    pool_.put(b);
  } else {
    buffers_.give_back(b);
  }
}

void Reactor::arm_recv(Connection* c) {
  if ((c->flags & kConnRecvArmed) || c->state == ConnState::kClosing) return;
  submit_recv(c);
}

void Reactor::submit_recv(Connection* c) {
  // One receive buffer per recv, re-armed once the core has answered what it read (see
  // on_recv). A multishot recv would be one SQE cheaper per read, but it drains the whole socket
  // buffer (tcp_rmem allows tens of MB) into as many buffers as are free before sipring sees the
  // first of them: one pipelining peer could take every buffer of the reactor at once, and its
  // replies could pass sipring.conn_wq_max by megabytes before reading could pause. One buffer
  // per connection per iteration bounds both: reads are fair between connections, and a reply
  // queue passes conn_wq_max by at most the answers to one buffer of requests.
  io_uring_sqe* sqe = uring_.sqe();
  io_uring_prep_recv(sqe, c->fd, nullptr, 0, 0);
  sqe->flags |= IOSQE_BUFFER_SELECT;
  if (c->flags & kConnFixed) sqe->flags |= IOSQE_FIXED_FILE;
  sqe->buf_group = buffers_.group();
  io_uring_sqe_set_data64(sqe, op_data(Op::kRecv, conns_->slot_of(c), c->generation));
  c->flags = static_cast<uint16_t>((c->flags | kConnRecvArmed) & ~kConnNeedRearm);
  c->ops++;
}

void Reactor::on_recv(Connection* c, io_uring_cqe* cqe) {
  const int res = cqe->res;
  const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
  if (!more) {
    c->flags &= static_cast<uint16_t>(~kConnRecvArmed);
    c->ops--;
  }
  Block* blk = nullptr;
  if (cqe->flags & IORING_CQE_F_BUFFER) {
    blk = buffers_.take(static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT),
                        res > 0 ? static_cast<uint32_t>(res) : 0);
  }
  if (res > 0) {
    counters_.bytes_in.add(static_cast<uint64_t>(res));
    c->last_io_ns = now_ns_;
    if (!delivering_) {
      counters_.shutdown_discarded_bytes.add(static_cast<uint64_t>(res));
    } else if (blk != nullptr &&
               (c->state == ConnState::kHandshake || c->state == ConnState::kOpen ||
                c->state == ConnState::kProxyHeader)) {
      on_bytes(c, blk, blk->data, static_cast<size_t>(res));
    }
  } else if (res == 0) {
    if (c->state == ConnState::kProxyHeader) proxy_header_missing(c, false);
    if (c->state != ConnState::kClosing) close_conn(c, CloseReason::kPeerClosed);
  } else if (res == -ENOBUFS) {
    // Every receive buffer is held by frames the core has not popped yet: this connection
    // stops reading until buffers come back (backpressure by construction).
    counters_.recv_enobufs.add();
    if (!(c->flags & kConnNeedRearm)) {
      c->flags |= kConnNeedRearm;
      stopped_recv_.push_back(conns_->id_of(c).raw());
    }
  } else if (res != -ECANCELED) {
    if (c->state != ConnState::kClosing) io_failed(c, "receive", res);
  }
  if (blk != nullptr) unref(blk);
  if (res > 0) partial_changed(c);
  // tls.low_mem_threshold2: read no more; what arrives meanwhile waits in the kernel.
  if (res > 0 && (low_mem() & MemWatch::kPauseReads) && c->state != ConnState::kClosing) {
    pause_recv(c);
  }
  if (more || res <= 0 || (c->flags & (kConnRecvPaused | kConnNeedRearm))) return;
  if (c->state == ConnState::kClosing) {
    // Keep draining (and discarding) until the peer closes: see maybe_finish_close().
    if (!(c->flags & kConnHardClose)) submit_recv(c);
    return;
  }
  // Read again after the core has answered what this read brought (rearm_stopped_recvs runs
  // after it), so a peer that does not read its replies is paused before the next read.
  c->flags |= kConnNeedRearm;
  stopped_recv_.push_back(conns_->id_of(c).raw());
}

void Reactor::on_bytes(Connection* c, Block* blk, uint8_t* p, size_t n) {
  if (c->state == ConnState::kProxyHeader) {
    read_proxy_header(c, p, n);
    if (n == 0) return;
  }
  if (c->state == ConnState::kHandshake) {
    handshake_step(c, blk, p, n);
    if (c->state != ConnState::kOpen || n == 0) return;
  }
  switch (c->tls->mode()) {
    case TlsConn::Mode::kDirect13:
    case TlsConn::Mode::kDirect12:
      open_records(c, blk, p, n);
      break;
    case TlsConn::Mode::kBuffered:
      read_buffered(c, p, n);
      break;
    default:
      break;
  }
}

void Reactor::handshake_step(Connection* c, Block*, uint8_t*& p, size_t& n) {
  ConnSink sink(this, c);
  size_t consumed = 0;
  TlsConn::Step step = c->tls->handshake({p, n}, &consumed, sink);
  mark_dirty(c);
  p += consumed;
  n -= consumed;
  if (step == TlsConn::Step::kNeedMore) {
    n = 0;  // BoringSSL keeps partial handshake records itself
    return;
  }
  if (step == TlsConn::Step::kFailed) {
    counters_.handshake_failures.add();
    // A client the domain's certificates or groups cannot serve: an operator can act on it, so
    // it is logged whatever tls_log says (rate-limited, like every per-peer line).
    int level = cfg_->tls.tls_log;
    switch (c->tls->certificate_outcome()) {
      case CertOutcome::kNoSharedGroup:
        counters_.no_shared_group.add();
        level = std::min(level, static_cast<int>(kLogNotice));
        break;
      case CertOutcome::kNoCertificate:
        counters_.no_fitting_certificate.add();
        level = std::min(level, static_cast<int>(kLogNotice));
        break;
      default:
        break;
    }
    char detail[160];
    const char* why = c->tls->failure_reason();
    if (const char* ocsp = c->tls->ocsp_refusal()) {
      counters_.ocsp_refusals.add();
      snprintf(detail, sizeof(detail), "OCSP staple refused (tls.ocsp_require): %s", ocsp);
      why = detail;
    } else if (int v = c->tls->verify_result(); v != X509_V_OK) {
      snprintf(detail, sizeof(detail), "%s (%s)", why, X509_verify_cert_error_string(v));
      why = detail;
    }
    log_peer(level, c, "TLS handshake failed", why);
    close_conn(c, CloseReason::kHandshakeFailed);
    n = 0;
    return;
  }
  const bool resumed = c->tls->resumed();
  (resumed ? counters_.handshakes_resumed : counters_.handshakes_full).add();
  note_handshake(c, resumed);
  if (c->tls->certificate_outcome() == CertOutcome::kSecond)
    counters_.handshakes_certificate2.add();
  if (c->tls->stapled()) counters_.ocsp_staples_sent.add();
  if (c->tls->mode() == TlsConn::Mode::kDirect13) counters_.tls13_direct.add();
  if (c->tls->mode() == TlsConn::Mode::kDirect12) counters_.tls12_direct.add();
  c->state = ConnState::kOpen;
  end_handshake(c);
  timers_->disarm(conns_->slot_of(c));
  arm_open_timer(c);
  if (c->flags & kConnClient) {
    c->flags |= kConnAnnounced;
    emit_event(c, FrameKind::kOpened);
    // Messages the core queued while the handshake ran go out now, in order.
    Block* q = c->ct_queue;
    c->ct_queue = nullptr;
    drop_ct_accounting(c);
    while (q != nullptr) {
      Block* next = q->next;
      queue_plain(c, {q->data, q->size});
      unref(q);
      q = next;
    }
  }
}

void Reactor::open_records(Connection* c, Block* blk, uint8_t* p, size_t n) {
  if (Block* rp = c->rx_partial) {
    // Finish the record that started in an earlier receive (a copy, counted).
    if (rp->size < kRecordHeader) {
      size_t k = std::min(kRecordHeader - rp->size, n);
      memcpy(rp->end(), p, k);
      rp->size += static_cast<uint32_t>(k);
      p += k;
      n -= k;
      counters_.rx_partial_record_bytes.add(k);
      if (rp->size < kRecordHeader) return;
    }
    size_t len = record_length(rp->data);
    if (len > kMaxRecord) {
      fail_record(c, SSL_AD_RECORD_OVERFLOW, "record longer than TLS allows");
      return;
    }
    if (len > rp->capacity) {
      Block* nb = pool_.get(static_cast<uint32_t>(len));
      if (nb == nullptr) {
        close_conn(c, CloseReason::kIoError);
        return;
      }
      memcpy(nb->data, rp->data, rp->size);
      nb->size = rp->size;
      unref(rp);
      c->rx_partial = rp = nb;
    }
    size_t k = std::min(len - rp->size, n);
    memcpy(rp->end(), p, k);
    rp->size += static_cast<uint32_t>(k);
    p += k;
    n -= k;
    counters_.rx_partial_record_bytes.add(k);
    if (rp->size < len) return;
    c->rx_partial = nullptr;
    open_record(c, rp, rp->data, len);
    unref(rp);
    if (c->state != ConnState::kOpen) return;
  }
  // Whole records inside this buffer: opened where they lie.
  while (n >= kRecordHeader) {
    size_t len = record_length(p);
    if (len > kMaxRecord) {
      fail_record(c, SSL_AD_RECORD_OVERFLOW, "record longer than TLS allows");
      return;
    }
    if (len > n) break;
    open_record(c, blk, p, len);
    if (c->state != ConnState::kOpen) return;
    p += len;
    n -= len;
  }
  if (n > 0) {
    size_t want = n >= kRecordHeader ? record_length(p) : 2048;
    Block* rp = pool_.get(static_cast<uint32_t>(std::max(want, n)));
    if (rp == nullptr) {
      close_conn(c, CloseReason::kTlsError);
      return;
    }
    memcpy(rp->data, p, n);
    rp->size = static_cast<uint32_t>(n);
    c->rx_partial = rp;
    counters_.rx_partial_record_bytes.add(n);
  }
}

void Reactor::open_record(Connection* c, Block* blk, uint8_t* rec, size_t len) {
  std::span<uint8_t> pt;
  uint8_t alert = 0;
  bool key_update = false;
  switch (c->tls->open(rec, len, &pt, &alert, &key_update)) {
    case TlsConn::Open::kData:
      counters_.records_in.add();
      if (!pt.empty()) deliver(c, blk, pt);
      return;
    case TlsConn::Open::kKeyUpdate:
      counters_.records_in.add();
      counters_.key_updates.add();  // every KeyUpdate, requested or not
      if (key_update) {
        log_peer(cfg_->tls.tls_debug, c, "TLS 1.3 KeyUpdate requested by the peer", "");
        // Everything staged so far was meant for the old key: seal it first.
        seal_open_record(c);
        ConnSink sink(this, c);
        if (!c->tls->seal_key_update(sink)) {
          close_conn(c, CloseReason::kTlsError);
          return;
        }
        mark_dirty(c);
      }
      return;
    case TlsConn::Open::kHandled:
      counters_.records_in.add();
      return;
    case TlsConn::Open::kCloseNotify:
      close_conn(c, CloseReason::kPeerClosed);
      return;
    case TlsConn::Open::kError:
      if (alert == 0) {
        log_peer(cfg_->tls.tls_log, c, "TLS connection ended by the peer's fatal alert",
                 c->tls->failure_reason());
        close_conn(c, CloseReason::kTlsError);
        return;
      }
      fail_record(c, alert, c->tls->failure_reason());
      return;
  }
}

void Reactor::fail_record(Connection* c, uint8_t alert, const char* why) {
  char detail[160];
  snprintf(detail, sizeof(detail), "%s; sent fatal alert %s", why,
           SSL_alert_desc_string_long(alert));
  log_peer(cfg_->tls.tls_log, c, "bad TLS record", detail);
  ConnSink sink(this, c);
  c->tls->send_fatal_alert(alert, sink);
  mark_dirty(c);
  close_conn(c, CloseReason::kTlsError);
}

void Reactor::read_buffered(Connection* c, uint8_t* p, size_t n) {
  c->tls->feed({p, n});
  ConnSink sink(this, c);
  for (;;) {
    Block* b = pool_.get(16384);
    if (b == nullptr) {
      close_conn(c, CloseReason::kIoError);
      return;
    }
    size_t got = 0;
    TlsConn::Read r = c->tls->read(b->data, b->capacity, &got, sink);
    if (r == TlsConn::Read::kData) {
      b->size = static_cast<uint32_t>(got);
      counters_.records_in.add();
      deliver(c, b, {b->data, got});
      unref(b);
      if (c->state != ConnState::kOpen) return;
      continue;
    }
    unref(b);
    if (r == TlsConn::Read::kCloseNotify) close_conn(c, CloseReason::kPeerClosed);
    if (r == TlsConn::Read::kError) {
      log_peer(cfg_->tls.tls_log, c, "bad TLS record", c->tls->failure_reason());
      close_conn(c, CloseReason::kTlsError);
    }
    break;
  }
  mark_dirty(c);
}

void Reactor::partial_changed(Connection* c) noexcept {
  const uint32_t held = (c->rx_partial != nullptr ? c->rx_partial->capacity : 0) +
                        (c->msg_asm != nullptr ? c->msg_asm->capacity : 0);
  if (held > c->rx_held) {
    counters_.rx_partial_bytes.add(held - c->rx_held);
    if (!rx_share_.add(held - c->rx_held)) over_budget_ = true;
  } else if (held < c->rx_held) {
    counters_.rx_partial_bytes.sub(c->rx_held - held);
    rx_share_.sub(c->rx_held - held);
  }
  c->rx_held = held;
  if (held == 0) {
    c->rx_since_ns = 0;
  } else if (c->rx_since_ns == 0 && c->state == ConnState::kOpen) {
    // A message (or record) is incomplete: it must complete within message_timeout_ms, however
    // slowly its bytes trickle in (each byte would otherwise restart the idle timer).
    c->rx_since_ns = now_ns_;
    timers_->arm_no_later(conns_->slot_of(c),
                          now_ns_ + uint64_t(cfg_->engine.message_timeout_ms) * 1'000'000ull);
  }
}

void Reactor::pause_recv(Connection* c) {
  if (c->flags & kConnRecvPaused) return;
  c->flags |= kConnRecvPaused | kConnNeedRearm;
  counters_.recv_paused.add();
  stopped_recv_.push_back(conns_->id_of(c).raw());
  if ((c->flags & kConnRecvArmed) && !(c->flags & kConnCancelSubmitted)) {
    io_uring_sqe* sqe = uring_.sqe();
    io_uring_prep_cancel64(sqe, op_data(Op::kRecv, conns_->slot_of(c), c->generation), 0);
    io_uring_sqe_set_data64(sqe, op_data(Op::kCancel, conns_->slot_of(c), c->generation));
    c->ops++;
  }
}

void Reactor::rearm_stopped_recvs() {
  if (stopped_recv_.empty()) return;
  if (low_mem() & MemWatch::kPauseReads) return;                // tls.low_mem_threshold2
  if (overflow_.size() > handoff_pause_threshold_ / 2) return;  // still backed up
  if (buffers_.held() + 8 >= buffers_.count()) return;          // no buffers to read into
  size_t keep = 0;
  for (uint64_t raw : stopped_recv_) {
    Connection* c = conns_->find(ConnId(raw));
    if (c == nullptr || c->state == ConnState::kClosing) continue;
    // Held back by its own unread replies: tx_shrank() lists it again once they drain.
    if (c->flags & kConnTxPaused) continue;
    if (c->flags & kConnRecvArmed) {
      // Its cancelled recv has not completed yet (an entry listed twice is kept only once).
      if (c->flags & kConnNeedRearm) stopped_recv_[keep++] = raw;
      continue;
    }
    if (!(c->flags & kConnNeedRearm)) continue;  // listed twice: re-armed already
    c->flags &= static_cast<uint16_t>(~(kConnRecvPaused | kConnNeedRearm));
    arm_recv(c);
    if (c->rx_since_ns != 0 && now_ns_ > c->last_io_ns) {
      // The message clock stood still while sipring held reading, which began at the last I/O
      // at the latest: move it on by that time. (A routine re-arm, in the iteration of the read
      // itself, moves it by nothing, so a trickling peer gains nothing.)
      c->rx_since_ns += now_ns_ - c->last_io_ns;
      timers_->arm_no_later(
          conns_->slot_of(c),
          c->rx_since_ns + uint64_t(cfg_->engine.message_timeout_ms) * 1'000'000ull);
    }
  }
  stopped_recv_.resize(keep);
}

}  // namespace sipring
