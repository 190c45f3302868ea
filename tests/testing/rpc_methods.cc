// The RpcServer tests' fake methods (see rpc_methods.h).
#include "tests/testing/rpc_methods.h"

#include <cstdint>
#include <string>

#include "engine/base/error_format.h"

namespace sipring::test {

void add_test_methods(RpcServer& server, std::atomic<int>* calls) {
  server.add("add", "A B", "adds two integers", [](const JsonValue& p) -> Result<JsonValue> {
    if (!p.is_array() || p.size() != 2 || !p[0].is_number_integer() || !p[1].is_number_integer()) {
      return make_error(Errc::kInvalidArgument, "add needs two integers");
    }
    return JsonValue(p[0].get<int64_t>() + p[1].get<int64_t>());
  });
  server.add("echo", "ANY...", "returns its params", [](const JsonValue& p) { return p; });
  server.add("count", "", "counts calls",
             [calls](const JsonValue&) -> Result<JsonValue> { return JsonValue(++*calls); });
  server.add("conn.get", "ID", "a connection", [](const JsonValue&) -> Result<JsonValue> {
    return make_error(Errc::kUnknownConnection, "no connection 42");
  });
  server.add("cfg.bad", "", "a config error", [](const JsonValue&) -> Result<JsonValue> {
    return make_error(Errc::kConfig, "tls.method must be TLSv1.2+");
  });
  server.add("boom", "", "fails", [](const JsonValue&) -> Result<JsonValue> {
    return make_error(Errc::kIo, "disk on fire");
  });
  server.add("throws", "", "a handler bug", [](const JsonValue&) -> Result<JsonValue> {
    return JsonValue(JsonValue(1).get<std::string>());  // nlohmann::json::type_error
  });
}

}  // namespace sipring::test
