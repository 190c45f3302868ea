// The send path: messages for a connection are copied once, into the plaintext area of an open
// TLS record in the connection's send buffer; everything queued during one loop iteration
// shares that record (coalescing), which is sealed in place and sent with one io_uring send at
// the end of the iteration.
//
// Send buffer layout (a chain of Blocks, oldest first):
//   [begin ... ready) sealed records not yet sent   [ready ... size) the open record, if any
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/base/probes.h"
#include "engine/reactor/conn_sink.h"
#include "engine/reactor/op.h"
#include "engine/reactor/reactor.h"

namespace sipring {
namespace {

constexpr size_t kMaxPlaintext = 16384;
constexpr uint32_t kDefaultTxBlock = 8192;

}  // namespace

Block* Reactor::tx_block(Connection* c, uint32_t need) {
  uint32_t largest = BlockPool::kClassSizes[BlockPool::kClasses - 1];
  Block* b = pool_.get(std::min(std::max(need, kDefaultTxBlock), largest));
  if (b == nullptr) return nullptr;
  if (c->tx_tail != nullptr) {
    c->tx_tail->next = b;
  } else {
    c->tx_head = b;
  }
  c->tx_tail = b;
  return b;
}

void Reactor::tx_grew(Connection* c, uint32_t n) noexcept {
  if (n == 0) return;
  if (c->tx_bytes == 0) {
    // The send clock starts: a peer that reads none of this within send_timeout_ms is closed.
    c->tx_since_ns = now_ns_;
    if (c->state == ConnState::kOpen) {
      timers_->arm_no_later(conns_->slot_of(c),
                            now_ns_ + uint64_t(cfg_->engine.send_timeout_ms) * 1'000'000ull);
    }
  }
  c->tx_bytes += n;
  counters_.tx_queued_bytes.add(n);
  if (!tx_share_.add(n)) over_budget_ = true;
}

void Reactor::tx_shrank(Connection* c, uint32_t n) noexcept {
  n = std::min(n, c->tx_bytes);
  c->tx_bytes -= n;
  counters_.tx_queued_bytes.sub(n);
  tx_share_.sub(n);
  // Progress (or an empty queue) restarts the send clock.
  c->tx_since_ns = c->tx_bytes == 0 ? 0 : now_ns_;
  if ((c->flags & kConnTxPaused) && c->tx_bytes <= cfg_->engine.conn_wq_max / 2) {
    // Drained to half the limit: read again (rearm_stopped_recvs re-arms it when nothing else,
    // such as a full handoff ring, still holds it back).
    c->flags &= static_cast<uint16_t>(~kConnTxPaused);
    if (c->flags & kConnRecvPaused) stopped_recv_.push_back(conns_->id_of(c).raw());
  }
}

void Reactor::pause_if_backlogged(Connection* c) noexcept {
  if (c->tx_bytes <= cfg_->engine.conn_wq_max || (c->flags & kConnTxPaused)) return;
  // Backpressure: the peer does not read its replies, so stop reading its requests; they wait
  // in the kernel (TCP's own flow control) until the queue drains to half (tx_shrank).
  c->flags |= kConnTxPaused;
  counters_.send_paused.add();
  pause_recv(c);
}

void Reactor::queue_overflow(Connection* c) {
  counters_.send_queue_full.add();
  // Only an open connection is closed here: during a handshake this runs inside BoringSSL
  // (ConnSink), whose failed write then fails the handshake, which closes it.
  if (c->state != ConnState::kOpen) return;
  char detail[96];
  snprintf(detail, sizeof(detail), "%u bytes unsent, sipring.conn_wq_hard_max is %u", c->tx_bytes,
           cfg_->engine.conn_wq_hard_max);
  log_peer(kLogWarn, c, "send queue over its hard limit, closing", detail);
  close_conn(c, CloseReason::kQueueFull);
  hard_close(c);
}

bool Reactor::queue_plain(Connection* c, std::span<const uint8_t> bytes) {
  if (c->tx_bytes + bytes.size() > cfg_->engine.conn_wq_hard_max) {
    // The peer reads far slower than it is answered, even though sipring stopped reading its
    // requests at conn_wq_max: refusing this reply would lose it silently, so the connection
    // ends instead and the core hears why (kClosed, queue-full).
    queue_overflow(c);
    return false;
  }
  if (c->state != ConnState::kOpen) {
    // Only a client connection still connecting may queue: its clear-text queue is replayed
    // once the handshake completes, within tls.con_ct_wq_max here and tls.ct_wq_max in all.
    if (!(c->flags & kConnClient) || c->state == ConnState::kClosing) return false;
    const int64_t n = static_cast<int64_t>(bytes.size());
    if (int64_t{c->ct_bytes} + n > cfg_->tls.con_ct_wq_max) {
      counters_.send_queue_full.add();
      return false;
    }
    // Relaxed: a shared limit; a momentary overshoot by one message is harmless.
    if (shared_->ct_bytes.fetch_add(n, std::memory_order_relaxed) + n > cfg_->tls.ct_wq_max) {
      shared_->ct_bytes.fetch_sub(n, std::memory_order_relaxed);
      counters_.send_queue_full.add();
      return false;
    }
    Block* last = c->ct_queue;
    while (last != nullptr && last->next != nullptr) last = last->next;
    // Take every block the message needs before copying any of it: a message is queued whole
    // or refused whole (a half-queued one would corrupt the stream and leak its accounting).
    const uint32_t block = std::min(static_cast<uint32_t>(std::max(cfg_->tls.ct_wq_blk_size, 512)),
                                    BlockPool::kClassSizes[BlockPool::kClasses - 1]);
    size_t room = last != nullptr ? last->room() : 0;
    Block* fresh = nullptr;
    Block** fresh_tail = &fresh;
    while (room < bytes.size()) {
      Block* nb = pool_.get(block);
      if (nb == nullptr) {
        while (fresh != nullptr) {
          Block* next = fresh->next;
          pool_.put(fresh);
          fresh = next;
        }
        shared_->ct_bytes.fetch_sub(n, std::memory_order_relaxed);
        counters_.send_queue_full.add();
        return false;
      }
      *fresh_tail = nb;
      fresh_tail = &nb->next;
      room += nb->room();
    }
    if (last == nullptr) {
      c->ct_queue = fresh;
      last = fresh;
    } else {
      last->next = fresh;
      if (last->room() == 0) last = fresh;
    }
    for (Block* t = last; !bytes.empty(); t = t->next) {
      size_t k = std::min<size_t>(t->room(), bytes.size());
      memcpy(t->end(), bytes.data(), k);
      t->size += static_cast<uint32_t>(k);
      bytes = bytes.subspan(k);
    }
    c->ct_bytes += static_cast<uint32_t>(n);
    return true;
  }
  if (c->tls->mode() == TlsConn::Mode::kBuffered) {
    ConnSink sink(this, c);
    bool ok = c->tls->write(bytes, sink);
    if (ok) counters_.records_out.add();
    pause_if_backlogged(c);
    mark_dirty(c);
    return ok;
  }
  const size_t prefix = c->tls->record_prefix();
  const size_t suffix = c->tls->record_suffix_max();
  // tls.ssl_max_send_fragment caps the plaintext of each record we seal (-1: the TLS maximum).
  const int fragment = cfg_->tls.ssl_max_send_fragment;
  const size_t max_plaintext = fragment > 0 ? static_cast<size_t>(fragment) : kMaxPlaintext;
  while (!bytes.empty()) {
    Block* t = c->tx_tail;
    if (c->open_rec == Connection::kNoRecord) {
      size_t first = std::min(bytes.size(), max_plaintext);
      // Open the record in the current buffer only if a useful amount fits there.
      if (t == nullptr || t->room() < prefix + suffix + std::min<size_t>(first, 512)) {
        t = tx_block(c, static_cast<uint32_t>(prefix + first + suffix));
        if (t == nullptr) return false;
      }
      c->open_rec = t->size;
      t->size += static_cast<uint32_t>(prefix);
    }
    size_t pt_len = t->size - c->open_rec - prefix;
    size_t room = t->room() > suffix ? t->room() - suffix : 0;
    size_t space = std::min(max_plaintext - pt_len, room);
    if (space == 0) {
      if (!seal_open_record(c)) return false;
      continue;
    }
    size_t k = std::min(space, bytes.size());
    memcpy(t->end(), bytes.data(), k);
    t->size += static_cast<uint32_t>(k);
    tx_grew(c, static_cast<uint32_t>(k));
    counters_.tx_copied_bytes.add(k);
    bytes = bytes.subspan(k);
  }
  pause_if_backlogged(c);
  mark_dirty(c);
  return true;
}

bool Reactor::seal_open_record(Connection* c) {
  if (c->open_rec == Connection::kNoRecord) return true;
  Block* t = c->tx_tail;
  size_t prefix = c->tls->record_prefix();
  size_t pt_len = t->size - c->open_rec - prefix;
  size_t n = pt_len == 0 ? 0 : c->tls->seal(t->data + c->open_rec, pt_len);
  uint32_t start = c->open_rec;
  c->open_rec = Connection::kNoRecord;
  if (pt_len != 0 && n == 0) {
    t->size = start;
    log_peer(kLogErr, c, "sealing a TLS record failed", c->tls->failure_reason());
    close_conn(c, CloseReason::kTlsError);
    return false;
  }
  t->size = start + static_cast<uint32_t>(n);
  t->ready = t->size;
  tx_grew(c, static_cast<uint32_t>(n - pt_len));
  if (n != 0) counters_.records_out.add();
  return true;
}

bool Reactor::queue_raw(Connection* c, std::span<const uint8_t> bytes) {
  if (!seal_open_record(c)) return false;
  // Handshake flights, alerts and KeyUpdates: small, and bounded by the peer's own messages.
  if (c->tx_bytes + bytes.size() > cfg_->engine.conn_wq_hard_max) {
    queue_overflow(c);
    return false;
  }
  while (!bytes.empty()) {
    Block* t = c->tx_tail;
    if (t == nullptr || t->room() == 0) {
      t = tx_block(c, static_cast<uint32_t>(bytes.size()));
      if (t == nullptr) return false;
    }
    size_t k = std::min<size_t>(t->room(), bytes.size());
    memcpy(t->end(), bytes.data(), k);
    t->size += static_cast<uint32_t>(k);
    t->ready = t->size;
    tx_grew(c, static_cast<uint32_t>(k));
    bytes = bytes.subspan(k);
  }
  // Records the peer provokes (KeyUpdate answers, pings) pause reading like replies do.
  if (c->state == ConnState::kOpen) pause_if_backlogged(c);
  mark_dirty(c);
  return true;
}

void Reactor::mark_dirty(Connection* c) {
  if (c->flags & kConnDirty) return;
  c->flags |= kConnDirty;
  c->flush_next = flush_head_;
  flush_head_ = conns_->slot_of(c);
}

void Reactor::flush_all() {
  while (flush_head_ != 0xffffffffu) {
    Connection* c = conns_->at(flush_head_);
    flush_head_ = c->flush_next;
    c->flags &= static_cast<uint16_t>(~kConnDirty);
    if (c->state != ConnState::kFree) flush(c);
  }
}

void Reactor::flush(Connection* c) {
  if (!seal_open_record(c)) return;
  if (!(c->flags & kConnSendBusy) && (c->flags & kConnFixed)) {
    Block* h = c->tx_head;
    if (h != nullptr && h->ready > h->begin) {
      io_uring_sqe* sqe = uring_.sqe();
      io_uring_prep_send(sqe, c->fd, h->data + h->begin, h->ready - h->begin,
                         MSG_NOSIGNAL | MSG_WAITALL);
      sqe->flags |= IOSQE_FIXED_FILE;
      io_uring_sqe_set_data64(sqe, op_data(Op::kSend, conns_->slot_of(c), c->generation));
      // Replies are in the send queue only once open (before, in the clear-text queue).
      if (c->state == ConnState::kOpen || c->state == ConnState::kClosing) {
        c->replies.submitted(c->tx_bytes);
      }
      c->flags |= kConnSendBusy;
      c->ops++;
      counters_.sends.add();
    }
  }
  maybe_finish_close(c);
}

void Reactor::on_send(Connection* c, int res) {
  c->ops--;
  c->flags &= static_cast<uint16_t>(~kConnSendBusy);
  if (res <= 0) {
    SIPRING_PROBE(send_completed, conns_->id_of(c).raw(), int64_t{res}, 0u, uint64_t{0});
    if (c->state != ConnState::kClosing) io_failed(c, "send", res);
    drop_tx(c);  // the peer is gone: nothing queued can be delivered any more
    return;
  }
  counters_.bytes_out.add(static_cast<uint64_t>(res));
  c->last_io_ns = now_ns_;
  uint64_t oldest_ns = 0;
  if (uint32_t replies = c->replies.sent(static_cast<uint64_t>(res), &oldest_ns)) {
    // One value for the batch's replies, each an upper bound (engine/sync/reply_clock.h).
    const uint64_t wait = now_ns_ > oldest_ns ? now_ns_ - oldest_ns : 0;
    instr_.record(HistogramId::reply_send, wait, replies);
    SIPRING_PROBE(send_completed, conns_->id_of(c).raw(), int64_t{res}, replies, wait);
  } else {
    SIPRING_PROBE(send_completed, conns_->id_of(c).raw(), int64_t{res}, 0u, uint64_t{0});
  }
  Block* h = c->tx_head;
  h->begin += static_cast<uint32_t>(res);
  tx_shrank(c, static_cast<uint32_t>(res));
  bool open_here = h == c->tx_tail && c->open_rec != Connection::kNoRecord;
  if (h->begin == h->size && !open_here) {
    c->tx_head = h->next;
    if (c->tx_head == nullptr) c->tx_tail = nullptr;
    unref(h);  // an idle connection keeps no send buffer
  }
  mark_dirty(c);
}

}  // namespace sipring
