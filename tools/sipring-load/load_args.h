// sipring-load's command line: MODE and the options, into the run's plan and the TLS client's
// options (CLI11, with the conventions of tools/common/cli.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sipring/engine.h"
#include "tools/sipring-load/load_plan.h"

namespace sipring::load {

struct LoadArgs {
  Plan plan;
  TlsProfile client;   // TLS method (default TLSv1.3), verification, client certificate
  std::string target;  // --target as given, for the result line
  std::vector<int> cpus;
  std::string server_pids;  // --server-pid: comma-separated process ids, or empty
  double max_seconds = 0;   // 0: the duration (idle: the hold time) + 30
  uint32_t busy_poll_us = 1000;
  int proxy_protocol = 0;  // --proxy-protocol: PROXY header version sent first (0 = none)
  std::string histogram;   // --histogram: write the latency histogram (CSV) here, or empty
};

// Fills |a| from the command line; every number is checked against its range and the target is
// a valid IP:PORT. Returns the exit status when the tool must stop at once (--help, --version,
// a usage error, already printed), else nothing.
std::optional<int> parse_load_args(int argc, const char* const* argv, LoadArgs* a);

}  // namespace sipring::load
