// The tools' JSON helpers (see json.h).
#include "tools/common/json.h"

#include <utility>

namespace sipring::tool {

Result<JsonValue> parse_json(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return Error{Errc::kInvalidArgument, "invalid JSON: " + std::to_string(text.size()) +
                                             " bytes exceed the limit of " +
                                             std::to_string(max_bytes)};
  }
  JsonValue v = JsonValue::parse(text, nullptr, /*allow_exceptions=*/false,
                                 /*ignore_comments=*/false);
  if (v.is_discarded()) return Error{Errc::kInvalidArgument, "invalid JSON"};
  return v;
}

const JsonValue* json_member(const JsonValue& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string json_text(const JsonValue& value) {
  return value.dump(-1, ' ', false, JsonValue::error_handler_t::replace);
}

std::string json_text_pretty(const JsonValue& value) {
  return value.dump(2, ' ', false, JsonValue::error_handler_t::replace);
}

JsonValue counters_json(const ReactorStats& stats) {
  JsonValue out = JsonValue::object();
#define SIPRING_JSON_COUNTER(name, doc) out[#name] = stats.name;
  SIPRING_COUNTERS(SIPRING_JSON_COUNTER)
#undef SIPRING_JSON_COUNTER
  return out;
}

JsonValue counters_json(const EngineStats& stats) {
  JsonValue reactors = JsonValue::array();
  for (const ReactorStats& r : stats.reactors) reactors.push_back(counters_json(r));
  JsonValue out = JsonValue::object();
  out["total"] = counters_json(stats.total());
  out["reactors"] = std::move(reactors);
  return out;
}

}  // namespace sipring::tool
