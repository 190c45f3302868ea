// The strict JSON parser (nlohmann's SAX parser under a handler that builds the value, refuses
// duplicate keys and deep nesting) and the printer declared in engine/base/json.h.
#include "engine/base/json.h"

#include <cstdint>
#include <iterator>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/base/error_format.h"

namespace sipring {
namespace {

// Hands the text to nlohmann's lexer byte by byte and counts the bytes it has taken, so errors
// found in SAX callbacks (which are told no position) can name a byte offset too.
class CountingIterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  CountingIterator(const char* p, size_t* taken) : p_(p), taken_(taken) {}
  reference operator*() const { return *p_; }
  CountingIterator& operator++() {
    ++p_;
    ++*taken_;
    return *this;
  }
  bool operator==(const CountingIterator& o) const { return p_ == o.p_; }
  bool operator!=(const CountingIterator& o) const { return p_ != o.p_; }

 private:
  const char* p_;
  size_t* taken_;
};

// nlohmann's messages start "[json.exception.parse_error.101] parse error at line 1, column 33: "
// before saying what is wrong; our messages name the byte offset instead. Keeps what follows,
// shortened: its "last read: '...'" part quotes the input, which can be a megabyte long.
std::string nlohmann_detail(std::string_view what) {
  if (what.rfind("[json.exception.", 0) == 0) {
    if (const size_t id_end = what.find("] "); id_end != std::string_view::npos) {
      what.remove_prefix(id_end + 2);
    }
  }
  if (what.rfind("parse error", 0) == 0) {
    if (const size_t colon = what.find(": "); colon != std::string_view::npos) {
      what.remove_prefix(colon + 2);
    }
  }
  constexpr size_t kMaxDetail = 200;
  if (what.size() <= kMaxDetail) return std::string(what);
  return std::string(what.substr(0, kMaxDetail)) + "...";
}

Error invalid_json(size_t offset, const std::string& detail) {
  return make_error(Errc::kInvalidArgument, "invalid JSON at byte %zu: %s", offset, detail.c_str());
}

// The SAX handler: builds the value like nlohmann's own DOM parser does, except that it refuses
// a repeated key and nesting deeper than kJsonMaxDepth, and appends object members without
// ordered_json's linear search for an existing key (which would make an object of n keys cost
// n^2/2 comparisons: a megabyte request of short keys would hold the control thread for
// minutes). Duplicates are found by a scan of small objects and a hash set in large ones.
class StrictBuilder {
 public:
  explicit StrictBuilder(const size_t* taken) : taken_(taken) {}

  bool null() { return add(JsonValue()) != nullptr; }
  bool boolean(bool b) { return add(JsonValue(b)) != nullptr; }
  bool number_integer(JsonValue::number_integer_t n) { return add(JsonValue(n)) != nullptr; }
  bool number_unsigned(JsonValue::number_unsigned_t n) { return add(JsonValue(n)) != nullptr; }
  bool number_float(JsonValue::number_float_t d, const std::string&) {
    return add(JsonValue(d)) != nullptr;
  }
  bool string(std::string& s) { return add(JsonValue(std::move(s))) != nullptr; }
  // Only the binary formats (CBOR, MessagePack...) produce these; a JSON text never does.
  bool binary(JsonValue::binary_t&) { return fail(here(), "binary value"); }

  bool start_object(size_t) { return open(JsonValue::object()); }
  bool end_object() { return close(); }
  bool start_array(size_t) { return open(JsonValue::array()); }
  bool end_array() { return close(); }

  bool key(std::string& k) {
    Frame& f = open_.back();
    const JsonValue::object_t& members = f.value->get_ref<const JsonValue::object_t&>();
    constexpr size_t kScanLimit = 16;
    bool duplicate = false;
    if (members.size() < kScanLimit) {
      for (const auto& m : members) duplicate = duplicate || m.first == k;
    } else {
      if (f.keys.empty()) {
        for (const auto& m : members) f.keys.insert(m.first);
      }
      duplicate = !f.keys.insert(k).second;
    }
    if (duplicate) {
      return fail(here(), "duplicate object key \"" + k.substr(0, 64) + "\"");
    }
    key_ = std::move(k);
    return true;
  }

  bool parse_error(size_t position, const std::string&, const JsonValue::exception& e) {
    // `position` counts the bytes read, the offending one included.
    return fail(position > 0 ? position - 1 : 0, nlohmann_detail(e.what()));
  }

  // The value built, once the parse succeeded.
  JsonValue& root() { return root_; }
  // Why the parse failed.
  const Error& error() const { return error_; }

 private:
  struct Frame {
    JsonValue* value;                      // the open array or object
    std::unordered_set<std::string> keys;  // an object's keys, once it has kScanLimit of them
  };

  // The offset of the last byte the lexer took.
  size_t here() const { return *taken_ > 0 ? *taken_ - 1 : 0; }

  bool fail(size_t offset, const std::string& detail) {
    error_ = invalid_json(offset, detail);
    return false;
  }

  // Stores `v` in the innermost open array or object (under the pending key), or as the root.
  // Returns where it now lives: it stays there, since only the innermost container grows.
  JsonValue* add(JsonValue v) {
    if (open_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    JsonValue& parent = *open_.back().value;
    if (parent.is_array()) {
      auto& elements = parent.get_ref<JsonValue::array_t&>();
      elements.push_back(std::move(v));
      return &elements.back();
    }
    // key() has refused duplicates: append without ordered_map's search.
    auto& members =
        static_cast<JsonValue::object_t::Container&>(parent.get_ref<JsonValue::object_t&>());
    members.emplace_back(std::move(key_), std::move(v));
    return &members.back().second;
  }

  bool open(JsonValue empty) {
    if (open_.size() >= static_cast<size_t>(kJsonMaxDepth)) {
      return fail(here(),
                  "nesting deeper than " + std::to_string(kJsonMaxDepth) + " arrays/objects");
    }
    open_.push_back(Frame{add(std::move(empty)), {}});
    return true;
  }

  bool close() {
    open_.pop_back();
    return true;
  }

  const size_t* taken_;
  JsonValue root_;
  std::vector<Frame> open_;
  std::string key_;  // the key of the member whose value comes next
  Error error_;
};

}  // namespace

Result<JsonValue> parse_json(std::string_view text, size_t max_bytes) {
  if (text.size() > max_bytes) {
    return make_error(Errc::kInvalidArgument, "invalid JSON: %zu bytes exceed the limit of %zu",
                      text.size(), max_bytes);
  }
  size_t taken = 0;
  StrictBuilder builder(&taken);
  const bool ok = JsonValue::sax_parse(CountingIterator(text.data(), &taken),
                                       CountingIterator(text.data() + text.size(), &taken),
                                       &builder, JsonValue::input_format_t::json,
                                       /*strict=*/true, /*ignore_comments=*/false);
  if (!ok) return builder.error();
  return std::move(builder.root());
}

const JsonValue* json_member(const JsonValue& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::string json_text(const JsonValue& value) {
  return value.dump(-1, ' ', false, JsonValue::error_handler_t::replace);
}

}  // namespace sipring
