// The generic, table-driven half of the registry (config_registry.h): finding a parameter by
// name, validating and storing a value by its definition, formatting a stored value, and the
// value syntaxes parameters share (paths, booleans, listen addresses). The table itself is data,
// in config_registry_table.cc.
#include "engine/config/config_registry.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {

namespace {

constexpr uint16_t kDefaultTlsPort = 5061;  // Kamailio's default for tls listens

Error param_error(const ParamDef& def, std::string_view reason) {
  return format_error(Errc::kConfig, "{}.{}: {}", def.module, def.name, reason);
}

// Decimal integer with optional leading '-'; the whole of `s` (spaces around it aside) must be
// consumed.
bool parse_int(std::string_view s, int64_t* out_value) {
  s = strip_ascii_whitespace(s);
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out_value);
  return ec == std::errc() && p == end;
}

bool is_power_of_two(int64_t v) {
  return v > 0 && (v & (v - 1)) == 0;
}

Status set_int(Config& cfg, const ParamDef& def, const ParamValue& value) {
  int64_t v = value.number;
  if (!value.is_number && !parse_int(value.text, &v)) {
    return param_error(def, in_quotes(value.text) + " is not an integer");
  }
  if (v < def.min || v > def.max) {
    return param_error(def, std::to_string(v) + " is out of range " + range_text(def));
  }
  if (def.refuse_int != nullptr) {
    if (const char* why = def.refuse_int(v)) {
      return param_error(def, std::to_string(v) + " cannot be honoured: " + why);
    }
  }
  if (def.power_of_two && !is_power_of_two(v)) {
    int64_t below = 1;
    while (below * 2 < v) below *= 2;
    std::string hint = " (nearest: ";
    if (below >= def.min) hint += std::to_string(below) + " or ";
    hint += std::to_string(below * 2) + ")";
    return param_error(def, std::to_string(v) + " is not a power of two" + hint);
  }
  ParamField f = def.field(cfg);
  if (auto* p = std::get_if<int*>(&f)) {
    **p = static_cast<int>(v);
  } else if (auto* u = std::get_if<uint32_t*>(&f)) {
    **u = static_cast<uint32_t>(v);
  } else {
    return param_error(def, "internal error: the registry binds this integer to no int field");
  }
  return Status::ok();
}

Status set_bool(Config& cfg, const ParamDef& def, const ParamValue& value) {
  // Kamailio declares its boolean modparams as integers and tests them with `if (v)`, and
  // cfg.set_now_int does the same: any non-zero number is true (the manual's own example is
  // modparam("tls", "tls_force_run", 11)), negative ones included. Text (a quoted modparam, a
  // tls.cfg value) goes through parse_config_bool, as Kamailio's tls.cfg parser looks words up:
  // there "2" is refused.
  bool b = false;
  if (value.is_number) {
    b = value.number != 0;
  } else if (!parse_config_bool(value.text, &b)) {
    return param_error(
        def, in_quotes(value.text) + " is not a boolean (write 1 or 0, yes or no, on or off)");
  }
  if (def.refuse_int != nullptr) {
    if (const char* why = def.refuse_int(b ? 1 : 0)) {
      return param_error(def, std::string(b ? "1" : "0") + " cannot be honoured: " + why);
    }
  }
  ParamField f = def.field(cfg);
  auto* p = std::get_if<bool*>(&f);
  if (p == nullptr) return param_error(def, "internal error: the registry binds no bool field");
  **p = b;
  return Status::ok();
}

Status set_string(Config& cfg, const ParamDef& def, const ParamValue& value) {
  if (value.is_number) {
    return param_error(def, "expects a string (quoted in a config file), not the number " +
                                std::to_string(value.number));
  }
  std::string v = value.text;
  for (std::string_view r : def.refused) {
    if (equals_ignore_case(v, r))
      return param_error(def, in_quotes(v) + " is refused: " + std::string(def.refused_reason));
  }
  // An unset value ("") is allowed where unset is the default, e.g. verify_client.
  if (!def.allowed.empty() && !(v.empty() && def.default_text.empty())) {
    auto it = std::find_if(def.allowed.begin(), def.allowed.end(),
                           [&](std::string_view a) { return equals_ignore_case(v, a); });
    if (it == def.allowed.end()) {
      std::string list;
      for (std::string_view a : def.allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return param_error(def, in_quotes(v) + " is not one of " + list);
    }
    v = std::string(*it);  // store the canonical spelling
  }
  if (def.refuse_text != nullptr) {
    if (std::string why = def.refuse_text(v); !why.empty()) return param_error(def, why);
  }
  if (def.type == ParamType::kPath) v = resolve_config_path(v, cfg.config_dir);
  ParamField f = def.field(cfg);
  auto* p = std::get_if<std::string*>(&f);
  if (p == nullptr) return param_error(def, "internal error: the registry binds no string field");
  **p = std::move(v);
  return Status::ok();
}

// Appends each "tls:IP:PORT" of a comma-separated list, as listen= lines do.
Status set_listen_list(Config& cfg, const ParamDef& def, const ParamValue& value) {
  if (value.is_number) return param_error(def, "expects a quoted \"tls:IP:PORT\" list");
  ParamField f = def.field(cfg);
  auto* list = std::get_if<std::vector<ListenSpec>*>(&f);
  if (list == nullptr) return param_error(def, "internal error: no listen list field");
  std::vector<ListenSpec> add;
  std::string_view rest = value.text;
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = strip_ascii_whitespace(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    if (item.empty()) continue;
    Result<ListenSpec> parsed = parse_listen(item);
    if (!parsed) return param_error(def, parsed.error().message);
    const ListenSpec& spec = parsed.value();
    for (const ListenSpec& l : **list) {
      if (l.addr == spec.addr) {
        return param_error(def, "tls:" + spec.addr.to_string() + " is already listened on");
      }
    }
    add.push_back(spec);
  }
  // An empty list adds nothing (it is the parameter's default text).
  (*list)->insert((*list)->end(), add.begin(), add.end());
  return Status::ok();
}

Status set_int_list(Config& cfg, const ParamDef& def, const ParamValue& value) {
  std::vector<int> list;
  const std::string bad_form = " is not a list like \"0,1\" or \"0-3\"";
  auto in_range = [&](int64_t v) -> Status {
    if (v < def.min || v > def.max) {
      return param_error(def, std::to_string(v) + " is out of range " + range_text(def));
    }
    return Status::ok();
  };
  if (value.is_number) {
    if (Status s = in_range(value.number); !s) return s;
    list.push_back(static_cast<int>(value.number));
  } else if (!strip_ascii_whitespace(value.text).empty()) {
    std::string_view rest = value.text;
    while (true) {
      const size_t comma = rest.find(',');
      std::string_view item = strip_ascii_whitespace(rest.substr(0, comma));
      const size_t dash = item.find('-', 1);  // from 1: a leading '-' is a sign, caught below
      int64_t lo = 0;
      int64_t hi = 0;
      if (dash == std::string_view::npos) {
        if (!parse_int(item, &lo)) return param_error(def, in_quotes(value.text) + bad_form);
        hi = lo;
      } else if (!parse_int(item.substr(0, dash), &lo) || !parse_int(item.substr(dash + 1), &hi)) {
        return param_error(def, in_quotes(value.text) + bad_form);
      }
      if (Status s = in_range(lo); !s) return s;
      if (Status s = in_range(hi); !s) return s;
      if (hi < lo) {
        return param_error(def, "range " + in_quotes(item) + " runs backwards; write " +
                                    std::to_string(hi) + "-" + std::to_string(lo));
      }
      for (int64_t v = lo; v <= hi; ++v) list.push_back(static_cast<int>(v));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  ParamField f = def.field(cfg);
  auto* p = std::get_if<std::vector<int>*>(&f);
  if (p == nullptr) return param_error(def, "internal error: the registry binds no list field");
  **p = std::move(list);
  return Status::ok();
}

}  // namespace

const ParamDef* find_param(std::string_view module, std::string_view name) {
  for (const ParamDef& def : param_registry()) {
    if (def.module != module) continue;
    if (def.name == name) return &def;
    for (std::string_view alias : def.aliases) {
      if (alias == name) return &def;
    }
  }
  return nullptr;
}

Result<const ParamDef*> lookup_param(std::string_view module, std::string_view name) {
  if (module != "tls" && module != "sipring" && module != "ctl") {
    return format_error(Errc::kConfig,
                        "module \"{}\" is not part of sipring (only \"tls\", \"ctl\" and "
                        "\"sipring\" are)",
                        module);
  }
  if (const ParamDef* def = find_param(module, name)) return def;
  const std::string_view other = module == "tls" ? "sipring" : "tls";
  if (const ParamDef* def = find_param(other, name)) {
    return format_error(Errc::kConfig,
                        "module \"{}\" has no parameter \"{}\"; it belongs to module \"{}\": "
                        "write modparam(\"{}\", \"{}\", ...)",
                        module, name, other, other, def->name);
  }
  std::string_view best;
  size_t best_distance = SIZE_MAX;
  for (const ParamDef& def : param_registry()) {
    if (def.module != module) continue;
    const size_t d = edit_distance(name, def.name);
    if (d < best_distance) {
      best_distance = d;
      best = def.name;
    }
  }
  std::string hint;
  if (best_distance <= std::max<size_t>(2, name.size() / 3)) {
    hint = " (did you mean \"" + std::string(best) + "\"?)";
  }
  return format_error(Errc::kConfig, "module \"{}\" has no parameter \"{}\"{}", module, name, hint);
}

Status set_param(Config& cfg, const ParamDef& def, const ParamValue& value) {
  switch (def.support) {
    case ParamSupport::kSupported:
      break;
    case ParamSupport::kNotYet:
      return param_error(def,
                         "not supported yet by this build; remove this setting (a later "
                         "sipring release implements it)");
    case ParamSupport::kObsolete:
      return param_error(def, "obsolete since sip-router 3.0; " + std::string(def.note));
  }
  if (def.field == nullptr) return param_error(def, "internal error: no field in the registry");
  switch (def.type) {
    case ParamType::kInt:
      return set_int(cfg, def, value);
    case ParamType::kBool:
      return set_bool(cfg, def, value);
    case ParamType::kString:
    case ParamType::kPath:
      return set_string(cfg, def, value);
    case ParamType::kIntList:
      return set_int_list(cfg, def, value);
    case ParamType::kListenList:
      return set_listen_list(cfg, def, value);
  }
  return param_error(def, "internal error: unknown type");
}

Result<std::string> format_param(const Config& cfg, const ParamDef& def) {
  if (def.field == nullptr) return param_error(def, "not stored by this build");
  // The accessor takes a mutable Config only so one table serves reads and writes; we only read.
  ParamField f = def.field(const_cast<Config&>(cfg));
  if (auto* p = std::get_if<int*>(&f)) return std::to_string(**p);
  if (auto* p = std::get_if<uint32_t*>(&f)) return std::to_string(**p);
  if (auto* p = std::get_if<bool*>(&f)) return std::string(**p ? "1" : "0");
  if (auto* p = std::get_if<std::string*>(&f)) return **p;
  if (auto* p = std::get_if<std::vector<int>*>(&f)) {
    std::string s;
    for (int v : **p) s += (s.empty() ? "" : ",") + std::to_string(v);
    return s;
  }
  if (auto* p = std::get_if<std::vector<ListenSpec>*>(&f)) {
    std::string s;
    for (const ListenSpec& l : **p) s += (s.empty() ? "tls:" : ",tls:") + l.addr.to_string();
    return s;
  }
  return param_error(def, "not stored by this build");
}

std::string resolve_config_path(std::string_view path, std::string_view config_dir) {
  if (path.empty()) return {};
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p;
  if (path.front() == '/') {
    p = fs::path(path);
  } else {
    fs::path base =
        path.front() == '.' || config_dir.empty() ? fs::current_path(ec) : fs::path(config_dir);
    if (base.is_relative()) base = fs::current_path(ec) / base;
    p = base / fs::path(path);
  }
  std::string out = p.lexically_normal().string();
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

std::string qualified_name(const ParamDef& def) {
  return fmt::format("{}.{}", def.module, def.name);
}

std::string range_text(const ParamDef& def) {
  return fmt::format("[{}, {}]", def.min, def.max);
}

bool parse_config_bool(std::string_view text, bool* out_value) {
  text = strip_ascii_whitespace(text);
  for (std::string_view t : {"1", "yes", "on", "true", "enable"}) {
    if (equals_ignore_case(text, t)) return *out_value = true;
  }
  for (std::string_view f : {"0", "no", "off", "false", "disable"}) {
    if (equals_ignore_case(text, f)) {
      *out_value = false;
      return true;
    }
  }
  return false;
}

Result<ListenSpec> parse_listen(std::string_view v) {
  const size_t colon = v.find(':');
  const std::string proto =
      ascii_str_tolower(v.substr(0, colon == std::string_view::npos ? 0 : colon));
  if (proto == "tcp") {
    return format_error(Errc::kConfig,
                        "listen={}: plain TCP is not supported yet by sipring; use "
                        "listen=tls:IP:PORT",
                        v);
  }
  if (proto == "udp" || proto == "sctp" || proto == "ws" || proto == "wss") {
    return format_error(Errc::kConfig,
                        "listen={}: sipring serves SIP over TLS only; use listen=tls:IP:PORT", v);
  }
  if (proto != "tls") {
    return format_error(Errc::kConfig,
                        "listen={}: say the protocol, e.g. listen=tls:{} (sipring serves only tls)",
                        v, v);
  }
  const std::string_view addr = v.substr(colon + 1);
  SockAddr sa;
  if (!SockAddr::parse(addr, &sa)) {
    return format_error(Errc::kConfig,
                        "listen={}: \"{}\" is not a numeric IP address with an optional :PORT "
                        "(e.g. tls:192.0.2.10:5061 or tls:[2001:db8::10]:5061); hostnames and "
                        "interface names are not supported",
                        v, addr);
  }
  const bool port_given = addr.size() > 2 && addr.substr(addr.size() - 2) == ":0";
  if (sa.port() == 0 && !port_given) {
    sockaddr_in6 raw{};  // large enough for both families
    std::memcpy(&raw, sa.sa(), sa.len());
    if (sa.family() == AF_INET) {
      reinterpret_cast<sockaddr_in*>(&raw)->sin_port = htons(kDefaultTlsPort);
    } else {
      raw.sin6_port = htons(kDefaultTlsPort);
    }
    sa = SockAddr::from(reinterpret_cast<const sockaddr*>(&raw), sa.len());
  }
  ListenSpec spec;
  spec.proto = ListenSpec::Proto::kTls;
  spec.addr = sa;
  return spec;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      const bool differ = ascii_tolower(a[i - 1]) != ascii_tolower(b[j - 1]);
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + differ});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace sipring
