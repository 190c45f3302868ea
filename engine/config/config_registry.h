// The registry of every configuration parameter sipring knows: one static table of definitions
// (module, name, aliases, type, default, allowed values, runtime flag, description, where the
// value lives in Config). The config file parser, the tls.cfg parser, the RPC layer and the
// README generator are all driven from this table, so a parameter is added, documented or
// enabled in exactly one place: the data in config_registry_table.cc, the generic code reading
// it in config_registry.cc (lookup, set, format) and param_info.cc (sipring::parameters(), from
// which the tools render the README table).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

enum class ParamType : uint8_t {
  kInt,
  kBool,
  kString,
  kPath,        // a string naming a file, resolved as the TLS module manual §1.9.2 says
  kIntList,     // "0,1" or "0-3" or a mix, e.g. "0-3,8"
  kListenList,  // "tls:IP:PORT[,tls:IP:PORT...]", appended to Config::listen
};

// How far this build implements a parameter.
enum class ParamSupport : uint8_t {
  kSupported,  // parsed, validated and used
  kNotYet,     // named by the TLS module manual; refused until a later sipring implements it
  kObsolete,   // removed from Kamailio too; refused with a message naming the replacement
};

// A value as written in a config file or sent over RPC: modparam(..., 60) is a number,
// modparam(..., "60") is text. Int and bool parameters accept both; strings only text.
struct ParamValue {
  bool is_number = false;
  int64_t number = 0;
  std::string text;

  static ParamValue of_number(int64_t n) { return ParamValue{true, n, {}}; }
  static ParamValue of_text(std::string_view s) { return ParamValue{false, 0, std::string(s)}; }
};

// Where a parameter's value lives inside a Config. monostate: not stored (not yet implemented
// or obsolete).
using ParamField = std::variant<std::monostate, int*, uint32_t*, bool*, std::string*,
                                std::vector<int>*, std::vector<ListenSpec>*>;

struct ParamDef {
  std::string_view module;                // "tls" or "sipring"
  std::string_view name;                  // canonical name, as the README shows it
  std::vector<std::string_view> aliases;  // other accepted spellings (Kamailio's, the manual's)
  ParamType type = ParamType::kInt;
  std::string_view default_text;  // as format_param() prints Config{}; "" = unset
  // kInt and kIntList elements: inclusive range.
  int64_t min = 0;
  int64_t max = 0;
  bool power_of_two = false;  // kInt: value must also be a power of two
  // kString: accepted values, matched case-insensitively and stored as spelled here.
  // Empty = any string.
  std::vector<std::string_view> allowed;
  // kString: values refused with `refused_reason` (e.g. protocols RFC 8996 deprecates).
  std::vector<std::string_view> refused;
  std::string_view refused_reason;
  // kInt/kBool: values in range that BoringSSL/sipring still cannot honour; returns why, or
  // null when `v` is fine. Refused values get that reason, never silent acceptance.
  const char* (*refuse_int)(int64_t v) = nullptr;
  // kString: returns why `v` is refused ("" when it is fine): a syntax the allowed/refused
  // lists cannot say, e.g. a CIDR list.
  std::string (*refuse_text)(std::string_view v) = nullptr;
  bool runtime = false;  // may change while the engine runs (RPC), not only at start
  ParamSupport support = ParamSupport::kSupported;
  std::string_view description;  // one line, for the README
  std::string_view note;         // kObsolete: what replaces it and what to do
  // Returns the field in `cfg` holding this parameter; null for kNotYet and kObsolete.
  ParamField (*field)(Config& cfg) = nullptr;
};

// Returns all parameter definitions, in README order. Built once; never changes afterwards.
const std::vector<ParamDef>& param_registry();

// Returns the definition of `module`.`name`, matching the canonical name or an alias
// case-sensitively (as Kamailio does), or null if there is none. Declared-but-unsupported and
// obsolete parameters are found too: set_param refuses them with a specific message.
const ParamDef* find_param(std::string_view module, std::string_view name);

// Like find_param, but an unknown name yields an Errc::kConfig error saying so, suggesting the
// closest known name ("did you mean ...?"), and an unknown module says it is not part of sipring.
Result<const ParamDef*> lookup_param(std::string_view module, std::string_view name);

// Validates `value` against `def` (type, range, power of two, allowed and refused values,
// support state) and stores it into `cfg`. Path values are resolved with resolve_config_path
// against cfg.config_dir. On error `cfg` is unchanged and the Errc::kConfig message starts with
// "module.name: ", e.g. "tls.connection_timeout: 5000000 is out of range [-1, 2592000]".
Status set_param(Config& cfg, const ParamDef& def, const ParamValue& value);

// Returns the current value of `def` in `cfg` in the form default_text uses (ints in decimal,
// bools as 0/1, lists as "0,1,2"), or an error for parameters this build does not store.
Result<std::string> format_param(const Config& cfg, const ParamDef& def);

// Resolves a file name from the config as the TLS module manual §1.9.2 says: a name starting
// with '.' ("./x", "../x", ".") is relative to the working directory (read now), a name starting
// with '/' is absolute, anything else is relative to `config_dir`. The result is lexically
// normalized; "" stays "".
std::string resolve_config_path(std::string_view path, std::string_view config_dir);

// Parses "tls:IP:PORT" (or "tls:[IPv6]:PORT", or without :PORT for 5061). The Errc::kConfig
// error says what is accepted, quoting the value as listen=... .
Result<ListenSpec> parse_listen(std::string_view v);

// Parses a boolean as Kamailio writes them: 1/0, yes/no, on/off, true/false, enable/disable
// (case-insensitive, spaces around ignored) into *out_value. Returns false, leaving *out_value
// alone, if `text` is none of these; callers word the error, as each knows what was being set.
bool parse_config_bool(std::string_view text, bool* out_value);

// Levenshtein distance between `a` and `b`, ASCII case-insensitive: the "did you mean" hints
// for misspelt parameter and tls.cfg attribute names.
size_t edit_distance(std::string_view a, std::string_view b);

// "module.name", as messages and the README name a parameter.
std::string qualified_name(const ParamDef& def);
// "[min, max]": the inclusive range of a kInt or kIntList parameter.
std::string range_text(const ParamDef& def);

}  // namespace sipring
