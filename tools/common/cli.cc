#include "tools/common/cli.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <memory>

namespace sipring::cli {
namespace {

// CLI11's help with sipring's wording: "usage:", "COMMAND" for a subcommand, and the top-level
// usage line extended by the words the tool takes itself.
class Formatter : public CLI::Formatter {
 public:
  explicit Formatter(std::string usage_tail) : usage_tail_(std::move(usage_tail)) {
    label("Usage", "usage");
    label("SUBCOMMAND", "COMMAND");
    label("SUBCOMMANDS", "COMMANDS");
  }

  std::string make_usage(const CLI::App* app, std::string name) const override {
    std::string usage = CLI::Formatter::make_usage(app, std::move(name));
    if (!usage_tail_.empty() && app->get_parent() == nullptr) {
      usage.insert(usage.size() - 1, " " + usage_tail_);  // before the newline
    }
    return usage;
  }

 private:
  std::string usage_tail_;
};

std::string full_name(const CLI::App& app) {
  std::string name = app.get_name();
  for (const CLI::App* p = app.get_parent(); p != nullptr; p = p->get_parent()) {
    name = p->get_name() + " " + name;
  }
  return name;
}

// The subcommand being parsed when an error was thrown: the deepest one CLI11 selected.
const CLI::App& innermost(const CLI::App& app) {
  const CLI::App* at = &app;
  while (!at->get_subcommands().empty()) at = at->get_subcommands().back();
  return *at;
}

std::string shortest(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.15g", v);
  return buf;
}

// Parses all of |text| as a decimal T; false on junk, overflow, an empty string or a '+'.
template <typename T>
bool parse_all(const std::string& text, T* out) {
  const char* end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data(), end, *out);
  return !text.empty() && ec == std::errc() && at == end;
}

}  // namespace

void init(CLI::App& app, std::string usage_tail) {
  app.formatter(std::make_shared<Formatter>(std::move(usage_tail)));
  app.set_version_flag("--version", app.get_name() + " " SIPRING_VERSION);
  app.option_defaults()->always_capture_default();
}

std::optional<int> parse(CLI::App& app, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" that end parsing with status 0; CLI11 prints them.
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    return usage_error(innermost(app), e.what());
  }
  return std::nullopt;
}

int usage_error(const CLI::App& app, const std::string& message) {
  const std::string name = full_name(app);
  std::fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", name.c_str(), message.c_str(),
               name.c_str());
  return kExitUsage;
}

CLI::Validator whole_in(long long lo, long long hi) {
  const std::string range = std::to_string(lo) + ".." + std::to_string(hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        long long v = 0;
        if (!parse_all(text, &v) || v < lo || v > hi) {
          return "'" + text + "' is not a whole number in " + range;
        }
        text = std::to_string(v);  // CLI11 converts with base 0: "010" must not become 8
        return "";
      },
      range);
}

CLI::Validator real_in(double lo, double hi) {
  const std::string range = shortest(lo) + ".." + shortest(hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        double v = 0;
        if (!parse_all(text, &v) || !std::isfinite(v) || v < lo || v > hi) {
          return "'" + text + "' is not a number in " + range;
        }
        return "";
      },
      range);
}

}  // namespace sipring::cli
