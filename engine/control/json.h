// JSON values for sipring's control plane (JSON-RPC requests and replies, sipringctl output).
//
// A JsonValue is null, a bool, an int64, a double, a string, an array or an object whose members
// keep their insertion order (so replies print in the order a handler built them). The parser is
// strict RFC 8259: no comments, no trailing commas, no leading zeros, no BOM, no invalid UTF-8,
// no lone surrogates, no duplicate object keys; its errors name the byte offset. The control plane
// only: this code allocates freely and must never run on a reactor's per-message path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sipring/result.h"

namespace sipring {

class JsonValue;

using JsonArray = std::vector<JsonValue>;
using JsonMember = std::pair<std::string, JsonValue>;
// Members in insertion order; keys are unique when built by parse_json() or JsonValue::set().
using JsonObject = std::vector<JsonMember>;

class JsonValue {
 public:
  enum class Type : uint8_t { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  // Constructors are implicit so that replies read like data: JsonValue v = JsonObject{{"a", 1}}.
  JsonValue() = default;                                 // null
  JsonValue(std::nullptr_t) {}                           // NOLINT: null
  JsonValue(bool b) : v_(b) {}                           // NOLINT
  JsonValue(double d) : v_(d) {}                         // NOLINT
  JsonValue(std::string s) : v_(std::move(s)) {}         // NOLINT
  JsonValue(std::string_view s) : v_(std::string(s)) {}  // NOLINT
  JsonValue(const char* s) : v_(std::string(s)) {}       // NOLINT
  JsonValue(JsonArray a) : v_(std::move(a)) {}           // NOLINT
  JsonValue(JsonObject o) : v_(std::move(o)) {}          // NOLINT
  // Any integer type except bool. Unsigned values above INT64_MAX wrap, so callers must send
  // such values (uint64 connection ids) as decimal strings.
  template <class I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
  JsonValue(I i) : v_(static_cast<int64_t>(i)) {}  // NOLINT

  // An empty array or object, for building values member by member.
  static JsonValue array() { return JsonValue(JsonArray{}); }
  static JsonValue object() { return JsonValue(JsonObject{}); }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_double() const { return type() == Type::kDouble; }
  // True for both kInt and kDouble.
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Accessors. Each requires the matching type (checked by std::get: a mismatch throws
  // std::bad_variant_access, which RpcServer turns into an internal error). as_double() also
  // accepts an int.
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const JsonArray& as_array() const { return std::get<JsonArray>(v_); }
  JsonArray& as_array() { return std::get<JsonArray>(v_); }
  const JsonObject& as_object() const { return std::get<JsonObject>(v_); }
  JsonObject& as_object() { return std::get<JsonObject>(v_); }

  // The member named `key` of an object, or nullptr when absent or when this is not an object.
  const JsonValue* find(std::string_view key) const;

  // Sets member `key` of an object (which this must be): replaces the value in place if the key
  // exists (keeping its position), else appends. Returns the stored value.
  JsonValue& set(std::string key, JsonValue value);

  // Appends to an array (which this must be). Constructs the element in place from `value` (a
  // JsonValue or anything one can be made of), which also spares GCC 12 a false
  // -Wmaybe-uninitialized on moving a freshly made variant.
  template <class T>
  void push_back(T&& value) {
    as_array().emplace_back(std::forward<T>(value));
  }

  // Elements of an array or members of an object; 0 for scalars.
  size_t size() const;

  // Deep equality. An int and a double are different values even when numerically equal;
  // objects compare member by member in order.
  friend bool operator==(const JsonValue& a, const JsonValue& b) { return a.v_ == b.v_; }

 private:
  // The index order must match Type.
  std::variant<std::monostate, bool, int64_t, double, std::string, JsonArray, JsonObject> v_;
};

// The deepest nesting of arrays and objects that parse_json() accepts.
inline constexpr int kJsonMaxDepth = 64;
// The default input size limit of parse_json().
inline constexpr size_t kJsonDefaultMaxBytes = size_t{1} << 20;

// Parses one JSON text (RFC 8259), surrounded by optional whitespace, of at most `max_bytes`
// bytes. Integers without fraction or exponent that fit int64 become kInt; every other number
// becomes kDouble (a number too large for a double is an error). Strings must be valid UTF-8 and
// are kept byte for byte; \uXXXX escapes (surrogate pairs included) are decoded to UTF-8. On
// failure returns kInvalidArgument with a message like "invalid JSON at byte 12: expected ':'
// after object key".
Result<JsonValue> parse_json(std::string_view text, size_t max_bytes = kJsonDefaultMaxBytes);

// Compact serialization: no whitespace. Strings escape '"', '\\' and control characters and
// pass other UTF-8 through; invalid UTF-8 bytes (which only code, never parse_json, can put in a
// string) become U+FFFD so the output is always valid JSON. Doubles print in the shortest form
// that parses back to the same value, with ".0" added to whole numbers so they stay doubles;
// NaN and infinities print as null.
std::string to_json(const JsonValue& value);

// Like to_json() but indented by `indent` spaces per level, one member or element per line, with
// ": " between key and value (the layout of Python's json.dumps(v, indent=2)). No final newline.
std::string to_json_pretty(const JsonValue& value, int indent = 2);

// Appends `s` as a quoted JSON string to `out` (the escaping of to_json()).
void append_json_string(std::string_view s, std::string* out);

}  // namespace sipring
