// The registry's parameters as public ParamInfo values (sipring/config.h): names, type and
// allowed values in words, defaults, support state. What the README's table is made of (the
// tools render it, tools/sipring/params_markdown.cc) and what an embedder can show.
#include "sipring/config.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/config/config_registry.h"

namespace sipring {

namespace {

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

ParamInfo::Support support_of(ParamSupport s) {
  switch (s) {
    case ParamSupport::kSupported:
      return ParamInfo::Support::kSupported;
    case ParamSupport::kNotYet:
      return ParamInfo::Support::kNotYet;
    case ParamSupport::kObsolete:
      return ParamInfo::Support::kObsolete;
  }
  return ParamInfo::Support::kSupported;
}

}  // namespace

std::vector<ParamInfo> parameters() {
  std::vector<ParamInfo> out;
  out.reserve(param_registry().size());
  for (const ParamDef& def : param_registry()) {
    ParamInfo p;
    p.module = std::string(def.module);
    p.name = std::string(def.name);
    for (std::string_view a : def.aliases) p.aliases.emplace_back(a);
    p.type = type_text(def.type);
    p.default_value = std::string(def.default_text);
    p.allowed = allowed_text(def);
    p.runtime = def.runtime;
    p.support = support_of(def.support);
    p.description = std::string(def.description);
    p.note = std::string(def.note);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace sipring
