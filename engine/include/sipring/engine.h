// sipring's public API: start the engine, receive framed SIP messages, send replies.
//
// The engine runs one reactor thread per configured CPU, each owning an io_uring and a share of
// the connections. Every complete SIP message a reactor frames becomes a Frame in that
// reactor's handoff ring. The SIP core consumes them in one of two ways:
//   - inline (fastest): the engine calls Core::run() on the reactor thread after each batch of
//     I/O; the core pops frames through the ReactorPort and replies through it, with no thread
//     hop and no copy beyond the TLS record buffer;
//   - threads: the embedder runs its own threads that pop frames with Engine::inbox(r) and reply
//     with Engine::send() from any thread (lock-free per-thread rings to the owning reactor).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipring/config.h"
#include "sipring/conn_id.h"
#include "sipring/frame.h"
#include "sipring/log.h"  // set_log_level, set_log_sink
#include "sipring/result.h"
#include "sipring/stats.h"
#include "sipring/tls_facts.h"

namespace sipring {

// Outcome of a send; allocation-free so it can be returned on the per-message path. It carries
// no text: where a refusal has a reason worth reading (which limit, which setup step failed),
// sipring logs it (rate-limited) and counts it.
enum class SendStatus : uint8_t {
  kOk,                  // queued; it goes out in order after anything queued before it
  kUnknownConnection,   // the id is stale, closed or never existed
  kQueueFull,           // the per-thread ring to that reactor is full: retry later
  kTooLarge,            // larger than the ring or the configured maximum message size
  kNotRunning,          // the engine is not running, or is stopping
  kOverloaded,          // the connection's send queue passed sipring.conn_wq_hard_max: sipring
                        // closes it (its kClosed frame says queue-full); a retry cannot succeed
  kConnectFailed,       // send_to: no connection to the destination could be opened (connection
                        // table full, below tls.low_mem_threshold1, no [client:...] domain, a
                        // socket or TLS setup error); the reason is logged
  kClearTextQueueFull,  // send_to: the connection is still being set up and its clear-text queue
                        // is over tls.con_ct_wq_max, or all of them over tls.ct_wq_max: retry
                        // once the handshake is done
};
// Stable short name of `s`, e.g. "clear-text-queue-full". A static string.
const char* send_status_name(SendStatus s) noexcept;

// Outcome of send_to(), allocation-free like SendStatus. `conn` is the connection that carries
// the message when the calling reactor owns the destination (ReactorPort::send_to on the owning
// reactor); otherwise (another reactor owns it, Engine::send_to, or a refusal) it is ConnId():
// the owning reactor picks or opens the connection later, and reports failures then as a kClosed
// frame.
struct SendResult {
  SendStatus status = SendStatus::kOk;
  ConnId conn;

  bool ok() const { return status == SendStatus::kOk; }
};

// Where send_to() delivers: a peer address, and optionally the SIP domain served there (sent as
// SNI, and the name its certificate must carry when verification is on) and the id of the
// [client:...] domain to use (Kamailio's server_id).
struct Destination {
  SockAddr addr;
  std::string server_name;
  std::string server_id;
};

// The reactor-side view a Core uses while Core::run() executes on the reactor thread.
class ReactorPort {
 public:
  virtual ~ReactorPort() = default;
  // Index of this reactor.
  virtual uint32_t index() const noexcept = 0;
  // CLOCK_MONOTONIC in nanoseconds, as the reactor read it for this iteration.
  virtual uint64_t now_ns() const noexcept = 0;
  // The next frame of this reactor's handoff ring, or nullptr. Valid until pop().
  virtual const Frame* front() noexcept = 0;
  // Releases the front frame: its bytes must not be used afterwards.
  virtual void pop() noexcept = 0;
  // Queues a message to a connection of any reactor. Same thread as the owner: appended
  // straight to the connection's TLS record buffer.
  virtual SendStatus send(ConnId id, std::span<const uint8_t> message) noexcept = 0;
  // Opens a new client connection (TLS client role) to `to` from this reactor, with the
  // [client:...] domain that matches it and SNI to.server_name (or the domain's server_name); it
  // does not reuse a connection sipring already has there (send_to does). The id is usable at
  // once; a kOpened frame follows when the handshake completes (or kClosed if it fails).
  // Messages sent before then wait in the clear-text queue. Errors (stopping, low memory, table
  // full, no client domain, socket or TLS setup) say which.
  virtual Result<ConnId> connect(const Destination& to) noexcept = 0;
  // Closes a connection after what is queued for it has been sent.
  virtual void close(ConnId id) noexcept = 0;
  // Sends `message` to `to`, over the connection sipring already has to that destination or a
  // new one (TLS client role, the matching [client:...] domain, SNI). Messages wait in the
  // clear-text queue until the handshake is done, in order; over tls.con_ct_wq_max (per
  // connection) or tls.ct_wq_max (in all) the send is refused (kClearTextQueueFull). When this
  // reactor owns the destination the result names the connection; when another reactor does,
  // the message is handed to it and the result's conn is ConnId() (SendResult).
  virtual SendResult send_to(const Destination& to, std::span<const uint8_t> message) noexcept = 0;
  // RFC 5923 connection reuse: lets connection `id` (of this reactor, opened by the peer) carry
  // later send_to(`to`) messages, as the core decides when a request's top Via has ";alias"
  // (Kamailio's force_tcp_alias()). Allowed only once the peer is authenticated: its
  // certificate chain verified and the certificate names to.server_name (or, when that is empty,
  // to.addr's IP) by the RFC 5922 rules. A destination that already has a live connection keeps
  // it; the alias ends when the connection closes. Errors say which condition failed.
  virtual Status add_alias(ConnId id, const Destination& to) noexcept = 0;
  // What is known of a connection of this reactor: TLS version, cipher, SNI, the peer's and our
  // certificate (parsed now, not before), whether the peer verified. Unknown id: an error.
  virtual Result<TlsFacts> tls_facts(ConnId id) noexcept = 0;
};

// The SIP core in inline mode: one instance per reactor, always called on that reactor's thread.
class Core {
 public:
  virtual ~Core() = default;
  // Drains the frames available through `port` and does any due work. Returns the time at which
  // it wants to run again even if no frame arrives, or 0 for "only on frames": nanoseconds of
  // CLOCK_MONOTONIC, the clock of ReactorPort::now_ns().
  virtual uint64_t run(ReactorPort& port) noexcept = 0;
};
using CoreFactory = std::function<std::unique_ptr<Core>(uint32_t reactor)>;

// What tls.list shows of one connection.
struct ConnectionInfo {
  ConnId id;
  std::string domain;  // the TLS domain in use, e.g. "server:default"
  std::string sni;     // the server name the client asked for, or ""
  // When it was accepted or connected (wall clock, whole seconds).
  std::chrono::system_clock::time_point started;
  // Time left until the idle timeout closes it (whole seconds); negative = no idle timeout.
  std::chrono::seconds timeout{-1};
  SockAddr peer;       // remote address
  SockAddr local;      // local address
  std::string cipher;  // IANA name, e.g. "TLS_AES_128_GCM_SHA256", "" before the handshake
  uint16_t tls_version = 0;
  const char* state = "";     // "connecting", "handshake", "established", "closing"
  uint32_t queued_bytes = 0;  // bytes waiting to be sent (clear-text queue included)
  bool client = false;        // opened by sipring
  bool peer_verified = false;
  // Accepted on a sipring.proxy_protocol_listen address: what its PROXY header said (`peer`
  // is the client it named). Absent while the header is still being read.
  std::optional<ProxyFacts> proxy;
};

// What tls.info shows.
struct TlsSummary {
  uint64_t max_connections = 0;  // over all reactors
  uint64_t opened_connections = 0;
  uint64_t clear_text_queued_bytes = 0;  // waiting for handshakes to finish (client role)
  // Defences (README "Limits and defences"): what is held now, and the limits in force.
  uint64_t send_queued_bytes = 0;           // unsent bytes of all connections
  uint64_t send_queue_budget = 0;           // sipring.wq_max as resolved
  uint64_t partial_bytes = 0;               // partial records and messages held
  uint64_t partial_budget = 0;              // sipring.rx_partial_max as resolved
  uint64_t handshakes_in_progress = 0;      // server handshakes
  uint64_t max_connections_per_source = 0;  // as resolved
};

// What tls.certs shows of one certificate the TLS configuration in use presents.
struct TlsCertificate {
  std::string domain;         // the TLS domain presenting it, e.g. "server:default"
  std::string file;           // the file it was read from (at start or the last successful reload)
  CertFacts facts;            // subject, issuer, serial, subjectAltNames, validity, key type
  int64_t days_left = 0;      // whole days until notAfter, rounded down; negative once expired
  bool certificate2 = false;  // the domain's second certificate (tls.certificate2)
};

// What tls.ticket_keys shows of the session-ticket keys: where they come from and which seals.
// Never key material: keys are identified by ticket_key_fingerprint (crypto/ticket_key_file.h).
struct TicketKeyInfo {
  std::string file;                       // tls.ticket_key_file in use; "" = per-process keys
  size_t keys = 0;                        // keys held: every one opens tickets
  size_t sealing = 0;                     // index (in `fingerprints`) of the key that seals
  int bits = 128;                         // AES-128 or AES-256
  std::vector<std::string> fingerprints;  // of each key held (file keys: in file order)
  size_t file_lines = 0;                  // keys in the file, used or not
  int64_t loaded_at = 0;                  // Unix time of the last read that installed keys
  std::string last_error;                 // why the last read was refused ("" if it was not)
  int64_t last_error_at = 0;              // Unix time of that refusal
  uint64_t loads = 0;                     // reads that installed keys
  uint64_t refused = 0;                   // reads refused
  uint64_t rotations = 0;                 // per-process rotations done
};

// What core.drain reports (Engine::drain).
struct DrainReport {
  bool first = false;        // this call closed the listening sockets (false: an earlier one did)
  uint64_t connections = 0;  // connections still open, over all reactors, both roles
  uint64_t accepted = 0;     // of which peers opened (server role): what a drain waits for
  std::vector<uint64_t> per_reactor;  // connections still open on each reactor
};

class Engine {
 public:
  struct Options {
    CoreFactory core;  // inline core; leave empty to consume with inbox() threads
    // For connect(): the client role's TLS profile. Verification of the server (its chain
    // against ca_list/ca_path, its name as verify_hostname says) is on with verify_certificate;
    // tickets: offer the last session ticket received from the same address.
    TlsProfile client;
    bool listen = true;  // false: a pure client (load generator)
    // Client role: 1 or 2 sends a PROXY protocol header of that version (naming the socket's
    // own addresses) before the TLS ClientHello, as a balancer would; 0 = none. For load
    // generators and tests of proxy listeners (sipring-load --proxy-protocol).
    int client_proxy_protocol = 0;
  };

  // Validates `config` (certificates, keys, sockets are checked at start()).
  static Result<std::unique_ptr<Engine>> create(const Config& config, Options options);
  ~Engine();

  // Builds TLS contexts, opens listeners and starts the reactors. Logs one line saying which
  // kernel and library features are used.
  Status start();
  // Stops accepting, flushes queued replies, sends close_notify if configured, and closes all
  // connections. Returns within `grace` of the call (plus scheduling delays): what is still
  // open shortly before that is closed hard, and a small margin is left for the caller's own
  // teardown (50 ms, less for a short grace). A negative grace counts as zero. Idempotent.
  // Call it from one thread, not from a reactor thread (a Core) nor a sink.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(2));
  bool running() const;

  uint32_t reactors() const;

  // Queues `message` for connection `id` from any thread (lock-free, wakes the reactor only
  // if it sleeps). Thread-safe.
  SendStatus send(ConnId id, std::span<const uint8_t> message) noexcept;
  // Sends to a destination from any thread: the reactor that owns the destination (chosen by a
  // hash of its address, so one destination always lands on the same reactor) reuses its
  // connection there or opens one. The result's conn is always ConnId() (the owning reactor
  // picks the connection later). Failures after queueing (connect, handshake, queue limits)
  // are logged and counted, and reach the core as a kClosed frame when a connection was opened.
  // Thread-safe.
  SendResult send_to(const Destination& to, std::span<const uint8_t> message) noexcept;
  // ReactorPort::connect from any thread, on the reactor that owns `to` (as send_to picks it),
  // waiting for it: a control call, not for the per-message path. The id is usable at once; a
  // kOpened frame follows when the handshake completes, a kClosed frame if it fails.
  Result<ConnId> connect(const Destination& to);
  // ReactorPort::add_alias from any thread (asked of the connection's reactor, and waits for it).
  Status add_alias(ConnId id, const Destination& to);
  // ReactorPort::tls_facts from any thread (asked of the owning reactor).
  Result<TlsFacts> tls_facts(ConnId id);

  // The consumer side of reactor `r`'s handoff ring, for threads mode. One consumer thread per
  // reactor. Frames stay valid until popped.
  class Inbox {
   public:
    virtual ~Inbox() = default;
    virtual const Frame* front() noexcept = 0;
    virtual void pop() noexcept = 0;
    // Blocks until a frame is available or the engine stops; false when stopping.
    virtual bool wait() noexcept = 0;
  };
  Inbox& inbox(uint32_t r);

  // Rotates the shared session-ticket key (the previous one is still accepted). With
  // tls.ticket_key_file set the file's keys stay (the file is rotated instead): logged.
  void rotate_ticket_keys();
  // tls.ticket_keys: the session-ticket keys in use, described without key material.
  TicketKeyInfo ticket_keys() const;
  // tls.ticket_keys_reload: re-reads tls.ticket_key_file (or, unset, returns to per-process
  // keys) without touching the TLS contexts. A bad file changes nothing; the error says why.
  Status reload_ticket_keys();

  // A consistent-enough snapshot of every reactor's counters (relaxed reads).
  EngineStats stats() const;

  // The kernel/library feature line logged at start.
  std::string features() const;

  // Runtime configuration (what the cfg.* RPCs call). Changes a parameter the registry marks
  // runtime-changeable; `value` is the text form, `is_number` says it was written as a number.
  // Validated exactly like a config file value; every reactor sees it at its next iteration.
  Status set_param(std::string_view module, std::string_view name, std::string_view value,
                   bool is_number);
  Result<std::string> get_param(std::string_view module, std::string_view name) const;
  // tls.reload: re-reads certificates, keys, CA lists, CRLs, the tls.cfg file and
  // tls.ticket_key_file once, builds new TLS contexts and swaps them in for new connections. On
  // error nothing changes.
  Status reload_tls();

  // tls.list / tls.kill / tls.info: asked of every reactor on its own thread (a control call,
  // never a lock on the data path). Any thread; they wait for the reactors (bounded).
  Result<std::vector<ConnectionInfo>> connections();
  Status close_connection(ConnId id);
  Result<TlsSummary> tls_summary();
  // core.drain: every reactor stops accepting and closes its listening sockets, so new
  // connections are refused (what an L4 balancer's TCP check sees as a node down) while every
  // established connection keeps being served, both roles, until it closes; stop() ends them.
  // Idempotent: a later call changes nothing and reports what is still open. Logs a line at
  // each call. Any thread but a reactor's; waits for every reactor (bounded, as tls_summary).
  Result<DrainReport> drain();
  // What the core.shutdown RPC asks of the program: to stop as it does on its own (the sipring
  // daemon: as on SIGTERM), with `grace` (negative: the program's own grace time). `handler` is
  // called on the control socket's thread, which answers the RPC once it returns: it must only
  // note the request (a flag, a signal to the program's own thread), never call stop() itself,
  // which joins that thread. Set it before start(); without one core.shutdown is refused with a
  // message saying so.
  void set_shutdown_handler(std::function<void(std::chrono::milliseconds grace)> handler);
  // core.shutdown: hands the request to the shutdown handler (a negative grace: the program's
  // own), or refuses with a message when there is none. Any thread.
  Status request_shutdown(std::chrono::milliseconds grace);
  // tls.certs: the certificate of every TLS domain in use (as loaded, whatever the files hold
  // now). Any thread; reads the immutable TLS contexts, asks no reactor.
  Result<std::vector<TlsCertificate>> tls_certificates() const;

  // The control socket's path, or "" when it is disabled.
  std::string control_socket() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  Status start_control();
  std::unique_ptr<Impl> impl_;
};

}  // namespace sipring
