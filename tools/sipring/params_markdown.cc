// The README's parameter table from sipring::parameters() (see params_markdown.h).
#include "tools/sipring/params_markdown.h"

#include <string_view>

#include "sipring/config.h"

namespace sipring::daemon {
namespace {

std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string params_markdown() {
  std::string md =
      "| Parameter | Type | Default | Allowed values | Runtime | Description |\n"
      "|---|---|---|---|---|---|\n";
  for (const ParamInfo& p : parameters()) {
    md += "| `" + p.module + "." + p.name + "`";
    for (const std::string& a : p.aliases) md += " (alias `" + a + "`)";
    md += " | " + p.type;
    md += " | " +
          (p.default_value.empty() ? std::string("(unset)") : "`" + cell(p.default_value) + "`");
    md += " | " + cell(p.allowed);
    md += p.runtime ? " | yes | " : " | no | ";
    if (p.support == ParamInfo::Support::kNotYet) md += "**Not supported yet.** ";
    if (p.support == ParamInfo::Support::kObsolete) {
      md += "**Obsolete, refused:** " + cell(p.note) + ". ";
    }
    md += cell(p.description) + " |\n";
  }
  return md;
}

}  // namespace sipring::daemon
