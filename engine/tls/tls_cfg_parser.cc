// The tls.cfg parser (Kamailio's per-domain TLS file): its grammar and the checks of each
// section (parse_tls_domains, load_tls_domains in engine/tls/tls_domains.h).
// The choice of a domain for each connection is in tls_domains.cc; values are read by
// tls_cfg_scanner.h.
//
// Syntax, as Kamailio 5.6's cfg_parser reads it: `[ROLE:DOMAIN]` starts a section; inside,
// `name = value` lines; `#` starts a comment anywhere outside quotes; blank lines and spaces
// or tabs around every token are ignored; a value is "quoted" (escapes \" \\ \n \r \t) or a
// bare run of characters up to a space or `#` (escapes \# \" \\ \<space> \n \r \t). ROLE is
// server|srv|s or client|cli|c; DOMAIN is default|def|*, any|all, IPv4:PORT or [IPv6]:PORT
// (PORT 0 = any port of that IP). Role, domain words, attribute names and enumerated values
// (method, verify_client, booleans) are case-insensitive, as Kamailio compares them.
//
// Attributes, their aliases and the checks of their values: tls_cfg_attrs.cc.
//
// Deliberate differences from Kamailio in the file's structure, all in the direction of saying
// more, never of silently doing something else: an attribute set twice in one section is an
// error (Kamailio keeps the last); two address sections for the same IP:PORT may coexist when
// their server_name differs, one of them without server_name (Kamailio calls that a duplicate
// because its lookup depends on file order; ours does not); a [client:any] may be chosen by
// server_id alone. Those in values are listed in tls_cfg_attrs.cc.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <system_error>

#include "engine/base/ascii.h"
#include "engine/base/error_format.h"
#include "engine/config/config_registry.h"
#include "engine/tls/tls_cfg_attrs.h"
#include "engine/tls/tls_cfg_scanner.h"
#include "engine/tls/tls_domains.h"

namespace sipring {

namespace {

constexpr char kSectionForms[] =
    "write [server:default], [server:any], [server:IP:PORT] or [server:[IPv6]:PORT] (client "
    "instead of server for outgoing connections)";

// Kamailio's IS_ALPHA: the characters of an option name.
bool is_name_char(char c) {
  return ascii_isalnum(c) || c == '_';
}

// Reads tls.cfg text, one file after another, into domains.
class TlsCfgParser {
 public:
  explicit TlsCfgParser(const std::string& config_dir) { scratch_.config_dir = config_dir; }

  Status parse(std::string_view text, const std::string& name) {
    name_ = name;
    open_ = false;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);  // BOM
      if (Status s = parse_line(line, line_no); !s) return s;
    }
    return close_section();
  }

  Result<TlsDomainSet> finish(const std::string& source) {
    if (domains_.empty()) {
      return format_error(Errc::kConfig,
                          "{}: no [server:...] or [client:...] section; a TLS domain file needs "
                          "at least [server:default] (see the sample in Kamailio's TLS README)",
                          source);
    }
    TlsDomainSet set;
    set.source = source;
    set.domains = std::move(domains_);
    const bool has_client_default =
        std::any_of(set.domains.begin(), set.domains.end(), [](const TlsDomain& d) {
          return d.role == TlsDomain::Role::kClient && d.kind == TlsDomain::Kind::kDefault;
        });
    if (!has_client_default) {
      TlsDomain d;
      d.role = TlsDomain::Role::kClient;
      d.kind = TlsDomain::Kind::kDefault;
      d.where = "built-in";
      set.domains.push_back(std::move(d));
    }
    return set;
  }

 private:
  Error fail(int line, std::string_view reason) const {
    return format_error(Errc::kConfig, "{}:{}: {}", name_, line, reason);
  }

  Status parse_line(std::string_view line, int line_no) {
    TlsCfgScanner sc(line);
    if (sc.at_end()) return Status::ok();
    if (sc.eat('[')) return section(sc, line_no);
    const std::string_view name = sc.take(is_name_char);
    if (name.empty()) {
      return fail(line_no, "unexpected " + in_quotes(sc.rest()) +
                               "; a line holds a section header ([server:...] or [client:...]), "
                               "an attribute (name = value), a # comment or nothing");
    }
    return attribute(sc, name, line_no);
  }

  Status section(TlsCfgScanner& sc, int line) {
    if (Status s = close_section(); !s) return s;
    TlsDomain d;
    d.kind = TlsDomain::Kind::kAddress;  // unless the domain word says default or any
    d.where = name_ + ":" + std::to_string(line);
    sc.skip_space();
    const std::string_view role = sc.take(is_name_char);
    if (equals_ignore_case(role, "server") || equals_ignore_case(role, "srv") ||
        equals_ignore_case(role, "s")) {
      d.role = TlsDomain::Role::kServer;
    } else if (equals_ignore_case(role, "client") || equals_ignore_case(role, "cli") ||
               equals_ignore_case(role, "c")) {
      d.role = TlsDomain::Role::kClient;
    } else {
      return fail(line, (role.empty() ? std::string("section type missing")
                                      : "unknown section type " + in_quotes(role)) +
                            ": " + kSectionForms);
    }
    sc.skip_space();
    if (!sc.eat(':')) {
      return fail(line, "expected ':' after " + in_quotes(role) +
                            " in the section header: " + kSectionForms);
    }
    sc.skip_space();
    std::string host;
    bool v6 = false;
    if (sc.eat('[')) {
      sc.skip_space();
      host = sc.take([](char c) { return c != ']' && !is_cfg_space(c); });
      sc.skip_space();
      if (!sc.eat(']')) {
        return fail(line,
                    "missing ']' after the IPv6 address " + in_quotes(host) + ": " + kSectionForms);
      }
      v6 = true;
    } else {
      const std::string_view word =
          sc.take([](char c) { return is_name_char(c) || c == '.' || c == '*' || c == '-'; });
      if (equals_ignore_case(word, "default") || equals_ignore_case(word, "def") || word == "*") {
        d.kind = TlsDomain::Kind::kDefault;
      } else if (equals_ignore_case(word, "any") || equals_ignore_case(word, "all")) {
        d.kind = TlsDomain::Kind::kAny;
      } else if (word.empty() && !sc.peek(':')) {
        return fail(line, "address missing in the section header: " + std::string(kSectionForms));
      }
      host = word;
    }
    if (d.kind == TlsDomain::Kind::kAddress) {
      const std::string_view word = d.role == TlsDomain::Role::kServer ? "server" : "client";
      if (Status s = address(sc, word, host, v6, line, &d.addr); !s) return s;
    } else {
      sc.skip_space();
      if (sc.peek(':')) {
        return fail(line, "[" + std::string(role) + ":" + host +
                              "] takes no address or port; a section is either default, any "
                              "or one IP:PORT");
      }
    }
    sc.skip_space();
    if (!sc.eat(']')) {
      return fail(line, sc.rest().empty() ? "missing ']' at the end of the section header"
                                          : "unexpected " + in_quotes(sc.rest()) +
                                                " in the section header: " + kSectionForms);
    }
    if (!sc.at_end()) {
      return fail(line, "unexpected " + in_quotes(sc.rest()) +
                            " after the section header; attributes go on their own lines");
    }
    domains_.push_back(std::move(d));
    open_ = true;
    scratch_.tls.profile = TlsProfile();  // a section inherits nothing
    section_line_ = line;
    attr_line_.fill(0);
    attr_written_.fill({});
    return Status::ok();
  }

  // Parses ":PORT" after the host of an address section and fills *out_addr.
  Status address(TlsCfgScanner& sc, std::string_view role, const std::string& host, bool v6,
                 int line, SockAddr* out_addr) {
    const std::string shown = v6 ? "[" + host + "]" : host;
    const std::string brackets =
        "IPv6 addresses go in brackets: [" + std::string(role) + ":[2001:db8::1]:5061]";
    sc.skip_space();
    if (!v6 && host.empty()) {
      return fail(line, brackets);
    }
    if (!sc.eat(':')) {
      return fail(line, "port missing after " + shown + ": write [" + std::string(role) + ":" +
                            shown + ":5061]");
    }
    sc.skip_space();
    const std::string_view port = sc.take(ascii_isalnum);
    sc.skip_space();
    if (!v6 && sc.peek(':')) {
      return fail(line, brackets);
    }
    unsigned long p = 0;
    const bool port_ok = !port.empty() && port.size() <= 5 &&
                         std::all_of(port.begin(), port.end(), ascii_isdigit) &&
                         (p = std::strtoul(std::string(port).c_str(), nullptr, 10)) <= 65535;
    if (!port_ok) {
      return fail(line, "port " + in_quotes(port) + " after " + shown +
                            " is not a number from 0 to 65535 (0 = any port of that address)");
    }
    const std::string text =
        v6 ? "[" + host + "]:" + std::string(port) : host + ":" + std::string(port);
    if (!SockAddr::parse(text, out_addr) || out_addr->family() != (v6 ? AF_INET6 : AF_INET)) {
      if (v6) return fail(line, in_quotes(host) + " is not an IPv6 address");
      return fail(line, in_quotes(host) +
                            " is not an IPv4 address; sections name an IP address, not a host "
                            "(for a host name use [" +
                            std::string(role) + ":any] with server_name = " + host +
                            "): " + kSectionForms);
    }
    return Status::ok();
  }

  // Checks that need the whole section: run when the next section starts or the file ends.
  Status close_section() {
    if (!open_) return Status::ok();
    open_ = false;
    domains_.back().profile = std::move(scratch_.tls.profile);
    const TlsDomain& d = domains_.back();
    const TlsProfile& p = d.profile;
    const int line = section_line_;
    const std::string header =
        "[" + std::string(d.role == TlsDomain::Role::kServer ? "server" : "client") + ":any]";
    if (d.kind == TlsDomain::Kind::kAny && d.role == TlsDomain::Role::kServer &&
        p.server_name.empty()) {
      return fail(line, header +
                            " needs server_name: an any-address server domain is chosen only by "
                            "the name the client sends (SNI); add server_name = NAME, or use "
                            "[server:default]");
    }
    if (d.kind == TlsDomain::Kind::kAny && d.role == TlsDomain::Role::kClient &&
        p.server_name.empty() && p.server_id.empty()) {
      return fail(line, header +
                            " needs server_name or server_id: an any-address client domain is "
                            "chosen only by them; add one, or use [client:default]");
    }
    if (p.server_name_mode != 0 && is_server_name_pattern(p.server_name)) {
      return fail(attr_line_[static_cast<size_t>(tls_cfg::Attr::kServerNameMode)],
                  "server_name_mode " + std::to_string(p.server_name_mode) + " with the pattern " +
                      in_quotes(p.server_name) +
                      ": a pattern matches one label before its name and takes no mode; for "
                      "every subdomain at any depth write server_name = " +
                      p.server_name.substr(2) + " with server_name_mode = 2");
    }
    if (p.server_name_mode != 0 && p.server_name.empty()) {
      return fail(attr_line_[static_cast<size_t>(tls_cfg::Attr::kServerNameMode)],
                  "server_name_mode without server_name in this section; add server_name = "
                  "NAME (the mode says how NAME matches)");
    }
    for (size_t i = 0; i + 1 < domains_.size(); ++i) {
      const TlsDomain& other = domains_[i];
      if (same_selector(other, d)) {
        std::string what = d.name();
        return fail(line, "duplicate section: " + what + " is already defined at " + other.where +
                              (d.kind == TlsDomain::Kind::kDefault
                                   ? "; there can be only one"
                                   : "; merge them or give them different server_name values"));
      }
      if (d.role == TlsDomain::Role::kClient && other.role == TlsDomain::Role::kClient &&
          !p.server_id.empty() && equals_ignore_case(p.server_id, other.profile.server_id)) {
        return fail(line, "server_id " + in_quotes(p.server_id) + " is already used by " +
                              other.name() + " at " + other.where +
                              "; a server_id must name one client domain");
      }
    }
    return Status::ok();
  }

  Status attribute(TlsCfgScanner& sc, std::string_view name, int line) {
    tls_cfg::Attr attr;
    if (!tls_cfg::find_attr(name, &attr)) return fail(line, tls_cfg::unknown_attr_reason(name));
    if (!open_) {
      return fail(line, "attribute " + in_quotes(name) +
                            " before any section; attributes belong to a section such as "
                            "[server:default] or [client:default] above them");
    }
    sc.skip_space();
    if (!sc.eat('=')) {
      return fail(line, "expected '=' after " + in_quotes(name) + ": write " + std::string(name) +
                            " = VALUE");
    }
    Result<std::string> value = sc.value();
    if (!value) return fail(line, fmt::format("{}: {}", name, value.error().message));
    if (!sc.at_end()) {
      return fail(line, "unexpected " + in_quotes(sc.rest()) + " after the value of " +
                            std::string(name) + "; quote values that contain spaces");
    }
    const size_t idx = static_cast<size_t>(attr);
    if (attr_line_[idx] != 0) {
      const std::string earlier =
          attr_written_[idx] == name ? "" : " (as " + in_quotes(attr_written_[idx]) + ")";
      return fail(line, std::string(name) + " is already set in this section at line " +
                            std::to_string(attr_line_[idx]) + earlier + "; keep one");
    }
    if (Status s = tls_cfg::apply_attr(attr, name, std::move(value.value()), domains_.back().role,
                                       &scratch_);
        !s) {
      return fail(line, s.message());
    }
    attr_line_[idx] = line;
    attr_written_[idx] = std::string(name);
    return Status::ok();
  }

  // The registry validates into scratch_.tls.profile, which is the profile of the section being
  // read (moved into domains_.back() when it closes); only config_dir and tls.profile are used.
  Config scratch_;
  std::string name_;
  std::vector<TlsDomain> domains_;
  bool open_ = false;  // domains_.back() is a section of the current file still being read
  int section_line_ = 0;
  std::array<int, tls_cfg::kAttrCount> attr_line_{};  // where each attribute was set; 0 = not yet
  std::array<std::string, tls_cfg::kAttrCount> attr_written_{};  // and under which name
};

Result<std::string> read_domain_file(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text) {
    return format_error(Errc::kConfig,
                        "cannot read the TLS domain file \"{}\" (modparam \"tls\", \"config\"): {}",
                        path, text.error().message);
  }
  return text;
}

}  // namespace

Result<TlsDomainSet> parse_tls_domains(const std::string& text, const std::string& name,
                                       const std::string& config_dir) {
  TlsCfgParser parser(config_dir);
  if (Status s = parser.parse(text, name); !s) return s;
  return parser.finish(name);
}

Result<TlsDomainSet> load_tls_domains(const std::string& path, const std::string& config_dir) {
  namespace fs = std::filesystem;
  const std::string resolved = resolve_config_path(path, config_dir);
  std::error_code ec;
  if (!fs::is_directory(resolved, ec)) {
    Result<std::string> text = read_domain_file(resolved);
    if (!text) return text.status();
    return parse_tls_domains(text.value(), resolved, config_dir);
  }
  std::vector<std::string> files;
  for (fs::directory_iterator it(resolved, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string leaf = it->path().filename().string();
    if (leaf.empty() || leaf.front() == '.') continue;
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) files.push_back(it->path().string());
  }
  if (ec) {
    return format_error(Errc::kConfig, "cannot list the TLS domain directory \"{}\": {}", resolved,
                        ec.message());
  }
  std::sort(files.begin(), files.end());
  TlsCfgParser parser(config_dir);
  for (const std::string& file : files) {
    Result<std::string> text = read_domain_file(file);
    if (!text) return text.status();
    if (Status s = parser.parse(text.value(), file); !s) return s;
  }
  return parser.finish(resolved);
}

}  // namespace sipring
