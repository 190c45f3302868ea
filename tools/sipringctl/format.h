// How sipringctl shows a JSON-RPC result to a person (kamcmd's habits): tables for lists of
// records, "key: value" lines for records, bare scalars. --json bypasses this.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tools/common/json.h"

namespace sipring::ctl {

using tool::json_member;
using tool::json_text;
using tool::json_text_pretty;
using tool::JsonValue;

// The text to print for `result`, each line ending in '\n':
//  - null and an empty array: nothing;
//  - a string: itself (unquoted); a number or bool: its JSON form;
//  - an array of objects: an aligned table, one column per key in first-seen order (the first
//    object's keys first), a header row of the keys, numeric columns right-aligned, "-" for
//    null or missing values, nested values as compact JSON;
//  - an array of scalars: one per line;
//  - an object: "key: value" lines; a nested object as "key:" and its lines indented by two
//    spaces; an array of scalars joined by ", "; an array of objects as an indented table;
//  - any other array: pretty JSON.
std::string format_result(const JsonValue& result);

// The lines of an aligned text table, each ending in '\n': `cells` row by row (the header is
// just the first row), columns two spaces apart, column c right-aligned when right[c] (missing
// entries: left), widths in UTF-8 code points, each line indented by `indent` spaces and without
// trailing blanks. Rows may be shorter than others (their missing cells are blank).
std::string text_table(const std::vector<std::vector<std::string>>& cells,
                       const std::vector<bool>& right, size_t indent = 0);

}  // namespace sipring::ctl
