// ASCII text helpers: the one home for the case folding, comparison, trimming, quoting and
// whole-file reading that configuration and protocol parsers need. Modelled on abseil's
// absl/strings/ascii.h: every function here looks at bytes as ASCII and never at the locale,
// so "I" folds to "i" whatever LANG says and bytes >= 0x80 are left alone (never a letter, never
// space). Use these instead of <cctype>, strcasecmp or a local loop.
#pragma once

#include <string>
#include <string_view>

#include "sipring/result.h"

namespace sipring {

// ' ', '\t', '\n', '\v', '\f', '\r' (the C locale's isspace).
constexpr bool ascii_isspace(char c) noexcept {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
// ' ' and '\t'.
constexpr bool ascii_isblank(char c) noexcept {
  return c == ' ' || c == '\t';
}
constexpr bool ascii_isdigit(char c) noexcept {
  return c >= '0' && c <= '9';
}
constexpr bool ascii_isalpha(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool ascii_isalnum(char c) noexcept {
  return ascii_isalpha(c) || ascii_isdigit(c);
}
// 'A'-'Z' to 'a'-'z'; every other byte unchanged.
constexpr char ascii_tolower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// `s` with every ASCII upper-case letter folded to lower case.
std::string ascii_str_tolower(std::string_view s);

// Whether `a` and `b` are equal ignoring ASCII case. Allocation-free.
bool equals_ignore_case(std::string_view a, std::string_view b) noexcept;
// Whether `text` ends with `suffix`, ignoring ASCII case. Allocation-free.
bool ends_with_ignore_case(std::string_view text, std::string_view suffix) noexcept;

// `s` without leading and trailing ascii_isspace bytes (absl::StripAsciiWhitespace).
std::string_view strip_ascii_whitespace(std::string_view s) noexcept;

// `s` without one pair of enclosing double quotes ("abc" -> abc); `s` itself when it is not
// enclosed in them. Escapes inside are not interpreted.
std::string_view strip_quotes(std::string_view s) noexcept;
// `s` in double quotes, as error messages show a value: abc -> "abc". Nothing is escaped.
std::string in_quotes(std::string_view s);

// The whole content of the file `path`. The error (Errc::kIo) is the system's reason alone,
// e.g. "No such file or directory", for the caller to put in a message that names the file and
// what it was for.
Result<std::string> read_file(const std::string& path);

}  // namespace sipring
