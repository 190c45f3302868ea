// SIP stream framing (RFC 3261 §18.3): a resumable byte state machine over the head, with fast
// paths for the common case. The usual start lines are taken whole; header lines are skipped to
// their CRLFs, found 64 bytes at a time with SSE2, unless their first bytes show that they may
// be Content-Length or the blank line; a plain Content-Length line is parsed in one go. Whatever
// a fast path does not recognise is left to the state machine at the state and offset it would
// have reached byte by byte, so results and resume offsets do not depend on which path ran.
#include "engine/sip/sip_framer.h"

#include <array>
#include <bit>
#include <cstring>
#include <string_view>

// Elsewhere (or with SIPRING_FRAMER_NO_SIMD, to test that code on x86) CRs are found with memchr
// and the Request-URI byte by byte.
#if defined(__SSE2__) && !defined(SIPRING_FRAMER_NO_SIMD)
#include <emmintrin.h>
#define SIPRING_FRAMER_SSE2 1
#endif

namespace sipring {

namespace {

// The state machine's states. A state is where the next unexamined byte (pos_) falls.
enum State : uint8_t {
  kStart,        // offset 0: keep-alive CRLFs or the start line's first byte
  kMethod,       // in a request's method, or the "SIP" of a status line (aux_: "SIP" chars matched)
  kUri,          // in the Request-URI (aux_: its start offset)
  kReqVersion,   // in a request's "SIP/2.0" (aux_: its start offset)
  kRespVersion,  // in a status line's fixed part "SIP/2.0 ddd " (offset is the index)
  kRespReason,   // in a status line's reason phrase
  kStartLF,      // after the start line's CR
  kLineStart,    // at the first byte of a header line, or of the blank line
  kName,         // in a header name that may be Content-Length (aux_: chars matched)
  kNameWs,       // between Content-Length and its colon
  kOtherHeader,  // in a header line that is not Content-Length
  kClValue,      // in a Content-Length value (phase_ says where)
  kLineLF,       // after a header line's CR
  kBlankLF,      // after the blank line's CR
  kBody,         // head complete (pos_ = head length), waiting for cl_ body bytes
};
static_assert(kBody < 16, "state_ has 4 bits");

// Where a Content-Length value stands; folding counts as whitespace.
enum Phase : uint8_t { kBeforeDigits, kInDigits, kAfterDigits };

constexpr char kContentLength[] = "content-length";
constexpr uint32_t kContentLengthSize = sizeof(kContentLength) - 1;
constexpr uint32_t kCompactMatched = 0xff;  // aux_ in kName after a lone "l"
constexpr char kSipVersion[] = "sip/2.0";
constexpr uint32_t kSipVersionSize = sizeof(kSipVersion) - 1;

constexpr std::array<uint8_t, 256> make_lower() {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = (i >= 'A' && i <= 'Z') ? i + ('a' - 'A') : i;
  return t;
}
constexpr std::array<uint8_t, 256> kLower = make_lower();

// RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
constexpr std::array<bool, 256> make_token() {
  std::array<bool, 256> t{};
  for (int i = '0'; i <= '9'; ++i) t[i] = true;
  for (int i = 'a'; i <= 'z'; ++i) t[i] = t[i - 'a' + 'A'] = true;
  for (char c : std::string_view("-.!%*_+`'~")) t[static_cast<uint8_t>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kToken = make_token();

// Bytes allowed in a Request-URI: anything visible (SP ends it); the SIP parser checks the rest.
constexpr bool uri_byte(uint8_t c) {
  return c > 0x20 && c != 0x7f;
}
// Bytes allowed in a reason phrase: text, SP and HT, but no other controls (CR ends it).
constexpr bool reason_byte(uint8_t c) {
  return (c >= 0x20 && c != 0x7f) || c == '\t';
}
constexpr bool is_ws(uint8_t c) {
  return c == ' ' || c == '\t';
}
constexpr bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}

// First bytes of a header line that the state machine must look at: the blank line's CR and the
// names that may be Content-Length. SP/HT (a fold) continues the previous header, which only
// matters when that was Content-Length.
constexpr std::array<bool, 256> make_line_start_matters() {
  std::array<bool, 256> t{};
  for (char c : std::string_view("\rcClL")) t[static_cast<uint8_t>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kLineStartMatters = make_line_start_matters();

inline uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// `byte` placed where load64 puts the i-th byte in memory.
constexpr uint64_t at_byte(int i, uint8_t byte) {
  return uint64_t{byte} << 8 * (std::endian::native == std::endian::little ? i : 7 - i);
}

// Eight bytes to compare ignoring case: what load64 reads when they match in lower case, and the
// bits to OR into what it reads first. Only letters get the 0x20 bit: a letter's two cases are
// the only bytes that OR to its lower case, while '-' | 0x20 would also match CR (0x0d).
struct Pattern8 {
  uint64_t image = 0;
  uint64_t fold = 0;
};

// `s`: 8 bytes, letters in upper case.
constexpr Pattern8 pattern8(const char* s) {
  Pattern8 pat;
  for (int i = 0; i < 8; ++i) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    pat.image |= at_byte(i, kLower[c]);
    pat.fold |= at_byte(i, kLower[c] != c ? 0x20 : 0);
  }
  return pat;
}

constexpr Pattern8 kContentLengthHead = pattern8("CONTENT-");  // bytes 0..7 of the name
constexpr Pattern8 kContentLengthTail = pattern8("T-LENGTH");  // bytes 6..13
constexpr Pattern8 kSipVersionCr = pattern8("SIP/2.0\r");      // ends a request line
constexpr Pattern8 kSipVersionSp = pattern8("SIP/2.0 ");       // starts a status line

inline bool matches8(const uint8_t* p, Pattern8 pat) {
  return (load64(p) | pat.fold) == pat.image;
}

// Whether the 14 bytes at `p` are "Content-Length" in any case.
inline bool is_content_length(const uint8_t* p) {
  return matches8(p, kContentLengthHead) && matches8(p + 6, kContentLengthTail);
}

// Whether the header line at `line` < end, whose first byte kLineStartMatters flags, must be looked
// at: the blank line, and Content-Length or "l" followed by SP/HT or a colon; also any line that
// might be one of these once more bytes are there. The other lines are other headers'.
inline bool line_matters(const uint8_t* line, const uint8_t* end) {
  const uint8_t c = line[0];
  if (c == '\r') return true;
  if (kLower[c] == 'c') return end - line < kContentLengthSize || is_content_length(line);
  return end - line < 2 || is_ws(line[1]) || line[1] == ':';
}

#ifdef SIPRING_FRAMER_SSE2
// Offset of the first byte in [pos, end) that stops a run, or end. `lanes` flags stopping bytes
// 16 at a time (bit i for byte i), `stops` one at a time; they must agree.
template <typename Lanes, typename Stops>
inline uint32_t find_stop(const uint8_t* p, uint32_t pos, uint32_t end, Lanes lanes, Stops stops) {
  while (end - pos >= 16) {
    const unsigned m = lanes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + pos)));
    if (m != 0) return pos + __builtin_ctz(m);
    pos += 16;
  }
  if (pos < end && end >= 16) {
    // Load the range's last 16 bytes rather than read past it; the bits of the bytes before pos
    // (already examined, possibly overwritten since) are shifted out.
    const unsigned m = lanes(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + end - 16))) >>
                       (16 - (end - pos));
    return m != 0 ? pos + __builtin_ctz(m) : end;
  }
  while (pos < end && !stops(p[pos])) ++pos;
  return pos;
}

inline unsigned cr_lanes(__m128i v) {
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
}

// The lanes that fail uri_byte: v <= 0x20 (unsigned: min(v, 0x20) == v) or v == 0x7f.
inline unsigned non_uri_lanes(__m128i v) {
  const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
  const __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(low, del)));
}
#endif

// Offset of the first byte in [pos, end) that cannot be in a Request-URI, or end.
inline uint32_t skip_uri(const uint8_t* p, uint32_t pos, uint32_t end) {
#ifdef SIPRING_FRAMER_SSE2
  return find_stop(p, pos, end, non_uri_lanes, [](uint8_t c) { return !uri_byte(c); });
#else
  while (pos < end && uri_byte(p[pos])) ++pos;
  return pos;
#endif
}

// Skips header lines that are not Content-Length to their ends. On x86 it keeps a bit mask of
// the CRs in 64 bytes, so that a run of short lines is loaded once rather than once per line.
class LineSkipper {
 public:
  // The first line's rest starts at `from`; bytes before it are not looked at.
  LineSkipper(const uint8_t* p, uint32_t from, uint32_t end) : p_(p), end_(p + end) {
#ifdef SIPRING_FRAMER_SSE2
    base_ = p + from;
    crs_ = crs_at(base_);
#else
    from_ = p + from;
#endif
  }

  // Skips to the end of the current line, the first CRLF after the last CR returned (a bare CR
  // is part of the line), then past every following line that does not matter (line_matters):
  // those are other headers' lines or continue one. Returns true with `pos` at the first byte of
  // a line that matters (the state machine is then in kLineStart); otherwise `pos` is `end` and
  // `state` where the state machine resumes.
  [[gnu::always_inline]] bool next_line_that_matters(uint32_t& pos, uint8_t& state) {
    for (;;) {
      const uint8_t* const cr = next_cr();
      if (end_ - cr > 2) {
        if (cr[1] == '\n' && kLineStartMatters[cr[2]] && line_matters(cr + 2, end_)) {
          pos = static_cast<uint32_t>(cr + 2 - p_);
          state = kLineStart;
          return true;
        }
        continue;  // a bare CR, or a line that does not matter
      }
      if (end_ - cr == 2 && cr[1] != '\n') continue;  // a bare CR before the last byte
      // What is left ends at end: no CR, a CR without its LF yet, or a line end.
      state = cr == end_ ? kOtherHeader : end_ - cr == 1 ? kLineLF : kLineStart;
      pos = static_cast<uint32_t>(end_ - p_);
      return false;
    }
  }

  // The next CR not yet returned, or end.
  [[gnu::always_inline]] const uint8_t* next_cr() {
#ifdef SIPRING_FRAMER_SSE2
    while (crs_ == 0) {
      if (end_ - base_ <= 64) return end_;
      base_ += 64;
      crs_ = crs_at(base_);
    }
    const uint8_t* const cr = base_ + __builtin_ctzll(crs_);
    crs_ &= crs_ - 1;
    return cr;
#else
    const void* cr = std::memchr(from_, '\r', end_ - from_);
    if (cr == nullptr) return end_;
    from_ = static_cast<const uint8_t*>(cr) + 1;
    return static_cast<const uint8_t*>(cr);
#endif
  }

 private:
#ifdef SIPRING_FRAMER_SSE2
  // The CRs in [q, min(q + 64, end)) as bits, lowest for q. Never reads at or past end.
  uint64_t crs_at(const uint8_t* q) const {
    const size_t n = end_ - q;
    if (n >= 64) {
      return uint64_t{cr_lanes(load(q))} | uint64_t{cr_lanes(load(q + 16))} << 16 |
             uint64_t{cr_lanes(load(q + 32))} << 32 | uint64_t{cr_lanes(load(q + 48))} << 48;
    }
    uint64_t crs = 0;
    size_t k = 0;
    for (; n - k >= 16; k += 16) crs |= uint64_t{cr_lanes(load(q + k))} << k;
    const size_t rest = n - k;
    if (rest == 0) return crs;
    if (end_ - p_ >= 16) {
      // The last 16 bytes before end, less those already covered.
      return crs | uint64_t{cr_lanes(load(end_ - 16)) >> (16 - rest)} << k;
    }
    for (size_t i = k; i < n; ++i) crs |= uint64_t{q[i] == '\r'} << i;
    return crs;
  }

  static __m128i load(const uint8_t* q) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
  }
#endif

  const uint8_t* const p_;
  const uint8_t* const end_;
#ifdef SIPRING_FRAMER_SSE2
  const uint8_t* base_;  // where crs_'s lowest bit is
  uint64_t crs_;         // CRs not yet returned
#else
  const uint8_t* from_;  // where the next CR is searched for
#endif
};

// Parses the rest of a Content-Length line at once, from just after its name up to `cr`, the
// line's first CR: `*WSP ":" *WSP 1*9DIGIT *WSP`. Returns whether the line is that, with the
// value in `value`; otherwise the state machine decides, byte by byte. The CR stops every loop.
inline bool parse_content_length_value(const uint8_t* p, uint32_t pos, uint32_t cr,
                                       uint32_t& value) {
  while (is_ws(p[pos])) ++pos;
  if (p[pos] != ':') return false;
  ++pos;
  while (is_ws(p[pos])) ++pos;
  const uint32_t digits = pos;
  uint32_t v = 0;
  for (; is_digit(p[pos]); ++pos) {
    if (pos - digits == 9) return false;  // may not fit: the saturating path decides
    v = v * 10 + (p[pos] - '0');
  }
  if (pos == digits) return false;
  while (is_ws(p[pos])) ++pos;
  value = v;
  return pos == cr;
}

// Content-Length is compared against limits in 64 bits; beyond 32 it only matters that it is huge.
inline uint32_t add_digit(uint32_t v, uint8_t digit) {
  uint64_t next = uint64_t{v} * 10 + (digit - '0');
  return next > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(next);
}

ScanResult result(ScanResult::Kind kind, uint32_t length) {
  return ScanResult{kind, length, 0, FrameReason::kNone};
}

}  // namespace

const char* frame_reason_name(FrameReason r) noexcept {
  switch (r) {
    case FrameReason::kNone:
      return "none";
    case FrameReason::kMissingContentLength:
      return "missing-content-length";
    case FrameReason::kBadContentLength:
      return "bad-content-length";
    case FrameReason::kNegativeContentLength:
      return "negative-content-length";
    case FrameReason::kConflictingContentLength:
      return "conflicting-content-length";
    case FrameReason::kContentLengthTooLarge:
      return "content-length-too-large";
    case FrameReason::kHeadTooLong:
      return "head-too-long";
    case FrameReason::kBadStartLine:
      return "bad-start-line";
  }
  return "unknown";
}

ScanResult SipFramer::scan(std::span<const uint8_t> pending, uint32_t max_message_size) noexcept {
  const uint8_t* const p = pending.data();
  const size_t size = pending.size();

  if (state_ == kBody) {
    const uint32_t total = pos_ + cl_;  // cannot overflow: checked against max_message_size
    if (size < total) return result(ScanResult::kNeedMore, 0);
    const uint32_t head = pos_;
    reset();
    return ScanResult{ScanResult::kMessage, total, head, FrameReason::kNone};
  }

  // Work on locals so the loop keeps them in registers; they are stored back on kNeedMore.
  const uint32_t limit = max_message_size < kMaxHeadLength ? max_message_size : kMaxHeadLength;
  const uint32_t end = size < limit ? static_cast<uint32_t>(size) : limit;
  uint32_t pos;
  uint32_t aux;
  uint32_t cl;
  uint8_t state;
  bool has_cl;
  bool in_cl;
  uint8_t phase;

  if (state_ == kStart) {
    // Keep-alives are only recognised before a start line. The decision needs at most 4 bytes, so
    // it is re-taken from offset 0 until they are there rather than kept in state.
    if (size == 0) return result(ScanResult::kNeedMore, 0);
    if (p[0] == '\r') {
      if (size < 2) return result(ScanResult::kNeedMore, 0);
      if (p[1] != '\n') {
        return ScanResult{ScanResult::kError, 2, 0, FrameReason::kBadStartLine};
      }
      if (size < 3) return result(ScanResult::kNeedMore, 0);
      if (p[2] != '\r') return result(ScanResult::kSkip, 2);
      if (size < 4) return result(ScanResult::kNeedMore, 0);
      if (p[3] == '\n') return result(ScanResult::kPing, 4);
      return result(ScanResult::kSkip, 2);
    }
    // A new message (kStart is the reset state, so the other fields are zero).
    state = kMethod;
    pos = aux = cl = 0;
    has_cl = in_cl = false;
    phase = kBeforeDigits;
    // Take the usual start lines' first parts at once. Anything else is left to the state
    // machine from offset 0; this is tried once per message, so it costs O(1) passes.
    if (end >= 12 && matches8(p, kSipVersionSp) && is_digit(p[8]) && is_digit(p[9]) &&
        is_digit(p[10]) && p[11] == ' ') {
      state = kRespReason;
      pos = 12;
    } else {
      // "SIP/" cannot be in here ('/' is not a token character), so this is a request's method.
      const uint8_t* method_end = p;
      const uint8_t* const stop = p + end;
      while (method_end != stop && kToken[*method_end]) ++method_end;
      if (method_end != p && method_end != stop && *method_end == ' ') {
        state = kUri;
        pos = aux = static_cast<uint32_t>(method_end - p) + 1;
      }
    }
  } else {
    pos = pos_;
    aux = aux_;
    cl = cl_;
    state = state_;
    has_cl = has_cl_;
    in_cl = in_cl_;
    phase = phase_;
  }

  auto fail = [this](FrameReason reason, uint32_t seen) {
    reset();
    return ScanResult{ScanResult::kError, seen, 0, reason};
  };

  auto begin_value = [&] {
    state = kClValue;
    in_cl = true;
    phase = kBeforeDigits;
    // The first Content-Length accumulates into cl, repeats into aux for comparison.
    if (has_cl) {
      aux = 0;
    } else {
      cl = 0;
    }
  };

  // The blank line ended at `head`.
  auto complete = [&](uint32_t head) {
    if (!has_cl) return fail(FrameReason::kMissingContentLength, head);
    if (uint64_t{head} + cl > max_message_size) {
      return fail(FrameReason::kContentLengthTooLarge, head);
    }
    const uint32_t total = head + cl;
    if (size >= total) {
      reset();
      return ScanResult{ScanResult::kMessage, total, head, FrameReason::kNone};
    }
    pos_ = head;
    state_ = kBody;
    cl_ = cl;
    return result(ScanResult::kNeedMore, 0);
  };

  while (pos < end) {
    uint8_t c = p[pos];
    switch (state) {
      case kMethod:
        if (kToken[c]) {
          // "SIP/" can only start a status line: '/' is not a token character.
          if (pos == aux && pos < 3 && kLower[c] == kSipVersion[pos]) ++aux;
          ++pos;
          while (pos < end && kToken[p[pos]] && pos >= 3) ++pos;
        } else if (c == ' ' && pos > 0) {
          state = kUri;
          aux = ++pos;
        } else if (c == '/' && pos == 3 && aux == 3) {
          state = kRespVersion;
          ++pos;
        } else {
          return fail(FrameReason::kBadStartLine, pos + 1);
        }
        break;

      case kUri:
        pos = skip_uri(p, pos, end);
        if (pos == end) break;
        // The first byte that cannot be in the URI must be the SP before a non-empty URI.
        if (p[pos] != ' ' || pos == aux) return fail(FrameReason::kBadStartLine, pos + 1);
        ++pos;
        if (end - pos > kSipVersionSize + 1 && matches8(p + pos, kSipVersionCr) &&
            p[pos + kSipVersionSize + 1] == '\n') {
          state = kLineStart;
          pos += kSipVersionSize + 2;
        } else {
          state = kReqVersion;
          aux = pos;
        }
        break;

      case kReqVersion:
        if (pos - aux < kSipVersionSize) {
          if (kLower[c] != kSipVersion[pos - aux]) return fail(FrameReason::kBadStartLine, pos + 1);
          ++pos;
        } else if (c == '\r') {
          state = kStartLF;
          ++pos;
        } else {
          return fail(FrameReason::kBadStartLine, pos + 1);
        }
        break;

      case kRespVersion: {
        // Offsets 4..11 of "SIP/2.0 ddd ".
        bool ok;
        if (pos < kSipVersionSize) {
          ok = kLower[c] == kSipVersion[pos];
        } else if (pos == 7 || pos == 11) {
          ok = c == ' ';
        } else {
          ok = is_digit(c);
        }
        if (!ok) return fail(FrameReason::kBadStartLine, pos + 1);
        if (++pos == 12) state = kRespReason;
        break;
      }

      case kRespReason:
        if (c == '\r') {
          state = kStartLF;
          ++pos;
        } else if (reason_byte(c)) {
          ++pos;
          while (pos < end && reason_byte(p[pos])) ++pos;
        } else {
          return fail(FrameReason::kBadStartLine, pos + 1);
        }
        break;

      case kStartLF:
        if (c != '\n') return fail(FrameReason::kBadStartLine, pos + 1);
        state = kLineStart;
        ++pos;
        break;

      case kLineStart:
        if (is_ws(c)) {
          // A folded line continues the previous header.
          if (in_cl) {
            if (phase == kInDigits) phase = kAfterDigits;
            state = kClValue;
          } else {
            state = kOtherHeader;
          }
          ++pos;
          break;
        }
        if (in_cl) {
          // The Content-Length header ended with the previous line.
          if (phase == kBeforeDigits) return fail(FrameReason::kBadContentLength, pos + 1);
          if (has_cl && aux != cl) return fail(FrameReason::kConflictingContentLength, pos + 1);
          has_cl = true;
          in_cl = false;
        }
        {
          // Whole lines from here while they are plain. A line that is not is handed to the state
          // machine at the state and offset its bytes lead to; `break` leaves for it.
          LineSkipper lines(p, pos + 1, end);
          for (;;) {
            // pos < end is the first byte (c) of a line that does not continue Content-Length;
            // `lines` has looked at nothing after it.
            if (kLineStartMatters[c]) {
              if (c == '\r') {
                if (end - pos >= 2 && p[pos + 1] == '\n') return complete(pos + 2);
                state = kBlankLF;
                ++pos;
                break;
              }
              uint32_t name_end;
              uint32_t name_aux;
              if (kLower[c] == 'c') {
                if (end - pos < kContentLengthSize) {
                  state = kName;
                  aux = 1;
                  ++pos;
                  break;
                }
                // A mismatch makes the line an other header's. The state machine would look for
                // its end from the mismatch, but the bytes before that are name characters, not
                // CR, so the first CRLF after the line's first byte is the same.
                name_end = is_content_length(p + pos) ? pos + kContentLengthSize : 0;
                name_aux = kContentLengthSize;
              } else {  // the compact form "l", if a colon or SP/HT follows
                if (end - pos < 2) {
                  state = kName;
                  aux = kCompactMatched;
                  ++pos;
                  break;
                }
                name_end = is_ws(p[pos + 1]) || p[pos + 1] == ':' ? pos + 1 : 0;
                name_aux = kCompactMatched;
              }
              if (name_end != 0) {
                // The line's first CR is the next one: the name has none.
                const uint32_t cr = static_cast<uint32_t>(lines.next_cr() - p);
                uint32_t value;
                if (end - cr < 3 || !parse_content_length_value(p, name_end, cr, value) ||
                    p[cr + 1] != '\n' || is_ws(p[cr + 2]) || (has_cl && value != cl)) {
                  state = kName;
                  aux = name_aux;
                  pos = name_end;
                  break;
                }
                has_cl = true;
                cl = value;
                pos = cr + 2;  // `lines` has looked at nothing after it either
                c = p[pos];
                continue;
              }
            }
            if (!lines.next_line_that_matters(pos, state)) break;
            c = p[pos];
          }
        }
        break;

      case kName:
        if (aux < kContentLengthSize && kLower[c] == kContentLength[aux]) {
          ++aux;
          ++pos;
        } else if ((aux == kContentLengthSize || aux == kCompactMatched) && is_ws(c)) {
          state = kNameWs;
          ++pos;
        } else if ((aux == kContentLengthSize || aux == kCompactMatched) && c == ':') {
          begin_value();
          ++pos;
        } else {
          state = kOtherHeader;  // re-examines c there
        }
        break;

      case kNameWs:
        if (is_ws(c)) {
          ++pos;
        } else if (c == ':') {
          begin_value();
          ++pos;
        } else {
          state = kOtherHeader;  // "Content-Length x:" is some other, malformed header
        }
        break;

      case kClValue:
        if (is_digit(c)) {
          if (phase == kAfterDigits) return fail(FrameReason::kBadContentLength, pos + 1);
          if (has_cl) {
            aux = add_digit(aux, c);
          } else {
            cl = add_digit(cl, c);
          }
          phase = kInDigits;
        } else if (is_ws(c)) {
          if (phase == kInDigits) phase = kAfterDigits;
        } else if (c == '\r') {
          state = kLineLF;
        } else if (c == '-' && phase == kBeforeDigits) {
          return fail(FrameReason::kNegativeContentLength, pos + 1);
        } else {
          return fail(FrameReason::kBadContentLength, pos + 1);
        }
        ++pos;
        break;

      case kOtherHeader:
        // Not Content-Length (in_cl is false), so folds do not matter either.
        LineSkipper(p, pos, end).next_line_that_matters(pos, state);
        break;

      case kLineLF:
        if (c == '\n') {
          state = kLineStart;
          ++pos;
        } else if (in_cl) {
          return fail(FrameReason::kBadContentLength, pos + 1);  // a bare CR in the value
        } else {
          state = kOtherHeader;  // a bare CR inside some other header is its business
        }
        break;

      case kBlankLF:
        if (c != '\n') {
          state = kOtherHeader;  // "\r" then text: not the blank line, just an odd header line
          break;
        }
        return complete(pos + 1);

      default:
        __builtin_unreachable();
    }
  }

  if (pos >= limit) return fail(FrameReason::kHeadTooLong, limit);
  pos_ = pos;
  aux_ = aux;
  cl_ = cl;
  state_ = state;
  has_cl_ = has_cl;
  in_cl_ = in_cl;
  phase_ = phase;
  return result(ScanResult::kNeedMore, 0);
}

}  // namespace sipring
