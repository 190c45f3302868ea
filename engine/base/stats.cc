#include "sipring/stats.h"

namespace sipring {

ReactorStats& ReactorStats::operator+=(const ReactorStats& o) {
#define SIPRING_ADD_COUNTER(name, doc) name += o.name;
  SIPRING_COUNTERS(SIPRING_ADD_COUNTER)
#undef SIPRING_ADD_COUNTER
  return *this;
}

std::string ReactorStats::to_json() const {
  std::string s = "{";
#define SIPRING_JSON_COUNTER(name, doc) \
  s += (s.size() > 1 ? ",\"" : "\"") + std::string(#name) + "\":" + std::to_string(name);
  SIPRING_COUNTERS(SIPRING_JSON_COUNTER)
#undef SIPRING_JSON_COUNTER
  return s + "}";
}

ReactorStats EngineStats::total() const {
  ReactorStats t;
  for (const auto& r : reactors) t += r;
  return t;
}

}  // namespace sipring
