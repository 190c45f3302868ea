// The character level of tls.cfg (tls_cfg_parser.cc): a cursor over one line that skips
// spaces, stops at comments and reads values with Kamailio's quoting and escapes.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "engine/base/ascii.h"
#include "sipring/result.h"

namespace sipring {

// Kamailio's cfg_parser separators within a line.
constexpr bool is_cfg_space(char c) noexcept {
  return ascii_isblank(c) || c == '\r';
}

// A cursor over one line of the file.
class TlsCfgScanner {
 public:
  explicit TlsCfgScanner(std::string_view s) : s_(s) {}

  void skip_space() {
    while (i_ < s_.size() && is_cfg_space(s_[i_])) ++i_;
  }
  // True at the end of the line or at a comment, after skipping spaces.
  bool at_end() {
    skip_space();
    return i_ >= s_.size() || s_[i_] == '#';
  }
  bool peek(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool eat(char c) {
    if (!peek(c)) return false;
    ++i_;
    return true;
  }
  template <class Pred>
  std::string_view take(Pred pred) {
    const size_t start = i_;
    while (i_ < s_.size() && pred(s_[i_])) ++i_;
    return s_.substr(start, i_ - start);
  }
  // The rest of the line before any comment, trimmed, for messages.
  std::string_view rest() const {
    std::string_view r = s_.substr(std::min(i_, s_.size()));
    r = r.substr(0, r.find('#'));
    while (!r.empty() && is_cfg_space(r.back())) r.remove_suffix(1);
    return r;
  }

  // Reads one value (the forms are in tls_cfg_parser.cc's file comment): a quoted one, or a bare
  // one up to a space or '#', each with Kamailio's escapes. The Errc::kConfig error says what is
  // malformed and how to write it.
  Result<std::string> value();

 private:
  // Kamailio's escapes: quoted strings take \" \\ \n \r \t; bare values also \# and "\ "
  // (the escaped character in `e`). False: not an escape there.
  static bool unescape(char e, bool bare, char* out_char);

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace sipring
