// SIP stream framing (RFC 3261 §18.3): a resumable byte state machine over the head, with fast
// paths for the common case. The usual start lines are taken whole; header lines are skipped to
// their CRLFs, found 64 bytes at a time with SSE2, unless their first bytes show that they may
// be Content-Length or the blank line; a plain Content-Length line is parsed in one go. Whatever
// a fast path does not recognise is left to the state machine at the state and offset it would
// have reached byte by byte, so results and resume offsets do not depend on which path ran. The
// states and the line fast paths are in engine/sip/framer_fast_paths.h.
#include "engine/sip/sip_framer.h"

#include <iterator>

#include "engine/sip/chars.h"
#include "engine/sip/framer_fast_paths.h"
#include "engine/sip/scan.h"

namespace sipring {

using namespace sip;

namespace {

ScanResult result(ScanResult::Kind kind, uint32_t length) {
  return ScanResult{kind, length, 0, FrameReason::kNone};
}

// frame_reason_name's names, indexed by FrameReason.
constexpr const char* kFrameReasonNames[] = {
    "none",                        // kNone
    "missing-content-length",      // kMissingContentLength
    "bad-content-length",          // kBadContentLength
    "negative-content-length",     // kNegativeContentLength
    "conflicting-content-length",  // kConflictingContentLength
    "content-length-too-large",    // kContentLengthTooLarge
    "head-too-long",               // kHeadTooLong
    "bad-start-line",              // kBadStartLine
};
static_assert(std::size(kFrameReasonNames) == kFrameReasonCount);

}  // namespace

const char* frame_reason_name(FrameReason r) noexcept {
  const auto i = static_cast<size_t>(r);
  return i < std::size(kFrameReasonNames) ? kFrameReasonNames[i] : "unknown";
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
  uint32_t pos = pos_;
  uint32_t aux = aux_;
  uint32_t cl = cl_;
  uint8_t state = state_;
  bool has_cl = has_cl_;
  bool in_cl = in_cl_;
  uint8_t phase = phase_;

  if (state == kStart) {
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
    // A new message. kStart is the reset state, so the other locals are zero already.
    state = kMethod;
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
      while (method_end != stop && kTokenChars[*method_end]) ++method_end;
      if (method_end != p && method_end != stop && *method_end == ' ') {
        state = kUri;
        pos = aux = static_cast<uint32_t>(method_end - p) + 1;
      }
    }
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
        if (kTokenChars[c]) {
          // "SIP/" can only start a status line: '/' is not a token character.
          if (pos == aux && pos < 3 && lower(c) == kSipVersion[pos]) ++aux;
          ++pos;
          while (pos < end && kTokenChars[p[pos]] && pos >= 3) ++pos;
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
        pos = static_cast<uint32_t>(find_first<NonUri>(p, pos, end));
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
          if (lower(c) != kSipVersion[pos - aux]) return fail(FrameReason::kBadStartLine, pos + 1);
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
          ok = lower(c) == kSipVersion[pos];
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
        } else if (is_reason_byte(c)) {
          ++pos;
          while (pos < end && is_reason_byte(p[pos])) ++pos;
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
              if (lower(c) == 'c') {
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
        if (aux < kContentLengthSize && lower(c) == kContentLength[aux]) {
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
