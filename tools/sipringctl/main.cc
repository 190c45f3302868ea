// sipringctl: calls a running sipring's control methods over its JSON-RPC Unix socket, in the
// manner of Kamailio's kamcmd/sercmd:
//   sipringctl [-s unix:PATH] [--json] [-t SECONDS] COMMAND [ARGS...]
//   sipringctl [-s unix:PATH] [-t SECONDS] stats [--json] [--watch SECONDS [--count N]]
// Exit status: 0 done, 1 the call failed (an RPC error, a timeout, a bad reply), 2 usage error or
// nobody to talk to, so scripts can tell "sipring said no" from "sipring is not there".
#include <cstdio>
#include <optional>
#include <string>

#include "args.h"
#include "client.h"
#include "format.h"
#include "stats.h"
#include "tools/common/cli.h"

namespace sipring::ctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = cli::kExitUsage;  // also: nobody to talk to

// Prints the result of a successful call, or the RPC error; returns the exit status.
int report(const JsonValue& response, bool json) {
  Result<JsonValue> result = rpc_result(response);
  if (!result.is_ok()) {
    // kInvalidArgument: sipring answered with an error; anything else: the reply was bad.
    std::fprintf(stderr, "%s: %s\n",
                 result.error().code == Errc::kInvalidArgument ? "error" : "sipringctl",
                 result.error().message.c_str());
    return kExitFailure;
  }
  const std::string text =
      json ? json_text_pretty(result.value()) + "\n" : format_result(result.value());
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

int run(int argc, const char* const* argv) {
  CtlOptions o;
  if (std::optional<int> done = parse_args(argc, argv, &o)) return *done;
  if (o.command == "stats") {
    StatsOptions stats;
    if (std::optional<int> done = parse_stats_args(o.args, o.json, &stats)) return *done;
    return run_stats(o.socket, o.timeout_s, stats);
  }

  // "help" and "help METHOD" are the system.* introspection methods.
  std::string method = o.command;
  std::vector<std::string> args = o.args;
  if (method == "help") method = args.empty() ? "system.listMethods" : "system.help";
  JsonValue params = method == "system.help" ? JsonValue(args) : typed_params(method, args);

  Result<JsonValue> response = call(o.socket, make_request(method, std::move(params)), o.timeout_s);
  if (!response.is_ok()) {
    std::fprintf(stderr, "sipringctl: %s\n", response.error().message.c_str());
    return response.error().code == Errc::kNotRunning ? kExitUsage : kExitFailure;
  }
  return report(response.value(), o.json);
}

}  // namespace
}  // namespace sipring::ctl

int main(int argc, char** argv) {
  return sipring::ctl::run(argc, argv);
}
