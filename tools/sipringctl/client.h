// sipringctl's side of the control socket: one JSON-RPC request out, one response back, within
// a deadline.
#pragma once

#include <string>

#include "sipring/result.h"
#include "tools/common/json.h"

namespace sipring::ctl {

using tool::json_member;
using tool::json_text;
using tool::JsonValue;
using tool::parse_json;

// Connects to `socket_spec` ("unix:PATH"), sends `request` as one line and returns the parsed
// response (a JSON-RPC response object; not checked further). Fails with kNotRunning when nobody
// can be reached on the socket (the message names it and says what to do), and with kIo on a
// timeout after `timeout_s` seconds, a connection closed without a reply, or a reply that is not
// JSON.
Result<JsonValue> call(const std::string& socket_spec, const JsonValue& request, double timeout_s);

// A JSON-RPC 2.0 request for `method` with `params` (an array), id 1: what call() sends.
JsonValue make_request(const std::string& method, JsonValue params);

// The "result" member of `response`. A response carrying "error" gives kInvalidArgument with
// "CODE: MESSAGE" (the server answered, and said no); a response that is not an object or has
// neither member gives kIo with "bad reply (...): TEXT".
Result<JsonValue> rpc_result(const JsonValue& response);

}  // namespace sipring::ctl
