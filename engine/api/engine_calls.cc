// The Engine calls that run on a reactor's own thread: listing, closing, connecting and asking
// about connections, and draining. Each reactor owns its connections, so a call from any other
// thread is queued to the owning reactor as a ControlCall and answered from there.
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "engine/api/engine_impl.h"
#include "engine/base/error_format.h"
#include "engine/base/log.h"
#include "engine/tls/tls_inventory.h"
#include "sipring/engine.h"

namespace sipring {

namespace {

constexpr int kControlTimeoutMs = 5000;

// Runs `fn` on every reactor's thread in turn; an error names the reactor that did not answer.
template <class Fn>
Status on_every_reactor(std::vector<std::unique_ptr<Reactor>>& reactors, Fn fn) {
  for (auto& r : reactors) {
    auto call = std::make_shared<ControlCall>();
    call->fn = fn;
    if (!r->run_control(call, kControlTimeoutMs)) {
      return make_error(Errc::kIo, "reactor %u did not answer within %d ms (stopping?)", r->index(),
                        kControlTimeoutMs);
    }
  }
  return Status::ok();
}

// Runs `fn` (returning T, which an Error converts to) on the thread of reactor `index` (which
// must exist once running) and returns its answer, or an error saying why it could not be asked.
template <class T>
T on_reactor(const std::atomic<bool>& running, std::mutex& control_mu,
             std::vector<std::unique_ptr<Reactor>>& reactors, uint32_t index,
             std::function<T(Reactor&)> fn) {
  // Acquire: pairs with start()/stop(); reactors exist while this reads true.
  if (!running.load(std::memory_order_acquire)) return make_error(Errc::kNotRunning, "not running");
  Reactor& owner = *reactors[index];
  // On that reactor's own thread (a core calling Engine:: instead of its port): a control call
  // would wait for a loop iteration that can only run after this call returns.
  if (Reactor::current() == &owner) return fn(owner);
  std::lock_guard<std::mutex> lock(control_mu);
  // The answer lives in storage the call owns, never on this stack (see ControlCall).
  auto out = std::make_shared<T>(make_error(Errc::kIo, "no answer"));
  auto call = std::make_shared<ControlCall>();
  call->fn = [out, fn = std::move(fn)](Reactor& r) { *out = fn(r); };
  if (!owner.run_control(call, kControlTimeoutMs)) {
    return make_error(Errc::kIo, "reactor %u did not answer within %d ms", owner.index(),
                      kControlTimeoutMs);
  }
  return std::move(*out);
}

// on_reactor for the reactor that owns connection `id`.
template <class T>
T on_connection_reactor(const std::atomic<bool>& running, std::mutex& control_mu,
                        std::vector<std::unique_ptr<Reactor>>& reactors, ConnId id,
                        std::function<T(Reactor&)> fn) {
  if (!running.load(std::memory_order_acquire)) return make_error(Errc::kNotRunning, "not running");
  if (id.reactor() >= reactors.size()) {
    return make_error(Errc::kUnknownConnection, "no connection %llu",
                      static_cast<unsigned long long>(id.raw()));
  }
  return on_reactor<T>(running, control_mu, reactors, id.reactor(), std::move(fn));
}

}  // namespace

Result<std::vector<ConnectionInfo>> Engine::connections() {
  Impl& m = *impl_;
  if (!m.running.load(std::memory_order_acquire))
    return make_error(Errc::kNotRunning, "not running");
  std::lock_guard<std::mutex> lock(m.control_mu);
  // The results live in shared storage the calls own, never on this stack (see ControlCall).
  auto out = std::make_shared<std::vector<ConnectionInfo>>();
  Status s = on_every_reactor(m.reactors, [out](Reactor& r) { r.describe_connections(out.get()); });
  if (!s) return s;
  return std::move(*out);
}

Status Engine::close_connection(ConnId id) {
  Impl& m = *impl_;
  return on_connection_reactor<Status>(m.running, m.control_mu, m.reactors, id, [id](Reactor& r) {
    if (r.kill(id)) return Status::ok();
    return Status(make_error(Errc::kUnknownConnection,
                             "no open connection %llu (closed already, or not an id from tls.list)",
                             static_cast<unsigned long long>(id.raw())));
  });
}

SendResult Engine::send_to(const Destination& to, std::span<const uint8_t> message) noexcept {
  Impl& m = *impl_;
  // Acquire: pairs with start()/stop(); reactors exist while this reads true.
  if (!m.running.load(std::memory_order_acquire)) return {SendStatus::kNotRunning, ConnId()};
  uint32_t owner = destination_owner(to.addr, static_cast<uint32_t>(m.reactors.size()));
  return {m.reactors[owner]->send_to_remote(to, message), ConnId()};
}

Result<ConnId> Engine::connect(const Destination& to) {
  Impl& m = *impl_;
  // No reactors to pick from before start() (destination_owner divides by their number).
  if (m.reactors.empty())
    return make_error(Errc::kNotRunning, "connect: the engine is not running");
  const uint32_t owner = destination_owner(to.addr, static_cast<uint32_t>(m.reactors.size()));
  return on_reactor<Result<ConnId>>(m.running, m.control_mu, m.reactors, owner,
                                    [to](Reactor& r) { return r.connect(to); });
}

Result<TlsFacts> Engine::tls_facts(ConnId id) {
  Impl& m = *impl_;
  return on_connection_reactor<Result<TlsFacts>>(m.running, m.control_mu, m.reactors, id,
                                                 [id](Reactor& r) { return r.tls_facts(id); });
}

Status Engine::add_alias(ConnId id, const Destination& to) {
  Impl& m = *impl_;
  return on_connection_reactor<Status>(m.running, m.control_mu, m.reactors, id,
                                       [id, to](Reactor& r) { return r.add_alias(id, to); });
}

Result<std::vector<TlsCertificate>> Engine::tls_certificates() const {
  auto set = impl_->store ? impl_->store->tls() : nullptr;
  if (!set) return make_error(Errc::kNotRunning, "no TLS contexts (not started, or a client)");
  return certificates_in_use(*set, static_cast<int64_t>(time(nullptr)));
}

Result<TlsSummary> Engine::tls_summary() {
  Impl& m = *impl_;
  if (!m.running.load(std::memory_order_acquire))
    return make_error(Errc::kNotRunning, "not running");
  std::lock_guard<std::mutex> lock(m.control_mu);
  auto out = std::make_shared<TlsSummary>();
  Status s = on_every_reactor(m.reactors, [out](Reactor& r) { r.summarize(out.get()); });
  if (!s) return s;
  return *out;
}

Result<DrainReport> Engine::drain() {
  Impl& m = *impl_;
  if (!m.running.load(std::memory_order_acquire))
    return make_error(Errc::kNotRunning, "not running");
  std::lock_guard<std::mutex> lock(m.control_mu);
  auto out = std::make_shared<DrainReport>();
  out->first = !m.drained;
  // Both steps are idempotent, so a call that follows a half-finished one completes it. Every
  // reactor stops accepting before any closes a socket (see Reactor::drain_stop_accepting).
  Status s = on_every_reactor(m.reactors, [](Reactor& r) { r.drain_stop_accepting(); });
  if (s) {
    s = on_every_reactor(m.reactors, [out](Reactor& r) {
      uint32_t accepted = 0;
      const uint32_t open = r.drain_close_listeners(&accepted);
      out->per_reactor.push_back(open);  // in reactor order: on_every_reactor goes in order
      out->connections += open;
      out->accepted += accepted;
    });
  }
  if (!s) return s;
  m.drained = true;
  std::string per;
  for (size_t r = 0; r < out->per_reactor.size(); r++) {
    per += (r ? ", r" : "r") + std::to_string(r) + " " + std::to_string(out->per_reactor[r]);
  }
  if (out->first) {
    std::string addrs;
    for (const ListenSpec& l : m.config.listen) {
      addrs += (addrs.empty() ? "" : ", ") + l.addr.to_string();
    }
    SIPRING_LOG(kLogNotice, "engine",
                "core.drain: stopped accepting and closed the listening sockets (%s): new "
                "connections are refused; %llu connection(s) remain, %llu opened by peers (%s)",
                addrs.c_str(), static_cast<unsigned long long>(out->connections),
                static_cast<unsigned long long>(out->accepted), per.c_str());
  } else {
    SIPRING_LOG(kLogNotice, "engine",
                "core.drain: draining since an earlier call; %llu connection(s) remain, %llu "
                "opened by peers (%s)",
                static_cast<unsigned long long>(out->connections),
                static_cast<unsigned long long>(out->accepted), per.c_str());
  }
  return std::move(*out);
}

void Engine::set_shutdown_handler(std::function<void(std::chrono::milliseconds)> handler) {
  impl_->on_shutdown = std::move(handler);
}

Status Engine::request_shutdown(std::chrono::milliseconds grace) {
  const auto& ask = impl_->on_shutdown;
  if (!ask) {
    return make_error(Errc::kInvalidArgument,
                      "core.shutdown: this program takes no shutdown requests over the control "
                      "socket (it set no Engine::set_shutdown_handler); stop it as it is meant "
                      "to be stopped");
  }
  char how[48] = "the program's own grace time";
  if (grace.count() >= 0) {
    snprintf(how, sizeof(how), "grace %lld ms", static_cast<long long>(grace.count()));
  }
  SIPRING_LOG(kLogNotice, "engine", "core.shutdown: the program is asked to stop (%s)", how);
  ask(grace);
  return Status::ok();
}

}  // namespace sipring
