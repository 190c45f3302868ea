// What `sipringctl stats` shows: the counters (core.stats) and the instruments (core.instruments:
// latency histograms and loop utilisation, issue 13) of a running sipring, per reactor and in
// total, as one table or one JSON object. Pure functions of the RPC results, so the layout is
// unit-tested without a daemon; tools/sipringctl/stats.cc fetches the samples and refreshes.
#pragma once

#include <string>

#include "tools/common/json.h"

namespace sipring::ctl {

using tool::JsonValue;

// One reading of a running sipring.
struct StatsSample {
  JsonValue counters;  // core.stats' result: {"total": {...}, "reactors": [{...}, ...]}
  // core.instruments' result ({"reactors": [...], "total": {...}}), or null when the call failed
  // (a sipring without that method): then instruments_error says why.
  JsonValue instruments;
  std::string instruments_error;
  double at_s = 0;   // when it was taken, in seconds of a monotonic clock (only differences count)
  std::string when;  // the wall-clock time to show, e.g. "17:02:33"
};

// {"counters": <core.stats>, "instruments": <core.instruments or null>}, plus
// "instruments_error" when instruments is null: --json's output, one object per refresh.
JsonValue stats_json(const StatsSample& sample);

// The table for `now`, each line ending in '\n': a heading line, then one row per figure with a
// column per reactor ("r0", "r1", ...), "total" and "/s" (the total's rate). With `before` (the
// previous refresh of --watch) rates, busy % and completions per enter are over the interval
// between the two samples; without it (the first refresh) rates show "-" and the others are
// since start. Latency percentiles are always since start (the RPC gives quantiles, not
// buckets). Rows of the client role appear only once it has handshakes or connects; without
// instruments the table has the counters and a line saying why. Missing or malformed members
// (another version's daemon) show as "-", never as a crash.
std::string format_stats(const StatsSample& now, const StatsSample* before);

// Durations for people: 850ns, 12.3us, 1.20ms, 3.40s (three significant digits at most).
std::string format_ns(double ns);

// Rates for people: 0.5, 42, 1234, 12.3k, 4.56M, 7.89G.
std::string format_rate(double per_s);

}  // namespace sipring::ctl
