#include "args.h"

#include <cerrno>
#include <cstdlib>

#include "errors.h"

namespace sipring::certs {
namespace {

const OptionSpec* find_spec(std::span<const OptionSpec> specs, std::string_view name) {
  for (const OptionSpec& spec : specs) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace

Result<Args> Args::parse(std::span<const char* const> argv, std::span<const OptionSpec> specs) {
  Args args;
  bool options_done = false;
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string_view word = argv[i];
    if (options_done || !word.starts_with("--") || word == "-") {
      args.positional_.emplace_back(word);
      continue;
    }
    if (word == "--") {
      options_done = true;
      continue;
    }
    std::string_view name = word.substr(2);
    std::string value;
    bool inline_value = false;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
      inline_value = true;
    }
    const OptionSpec* spec = find_spec(specs, name);
    if (spec == nullptr) return usage_error("unknown option --" + std::string(name));
    if (args.has(name)) return usage_error("option --" + std::string(name) + " given twice");
    if (spec->takes_value && !inline_value) {
      if (i + 1 >= argv.size()) {
        return usage_error("option --" + std::string(name) + " needs a value");
      }
      value = argv[++i];
    } else if (!spec->takes_value && inline_value) {
      return usage_error("option --" + std::string(name) + " takes no value");
    }
    args.values_.emplace(std::string(name), std::move(value));
  }
  return args;
}

const std::string* Args::get(std::string_view name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

std::string Args::get_or(std::string_view name, std::string_view fallback) const {
  const std::string* value = get(name);
  return value != nullptr ? *value : std::string(fallback);
}

Result<long> Args::get_int(std::string_view name, long fallback, long min, long max) const {
  const std::string* text = get(name);
  if (text == nullptr) return fallback;
  errno = 0;
  char* end = nullptr;
  long value = std::strtol(text->c_str(), &end, 10);
  if (text->empty() || *end != '\0' || errno == ERANGE || value < min || value > max) {
    return usage_error("option --" + std::string(name) + " must be a whole number from " +
                       std::to_string(min) + " to " + std::to_string(max) + ", not '" + *text +
                       "'");
  }
  return value;
}

}  // namespace sipring::certs
