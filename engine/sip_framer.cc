// SIP stream framing (RFC 3261 §18.3): a resumable byte state machine over the head, with memchr
// over the bytes it does not need to understand (other headers' values).
#include "engine/sip_framer.h"

#include <array>
#include <cstring>
#include <string_view>

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
    state_ = kMethod;
  }

  // Work on locals so the loop keeps them in registers; they are stored back on kNeedMore.
  const uint32_t limit = max_message_size < kMaxHeadLength ? max_message_size : kMaxHeadLength;
  const uint32_t end = size < limit ? static_cast<uint32_t>(size) : limit;
  uint32_t pos = pos_;
  uint32_t aux = aux_;
  uint32_t cl = cl_;
  uint8_t state = state_;
  bool has_cl = has_cl_;
  bool in_cl = in_cl_;
  uint8_t phase = phase_;

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

  while (pos < end) {
    const uint8_t c = p[pos];
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
        if (c == ' ') {
          if (pos == aux) return fail(FrameReason::kBadStartLine, pos + 1);  // empty URI
          state = kReqVersion;
          aux = ++pos;
        } else if (uri_byte(c)) {
          ++pos;
          while (pos < end && uri_byte(p[pos])) ++pos;
        } else {
          return fail(FrameReason::kBadStartLine, pos + 1);
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
        ++pos;
        if (c == '\r') {
          state = kBlankLF;
        } else if (kLower[c] == 'c') {
          state = kName;
          aux = 1;
        } else if (kLower[c] == 'l') {
          state = kName;
          aux = kCompactMatched;
        } else {
          state = kOtherHeader;
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

      case kOtherHeader: {
        const void* cr = std::memchr(p + pos, '\r', end - pos);
        if (cr == nullptr) {
          pos = end;
          break;
        }
        pos = static_cast<uint32_t>(static_cast<const uint8_t*>(cr) - p) + 1;
        if (pos < end && p[pos] == '\n') {
          ++pos;
          state = kLineStart;
        } else {
          state = kLineLF;
        }
        break;
      }

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

      case kBlankLF: {
        if (c != '\n') {
          state = kOtherHeader;  // "\r" then text: not the blank line, just an odd header line
          break;
        }
        const uint32_t head = pos + 1;
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
      }

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
