// ReactorStats arithmetic (sipring/stats.h) and the counters' JSON (engine/base/json.h).
#include "sipring/stats.h"

#include "engine/base/json.h"

namespace sipring {

ReactorStats& ReactorStats::operator+=(const ReactorStats& o) {
#define SIPRING_ADD_COUNTER(name, doc) name += o.name;
  SIPRING_COUNTERS(SIPRING_ADD_COUNTER)
#undef SIPRING_ADD_COUNTER
  return *this;
}

ReactorStats EngineStats::total() const {
  ReactorStats t;
  for (const auto& r : reactors) t += r;
  return t;
}

JsonValue counters_json(const ReactorStats& stats) {
  JsonValue out = JsonValue::object();
  for_each_counter(stats, [&out](const char* name, uint64_t value) { out[name] = value; });
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

}  // namespace sipring
