// The SIP framer's states and its fast paths (engine/sip/sip_framer.cc runs them).
//
// The state machine in SipFramer::scan examines the head byte by byte; these paths take whole
// header lines at once when their first bytes show that they are neither Content-Length nor the
// blank line, and a plain Content-Length line in one go. Each hands over to the state machine at
// the state and offset it would have reached byte by byte, which is why the states are defined
// here. Inline: scan() keeps its state in registers across them.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "engine/sip/chars.h"
#include "engine/sip/scan.h"
#include "engine/sip/sip_framer.h"

namespace sipring::sip {

// The state machine's states (SipFramer::state_). A state is where the next unexamined byte
// (pos_) falls.
enum FramerState : uint8_t {
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
enum ClPhase : uint8_t { kBeforeDigits, kInDigits, kAfterDigits };

inline constexpr char kContentLength[] = "content-length";
inline constexpr uint32_t kContentLengthSize = sizeof(kContentLength) - 1;
inline constexpr uint32_t kCompactMatched = 0xff;  // aux_ in kName after a lone "l"
inline constexpr uint32_t kSipVersionSize = kSipVersion.size();

// First bytes of a header line that the state machine must look at: the blank line's CR and the
// names that may be Content-Length. SP/HT (a fold) continues the previous header, which only
// matters when that was Content-Length.
inline constexpr ByteTable kLineStartMatters = byte_table("\rcClL");

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
    pat.image |= at_byte(i, lower(c));
    pat.fold |= at_byte(i, lower(c) != c ? 0x20 : 0);
  }
  return pat;
}

inline constexpr Pattern8 kContentLengthHead = pattern8("CONTENT-");  // bytes 0..7 of the name
inline constexpr Pattern8 kContentLengthTail = pattern8("T-LENGTH");  // bytes 6..13
inline constexpr Pattern8 kSipVersionCr = pattern8("SIP/2.0\r");      // ends a request line
inline constexpr Pattern8 kSipVersionSp = pattern8("SIP/2.0 ");       // starts a status line

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
  if (lower(c) == 'c') return end - line < kContentLengthSize || is_content_length(line);
  return end - line < 2 || is_ws(line[1]) || line[1] == ':';
}

// Skips header lines that are not Content-Length to their ends. It keeps a bit mask of the CRs
// in 64 bytes (mask64), so that a run of short lines is loaded once rather than once per line.
class LineSkipper {
 public:
  // The first line's rest starts at `from`; bytes before it are not looked at.
  LineSkipper(const uint8_t* p, uint32_t from, uint32_t end)
      : p_(p), end_(p + end), base_(p + from), crs_(mask64<Cr>(p, p + from, p + end)) {}

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
    while (crs_ == 0) {
      if (end_ - base_ <= 64) return end_;
      base_ += 64;
      crs_ = mask64<Cr>(p_, base_, end_);
    }
    const uint8_t* const cr = base_ + __builtin_ctzll(crs_);
    crs_ &= crs_ - 1;
    return cr;
  }

 private:
  const uint8_t* const p_;
  const uint8_t* const end_;
  const uint8_t* base_;  // where crs_'s lowest bit is
  uint64_t crs_;         // CRs not yet returned
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

}  // namespace sipring::sip
