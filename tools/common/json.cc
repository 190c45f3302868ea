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
  try {
    return JsonValue::parse(text);
  } catch (const JsonValue::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 1: syntax error ...":
    // keep the reason, and say where as a 0-based byte offset (nlohmann counts from 1).
    const std::string_view what = e.what();
    const size_t reason = what.find("syntax error");
    return Error{Errc::kInvalidArgument,
                 "invalid JSON at byte " + std::to_string(e.byte > 0 ? e.byte - 1 : 0) + ": " +
                     std::string(reason == std::string_view::npos ? what : what.substr(reason))};
  }
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
  for_each_counter(stats, [&out](const char* name, uint64_t value) { out[name] = value; });
  return out;
}

}  // namespace sipring::tool
