// The core.instruments control method: every reactor's histograms and loop utilisation
// (engine/sync/instruments.h) as JSON, per reactor and in total.
#pragma once

#include <functional>
#include <vector>

#include "engine/api/engine_impl.h"
#include "engine/base/json.h"
#include "engine/control/rpc_server.h"

namespace sipring {

// The JSON of core.instruments (README "Instruments"; the format is the one sipringctl stats
// reads): {"instruments": BOOL, "reactors": [{"reactor": N, "histograms": {...},
// "utilisation": {...}}...], "total": {"histograms": {...}, "utilisation": {...}}}. A histogram
// of unit "seconds" gives nanoseconds in fields named *_ns (count, sum_ns, max_ns, p50_ns,
// p90_ns, p99_ns, p999_ns), one of unit "count" plain numbers (count, sum, max, p50 ...).
// Totals merge the histograms, sum times and counts, and take the largest high-water and the
// smallest low-water mark.
JsonValue instruments_json(const std::vector<InstrumentsSnapshot>& reactors);

// Registers core.instruments on `server`, answered from `read` (Engine::Impl::instruments; what
// it reads must outlive the server's serving thread).
void register_instruments_rpc(RpcServer& server,
                              std::function<std::vector<InstrumentsSnapshot>()> read);

}  // namespace sipring
