// Control calls: the control plane's questions (tls.list, tls.info) and orders (tls.kill),
// answered on the reactor's own thread between two loop iterations.
#include <openssl/ssl.h>
#include <time.h>

#include <chrono>
#include <thread>

#include "engine/reactor/reactor.h"

namespace sipring {
namespace {

const char* state_name(ConnState s) {
  switch (s) {
    case ConnState::kFree:
      return "free";
    case ConnState::kInstalling:
    case ConnState::kConnecting:
      return "connecting";
    case ConnState::kProxyHeader:
      return "proxy-header";
    case ConnState::kHandshake:
      return "handshake";
    case ConnState::kOpen:
      return "established";
    case ConnState::kClosing:
      return "closing";
  }
  return "?";
}

uint64_t clock_ns(clockid_t id) {
  timespec ts;
  clock_gettime(id, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

}  // namespace

bool Reactor::run_control(std::shared_ptr<ControlCall> call, int timeout_ms) {
  // Acquire: a reactor that says it runs has its loop (and mailbox check) going.
  if (!running_.load(std::memory_order_acquire)) return false;
  call->self = call;
  ControlCall* expected = nullptr;
  // Release: the call's contents are visible to the reactor that takes it.
  if (!control_.compare_exchange_strong(expected, call.get(), std::memory_order_release,
                                        std::memory_order_relaxed)) {
    call->self.reset();
    return false;  // another call is pending: the engine serializes, so this is a bug
  }
  doorbell_.ring();
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  // Acquire: pairs with the reactor's release of `done`; the results are visible.
  while (!call->done.load(std::memory_order_acquire)) {
    // A reactor that left its loop takes no more calls (its last look at the mailbox may have
    // come before ours arrived): take the call back rather than wait out the timeout, which
    // would stretch a shutdown. If the reactor took it first, it is running it: wait for done.
    if (!running_.load(std::memory_order_acquire)) {
      ControlCall* mine = call.get();
      if (control_.compare_exchange_strong(mine, nullptr, std::memory_order_acq_rel,
                                           std::memory_order_acquire)) {
        call->self.reset();
        return false;
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

void Reactor::run_pending_control() {
  // Acquire: pairs with run_control()'s release.
  ControlCall* call = control_.exchange(nullptr, std::memory_order_acquire);
  if (call == nullptr) return;
  std::shared_ptr<ControlCall> keep = std::move(call->self);
  call->fn(*this);
  // Release: everything fn wrote is visible to the caller that sees done.
  call->done.store(true, std::memory_order_release);
}

void Reactor::describe_connections(std::vector<ConnectionInfo>* out) {
  const uint64_t mono = clock_ns(CLOCK_MONOTONIC);
  const uint64_t wall = clock_ns(CLOCK_REALTIME);
  for (uint32_t s = 0; s < conns_->high_water(); s++) {
    Connection* c = conns_->at(s);
    if (c->state == ConnState::kFree) continue;
    ConnectionInfo i;
    i.id = conns_->id_of(c);
    i.domain = c->domain != nullptr ? c->domain->name() : "";
    i.sni = c->sni ? c->sni.get() : "";
    i.started = std::chrono::system_clock::time_point(
        std::chrono::seconds((wall - (mono - c->created_ns)) / 1'000'000'000ull));
    if (c->state == ConnState::kOpen && cfg_->tls.connection_timeout >= 0) {
      uint64_t deadline = c->last_io_ns + uint64_t(cfg_->tls.connection_timeout) * 1'000'000'000ull;
      i.timeout = std::chrono::seconds(
          deadline > mono ? static_cast<int64_t>((deadline - mono) / 1'000'000'000ull) : 0);
    }
    i.peer = c->peer;
    i.local = c->local;
    if (c->proxy) i.proxy = proxy_facts(*c->proxy);
    if (c->tls && c->tls->cipher() != 0) {
      if (const SSL_CIPHER* cipher = SSL_get_cipher_by_value(c->tls->cipher())) {
        i.cipher = SSL_CIPHER_standard_name(cipher);
      }
      i.tls_version = c->tls->version();
      i.peer_verified = c->tls->peer_verified();
    }
    i.state = state_name(c->state);
    uint32_t queued = c->tx_bytes;
    for (Block* q = c->ct_queue; q != nullptr; q = q->next) queued += q->size;
    i.queued_bytes = queued;
    i.client = (c->flags & kConnClient) != 0;
    out->push_back(std::move(i));
  }
}

void Reactor::summarize(TlsSummary* out) {
  out->max_connections += conns_->capacity();
  out->opened_connections += conns_->in_use();
  out->send_queued_bytes += counters_.tx_queued_bytes.get();
  out->partial_bytes += counters_.rx_partial_bytes.get();
  out->handshakes_in_progress += handshakes_in_flight_;
  out->send_queue_budget = shared_->tx_budget.limit();
  out->partial_budget = shared_->rx_budget.limit();
  out->max_connections_per_source = shared_->max_per_source;
  for (uint32_t s = 0; s < conns_->high_water(); s++) {
    for (Block* q = conns_->at(s)->ct_queue; q != nullptr; q = q->next) {
      out->clear_text_queued_bytes += q->size;
    }
  }
}

bool Reactor::kill(ConnId id) {
  Connection* c = conns_->find(id);
  if (c == nullptr || c->state == ConnState::kClosing) return false;
  close_conn(c, CloseReason::kLocalClose);
  return true;
}

}  // namespace sipring
