// Registers the engine's control methods (cfg.*, tls.*, core.*) on an RPC server.
#pragma once

#include "engine/control/rpc_server.h"
#include "sipring/engine.h"

namespace sipring {

// `engine` must outlive `server`'s serving thread.
void register_engine_rpcs(RpcServer& server, Engine& engine);

}  // namespace sipring
