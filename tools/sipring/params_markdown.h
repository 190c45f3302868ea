// The README's parameter reference: every parameter of sipring::parameters() as one Markdown
// table. `sipring --list-params` prints it and tools/update-readme-params.sh writes it into
// README.md.
#pragma once

#include <string>

namespace sipring::daemon {

// A header row, then one row per parameter: name (and aliases), type, default, allowed values,
// runtime flag, description (unsupported and obsolete ones marked). '|' in a cell is escaped.
std::string params_markdown();

}  // namespace sipring::daemon
