// JSON for sipring's control plane: nlohmann-json's ordered_json (objects keep the order their
// members were added or parsed in), the strict parser the control socket applies to what it
// receives, the one way it prints JSON, and the one way it turns the counters into JSON.
//
// Internal: the public API has no JSON, so an embedder needs no nlohmann-json (the tools have
// their own helpers on top of the public API, tools/common/json.h). The control plane only: this
// code allocates freely and must never run on a reactor's per-message path.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sipring/result.h"

namespace sipring {

struct ReactorStats;
struct EngineStats;

using JsonValue = nlohmann::ordered_json;

// The deepest nesting of arrays and objects that parse_json() accepts.
inline constexpr int kJsonMaxDepth = 64;
// The default input size limit of parse_json().
inline constexpr size_t kJsonDefaultMaxBytes = size_t{1} << 20;

// Parses one JSON text (RFC 8259, nlohmann's parser: no comments, no trailing commas, strict
// UTF-8, surrogate pairs checked) of at most `max_bytes` bytes, and refuses what that parser
// would let through but a request must not carry: an object key given twice (nlohmann would keep
// the last; a JSON-RPC server must not guess which "id" or "method" was meant) and nesting deeper
// than kJsonMaxDepth. Integers become int64 (negative) or uint64 (non-negative) when they fit,
// every other number a double; a number too large for a double is an error. Never throws, and
// takes time linear in the input however many keys an object has. On failure returns
// kInvalidArgument with a message like "invalid JSON at byte 12: syntax error while parsing
// object separator - unexpected number literal; expected ':'", the offset being that of the last
// byte read when the problem was found (for a duplicate key, the key's closing quote).
Result<JsonValue> parse_json(std::string_view text, size_t max_bytes = kJsonDefaultMaxBytes);

// The member `key` of `object`, or nullptr when it has none or is not an object. (nlohmann's
// at() throws and a const operator[] on a missing key is undefined: code that reads what a peer
// sent uses this instead.)
const JsonValue* json_member(const JsonValue& object, std::string_view key);

// Compact text of `value` (no whitespace). Never throws: a string holding invalid UTF-8 (which
// only code, never parse_json(), can put there) prints with U+FFFD in place of the bad bytes,
// so the output is always valid JSON. Doubles print in the shortest form that reads back to the
// same value; NaN and infinities print as null.
std::string json_text(const JsonValue& value);

// Every counter of `stats` by name, in the order of the SIPRING_COUNTERS list:
// {"connections_open":1,"accepted":5,...}. The one place the engine turns counters into JSON
// (the control socket's core.stats); the tools build the same layout in tools/common/json.cc.
JsonValue counters_json(const ReactorStats& stats);

// {"total": counters_json(stats.total()), "reactors": [counters_json(reactor 0), ...]}.
JsonValue counters_json(const EngineStats& stats);

}  // namespace sipring
