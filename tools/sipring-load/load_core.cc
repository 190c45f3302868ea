#include "tools/sipring-load/load_core.h"

#include <algorithm>

#include "tools/sipring-load/sip_load_message.h"

namespace sipring::load {
namespace {

// Relaxed everywhere: the totals are independent statistics read after the run.
void add(std::atomic<uint64_t>& a, uint64_t n = 1) {
  a.fetch_add(n, std::memory_order_relaxed);
}

void note_min(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load(std::memory_order_relaxed);
  while (v < cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

void note_max(std::atomic<uint64_t>& a, uint64_t v) {
  uint64_t cur = a.load(std::memory_order_relaxed);
  while (v > cur && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
}

}  // namespace

LoadCore::LoadCore(const Plan& plan, Totals* totals, uint32_t reactor, uint32_t share,
                   std::vector<uint32_t>* samples)
    : plan_(plan), totals_(totals), reactor_(reactor), share_(share), samples_(samples) {
  if (plan.mode == Mode::kHandshake) {
    uint64_t per = plan.handshakes / plan.reactors;
    handshakes_total_ = per + (reactor < plan.handshakes % plan.reactors ? 1 : 0);
  }
}

uint64_t LoadCore::run(ReactorPort& port) noexcept {
  if (!started_) {
    started_ = true;
    start(port);
  }
  while (const Frame* f = port.front()) {
    Frame copy = *f;  // events and matching need only the header; message bytes are read below
    if (copy.kind == FrameKind::kMessage) {
      on_frame(port, *f);
    } else {
      on_frame(port, copy);
    }
    port.pop();
  }
  uint64_t next = 0;
  if (plan_.mode == Mode::kRate) next = pace(port);
  check_done(port);
  if (plan_.mode == Mode::kIdle && idle_until_ns_ != 0) {
    next = next == 0 ? idle_until_ns_ : std::min(next, idle_until_ns_);
  }
  // Wake at least every 50 ms to notice the main thread's stop request.
  uint64_t poll = port.now_ns() + 50'000'000;
  return next == 0 ? poll : std::min(next, poll);
}

void LoadCore::start(ReactorPort& port) {
  if (plan_.mode == Mode::kHandshake) {
    if (plan_.resume) {
      // One full handshake first, to get a ticket every later connection can offer.
      open_one(port);
      return;
    }
    primed_ = true;
    note_min(totals_->measure_start_ns, port.now_ns());
    uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(share_, handshakes_total_));
    for (uint32_t k = 0; k < n; k++) open_one(port);
    return;
  }
  ramp(port);
  if (plan_.mode == Mode::kRate) {
    double per_reactor = plan_.rate / plan_.reactors;
    interval_ns_ = per_reactor > 0 ? static_cast<uint64_t>(1e9 / per_reactor) : 1'000'000'000;
  }
}

bool LoadCore::open_one(ReactorPort& port) {
  Result<ConnId> id = port.connect(Destination{plan_.target, plan_.sni, {}});
  if (!id) {
    add(totals_->connect_failures);
    return false;
  }
  Conn c;
  c.id = id.value();
  by_id_[c.id.raw()] = static_cast<uint32_t>(conns_.size());
  conns_.push_back(std::move(c));
  if (plan_.mode == Mode::kHandshake) {
    handshakes_started_++;
    in_flight_++;
  }
  return true;
}

void LoadCore::on_frame(ReactorPort& port, const Frame& f) {
  auto it = by_id_.find(f.conn.raw());
  if (it == by_id_.end()) return;
  uint32_t i = it->second;
  switch (f.kind) {
    case FrameKind::kOpened:
      on_opened(port, i, f);
      break;
    case FrameKind::kMessage:
      on_message(port, i, f);
      break;
    case FrameKind::kClosed:
      on_closed(port, i, f);
      break;
  }
}

bool LoadCore::take_budget() {
  if (totals_->stop_sending.load(std::memory_order_relaxed)) return false;
  if (plan_.mode != Mode::kRps || plan_.requests == 0) return true;
  // Relaxed: a shared countdown; each unit is taken by exactly one reactor.
  uint64_t sent = totals_->sent.load(std::memory_order_relaxed);
  return sent < plan_.requests;
}

bool LoadCore::send_request(ReactorPort& port, uint32_t i, uint64_t intended_ns) {
  Conn& c = conns_[i];
  char buf[1024];
  uint32_t seq = c.next_seq++;
  size_t n = build_options(buf, sizeof(buf), reactor_, i, seq);
  if (port.send(c.id, {reinterpret_cast<const uint8_t*>(buf), n}) != SendStatus::kOk) {
    c.next_seq--;
    return false;
  }
  c.outstanding.push_back({seq, intended_ns});
  add(totals_->sent);
  note_min(totals_->first_send_ns, intended_ns);
  return true;
}

void LoadCore::on_opened(ReactorPort& port, uint32_t i, const Frame& f) {
  Conn& c = conns_[i];
  c.open = true;
  opened_++;
  if (plan_.mode != Mode::kHandshake) connecting_--;  // only the ramp counts connecting ones
  ramp(port);
  add(totals_->opened);
  if (plan_.mode == Mode::kHandshake && primed_) {
    add(f.resumed() ? totals_->handshakes_resumed : totals_->handshakes_full);
  }
  switch (plan_.mode) {
    case Mode::kRps:
      for (uint32_t k = 0; k < plan_.pipeline && take_budget(); k++) {
        if (!send_request(port, i, port.now_ns())) break;
      }
      break;
    case Mode::kHandshake:
    case Mode::kIdle:
      // One request proves the connection works end to end (and brings the TLS 1.3 ticket).
      send_request(port, i, port.now_ns());
      break;
    case Mode::kRate:
      break;
  }
}

void LoadCore::on_message(ReactorPort& port, uint32_t i, const Frame& f) {
  Conn& c = conns_[i];
  ParsedResponse r = parse_response(f.text());
  if (!r.ok || r.status != 200 || !r.to_tag || r.conn != i || r.reactor != reactor_ ||
      c.outstanding.empty() || r.seq != c.outstanding.front().seq || r.cseq != r.seq) {
    add(totals_->mismatched);
    // Drop the request it claims to answer, if any, so it is not also counted as lost.
    auto it = std::find_if(c.outstanding.begin(), c.outstanding.end(),
                           [&](const Pending& p) { return p.seq == r.seq; });
    if (it != c.outstanding.end()) c.outstanding.erase(it);
    return;
  }
  uint64_t now = port.now_ns();
  uint64_t lat = now - c.outstanding.front().sent_ns;
  if (c.outstanding.front().sent_ns >= measure_from_ns_ &&
      samples_->size() < samples_->capacity()) {
    samples_->push_back(static_cast<uint32_t>(std::min<uint64_t>(lat, UINT32_MAX)));
  }
  c.outstanding.pop_front();
  add(totals_->received);
  note_max(totals_->last_done_ns, now);
  switch (plan_.mode) {
    case Mode::kRps:
      if (take_budget()) send_request(port, i, now);
      break;
    case Mode::kHandshake:
      c.closing = true;
      port.close(c.id);
      if (!primed_) {
        // The priming connection has delivered its ticket: start the measured ones. It stays
        // in flight until its close completes, but is not counted as started.
        primed_ = true;
        handshakes_started_ = 0;
        note_min(totals_->measure_start_ns, now);
        uint32_t n = static_cast<uint32_t>(std::min<uint64_t>(share_, handshakes_total_));
        for (uint32_t k = 0; k < n; k++) open_one(port);
      }
      break;
    default:
      break;
  }
}

void LoadCore::ramp(ReactorPort& port) {
  if (plan_.mode == Mode::kHandshake) return;
  // Open the long-lived connections a batch at a time: thousands of simultaneous SYNs would
  // overflow the server's accept queue and time handshakes out, measuring the ramp, not the
  // server.
  while (started_conns_ < share_ && connecting_ < plan_.ramp) {
    started_conns_++;
    connecting_++;
    // Refused at once (no frame will ever report it): it is not connecting any more.
    if (!open_one(port)) connecting_--;
  }
}

void LoadCore::on_closed(ReactorPort& port, uint32_t i, const Frame& f) {
  Conn& c = conns_[i];
  if (!c.open && plan_.mode != Mode::kHandshake) {
    connecting_--;
    ramp(port);
  }
  if (!c.outstanding.empty()) {
    add(totals_->lost, c.outstanding.size());
    c.outstanding.clear();
  }
  bool failed = !c.open && f.reason != CloseReason::kLocalClose;
  bool unexpected = !failed && !c.closing && !done_;
  if (failed) add(totals_->connect_failures);
  if (unexpected) add(totals_->unexpected_closes);
  if (failed || unexpected) add(totals_->close_reasons[static_cast<uint16_t>(f.reason) & 15]);
  c.open = false;
  by_id_.erase(c.id.raw());
  if (plan_.mode == Mode::kHandshake) {
    in_flight_--;
    note_max(totals_->last_done_ns, port.now_ns());
    if (handshakes_started_ < handshakes_total_ &&
        !totals_->stop_sending.load(std::memory_order_relaxed)) {
      open_one(port);
    }
  }
}

uint64_t LoadCore::pace(ReactorPort& port) {
  if (opened_ < share_ || conns_.empty()) return port.now_ns() + 1'000'000;  // still connecting
  uint64_t now = port.now_ns();
  if (next_send_ns_ == 0) {
    next_send_ns_ = now;
    measure_from_ns_ = now + static_cast<uint64_t>(plan_.warmup_s * 1e9);
  }
  if (totals_->stop_sending.load(std::memory_order_relaxed)) return 0;
  // Open loop: send everything whose time has come, stamped with its intended send time, so a
  // slow server shows up as latency (no coordinated omission).
  while (next_send_ns_ <= now) {
    for (uint32_t tries = 0; tries < conns_.size(); tries++) {
      uint32_t i = rr_++ % static_cast<uint32_t>(conns_.size());
      if (conns_[i].open && send_request(port, i, next_send_ns_)) break;
    }
    next_send_ns_ += interval_ns_;
  }
  return next_send_ns_;
}

void LoadCore::check_done(ReactorPort& port) {
  if (done_) return;
  bool done = false;
  uint64_t now = port.now_ns();
  switch (plan_.mode) {
    case Mode::kHandshake:
      done = primed_ && handshakes_started_ >= handshakes_total_ && in_flight_ == 0;
      if (totals_->stop_sending.load(std::memory_order_relaxed) && in_flight_ == 0) done = true;
      break;
    case Mode::kRps:
    case Mode::kRate: {
      // Every connection was tried and none is left (refused, failed or closed by the server):
      // nothing more can be sent, so end now instead of waiting out --duration.
      if (started_conns_ >= share_ && connecting_ == 0 &&
          std::none_of(conns_.begin(), conns_.end(), [](const Conn& c) { return c.open; })) {
        done = true;
        break;
      }
      if (!totals_->stop_sending.load(std::memory_order_relaxed) &&
          !(plan_.mode == Mode::kRps && plan_.requests != 0 &&
            totals_->sent.load(std::memory_order_relaxed) >= plan_.requests)) {
        break;
      }
      done = std::all_of(conns_.begin(), conns_.end(),
                         [](const Conn& c) { return c.outstanding.empty(); });
      break;
    }
    case Mode::kIdle:
      if (idle_until_ns_ == 0 && opened_ >= share_ &&
          totals_->received.load() >= totals_->opened.load()) {
        idle_until_ns_ = now + static_cast<uint64_t>(plan_.hold_s * 1e9);
      }
      done = (idle_until_ns_ != 0 && now >= idle_until_ns_) ||
             totals_->stop_sending.load(std::memory_order_relaxed);
      break;
  }
  if (done) {
    done_ = true;
    totals_->reactors_done.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace sipring::load
