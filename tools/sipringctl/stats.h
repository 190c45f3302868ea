// `sipringctl stats`: reads core.stats and core.instruments from a running sipring and shows
// them (stats_view.h) once, or every --watch SECONDS like top until --count refreshes or Ctrl-C.
#pragma once

#include <string>

#include "args.h"

namespace sipring::ctl {

// Runs `sipringctl stats` against `socket_spec`, each call bounded by `timeout_s`, and returns
// the exit status: 0 done (also after Ctrl-C or SIGTERM while watching), 1 a call failed or
// stdout could not be written, 2 nobody to talk to. core.instruments failing with an RPC error (a
// sipring that lacks it) is not a failure: the counters are shown and a line says why the rest
// is missing. With --watch, the screen is cleared before each refresh (ANSI) only when stdout is
// a terminal; otherwise refreshes follow each other, separated by a blank line (one JSON object
// per line with --json).
int run_stats(const std::string& socket_spec, double timeout_s, const StatsOptions& o);

}  // namespace sipring::ctl
