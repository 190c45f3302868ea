// The tls.cfg parser (Kamailio's per-domain TLS file): its grammar, attribute table and the
// checks of each section (parse_tls_domains, load_tls_domains in engine/tls/tls_domains.h).
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
// Attributes. Aliases are exactly those of Kamailio 5.6's tls.cfg option table
// (modules/tls/tls_config.c); "(sipring)" marks sipring's own additions.
//
// | Attribute            | Aliases      | Value                                              |
// |----------------------|--------------|----------------------------------------------------|
// | tls_method           | method       | as modparam tls_method (registry); TLSv1.0 and     |
// |                      |              | TLSv1.0+ are Kamailio's spellings of TLSv1, TLSv1+ |
// | verify_certificate   | verify_cert  | boolean                                            |
// | verify_depth         |              | integer, as modparam verify_depth (0-100)          |
// | require_certificate  | require_cert | boolean                                            |
// | private_key          | pkey_file    | path                                               |
// | certificate          | cert_file    | path                                               |
// | ca_list              | calist_file  | path                                               |
// | ca_path              |              | path (a directory of hashed CA certificates)       |
// | crl                  |              | path                                               |
// | cipher_list          |              | string, as modparam cipher_list                    |
// | server_name          |              | host name (SNI): answered (server), sent (client)  |
// | server_name_mode     |              | 0 name only, 1 name and subdomains, 2 subdomains   |
// | server_id            |              | string; selects a client domain (client_for)       |
// | verify_client        |              | off | on | optional | optional_no_ca               |
// | private_key_password |              | (sipring) passphrase of an encrypted PEM key;      |
// |                      |              | Kamailio asks for it on the console instead        |
// | verify_hostname      |              | (sipring, client domains only) name the server's   |
// |                      |              | certificate must carry                             |
// | ocsp_staple_file     |              | (sipring, server domains) DER OCSP response path   |
// | ocsp_require         |              | (sipring, client domains) boolean: demand a staple |
//
// Not Kamailio names, so refused as unknown: ca_file, cipher, verify_client_depth.
// Booleans: yes/no, on/off, true/false, 1/0, enable/disable, enabled/disabled.
// Paths: "./x" (and "../x") against the working directory, "/x" as is, "x" against the main
// config file's directory (resolve_config_path). An empty quoted value ("") leaves a string
// attribute unset.
//
// Deliberate differences from Kamailio, all in the direction of saying more, never of silently
// doing something else: an attribute set twice in one section is an error (Kamailio keeps the
// last); server_name_mode other than 0-2 is refused (Kamailio treats it as 0); a server_name
// with '*' is refused (there are no wildcards; server_name_mode covers subdomains); two
// address sections for the same IP:PORT may coexist when their server_name differs, one of
// them without server_name (Kamailio calls that a duplicate because its lookup depends on
// file order; ours does not); a [client:any] may be chosen by server_id alone.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <system_error>

#include "engine/base/ascii.h"
#include "engine/base/error_format.h"
#include "engine/config/config_registry.h"
#include "engine/tls/tls_cfg_ocsp.h"
#include "engine/tls/tls_cfg_scanner.h"
#include "engine/tls/tls_domains.h"

namespace sipring {

namespace {

enum class Attr : uint8_t {
  kTlsMethod,
  kVerifyCertificate,
  kVerifyDepth,
  kRequireCertificate,
  kPrivateKey,
  kCertificate,
  kCaList,
  kCaPath,
  kCrl,
  kCipherList,
  kServerName,
  kServerNameMode,
  kServerId,
  kVerifyClient,
  kPrivateKeyPassword,
  kVerifyHostname,
  kOcspStapleFile,
  kOcspRequire,
  kCount,
};

struct AttrName {
  std::string_view name;
  Attr attr;
};

// Canonical names first (the order of the table above), then Kamailio's aliases.
constexpr AttrName kAttrNames[] = {
    {"tls_method", Attr::kTlsMethod},
    {"verify_certificate", Attr::kVerifyCertificate},
    {"verify_depth", Attr::kVerifyDepth},
    {"require_certificate", Attr::kRequireCertificate},
    {"private_key", Attr::kPrivateKey},
    {"certificate", Attr::kCertificate},
    {"ca_list", Attr::kCaList},
    {"ca_path", Attr::kCaPath},
    {"crl", Attr::kCrl},
    {"cipher_list", Attr::kCipherList},
    {"server_name", Attr::kServerName},
    {"server_name_mode", Attr::kServerNameMode},
    {"server_id", Attr::kServerId},
    {"verify_client", Attr::kVerifyClient},
    {"private_key_password", Attr::kPrivateKeyPassword},
    {"verify_hostname", Attr::kVerifyHostname},
    {"ocsp_staple_file", Attr::kOcspStapleFile},
    {"ocsp_require", Attr::kOcspRequire},
    {"method", Attr::kTlsMethod},
    {"verify_cert", Attr::kVerifyCertificate},
    {"require_cert", Attr::kRequireCertificate},
    {"pkey_file", Attr::kPrivateKey},
    {"cert_file", Attr::kCertificate},
    {"calist_file", Attr::kCaList},
};
constexpr size_t kCanonicalAttrs = static_cast<size_t>(Attr::kCount);

// The module parameter whose registry entry validates (and resolves) this attribute, so a
// value means, and is refused with, exactly what the modparam would; "" = checked here.
std::string_view registry_param(Attr a) {
  switch (a) {
    case Attr::kTlsMethod:
      return "tls_method";
    case Attr::kVerifyCertificate:
      return "verify_certificate";
    case Attr::kVerifyDepth:
      return "verify_depth";
    case Attr::kRequireCertificate:
      return "require_certificate";
    case Attr::kPrivateKey:
      return "private_key";
    case Attr::kCertificate:
      return "certificate";
    case Attr::kCaList:
      return "ca_list";
    case Attr::kCrl:
      return "crl";
    case Attr::kCipherList:
      return "cipher_list";
    case Attr::kOcspStapleFile:
      return "ocsp_staple_file";
    case Attr::kOcspRequire:
      return "ocsp_require";
    default:
      return "";
  }
}

constexpr std::string_view kVerifyClientValues[] = {"off", "on", "optional", "optional_no_ca"};

constexpr char kSectionForms[] =
    "write [server:default], [server:any], [server:IP:PORT] or [server:[IPv6]:PORT] (client "
    "instead of server for outgoing connections)";

// Kamailio's IS_ALPHA: the characters of an option name.
bool is_name_char(char c) {
  return ascii_isalnum(c) || c == '_';
}

const AttrName* find_attr(std::string_view name) {
  for (const AttrName& a : kAttrNames) {
    if (equals_ignore_case(a.name, name)) return &a;
  }
  return nullptr;
}

std::string attr_list() {
  std::string s;
  for (const AttrName& a : kAttrNames) s += (s.empty() ? "" : ", ") + std::string(a.name);
  return s;
}

// Why `name` cannot be a server_name, or "" if it can.
std::string server_name_problem(std::string_view name) {
  if (name.find('*') != std::string_view::npos) {
    return "server_name " + in_quotes(name) +
           " has a wildcard; names match exactly: for every subdomain of example.org write "
           "server_name = example.org with server_name_mode = 2 (or 1 to include example.org)";
  }
  if (name.size() > 253 || name.front() == '.' || name.back() == '.' ||
      !std::all_of(name.begin(), name.end(),
                   [](char c) { return ascii_isalnum(c) || c == '-' || c == '.' || c == '_'; })) {
    return "server_name " + in_quotes(name) +
           " is not a host name as a client sends it in SNI (letters, digits, '-', '_' and "
           "inner dots, e.g. sip.example.org)";
  }
  return "";
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
    if (p.server_name_mode != 0 && p.server_name.empty()) {
      return fail(attr_line_[static_cast<size_t>(Attr::kServerNameMode)],
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
    const AttrName* an = find_attr(name);
    if (an == nullptr) {
      std::string hint;
      size_t best = SIZE_MAX;
      for (size_t i = 0; i < kCanonicalAttrs; ++i) {
        size_t dist = edit_distance(name, kAttrNames[i].name);
        const bool prefix = name.size() >= 3 && kAttrNames[i].name.size() > name.size() &&
                            equals_ignore_case(kAttrNames[i].name.substr(0, name.size()), name);
        if (prefix) dist = 1;  // "cipher" for "cipher_list"
        if (dist < best && dist <= std::max<size_t>(2, name.size() / 3)) {
          best = dist;
          hint = " (did you mean " + in_quotes(kAttrNames[i].name) + "?)";
        }
      }
      return fail(line,
                  "unknown attribute " + in_quotes(name) + hint + "; accepted: " + attr_list());
    }
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
    const size_t idx = static_cast<size_t>(an->attr);
    if (attr_line_[idx] != 0) {
      const std::string earlier =
          attr_written_[idx] == name ? "" : " (as " + in_quotes(attr_written_[idx]) + ")";
      return fail(line, std::string(name) + " is already set in this section at line " +
                            std::to_string(attr_line_[idx]) + earlier + "; keep one");
    }
    if (Status s = apply(an->attr, name, std::move(value.value()), line); !s) return s;
    attr_line_[idx] = line;
    attr_written_[idx] = std::string(name);
    return Status::ok();
  }

  // Validates through the registry and leaves the result in scratch_.tls.profile.
  Status via_registry(std::string_view param, std::string_view written, const std::string& value,
                      int line) {
    const ParamDef* def = find_param("tls", param);
    if (def == nullptr)
      return fail(line, "internal error: no registry entry tls." + std::string(param));
    Status s = set_param(scratch_, *def, ParamValue::of_text(value));
    if (s) return s;
    // "tls.NAME: reason" -> "WRITTEN: reason": the file's spelling, the registry's reason.
    std::string reason = s.message();
    const std::string prefix = "tls." + std::string(def->name) + ": ";
    if (reason.compare(0, prefix.size(), prefix) == 0) reason.erase(0, prefix.size());
    return fail(line, std::string(written) + ": " + reason);
  }

  Status apply(Attr a, std::string_view written, std::string value, int line) {
    const TlsDomain& d = domains_.back();
    TlsProfile& p = scratch_.tls.profile;  // the registry validates into it, see via_registry
    if (a == Attr::kTlsMethod) {
      // Kamailio spells TLS 1.0 both ways; the registry knows the short form.
      if (equals_ignore_case(value, "TLSv1.0")) value = "TLSv1";
      if (equals_ignore_case(value, "TLSv1.0+")) value = "TLSv1+";
    }
    if (a == Attr::kVerifyCertificate || a == Attr::kRequireCertificate) {
      // Kamailio's cfg parser also takes these two; parse_config_bool has the rest.
      if (equals_ignore_case(value, "enabled")) value = "enable";
      if (equals_ignore_case(value, "disabled")) value = "disable";
    }
    if (std::string_view param = registry_param(a); !param.empty()) {
      if (Status s = via_registry(param, written, value, line); !s) return s;
    }
    switch (a) {
      case Attr::kTlsMethod:
      case Attr::kVerifyCertificate:
      case Attr::kVerifyDepth:
      case Attr::kRequireCertificate:
      case Attr::kPrivateKey:
      case Attr::kCertificate:
      case Attr::kCaList:
      case Attr::kCrl:
      case Attr::kCipherList:
        break;  // stored by the registry
      case Attr::kCaPath:
        p.ca_path = resolve_config_path(value, scratch_.config_dir);
        break;
      case Attr::kServerName:
        if (!value.empty()) {
          if (std::string why = server_name_problem(value); !why.empty()) return fail(line, why);
        }
        p.server_name = value;
        break;
      case Attr::kServerNameMode:
        if (value != "0" && value != "1" && value != "2") {
          return fail(line, std::string(written) + ": " + in_quotes(value) +
                                " is not 0 (server_name only), 1 (server_name and its "
                                "subdomains) or 2 (its subdomains only)");
        }
        p.server_name_mode = value[0] - '0';
        break;
      case Attr::kServerId:
        p.server_id = value;
        break;
      case Attr::kVerifyClient: {
        auto it = std::find_if(std::begin(kVerifyClientValues), std::end(kVerifyClientValues),
                               [&](std::string_view v) { return equals_ignore_case(v, value); });
        if (it == std::end(kVerifyClientValues)) {
          return fail(line, std::string(written) + ": " + in_quotes(value) +
                                " is not one of off, on, optional, optional_no_ca");
        }
        p.verify_client = std::string(*it);
        break;
      }
      case Attr::kPrivateKeyPassword:
        p.private_key_password = value;
        break;
      case Attr::kVerifyHostname:
        if (d.role != TlsDomain::Role::kClient) {
          return fail(line, std::string(written) +
                                " applies to client domains only (the name a server's "
                                "certificate must carry); a server checks clients with "
                                "verify_certificate / verify_client");
        }
        p.verify_hostname = value;
        break;
      case Attr::kOcspStapleFile:
      case Attr::kOcspRequire:
        if (std::string why = ocsp_attr_problem(written, a == Attr::kOcspRequire,
                                                d.role == TlsDomain::Role::kClient);
            !why.empty()) {
          return fail(line, why);
        }
        break;  // stored by the registry
      case Attr::kCount:
        break;
    }
    return Status::ok();
  }

  // The registry validates into scratch_.tls.profile, which is the profile of the section being
  // read (moved into domains_.back() when it closes); only config_dir and tls.profile are used.
  Config scratch_;
  std::string name_;
  std::vector<TlsDomain> domains_;
  bool open_ = false;  // domains_.back() is a section of the current file still being read
  int section_line_ = 0;
  std::array<int, kCanonicalAttrs> attr_line_{};  // where each attribute was set; 0 = not yet
  std::array<std::string, kCanonicalAttrs> attr_written_{};  // and under which name
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
