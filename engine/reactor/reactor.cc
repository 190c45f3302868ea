// Reactor set-up, the loop, and the ReactorPort the inline core uses.
#include "engine/reactor/reactor.h"

#include <pthread.h>
#include <sched.h>
#include <time.h>

#include <algorithm>
#include <cstring>

#include "engine/base/error_format.h"
#include "engine/base/probes.h"
#include "engine/reactor/op.h"
#include "engine/sync/batch_clock.h"

namespace sipring {
namespace {

constexpr uint64_t kTimerTickNs = 100'000'000;  // 100 ms: timeouts are seconds-scale
constexpr uint32_t kTimerSlots = 1024;
constexpr uint64_t kBackpressurePollNs = 1'000'000;  // re-check a busy core every 1 ms

}  // namespace

Reactor::Reactor(uint32_t index, int cpu, EngineParams engine, ReactorShared* shared,
                 std::vector<ReactorListener> listeners)
    : index_(index),
      cpu_(cpu),
      engine_(std::move(engine)),
      shared_(shared),
      listeners_(std::move(listeners)) {
  // The engine-wide parameters (ring sizes, ...) never change at runtime; this first snapshot
  // serves set-up until the loop refreshes it.
  snap_ = shared_->store->current(index_);
  cfg_ = &snap_->config;
  max_message_size_ = cfg_->engine.max_message_size;
}

Reactor::~Reactor() {
  for (auto& l : listeners_) {
    if (l.fd >= 0) ::close(l.fd);
  }
}

Status Reactor::setup() {
  if (cpu_ >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu_, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
      return make_error(Errc::kInvalidArgument, "reactor %u: cannot pin to CPU %d", index_, cpu_);
    }
  }
  char name[16];
  snprintf(name, sizeof(name), "sipring-r%u", index_);
  pthread_setname_np(pthread_self(), name);

  const EngineParams& e = engine_;
  now_ns_ = monotonic_ns();
  if (Status s = uring_.init(e.ring_entries, e.max_connections); !s) return s;
  if (Status s = buffers_.init(uring_.ring(), 1, e.recv_buffers, e.recv_buffer_size); !s) return s;
  instr_.buffers_free_low_water.set(buffers_.available());
  if (Status s = doorbell_.open(); !s) return s;
  conns_ = std::make_unique<ConnTable>(index_, e.max_connections);
  timers_ = std::make_unique<TimerWheel>(e.max_connections, kTimerSlots, kTimerTickNs, now_ns_);
  handoff_ = std::make_unique<SpscRing<HandoffEntry>>(e.handoff_entries);
  handoff_pause_threshold_ = e.handoff_entries;
  busy_poll_ns_ = uint64_t(e.busy_poll_us) * 1000;
  if (e.adaptive_poll) poll_.enable(index_, e.adaptive_poll_cpu_max, &counters_, now_ns_);
  tx_share_.attach(&shared_->tx_budget);
  rx_share_.attach(&shared_->rx_budget);
  inbox_ = std::make_unique<ReplyInbox>(e.reply_ring_bytes);
  if (shared_->core) {
    core_ = shared_->core(index_);
    core_deadline_ns_ = 1;  // let the core start at the first iteration
  }
  // Release: control callers that see this also see a set-up reactor, whose loop (run(), next
  // on this thread) takes their calls. Set here rather than in run() so that a call made as soon
  // as Engine::start() returns (which waits for setup(), not for run()) is taken, not refused.
  running_.store(true, std::memory_order_release);
  return Status::ok();
}

void Reactor::request_stop(uint64_t deadline_ns) noexcept {
  stop_deadline_ns_.store(deadline_ns, std::memory_order_relaxed);
  // Release: the deadline above is visible to the reactor that sees the flag.
  stop_requested_.store(true, std::memory_order_release);
  doorbell_.ring();
}

uint64_t Reactor::shutdown_margin_ns(uint64_t grace_ns) noexcept {
  constexpr uint64_t kMarginNs = 50'000'000;
  return std::min(kMarginNs, grace_ns / 8);
}

thread_local Reactor* Reactor::current_ = nullptr;

void Reactor::run() {
  current_ = this;
  for (uint32_t i = 0; i < listeners_.size(); i++) arm_accept(i);
  arm_wake();
  for (;;) {
    // Acquire: pairs with request_stop()'s release.
    if (!shutting_down_ && stop_requested_.load(std::memory_order_acquire)) begin_shutdown();
    if (shutting_down_ && !step_shutdown()) break;
    loop_once(true);
  }
  // Let the last closes and cancels complete before the ring goes away; replies that raced with
  // the last close are counted, not silently lost.
  uring_.submit_and_wait(0, 0);
  reap_completions();
  drain_inbox();
  running_.store(false, std::memory_order_release);
  run_pending_control();  // a caller may have queued one just now; it finds an empty engine
}

// The shutdown's timeline, fixed here from the engine's deadline D (its grace counted from
// Engine::stop(), so a reactor that notices late gets less, never more) and m =
// shutdown_margin_ns(grace):
//
//   now .. drain       the core answers what it was handed (ends early once it is idle)
//   drain .. D - 2m    every connection flushes, sends close_notify and closes gracefully
//   D - 2m             whatever is still open is closed hard
//   D - m              the loop ends, every close completed or not (the ring's teardown ends
//                      the rest)
//   D - m .. D         the engine joins the reactor threads and tears down
//
// so the whole stop fits in the grace by construction; a grace of 0 closes everything hard at
// once (and waits at most kHardCloseSettleNs for those closes to complete).
void Reactor::begin_shutdown() {
  shutting_down_ = true;
  now_ns_ = monotonic_ns();
  const uint64_t deadline = std::max(now_ns_, stop_deadline_ns_.load(std::memory_order_relaxed));
  const uint64_t margin = shutdown_margin_ns(deadline - now_ns_);
  loop_end_ns_ = deadline - margin;
  hard_close_ns_ = loop_end_ns_ - margin;
  drain_deadline_ns_ = now_ns_ + (hard_close_ns_ - now_ns_) / 2;
  last_reply_ns_ = now_ns_;
  accepting_ = false;
  // From now on nothing new reaches the core: requests arriving during shutdown are read and
  // discarded (counted), so the core can finish what it was handed and the closes stay clean.
  delivering_ = false;
  for (auto& l : listeners_) {
    if (l.fd >= 0) {
      // Cancelling ends the listener's multishot accept; no new connection arrives here.
      io_uring_sqe* sqe = uring_.sqe();
      io_uring_prep_cancel_fd(sqe, l.fd, 0);
      io_uring_sqe_set_data64(sqe, op_data(Op::kNone, 0, 0));
    }
  }
  uring_.submit_and_wait(0, 0);
  for (auto& l : listeners_) {
    if (l.fd >= 0) ::close(l.fd);
    l.fd = -1;
  }
}

bool Reactor::step_shutdown() {
  constexpr uint64_t kQuietNs = 50'000'000;
  if (!closing_all_) {
    // First the core finishes what it was handed: connections stay open for its replies until
    // the handoff ring is empty and no reply came for a moment (or half the grace time passed).
    // Nothing new is delivered meanwhile (see begin_shutdown), so this converges.
    bool core_idle =
        handoff_->size_approx() == 0 && overflow_.empty() && now_ns_ - last_reply_ns_ >= kQuietNs;
    if (!core_idle && now_ns_ < drain_deadline_ns_) return true;
    closing_all_ = true;
    for (uint32_t s = 0; s < conns_->high_water(); s++) {
      Connection* c = conns_->at(s);
      if (c->state != ConnState::kFree && c->state != ConnState::kClosing) {
        close_conn(c, CloseReason::kShutdown);
      }
    }
  }
  if (conns_->in_use() == 0) return false;
  if (now_ns_ < hard_close_ns_) return true;
  if (!closed_hard_) {
    // Grace time is over: whatever is still queued is not going to be read.
    closed_hard_ = true;
    // The aborted operations complete at the next ring enter or so; even a grace of 0 gives
    // them this long (a few iterations) rather than leaving them to the ring's teardown.
    constexpr uint64_t kHardCloseSettleNs = 2'000'000;
    loop_end_ns_ = std::max(loop_end_ns_, now_ns_ + kHardCloseSettleNs);
    for (uint32_t s = 0; s < conns_->high_water() && conns_->in_use() > 0; s++) {
      Connection* c = conns_->at(s);
      if (c->state == ConnState::kFree) continue;
      if (c->state != ConnState::kClosing) close_conn(c, CloseReason::kShutdown);
      hard_close(c);
    }
  }
  // Aborted sends and closes complete within a few iterations; the loop waits for them only
  // until its end (the iterations sleep at most kBackpressurePollNs while shutting down).
  if (now_ns_ < loop_end_ns_) return true;
  SIPRING_LOG(kLogNotice, "engine",
              "reactor %u: %u connection(s) still closing at the shutdown deadline; the ring's "
              "teardown ends them",
              index_, conns_->in_use());
  return false;
}

void Reactor::refresh_config() {
  // Read from the old snapshot before current(): once it records the new version, a writer may
  // free the old one.
  const int old_timeout = cfg_->tls.connection_timeout;
  const TlsContextSet* old_tls = snap_->tls.get();
  const ConfigSnapshot* s = shared_->store->current(index_);
  if (s == snap_) return;
  snap_ = s;
  cfg_ = &s->config;
  // Client tickets are keyed on the context generation: after tls.reload none can match again.
  if (s->tls.get() != old_tls) sessions_.clear();
  // Idle timers were armed with the old timeout: re-arm the open connections with the new one
  // so a shorter (or -1) timeout applies to them too, not only to new connections.
  if (old_timeout != cfg_->tls.connection_timeout) {
    for (uint32_t i = 0; i < conns_->high_water(); i++) {
      Connection* c = conns_->at(i);
      if (c->state == ConnState::kOpen) arm_open_timer(c);
    }
  }
}

void Reactor::loop_once(bool may_sleep) {
  counters_.loops.add();
  const uint64_t busy_from = now_ns_;  // this iteration's work began at the last wake-up
  uint64_t wait_from = 0;              // instruments: when a sleeping enter began
  refresh_config();
  // Relaxed: a cheap look; run_pending_control() takes the call with acquire.
  if (control_.load(std::memory_order_relaxed) != nullptr) run_pending_control();
  // Busy polling: right after activity, more is likely; polling (a non-blocking enter) avoids
  // the wake-up latency of sleeping, at the price of CPU time.
  if (may_sleep && busy_poll_ns_ != 0 && now_ns_ - last_activity_ns_ < busy_poll_ns_) {
    may_sleep = false;
    instr_.add(instr_.polls, 1);
  }
  // Adaptive polling (reactor_poll.h): poll while work returns faster than a wake-up.
  const bool adapt = may_sleep && poll_.enabled() && !has_pending_work();
  uint64_t probe_ns = 0;  // a probe sleep's timeout, which measures the wake-up
  if (adapt && poll_.should_poll(monotonic_ns(), &probe_ns)) {
    may_sleep = false;
    instr_.add(instr_.polls, 1);
  }
  if (may_sleep && !has_pending_work() && doorbell_.prepare_sleep([this] {
        // Acquire: pairs with request_stop()'s release. Once shutdown began, the flag is no
        // longer news: sleeping (with the shutdown's short timeout) is right.
        return !inbox_->empty() || shared_->store->newer_than(snap_) ||
               control_.load(std::memory_order_relaxed) != nullptr ||
               (!shutting_down_ && stop_requested_.load(std::memory_order_acquire));
      })) {
    // The instruments' one extra clock read per iteration: where busy time ends and sleep
    // begins (an iteration that does not sleep is busy throughout).
    if constexpr (kInstrumentsEnabled) wait_from = monotonic_ns();
    const uint64_t timeout = sleep_timeout_ns();
    uring_.submit_and_wait(1, probe_ns != 0 ? std::min(timeout, probe_ns) : timeout);
    doorbell_.woke();
  } else {
    uring_.submit_and_wait(0, 0);
  }
  counters_.uring_enters.set(uring_.enters());
  counters_.pool_allocs.set(pool_.misses());
  if (pool_.failures() != counters_.pool_failures.get()) note_pool_failures();
  now_ns_ = monotonic_ns();
  if constexpr (kInstrumentsEnabled) t_batch_clock_ns = now_ns_;  // for send_remote's stamps
  if (adapt) poll_.after_wait(now_ns_, io_uring_cq_ready(uring_.ring()) != 0 || !inbox_->empty());
  note_loop(busy_from, wait_from, reap_completions());
  drain_inbox();
  handoff_->commit();
  // Frames waiting for the core, before the inline one runs: in the ring (released ones as of
  // the last reclaim_frames) or waiting for room in it.
  instr_.raise(instr_.handoff_high_water, handoff_->unreleased() + overflow_.size());
  run_core();
  reclaim_frames();
  rearm_stopped_recvs();
  if (over_budget_) shed_over_budget();
  flush_all();
  buffers_.publish();
  timers_->advance(now_ns_, [this](uint32_t slot) { on_timer(slot); });
  handoff_->commit();
}

void Reactor::note_loop(uint64_t busy_from, uint64_t wait_from, uint32_t completions) noexcept {
  if constexpr (!kInstrumentsEnabled) return;
  if (wait_from != 0) {
    instr_.add(instr_.busy_ns, wait_from - busy_from);
    instr_.add(instr_.sleep_ns, now_ns_ - wait_from);
    SIPRING_PROBE(loop_wait, index_, now_ns_ - wait_from, completions);
  } else {
    instr_.add(instr_.busy_ns, now_ns_ - busy_from);
  }
  instr_.record(HistogramId::completions_per_enter, completions);
  // After the reaping, before the iteration gives buffers back: the iteration's fewest.
  instr_.lower(instr_.buffers_free_low_water, buffers_.available());
}

void Reactor::note_pool_failures() noexcept {
  const uint64_t now = pool_.failures();
  const uint64_t fresh = now - counters_.pool_failures.get();
  counters_.pool_failures.set(now);
  SIPRING_LOG_LIMITED(pool_log_, now_ns_, kLogWarn, "engine",
                      "reactor %u: the block pool could not give %llu buffer(s) (out of memory, or "
                      "larger than its largest block): the connections that needed them were "
                      "closed (counter pool_failures; %llu blocks in use)",
                      index_, static_cast<unsigned long long>(fresh),
                      static_cast<unsigned long long>(pool_.in_use()));
}

void Reactor::note_handshake(Connection* c, bool resumed) noexcept {
  const bool client = (c->flags & kConnClient) != 0;
  // Server role from the accept (a PROXY header's wait included), client role from TCP
  // connected: both in loop time, so to within one iteration.
  const uint64_t duration = now_ns_ - (client ? c->connected_ns : c->created_ns);
  const HistogramId id =
      client
          ? (resumed ? HistogramId::handshake_client_resumed : HistogramId::handshake_client_full)
          : (resumed ? HistogramId::handshake_server_resumed : HistogramId::handshake_server_full);
  instr_.record(id, duration);
  SIPRING_PROBE(handshake_done, conns_->id_of(c).raw(), duration, int{resumed}, int{client});
}

bool Reactor::has_pending_work() {
  if (io_uring_cq_ready(uring_.ring()) != 0) return true;
  if (flush_head_ != 0xffffffffu) return true;
  if (core_ && handoff_->size_approx() != 0) return true;
  if (core_ && core_deadline_ns_ != 0 && core_deadline_ns_ <= now_ns_) return true;
  return false;
}

uint64_t Reactor::sleep_timeout_ns() {
  uint64_t t = timers_->next_wakeup_ns(now_ns_, 1'000'000'000ull);
  if (!overflow_.empty() || !stopped_recv_.empty() || shutting_down_) {
    t = std::min(t, kBackpressurePollNs);
  }
  if (!core_ && handoff_->size_approx() != 0) t = std::min(t, kBackpressurePollNs);
  if (core_deadline_ns_ != 0) {
    uint64_t d = core_deadline_ns_ > now_ns_ ? core_deadline_ns_ - now_ns_ : 1;
    t = std::min(t, d);
  }
  return t == 0 ? 1 : t;
}

uint32_t Reactor::reap_completions() {
  io_uring* ring = uring_.ring();
  uint32_t total = 0;
  for (;;) {
    unsigned head;
    unsigned n = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(ring, head, cqe) {
      dispatch(cqe);
      n++;
    }
    if (n == 0) break;
    io_uring_cq_advance(ring, n);
    total += n;
    last_activity_ns_ = now_ns_;
  }
  return total;
}

void Reactor::dispatch(io_uring_cqe* cqe) {
  uint64_t data = io_uring_cqe_get_data64(cqe);
  Op op = op_of(data);
  if (op == Op::kWake) {
    counters_.wakeups.add();
    arm_wake();
    return;
  }
  if (op == Op::kAccept) {
    on_accept(op_slot(data), cqe);
    return;
  }
  if (op == Op::kNone) return;
  Connection* c = conns_->at(op_slot(data));
  if (c->state == ConnState::kFree || c->generation != op_generation(data)) {
    // A completion for a connection that is gone: only a buffer may need returning.
    if (cqe->flags & IORING_CQE_F_BUFFER) {
      unref(buffers_.take(static_cast<uint16_t>(cqe->flags >> IORING_CQE_BUFFER_SHIFT), 0));
    }
    return;
  }
  switch (op) {
    case Op::kInstall:
      on_install(c, cqe->res);
      break;
    case Op::kCloseFd:
      c->ops--;
      break;
    case Op::kRecv:
      on_recv(c, cqe);
      break;
    case Op::kSend:
      on_send(c, cqe->res);
      break;
    case Op::kConnect:
      on_connect(c, cqe->res);
      break;
    case Op::kCancel:
      c->ops--;
      break;
    case Op::kClose:
      c->ops--;
      c->fd = -1;
      break;
    default:
      break;
  }
  maybe_finish_close(c);
}

void Reactor::arm_wake() {
  io_uring_sqe* sqe = uring_.sqe();
  io_uring_prep_read(sqe, doorbell_.fd(), &wake_buf_, sizeof(wake_buf_), 0);
  io_uring_sqe_set_data64(sqe, op_data(Op::kWake, 0, 0));
}

void Reactor::drain_inbox() {
  uint64_t bytes = 0;
  size_t n = inbox_->drain([&](uint64_t tag, std::span<const uint8_t> payload, uint32_t stamp) {
    bytes += payload.size();
    const uint64_t queued_ns = kInstrumentsEnabled ? clock_unstamp(stamp, now_ns_) : 0;
    if (tag == 0) {  // no connection id: a send_to() for a destination this reactor owns
      deliver_queued_send_to(payload, queued_ns);
      return;
    }
    Connection* c = conns_->find(ConnId(tag));
    if (c == nullptr || c->state == ConnState::kClosing) {
      counters_.send_unknown_connection.add();
      return;
    }
    if (queue_plain(c, payload)) {
      counters_.messages_out.add();
      c->replies.queued(queued_ns);
    }
  });
  if (n != 0) last_reply_ns_ = now_ns_;
  // What waited at once (drained in one go): the inbox's occupancy as this iteration saw it.
  instr_.raise(instr_.inbox_high_water_bytes, bytes);
}

void Reactor::run_core() {
  if (!core_) return;
  if (handoff_->size_approx() == 0 && (core_deadline_ns_ == 0 || core_deadline_ns_ > now_ns_)) {
    return;
  }
  core_deadline_ns_ = core_->run(*this);
  handoff_->release();
}

void Reactor::reclaim_frames() {
  handoff_->reclaim([this](const HandoffEntry& e) {
    if (e.block != nullptr) unref(e.block);
  });
  while (!overflow_.empty()) {
    HandoffEntry* slot = handoff_->claim();
    if (slot == nullptr) break;
    *slot = overflow_.front();
    overflow_.pop();
  }
}

const Frame* Reactor::front() noexcept {
  const HandoffEntry* e = handoff_->front();
  return e != nullptr ? &e->frame : nullptr;
}

void Reactor::pop() noexcept {
#if SIPRING_INSTRUMENTS
  // The inline core pops on this thread: the loop's time is the pop time (resolution one
  // iteration: a frame pushed and popped in the same iteration waited 0).
  if (const HandoffEntry* e = handoff_->front()) {
    const uint64_t wait = now_ns_ - e->pushed_ns;
    instr_.record(HistogramId::handoff_wait, wait);
    SIPRING_PROBE(frame_popped, e->frame.conn.raw(), wait);
  }
#endif
  handoff_->pop();
}

SendStatus Reactor::send(ConnId id, std::span<const uint8_t> message) noexcept {
  if (id.reactor() != index_) {
    if (id.reactor() >= shared_->reactors.size()) return SendStatus::kUnknownConnection;
    return shared_->reactors[id.reactor()]->send_remote(id, message);
  }
  if (message.size() > cfg_->engine.max_message_size) return SendStatus::kTooLarge;
  Connection* c = conns_->find(id);
  if (c == nullptr || c->state == ConnState::kClosing) return SendStatus::kUnknownConnection;
  if (!queue_plain(c, message)) {
    // Over conn_wq_hard_max the connection is closed rather than lose this reply silently.
    return c->close_reason == static_cast<uint16_t>(CloseReason::kQueueFull)
               ? SendStatus::kOverloaded
               : SendStatus::kQueueFull;
  }
  counters_.messages_out.add();
  c->replies.queued(now_ns_);
  SIPRING_PROBE(reply_queued, id.raw(), static_cast<uint32_t>(message.size()));
  last_reply_ns_ = now_ns_;
  return SendStatus::kOk;
}

SendStatus Reactor::send_remote(ConnId id, std::span<const uint8_t> message) noexcept {
  // While the engine stops, connections still open keep taking replies: a core thread answering
  // requests it already received must not lose those answers during the grace time. Once a
  // connection is gone its id is stale and the send says so.
  if (!conns_->alive(id)) return SendStatus::kUnknownConnection;
  // Not cfg_: that is the reactor thread's. Engine parameters never change at runtime.
  if (message.size() > max_message_size_ || message.size() > inbox_->max_payload()) {
    return SendStatus::kTooLarge;
  }
  // The sender's batch clock (engine/sync/batch_clock.h): no clock read per message on a core
  // thread that reads it per batch of pops.
  const uint32_t stamp = kInstrumentsEnabled ? clock_stamp(batch_clock_ns()) : 0;
  std::span<uint8_t> slot = inbox_->reserve(static_cast<uint32_t>(message.size()), id.raw(), stamp);
  if (slot.data() == nullptr) return SendStatus::kQueueFull;
  memcpy(slot.data(), message.data(), message.size());
  inbox_->commit();
  doorbell_.ring();
  SIPRING_PROBE(reply_queued, id.raw(), static_cast<uint32_t>(message.size()));
  return SendStatus::kOk;
}

void Reactor::close(ConnId id) noexcept {
  if (id.reactor() != index_) return;
  Connection* c = conns_->find(id);
  if (c != nullptr) close_conn(c, CloseReason::kLocalClose);
}

}  // namespace sipring
