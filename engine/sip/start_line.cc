// Start lines: a one-pass recogniser for the usual request line, and the careful
// classify_start_line that defines what every line means (status lines, malformed lines).
#include "engine/sip/start_line.h"

#include <cstring>

#include "engine/sip/chars.h"
#include "engine/sip/scan.h"

namespace sipring {

using namespace sip;

namespace {

// Offset of the first LF in p[i, n), or n: the end of a start line that parse_request_line did
// not take.
size_t find_lf(const char* p, size_t i, size_t n) noexcept {
  const void* lf = i < n ? std::memchr(p + i, '\n', n - i) : nullptr;
  return lf == nullptr ? n : static_cast<size_t>(static_cast<const char*>(lf) - p);
}

StartLine classify_start_line(std::string_view line) noexcept {
  StartLine out;
  if (line.size() > kSipVersion.size() && line[kSipVersion.size()] == ' ' &&
      is_sip_version(line.data())) {
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
    if (!is_uri_byte(line[i])) return out;
  }
  const std::string_view version = line.substr(sp2 + 1);
  if (version.size() != kSipVersion.size() || !is_sip_version(version.data())) return out;
  out.kind = StartLine::kRequest;
  out.method = method;
  return out;
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
  size_t j = find_first<NonUri>(p, uri, n);
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

}  // namespace

StartLine sip::parse_start(std::string_view msg, size_t* next) noexcept {
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

StartLine parse_start_line(std::span<const uint8_t> message) noexcept {
  size_t next;
  return parse_start({reinterpret_cast<const char*>(message.data()), message.size()}, &next);
}

bool is_ack(const StartLine& line) noexcept {
  return line.kind == StartLine::kRequest && line.method == "ACK";
}

}  // namespace sipring
