// JsonValue helpers, the strict RFC 8259 parser and the compact and pretty serializers declared in
// engine/control/json.h.
#include "engine/control/json.h"

#include <charconv>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_set>

namespace sipring {

// --- JsonValue -----------------------------------------------------------------------------

double JsonValue::as_double() const {
  if (is_int()) return static_cast<double>(as_int());
  return std::get<double>(v_);
}

const JsonValue* JsonValue::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const JsonMember& m : as_object()) {
    if (m.first == key) return &m.second;
  }
  return nullptr;
}

JsonValue& JsonValue::set(std::string key, JsonValue value) {
  JsonObject& obj = as_object();
  for (JsonMember& m : obj) {
    if (m.first == key) {
      m.second = std::move(value);
      return m.second;
    }
  }
  obj.emplace_back(std::move(key), std::move(value));
  return obj.back().second;
}

size_t JsonValue::size() const {
  if (is_array()) return as_array().size();
  if (is_object()) return as_object().size();
  return 0;
}

namespace {

// --- UTF-8 ---------------------------------------------------------------------------------

// Length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, nothing
// above U+10FFFF) starting at p[0] with `left` bytes available, or 0 if there is none.
size_t utf8_sequence_length(const unsigned char* p, size_t left) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // UTF-16 surrogates
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (left < len) return 0;
  if (p[1] < lo || p[1] > hi) return 0;
  for (size_t i = 2; i < len; ++i) {
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  }
  return len;
}

void append_utf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// --- Parser --------------------------------------------------------------------------------

// Recursive descent over the RFC 8259 grammar. Recursion is bounded by kJsonMaxDepth, so the
// stack stays small whatever the input.
class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<JsonValue> run() {
    JsonValue value;
    skip_ws();
    if (pos_ == s_.size()) {
      fail(pos_, "empty input (expected a value)");
      return error_;
    }
    if (!parse_value(&value, 0)) return error_;
    skip_ws();
    if (pos_ != s_.size()) {
      fail(pos_, "unexpected %s after the value", describe(pos_).c_str());
      return error_;
    }
    return value;
  }

 private:
  bool fail(size_t at, const char* fmt, ...) __attribute__((format(printf, 3, 4))) {
    char detail[200];
    va_list args;
    va_start(args, fmt);
    std::vsnprintf(detail, sizeof(detail), fmt, args);
    va_end(args);
    error_ = make_error(Errc::kInvalidArgument, "invalid JSON at byte %zu: %s", at, detail);
    return false;
  }

  // The byte at `at` as a person would want to read it in an error message.
  std::string describe(size_t at) const {
    if (at >= s_.size()) return "end of input";
    const unsigned char c = static_cast<unsigned char>(s_[at]);
    char buf[32];
    if (c >= 0x21 && c < 0x7F) {
      std::snprintf(buf, sizeof(buf), "'%c'", c);
    } else {
      std::snprintf(buf, sizeof(buf), "byte 0x%02X", c);
    }
    return buf;
  }

  void skip_ws() {
    while (pos_ < s_.size()) {
      const char c = s_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
      ++pos_;
    }
  }

  bool consume_literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) {
      return fail(pos_, "invalid literal (expected '%.*s')", static_cast<int>(word.size()),
                  word.data());
    }
    pos_ += word.size();
    return true;
  }

  bool parse_value(JsonValue* out, int depth) {
    if (pos_ >= s_.size()) return fail(pos_, "unexpected end of input (expected a value)");
    switch (s_[pos_]) {
      case '{':
        return parse_object(out, depth + 1);
      case '[':
        return parse_array(out, depth + 1);
      case '"': {
        std::string str;
        if (!parse_string(&str)) return false;
        *out = JsonValue(std::move(str));
        return true;
      }
      case 't':
        *out = JsonValue(true);
        return consume_literal("true");
      case 'f':
        *out = JsonValue(false);
        return consume_literal("false");
      case 'n':
        *out = JsonValue();
        return consume_literal("null");
      default:
        if (s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9')) return parse_number(out);
        return fail(pos_, "unexpected %s (expected a value)", describe(pos_).c_str());
    }
  }

  bool check_depth(int depth) {
    if (depth > kJsonMaxDepth) {
      return fail(pos_, "nesting deeper than %d arrays/objects", kJsonMaxDepth);
    }
    return true;
  }

  bool parse_array(JsonValue* out, int depth) {
    if (!check_depth(depth)) return false;
    ++pos_;  // '['
    JsonArray arr;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == ']') {
      ++pos_;
      *out = JsonValue(std::move(arr));
      return true;
    }
    for (;;) {
      skip_ws();
      JsonValue element;
      if (!parse_value(&element, depth)) return false;
      arr.push_back(std::move(element));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') {
        ++pos_;
        *out = JsonValue(std::move(arr));
        return true;
      }
      return fail(pos_, "expected ',' or ']' after array element, got %s", describe(pos_).c_str());
    }
  }

  bool parse_object(JsonValue* out, int depth) {
    if (!check_depth(depth)) return false;
    ++pos_;  // '{'
    JsonObject obj;
    // Small objects are checked for duplicates by a scan; a set of the keys takes over for large
    // ones so a hostile request with many keys cannot make parsing quadratic.
    constexpr size_t kScanLimit = 16;
    std::unordered_set<std::string> seen;
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == '}') {
      ++pos_;
      *out = JsonValue(std::move(obj));
      return true;
    }
    for (;;) {
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != '"') {
        return fail(pos_, "expected '\"' to start an object key, got %s", describe(pos_).c_str());
      }
      const size_t key_at = pos_;
      std::string key;
      if (!parse_string(&key)) return false;
      bool duplicate = false;
      if (obj.size() < kScanLimit) {
        for (const JsonMember& m : obj) duplicate = duplicate || m.first == key;
      } else {
        if (seen.empty()) {
          for (const JsonMember& m : obj) seen.insert(m.first);
        }
        duplicate = !seen.insert(key).second;
      }
      if (duplicate) {
        std::string shown = key.substr(0, 64);
        return fail(key_at, "duplicate object key \"%s\"", shown.c_str());
      }
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') {
        return fail(pos_, "expected ':' after object key, got %s", describe(pos_).c_str());
      }
      ++pos_;
      skip_ws();
      JsonValue value;
      if (!parse_value(&value, depth)) return false;
      obj.emplace_back(std::move(key), std::move(value));
      skip_ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') {
        ++pos_;
        *out = JsonValue(std::move(obj));
        return true;
      }
      return fail(pos_, "expected ',' or '}' after object member, got %s", describe(pos_).c_str());
    }
  }

  // Four hex digits at pos_ (after "\u"); advances past them.
  bool parse_hex4(uint32_t* out) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) {
      if (pos_ + i >= s_.size()) return fail(pos_, "truncated \\u escape (need 4 hex digits)");
      const char c = s_[pos_ + i];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return fail(pos_ + i, "invalid hex digit %s in \\u escape", describe(pos_ + i).c_str());
      }
    }
    pos_ += 4;
    *out = v;
    return true;
  }

  // A \u escape with pos_ at the 'u'; a high surrogate must be followed by "\u" and a low one.
  bool parse_unicode_escape(std::string* out) {
    const size_t escape_at = pos_ - 1;
    ++pos_;  // 'u'
    uint32_t cp = 0;
    if (!parse_hex4(&cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) {
      return fail(escape_at, "lone low surrogate \\u%04X", cp);
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (s_.substr(pos_, 2) != "\\u") {
        return fail(escape_at, "high surrogate \\u%04X not followed by a \\u low surrogate", cp);
      }
      pos_ += 2;
      uint32_t low = 0;
      if (!parse_hex4(&low)) return false;
      if (low < 0xDC00 || low > 0xDFFF) {
        return fail(pos_ - 6, "\\u%04X after high surrogate \\u%04X is not a low surrogate", low,
                    cp);
      }
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    append_utf8(cp, out);
    return true;
  }

  bool parse_string(std::string* out) {
    const size_t start = pos_;
    ++pos_;  // '"'
    for (;;) {
      // Copy the run of ordinary bytes in one go.
      size_t run = pos_;
      while (run < s_.size()) {
        const unsigned char c = static_cast<unsigned char>(s_[run]);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++run;
      }
      out->append(s_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ >= s_.size()) return fail(start, "unterminated string");
      const unsigned char c = static_cast<unsigned char>(s_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c < 0x20) {
        return fail(pos_, "unescaped control character 0x%02X in string (use \\u%04X)", c, c);
      }
      if (c >= 0x80) {
        const size_t len = utf8_sequence_length(
            reinterpret_cast<const unsigned char*>(s_.data()) + pos_, s_.size() - pos_);
        if (len == 0) return fail(pos_, "invalid UTF-8 byte 0x%02X in string", c);
        out->append(s_.data() + pos_, len);
        pos_ += len;
        continue;
      }
      // A backslash.
      if (pos_ + 1 >= s_.size()) return fail(start, "unterminated string");
      const char e = s_[pos_ + 1];
      char decoded;
      switch (e) {
        case '"':
          decoded = '"';
          break;
        case '\\':
          decoded = '\\';
          break;
        case '/':
          decoded = '/';
          break;
        case 'b':
          decoded = '\b';
          break;
        case 'f':
          decoded = '\f';
          break;
        case 'n':
          decoded = '\n';
          break;
        case 'r':
          decoded = '\r';
          break;
        case 't':
          decoded = '\t';
          break;
        case 'u':
          ++pos_;
          if (!parse_unicode_escape(out)) return false;
          continue;
        default:
          return fail(pos_, "invalid escape '\\%s' in string", describe(pos_ + 1).c_str());
      }
      out->push_back(decoded);
      pos_ += 2;
    }
  }

  bool parse_number(JsonValue* out) {
    const size_t start = pos_;
    size_t p = pos_;
    if (s_[p] == '-') ++p;
    if (p >= s_.size() || s_[p] < '0' || s_[p] > '9') {
      return fail(p, "expected a digit in number, got %s", describe(p).c_str());
    }
    if (s_[p] == '0') {
      ++p;
      if (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') {
        return fail(start, "number with a leading zero");
      }
    } else {
      while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
    }
    bool integral = true;
    if (p < s_.size() && s_[p] == '.') {
      integral = false;
      ++p;
      if (p >= s_.size() || s_[p] < '0' || s_[p] > '9') {
        return fail(p, "expected a digit after '.' in number, got %s", describe(p).c_str());
      }
      while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
    }
    if (p < s_.size() && (s_[p] == 'e' || s_[p] == 'E')) {
      integral = false;
      ++p;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
      if (p >= s_.size() || s_[p] < '0' || s_[p] > '9') {
        return fail(p, "expected a digit in exponent, got %s", describe(p).c_str());
      }
      while (p < s_.size() && s_[p] >= '0' && s_[p] <= '9') ++p;
    }
    const char* first = s_.data() + start;
    const char* last = s_.data() + p;
    pos_ = p;
    if (integral) {
      int64_t i;
      auto [end, ec] = std::from_chars(first, last, i);
      if (ec == std::errc() && end == last) {
        *out = JsonValue(i);
        return true;
      }
      // Too large for int64: fall through to a double, as JavaScript would.
    }
    double d = 0;
    auto [end, ec] = std::from_chars(first, last, d);
    if (ec == std::errc::result_out_of_range) {
      // from_chars reports both overflow and underflow; an underflow is a fine zero.
      const std::string_view digits(first, static_cast<size_t>(last - first));
      const size_t e = digits.find_first_of("eE");
      const bool negative_exponent =
          e != std::string_view::npos && e + 1 < digits.size() && digits[e + 1] == '-';
      if (!negative_exponent) return fail(start, "number out of range for a double");
      d = digits[0] == '-' ? -0.0 : 0.0;
    } else if (ec != std::errc() || end != last) {
      return fail(start, "invalid number");
    }
    *out = JsonValue(d);
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  Error error_;
};

// --- Serializer ----------------------------------------------------------------------------

void append_double(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");
    return;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d);
  (void)ec;  // 64 bytes always hold the shortest form of a double
  const std::string_view text(buf, static_cast<size_t>(end - buf));
  out->append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

void append_value(const JsonValue& v, int indent, int level, std::string* out) {
  const auto newline = [&](int lvl) {
    out->push_back('\n');
    out->append(static_cast<size_t>(indent) * static_cast<size_t>(lvl), ' ');
  };
  switch (v.type()) {
    case JsonValue::Type::kNull:
      out->append("null");
      return;
    case JsonValue::Type::kBool:
      out->append(v.as_bool() ? "true" : "false");
      return;
    case JsonValue::Type::kInt: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v.as_int());
      (void)ec;
      out->append(buf, end);
      return;
    }
    case JsonValue::Type::kDouble:
      append_double(v.as_double(), out);
      return;
    case JsonValue::Type::kString:
      append_json_string(v.as_string(), out);
      return;
    case JsonValue::Type::kArray: {
      const JsonArray& arr = v.as_array();
      out->push_back('[');
      for (size_t i = 0; i < arr.size(); ++i) {
        if (i > 0) out->push_back(',');
        if (indent > 0) newline(level + 1);
        append_value(arr[i], indent, level + 1, out);
      }
      if (indent > 0 && !arr.empty()) newline(level);
      out->push_back(']');
      return;
    }
    case JsonValue::Type::kObject: {
      const JsonObject& obj = v.as_object();
      out->push_back('{');
      for (size_t i = 0; i < obj.size(); ++i) {
        if (i > 0) out->push_back(',');
        if (indent > 0) newline(level + 1);
        append_json_string(obj[i].first, out);
        out->append(indent > 0 ? ": " : ":");
        append_value(obj[i].second, indent, level + 1, out);
      }
      if (indent > 0 && !obj.empty()) newline(level);
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

void append_json_string(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  while (i < s.size()) {
    size_t run = i;
    while (run < s.size() && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') {
      ++run;
    }
    out->append(s.data() + i, run - i);
    i = run;
    if (i >= s.size()) break;
    const unsigned char c = p[i];
    if (c >= 0x80) {
      const size_t len = utf8_sequence_length(p + i, s.size() - i);
      if (len == 0) {
        out->append("\xEF\xBF\xBD");  // U+FFFD REPLACEMENT CHARACTER
        ++i;
      } else {
        out->append(s.data() + i, len);
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        out->append("\\u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
    ++i;
  }
  out->push_back('"');
}

Result<JsonValue> parse_json(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return make_error(Errc::kInvalidArgument, "invalid JSON: %zu bytes exceed the limit of %zu",
                      text.size(), max_bytes);
  }
  return Parser(text).run();
}

std::string to_json(const JsonValue& value) {
  std::string out;
  append_value(value, 0, 0, &out);
  return out;
}

std::string to_json_pretty(const JsonValue& value, int indent) {
  std::string out;
  append_value(value, indent < 0 ? 0 : indent, 0, &out);
  return out;
}

}  // namespace sipring
