// Stateless SIP response builder: start-line classification, head scanning and response output.
//
// build_response runs once per request on the server's hot path, so it makes a single pass over
// the head: LFs are found 64 bytes at a time with 16-byte vector compares, header names are
// recognised by their first byte before anything else is compared, Vias are written out as they
// are met, and values that hold no CR or LF (the common case) are copied whole. The To tag hash
// is fed a few bytes per line while the scan goes on (see TagHash). Folded lines, stray CRs and
// start lines that are not plain requests take the careful byte-by-byte code (append_unfolded,
// trim, classify_start_line), which defines what every path must produce.
#include "sipring/sip_response.h"

#include <array>
#include <bit>
#include <cstring>

#include "engine/base/hash.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace sipring {
namespace {

constexpr std::string_view kSipVersion = "SIP/2.0";

constexpr bool is_ws(char c) {
  return c == ' ' || c == '\t';
}
// Whitespace inside a raw header value, which may still hold the line breaks of folds. A table:
// the trimming loops test it once or twice per value.
constexpr std::array<bool, 256> kLws = [] {
  std::array<bool, 256> t{};
  for (char c : {' ', '\t', '\r', '\n'}) t[static_cast<uint8_t>(c)] = true;
  return t;
}();
constexpr bool is_lws(char c) {
  return kLws[static_cast<uint8_t>(c)];
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
}
// Lower case of an ASCII letter; only meaningful when compared with a lower-case letter, since
// setting bit 5 maps no other byte onto one.
constexpr char fold_case(char c) {
  return static_cast<char>(c | 0x20);
}

// RFC 3261 token characters.
constexpr std::array<bool, 256> kTokenChars = [] {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : std::string_view("-.!%*_+`'~")) t[static_cast<uint8_t>(c)] = true;
  return t;
}();
constexpr bool is_token_char(char c) {
  return kTokenChars[static_cast<uint8_t>(c)];
}

// LWS or ';': what ends an unquoted parameter value in a From/To value.
constexpr std::array<bool, 256> kValueEnds = [] {
  std::array<bool, 256> t{};
  for (char c : std::string_view(" \t\r\n;")) t[static_cast<uint8_t>(c)] = true;
  return t;
}();
constexpr bool is_value_end(char c) {
  return kValueEnds[static_cast<uint8_t>(c)];
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (to_lower(a[i]) != to_lower(b[i])) return false;
  }
  return true;
}

std::string_view trim(std::string_view v) noexcept {
  size_t b = 0;
  size_t e = v.size();
  while (b < e && is_lws(v[b])) ++b;
  while (e > b && is_lws(v[e - 1])) --e;
  return v.substr(b, e - b);
}

// ---- byte searches ------------------------------------------------------------------------------

constexpr bool is_cr(char c) {
  return c == '\r';
}
constexpr bool is_lf(char c) {
  return c == '\n';
}
// Bytes that may not appear in a Request-URI: controls, SP and DEL.
constexpr bool is_non_uri(char c) {
  auto u = static_cast<uint8_t>(c);
  return u < 0x21 || u == 0x7f;
}
constexpr bool is_gt(char c) {
  return c == '>';
}
// What ends a display name or addr-spec in a From/To value.
constexpr bool is_addr_stop(char c) {
  return c == '"' || c == '<' || c == ';';
}
// What the header-parameter part of a From/To value is scanned for.
constexpr bool is_param_stop(char c) {
  return c == '"' || c == ';';
}

// The searches below take 16 bytes at a time: header lines are a few dozen bytes, too short for
// memchr's set-up to pay off. None reads outside p[0, n): a short tail re-reads the last 16 bytes
// of the input instead of reading past its end.

// Bit i of the result is set where Pred(p[i]), for i in [0, 16).
template <bool (*Pred)(char)>
inline uint32_t scalar_mask16(const char* p) noexcept {
  uint32_t m = 0;
  for (int i = 0; i < 16; ++i) m |= static_cast<uint32_t>(Pred(p[i])) << i;
  return m;
}

#if defined(__SSE2__)
inline uint32_t lf_mask16(const char* p) noexcept {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n'))));
}
inline uint32_t cr_mask16(const char* p) noexcept {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
}
inline uint32_t non_uri_mask16(const char* p) noexcept {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
  __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(ctl, del)));
}
inline uint32_t gt_mask16(const char* p) noexcept {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('>'))));
}
inline uint32_t addr_stop_mask16(const char* p) noexcept {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i m = _mm_or_si128(
      _mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('<')), _mm_cmpeq_epi8(v, _mm_set1_epi8(';'))));
  return static_cast<uint32_t>(_mm_movemask_epi8(m));
}
inline uint32_t param_stop_mask16(const char* p) noexcept {
  __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  __m128i m =
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8(';')));
  return static_cast<uint32_t>(_mm_movemask_epi8(m));
}
#else
inline uint32_t lf_mask16(const char* p) noexcept {
  return scalar_mask16<is_lf>(p);
}
inline uint32_t cr_mask16(const char* p) noexcept {
  return scalar_mask16<is_cr>(p);
}
inline uint32_t non_uri_mask16(const char* p) noexcept {
  return scalar_mask16<is_non_uri>(p);
}
inline uint32_t gt_mask16(const char* p) noexcept {
  return scalar_mask16<is_gt>(p);
}
inline uint32_t addr_stop_mask16(const char* p) noexcept {
  return scalar_mask16<is_addr_stop>(p);
}
inline uint32_t param_stop_mask16(const char* p) noexcept {
  return scalar_mask16<is_param_stop>(p);
}
#endif

// Returns the offset of the first byte in p[i, n) for which Pred holds, or n. Requires i <= n.
template <bool (*Pred)(char), uint32_t (*Mask16)(const char*)>
inline size_t find_first(const char* p, size_t i, size_t n) noexcept {
  for (; n - i >= 16; i += 16) {
    uint32_t m = Mask16(p + i);
    if (m != 0) return i + static_cast<size_t>(__builtin_ctz(m));
  }
  if (i < n && n >= 16) {
    uint32_t m = Mask16(p + n - 16) >> (16 - (n - i));
    return m != 0 ? i + static_cast<size_t>(__builtin_ctz(m)) : n;
  }
  for (; i < n; ++i) {
    if (Pred(p[i])) return i;
  }
  return n;
}

inline size_t find_non_uri(const char* p, size_t i, size_t n) noexcept {
  return find_first<is_non_uri, non_uri_mask16>(p, i, n);
}
inline size_t find_cr(const char* p, size_t i, size_t n) noexcept {
  return find_first<is_cr, cr_mask16>(p, i, n);
}

// Returns a mask with bit k set where p[pos + k] is LF, for k in [0, 64) and pos + k < n.
[[gnu::noinline]] uint64_t lf_block(const char* p, size_t pos, size_t n) noexcept {
  const char* q = p + pos;
  const size_t left = n - pos;
  if (left >= 64) {
    return static_cast<uint64_t>(lf_mask16(q)) | static_cast<uint64_t>(lf_mask16(q + 16)) << 16 |
           static_cast<uint64_t>(lf_mask16(q + 32)) << 32 |
           static_cast<uint64_t>(lf_mask16(q + 48)) << 48;
  }
  uint64_t bits = 0;
  size_t k = 0;
  for (; left - k >= 16; k += 16) bits |= static_cast<uint64_t>(lf_mask16(q + k)) << k;
  if (k < left) {
    if (n >= 16) {
      bits |= static_cast<uint64_t>(lf_mask16(p + n - 16) >> (16 - (left - k))) << k;
    } else {
      for (; k < left; ++k) bits |= static_cast<uint64_t>(is_lf(q[k])) << k;
    }
  }
  return bits;
}

// Finds the LFs of a head. It keeps a bit mask of one 64-byte block, so walking the head line by
// line costs one vector pass over it plus a shift and a bit scan per line.
class LfFinder {
 public:
  LfFinder(const char* p, size_t n) : p_(p), n_(n), base_(n + 64) {}

  // Returns the offset of the first LF in p[pos, n), or n. Cheapest when successive calls ask
  // for increasing offsets.
  [[gnu::always_inline]] size_t next(size_t pos) noexcept {
    for (;;) {
      size_t off = pos - base_;  // wraps to a huge value when pos is before the block
      if (off < 64) {
        uint64_t m = bits_ >> off;
        if (m != 0) return pos + static_cast<size_t>(__builtin_ctzll(m));
        pos = base_ + 64;
      }
      if (pos >= n_) return n_;
      base_ = pos;
      bits_ = lf_block(p_, pos, n_);
    }
  }

 private:
  const char* p_;
  size_t n_;
  size_t base_;  // offset of the current block
  uint64_t bits_ = 0;
};

// Offset of the first LF in p[i, n), or n. Only folds and stray CRs need it.
size_t find_lf(const char* p, size_t i, size_t n) noexcept {
  const void* lf = i < n ? std::memchr(p + i, '\n', n - i) : nullptr;
  return lf == nullptr ? n : static_cast<size_t>(static_cast<const char*>(lf) - p);
}

// ---- start line ---------------------------------------------------------------------------------

StartLine classify_start_line(std::string_view line) noexcept {
  StartLine out;
  if (line.size() > kSipVersion.size() && line[kSipVersion.size()] == ' ' &&
      iequals(line.substr(0, kSipVersion.size()), kSipVersion)) {
    std::string_view rest = line.substr(kSipVersion.size() + 1);
    if (rest.size() < 3 || !is_digit(rest[0]) || !is_digit(rest[1]) || !is_digit(rest[2])) {
      return out;
    }
    if (rest.size() > 3 && rest[3] != ' ') return out;
    int code = (rest[0] - '0') * 100 + (rest[1] - '0') * 10 + (rest[2] - '0');
    if (code < 100 || code > 699) return out;
    out.kind = StartLine::kResponse;
    out.status = code;
    return out;
  }

  size_t sp1 = line.find(' ');
  if (sp1 == 0 || sp1 == std::string_view::npos) return out;
  std::string_view method = line.substr(0, sp1);
  for (char c : method) {
    if (!is_token_char(c)) return out;
  }
  size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || sp2 == sp1 + 1) return out;
  for (size_t i = sp1 + 1; i < sp2; ++i) {
    auto c = static_cast<uint8_t>(line[i]);
    if (c < 0x21 || c == 0x7f) return out;
  }
  if (!iequals(line.substr(sp2 + 1), kSipVersion)) return out;
  out.kind = StartLine::kRequest;
  out.method = method;
  return out;
}

// True when p[0, 7) is "SIP/2.0" in any case.
inline bool is_sip_version(const char* p) noexcept {
  return fold_case(p[0]) == 's' && fold_case(p[1]) == 'i' && fold_case(p[2]) == 'p' &&
         p[3] == '/' && p[4] == '2' && p[5] == '.' && p[6] == '0';
}

// Recognises a well-formed request line at p[pos, n) in one pass and sets *next to where the line
// after it begins. Returns false for anything else (status lines, malformed lines), which the
// caller hands to classify_start_line; a true here is exactly classify_start_line's kRequest
// (a line starting "SIP/2.0 " cannot pass, as '/' is no token character).
bool parse_request_line(const char* p, size_t pos, size_t n, std::string_view* method,
                        size_t* next) noexcept {
  size_t i = pos;
  while (i < n && is_token_char(p[i])) ++i;
  if (i == pos || i >= n || p[i] != ' ') return false;
  size_t uri = i + 1;
  size_t j = find_non_uri(p, uri, n);
  if (j == uri || j >= n || p[j] != ' ') return false;
  size_t v = j + 1;
  if (n - v < kSipVersion.size() || !is_sip_version(p + v)) return false;
  size_t k = v + kSipVersion.size();
  // The line ends here: at the end of input, at LF, or at CR followed by LF or the end of input.
  if (k == n) {
    *next = n;
  } else if (p[k] == '\n') {
    *next = k + 1;
  } else if (p[k] == '\r' && k + 1 == n) {
    *next = n;
  } else if (p[k] == '\r' && p[k + 1] == '\n') {
    *next = k + 2;
  } else {
    return false;
  }
  *method = {p + pos, i - pos};
  return true;
}

// parse_start_line that also reports where the line after the start line begins; *next is set
// only for requests.
StartLine parse_start(std::string_view msg, size_t* next) noexcept {
  const char* p = msg.data();
  const size_t n = msg.size();
  size_t pos = 0;
  while (pos < n) {
    if (p[pos] == '\n') {
      pos += 1;
    } else if (p[pos] == '\r' && pos + 1 < n && p[pos + 1] == '\n') {
      pos += 2;
    } else {
      break;
    }
  }
  StartLine out;
  if (parse_request_line(p, pos, n, &out.method, next)) {
    out.kind = StartLine::kRequest;
    return out;
  }
  size_t nl = find_lf(p, pos, n);
  size_t end = nl;
  if (end > pos && p[end - 1] == '\r') --end;
  out = classify_start_line(msg.substr(pos, end - pos));
  // Every request line passes parse_request_line; this only guards against the two disagreeing.
  if (out.kind == StartLine::kRequest) *next = nl == n ? n : nl + 1;
  return out;
}

// ---- header values ------------------------------------------------------------------------------

// Feeds `value` to sink.append() with each fold (a run of whitespace holding a line break)
// replaced by one SP, which RFC 3261 section 7.3.1 makes equivalent.
template <class Sink>
void append_unfolded(std::string_view value, Sink& sink) noexcept {
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

struct AddrParams {
  bool ok = false;       // the value parsed: quotes and angle brackets are balanced
  bool has_tag = false;  // a header parameter named "tag" (any case) exists
  std::string_view tag;  // its value, possibly empty
};

// Finds the tag parameter of a From/To value (name-addr or addr-spec, then header params).
// Parameters inside <...> belong to the URI and are not header parameters; in the addr-spec form
// the URI cannot hold ';', so the first ';' starts the header parameters (RFC 3261 section 20).
AddrParams scan_addr_params(std::string_view v) noexcept {
  AddrParams out;
  const char* s = v.data();
  const size_t n = v.size();
  size_t i = 0;
  for (;;) {
    i = find_first<is_addr_stop, addr_stop_mask16>(s, i, n);
    if (i == n) break;
    if (s[i] == '"') {
      if (!skip_quoted(v, &i)) return out;
      continue;
    }
    if (s[i] == '<') {
      size_t gt = find_first<is_gt, gt_mask16>(s, i + 1, n);
      if (gt == n) return out;
      i = gt + 1;
    }
    break;  // at the first ';' or just past '>'
  }
  while (i < n) {
    i = find_first<is_param_stop, param_stop_mask16>(s, i, n);
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
        while (i < n && !is_value_end(s[i])) ++i;
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

// Returns the 8 lower-case hex digits of v, most significant first, as they lie in memory.
inline uint64_t hex8(uint32_t v) noexcept {
  uint64_t x = v;  // spread the nibbles so that nibble k lands in byte k
  x = (x | x << 16) & 0x0000ffff0000ffffull;
  x = (x | x << 8) & 0x00ff00ff00ff00ffull;
  x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
  // Bytes holding 10..15 reach 0x80 when 0x76 is added; they need 'a' - '0' - 10 = 39 more.
  const uint64_t letters = ((x + 0x7676767676767676ull) >> 7) & 0x0101010101010101ull;
  x += 0x3030303030303030ull + letters * 39;
  if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
  return x;
}

// The ";tag=<16 hex digits>" parameter added to a To value.
using TagParam = std::array<char, 5 + 16>;
inline TagParam tag_param(uint64_t tag) noexcept {
  TagParam out = {';', 't', 'a', 'g', '='};
  const uint64_t high = hex8(static_cast<uint32_t>(tag >> 32));
  const uint64_t low = hex8(static_cast<uint32_t>(tag));
  std::memcpy(out.data() + 5, &high, 8);
  std::memcpy(out.data() + 13, &low, 8);
  return out;
}

// A header value as found in the head: trimmed, with the line breaks of any folds still in it.
struct Value {
  std::string_view text;
  bool plain = true;  // holds no CR or LF, so it is emitted byte for byte
};

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

bool valid_reason(std::string_view reason) noexcept {
  for (char c : reason) {
    auto u = static_cast<uint8_t>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// ---- head scan ----------------------------------------------------------------------------------

enum class HeaderKind : uint8_t { kOther, kVia, kFrom, kTo, kCallId, kCSeq };

// What the first byte of a header name says: the name may be one the builder uses.
enum NameStart : uint8_t { kStartOther, kStartV, kStartF, kStartT, kStartI, kStartC };
constexpr std::array<uint8_t, 256> kNameStarts = [] {
  std::array<uint8_t, 256> t{};
  t['v'] = t['V'] = kStartV;
  t['f'] = t['F'] = kStartF;
  t['t'] = t['T'] = kStartT;
  t['i'] = t['I'] = kStartI;
  t['c'] = t['C'] = kStartC;
  return t;
}();

// Classifies the header name at the start of h, whose first byte is of class `start` (not
// kStartOther), and returns the offset just past it, or 0 for a name the builder does not use.
// The line must end in LF, which no comparison here matches, so the reads stop at the line end.
inline size_t match_name(const char* h, uint8_t start, HeaderKind* kind) noexcept {
  switch (start) {
    case kStartV:
      *kind = HeaderKind::kVia;
      if (fold_case(h[1]) != 'i') return 1;
      return fold_case(h[2]) == 'a' ? 3 : 0;
    case kStartF:
      *kind = HeaderKind::kFrom;
      if (fold_case(h[1]) != 'r') return 1;
      return fold_case(h[2]) == 'o' && fold_case(h[3]) == 'm' ? 4 : 0;
    case kStartT:
      *kind = HeaderKind::kTo;
      return fold_case(h[1]) == 'o' ? 2 : 1;
    case kStartI:
      *kind = HeaderKind::kCallId;
      return 1;
    default:  // kStartC
      if (fold_case(h[1]) == 's') {
        *kind = HeaderKind::kCSeq;
        return fold_case(h[2]) == 'e' && fold_case(h[3]) == 'q' ? 4 : 0;
      }
      if (fold_case(h[1]) == 'a') {
        *kind = HeaderKind::kCallId;
        return fold_case(h[2]) == 'l' && fold_case(h[3]) == 'l' && h[4] == '-' &&
                       fold_case(h[5]) == 'i' && fold_case(h[6]) == 'd'
                   ? 7
                   : 0;
      }
      return 0;
  }
}

// What the pass over the head finds; Vias go straight to the output.
struct Head {
  size_t vias = 0;  // Via fields with a value
  Value from, to, call_id, cseq;
  AddrParams to_params;  // of `to`, once it is set
};

// The To tag hash, computed while the rest of the head is scanned and the response is written.
//
// FNV-1a is one chain of dependent multiplies, some four cycles per byte, and little else.
// Hashed in one go, its instructions fill the out-of-order window, and everything after them
// waits for the chain to retire. So it is fed a few bytes at a time by pump(), which the scan and
// the output code call between their own work, and the chain runs alongside that work. Its
// inputs are the Call-ID, the From tag (or the whole From value, for RFC 2543 peers without one)
// and the CSeq number, each length-prefixed, in this order. A field's first non-empty value is
// the one used, so each is final once found and the result is that of hashing at the end.
//
// All members are inlined into build_response, which keeps the state in registers.
class TagHash {
 public:
  static constexpr uint64_t kPrime = 0x100000001b3ull;

  // Hashes up to four bytes of the current input, or starts the next input once it is known.
  [[gnu::always_inline]] void pump(const Head& head) noexcept {
    if (cur_ == end_) {
      advance(head);
      return;
    }
    const uint8_t* b = cur_;
    uint64_t x = h_;
    if (end_ - b >= 4) {
      x = (x ^ b[0]) * kPrime;
      x = (x ^ b[1]) * kPrime;
      x = (x ^ b[2]) * kPrime;
      x = (x ^ b[3]) * kPrime;
      cur_ = b + 4;
    } else {
      for (; b != end_; ++b) x = (x ^ *b) * kPrime;
      cur_ = b;
    }
    h_ = x;
  }

  // Returns the hash. Requires a To value without tag and non-empty From, Call-ID and CSeq.
  [[gnu::always_inline]] uint64_t finish(const Head& head) noexcept {
    for (;;) {
      const uint8_t* b = cur_;
      uint64_t x = h_;
      for (; end_ - b >= 4; b += 4) {
        x = (x ^ b[0]) * kPrime;
        x = (x ^ b[1]) * kPrime;
        x = (x ^ b[2]) * kPrime;
        x = (x ^ b[3]) * kPrime;
      }
      for (; b != end_; ++b) x = (x ^ *b) * kPrime;
      cur_ = b;
      h_ = x;
      if (stage_ == kDone) break;
      advance(head);
    }
    return fmix64(h_);  // FNV's low bits are weak on short inputs
  }

 private:
  enum Stage : uint8_t { kCallId, kFromTag, kCSeq, kDone };

  // Hashes the bytes of a folded value now; what append_unfolded feeds.
  struct Sink {
    uint64_t h;
    void append(std::string_view s) noexcept {
      for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * kPrime;
    }
  };

  // Starts on the next input if it is known (and the tag is wanted at all).
  [[gnu::always_inline]] void advance(const Head& head) noexcept {
    if (stage_ == kDone || head.to.text.empty() || head.to_params.has_tag || !head.to_params.ok) {
      return;
    }
    switch (stage_) {
      case kCallId:
        if (head.call_id.text.empty()) return;
        start(head.call_id.text, head.call_id.plain);
        stage_ = kFromTag;
        break;
      case kFromTag: {
        if (head.from.text.empty()) return;
        AddrParams from = scan_addr_params(head.from.text);
        start(from.has_tag ? from.tag : head.from.text, head.from.plain);
        stage_ = kCSeq;
        break;
      }
      default: {  // kCSeq
        if (head.cseq.text.empty()) return;
        std::string_view cseq = head.cseq.text;
        size_t digits = 0;
        while (digits < cseq.size() && is_digit(cseq[digits])) ++digits;
        start(cseq.substr(0, digits), true);
        stage_ = kDone;
        break;
      }
    }
  }

  // Hashes the length of input `s` (that of `s` as sent, folds included; prefixing it keeps
  // ("ab","c") and ("a","bc") apart) and makes `s` the current input. A value that is not plain
  // is unfolded and hashed at once.
  [[gnu::always_inline]] void start(std::string_view s, bool plain) noexcept {
    h_ = (h_ ^ s.size()) * kPrime;
    if (plain) {
      cur_ = reinterpret_cast<const uint8_t*>(s.data());
      end_ = cur_ + s.size();
    } else {
      Sink sink{h_};
      append_unfolded(s, sink);
      h_ = sink.h;
    }
  }

  uint64_t h_ = 0xcbf29ce484222325ull;
  const uint8_t* cur_ = nullptr;  // the rest of the current input
  const uint8_t* end_ = nullptr;
  Stage stage_ = kCallId;
};

// Scans the header fields from `pos` up to the blank line, or up to where the input ends before
// the next field is known to be complete (the byte after a field's last line tells whether a
// folded continuation follows). Lines that are not `token *WS ":" value` are skipped, as are
// fields with empty values. Appends each Via field to `w` and pumps `tag` once per line.
[[gnu::always_inline]] inline Head scan_head(const char* p, size_t pos, const size_t n, Writer& w,
                                             TagHash& tag) noexcept {
  Head head;
  LfFinder lfs(p, n);
  while (pos < n) {
    tag.pump(head);
    const size_t start = pos;
    size_t nl = lfs.next(start);  // the field's last LF, once folds are followed
    if (nl == n) break;           // no complete line follows
    // The blank line ends the head (a lone CR at the very end was taken for its start above, as
    // no LF follows it); a CR followed by anything but LF starts a junk line instead.
    if (nl - start <= 1 && (nl == start || p[start] == '\r')) break;
    // A field continues while the next line starts with whitespace; the byte after the last line
    // must be present to know it does not.
    if (nl + 1 >= n) break;
    const bool folded = static_cast<uint8_t>(p[nl + 1]) <= ' ' && is_ws(p[nl + 1]);
    if (folded) [[unlikely]] {
      do {
        nl = lfs.next(nl + 1);
      } while (nl + 1 < n && is_ws(p[nl + 1]));
      if (nl + 1 >= n) break;  // also when no LF was found (nl == n)
    }
    pos = nl + 1;

    // The name, optional whitespace and the colon all lie on the first line, whose LF stops
    // every comparison here.
    const uint8_t name_start = kNameStarts[static_cast<uint8_t>(p[start])];
    if (name_start == kStartOther) continue;
    HeaderKind kind = HeaderKind::kOther;
    size_t i = start + match_name(p + start, name_start, &kind);
    if (i == start) continue;
    while (is_ws(p[i])) ++i;
    if (p[i] != ':') continue;
    Value v;
    if (!folded) {
      size_t b = i + 1;
      size_t e = nl;  // p[b, e) holds no LF
      while (b < e && is_lws(p[b])) ++b;
      while (e > b && is_lws(p[e - 1])) --e;
      v.text = {p + b, e - b};
      v.plain = find_cr(p, b, e) == e;  // a CR inside the value is unfolded like a fold
    } else {
      v.text = trim({p + i + 1, nl - (i + 1)});
      v.plain = false;
    }
    if (v.text.empty()) continue;
    switch (kind) {
      case HeaderKind::kVia:
        ++head.vias;
        w.line("Via: ", v);
        break;
      case HeaderKind::kFrom:
        if (head.from.text.empty()) head.from = v;
        break;
      case HeaderKind::kTo:
        if (!head.to.text.empty()) break;
        head.to = v;
        head.to_params = scan_addr_params(v.text);
        break;
      case HeaderKind::kCallId:
        if (head.call_id.text.empty()) head.call_id = v;
        break;
      case HeaderKind::kCSeq:
        if (head.cseq.text.empty()) head.cseq = v;
        break;
      case HeaderKind::kOther:
        break;
    }
  }
  return head;
}

}  // namespace

StartLine parse_start_line(std::span<const uint8_t> message) noexcept {
  size_t next;
  return parse_start({reinterpret_cast<const char*>(message.data()), message.size()}, &next);
}

bool is_ack(const StartLine& line) noexcept {
  return line.kind == StartLine::kRequest && line.method == "ACK";
}

const char* response_error_name(ResponseError error) noexcept {
  switch (error) {
    case ResponseError::kOk:
      return "ok";
    case ResponseError::kNotARequest:
      return "not-a-request";
    case ResponseError::kMissingVia:
      return "missing-via";
    case ResponseError::kMissingFrom:
      return "missing-from";
    case ResponseError::kMissingTo:
      return "missing-to";
    case ResponseError::kMissingCallId:
      return "missing-call-id";
    case ResponseError::kMissingCSeq:
      return "missing-cseq";
    case ResponseError::kOutputTooSmall:
      return "output-too-small";
    case ResponseError::kInvalidStatus:
      return "invalid-status";
  }
  return "unknown";
}

ResponseError build_response(std::span<const uint8_t> request, int code, std::string_view reason,
                             std::span<uint8_t> out, size_t* written) noexcept {
  *written = 0;
  if (code < 100 || code > 699 || !valid_reason(reason)) return ResponseError::kInvalidStatus;
  std::string_view msg(reinterpret_cast<const char*>(request.data()), request.size());
  size_t pos;
  if (parse_start(msg, &pos).kind != StartLine::kRequest) return ResponseError::kNotARequest;

  // The status line and the Vias are written before the head is known to be usable; on an
  // error the contents of `out` are unspecified anyway.
  Writer w(out);
  const char status[] = {'S',
                         'I',
                         'P',
                         '/',
                         '2',
                         '.',
                         '0',
                         ' ',
                         static_cast<char>('0' + code / 100),
                         static_cast<char>('0' + code / 10 % 10),
                         static_cast<char>('0' + code % 10),
                         ' '};
  w.append({status, sizeof(status)});
  w.append(reason);
  w.append("\r\n");

  TagHash tag;
  Head s = scan_head(msg.data(), pos, msg.size(), w, tag);
  if (s.vias == 0) return ResponseError::kMissingVia;
  if (s.from.text.empty()) return ResponseError::kMissingFrom;
  if (s.to.text.empty() || !s.to_params.ok) return ResponseError::kMissingTo;
  if (s.call_id.text.empty()) return ResponseError::kMissingCallId;
  if (s.cseq.text.empty()) return ResponseError::kMissingCSeq;

  if (s.to_params.has_tag) {
    w.line("From: ", s.from);
    w.line("To: ", s.to);
    w.line("Call-ID: ", s.call_id);
    w.line("CSeq: ", s.cseq);
    w.append("Content-Length: 0\r\n\r\n");
  } else if (!s.to.plain) {
    const TagParam param = tag_param(tag.finish(s));
    w.line("From: ", s.from);
    w.line("To: ", s.to, {param.data(), param.size()});
    w.line("Call-ID: ", s.call_id);
    w.line("CSeq: ", s.cseq);
    w.append("Content-Length: 0\r\n\r\n");
  } else {
    // The common case: the lines after To are written first, with the hash pumped in between,
    // and the To line with its tag last, into the room left for it.
    tag.pump(s);
    w.line("From: ", s.from);
    tag.pump(s);
    const size_t to_at = w.needed();
    w.skip(4 + s.to.text.size() + std::tuple_size_v<TagParam> + 2);
    tag.pump(s);
    w.line("Call-ID: ", s.call_id);
    tag.pump(s);
    w.line("CSeq: ", s.cseq);
    tag.pump(s);
    w.append("Content-Length: 0\r\n\r\n");
    const TagParam param = tag_param(tag.finish(s));
    w.line_at(to_at, "To: ", s.to.text, {param.data(), param.size()});
  }

  if (w.overflow()) {
    *written = w.needed();
    return ResponseError::kOutputTooSmall;
  }
  *written = w.needed();
  return ResponseError::kOk;
}

}  // namespace sipring
