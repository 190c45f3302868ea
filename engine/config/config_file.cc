// Reads the Kamailio-style config file sipring shares syntax with: listen=, enable_tls=,
// loadmodule "tls.so" and modparam(...) lines, with Kamailio's comment forms. Parameter values
// are validated and stored by the registry (config_registry.h); this file owns the statements,
// their order rules and the checks that span several lines; the tokens come from
// config_lexer.h and the per-reactor settings are checked by reactor_overrides.h.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <string_view>
#include <system_error>
#include <vector>

#include "engine/base/ascii.h"
#include "engine/base/error_format.h"
#include "engine/config/config_lexer.h"
#include "engine/config/config_registry.h"
#include "engine/config/reactor_overrides.h"
#include "sipring/config.h"
#include "sipring/conn_id.h"

namespace sipring {

namespace {

// The basename of a loadmodule path without ".so": "modules/tls/tls.so" -> "tls".
std::string module_of(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash != std::string_view::npos) path.remove_prefix(slash + 1);
  if (path.size() > 3 && path.substr(path.size() - 3) == ".so") path.remove_suffix(3);
  return std::string(path);
}

bool is_route_block(std::string_view w) {
  static constexpr std::string_view kRoutes[] = {"route",         "request_route", "reply_route",
                                                 "onreply_route", "failure_route", "branch_route",
                                                 "event_route",   "onsend_route"};
  for (std::string_view r : kRoutes) {
    if (w.substr(0, r.size()) == r && (w.size() == r.size() || w[r.size()] == '[')) return true;
  }
  return false;
}

bool parse_number(std::string_view w, int64_t* out_value) {
  if (w.empty()) return false;
  bool neg = false;
  if (w.front() == '-') {
    neg = true;
    w.remove_prefix(1);
  }
  if (w.empty() || w.size() > 18) return false;
  int64_t v = 0;
  for (char c : w) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out_value = neg ? -v : v;
  return true;
}

// Reads the statements of one file into a Config; errors are "NAME:LINE: reason".
class Parser {
 public:
  Parser(const std::vector<ConfigToken>& tokens, const std::string& name, Config* cfg)
      : t_(tokens), name_(name), cfg_(cfg) {}

  Status run() {
    while (t_[i_].kind != ConfigToken::Kind::kEnd) {
      if (Status s = statement(); !s) return s;
    }
    return validate();
  }

 private:
  Error fail(int line, std::string_view reason) const {
    return format_error(Errc::kConfig, "{}:{}: {}", name_, line, reason);
  }

  const ConfigToken& next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  const ConfigToken& peek() const { return t_[i_]; }

  bool accept(char punct) {
    if (peek().kind == ConfigToken::Kind::kPunct && peek().text[0] == punct) {
      ++i_;
      return true;
    }
    return false;
  }

  Status expect(char punct, std::string_view context) {
    if (accept(punct)) return Status::ok();
    return fail(peek().line, "expected '" + std::string(1, punct) + "' " + std::string(context) +
                                 ", found " + describe(peek()));
  }

  static std::string describe(const ConfigToken& t) {
    switch (t.kind) {
      case ConfigToken::Kind::kString:
        return "the string \"" + t.text + "\"";
      case ConfigToken::Kind::kPunct:
        return "'" + t.text + "'";
      case ConfigToken::Kind::kWord:
        return "\"" + t.text + "\"";
      case ConfigToken::Kind::kEnd:
        return "the end of the file";
    }
    return "?";
  }

  Status statement() {
    const ConfigToken& t = next();
    if (t.kind == ConfigToken::Kind::kPunct && t.text == ";")
      return Status::ok();  // Kamailio allows it
    if (t.kind != ConfigToken::Kind::kWord) {
      return fail(t.line, "unexpected " + describe(t) +
                              "; expected listen=, enable_tls=, "
                              "loadmodule or modparam");
    }
    Status result;
    if (t.text == "loadmodule") {
      result = loadmodule(t);
    } else if (t.text == "modparam") {
      result = modparam(t);
    } else if (t.text == "listen") {
      result = listen(t);
    } else if (t.text == "enable_tls" || t.text == "tls_enable") {
      result = enable_tls(t);
    } else if (t.text.rfind("!!", 0) == 0) {
      result = fail(t.line, "preprocessor directive " + t.text +
                                " is not supported by sipring; write the values literally");
    } else if (is_route_block(t.text) ||
               (peek().kind == ConfigToken::Kind::kPunct && peek().text == "{")) {
      result = fail(t.line, "\"" + t.text +
                                "\" block: routing logic belongs to the SIP core, not to "
                                "sipring; keep it in the SIP server's config, not in this file");
    } else {
      result =
          fail(t.line, "\"" + t.text +
                           "\" is not a sipring setting: routing logic belongs to the "
                           "SIP core, not to sipring (sipring reads only listen=, enable_tls=, "
                           "loadmodule \"tls.so\" and modparam(\"tls\"|\"sipring\", ...))");
    }
    if (result) accept(';');
    return result;
  }

  Status loadmodule(const ConfigToken& kw) {
    const ConfigToken& path = next();
    if (path.kind != ConfigToken::Kind::kString) {
      return fail(kw.line, "loadmodule needs a quoted path, e.g. loadmodule \"tls.so\"");
    }
    const std::string module = module_of(path.text);
    if (module == "tls") {
      if (tls_loaded_line_ == 0) tls_loaded_line_ = kw.line;
      return Status::ok();
    }
    if (module == "sipring") return Status::ok();  // needs no loadmodule, but saying so is harmless
    // The control socket: Kamailio operators load ctl (binrpc) or jsonrpcs for it.
    if (module == "ctl" || module == "jsonrpcs") return Status::ok();
    return fail(kw.line, "module \"" + module +
                             "\" is not part of sipring (it serves \"tls\" and the control socket "
                             "\"ctl\"; other modules belong to the SIP server): remove this "
                             "loadmodule line");
  }

  Status modparam(const ConfigToken& kw) {
    const char* usage = "(modparam(\"module\", \"parameter\", value))";
    if (Status s = expect('(', usage); !s) return s;
    const ConfigToken& module = next();
    if (module.kind != ConfigToken::Kind::kString) {
      return fail(module.line,
                  "modparam's module name must be quoted, e.g. modparam(\"tls\", ...)");
    }
    if (Status s = expect(',', usage); !s) return s;
    const ConfigToken& name = next();
    if (name.kind != ConfigToken::Kind::kString) {
      return fail(name.line, "modparam's parameter name must be quoted, e.g. \"certificate\"");
    }
    if (Status s = expect(',', usage); !s) return s;
    const ConfigToken& raw = next();
    ParamValue value;
    int64_t n = 0;
    if (raw.kind == ConfigToken::Kind::kString) {
      value = ParamValue::of_text(raw.text);
    } else if (raw.kind == ConfigToken::Kind::kWord && parse_number(raw.text, &n)) {
      value = ParamValue::of_number(n);
    } else if (raw.kind == ConfigToken::Kind::kWord) {
      return fail(raw.line, "modparam value " + raw.text +
                                " is neither a number nor a quoted "
                                "string; write \"" +
                                raw.text + "\"");
    } else {
      return fail(raw.line,
                  "modparam needs a value after the parameter name, found " + describe(raw));
    }
    if (Status s = expect(')', "to close modparam("); !s) return s;

    if (module.text == "tls" && tls_loaded_line_ == 0) {
      return fail(kw.line,
                  "modparam(\"tls\", ...) comes before loadmodule \"tls.so\"; as in "
                  "Kamailio, load the module first: add loadmodule \"tls.so\" above this "
                  "line");
    }
    if (module.text == "sipring" && is_reactor_override(name.text)) {
      return reactor_override(kw, name.text, value);
    }
    Result<const ParamDef*> def = lookup_param(module.text, name.text);
    if (!def) {
      return fail(kw.line, def.error().message);
    }
    if (Status s = set_param(*cfg_, **def, value); !s) {
      return fail(kw.line, s.message());
    }
    set_lines_[*def] = kw.line;
    return Status::ok();
  }

  // "r<N>.<name>": a setting for reactor N only.
  static bool is_reactor_override(std::string_view name) {
    size_t i = 1;
    if (name.size() < 3 || name[0] != 'r') return false;
    while (i < name.size() && ascii_isdigit(name[i])) i++;
    return i > 1 && i < name.size() && name[i] == '.';
  }

  Status reactor_override(const ConfigToken& kw, std::string_view name, const ParamValue& value) {
    size_t dot = name.find('.');
    ReactorOverride o;
    // is_reactor_override() checked the digits; from_chars reports a number too large for
    // uint64 instead of throwing (std::stoul did, and a wrapped value named another reactor).
    uint64_t reactor = 0;
    std::string_view digits = name.substr(1, dot - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), reactor);
    o.reactor = ec == std::errc() && reactor < ConnId::kMaxReactors ? static_cast<uint32_t>(reactor)
                                                                    : ConnId::kMaxReactors;
    o.name = std::string(name.substr(dot + 1));
    o.value = value.is_number ? std::to_string(value.number) : value.text;
    o.is_number = value.is_number;
    if (o.reactor >= ConnId::kMaxReactors) {
      return fail(kw.line, "sipring." + std::string(name) + ": there are at most " +
                               std::to_string(ConnId::kMaxReactors) + " reactors");
    }
    // Validate now, exactly as the global parameter would be, on a scratch config.
    Config scratch;
    if (Status s = apply_override(scratch.engine, o); !s) {
      return fail(kw.line, s.message());
    }
    cfg_->engine.overrides.push_back(std::move(o));
    return Status::ok();
  }

  Status listen(const ConfigToken& kw) {
    if (Status s = expect('=', "after listen (listen=tls:IP:PORT)"); !s) return s;
    const ConfigToken& first = next();
    std::string value = first.text;
    if (first.kind == ConfigToken::Kind::kWord) {
      // Kamailio's lexer allows spaces around ':' and inside brackets ("tls: [::1] : 5061").
      while (peek().kind == ConfigToken::Kind::kWord) {
        const char before = value.back();
        const char after = peek().text.front();
        if (before != ':' && before != '[' && after != ':' && after != ']') break;
        value += next().text;
      }
    } else if (first.kind != ConfigToken::Kind::kString) {
      return fail(kw.line, "listen needs an address, e.g. listen=tls:192.0.2.10:5061");
    }
    if (peek().kind == ConfigToken::Kind::kWord && peek().line == kw.line &&
        (peek().text == "advertise" || peek().text == "name" || peek().text == "virtual")) {
      return fail(kw.line, "listen ... " + peek().text +
                               " is not supported by sipring; write "
                               "only listen=tls:IP:PORT");
    }
    Result<ListenSpec> parsed = parse_listen(value);
    if (!parsed) return fail(kw.line, parsed.error().message);
    const ListenSpec& spec = parsed.value();
    for (size_t k = 0; k < cfg_->listen.size(); ++k) {
      if (cfg_->listen[k].addr == spec.addr) {
        return fail(kw.line, "listen=tls:" + spec.addr.to_string() + " repeats line " +
                                 std::to_string(listen_lines_[k]) + "; remove one of them");
      }
    }
    cfg_->listen.push_back(spec);
    listen_lines_.push_back(kw.line);
    return Status::ok();
  }

  Status enable_tls(const ConfigToken& kw) {
    if (Status s = expect('=', "after enable_tls (enable_tls=yes)"); !s) return s;
    const ConfigToken& v = next();
    bool on = false;
    int64_t n = 0;
    // As Kamailio's core grammar: a number is a boolean, any non-zero one true (enable_tls=2).
    if (v.kind == ConfigToken::Kind::kWord && parse_number(v.text, &n)) {
      on = n != 0;
    } else if ((v.kind != ConfigToken::Kind::kWord && v.kind != ConfigToken::Kind::kString) ||
               !parse_config_bool(v.text, &on)) {
      return fail(kw.line, "enable_tls=" + v.text +
                               " is not a yes/no value; write enable_tls=yes "
                               "or enable_tls=no");
    }
    cfg_->enable_tls = on;
    enable_tls_line_ = kw.line;
    return Status::ok();
  }

  // Rules that span several statements, checked once the whole file is read.
  Status validate() {
    if (!cfg_->enable_tls && !cfg_->listen.empty()) {
      const std::string fix =
          enable_tls_line_ != 0
              ? "change line " + std::to_string(enable_tls_line_) + " to enable_tls=yes"
              : "add the line enable_tls=yes";
      return fail(listen_lines_[0],
                  "listen=tls:" + cfg_->listen[0].addr.to_string() + " needs TLS enabled: " + fix);
    }
    if (cfg_->enable_tls) {
      if (tls_loaded_line_ == 0) {
        return fail(enable_tls_line_,
                    "enable_tls=yes needs the TLS module: add loadmodule "
                    "\"tls.so\" (before the modparam(\"tls\", ...) lines)");
      }
      if (cfg_->listen.empty() && cfg_->proxy_protocol_listen.empty()) {
        return fail(enable_tls_line_,
                    "enable_tls=yes but there is nothing to listen on: add a "
                    "line like listen=tls:0.0.0.0:5061");
      }
      // With a tls.cfg (manual §1.9.27) the certificates are its domains' and the certificate
      // modparam is ignored; TlsContextSet::build refuses a server domain without one.
      if (cfg_->tls.profile.certificate.empty() && cfg_->tls.config.empty()) {
        return fail(enable_tls_line_,
                    "enable_tls=yes but no certificate: add "
                    "modparam(\"tls\", \"certificate\", \"/path/to/cert.pem\"), or "
                    "modparam(\"tls\", \"config\", \"tls.cfg\") with a [server:default] "
                    "certificate");
      }
    }
    TlsProfile& profile = cfg_->tls.profile;
    if (profile.private_key.empty()) profile.private_key = profile.certificate;

    const ParamDef* reactors = find_param("sipring", "reactors");
    const ParamDef* cpus = find_param("sipring", "cpus");
    const size_t n_cpus = cfg_->engine.cpus.size();
    if (cfg_->engine.reactors > 0 && n_cpus > 0 &&
        n_cpus != static_cast<size_t>(cfg_->engine.reactors)) {
      return fail(
          std::max(set_lines_[reactors], set_lines_[cpus]),
          "sipring.cpus lists " + std::to_string(n_cpus) + " CPUs but sipring.reactors is " +
              std::to_string(cfg_->engine.reactors) +
              ": list one CPU per reactor, or leave reactors at 0 to run one per CPU listed");
    }
    return Status::ok();
  }

  const std::vector<ConfigToken>& t_;
  const std::string& name_;
  size_t i_ = 0;
  Config* cfg_;
  int tls_loaded_line_ = 0;
  int enable_tls_line_ = 0;
  std::vector<int> listen_lines_;  // parallel to cfg_->listen
  std::map<const ParamDef*, int> set_lines_;
};

std::string absolute_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = dir.empty() ? fs::current_path(ec) : fs::path(dir);
  if (p.is_relative()) p = fs::current_path(ec) / p;
  std::string out = p.lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

Result<Config> parse_config_text(const std::string& text, const std::string& name,
                                 const std::string& dir) {
  Config cfg;
  cfg.source = name;
  cfg.config_dir = absolute_dir(dir);
  Result<std::vector<ConfigToken>> tokens = tokenize_config(text, name);
  if (!tokens) return tokens.status();
  if (Status s = Parser(tokens.value(), name, &cfg).run(); !s) return s;
  return cfg;
}

Result<Config> load_config_file(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text) {
    return format_error(Errc::kIo, "{}: cannot read the config file: {}", path,
                        text.error().message);
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_config_text(text.value(), path, dir);
}

}  // namespace sipring
