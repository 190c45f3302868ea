// The shape every sipring-certs subcommand has, so main.cc can dispatch and print help
// from one table instead of knowing each subcommand's options.
#pragma once

#include <cstddef>
#include <span>

#include "sipring/result.h"

#include "args.h"

namespace sipring::certs {

struct Command {
  const char* name;     // the word after "sipring-certs"
  const char* summary;  // one line for the top-level help
  const char* usage;    // full help for "sipring-certs NAME --help"
  std::span<const OptionSpec> options;
  size_t min_positional;
  size_t max_positional;
  // Runs the subcommand. Errors with code kInvalidArgument are usage errors (exit status 2);
  // anything else is a failure to do the work (exit status 1).
  Status (*run)(const Args& args);
};

// The subcommands, each defined next to its implementation.
extern const Command kCaCommand;
extern const Command kServerCommand;
extern const Command kClientCommand;
extern const Command kRevokeCommand;
extern const Command kCrlCommand;
extern const Command kPrintCommand;
extern const Command kDemoCommand;

}  // namespace sipring::certs
