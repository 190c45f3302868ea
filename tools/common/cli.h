// The command-line conventions every sipring tool shares, on top of CLI11: long options
// "--name VALUE" (or "--name=VALUE"), -h/--help generated from the declared options, --version
// printing SIPRING_VERSION, and usage errors on stderr as "TOOL: message" plus a hint to run
// --help, with exit status 2 so scripts can tell "called wrong" from "the work failed" (1).
#pragma once

#include <optional>
#include <string>
#include <type_traits>

#include <CLI/CLI.hpp>

namespace sipring::cli {

inline constexpr int kExitUsage = 2;

// Sets the shared conventions on |app|, the tool's top-level app named after the binary. Call
// it before adding options (their defaults are then shown in --help) and subcommands (they
// inherit it). |usage_tail| is appended to the "usage:" line, for words CLI11 does not declare
// itself (sipringctl's "COMMAND [ARGS...]").
void init(CLI::App& app, std::string usage_tail = "");

// Parses |argv| into |app|. Returns nothing when the tool should go on; otherwise the exit
// status to return at once: 0 after printing --help or --version to stdout, kExitUsage after
// printing the usage error (see usage_error) to stderr.
std::optional<int> parse(CLI::App& app, int argc, const char* const* argv);

// Prints "TOOL: |message|" and "Run 'TOOL --help' for usage." to stderr and returns
// kExitUsage, for a usage error found after parsing. TOOL is |app|'s full name, with the
// subcommand ("sipring-certs ca") when |app| is one.
int usage_error(const CLI::App& app, const std::string& message);

// A transform for an integer option: the value must be a decimal whole number in [lo, hi]
// (no sign tricks, no octal or hex, no trailing junk: "5a" and "-5" are refused for 1..10).
// The error says so and CLI11 prefixes it with the option's name.
CLI::Validator whole_in(long long lo, long long hi);

// A transform for a real option: the value must be a finite decimal number in [lo, hi].
CLI::Validator real_in(double lo, double hi);

// Adds the option |name| (e.g. "--connections") for |value|, a number in [lo, hi], shown in
// --help as "|unit|:lo..hi=default": whole_in checks an integer, real_in a floating-point one.
template <typename T>
CLI::Option* add_number(CLI::App& app, const std::string& name, const std::string& unit, T& value,
                        double lo, double hi, const std::string& help) {
  CLI::Option* option = app.add_option(name, value, help)->type_name(unit);
  if constexpr (std::is_integral_v<T>) {
    return option->transform(whole_in(static_cast<long long>(lo), static_cast<long long>(hi)));
  } else {
    return option->transform(real_in(lo, hi));
  }
}

}  // namespace sipring::cli
