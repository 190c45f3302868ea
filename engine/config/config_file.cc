// Reads the Kamailio-style config file sipring shares syntax with: listen=, enable_tls=,
// loadmodule "tls.so" and modparam(...) lines, with Kamailio's comment forms. Parameter values
// are validated and stored by the registry (config_registry.h); this file owns the syntax, the
// statement order rules and the checks that span several lines.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string_view>
#include <system_error>
#include <vector>

#include "engine/config/config_registry.h"
#include "sipring/config.h"
#include "sipring/conn_id.h"

namespace sipring {

// Validates a per-reactor override and applies it to `engine` (defined at the end).
Status apply_override(EngineParams& engine, const ReactorOverride& o);

namespace {

// Kamailio's default TLS port, used when listen=tls:IP gives none.

struct Token {
  enum class Kind : uint8_t { kWord, kString, kPunct, kEnd };
  Kind kind = Kind::kEnd;
  std::string text;  // strings: without quotes, escapes applied
  int line = 0;
};

// A parse failure before it is turned into "FILE:LINE: reason".
struct Failure {
  int line = 0;
  std::string reason;
};

bool is_punct(char c) {
  return c == '(' || c == ')' || c == ',' || c == '=' || c == ';' || c == '{' || c == '}';
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

// Splits the text into tokens, dropping the three comment forms ('#', '//', nestable '/* */'
// as Kamailio nests them) and refusing preprocessor directives other than the config-type line.
class Lexer {
 public:
  explicit Lexer(std::string_view text) : s_(text) {}

  bool run(std::vector<Token>* out, Failure* fail) {
    while (true) {
      skip_space();
      if (i_ >= s_.size()) break;
      const char c = s_[i_];
      if (c == '#' && peek(1) == '!') {
        if (!directive(out->empty(), fail)) return false;
      } else if (c == '#' || (c == '/' && peek(1) == '/')) {
        skip_line();
      } else if (c == '/' && peek(1) == '*') {
        if (!block_comment(fail)) return false;
      } else if (c == '"' || c == '\'') {
        Token t;
        if (!string(&t, fail)) return false;
        out->push_back(std::move(t));
      } else if (is_punct(c)) {
        out->push_back({Token::Kind::kPunct, std::string(1, c), line_});
        ++i_;
      } else {
        out->push_back({Token::Kind::kWord, word(), line_});
      }
    }
    out->push_back({Token::Kind::kEnd, "end of file", line_});
    return true;
  }

 private:
  char peek(size_t ahead) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }

  void skip_space() {
    while (i_ < s_.size() && is_space(s_[i_])) {
      if (s_[i_] == '\n') ++line_;
      ++i_;
    }
  }

  void skip_line() {
    while (i_ < s_.size() && s_[i_] != '\n') ++i_;
  }

  // "#!KAMAILIO", "#!SER" and "#!SIP-router" only say which dialect the file is in; Kamailio
  // reads them before any statement. Everything else after "#!" is preprocessing we do not do.
  bool directive(bool before_statements, Failure* fail) {
    const size_t start = i_;
    while (i_ < s_.size() && !is_space(s_[i_])) ++i_;
    const std::string_view name = s_.substr(start, i_ - start);
    if (name == "#!KAMAILIO" || name == "#!SER" || name == "#!SIP-router") {
      if (!before_statements) {
        *fail = {line_, std::string(name) + " must come first in the file, before any statement"};
        return false;
      }
      skip_line();
      return true;
    }
    *fail = {line_, "preprocessor directive " + std::string(name) +
                        " is not supported by sipring; write the values literally (only "
                        "#!KAMAILIO, #!SER or #!SIP-router may open the file)"};
    return false;
  }

  bool block_comment(Failure* fail) {
    const int opened = line_;
    int depth = 0;
    while (i_ < s_.size()) {
      if (s_[i_] == '/' && peek(1) == '*') {
        ++depth;
        i_ += 2;
      } else if (s_[i_] == '*' && peek(1) == '/') {
        i_ += 2;
        if (--depth == 0) return true;
      } else {
        if (s_[i_] == '\n') ++line_;
        ++i_;
      }
    }
    *fail = {opened, "this /* comment is never closed: add */ where it should end"};
    return false;
  }

  bool string(Token* t, Failure* fail) {
    const char quote = s_[i_++];
    t->kind = Token::Kind::kString;
    t->line = line_;
    while (i_ < s_.size() && s_[i_] != quote && s_[i_] != '\n') {
      char c = s_[i_++];
      if (c == '\\' && i_ < s_.size() && s_[i_] != '\n') {
        const char e = s_[i_++];
        switch (e) {
          case 'n':
            c = '\n';
            break;
          case 't':
            c = '\t';
            break;
          case 'r':
            c = '\r';
            break;
          case '\\':
          case '"':
          case '\'':
            c = e;
            break;
          default:  // unknown escape: keep it as written
            t->text += '\\';
            c = e;
        }
      }
      t->text += c;
    }
    if (i_ >= s_.size() || s_[i_] != quote) {
      *fail = {t->line, std::string("string is not closed: add the missing ") + quote +
                            " before the end of the line"};
      return false;
    }
    ++i_;
    return true;
  }

  std::string word() {
    const size_t start = i_;
    while (i_ < s_.size()) {
      const char c = s_[i_];
      if (is_space(c) || is_punct(c) || c == '"' || c == '\'' || c == '#') break;
      if (c == '/' && (peek(1) == '/' || peek(1) == '*')) break;
      ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }

  std::string_view s_;
  size_t i_ = 0;
  int line_ = 1;
};

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

bool parse_number(std::string_view w, int64_t* out) {
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
  *out = neg ? -v : v;
  return true;
}

// Parses the value of listen=, e.g. "tls:192.0.2.1:5061", "tls:[::1]:5061" or "tls:192.0.2.1".
class Parser {
 public:
  Parser(const std::vector<Token>& tokens, Config* cfg) : t_(tokens), cfg_(cfg) {}

  bool run(Failure* fail) {
    while (t_[i_].kind != Token::Kind::kEnd) {
      if (!statement(fail)) return false;
    }
    return validate(fail);
  }

 private:
  const Token& next() { return t_[i_ < t_.size() - 1 ? i_++ : i_]; }
  const Token& peek() const { return t_[i_]; }

  bool accept(char punct) {
    if (peek().kind == Token::Kind::kPunct && peek().text[0] == punct) {
      ++i_;
      return true;
    }
    return false;
  }

  bool expect(char punct, std::string_view context, Failure* fail) {
    if (accept(punct)) return true;
    *fail = {peek().line, "expected '" + std::string(1, punct) + "' " + std::string(context) +
                              ", found " + describe(peek())};
    return false;
  }

  static std::string describe(const Token& t) {
    switch (t.kind) {
      case Token::Kind::kString:
        return "the string \"" + t.text + "\"";
      case Token::Kind::kPunct:
        return "'" + t.text + "'";
      case Token::Kind::kWord:
        return "\"" + t.text + "\"";
      case Token::Kind::kEnd:
        return "the end of the file";
    }
    return "?";
  }

  bool statement(Failure* fail) {
    const Token& t = next();
    if (t.kind == Token::Kind::kPunct && t.text == ";") return true;  // Kamailio allows it
    if (t.kind != Token::Kind::kWord) {
      *fail = {t.line, "unexpected " + describe(t) +
                           "; expected listen=, enable_tls=, "
                           "loadmodule or modparam"};
      return false;
    }
    bool ok = false;
    if (t.text == "loadmodule") {
      ok = loadmodule(t, fail);
    } else if (t.text == "modparam") {
      ok = modparam(t, fail);
    } else if (t.text == "listen") {
      ok = listen(t, fail);
    } else if (t.text == "enable_tls" || t.text == "tls_enable") {
      ok = enable_tls(t, fail);
    } else if (t.text.rfind("!!", 0) == 0) {
      *fail = {t.line, "preprocessor directive " + t.text +
                           " is not supported by sipring; write the values literally"};
    } else if (is_route_block(t.text) ||
               (peek().kind == Token::Kind::kPunct && peek().text == "{")) {
      *fail = {t.line, "\"" + t.text +
                           "\" block: routing logic belongs to the SIP core, not to "
                           "sipring; keep it in the SIP server's config, not in this file"};
    } else {
      *fail = {t.line, "\"" + t.text +
                           "\" is not a sipring setting: routing logic belongs to the "
                           "SIP core, not to sipring (sipring reads only listen=, enable_tls=, "
                           "loadmodule \"tls.so\" and modparam(\"tls\"|\"sipring\", ...))"};
    }
    if (ok) accept(';');
    return ok;
  }

  bool loadmodule(const Token& kw, Failure* fail) {
    const Token& path = next();
    if (path.kind != Token::Kind::kString) {
      *fail = {kw.line, "loadmodule needs a quoted path, e.g. loadmodule \"tls.so\""};
      return false;
    }
    const std::string module = module_of(path.text);
    if (module == "tls") {
      if (tls_loaded_line_ == 0) tls_loaded_line_ = kw.line;
      return true;
    }
    if (module == "sipring") return true;  // needs no loadmodule, but saying so is harmless
    // The control socket: Kamailio operators load ctl (binrpc) or jsonrpcs for it.
    if (module == "ctl" || module == "jsonrpcs") return true;
    *fail = {kw.line, "module \"" + module +
                          "\" is not part of sipring (it serves \"tls\" and the control socket "
                          "\"ctl\"; other modules belong to the SIP server): remove this "
                          "loadmodule line"};
    return false;
  }

  bool modparam(const Token& kw, Failure* fail) {
    const char* usage = "(modparam(\"module\", \"parameter\", value))";
    if (!expect('(', usage, fail)) return false;
    const Token& module = next();
    if (module.kind != Token::Kind::kString) {
      *fail = {module.line, "modparam's module name must be quoted, e.g. modparam(\"tls\", ...)"};
      return false;
    }
    if (!expect(',', usage, fail)) return false;
    const Token& name = next();
    if (name.kind != Token::Kind::kString) {
      *fail = {name.line, "modparam's parameter name must be quoted, e.g. \"certificate\""};
      return false;
    }
    if (!expect(',', usage, fail)) return false;
    const Token& raw = next();
    ParamValue value;
    int64_t n = 0;
    if (raw.kind == Token::Kind::kString) {
      value = ParamValue::of_text(raw.text);
    } else if (raw.kind == Token::Kind::kWord && parse_number(raw.text, &n)) {
      value = ParamValue::of_number(n);
    } else if (raw.kind == Token::Kind::kWord) {
      *fail = {raw.line, "modparam value " + raw.text +
                             " is neither a number nor a quoted "
                             "string; write \"" +
                             raw.text + "\""};
      return false;
    } else {
      *fail = {raw.line, "modparam needs a value after the parameter name, found " + describe(raw)};
      return false;
    }
    if (!expect(')', "to close modparam(", fail)) return false;

    if (module.text == "tls" && tls_loaded_line_ == 0) {
      *fail = {kw.line,
               "modparam(\"tls\", ...) comes before loadmodule \"tls.so\"; as in "
               "Kamailio, load the module first: add loadmodule \"tls.so\" above this "
               "line"};
      return false;
    }
    if (module.text == "sipring" && is_reactor_override(name.text)) {
      return reactor_override(kw, name.text, value, fail);
    }
    Result<const ParamDef*> def = lookup_param(module.text, name.text);
    if (!def) {
      *fail = {kw.line, def.error().message};
      return false;
    }
    if (Status s = set_param(*cfg_, **def, value); !s) {
      *fail = {kw.line, s.message()};
      return false;
    }
    set_lines_[*def] = kw.line;
    return true;
  }

  // "r<N>.<name>": a setting for reactor N only.
  static bool is_reactor_override(std::string_view name) {
    size_t i = 1;
    if (name.size() < 3 || name[0] != 'r') return false;
    while (i < name.size() && isdigit(static_cast<unsigned char>(name[i]))) i++;
    return i > 1 && i < name.size() && name[i] == '.';
  }

  bool reactor_override(const Token& kw, std::string_view name, const ParamValue& value,
                        Failure* fail) {
    size_t dot = name.find('.');
    ReactorOverride o;
    // is_reactor_override() checked the digits; from_chars reports a number too large for
    // uint64 instead of throwing (std::stoul did, and a wrapped value named another reactor).
    uint64_t reactor = 0;
    std::string_view digits = name.substr(1, dot - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), reactor);
    o.reactor = ec == std::errc() && reactor < ConnId::kMaxReactors
                    ? static_cast<uint32_t>(reactor)
                    : ConnId::kMaxReactors;
    o.name = std::string(name.substr(dot + 1));
    o.value = value.is_number ? std::to_string(value.number) : value.text;
    o.is_number = value.is_number;
    if (o.reactor >= ConnId::kMaxReactors) {
      *fail = {kw.line, "sipring." + std::string(name) + ": there are at most " +
                            std::to_string(ConnId::kMaxReactors) + " reactors"};
      return false;
    }
    // Validate now, exactly as the global parameter would be, on a scratch config.
    Config scratch;
    if (Status s = apply_override(scratch.engine, o); !s) {
      *fail = {kw.line, s.message()};
      return false;
    }
    cfg_->engine.overrides.push_back(std::move(o));
    return true;
  }

  bool listen(const Token& kw, Failure* fail) {
    if (!expect('=', "after listen (listen=tls:IP:PORT)", fail)) return false;
    const Token& first = next();
    std::string value = first.text;
    if (first.kind == Token::Kind::kWord) {
      // Kamailio's lexer allows spaces around ':' and inside brackets ("tls: [::1] : 5061").
      while (peek().kind == Token::Kind::kWord) {
        const char before = value.back();
        const char after = peek().text.front();
        if (before != ':' && before != '[' && after != ':' && after != ']') break;
        value += next().text;
      }
    } else if (first.kind != Token::Kind::kString) {
      *fail = {kw.line, "listen needs an address, e.g. listen=tls:192.0.2.10:5061"};
      return false;
    }
    if (peek().kind == Token::Kind::kWord && peek().line == kw.line &&
        (peek().text == "advertise" || peek().text == "name" || peek().text == "virtual")) {
      *fail = {kw.line, "listen ... " + peek().text +
                            " is not supported by sipring; write "
                            "only listen=tls:IP:PORT"};
      return false;
    }
    ListenSpec spec;
    std::string reason;
    if (!parse_listen(value, &spec, &reason)) {
      *fail = {kw.line, reason};
      return false;
    }
    for (size_t k = 0; k < cfg_->listen.size(); ++k) {
      if (cfg_->listen[k].addr == spec.addr) {
        *fail = {kw.line, "listen=tls:" + spec.addr.to_string() + " repeats line " +
                              std::to_string(listen_lines_[k]) + "; remove one of them"};
        return false;
      }
    }
    cfg_->listen.push_back(spec);
    listen_lines_.push_back(kw.line);
    return true;
  }

  bool enable_tls(const Token& kw, Failure* fail) {
    if (!expect('=', "after enable_tls (enable_tls=yes)", fail)) return false;
    const Token& v = next();
    bool on = false;
    int64_t n = 0;
    // As Kamailio's core grammar: a number is a boolean, any non-zero one true (enable_tls=2).
    if (v.kind == Token::Kind::kWord && parse_number(v.text, &n)) {
      on = n != 0;
    } else if ((v.kind != Token::Kind::kWord && v.kind != Token::Kind::kString) ||
               !parse_config_bool(v.text, &on)) {
      *fail = {kw.line, "enable_tls=" + v.text +
                            " is not a yes/no value; write enable_tls=yes "
                            "or enable_tls=no"};
      return false;
    }
    cfg_->enable_tls = on;
    enable_tls_line_ = kw.line;
    return true;
  }

  // Rules that span several statements, checked once the whole file is read.
  bool validate(Failure* fail) {
    if (!cfg_->enable_tls && !cfg_->listen.empty()) {
      const std::string fix =
          enable_tls_line_ != 0
              ? "change line " + std::to_string(enable_tls_line_) + " to enable_tls=yes"
              : "add the line enable_tls=yes";
      *fail = {listen_lines_[0],
               "listen=tls:" + cfg_->listen[0].addr.to_string() + " needs TLS enabled: " + fix};
      return false;
    }
    if (cfg_->enable_tls) {
      if (tls_loaded_line_ == 0) {
        *fail = {enable_tls_line_,
                 "enable_tls=yes needs the TLS module: add loadmodule "
                 "\"tls.so\" (before the modparam(\"tls\", ...) lines)"};
        return false;
      }
      if (cfg_->listen.empty()) {
        *fail = {enable_tls_line_,
                 "enable_tls=yes but there is nothing to listen on: add a "
                 "line like listen=tls:0.0.0.0:5061"};
        return false;
      }
      // With a tls.cfg (manual §1.9.27) the certificates are its domains' and the certificate
      // modparam is ignored; TlsContextSet::build refuses a server domain without one.
      if (cfg_->tls.certificate.empty() && cfg_->tls.config.empty()) {
        *fail = {enable_tls_line_,
                 "enable_tls=yes but no certificate: add "
                 "modparam(\"tls\", \"certificate\", \"/path/to/cert.pem\"), or "
                 "modparam(\"tls\", \"config\", \"tls.cfg\") with a [server:default] "
                 "certificate"};
        return false;
      }
    }
    if (cfg_->tls.private_key.empty()) cfg_->tls.private_key = cfg_->tls.certificate;

    const ParamDef* reactors = find_param("sipring", "reactors");
    const ParamDef* cpus = find_param("sipring", "cpus");
    const size_t n_cpus = cfg_->engine.cpus.size();
    if (cfg_->engine.reactors > 0 && n_cpus > 0 &&
        n_cpus != static_cast<size_t>(cfg_->engine.reactors)) {
      *fail = {std::max(set_lines_[reactors], set_lines_[cpus]),
               "sipring.cpus lists " + std::to_string(n_cpus) + " CPUs but sipring.reactors is " +
                   std::to_string(cfg_->engine.reactors) +
                   ": list one CPU per reactor, or leave reactors at 0 to run one per CPU listed"};
      return false;
    }
    return true;
  }

  const std::vector<Token>& t_;
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
  std::vector<Token> tokens;
  Failure fail;
  if (!Lexer(text).run(&tokens, &fail) || !Parser(tokens, &cfg).run(&fail)) {
    return make_error(Errc::kConfig, "%s:%d: %s", name.c_str(), fail.line, fail.reason.c_str());
  }
  return cfg;
}

Result<Config> load_config_file(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    return make_error(Errc::kIo, "%s: cannot open the config file: %s", path.c_str(),
                      std::strerror(errno));
  }
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  const bool failed = std::ferror(f) != 0;
  const int err = errno;
  std::fclose(f);
  if (failed) {
    return make_error(Errc::kIo, "%s: cannot read the config file: %s", path.c_str(),
                      std::strerror(err));
  }
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_config_text(text, path, dir);
}

namespace {

// The override's value as the config file gave it (a number, or text).
ParamValue override_value(const ReactorOverride& o) {
  if (!o.is_number) return ParamValue::of_text(o.value);
  int64_t n = 0;
  std::from_chars(o.value.data(), o.value.data() + o.value.size(), n);  // written by to_string
  return ParamValue::of_number(n);
}

// The CPU a "cpu" override names, parsed like one element of sipring.cpus; -1 if it does not.
int override_cpu(const ReactorOverride& o) {
  Config scratch;
  Status s = set_param(scratch, *find_param("sipring", "cpus"), override_value(o));
  return s && scratch.engine.cpus.size() == 1 ? scratch.engine.cpus[0] : -1;
}

}  // namespace

Status apply_override(EngineParams& engine, const ReactorOverride& o) {
  static constexpr std::string_view kOverridable[] = {
      "cpu", "ring_entries", "recv_buffers", "recv_buffer_size", "handoff_entries",
      "reply_ring_bytes", "max_connections", "busy_poll_us"};
  bool ok = false;
  for (std::string_view n : kOverridable) ok = ok || n == o.name;
  const std::string what = "sipring.r" + std::to_string(o.reactor) + "." + o.name;
  if (!ok) {
    return make_error(Errc::kConfig,
                      "%s: only cpu, ring_entries, recv_buffers, recv_buffer_size, "
                      "handoff_entries, reply_ring_bytes, max_connections and busy_poll_us can be "
                      "set per reactor",
                      what.c_str());
  }
  ParamValue v = override_value(o);
  if (o.name == "cpu") {
    // A CPU for this reactor: validated like an element of sipring.cpus.
    if (override_cpu(o) < 0) {
      Config scratch;
      Status s = set_param(scratch, *find_param("sipring", "cpus"), v);
      return make_error(Errc::kConfig, "%s: expects one CPU number, e.g. 3%s%s", what.c_str(),
                        s ? "" : ": ", s ? "" : s.message().c_str());
    }
    return Status::ok();
  }
  Config scratch;
  scratch.engine = engine;
  Status s = set_param(scratch, *find_param("sipring", o.name), v);
  if (!s) return make_error(Errc::kConfig, "%s: %s", what.c_str(), s.message().c_str());
  engine = scratch.engine;
  return Status::ok();
}

EngineParams params_for(const EngineParams& engine, uint32_t r, int* cpu) {
  EngineParams p = engine;
  if (cpu != nullptr) *cpu = engine.cpus.empty() ? -1 : engine.cpus[r % engine.cpus.size()];
  for (const ReactorOverride& o : engine.overrides) {
    if (o.reactor != r) continue;
    if (o.name == "cpu") {
      if (cpu != nullptr) *cpu = override_cpu(o);  // validated when the config was read
      continue;
    }
    (void)apply_override(p, o);  // validated when the config was read
  }
  p.overrides.clear();
  return p;
}

}  // namespace sipring
