// Header values as the response builder copies them: trimmed, folds unfolded (RFC 3261 §7.3.1),
// and the tag parameter of a From/To value found (RFC 3261 §20.20, §20.39).
#pragma once

#include <cstddef>
#include <string_view>

#include "engine/sip/chars.h"

namespace sipring::sip {

// A header value as found in the head: trimmed, with the line breaks of any folds still in it.
struct Value {
  std::string_view text;
  bool plain = true;  // holds no CR or LF, so it is emitted byte for byte
};

// Returns `v` without its leading and trailing LWS.
inline std::string_view trim(std::string_view v) noexcept {
  size_t b = 0;
  size_t e = v.size();
  while (b < e && is_lws(v[b])) ++b;
  while (e > b && is_lws(v[e - 1])) --e;
  return v.substr(b, e - b);
}

// Feeds `value` to sink.append() with each fold (a run of whitespace holding a line break)
// replaced by one SP, which RFC 3261 section 7.3.1 makes equivalent.
template <class Sink>
inline void append_unfolded(std::string_view value, Sink& sink) noexcept {
  if (value.find('\n') == std::string_view::npos && value.find('\r') == std::string_view::npos) {
    sink.append(value);
    return;
  }
  size_t i = 0;
  while (i < value.size()) {
    size_t j = i;
    while (j < value.size() && !is_lws(value[j])) ++j;
    sink.append(value.substr(i, j - i));
    size_t k = j;
    bool has_break = false;
    while (k < value.size() && is_lws(value[k])) {
      has_break |= value[k] == '\r' || value[k] == '\n';
      ++k;
    }
    sink.append(has_break ? std::string_view(" ") : value.substr(j, k - j));
    i = k;
  }
}

struct AddrParams {
  bool ok = false;       // the value parsed: quotes and angle brackets are balanced
  bool has_tag = false;  // a header parameter named "tag" (any case) exists
  std::string_view tag;  // its value, possibly empty
};

// Finds the tag parameter of a From/To value (name-addr or addr-spec, then header params).
// Parameters inside <...> belong to the URI and are not header parameters; in the addr-spec form
// the URI cannot hold ';', so the first ';' starts the header parameters (RFC 3261 section 20).
AddrParams scan_addr_params(std::string_view v) noexcept;

// What the pass over the head finds; Vias go straight to the output.
struct Head {
  size_t vias = 0;  // Via fields with a value
  Value from, to, call_id, cseq;
  AddrParams to_params;  // of `to`, once it is set
};

}  // namespace sipring::sip
