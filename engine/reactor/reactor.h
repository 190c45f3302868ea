// A reactor: one thread pinned to one CPU, owning one io_uring, its connections and buffers.
//
// Everything a reactor owns is touched only by its thread. Other threads reach it through
// three lock-free doors: its handoff ring (frames out to the core), its reply inbox (messages
// in from any thread) and its doorbell (wakes it when it sleeps). The loop:
//
//   1. reap completions: accepts, receives (TLS records -> framer -> frames), sends, closes
//   2. drain the reply inbox into connections' TLS record buffers
//   3. run the inline core (if any) on the handoff ring
//   4. reclaim buffers of frames the core popped; re-arm receives stopped by backpressure
//   5. seal and send everything queued per connection (one record, one send per connection)
//   6. expire timers; sleep in io_uring_enter only if there is nothing left to do
//
// The implementation is split by concern (engine/reactor/):
//   reactor.cc          set-up, the loop, completion dispatch, shutdown, config refresh, and
//                       the ReactorPort the inline core uses
//   reactor_accept.cc   accept (pausing it at sipring.max_handshakes, per-source admission),
//                       connect, installing sockets as direct descriptors, the SNI and
//                       session-ticket callbacks
//   reactor_client.cc   the client role: send_to, [client:...] domains, the clear-text queue
//                       until the handshake is done, connection reuse and RFC 5923 aliases
//   reactor_rx.cc       receive: handshake steps, TLS records opened in place, receive
//                       backpressure, partial-input accounting
//   reactor_frames.cc   SIP framing of the plaintext, reassembly across records, frames and
//                       events into the handoff ring, the 400 for a malformed message
//   reactor_tx.cc       send: queueing messages into records, send-queue accounting and
//                       limits, sealing and sending
//   reactor_close.cc    closing (graceful and hard), timers, shedding over the send budget,
//                       rate-limited per-peer log lines
//   reactor_control.cc  control calls answered on the reactor thread (tls.list, tls.info,
//                       tls.kill)
//   reactor_facts.cc    ReactorPort::tls_facts
//   reactor_proxy.cc    proxy listeners: the PROXY protocol header before TLS, its facts
//   reactor_keylog.cc   the key log callback (tls.keylog_mode, tls.keylog_file)
//   reactor_drain.cc    core.drain: stop accepting and close the listening sockets
//   reactor_poll.{h,cc} sipring.adaptive_poll: whether an idle reactor polls or sleeps
//   connection.h        per-connection state; conn_table.{h,cc} the slots ConnIds address;
//   op.h                io_uring request tags; conn_sink.h the ByteSink over a send queue;
//   source_limits.{h,cc} the per-source counts every reactor shares.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/byte_sink.h"
#include "engine/base/log.h"
#include "engine/base/net_prefix.h"
#include "engine/config/config_store.h"
#include "engine/io/block_pool.h"
#include "engine/io/buffer_ring.h"
#include "engine/io/mem_watch.h"
#include "engine/io/timer_wheel.h"
#include "engine/io/uring.h"
#include "engine/reactor/conn_table.h"
#include "engine/reactor/reactor_poll.h"
#include "engine/reactor/source_limits.h"
#include "engine/sip/sip_framer.h"
#include "engine/sync/budget.h"
#include "engine/sync/control_call.h"
#include "engine/sync/counters.h"
#include "engine/sync/doorbell.h"
#include "engine/sync/frame_queue.h"
#include "engine/sync/handoff_entry.h"
#include "engine/sync/instruments.h"
#include "engine/sync/reply_inbox.h"
#include "engine/sync/spsc_ring.h"
#include "sipring/engine.h"

namespace sipring {

class Reactor;

// The reactor that owns connections to `addr` (so one destination always uses one reactor).
inline uint32_t destination_owner(const SockAddr& addr, uint32_t reactors) {
  // FNV-1a over family, port and address only (never padding such as sin_zero).
  uint32_t h = 2166136261u;
  auto mix = [&h](const void* p, size_t n) {
    for (size_t i = 0; i < n; i++) h = (h ^ static_cast<const uint8_t*>(p)[i]) * 16777619u;
  };
  uint16_t port = addr.port();
  mix(&port, sizeof(port));
  if (addr.family() == AF_INET6) {
    mix(&reinterpret_cast<const sockaddr_in6*>(addr.sa())->sin6_addr, 16);
  } else {
    mix(&reinterpret_cast<const sockaddr_in*>(addr.sa())->sin_addr, 4);
  }
  return reactors == 0 ? 0 : h % reactors;
}

// What all reactors share, read-only while they run (set up by Engine before start). The
// configuration and TLS contexts live in the store, which changes at runtime.
struct ReactorShared {
  ConfigStore* store = nullptr;
  // Client role without client domains (an engine that does not listen, e.g. sipring-load).
  SSL_CTX* client_ctx = nullptr;
  std::string client_verify_hostname;
  int client_proxy_protocol = 0;   // Engine::Options::client_proxy_protocol: 0, 1 or 2
  std::vector<Reactor*> reactors;  // for sends to connections of other reactors
  const MemWatch* mem = nullptr;   // tls.low_mem_threshold1/2 flags (null: never low)
  CoreFactory core;                // inline core, or empty
  // Defences shared by every reactor (README "Limits and defences"); limits resolved at start.
  SharedBudget tx_budget;                  // sipring.wq_max: unsent bytes of all connections
  SharedBudget rx_budget;                  // sipring.rx_partial_max: partial records and messages
  SourceLimits sources;                    // connections and handshakes per source address
  uint32_t max_per_source = 0;             // sipring.max_connections_per_source, resolved
  uint32_t max_handshakes_per_source = 0;  // sipring.max_handshakes_per_source, resolved
  std::vector<NetPrefix> proxy_trusted;    // sipring.proxy_protocol_trusted
  // Clear-text bytes queued in all reactors (tls.ct_wq_max); relaxed: a limit, not an ordering.
  // Last and on its own cache line: every reactor writes it while connecting, while the fields
  // above are read on every cross-reactor send.
  alignas(64) std::atomic<int64_t> ct_bytes{0};
};

// A listening socket a reactor accepts on.
struct ReactorListener {
  int fd = -1;
  SockAddr addr;
  bool wildcard = false;  // bound to 0.0.0.0/::, so each connection's local address is looked up
  bool accept_armed = false;  // a multishot accept is in flight on it
  bool proxy = false;  // sipring.proxy_protocol_listen: connections start with a PROXY header
};

class Reactor final : public ReactorPort {
 public:
  // `engine`: this reactor's engine parameters (global ones with its overrides applied).
  Reactor(uint32_t index, int cpu, EngineParams engine, ReactorShared* shared,
          std::vector<ReactorListener> listeners);
  ~Reactor() override;

  // On the reactor's own thread: pins it, creates the ring, buffers and rings. Then run().
  Status setup();
  // Runs until stop; returns after every connection is closed (or the grace time ran out).
  void run();

  // --- Any thread ---
  // Stops the reactor by `deadline_ns` (CLOCK_MONOTONIC): run() returns by then less
  // shutdown_margin_ns() of it, so the caller's joins and teardown fit in that margin too (see
  // begin_shutdown for the timeline).
  void request_stop(uint64_t deadline_ns) noexcept;
  // What a shutdown leaves before its deadline for the last hard closes, and again for the
  // engine's joins and teardown: 50 ms each, or an eighth of `grace_ns` when that is shorter.
  static uint64_t shutdown_margin_ns(uint64_t grace_ns) noexcept;
  // Wakes the reactor if it sleeps (e.g. to pick up a new config snapshot).
  void wake() noexcept { doorbell_.ring(); }
  // Runs call->fn on this reactor's thread and waits up to `timeout_ms` for it. One call at a
  // time per reactor (the engine serializes control calls). False on timeout or if the reactor
  // is not running; the call then still completes (or is dropped with the reactor) safely.
  bool run_control(std::shared_ptr<ControlCall> call, int timeout_ms);

  // For control calls (reactor thread only): what tls.list / tls.info / tls.kill need.
  void describe_connections(std::vector<ConnectionInfo>* out);
  void summarize(TlsSummary* out);
  bool kill(ConnId id);
  SendStatus send_remote(ConnId id, std::span<const uint8_t> message) noexcept;
  SpscRing<HandoffEntry>& handoff() { return *handoff_; }
  ReactorStats stats() const { return counters_.snapshot(); }
  // Histograms and utilisation (engine/sync/instruments.h): the reactor thread writes them, and
  // the consumer of handoff() writes handoff_wait (ThreadInbox). Readers: snapshot().
  ReactorInstruments& instruments() noexcept { return instr_; }
  const ReactorInstruments& instruments() const noexcept { return instr_; }
  uint32_t capacity() const { return engine_.max_connections; }  // its connection table
  const UringFeatures& features() const { return uring_.features(); }
  std::atomic<bool>& stop_flag() { return stop_requested_; }

  // core.drain, in two control calls on this reactor's thread (reactor_drain.cc): first every
  // reactor stops accepting, then every reactor closes its listening sockets, so that closing a
  // socket several reactors share (sipring.reuseport=0) never fails another one's accept.
  // Both are idempotent.
  void drain_stop_accepting();
  // Closes the listeners (new connections are refused from now on) and says what is left:
  // returns the open connections of this reactor and sets `*accepted` to those a peer opened.
  uint32_t drain_close_listeners(uint32_t* accepted);

  // BoringSSL's new-session callback for client contexts: keeps the ticket for the next
  // connection to the same address. Runs on the reactor thread that owns the connection.
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  // BoringSSL's servername callback for server contexts: the connection (the SSL's user
  // pointer) says which address it was accepted on, and the set switches its domain.
  static int on_server_name(SSL* ssl, int* alert, void* set);
  // BoringSSL's key log callback, in every context built while tls.keylog_mode has bit 1: hands
  // `line` to the reactor running the handshake (see write_keylog). Ignored off reactor threads.
  static void on_keylog(const SSL* ssl, const char* line);
  // All three, for TlsContextSet::build.
  static TlsHooks tls_hooks() {
    return {&Reactor::on_new_session, &Reactor::on_server_name, &Reactor::on_keylog};
  }
  // The reactor running on the calling thread, or nullptr.
  static Reactor* current() { return current_; }

  // tls.low_mem_threshold1/2 right now (MemWatch::kRefuseNew / kPauseReads).
  uint8_t low_mem() const noexcept { return shared_->mem != nullptr ? shared_->mem->flags() : 0; }

  // --- ReactorPort (reactor thread only) ---
  uint32_t index() const noexcept override { return index_; }
  uint64_t now_ns() const noexcept override { return now_ns_; }
  const Frame* front() noexcept override;
  void pop() noexcept override;
  SendStatus send(ConnId id, std::span<const uint8_t> message) noexcept override;
  Result<ConnId> connect(const Destination& to) noexcept override;
  void close(ConnId id) noexcept override;
  SendResult send_to(const Destination& to, std::span<const uint8_t> message) noexcept override;
  Result<TlsFacts> tls_facts(ConnId id) noexcept override;
  Status add_alias(ConnId id, const Destination& to) noexcept override;

  // Any thread: whether `id` names a live connection of this reactor (it may close right after).
  bool alive(ConnId id) const noexcept;

  // Any thread: queues a send_to() for this reactor, the owner of `to` (see destination_owner).
  SendStatus send_to_remote(const Destination& to, std::span<const uint8_t> message) noexcept;

 private:
  friend class ConnSink;

  // reactor.cc
  void loop_once(bool may_sleep);
  // Instruments of one iteration (reactor.cc): busy time since `busy_from`, sleep since
  // `wait_from` (0: the enter did not sleep), completions per enter, buffer low-water.
  void note_loop(uint64_t busy_from, uint64_t wait_from, uint32_t completions) noexcept;
  // The block pool failed requests since the last look: counts them and says so (rate-limited).
  void note_pool_failures() noexcept;
  uint32_t reap_completions();  // returns the completions dispatched
  void dispatch(io_uring_cqe* cqe);
  void drain_inbox();
  void run_core();
  void reclaim_frames();
  void arm_wake();
  bool has_pending_work();
  uint64_t sleep_timeout_ns();
  void refresh_config();
  void run_pending_control();
  void begin_shutdown();
  bool step_shutdown();  // false when the loop may end

  // reactor_accept.cc
  void arm_accept(uint32_t listener);
  void on_accept(uint32_t listener, io_uring_cqe* cqe);
  void install(Connection* c);
  void on_install(Connection* c, int res);
  void on_connect(Connection* c, int res);
  // Per-source and reserve checks for a new connection from `peer`; false (logged, counted)
  // when it must be refused.
  bool admit(const SockAddr& peer, SourceLimits::Slots slots);
  // The connection's server handshake ended (done, failed or closed): uncounts it, and resumes
  // accepting when sipring.max_handshakes paused it.
  void end_handshake(Connection* c) noexcept;
  void pause_accepting();
  void resume_accepting();
  void start_tls(Connection* c);
  // Server role: picks the TLS domain of the connection's address and starts its handshake
  // state (reading is armed by the caller). False when it closed the connection.
  bool begin_server_tls(Connection* c);
  // Client tickets are keyed on everything the server's verification depended on: address,
  // client context and its generation, SNI and the expected name (RFC 5922). A resumed
  // session skips verification, so it must only resume where a full handshake would pass.
  static std::string session_key(const SockAddr& addr, const SSL_CTX* ctx, uint64_t generation,
                                 std::string_view sni, std::string_view expected_name);
  SSL_SESSION* session_for(const std::string& key);

  // reactor_client.cc
  // send_to() on the owning reactor: reuses or opens the destination's connection and queues
  // `message` on it. A refusal is logged here (rate-limited), since SendResult carries no text.
  // `queued_ns`: when the sender queued it (reply_send histogram).
  SendResult deliver_to(const Destination& to, std::span<const uint8_t> message,
                        uint64_t queued_ns) noexcept;
  void deliver_queued_send_to(std::span<const uint8_t> record, uint64_t queued_ns) noexcept;
  // The owner of `to`: makes `id` (a verified connection, maybe another reactor's) carry it.
  void register_alias(const Destination& to, ConnId id) noexcept;
  // Whether the connection a destination maps to can still take messages.
  bool destination_alive(ConnId id) noexcept;
  // Maps `key` to `id` in client_by_dest_, sweeping out closed connections first when the map
  // has doubled since the last sweep.
  void remember_destination(const std::string& key, ConnId id) noexcept;
  void prune_destinations() noexcept;
  void drop_ct_queue(Connection* c);       // discards unsent clear text (and its accounting)
  void drop_ct_accounting(Connection* c);  // the queue was handed on: release its share

  // reactor_rx.cc
  void arm_recv(Connection* c);
  void submit_recv(Connection* c);  // arm_recv without its checks (closing: drain)
  void on_recv(Connection* c, io_uring_cqe* cqe);
  void on_bytes(Connection* c, Block* blk, uint8_t* p, size_t n);
  void handshake_step(Connection* c, Block* blk, uint8_t*& p, size_t& n);
  // A handshake completed (reactor.cc): its duration histogram and probe.
  void note_handshake(Connection* c, bool resumed) noexcept;
  void open_records(Connection* c, Block* blk, uint8_t* p, size_t n);
  void open_record(Connection* c, Block* blk, uint8_t* rec, size_t len);
  // Ends an established connection over a bad record: one log line with `why`, then the fatal
  // alert `alert` (RFC 8446 §6, RFC 5246 §7.2) queued after what was staged, then the close.
  void fail_record(Connection* c, uint8_t alert, const char* why);
  void read_buffered(Connection* c, uint8_t* p, size_t n);
  void pause_recv(Connection* c);
  // rx_partial/msg_asm changed: updates rx_partial_bytes and the message clock (message_timeout).
  void partial_changed(Connection* c) noexcept;
  void rearm_stopped_recvs();
  void unref(Block* b) noexcept;

  // reactor_frames.cc
  void deliver(Connection* c, Block* blk, std::span<uint8_t> pt);
  void emit_message(Connection* c, Block* blk, const uint8_t* data, uint32_t len);
  void emit_event(Connection* c, FrameKind kind);
  void bad_message(Connection* c, std::span<const uint8_t> head, FrameReason reason);
  // Answers 400 with `why` in the reason phrase if `head` starts a request; true if queued.
  bool answer_400(Connection* c, std::span<const uint8_t> head, const char* why);

  // reactor_proxy.cc
  // Proxy listeners: `p`/`n` (a receive, in kProxyHeader state) go to the PROXY header; what
  // follows a complete header is left in p/n for the handshake (state then kHandshake). A
  // header split across receives is held in rx_partial. Refusals are counted, logged, closed.
  void read_proxy_header(Connection* c, uint8_t*& p, size_t& n);
  // The peer closed (`res` 0) or the header timer fired before a complete header.
  void proxy_header_missing(Connection* c, bool timeout);
  // Client role (Engine::Options::client_proxy_protocol): queues a PROXY header naming the
  // socket's own addresses before the first TLS bytes.
  bool queue_proxy_header(Connection* c);
  static ProxyFacts proxy_facts(const ProxyOrigin& o);

  // reactor_tx.cc
  bool queue_plain(Connection* c, std::span<const uint8_t> bytes);
  bool queue_raw(Connection* c, std::span<const uint8_t> bytes);
  bool seal_open_record(Connection* c);
  Block* tx_block(Connection* c, uint32_t need);
  void mark_dirty(Connection* c);
  void flush_all();
  void flush(Connection* c);
  void on_send(Connection* c, int res);
  // Every change of c->tx_bytes goes through these: the gauge, sipring.wq_max's budget, the send
  // clock (send_timeout), and the conn_wq_max pause and its end.
  void tx_grew(Connection* c, uint32_t n) noexcept;
  void tx_shrank(Connection* c, uint32_t n) noexcept;
  // Over sipring.conn_wq_hard_max: counted, logged, and an open connection closed (queue-full).
  void queue_overflow(Connection* c);
  // Pauses reading from `c` once its unsent bytes pass sipring.conn_wq_max.
  void pause_if_backlogged(Connection* c) noexcept;

  // reactor_close.cc
  void close_conn(Connection* c, CloseReason why);
  // A recv or send failed with `res` (-errno): closes, as a send timeout for ETIMEDOUT.
  void io_failed(Connection* c, const char* op, int res);
  void maybe_finish_close(Connection* c);
  void free_conn(Connection* c);
  void drop_tx(Connection* c);     // discards everything queued for sending
  void hard_close(Connection* c);  // linger is over: abort what is pending and close
  void on_timer(uint32_t slot);
  // An open connection's timer fires at its nearest deadline: idle (connection_timeout), send
  // progress (send_timeout_ms) or message completion (message_timeout_ms).
  uint64_t open_deadline(const Connection* c) const noexcept;
  void arm_open_timer(Connection* c);
  // Over sipring.wq_max or rx_partial_max: closes this reactor's largest holders until its share
  // fits again (end of a loop iteration, never inside a send).
  void shed_over_budget();
  // Logs an event of connection `c` at `level` (TLS events use tls.tls_log / tls.tls_debug),
  // rate-limited per reactor.
  void log_peer(int level, Connection* c, const char* what, const char* detail);

  // reactor_keylog.cc
  // Writes a key log line where this iteration's tls.keylog_mode says (bit 2 active: 4 the log,
  // 8 the snapshot's keylog_file), counting keylog_lines and keylog_failures. Handshakes only.
  void write_keylog(const char* line) noexcept;

  static thread_local Reactor* current_;

  uint32_t index_;
  int cpu_;
  const EngineParams engine_;  // ring sizes etc.: fixed for the reactor's life
  ReactorShared* shared_;
  const ConfigSnapshot* snap_ = nullptr;  // this iteration's configuration (refreshed each loop)
  const Config* cfg_ = nullptr;           // &snap_->config
  uint32_t max_message_size_ = 0;         // a copy other threads may read (send_remote)
  std::vector<ReactorListener> listeners_;

  Uring uring_;
  BufferRing buffers_;
  BlockPool pool_;
  std::unique_ptr<ConnTable> conns_;
  std::unique_ptr<TimerWheel> timers_;
  std::unique_ptr<SpscRing<HandoffEntry>> handoff_;
  FrameQueue overflow_;  // frames waiting for room in handoff_
  std::unique_ptr<ReplyInbox> inbox_;
  Doorbell doorbell_;
  std::unique_ptr<Core> core_;
  uint64_t core_deadline_ns_ = 0;
  ReactorCounters counters_;
  ReactorInstruments instr_;  // fixed memory (~72 KiB), allocated with the reactor
  RateLimitedLog peer_log_{20};
  RateLimitedLog keylog_log_{1};  // failed key log writes: one line a second at most
  RateLimitedLog pool_log_{1};    // block pool failures: one line a second at most

  uint64_t now_ns_ = 0;
  uint64_t last_activity_ns_ = 0;  // last iteration that reaped completions
  uint64_t busy_poll_ns_ = 0;
  ReactorPoll poll_;                   // sipring.adaptive_poll
  uint64_t wake_buf_ = 0;              // target of the armed eventfd read
  uint32_t flush_head_ = 0xffffffffu;  // connections with bytes to seal/send
  std::vector<uint64_t>
      stopped_recv_;  // ConnId raw values: connections whose recv must be re-armed
  std::unordered_map<std::string, bssl::UniquePtr<SSL_SESSION>> sessions_;  // client tickets
  std::unordered_map<std::string, uint64_t> client_by_dest_;  // send_to: destination -> ConnId
  size_t prune_destinations_at_ = 1024;
  std::atomic<bool> stop_requested_{false};
  std::atomic<ControlCall*> control_{nullptr};  // a call waiting for this thread
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> stop_deadline_ns_{0};  // the engine's deadline for the whole stop
  bool shutting_down_ = false;
  uint64_t drain_deadline_ns_ = 0;  // until then the core may still answer what it was handed
  uint64_t hard_close_ns_ = 0;      // then whatever is still open is closed hard
  uint64_t loop_end_ns_ = 0;        // and the loop ends by then, closes completed or not
  uint64_t last_reply_ns_ = 0;
  bool closing_all_ = false;
  bool delivering_ = true;  // false once shutdown began: input is discarded
  bool closed_hard_ = false;
  bool accepting_ = true;
  bool accept_paused_ = false;         // sipring.max_handshakes in flight: accepts wait
  uint32_t handshakes_in_flight_ = 0;  // server handshakes counted by kConnHandshakeCounted
  BudgetShare tx_share_;               // this reactor's part of shared_->tx_budget
  BudgetShare rx_share_;               // and of shared_->rx_budget
  bool over_budget_ = false;           // a share did not fit: shed at the end of the iteration
  uint32_t handoff_pause_threshold_ = 0;
  bool drained_ = false;  // core.drain closed the listeners
};

}  // namespace sipring
