// Human-readable rendering of JSON-RPC results for sipringctl (see format.h).
#include "format.h"

#include <algorithm>
#include <cstddef>
#include <string_view>
#include <vector>

namespace sipring::ctl {
namespace {

bool is_scalar(const JsonValue& v) {
  return !v.is_array() && !v.is_object();
}

bool all_of(const JsonArray& a, bool (*pred)(const JsonValue&)) {
  return std::all_of(a.begin(), a.end(), pred);
}

bool is_record(const JsonValue& v) {
  return v.is_object();
}

// Display width: UTF-8 code points, so non-ASCII text lines up (wide CJK glyphs aside).
size_t width(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A value as one line of text: strings bare unless they hold control characters (which would
// break the layout, so they are shown escaped), everything else as compact JSON.
std::string scalar_text(const JsonValue& v) {
  if (v.is_string()) {
    const std::string& s = v.as_string();
    const bool plain = std::none_of(s.begin(), s.end(),
                                    [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    return plain ? s : to_json(v);
  }
  return to_json(v);
}

std::string cell_text(const JsonValue* v) {
  if (v == nullptr || v->is_null()) return "-";
  return scalar_text(*v);
}

void append_table(const JsonArray& rows, size_t indent, std::string* out) {
  std::vector<std::string> columns;
  for (const JsonValue& row : rows) {
    for (const JsonMember& m : row.as_object()) {
      if (std::find(columns.begin(), columns.end(), m.first) == columns.end()) {
        columns.push_back(m.first);
      }
    }
  }
  if (columns.empty()) return;
  std::vector<std::vector<std::string>> cells(rows.size() + 1);
  std::vector<size_t> widths(columns.size(), 0);
  std::vector<bool> numeric(columns.size(), true);
  for (size_t c = 0; c < columns.size(); ++c) {
    cells[0].push_back(columns[c]);
    widths[c] = width(columns[c]);
    bool any = false;
    for (size_t r = 0; r < rows.size(); ++r) {
      const JsonValue* v = rows[r].find(columns[c]);
      if (v != nullptr && !v->is_null()) {
        any = true;
        numeric[c] = numeric[c] && v->is_number();
      }
      cells[r + 1].push_back(cell_text(v));
      widths[c] = std::max(widths[c], width(cells[r + 1].back()));
    }
    numeric[c] = numeric[c] && any;
  }
  for (const std::vector<std::string>& line : cells) {
    std::string text(indent, ' ');
    for (size_t c = 0; c < columns.size(); ++c) {
      const size_t pad = widths[c] - width(line[c]);
      if (c > 0) text += "  ";
      if (numeric[c]) text.append(pad, ' ');
      text += line[c];
      if (!numeric[c]) text.append(pad, ' ');
    }
    text.erase(text.find_last_not_of(' ') + 1);  // no trailing blanks
    *out += text;
    out->push_back('\n');
  }
}

// " value\n" after a "key:".
void append_line_value(const std::string& value, std::string* out) {
  out->push_back(' ');
  *out += value;
  out->push_back('\n');
}

void append_object(const JsonObject& obj, size_t indent, std::string* out) {
  for (const JsonMember& m : obj) {
    const JsonValue& v = m.second;
    out->append(indent, ' ');
    *out += m.first;
    out->push_back(':');
    if (v.size() == 0 && (v.is_array() || v.is_object())) {
      *out += v.is_array() ? " []\n" : " {}\n";
    } else if (v.is_object()) {
      out->push_back('\n');
      append_object(v.as_object(), indent + 2, out);
    } else if (v.is_array() && all_of(v.as_array(), is_scalar)) {
      std::string joined;
      for (const JsonValue& e : v.as_array()) {
        if (!joined.empty()) joined += ", ";
        joined += scalar_text(e);
      }
      append_line_value(joined, out);
    } else if (v.is_array() && all_of(v.as_array(), is_record)) {
      out->push_back('\n');
      append_table(v.as_array(), indent + 2, out);
    } else if (v.is_array()) {
      append_line_value(to_json(v), out);
    } else {
      append_line_value(scalar_text(v), out);
    }
  }
}

}  // namespace

std::string format_result(const JsonValue& result) {
  std::string out;
  if (result.is_null()) return out;
  if (result.is_string()) {
    out = result.as_string();
    if (out.empty() || out.back() != '\n') out.push_back('\n');
    return out;
  }
  if (is_scalar(result)) return to_json(result) + "\n";
  if (result.is_object()) {
    append_object(result.as_object(), 0, &out);
    return out;
  }
  const JsonArray& arr = result.as_array();
  if (arr.empty()) return out;
  if (all_of(arr, is_record)) {
    append_table(arr, 0, &out);
  } else if (all_of(arr, is_scalar)) {
    for (const JsonValue& e : arr) out += scalar_text(e) + "\n";
  } else {
    out = to_json_pretty(result) + "\n";
  }
  return out;
}

}  // namespace sipring::ctl
