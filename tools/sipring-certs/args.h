// Command-line option parsing shared by the sipring-certs subcommands.
//
// Options are "--name value" or "--name=value"; flags take no value; "--" ends options.
// Each subcommand declares the options it accepts so typos fail loudly instead of being ignored.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sipring/result.h"

namespace sipring::certs {

struct OptionSpec {
  std::string_view name;  // without the leading "--"
  bool takes_value;
};

class Args {
 public:
  // Parses |argv| (the words after the subcommand) against |specs|. Fails with kInvalidArgument
  // on an unknown option, a missing value, a value given to a flag, or a repeated option.
  static Result<Args> parse(std::span<const char* const> argv, std::span<const OptionSpec> specs);

  // Returns whether option |name| was given.
  bool has(std::string_view name) const { return values_.find(name) != values_.end(); }

  // Returns the value of option |name|, or nullptr if it was not given.
  const std::string* get(std::string_view name) const;

  // Returns the value of option |name|, or |fallback| if it was not given.
  std::string get_or(std::string_view name, std::string_view fallback) const;

  // Returns option |name| as an integer in [min, max], |fallback| if absent, or a usage error
  // naming the option if the value is not a whole number in range.
  Result<long> get_int(std::string_view name, long fallback, long min, long max) const;

  // Returns the words that are not options, in order.
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
};

}  // namespace sipring::certs
