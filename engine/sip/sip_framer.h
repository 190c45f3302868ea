// Splits one connection's byte stream (TLS or TCP) into SIP messages, as RFC 3261 §18.3 requires
// of stream transports: a head ending in a blank line, then exactly Content-Length body bytes.
//
// The framer only finds message boundaries and rejects streams that cannot be framed; it does not
// parse SIP beyond the start line and Content-Length. It lives in every connection, so its state
// is 12 bytes, and it is incremental: a peer trickling bytes costs O(n) in total, because each
// byte of a head is examined once however the stream is segmented.
#pragma once

#include <cstdint>
#include <span>

namespace sipring {

// Why a stream could not be framed. Values index counters: keep them dense.
enum class FrameReason : uint8_t {
  kNone,
  kMissingContentLength,      // stream transports require it (RFC 3261 §18.3)
  kBadContentLength,          // not 1*DIGIT, e.g. empty, "5a", "5 5", "+5"
  kNegativeContentLength,     // the value starts with '-'
  kConflictingContentLength,  // repeated with a different value
  kContentLengthTooLarge,     // head + body would exceed max_message_size
  kHeadTooLong,               // no blank line within the size limit
  kBadStartLine,              // neither a request line nor a status line
};
inline constexpr int kFrameReasonCount = 8;

// Stable short name of `r` for counters and logs, e.g. "missing-content-length"; "none" for kNone
// and "unknown" for values outside the enum.
const char* frame_reason_name(FrameReason r) noexcept;

// What SipFramer::scan found at the start of the pending bytes.
struct ScanResult {
  enum Kind : uint8_t {
    kNeedMore,  // no decision yet: call again with more bytes
    kMessage,   // a whole message (head and body) is at the front
    kSkip,      // a lone CRLF before a start line: drop it
    kPing,      // an RFC 5626 CRLFCRLF keep-alive: drop it and answer with CRLF
    kError,     // the stream cannot be framed; the connection must be closed
  };
  Kind kind = kNeedMore;
  // kMessage: head + body; kSkip: 2; kPing: 4; kError: bytes examined up to and including the
  // one that decided (the limit for kHeadTooLong, the head for kMissing.../kContentLengthTooLarge).
  uint32_t length = 0;
  uint32_t head_length = 0;                 // kMessage: bytes up to and including the blank line
  FrameReason reason = FrameReason::kNone;  // kError only
};

// Incremental framer for one connection.
class SipFramer {
 public:
  // The resume offset is kept in 24 bits so that the framer fits in 12 bytes. Heads longer than
  // this are kHeadTooLong even when max_message_size would allow them; bodies are not limited by
  // it (only by max_message_size).
  static constexpr uint32_t kMaxHeadLength = (1u << 24) - 1;

  // Looks for one message (or keep-alive) at the start of `pending`, which holds this connection's
  // unconsumed bytes starting at the current message boundary. Successive calls must pass the
  // same prefix extended with new bytes, and the same `max_message_size`: work done on the prefix
  // is not repeated. On kNeedMore nothing is consumed. After any other result the framer has reset
  // itself; the caller drops `length` bytes and calls again on what follows. kError is terminal
  // for the connection. The result never depends on how the stream was segmented.
  //
  // Rules: the start line is checked as soon as its CRLF arrives (`token SP uri SP SIP/2.0` or
  // `SIP/2.0 SP 3DIGIT SP reason`, "SIP/2.0" case-insensitive); Content-Length (or compact "l",
  // any case, folding and SP/HT around the value allowed) is required and must be 1*DIGIT;
  // repeats must agree; head + body must not exceed `max_message_size`, which is checked as soon
  // as the head is complete. Content-Length values above 2^32-1 are saturated, so two such
  // values count as equal (and too large). Other header lines are not validated.
  ScanResult scan(std::span<const uint8_t> pending, uint32_t max_message_size) noexcept;

  // Forgets any partial message, e.g. when `pending` is discarded.
  void reset() noexcept { *this = SipFramer(); }

  // Bytes of `pending` already examined; the next scan starts there. Once the head is complete it
  // is the head length (the body is only counted, not examined). For tests and diagnostics.
  uint32_t resume_offset() const noexcept { return pos_; }

 private:
  uint32_t pos_ : 24 = 0;    // resume offset
  uint32_t state_ : 4 = 0;   // internal FramerState (framer_fast_paths.h)
  uint32_t has_cl_ : 1 = 0;  // a complete Content-Length header was seen; its value is in cl_
  uint32_t in_cl_ : 1 = 0;   // the current header line is Content-Length (folds continue it)
  uint32_t phase_ : 2 = 0;   // where in the Content-Length value: before/in/after the digits
  uint32_t cl_ = 0;          // the first Content-Length value (saturated)
  uint32_t aux_ = 0;         // per state: "SIP" prefix match, URI/version start, name match,
                             // or the value of a repeated Content-Length
};

static_assert(sizeof(SipFramer) <= 12, "SipFramer lives in every connection");

}  // namespace sipring
