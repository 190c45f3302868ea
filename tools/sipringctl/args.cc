// Option parsing and argument typing for sipringctl (see args.h).
#include "args.h"

#include <charconv>
#include <cstdint>
#include <iterator>

#include "tools/common/cli.h"

namespace sipring::ctl {
namespace {

// -s: a bare absolute path means unix:PATH; anything else must be unix:PATH.
CLI::Validator socket_spec() {
  return CLI::Validator(
      [](std::string& spec) -> std::string {
        if (!spec.empty() && spec.front() == '/') spec = "unix:" + spec;
        if (spec.rfind("unix:", 0) != 0 || spec.size() == 5) {
          return "bad control socket '" + spec + "': expected unix:PATH";
        }
        return "";
      },
      "");
}

// A decimal integer as JSON would write it: -?(0|[1-9][0-9]*), within int64.
bool as_integer(std::string_view word, int64_t* out) {
  std::string_view digits = word;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty() || (digits.size() > 1 && digits.front() == '0')) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), *out);
  return ec == std::errc() && end == word.data() + word.size();
}

std::string_view strip_quotes(std::string_view word, bool* quoted) {
  *quoted = word.size() >= 2 && word.front() == '"' && word.back() == '"';
  return *quoted ? word.substr(1, word.size() - 2) : word;
}

}  // namespace

std::optional<int> parse_args(int argc, const char* const* argv, CtlOptions* o) {
  CLI::App app(
      "Calls COMMAND, a JSON-RPC method of a running sipring, over its control socket.\n"
      "'sipringctl help' lists the methods; 'sipringctl help METHOD' describes one;\n"
      "'sipringctl stats' shows counters, latencies and loop use ('stats --help').",
      "sipringctl");
  cli::init(app, "COMMAND [ARGS...]");
  // The first word that is not an option is COMMAND; it and every word after it are kept
  // verbatim (so "-1" or "--json" after COMMAND are arguments), in app.remaining().
  app.prefix_command();
  o->socket = kDefaultSocket;
  app.add_option("-s,--socket", o->socket, "control socket")
      ->type_name("unix:PATH")
      ->envname("SIPRING_CTL")
      ->transform(socket_spec());
  app.add_flag("-j,--json", o->json, "print the result as JSON instead of a table or lines");
  cli::add_number(app, "-t,--timeout", "SECONDS", o->timeout_s, 0.001, 86400,
                  "how long to wait for the reply, in seconds");
  app.footer(
      "ARGS that are decimal integers are sent as numbers, others as strings; put an\n"
      "argument in double quotes ('\"123\"') to send it as a string. For methods whose\n"
      "name ends in _string the last argument is always a string.\n"
      "Exit status: 0 done, 1 the call failed, 2 usage error or no server to talk to.");
  if (std::optional<int> done = cli::parse(app, argc, argv)) return done;
  std::vector<std::string> words = app.remaining();
  if (words.empty()) return cli::usage_error(app, "missing COMMAND");
  // prefix_command() leaves an unknown option to us: it comes before COMMAND, which is a method
  // name and never starts with '-'.
  if (words.front().size() > 1 && words.front().front() == '-') {
    return cli::usage_error(app, "unknown option '" + words.front() + "'");
  }
  if (words.front() == "help" && words.size() > 2) {
    return cli::usage_error(app, "usage: sipringctl help [METHOD]");
  }
  o->command = std::move(words.front());
  o->args.assign(std::make_move_iterator(words.begin() + 1), std::make_move_iterator(words.end()));
  return std::nullopt;
}

std::optional<int> parse_stats_args(const std::vector<std::string>& words, bool json,
                                    StatsOptions* o) {
  // A subcommand of a top-level app, so that help and errors say "sipringctl stats".
  CLI::App top("", "sipringctl");
  cli::init(top);
  CLI::App* stats = top.add_subcommand(
      "stats",
      "Shows the counters (core.stats) and the latency histograms and loop utilisation\n"
      "(core.instruments) per reactor and in total; --watch refreshes like top.");
  o->json = json;
  stats->add_flag("-j,--json", o->json,
                  "print one JSON object per refresh: {\"counters\":...,\"instruments\":...}");
  CLI::Option* watch = cli::add_number(*stats, "-w,--watch", "SECONDS", o->watch_s, 0.1, 86400,
                                       "refresh every SECONDS, showing rates over the interval");
  cli::add_number(*stats, "-n,--count", "N", o->count, 1, 1e9,
                  "with --watch: stop after N refreshes (default: until Ctrl-C)")
      ->needs(watch);
  stats->footer(
      "Rates and busy % are per interval (from the second refresh on); latency\n"
      "percentiles are since start. Exit status: 0 done, 1 a call failed, 2 usage\n"
      "error or no server to talk to.");
  std::vector<const char*> argv = {"sipringctl", "stats"};
  for (const std::string& w : words) argv.push_back(w.c_str());
  return cli::parse(top, static_cast<int>(argv.size()), argv.data());
}

JsonValue typed_params(std::string_view method, const std::vector<std::string>& words) {
  constexpr std::string_view kStringSuffix = "_string";
  const bool last_is_string = method.size() >= kStringSuffix.size() &&
                              method.substr(method.size() - kStringSuffix.size()) == kStringSuffix;
  JsonValue params = JsonValue::array();
  for (size_t i = 0; i < words.size(); ++i) {
    bool quoted = false;
    const std::string_view text = strip_quotes(words[i], &quoted);
    int64_t n = 0;
    const bool force_string = quoted || (last_is_string && i + 1 == words.size());
    if (!force_string && as_integer(text, &n)) {
      params.push_back(n);
    } else {
      params.push_back(text);
    }
  }
  return params;
}

}  // namespace sipring::ctl
