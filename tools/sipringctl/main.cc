// sipringctl: calls a running sipring's control methods over its JSON-RPC Unix socket, in the
// manner of Kamailio's kamcmd/sercmd:
//   sipringctl [-s unix:PATH] [--json] [-t SECONDS] COMMAND [ARGS...]
// Exit status: 0 done, 1 the call failed (an RPC error, a timeout, a bad reply), 2 usage error or
// nobody to talk to, so scripts can tell "sipring said no" from "sipring is not there".
#include <cstdio>
#include <optional>
#include <string>

#include "args.h"
#include "client.h"
#include "format.h"
#include "tools/common/cli.h"

namespace sipring::ctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = cli::kExitUsage;  // also: nobody to talk to

// Prints the result of a successful call, or the RPC error; returns the exit status.
int report(const JsonValue& response, bool json) {
  if (!response.is_object()) {
    std::fprintf(stderr, "sipringctl: bad reply (not a JSON-RPC response): %s\n",
                 json_text(response).c_str());
    return kExitFailure;
  }
  if (const JsonValue* error = json_member(response, "error")) {
    const JsonValue* code = json_member(*error, "code");
    const JsonValue* message = json_member(*error, "message");
    std::fprintf(stderr, "error: %s: %s\n", code ? json_text(*code).c_str() : "?",
                 message && message->is_string() ? message->get_ref<const std::string&>().c_str()
                 : message                       ? json_text(*message).c_str()
                                                 : "(no message)");
    return kExitFailure;
  }
  const JsonValue* result = json_member(response, "result");
  if (result == nullptr) {
    std::fprintf(stderr, "sipringctl: bad reply (neither result nor error): %s\n",
                 json_text(response).c_str());
    return kExitFailure;
  }
  const std::string text = json ? json_text_pretty(*result) + "\n" : format_result(*result);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

int run(int argc, const char* const* argv) {
  CtlOptions o;
  if (std::optional<int> done = parse_args(argc, argv, &o)) return *done;

  // "help" and "help METHOD" are the system.* introspection methods.
  std::string method = o.command;
  std::vector<std::string> args = o.args;
  if (method == "help") method = args.empty() ? "system.listMethods" : "system.help";
  JsonValue params = method == "system.help" ? JsonValue(args) : typed_params(method, args);

  JsonValue request = JsonValue::object();
  request["jsonrpc"] = "2.0";
  request["method"] = method;
  request["params"] = std::move(params);
  request["id"] = 1;
  Result<JsonValue> response = call(o.socket, request, o.timeout_s);
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
