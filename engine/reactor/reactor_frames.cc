// Opened plaintext -> SIP frames in the handoff ring. The framer scans the plaintext where the
// record was opened; a frame points into that buffer and holds a reference on it. A message
// split across records is reassembled in a block of its own (msg_asm, a counted copy). A
// malformed message is counted by its reason, answered 400 when it starts a request, and its
// connection closed.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iterator>

#include "engine/base/probes.h"
#include "engine/reactor/reactor.h"
#include "sipring/sip_response.h"

namespace sipring {

void Reactor::deliver(Connection* c, Block* blk, std::span<uint8_t> pt) {
  const uint32_t max = cfg_->engine.max_message_size;
  if (Block* a = c->msg_asm) {
    // A message began in an earlier record: append and frame the reassembled bytes.
    if (a->room() < pt.size()) {
      Block* nb = pool_.get(static_cast<uint32_t>(a->size + pt.size()));
      if (nb == nullptr) {
        bad_message(c, {a->data, a->size}, FrameReason::kHeadTooLong);
        return;
      }
      memcpy(nb->data, a->data, a->size);
      nb->size = a->size;
      unref(a);
      c->msg_asm = a = nb;
    }
    memcpy(a->end(), pt.data(), pt.size());
    a->size += static_cast<uint32_t>(pt.size());
    counters_.rx_copied_bytes.add(pt.size());
    ScanResult r = c->framer.scan({a->data, a->size}, max);
    if (r.kind == ScanResult::kNeedMore) return;
    if (r.kind == ScanResult::kError) {
      bad_message(c, {a->data, a->size}, r.reason);
      return;
    }
    if (r.kind == ScanResult::kMessage) emit_message(c, a, a->data, r.length);
    if (r.kind == ScanResult::kPing) {
      counters_.pings.add();
      queue_plain(c, {reinterpret_cast<const uint8_t*>("\r\n"), 2});
    }
    // What follows the unit came from `pt`: continue there, in place.
    size_t rest = std::min<size_t>(a->size - r.length, pt.size());
    c->msg_asm = nullptr;
    unref(a);
    pt = pt.last(rest);
  }
  while (!pt.empty()) {
    ScanResult r = c->framer.scan(pt, max);
    switch (r.kind) {
      case ScanResult::kMessage:
        emit_message(c, blk, pt.data(), r.length);
        break;
      case ScanResult::kSkip:
        break;
      case ScanResult::kPing:
        counters_.pings.add();
        queue_plain(c, {reinterpret_cast<const uint8_t*>("\r\n"), 2});
        break;
      case ScanResult::kNeedMore: {
        // The message continues in a later record: keep what we have (a counted copy).
        uint32_t cap = static_cast<uint32_t>(std::max<size_t>(2048, pt.size() * 2));
        Block* a =
            pool_.get(std::min<uint32_t>(cap, BlockPool::kClassSizes[BlockPool::kClasses - 1]));
        if (a == nullptr) {
          close_conn(c, CloseReason::kIoError);
          return;
        }
        memcpy(a->data, pt.data(), pt.size());
        a->size = static_cast<uint32_t>(pt.size());
        c->msg_asm = a;
        counters_.rx_copied_bytes.add(pt.size());
        return;
      }
      case ScanResult::kError:
        bad_message(c, pt, r.reason);
        return;
    }
    pt = pt.subspan(r.length);
  }
}

void Reactor::emit_message(Connection* c, Block* blk, const uint8_t* data, uint32_t len) {
  HandoffEntry e;
  Frame& f = e.frame;
  f.conn = conns_->id_of(c);
  f.data = data;
  f.size = len;
  f.reactor = static_cast<uint16_t>(index_);
  f.tls_version = c->tls->version();
  f.cipher = c->tls->cipher();
  f.flags = 0;
  f.set(FrameFlag::kTls);
  if (c->tls->peer_verified()) f.set(FrameFlag::kPeerVerified);
  if (c->flags & kConnClient) f.set(FrameFlag::kClientRole);
  f.kind = FrameKind::kMessage;
  f.reason = CloseReason::kNone;
  e.block = blk;
  f.peer = c->peer;
  f.local = c->local;
  blk->refs++;
  c->flags |= kConnAnnounced;
  c->rx_since_ns = 0;  // a message completed: the message clock restarts with the next one
  counters_.messages_in.add();
  e.stamp_pushed(now_ns_);
  SIPRING_PROBE(frame_pushed, f.conn.raw(), len);
  HandoffEntry* slot = overflow_.empty() ? handoff_->claim() : nullptr;
  if (slot != nullptr) {
    *slot = e;
    return;
  }
  overflow_.push(e);
  counters_.handoff_full.add();
  if (overflow_.size() >= handoff_pause_threshold_) pause_recv(c);
}

void Reactor::emit_event(Connection* c, FrameKind kind) {
  HandoffEntry e;
  Frame& f = e.frame;
  f.conn = conns_->id_of(c);
  f.data = nullptr;
  f.size = 0;
  f.reactor = static_cast<uint16_t>(index_);
  f.tls_version = c->tls ? c->tls->version() : 0;
  f.cipher = c->tls ? c->tls->cipher() : 0;
  f.flags = 0;
  f.set(FrameFlag::kTls);
  if (c->flags & kConnClient) f.set(FrameFlag::kClientRole);
  if (c->tls && c->tls->peer_verified()) f.set(FrameFlag::kPeerVerified);
  if (c->tls && c->tls->resumed()) f.set(FrameFlag::kResumed);
  f.kind = kind;
  f.reason = static_cast<CloseReason>(c->close_reason);
  f.peer = c->peer;
  f.local = c->local;
  e.stamp_pushed(now_ns_);
  HandoffEntry* slot = overflow_.empty() ? handoff_->claim() : nullptr;
  if (slot != nullptr) {
    *slot = e;
  } else {
    overflow_.push(e);
  }
}

void Reactor::bad_message(Connection* c, std::span<const uint8_t> head, FrameReason reason) {
  counters_.bad_messages.add();
  // The "... of which" counter of each reason, in FrameReason's order (kNone has none).
  static constexpr Counter ReactorCounters::*kByReason[] = {
      nullptr,
      &ReactorCounters::bad_missing_content_length,
      &ReactorCounters::bad_content_length,
      &ReactorCounters::bad_negative_content_length,
      &ReactorCounters::bad_conflicting_content_length,
      &ReactorCounters::bad_content_length_too_large,
      &ReactorCounters::bad_head_too_long,
      &ReactorCounters::bad_start_line,
  };
  static_assert(std::size(kByReason) == kFrameReasonCount,
                "a new FrameReason needs its counter here (and in sipring/stats.h)");
  const size_t r = static_cast<size_t>(reason);
  if (r < std::size(kByReason) && kByReason[r] != nullptr) (counters_.*kByReason[r]).add();
  const char* why = frame_reason_name(reason);
  const bool answered = answer_400(c, head, why);
  log_peer(kLogNotice, c,
           answered ? "malformed SIP message, answered 400 and closing"
                    : "malformed SIP message, closing",
           why);
  close_conn(c, CloseReason::kBadMessage);
}

bool Reactor::answer_400(Connection* c, std::span<const uint8_t> head, const char* why) {
  uint8_t out[8192];
  size_t written = 0;
  char phrase[96];
  snprintf(phrase, sizeof(phrase), "Bad Request (%s)", why);
  if (parse_start_line(head).kind != StartLine::kRequest ||
      build_response(head, 400, phrase, {out, sizeof(out)}, &written) != ResponseError::kOk ||
      !queue_plain(c, {out, written})) {
    return false;
  }
  counters_.replies_400.add();
  return true;
}

}  // namespace sipring
