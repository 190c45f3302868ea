// core.instruments: reads every reactor's instruments on the control thread (relaxed copies,
// no call into a reactor) and renders them as JSON.
#include "engine/api/instruments_rpc.h"

#include <string>
#include <string_view>
#include <utility>

namespace sipring {
namespace {

JsonValue histogram_json(const HistogramSnapshot& h, std::string_view unit) {
  // Seconds are recorded in nanoseconds and say so in their field names; counts are plain.
  const std::string suffix = unit == "seconds" ? "_ns" : "";
  JsonValue j = JsonValue::object();
  j["unit"] = std::string(unit);
  j["count"] = h.count;
  j["sum" + suffix] = h.sum_ns;
  j["max" + suffix] = h.max_ns;
  j["p50" + suffix] = h.quantile(0.50);
  j["p90" + suffix] = h.quantile(0.90);
  j["p99" + suffix] = h.quantile(0.99);
  j["p999" + suffix] = h.quantile(0.999);
  return j;
}

JsonValue snapshot_json(const InstrumentsSnapshot& s) {
  JsonValue histograms = JsonValue::object();
#define SIPRING_HISTOGRAM_JSON(name, unit, doc)                                            \
  histograms[#name] = histogram_json(s.histograms[static_cast<size_t>(HistogramId::name)], \
                                     std::string_view(#unit));
  SIPRING_HISTOGRAMS(SIPRING_HISTOGRAM_JSON)
#undef SIPRING_HISTOGRAM_JSON
  JsonValue utilisation = JsonValue::object();
#define SIPRING_UTILISATION_JSON(name, doc) utilisation[#name] = s.name;
  SIPRING_UTILISATION(SIPRING_UTILISATION_JSON)
#undef SIPRING_UTILISATION_JSON
  return JsonValue{{"histograms", std::move(histograms)}, {"utilisation", std::move(utilisation)}};
}

}  // namespace

std::vector<InstrumentsSnapshot> Engine::Impl::instruments() const {
  std::vector<InstrumentsSnapshot> out(reactors.size());
  for (size_t i = 0; i < reactors.size(); i++) out[i] = reactors[i]->instruments().snapshot();
  return out;
}

JsonValue instruments_json(const std::vector<InstrumentsSnapshot>& reactors) {
  JsonValue per_reactor = JsonValue::array();
  InstrumentsSnapshot total;
  for (size_t i = 0; i < reactors.size(); i++) {
    JsonValue r = JsonValue{{"reactor", i}};
    JsonValue body = snapshot_json(reactors[i]);
    r["histograms"] = std::move(body["histograms"]);
    r["utilisation"] = std::move(body["utilisation"]);
    per_reactor.push_back(std::move(r));
    merge_instruments(&total, reactors[i], i == 0);
  }
  return JsonValue{{"instruments", kInstrumentsEnabled},
                   {"reactors", std::move(per_reactor)},
                   {"total", snapshot_json(total)}};
}

void register_instruments_rpc(RpcServer& server,
                              std::function<std::vector<InstrumentsSnapshot>()> read) {
  server.add("core.instruments", "",
             "Latency histograms (handshakes, connect, handoff wait, reply send) and loop "
             "utilisation, per reactor and in total",
             [read = std::move(read)](const JsonValue&) -> Result<JsonValue> {
               return instruments_json(read());
             });
}

}  // namespace sipring
