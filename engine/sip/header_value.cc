// The tag parameter of a From/To value, found with the byte scanners.
#include "engine/sip/header_value.h"

#include "engine/sip/chars.h"
#include "engine/sip/scan.h"

namespace sipring::sip {
namespace {

// Advances *i past the quoted string starting at value[*i]; false if it is unterminated.
bool skip_quoted(std::string_view value, size_t* i) noexcept {
  for (size_t k = *i + 1; k < value.size(); ++k) {
    if (value[k] == '\\') {
      ++k;
    } else if (value[k] == '"') {
      *i = k + 1;
      return true;
    }
  }
  return false;
}

void skip_lws(std::string_view value, size_t* i) noexcept {
  while (*i < value.size() && is_lws(value[*i])) ++*i;
}

}  // namespace

AddrParams scan_addr_params(std::string_view v) noexcept {
  AddrParams out;
  const char* s = v.data();
  const size_t n = v.size();
  size_t i = 0;
  for (;;) {
    i = find_first<AnyOf<'"', '<', ';'>>(s, i, n);  // what ends a display name or addr-spec
    if (i == n) break;
    if (s[i] == '"') {
      if (!skip_quoted(v, &i)) return out;
      continue;
    }
    if (s[i] == '<') {
      size_t gt = find_first<AnyOf<'>'>>(s, i + 1, n);
      if (gt == n) return out;
      i = gt + 1;
    }
    break;  // at the first ';' or just past '>'
  }
  while (i < n) {
    i = find_first<AnyOf<'"', ';'>>(s, i, n);  // a header parameter, or quoted text
    if (i == n) break;
    if (s[i] == '"') {
      if (!skip_quoted(v, &i)) return out;
      continue;
    }
    ++i;  // past ';'
    skip_lws(v, &i);
    size_t name_start = i;
    while (i < n && is_token_char(s[i])) ++i;
    const bool is_tag = i - name_start == 3 && fold_case(s[name_start]) == 't' &&
                        fold_case(s[name_start + 1]) == 'a' && fold_case(s[name_start + 2]) == 'g';
    skip_lws(v, &i);
    std::string_view param_value;
    if (i < n && s[i] == '=') {
      ++i;
      skip_lws(v, &i);
      size_t value_start = i;
      if (i < n && s[i] == '"') {
        if (!skip_quoted(v, &i)) return out;
      } else {
        while (i < n && !is_param_value_end(s[i])) ++i;
      }
      param_value = v.substr(value_start, i - value_start);
    }
    if (!out.has_tag && is_tag) {
      out.has_tag = true;
      out.tag = param_value;
    }
  }
  out.ok = true;
  return out;
}

}  // namespace sipring::sip
