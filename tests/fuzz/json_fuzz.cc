// Fuzzes the control socket's request path: parse_json() (nlohmann's parser under sipring's
// strict SAX handler), RpcServer's dispatch and the reply's printing. Whatever the input:
//  - nothing throws out of handle_request() and nothing crashes;
//  - the reply is empty (notifications only) or one valid JSON text, a response object or a
//    batch array of them, and a text the parser refuses gets a -32700 parse error;
//  - what the parser accepts prints as JSON that parses back to the same value (printing is a
//    fixed point), and an "echo" call returns its params unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/control/rpc_server.h"

namespace {

sipring::RpcServer& server() {
  static sipring::RpcServer* s = [] {
    auto* rpc = new sipring::RpcServer();
    rpc->add("echo", "ANY...", "returns its params",
             [](const sipring::JsonValue& p) -> sipring::Result<sipring::JsonValue> { return p; });
    return rpc;
  }();
  return *s;
}

void check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using sipring::JsonValue;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string reply = server().handle_request(text);
  auto request = sipring::parse_json(text);

  if (!reply.empty()) {
    auto parsed_reply = sipring::parse_json(reply);
    check(parsed_reply.is_ok());
    const JsonValue& r = parsed_reply.value();
    check(r.is_object() || (r.is_array() && !r.empty()));
    if (!request) {
      const JsonValue* error = sipring::json_member(r, "error");
      const JsonValue* code = error != nullptr ? sipring::json_member(*error, "code") : nullptr;
      check(code != nullptr && *code == sipring::kRpcParseError);
    }
  } else {
    check(request.is_ok());  // only a valid text can be all notifications
  }
  if (!request) {
    check(!request.error().message.empty());
    return 0;
  }

  const std::string once = sipring::json_text(request.value());
  auto again = sipring::parse_json(once);
  check(again.is_ok() && sipring::json_text(again.value()) == once);

  // An echo request with these params gets them back, unless wrapping them in the request
  // nests them one level too deep.
  const JsonValue& v = request.value();
  if (v.is_array() || v.is_object()) {
    JsonValue call = JsonValue::object({{"jsonrpc", "2.0"}, {"method", "echo"}, {"id", 1}});
    call["params"] = v;
    auto echoed = sipring::parse_json(server().handle_request(sipring::json_text(call)));
    check(echoed.is_ok());
    const JsonValue* result = sipring::json_member(echoed.value(), "result");
    if (result != nullptr) {
      check(sipring::json_text(*result) == once);
    } else {
      check(sipring::json_text(echoed.value()).find("nesting deeper than") != std::string::npos);
    }
  }
  return 0;
}
