// JSON for the tools: nlohmann-json's ordered_json (objects keep the order their members were
// added or parsed in), the one way the tools print it, read what a peer sent, and turn the
// engine's counters into JSON.
//
// The engine's public API has no JSON (an embedder needs no nlohmann-json); the tools build it
// here from public types: the counters come through the SIPRING_COUNTERS X-macro (sipring/stats.h).
// The control socket's own JSON code is internal to the engine (engine/base/json.h). These
// allocate freely: tools only, never a reactor's per-message path.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sipring/result.h"
#include "sipring/stats.h"

namespace sipring::tool {

using JsonValue = nlohmann::ordered_json;

// Parses one JSON text (RFC 8259, nlohmann's strict parser: no comments, no trailing commas,
// strict UTF-8) of at most `max_bytes` bytes. Never throws: malformed input or one over the limit
// gives kInvalidArgument, e.g. "invalid JSON at byte 0: syntax error while parsing value -
// invalid literal; last read: 'h'" (the 0-based offset of the last byte read). For replies of
// sipring's own control socket; a server reading requests uses the engine's stricter parser
// (duplicate keys, depth).
Result<JsonValue> parse_json(std::string_view text, size_t max_bytes);

// The member `key` of `object`, or nullptr when it has none or is not an object (nlohmann's at()
// throws and a const operator[] on a missing key is undefined).
const JsonValue* json_member(const JsonValue& object, std::string_view key);

// Compact text of `value` (no whitespace). Never throws: invalid UTF-8 in a string prints as
// U+FFFD, so the output is always valid JSON.
std::string json_text(const JsonValue& value);

// Like json_text() but indented by two spaces per level, one member or element per line, with
// ": " between key and value (the layout of Python's json.dumps(v, indent=2)). No final newline.
std::string json_text_pretty(const JsonValue& value);

// Every counter of `stats` by name, in the order of the SIPRING_COUNTERS list:
// {"connections_open":1,"accepted":5,...}, the layout of the control socket's core.stats.
JsonValue counters_json(const ReactorStats& stats);

}  // namespace sipring::tool
