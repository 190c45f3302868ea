// Stateless SIP responses built straight from a request's head.
//
// The demo core answers every request but ACK with 200 OK, and the engine sends 400 Bad Request
// before closing a connection whose message it could not frame. Neither keeps transaction state,
// so everything a response needs (Vias, From, To, Call-ID, CSeq, a To tag) is derived from the
// request bytes alone, without allocating, into a caller-provided buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sipring {

// What the first line of a SIP message says.
struct StartLine {
  enum Kind : uint8_t { kRequest, kResponse, kInvalid } kind = kInvalid;
  std::string_view method;  // requests only; points into the parsed message
  int status = 0;           // responses only; 100..699
};

// Classifies the first line of `message`. CRLFs before it (stream keep-alives) are skipped; the
// line ends at the first LF (an optional CR before it is dropped) or at the end of `message`.
// A request line must be `token SP Request-URI SP SIP/2.0`; a status line `SIP/2.0 SP 3DIGIT`
// with the code in 100..699, followed by SP and a reason or by the line end. "SIP/2.0" is matched
// case-insensitively, methods are kept as sent (they are case-sensitive). Anything else, including
// other SIP versions, is kInvalid.
StartLine parse_start_line(std::span<const uint8_t> message) noexcept;

// Returns true when `line` is an ACK request, which gets no response.
bool is_ack(const StartLine& line) noexcept;

enum class ResponseError : uint8_t {
  kOk,
  kNotARequest,  // the start line is a status line or is malformed
  kMissingVia,
  kMissingFrom,
  kMissingTo,  // also when the To value is unparseable (unterminated quote or '<' without '>')
  kMissingCallId,
  kMissingCSeq,
  kOutputTooSmall,
  kInvalidStatus,  // `code` outside 100..699, or `reason` holds a control character
};

// Stable short name of `error`, e.g. "missing-call-id".
const char* response_error_name(ResponseError error) noexcept;

// Builds the response "SIP/2.0 <code> <reason>" to `request` into `out`.
//
// Only the request head is read (the body is ignored). The response carries, in this order: every
// Via header field as sent (several lines and comma-separated values keep their order), From, To
// with ";tag=<16 hex digits>" appended when it has no tag parameter, Call-ID, CSeq, then
// "Content-Length: 0" and the blank line. Header names are matched case-insensitively, including
// the compact forms v/f/t/i, and emitted in canonical form; values are trimmed and folded
// continuation lines are joined with a single SP. Header fields with empty values are ignored; when
// From, To, Call-ID or CSeq appears more than once, the first is used. Lines end in CRLF.
//
// The added To tag is a hash of Call-ID, From tag and CSeq number, so a retransmitted request, or a
// CANCEL for an INVITE, gets the same tag. It is deterministic, not random: anyone can predict it.
//
// `request` may be truncated: a header field is used only once the first byte of the line after
// it is present (that byte tells whether a folded continuation follows), so pass the head with its
// blank line. kInvalidStatus is checked first, then the other errors in the order of ResponseError.
//
// Returns kOk and sets `*written` to the response length on success. Returns kOutputTooSmall and
// sets `*written` to the length needed when `out` is too short. On any other error `*written` is
// 0. On failure the contents of `out` are unspecified.
ResponseError build_response(std::span<const uint8_t> request, int code, std::string_view reason,
                             std::span<uint8_t> out, size_t* written) noexcept;

}  // namespace sipring
