// Registers the engine's control methods (cfg.*, tls.*, core.*) on an RPC server.
#pragma once

#include "engine/control/rpc_server.h"
#include "sipring/engine.h"

namespace sipring {

class MetricsHttp;

// `engine` must outlive `server`'s serving thread. `metrics`: the /metrics responder that thread
// serves too (attached to `server`), or null; core.stats then shows its counters under
// "metrics". It must outlive the serving thread as well.
void register_engine_rpcs(RpcServer& server, Engine& engine, const MetricsHttp* metrics);

}  // namespace sipring
