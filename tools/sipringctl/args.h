// sipringctl's command line: the options before the command, and how the command's words become
// typed JSON-RPC params (kamcmd's habits: numbers are numbers unless quoted).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sipring/result.h"
#include "tools/common/json.h"

namespace sipring::ctl {

using tool::JsonValue;

inline constexpr const char* kDefaultSocket = "unix:/run/sipring/sipring_ctl";
inline constexpr double kDefaultTimeoutS = 10.0;

struct CtlOptions {
  std::string socket;  // "unix:PATH"
  bool json = false;   // print the raw result as JSON
  double timeout_s = kDefaultTimeoutS;
  std::string command;
  std::vector<std::string> args;
};

// Parses the command line into |o| (CLI11; see tools/common/cli.h): options, then COMMAND, then
// ARGS taken verbatim (so "-1" is an argument). -s wins over $SIPRING_CTL, and it over
// kDefaultSocket; a bare absolute path is taken as "unix:" + path. "help" takes at most one
// METHOD. Returns the exit status when the tool must stop at once (--help, --version, a usage
// error, already printed), else nothing.
std::optional<int> parse_args(int argc, const char* const* argv, CtlOptions* o);

// `sipringctl stats [--json] [--watch SECONDS [--count N]]`: the words after "stats".
struct StatsOptions {
  bool json = false;   // one JSON object per refresh instead of the table
  double watch_s = 0;  // refresh every watch_s seconds; 0: show once and stop
  uint64_t count = 0;  // with watch_s: stop after this many refreshes; 0: until Ctrl-C
};

// Parses `words` (what followed "stats") into |o|, which starts with json = |json| (the global
// --json). --count without --watch is a usage error, so a bound is never silently ignored.
// Returns the exit status when the tool must stop at once (--help, or a usage error, printed as
// "sipringctl stats: ..."), else nothing.
std::optional<int> parse_stats_args(const std::vector<std::string>& words, bool json,
                                    StatsOptions* o);

// The JSON-RPC params for `method` and its words: a word that is a decimal integer fitting int64
// (no '+', no leading zeros) becomes a number; a word in double quotes ("\"123\"") becomes the
// string inside them; any other word stays a string. For a method whose name ends in "_string"
// the last word is always a string (its quotes, if any, still removed).
JsonValue typed_params(std::string_view method, const std::vector<std::string>& words);

}  // namespace sipring::ctl
