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

bool all_of(const JsonValue& array, bool (*pred)(const JsonValue&)) {
  return std::all_of(array.begin(), array.end(), pred);
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
    const std::string& s = v.get_ref<const std::string&>();
    const bool plain = std::none_of(s.begin(), s.end(),
                                    [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    return plain ? s : json_text(v);
  }
  return json_text(v);
}

std::string cell_text(const JsonValue* v) {
  if (v == nullptr || v->is_null()) return "-";
  return scalar_text(*v);
}

// `rows`: an array of objects.
void append_table(const JsonValue& rows, size_t indent, std::string* out) {
  std::vector<std::string> columns;
  for (const JsonValue& row : rows) {
    for (const auto& m : row.items()) {
      if (std::find(columns.begin(), columns.end(), m.key()) == columns.end()) {
        columns.push_back(m.key());
      }
    }
  }
  if (columns.empty()) return;
  std::vector<std::vector<std::string>> cells(rows.size() + 1);
  std::vector<bool> numeric(columns.size(), true);
  for (size_t c = 0; c < columns.size(); ++c) {
    cells[0].push_back(columns[c]);
    bool any = false;
    for (size_t r = 0; r < rows.size(); ++r) {
      const JsonValue* v = json_member(rows[r], columns[c]);
      if (v != nullptr && !v->is_null()) {
        any = true;
        numeric[c] = numeric[c] && v->is_number();
      }
      cells[r + 1].push_back(cell_text(v));
    }
    numeric[c] = numeric[c] && any;
  }
  *out += text_table(cells, numeric, indent);
}

// " value\n" after a "key:".
void append_line_value(const std::string& value, std::string* out) {
  out->push_back(' ');
  *out += value;
  out->push_back('\n');
}

// `obj`: an object.
void append_object(const JsonValue& obj, size_t indent, std::string* out) {
  for (const auto& m : obj.items()) {
    const JsonValue& v = m.value();
    out->append(indent, ' ');
    *out += m.key();
    out->push_back(':');
    if (v.empty() && (v.is_array() || v.is_object())) {
      *out += v.is_array() ? " []\n" : " {}\n";
    } else if (v.is_object()) {
      out->push_back('\n');
      append_object(v, indent + 2, out);
    } else if (v.is_array() && all_of(v, is_scalar)) {
      std::string joined;
      for (const JsonValue& e : v) {
        if (!joined.empty()) joined += ", ";
        joined += scalar_text(e);
      }
      append_line_value(joined, out);
    } else if (v.is_array() && all_of(v, is_record)) {
      out->push_back('\n');
      append_table(v, indent + 2, out);
    } else if (v.is_array()) {
      append_line_value(json_text(v), out);
    } else {
      append_line_value(scalar_text(v), out);
    }
  }
}

}  // namespace

std::string text_table(const std::vector<std::vector<std::string>>& cells,
                       const std::vector<bool>& right, size_t indent) {
  std::vector<size_t> widths;
  for (const std::vector<std::string>& line : cells) {
    if (widths.size() < line.size()) widths.resize(line.size(), 0);
    for (size_t c = 0; c < line.size(); ++c) widths[c] = std::max(widths[c], width(line[c]));
  }
  std::string out;
  for (const std::vector<std::string>& line : cells) {
    std::string text(indent, ' ');
    for (size_t c = 0; c < line.size(); ++c) {
      const size_t pad = widths[c] - width(line[c]);
      const bool right_aligned = c < right.size() && right[c];
      if (c > 0) text += "  ";
      if (right_aligned) text.append(pad, ' ');
      text += line[c];
      if (!right_aligned) text.append(pad, ' ');
    }
    text.erase(text.find_last_not_of(' ') + 1);  // no trailing blanks
    out += text;
    out.push_back('\n');
  }
  return out;
}

std::string format_result(const JsonValue& result) {
  std::string out;
  if (result.is_null()) return out;
  if (result.is_string()) {
    out = result.get_ref<const std::string&>();
    if (out.empty() || out.back() != '\n') out.push_back('\n');
    return out;
  }
  if (is_scalar(result)) return json_text(result) + "\n";
  if (result.is_object()) {
    append_object(result, 0, &out);
    return out;
  }
  if (result.empty()) return out;
  if (all_of(result, is_record)) {
    append_table(result, 0, &out);
  } else if (all_of(result, is_scalar)) {
    for (const JsonValue& e : result) out += scalar_text(e) + "\n";
  } else {
    out = json_text_pretty(result) + "\n";
  }
  return out;
}

}  // namespace sipring::ctl
