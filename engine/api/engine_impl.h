// Engine's private state, shared by the files that implement the public Engine (engine.cc:
// start, stop and parameters; engine_calls.cc: calls routed to the reactor that owns a
// connection; engine_control.cc: the control socket and /metrics). Not part of the installed
// API.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crypto/ticket_keys.h"
#include "engine/api/ticket_key_source.h"
#include "engine/api/tls_auto_reload.h"
#include "engine/base/probes.h"
#include "engine/config/config_store.h"
#include "engine/control/metrics_http.h"
#include "engine/control/rpc_server.h"
#include "engine/io/mem_watch.h"
#include "engine/reactor/reactor.h"
#include "engine/sync/batch_clock.h"
#include "engine/sync/instruments.h"
#include "sipring/engine.h"

namespace sipring {

// The consumer side of one reactor's handoff ring, for a core thread. With instruments it is
// the writer of that reactor's handoff_wait histogram, and reads the clock once per wait() and
// once per batch of pops (at each release), never per frame.
class ThreadInbox final : public Engine::Inbox {
 public:
  ThreadInbox(SpscRing<HandoffEntry>* ring, std::atomic<bool>* stop, Histogram* handoff_wait)
      : ring_(ring), stop_(stop), handoff_wait_(handoff_wait) {}
  const Frame* front() noexcept override {
    const HandoffEntry* e = ring_->front();
    if (e == nullptr) {
      release();  // hand popped slots back before reporting "empty"
      return nullptr;
    }
    return &e->frame;
  }
  void pop() noexcept override {
    ring_->pop();
    // Publish pops in small batches so the reactor can recycle buffers while we work.
    if (++pops_ % kPopBatch == 0) release();
  }
  bool wait() noexcept override {
    release();
    const bool ok = ring_->wait_nonempty(*stop_);
    // What this thread sends next is stamped with this reading (batch_clock.h).
    if constexpr (kInstrumentsEnabled) t_batch_clock_ns = monotonic_ns();
    return ok;
  }

 private:
  static constexpr uint32_t kPopBatch = 16;

  // Hands the popped slots back. With instruments, first records each popped frame's wait with
  // one clock read: push (its reactor's loop time) to this release, which follows its pop by at
  // most kPopBatch - 1 frames' handling: an upper bound of push to pop, never less.
  void release() noexcept {
#if SIPRING_INSTRUMENTS
    uint64_t now = 0;
    ring_->for_each_popped([&](const HandoffEntry& e) {
      if (now == 0) now = t_batch_clock_ns = monotonic_ns();
      const uint64_t wait = now > e.pushed_ns ? now - e.pushed_ns : 0;
      handoff_wait_->record(wait);
      SIPRING_PROBE(frame_popped, e.frame.conn.raw(), wait);
    });
#endif
    ring_->release();
  }

  SpscRing<HandoffEntry>* ring_;
  std::atomic<bool>* stop_;
  [[maybe_unused]] Histogram* handoff_wait_;
  uint32_t pops_ = 0;
};

struct Engine::Impl {
  Config config;
  Options options;
  ReactorShared shared;
  TicketKeys tickets;
  TicketKeySource ticket_source{&tickets};  // tls.ticket_key_file
  std::unique_ptr<ConfigStore> store;
  std::mutex reload_mu;   // one tls.reload at a time
  std::mutex control_mu;  // one control call per reactor at a time
  // ctl.metrics, served by rpc's thread: declared first, so it is destroyed after that thread.
  std::unique_ptr<MetricsHttp> metrics;
  std::unique_ptr<RpcServer> rpc;
  int64_t start_time_unix = 0;  // set by start(), for sipring_start_time_seconds
  bssl::UniquePtr<SSL_CTX> client_ctx;
  std::vector<std::unique_ptr<Reactor>> reactors;
  std::vector<std::unique_ptr<ThreadInbox>> inboxes;
  std::vector<std::thread> threads;
  std::atomic<bool> inbox_stop{false};
  std::string features;
  std::atomic<bool> running{false};
  bool drained = false;  // core.drain closed the listeners (under control_mu)
  // core.shutdown's handler (set_shutdown_handler, before start: read by the control thread)
  std::function<void(std::chrono::milliseconds)> on_shutdown;
  MemWatch mem;  // tls.low_mem_threshold1/2
  // tls.auto_reload and tls.cert_expiry_warn_days, on a thread of its own.
  TlsAutoReload auto_reload;

  // Every reactor's instruments (index = reactor), copied with relaxed reads: for the control
  // thread (core.instruments, /metrics), never a reactor. Empty before start().
  std::vector<InstrumentsSnapshot> instruments() const;

  // engine_control.cc. Binds ctl.metrics (when set) and says where in the log; an error names
  // the address. start() calls it before it opens the SIP listeners, so from the moment the SIP
  // port accepts (what a balancer's check or a script takes for "started") the metrics port
  // accepts too: a scrape waits in its backlog until start_control() starts the control thread
  // that serves it, and is never refused. Scrapes read `engine`'s thread-safe snapshots.
  Status bind_metrics(Engine& engine);
};

}  // namespace sipring
