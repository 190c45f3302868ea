// Option parsing and argument typing for sipringctl (see args.h).
#include "args.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace sipring::ctl {
namespace {

Error usage_error(std::string message) {
  return Error{Errc::kInvalidArgument, std::move(message)};
}

std::string normalize_socket(std::string_view spec) {
  if (!spec.empty() && spec.front() == '/') return "unix:" + std::string(spec);
  return std::string(spec);
}

Status check_socket(const std::string& spec, const char* where) {
  if (spec.rfind("unix:", 0) != 0 || spec.size() == 5) {
    return usage_error(std::string("bad control socket '") + spec + "' " + where +
                       ": expected unix:PATH");
  }
  return Status::ok();
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

const char* usage_text() {
  return "usage: sipringctl [-s unix:PATH] [--json] [-t SECONDS] COMMAND [ARGS...]\n"
         "       sipringctl help [METHOD]\n"
         "\n"
         "Calls COMMAND, a JSON-RPC method of a running sipring, over its control socket.\n"
         "\n"
         "options:\n"
         "  -s, --socket unix:PATH  control socket (default: $SIPRING_CTL, else\n"
         "                          unix:/run/sipring/sipring_ctl)\n"
         "  -j, --json              print the result as JSON instead of a table or lines\n"
         "  -t, --timeout SECONDS   how long to wait for the reply (default 10)\n"
         "  -h, --help              this text\n"
         "\n"
         "ARGS that are decimal integers are sent as numbers, others as strings; put an\n"
         "argument in double quotes ('\"123\"') to send it as a string. For methods whose\n"
         "name ends in _string the last argument is always a string.\n"
         "'sipringctl help' lists the methods; 'sipringctl help METHOD' describes one.\n"
         "Exit status: 0 done, 1 the call failed, 2 usage error or no server to talk to.\n";
}

Result<CtlOptions> parse_args(int argc, const char* const* argv, const char* env_socket) {
  CtlOptions o;
  o.socket = env_socket != nullptr && *env_socket != '\0' ? normalize_socket(env_socket)
                                                          : std::string(kDefaultSocket);
  const char* socket_from =
      env_socket != nullptr && *env_socket != '\0' ? "(from $SIPRING_CTL)" : "(the default)";
  bool socket_given = false;
  int i = 1;
  for (; i < argc; ++i) {
    const std::string_view word = argv[i];
    if (word == "--") {
      ++i;
      break;
    }
    if (word.size() < 2 || word.front() != '-') break;  // the command
    // "--name=value" carries its value; "-s X" and "--socket X" take the next word.
    std::string_view name = word;
    std::string_view inline_value;
    bool has_inline = false;
    if (const size_t eq = word.find('='); word.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = word.substr(0, eq);
      inline_value = word.substr(eq + 1);
      has_inline = true;
    }
    const auto value = [&](std::string* out) -> Status {
      if (has_inline) {
        *out = std::string(inline_value);
      } else if (i + 1 < argc) {
        *out = argv[++i];
      } else {
        return usage_error("option " + std::string(name) + " needs a value");
      }
      return Status::ok();
    };
    if (name == "-h" || name == "--help") {
      o.help = true;
      return o;
    } else if (name == "-j" || name == "--json") {
      if (has_inline) return usage_error("option --json takes no value");
      o.json = true;
    } else if (name == "-s" || name == "--socket") {
      std::string v;
      if (Status s = value(&v); !s) return s;
      o.socket = normalize_socket(v);
      socket_given = true;
    } else if (name == "-t" || name == "--timeout") {
      std::string v;
      if (Status s = value(&v); !s) return s;
      char* end = nullptr;
      const double t = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(t) || t <= 0 || t > 86400) {
        return usage_error("bad timeout '" + v + "': expected seconds, e.g. 5 or 0.5");
      }
      o.timeout_s = t;
    } else {
      return usage_error("unknown option '" + std::string(word) + "'");
    }
  }
  if (Status s = check_socket(o.socket, socket_given ? "(from -s)" : socket_from); !s) return s;
  if (i >= argc) return usage_error("missing COMMAND");
  o.command = argv[i++];
  for (; i < argc; ++i) o.args.emplace_back(argv[i]);
  return o;
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
