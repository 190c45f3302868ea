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

}  // namespace sipring::ctl
