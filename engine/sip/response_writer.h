// The response builder's output: short copies inlined, and a Writer that never writes past the
// caller's buffer but counts the length needed. Inline: build_response keeps its state in
// registers across these.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "engine/sip/header_value.h"

namespace sipring::sip {

// memcpy for the short strings of a response, inlined: a call costs as much as the copy. The
// source and destination ranges are copied exactly, with overlapping loads and stores.
[[gnu::always_inline]] inline void copy_bytes(char* d, const char* s, size_t n) noexcept {
  struct B16 {
    char b[16];
  };
  if (n <= 16) {
    if (n >= 8) {
      uint64_t a, b;
      std::memcpy(&a, s, 8);
      std::memcpy(&b, s + n - 8, 8);
      std::memcpy(d, &a, 8);
      std::memcpy(d + n - 8, &b, 8);
    } else if (n >= 4) {
      uint32_t a, b;
      std::memcpy(&a, s, 4);
      std::memcpy(&b, s + n - 4, 4);
      std::memcpy(d, &a, 4);
      std::memcpy(d + n - 4, &b, 4);
    } else if (n > 0) {
      d[0] = s[0];
      d[n / 2] = s[n / 2];
      d[n - 1] = s[n - 1];
    }
  } else if (n <= 32) {
    B16 a, b;
    std::memcpy(&a, s, 16);
    std::memcpy(&b, s + n - 16, 16);
    std::memcpy(d, &a, 16);
    std::memcpy(d + n - 16, &b, 16);
  } else if (n <= 64) {
    B16 a, b, c, e;
    std::memcpy(&a, s, 16);
    std::memcpy(&b, s + 16, 16);
    std::memcpy(&c, s + n - 32, 16);
    std::memcpy(&e, s + n - 16, 16);
    std::memcpy(d, &a, 16);
    std::memcpy(d + 16, &b, 16);
    std::memcpy(d + n - 32, &c, 16);
    std::memcpy(d + n - 16, &e, 16);
  } else {
    std::memcpy(d, s, n);
  }
}

// Appends into the caller's buffer; once something does not fit, only counts the length needed.
// Nothing is written past the buffer's end (once one piece has not fit, needed_ exceeds cap_ and
// nothing later fits either).
class Writer {
 public:
  explicit Writer(std::span<uint8_t> out)
      : out_(reinterpret_cast<char*>(out.data())), cap_(out.size()) {}

  [[gnu::always_inline]] void append(std::string_view s) noexcept {
    if (needed_ + s.size() <= cap_) copy_bytes(out_ + needed_, s.data(), s.size());
    needed_ += s.size();
  }

  // Appends the header line `name` `value` `extra` CRLF, unfolding `value` if it needs it.
  // `name` and `extra` are literals, so their copies compile to a few stores.
  [[gnu::always_inline]] void line(std::string_view name, const Value& value,
                                   std::string_view extra = {}) noexcept {
    if (!value.plain) {
      append(name);
      append_unfolded(value.text, *this);
      append(extra);
      append("\r\n");
      return;
    }
    line_at(needed_, name, value.text, extra);
    needed_ += name.size() + value.text.size() + extra.size() + 2;
  }

  // Leaves `len` bytes for a line that line_at() fills in later.
  void skip(size_t len) noexcept { needed_ += len; }

  // Writes the line `name` `value` `extra` CRLF at offset `at`, if all of it fits. `value` must
  // be plain.
  [[gnu::always_inline]] void line_at(size_t at, std::string_view name, std::string_view value,
                                      std::string_view extra = {}) noexcept {
    const size_t len = name.size() + value.size() + extra.size() + 2;
    if (at + len <= cap_) {
      char* d = out_ + at;
      std::memcpy(d, name.data(), name.size());
      d += name.size();
      copy_bytes(d, value.data(), value.size());
      d += value.size();
      if (!extra.empty()) std::memcpy(d, extra.data(), extra.size());
      d += extra.size();
      std::memcpy(d, "\r\n", 2);
    }
  }

  bool overflow() const { return needed_ > cap_; }
  size_t needed() const { return needed_; }

 private:
  char* out_;
  size_t cap_;
  size_t needed_ = 0;
};

}  // namespace sipring::sip
