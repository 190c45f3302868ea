// The Engine's control plane: the JSON-RPC control socket (ctl.socket) and the Prometheus
// /metrics endpoint (ctl.metrics), both served by the control thread's poll() loop
// (engine/control/rpc_server.h), never by a reactor. What they answer comes from the engine's
// thread-safe read paths (stats(), tls_certificates(), the instruments' snapshots).
#include <cstdlib>
#include <memory>
#include <string>

#include "crypto/library_check.h"
#include "engine/api/engine_impl.h"
#include "engine/api/instruments_rpc.h"
#include "engine/api/metrics_text.h"
#include "engine/base/log.h"
#include "engine/control/engine_rpcs.h"
#include "engine/control/metrics_http.h"
#include "engine/control/rpc_server.h"
#include "sipring/engine.h"

namespace sipring {

Status Engine::Impl::bind_metrics(Engine& engine) {
  const CtlParams& ctl = config.ctl;
  if (ctl.metrics.empty()) return Status::ok();
  // Each scrape builds the text on the control thread from the engine's thread-safe read paths
  // (as core.stats and tls.certs do), never from a reactor's internals. It runs only once
  // start_control() started that thread, so the reactors it reads exist by then.
  auto produce = [&engine, this](const MetricsHttpCounters& http) {
    MetricsInput in;
    in.stats = engine.stats();
    in.instruments = instruments();
    if (auto certs = engine.tls_certificates(); certs) in.certificates = std::move(certs).value();
    in.version = SIPRING_VERSION;
    in.boringssl = tls_library_info().runtime;
    in.uring_features = uring_feature_labels(reactors[0]->features());
    in.start_time_unix = start_time_unix;
    in.reactors = engine.reactors();
    in.http = http;
    return metrics_text(in);
  };
  MetricsHttpOptions options;
  options.timeout_ms = ctl.metrics_timeout_ms;
  options.max_clients = ctl.metrics_max_clients;
  metrics = std::make_unique<MetricsHttp>(options, std::move(produce));
  if (Status s = metrics->listen(ctl.metrics); !s) {
    metrics.reset();
    return s;
  }
  SIPRING_LOG(kLogInfo, "ctl", "Prometheus metrics on http://%s/metrics (no authentication)",
              metrics->address().to_string().c_str());
  return Status::ok();
}

Status Engine::start_control() {
  Impl& m = *impl_;
  const CtlParams& ctl = m.config.ctl;
  // A pure client (a load generator, a test) has nothing to be controlled about that its owner
  // does not see already, and the default path belongs to the sipring server next to it: it
  // opens a control socket only when its config names one of its own.
  const bool want_socket =
      !ctl.socket.empty() && (m.options.listen || ctl.socket != CtlParams{}.socket);
  if (!want_socket && !m.metrics) return Status::ok();
  m.rpc = std::make_unique<RpcServer>();
  register_engine_rpcs(*m.rpc, *this, m.metrics.get());
  register_instruments_rpc(*m.rpc, [&m] { return m.instruments(); });
  if (m.metrics) m.rpc->attach(m.metrics.get());  // bound by start(): served from now on
  if (!want_socket) return m.rpc->start_without_socket();
  unsigned mode = static_cast<unsigned>(strtoul(ctl.socket_mode.c_str(), nullptr, 8));
  Status s = m.rpc->start(ctl.socket, mode);
  if (s) {
    SIPRING_LOG(kLogInfo, "ctl", "control socket %s (JSON-RPC 2.0; try: sipringctl -s %s help)",
                ctl.socket.c_str(), ctl.socket.c_str());
    return s;
  }
  if (ctl.socket == CtlParams{}.socket) {
    // The default place may not be writable (not root, or another sipring already there):
    // run without a control socket rather than not at all, and say how to get one.
    SIPRING_LOG(kLogWarn, "ctl",
                "no control socket: %s; set modparam(\"ctl\", \"socket\", \"unix:/some/path\")",
                s.message().c_str());
    if (m.metrics) return m.rpc->start_without_socket();
    m.rpc.reset();
    return Status::ok();
  }
  m.rpc.reset();
  m.metrics.reset();
  return s;
}

std::string Engine::control_socket() const {
  return impl_->rpc ? impl_->rpc->path() : "";
}

}  // namespace sipring
