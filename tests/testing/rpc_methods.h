// The fake methods the RpcServer tests call (tests/unit/engine/control/rpc_*_test.cc), one of
// each kind of outcome: a result, an echo, each handler error, a handler bug that throws.
#pragma once

#include <atomic>

#include "engine/control/rpc_server.h"

namespace sipring::test {

// Registers on `server`:
//   add A B    -> A + B (two integers), else 400 "add needs two integers"
//   echo ...   -> its params
//   count      -> how many times count has run, counted in *calls
//   conn.get   -> 404 "no connection 42"        cfg.bad -> 400 "tls.method must be TLSv1.2+"
//   boom       -> 500 "disk on fire"            throws  -> a nlohmann type_error (a handler bug)
// `calls` must outlive the server.
void add_test_methods(RpcServer& server, std::atomic<int>* calls);

}  // namespace sipring::test
