// The README's parameter reference, generated from the registry's table
// (config_registry_table.cc): one Markdown row per parameter. tools/update-readme-params.sh
// writes it into README.md.
#include <string>
#include <string_view>

#include "engine/config/config_registry.h"

namespace sipring {

namespace {

std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string type_text(ParamType t) {
  switch (t) {
    case ParamType::kInt:
      return "int";
    case ParamType::kBool:
      return "bool";
    case ParamType::kString:
      return "string";
    case ParamType::kPath:
      return "string (path)";
    case ParamType::kIntList:
      return "int list";
    case ParamType::kListenList:
      return "listen list";
  }
  return "?";
}

std::string allowed_text(const ParamDef& def) {
  if (def.support == ParamSupport::kObsolete) return "none (refused)";
  switch (def.type) {
    case ParamType::kInt:
      return (def.power_of_two ? "power of two in " : "") + range_text(def);
    case ParamType::kBool:
      return "0/1 (any non-zero number is true), yes/no, on/off, true/false";
    case ParamType::kPath:
      return "file; `./x` = working directory, `/x` absolute, else config file's directory";
    case ParamType::kIntList:
      return "items in " + range_text(def) + ", e.g. `0,1` or `0-3`";
    case ParamType::kListenList:
      return "`tls:IP:PORT`, several separated by commas";
    case ParamType::kString: {
      if (def.allowed.empty()) return "any";
      std::string s;
      for (std::string_view a : def.allowed) s += (s.empty() ? "`" : ", `") + std::string(a) + "`";
      if (!def.refused.empty()) {
        s += " (refused: ";
        for (size_t i = 0; i < def.refused.size(); i++)
          s += (i ? ", " : "") + std::string(def.refused[i]);
        s += ")";
      }
      return s;
    }
  }
  return "";
}

}  // namespace

std::string registry_markdown() {
  std::string md =
      "| Parameter | Type | Default | Allowed values | Runtime | Description |\n"
      "|---|---|---|---|---|---|\n";
  for (const ParamDef& def : param_registry()) {
    md += "| `" + qualified_name(def) + "`";
    for (std::string_view a : def.aliases) md += " (alias `" + std::string(a) + "`)";
    md += " | " + type_text(def.type);
    md += " | " +
          (def.default_text.empty() ? std::string("(unset)") : "`" + cell(def.default_text) + "`");
    md += " | " + cell(allowed_text(def));
    md += def.runtime ? " | yes | " : " | no | ";
    if (def.support == ParamSupport::kNotYet) md += "**Not supported yet.** ";
    if (def.support == ParamSupport::kObsolete) {
      md += "**Obsolete, refused:** " + cell(def.note) + ". ";
    }
    md += cell(def.description) + " |\n";
  }
  return md;
}

std::string parameters_markdown() {
  return registry_markdown();
}

}  // namespace sipring
