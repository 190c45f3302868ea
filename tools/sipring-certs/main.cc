// sipring-certs: creates and manages the small CA, certificates, keys and CRLs a sipring TLS
// deployment needs, replacing the openssl command sequences of the TLS manual's "Quick
// Certificate Howto". Built on BoringSSL's C API only.

#include <cstdio>
#include <cstring>
#include <span>
#include <string_view>

#include "args.h"
#include "command.h"

namespace sipring::certs {
namespace {

// Exit statuses: scripts can tell "you called me wrong" from "the work failed".
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

const Command* const kCommands[] = {
    &kCaCommand,  &kServerCommand, &kClientCommand, &kRevokeCommand,
    &kCrlCommand, &kPrintCommand,  &kDemoCommand,
};

void print_top_usage(FILE* out) {
  std::fputs("usage: sipring-certs COMMAND [OPTIONS]\n\ncommands:\n", out);
  for (const Command* cmd : kCommands) std::fprintf(out, "  %-8s %s\n", cmd->name, cmd->summary);
  std::fputs("\nRun 'sipring-certs COMMAND --help' for a command's options.\n", out);
}

bool wants_help(std::span<const char* const> argv) {
  for (std::string_view word : argv) {
    if (word == "--") return false;
    if (word == "--help" || word == "-h") return true;
  }
  return false;
}

int run(int argc, const char* const* argv) {
  if (argc < 2) {
    print_top_usage(stderr);
    return kExitUsage;
  }
  std::string_view name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_top_usage(stdout);
    return kExitOk;
  }
  const Command* cmd = nullptr;
  for (const Command* c : kCommands) {
    if (name == c->name) cmd = c;
  }
  if (cmd == nullptr) {
    std::fprintf(stderr, "sipring-certs: unknown command '%s'\n\n", argv[1]);
    print_top_usage(stderr);
    return kExitUsage;
  }
  std::span<const char* const> rest(argv + 2, static_cast<size_t>(argc - 2));
  if (wants_help(rest)) {
    std::fputs(cmd->usage, stdout);
    return kExitOk;
  }
  Result<Args> args = Args::parse(rest, cmd->options);
  Status status = args.status();
  if (status) {
    size_t n = args->positional().size();
    if (n < cmd->min_positional || n > cmd->max_positional) {
      status = Error{Errc::kInvalidArgument,
                     n < cmd->min_positional ? "missing file argument" : "too many arguments"};
    } else {
      status = cmd->run(*args);
    }
  }
  if (status) return kExitOk;
  std::fprintf(stderr, "sipring-certs %s: error: %s\n", cmd->name, status.message().c_str());
  if (status.code() == Errc::kInvalidArgument) {
    std::fprintf(stderr, "Run 'sipring-certs %s --help' for usage.\n", cmd->name);
    return kExitUsage;
  }
  return kExitFailure;
}

}  // namespace
}  // namespace sipring::certs

int main(int argc, char** argv) {
  return sipring::certs::run(argc, argv);
}
