// The public Engine: builds the shared TLS contexts and listeners, starts one reactor thread per
// CPU, and routes calls from any thread to the owning reactor.
#include "sipring/engine.h"

#include <openssl/ssl.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "crypto/library_check.h"
#include "crypto/ticket_keys.h"
#include "crypto/tls_context.h"
#include "engine/api/engine_impl.h"
#include "engine/api/engine_keylog.h"
#include "engine/api/tls_auto_reload.h"
#include "engine/base/error_format.h"
#include "engine/base/log.h"
#include "engine/base/net_prefix.h"
#include "engine/config/config_store.h"
#include "engine/io/listener.h"
#include "engine/io/mem_watch.h"
#include "engine/reactor/reactor.h"
#include "engine/tls/tls_contexts.h"
#include "engine/tls/tls_inventory.h"

namespace sipring {

namespace {

// Says once, at start, what parameters ask for that sipring does differently or discourages.
// (TLS 1.0/1.1 methods are warned about where the domains are built, for modparams and tls.cfg
// alike: TlsContextSet::build.)
void warn_about_params(const TlsParams& tls) {
  if (tls.ssl_read_ahead != 0) {
    SIPRING_LOG(kLogNotice, "tls",
                "tls.ssl_read_ahead=%d has no effect: sipring always reads whole socket buffers "
                "and opens TLS records where they lie",
                tls.ssl_read_ahead);
  }
}

uint32_t online_cpus() {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<uint32_t>(n) : 1;
}

// The CPUs this process may run on (its affinity, e.g. from taskset or a cpuset), in order; the
// online ones when the affinity cannot be read. Reactors without sipring.cpus are pinned to
// these, so `taskset -c 1 sipring-load` keeps the load's reactor off a server pinned to CPU 0
// (pinning reactor i to CPU i instead put both on CPU 0: every server wake-up then had to
// preempt the load's polling reactor, milliseconds of latency tail that were not the server's).
std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; c++) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  if (cpus.empty()) {
    for (uint32_t c = 0; c < online_cpus(); c++) cpus.push_back(static_cast<int>(c));
  }
  return cpus;
}

// Direct descriptor tables are capped at RLIMIT_NOFILE; raise the soft limit to the hard one.
uint32_t usable_files() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 1024;
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  return rl.rlim_cur > 1u << 24 ? 1u << 24 : static_cast<uint32_t>(rl.rlim_cur);
}

// "32 KiB", "3.0 GiB": sizes in the start-up statement of the limits.
std::string human_bytes(uint64_t n) {
  char buf[32];
  if (n >= (1ull << 30)) {
    snprintf(buf, sizeof(buf), "%.1f GiB", double(n) / double(1ull << 30));
  } else if (n >= (1ull << 20)) {
    snprintf(buf, sizeof(buf), "%.1f MiB", double(n) / double(1ull << 20));
  } else {
    snprintf(buf, sizeof(buf), "%llu KiB", static_cast<unsigned long long>(n >> 10));
  }
  return buf;
}

// sipring.wq_max / rx_partial_max: as set, or `1/divisor` of the memory this process may use
// (at least 16 MiB, at most 2 GiB: what the parameter can state).
uint64_t budget_bytes(uint32_t set, uint64_t memory_bytes, uint64_t divisor) {
  if (set != 0) return set;
  return std::clamp<uint64_t>(memory_bytes / divisor, 16ull << 20, INT32_MAX);
}

// sipring.proxy_protocol_*: a proxy listener needs the balancers' networks (else every
// connection would be refused, or worse, any peer could claim any address), and an address is
// either a plain or a proxy listener, never both.
Status check_proxy_protocol(const Config& config) {
  auto trusted = parse_net_prefixes(config.engine.proxy_protocol_trusted);
  if (!trusted) {
    return make_error(Errc::kConfig, "%s: sipring.proxy_protocol_trusted: %s",
                      config.source.c_str(), trusted.error().message.c_str());
  }
  if (config.proxy_protocol_listen.empty()) return Status::ok();
  if (trusted->empty()) {
    return make_error(Errc::kConfig,
                      "%s: sipring.proxy_protocol_listen (tls:%s) needs "
                      "sipring.proxy_protocol_trusted: the balancers' networks, e.g. "
                      "modparam(\"sipring\", \"proxy_protocol_trusted\", \"10.0.0.0/24\"); "
                      "without it no PROXY header could be believed",
                      config.source.c_str(),
                      config.proxy_protocol_listen[0].addr.to_string().c_str());
  }
  for (const ListenSpec& p : config.proxy_protocol_listen) {
    for (const ListenSpec& l : config.listen) {
      if (l.addr == p.addr) {
        return make_error(Errc::kConfig,
                          "%s: tls:%s is in both listen and sipring.proxy_protocol_listen: an "
                          "address either expects a PROXY header or never reads one",
                          config.source.c_str(), p.addr.to_string().c_str());
      }
    }
  }
  return Status::ok();
}

}  // namespace

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() {
  stop(std::chrono::milliseconds(0));
}

Result<std::unique_ptr<Engine>> Engine::create(const Config& config, Options options) {
  if (options.listen && config.listen.empty() && config.proxy_protocol_listen.empty()) {
    return make_error(Errc::kConfig,
                      "%s: nothing to listen on: add a line like listen=tls:127.0.0.1:5061",
                      config.source.c_str());
  }
  if (Status s = check_proxy_protocol(config); !s) return s;
  if (options.client_proxy_protocol < 0 || options.client_proxy_protocol > 2) {
    return make_error(Errc::kConfig, "client_proxy_protocol %d: write 0 (none), 1 or 2",
                      options.client_proxy_protocol);
  }
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->options = std::move(options);
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Status Engine::start() {
  Impl& m = *impl_;
  if (m.running.load(std::memory_order_relaxed)) return Status::ok();
  Config& cfg = m.config;
  const uint32_t ncpu = online_cpus();
  const std::vector<int> allowed = allowed_cpus();
  uint32_t n = cfg.engine.reactors > 0    ? static_cast<uint32_t>(cfg.engine.reactors)
               : !cfg.engine.cpus.empty() ? static_cast<uint32_t>(cfg.engine.cpus.size())
                                          : ncpu;
  uint32_t files = usable_files();
  if (cfg.engine.max_connections + 64 > files) {
    uint32_t capped = files > 128 ? files - 64 : 64;
    SIPRING_LOG(
        kLogNotice, "engine",
        "sipring.max_connections %u exceeds the open-file limit %u (it also caps io_uring's "
        "direct descriptor table): using %u per reactor",
        cfg.engine.max_connections, files, capped);
    cfg.engine.max_connections = capped;
  }

  if (cfg.engine.conn_wq_hard_max < cfg.engine.conn_wq_max) {
    return make_error(Errc::kConfig,
                      "%s: sipring.conn_wq_hard_max (%u) is below sipring.conn_wq_max (%u): a "
                      "connection would be closed before reading from it ever paused",
                      cfg.source.c_str(), cfg.engine.conn_wq_hard_max, cfg.engine.conn_wq_max);
  }
  // The registry refuses these in a config file; a Config built in code gets the same answer.
  for (auto [name, value] : {std::pair<const char*, uint32_t>{"wq_max", cfg.engine.wq_max},
                             {"rx_partial_max", cfg.engine.rx_partial_max}}) {
    if (value > 0 && value < 65536) {
      return make_error(Errc::kConfig,
                        "%s: sipring.%s (%u) is below 64 KiB: a process-wide budget that small "
                        "would not hold a few connections' bytes; write at least 65536, or 0 for "
                        "the automatic size",
                        cfg.source.c_str(), name, value);
    }
  }
  if (Status s = check_tls_library(cfg.tls.tls_force_run); !s) return s;
  if (TlsLibraryInfo lib = tls_library_info(); !lib.matches) {
    SIPRING_LOG(kLogWarn, "tls",
                "tls_force_run: starting with %s although sipring was compiled against %s",
                lib.runtime.c_str(), lib.compiled.c_str());
  }
  warn_about_params(cfg.tls);
  std::shared_ptr<const TlsContextSet> contexts;
  if (m.options.listen) {
    auto keys = m.ticket_source.read(cfg.tls, "start");
    if (!keys) return keys.status();
    m.ticket_source.install(std::move(keys.value()), "start");
    auto set = TlsContextSet::build(cfg.tls, cfg.config_dir, &m.tickets, 1, Reactor::tls_hooks());
    if (!set) return set.status();
    if (!set.value()->has_server()) {
      return make_error(Errc::kConfig, "%s: no TLS server domain: add [server:default] to %s",
                        cfg.source.c_str(), cfg.tls.config.c_str());
    }
    contexts = std::move(set.value());
  }
  m.shared.client_verify_hostname = m.options.client.verify_hostname;
  m.shared.client_proxy_protocol = m.options.client_proxy_protocol;
  auto cctx = make_client_context(m.options.client);
  if (!cctx) return cctx.status();
  m.client_ctx = std::move(cctx.value());
  SSL_CTX_sess_set_new_cb(m.client_ctx.get(), &Reactor::on_new_session);
  auto keylog = start_keylog(cfg.tls, m.client_ctx.get());
  if (!keylog) return keylog.status();

  // ctl.metrics first: see Impl::bind_metrics (engine_control.cc).
  if (Status s = m.bind_metrics(*this); !s) return s;
  // One listening socket per reactor and address (SO_REUSEPORT: the kernel spreads connections
  // by 4-tuple hash), or with sipring.reuseport=0 one socket whose accept queue every reactor
  // shares (each gets its own descriptor of it). A port 0 in the config is resolved by the
  // first socket and reused by the others.
  std::vector<std::vector<ReactorListener>> listeners(n);
  if (m.options.listen) {
    // Plain listeners first, then the PROXY protocol ones (their index says which they are).
    std::vector<ListenSpec> specs = cfg.listen;
    const size_t plain = specs.size();
    specs.insert(specs.end(), cfg.proxy_protocol_listen.begin(), cfg.proxy_protocol_listen.end());
    for (size_t i = 0; i < specs.size(); i++) {
      ListenSpec spec = specs[i];
      for (uint32_t r = 0; r < n; r++) {
        Result<int> fd =
            (!cfg.engine.reuseport && r > 0)
                ? Result<int>(::dup(listeners[0].back().fd))
                : open_listener(spec, cfg.engine.reuseport, cfg.engine.send_timeout_ms);
        if (fd && fd.value() < 0)
          fd = make_error(Errc::kIo, "dup of a listener: %s", strerror(errno));
        if (!fd) {
          for (auto& v : listeners) {
            for (auto& l : v) ::close(l.fd);
          }
          m.metrics.reset();
          return fd.status();
        }
        ReactorListener l;
        l.fd = fd.value();
        l.addr = bound_address(l.fd);
        l.proxy = i >= plain;
        sockaddr_in6 any6 = {};
        l.wildcard = (spec.addr.family() == AF_INET &&
                      reinterpret_cast<const sockaddr_in*>(spec.addr.sa())->sin_addr.s_addr == 0) ||
                     (spec.addr.family() == AF_INET6 &&
                      memcmp(&reinterpret_cast<const sockaddr_in6*>(spec.addr.sa())->sin6_addr,
                             &any6.sin6_addr, sizeof(in6_addr)) == 0);
        if (r == 0) spec.addr = l.addr;  // later reactors bind the port the first one got
        listeners[r].push_back(l);
      }
    }
  }

  m.store = std::make_unique<ConfigStore>(n);
  m.store->init(cfg, std::move(contexts), std::move(keylog.value()));
  m.shared.store = m.store.get();
  m.shared.proxy_trusted = parse_net_prefixes(cfg.engine.proxy_protocol_trusted).value();
  m.shared.client_ctx = m.client_ctx.get();
  m.shared.core = m.options.core;
  m.mem.set_thresholds(cfg.tls.low_mem_threshold1, cfg.tls.low_mem_threshold2);
  m.mem.start();
  m.shared.mem = &m.mem;
  for (uint32_t r = 0; r < n; r++) {
    int cpu = -1;
    EngineParams e = params_for(cfg.engine, r, &cpu);
    if (cpu < 0) cpu = allowed[r % allowed.size()];
    if (e.max_connections + 64 > files) e.max_connections = files > 128 ? files - 64 : 64;
    m.reactors.push_back(
        std::make_unique<Reactor>(r, cpu, std::move(e), &m.shared, std::move(listeners[r])));
    m.shared.reactors.push_back(m.reactors.back().get());
  }

  // Defences: resolve the automatic limits from this machine and say what they are.
  uint64_t table = 0;
  for (uint32_t r = 0; r < n; r++) table += m.reactors[r]->capacity();
  const uint64_t memory = total_memory_kb() * 1024;
  const uint64_t wq = budget_bytes(cfg.engine.wq_max, memory, 8);
  const uint64_t rx = budget_bytes(cfg.engine.rx_partial_max, memory, 16);
  m.shared.tx_budget.init(wq, n);
  m.shared.rx_budget.init(rx, n);
  m.shared.max_per_source = cfg.engine.max_connections_per_source != 0
                                ? cfg.engine.max_connections_per_source
                                : static_cast<uint32_t>(std::max<uint64_t>(1, table / 4));
  m.shared.max_handshakes_per_source =
      cfg.engine.max_handshakes_per_source != 0
          ? cfg.engine.max_handshakes_per_source
          : std::max<uint32_t>(1, cfg.engine.max_handshakes * n / 2);
  SIPRING_LOG(kLogInfo, "engine",
              "limits: reading pauses above %s of unsent replies per connection, which closes "
              "above %s; unsent replies in all %s%s, partial input in all %s%s (of %s memory); "
              "per source (IPv4 address, IPv6 /64) %u connections%s and %u handshakes%s; %u "
              "handshakes per reactor; send timeout %d ms, message timeout %d ms",
              human_bytes(cfg.engine.conn_wq_max).c_str(),
              human_bytes(cfg.engine.conn_wq_hard_max).c_str(), human_bytes(wq).c_str(),
              cfg.engine.wq_max ? "" : " (auto, 1/8)", human_bytes(rx).c_str(),
              cfg.engine.rx_partial_max ? "" : " (auto, 1/16)", human_bytes(memory).c_str(),
              m.shared.max_per_source,
              cfg.engine.max_connections_per_source ? "" : " (auto, 1/4 of the tables)",
              m.shared.max_handshakes_per_source,
              cfg.engine.max_handshakes_per_source ? "" : " (auto, 1/2 of max_handshakes)",
              cfg.engine.max_handshakes, cfg.engine.send_timeout_ms, cfg.engine.message_timeout_ms);
  if (cfg.engine.adaptive_poll) {
    SIPRING_LOG(kLogInfo, "engine",
                "adaptive poll: on; each reactor polls instead of sleeping while work returns "
                "faster than it measures a wake-up to take, adding at most %u%% to its CPU time "
                "(sipring.adaptive_poll_cpu_max)",
                cfg.engine.adaptive_poll_cpu_max);
  }

  // Each reactor sets itself up on its own thread (SINGLE_ISSUER binds the ring to it).
  std::mutex mu;
  std::condition_variable cv;
  uint32_t ready = 0;
  Status first_error;
  for (uint32_t r = 0; r < n; r++) {
    Reactor* reactor = m.reactors[r].get();
    m.threads.emplace_back([&, reactor] {
      Status s = reactor->setup();
      {
        // Notify under the lock: start() may return and destroy `cv` as soon as it sees `ready`.
        std::lock_guard<std::mutex> lock(mu);
        if (!s && first_error) first_error = s;
        ready++;
        cv.notify_all();
      }
      if (s) reactor->run();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return ready == n; });
  }
  m.running.store(true, std::memory_order_release);
  for (auto& r : m.reactors) {
    m.inboxes.push_back(std::make_unique<ThreadInbox>(
        &r->handoff(), &m.inbox_stop, &r->instruments()[HistogramId::handoff_wait]));
  }
  if (!first_error) {
    stop(std::chrono::milliseconds(0));
    return first_error;
  }
  // Set before the control thread starts: core.version and /metrics read them there.
  m.start_time_unix = static_cast<int64_t>(time(nullptr));
  m.features =
      "io_uring: " + m.reactors[0]->features().describe() + "; TLS: " + tls_library_summary() +
      "; TLS 1.3 records in place, TLS 1.2 via SealRecord/OpenRecord; " + std::to_string(n) +
      " reactor(s); instruments: " + (kInstrumentsEnabled ? "on" : "off");
  if (Status s = start_control(); !s) {
    stop(std::chrono::milliseconds(0));
    return s;
  }
  // When tls.ticket_key_file is all that changed the watcher replaces only the keys, as
  // tls.ticket_keys_reload does: the contexts (and client sessions keyed on them) stay.
  auto reload_keys = [&m] {
    std::lock_guard<std::mutex> lock(m.reload_mu);
    return m.ticket_source.reload(m.store->config().tls, "automatic reload");
  };
  m.auto_reload.start(
      m.store.get(), [this] { return reload_tls(); }, reload_keys);
  SIPRING_LOG(kLogInfo, "engine", "%s", m.features.c_str());
  return Status::ok();
}

void Engine::stop(std::chrono::milliseconds grace) {
  Impl& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return;
  // The grace bounds the whole stop, counted from now: the reactors plan their shutdown
  // backwards from this deadline and leave their loops Reactor::shutdown_margin_ns() before
  // it, which is what the joins below and the caller's teardown have left.
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t grace_ns = uint64_t(std::max<int64_t>(grace.count(), 0)) * 1'000'000ull;
  const uint64_t deadline =
      uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec) + grace_ns;
  if (m.rpc) m.rpc->stop();  // no control call may reach a stopping reactor
  m.metrics.reset();         // nor a scrape; and the metrics port closes with the socket
  m.auto_reload.stop();      // nor an automatic reload
  for (auto& r : m.reactors) r->request_stop(deadline);
  for (auto& t : m.threads) t.join();
  m.threads.clear();
  m.mem.stop();
  // Release: a sender that sees "not running" also sees the reactors' final state.
  m.running.store(false, std::memory_order_release);
  m.inbox_stop.store(true, std::memory_order_release);
  for (auto& r : m.reactors) r->handoff().wake_consumer();
}

bool Engine::running() const {
  return impl_->running.load(std::memory_order_acquire);
}

uint32_t Engine::reactors() const {
  return static_cast<uint32_t>(impl_->reactors.size());
}

SendStatus Engine::send(ConnId id, std::span<const uint8_t> message) noexcept {
  Impl& m = *impl_;
  // Acquire: pairs with start()/stop(); reactors exist while this reads true.
  if (!m.running.load(std::memory_order_acquire)) return SendStatus::kNotRunning;
  if (id.reactor() >= m.reactors.size()) return SendStatus::kUnknownConnection;
  return m.reactors[id.reactor()]->send_remote(id, message);
}

Engine::Inbox& Engine::inbox(uint32_t r) {
  return *impl_->inboxes.at(r);
}

void Engine::rotate_ticket_keys() {
  impl_->ticket_source.rotate();
}

TicketKeyInfo Engine::ticket_keys() const {
  return impl_->ticket_source.info();
}

Status Engine::reload_ticket_keys() {
  Impl& m = *impl_;
  if (!m.store) return make_error(Errc::kNotRunning, "the engine was not started");
  if (!m.options.listen) {
    return make_error(Errc::kConfig, "no session-ticket keys: this engine serves no TLS");
  }
  std::lock_guard<std::mutex> lock(m.reload_mu);
  return m.ticket_source.reload(m.store->config().tls, "tls.ticket_keys_reload");
}

EngineStats Engine::stats() const {
  EngineStats s;
  for (auto& r : impl_->reactors) s.reactors.push_back(r->stats());
  if (!s.reactors.empty()) {
    impl_->auto_reload.add_counters(&s.reactors[0]);
    impl_->ticket_source.add_counters(&s.reactors[0]);
  }
  return s;
}

std::string Engine::features() const {
  return impl_->features;
}

Status Engine::set_param(std::string_view module, std::string_view name, std::string_view value,
                         bool is_number) {
  Impl& m = *impl_;
  if (!m.store) return make_error(Errc::kNotRunning, "the engine was not started");
  ParamValue v = ParamValue::of_text(value);
  if (is_number) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size()) {
      return make_error(Errc::kInvalidArgument, "\"%.*s\" is not an integer",
                        static_cast<int>(value.size()), value.data());
    }
    v = ParamValue::of_number(n);
  }
  ConfigStore::Prepare prepare;
  std::unique_lock<std::mutex> rebuild_lock;
  if (module == "tls" && name.starts_with("keylog_")) {  // bit 1 may rebuild the contexts
    rebuild_lock = std::unique_lock<std::mutex>(m.reload_mu);
    prepare = keylog_change(name, &m.tickets, m.options.listen, m.client_ctx.get());
  }
  Status s = m.store->set_runtime(module, name, v, prepare);
  if (s && module == "tls" && name.starts_with("low_mem_threshold")) {
    const Config now = m.store->config();
    m.mem.set_thresholds(now.tls.low_mem_threshold1, now.tls.low_mem_threshold2);
  }
  // Reactors pick the new snapshot up at their next iteration; wake the sleeping ones.
  if (s) {
    for (auto& r : m.reactors) r->wake();
    if (module == "tls") m.auto_reload.poke();
  }
  return s;
}

Result<std::string> Engine::get_param(std::string_view module, std::string_view name) const {
  if (!impl_->store) return make_error(Errc::kNotRunning, "the engine was not started");
  return impl_->store->get(module, name);
}

Status Engine::reload_tls() {
  Impl& m = *impl_;
  if (!m.store) return make_error(Errc::kNotRunning, "the engine was not started");
  std::lock_guard<std::mutex> lock(m.reload_mu);
  // Everything is read and built here, once, on the caller's thread; reactors only ever see
  // the finished set, and connections keep the set they started with.
  Config cfg = m.store->config();
  std::optional<TicketKeySource::Pending> keys;
  if (m.options.listen) {
    auto read = m.ticket_source.read(cfg.tls, "tls.reload");
    if (!read) {
      return format_error(Errc::kConfig, "tls.reload refused: {}; nothing changed",
                          read.error().message);
    }
    keys = std::move(read.value());
  }
  auto old = m.store->tls();
  auto set = TlsContextSet::build(cfg.tls, cfg.config_dir, &m.tickets,
                                  old ? old->generation() + 1 : 1, Reactor::tls_hooks());
  if (!set) return set.status();
  if (m.options.listen && !set.value()->has_server()) {
    return make_error(Errc::kConfig,
                      "tls.reload refused: the new configuration has no TLS "
                      "server domain (add [server:default]); nothing changed");
  }
  if (keys) m.ticket_source.install(std::move(*keys), "tls.reload");
  m.store->replace_tls(std::move(set.value()));
  for (auto& r : m.reactors) r->wake();
  m.auto_reload.poke();  // watch what the new contexts read
  SIPRING_LOG(kLogInfo, "tls", "tls.reload: new TLS contexts in use for new connections");
  return Status::ok();
}

}  // namespace sipring
