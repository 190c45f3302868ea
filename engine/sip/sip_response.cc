// Stateless SIP response builder: start-line classification, head scanning and response output.
//
// build_response runs once per request on the server's hot path, so it makes a single pass over
// the head: LFs are found 64 bytes at a time with 16-byte vector compares, header names are
// recognised by their first byte before anything else is compared, Vias are written out as they
// are met, and values that hold no CR or LF (the common case) are copied whole. The To tag hash
// is fed a few bytes per line while the scan goes on (see TagHash). Folded lines, stray CRs and
// start lines that are not plain requests take the careful byte-by-byte code (append_unfolded,
// trim, classify_start_line), which defines what every path must produce.
//
// The pieces: engine/sip/start_line.cc (the start line), head_scan.h (the pass over the head),
// header_value.h/.cc (trimming, unfolding, From/To tags), to_tag.h (the added To tag) and
// response_writer.h (output); the inline ones are inlined here, into build_response.
#include "sipring/sip_response.h"

#include <iterator>
#include <tuple>

#include "engine/sip/chars.h"
#include "engine/sip/head_scan.h"
#include "engine/sip/header_value.h"
#include "engine/sip/response_writer.h"
#include "engine/sip/start_line.h"
#include "engine/sip/to_tag.h"

namespace sipring {

using namespace sip;

namespace {

bool valid_reason(std::string_view reason) noexcept {
  for (char c : reason) {
    if (!is_reason_byte(c)) return false;
  }
  return true;
}

// response_error_name's names, indexed by ResponseError.
constexpr const char* kResponseErrorNames[] = {
    "ok",                // kOk
    "not-a-request",     // kNotARequest
    "missing-via",       // kMissingVia
    "missing-from",      // kMissingFrom
    "missing-to",        // kMissingTo
    "missing-call-id",   // kMissingCallId
    "missing-cseq",      // kMissingCSeq
    "output-too-small",  // kOutputTooSmall
    "invalid-status",    // kInvalidStatus
};
static_assert(std::size(kResponseErrorNames) ==
              static_cast<size_t>(ResponseError::kInvalidStatus) + 1);

}  // namespace

const char* response_error_name(ResponseError error) noexcept {
  const auto i = static_cast<size_t>(error);
  return i < std::size(kResponseErrorNames) ? kResponseErrorNames[i] : "unknown";
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
