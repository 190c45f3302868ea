// Stateless SIP response builder: start-line classification, head scanning and response output.
#include "sipring/sip_response.h"

#include <array>
#include <cstring>

namespace sipring {
namespace {

constexpr std::string_view kSipVersion = "SIP/2.0";

constexpr bool is_ws(char c) {
  return c == ' ' || c == '\t';
}
// Whitespace inside a raw header value, which may still hold the line breaks of folds.
constexpr bool is_lws(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
constexpr bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
constexpr char to_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c | 0x20) : c;
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

// parse_start_line that also reports where the line after the start line begins.
StartLine parse_start(std::string_view msg, size_t* next) noexcept {
  size_t pos = 0;
  while (pos < msg.size()) {
    if (msg[pos] == '\n') {
      pos += 1;
    } else if (msg[pos] == '\r' && pos + 1 < msg.size() && msg[pos + 1] == '\n') {
      pos += 2;
    } else {
      break;
    }
  }
  size_t nl = msg.find('\n', pos);
  size_t end = nl == std::string_view::npos ? msg.size() : nl;
  *next = nl == std::string_view::npos ? msg.size() : nl + 1;
  if (end > pos && msg[end - 1] == '\r') --end;
  return classify_start_line(msg.substr(pos, end - pos));
}

enum class HeaderKind : uint8_t { kOther, kVia, kFrom, kTo, kCallId, kCSeq };

HeaderKind classify_name(std::string_view name) noexcept {
  switch (name.size()) {
    case 1:
      switch (to_lower(name[0])) {
        case 'v':
          return HeaderKind::kVia;
        case 'f':
          return HeaderKind::kFrom;
        case 't':
          return HeaderKind::kTo;
        case 'i':
          return HeaderKind::kCallId;
      }
      return HeaderKind::kOther;
    case 2:
      return iequals(name, "To") ? HeaderKind::kTo : HeaderKind::kOther;
    case 3:
      return iequals(name, "Via") ? HeaderKind::kVia : HeaderKind::kOther;
    case 4:
      if (iequals(name, "From")) return HeaderKind::kFrom;
      return iequals(name, "CSeq") ? HeaderKind::kCSeq : HeaderKind::kOther;
    case 7:
      return iequals(name, "Call-ID") ? HeaderKind::kCallId : HeaderKind::kOther;
  }
  return HeaderKind::kOther;
}

struct Header {
  HeaderKind kind;
  size_t line;             // offset of the field's first line in the message
  std::string_view value;  // trimmed; interior folds still hold their line breaks
};

// Walks the header fields of a head, one complete field (with its continuation lines) at a time.
class HeaderCursor {
 public:
  HeaderCursor(std::string_view msg, size_t pos) : msg_(msg), pos_(pos) {}

  // Stores the next well-formed field in *h and returns true. Returns false at the blank line
  // ending the head, or where the input ends before the next field is known to be complete.
  // Lines that are not `token *WS ":" value` are skipped.
  bool next(Header* h) noexcept {
    constexpr size_t npos = std::string_view::npos;
    while (pos_ < msg_.size()) {
      size_t start = pos_;
      if (msg_[start] == '\n' || msg_[start] == '\r') {
        // The blank line; a lone CR at the very end is most likely its start, and either way
        // nothing complete can follow it.
        if (msg_[start] == '\n' || start + 1 >= msg_.size() || msg_[start + 1] == '\n') break;
      }
      size_t nl = msg_.find('\n', start);
      if (nl == npos) break;
      // A field continues while the next line starts with whitespace; the byte after the last
      // line must be present to know it does not.
      while (nl + 1 < msg_.size() && is_ws(msg_[nl + 1])) {
        nl = msg_.find('\n', nl + 1);
        if (nl == npos) break;
      }
      if (nl == npos || nl + 1 >= msg_.size()) break;
      pos_ = nl + 1;

      std::string_view field = msg_.substr(start, nl - start);
      size_t i = 0;
      while (i < field.size() && is_token_char(field[i])) ++i;
      if (i == 0) continue;  // a stray continuation right after the start line, or junk
      std::string_view name = field.substr(0, i);
      while (i < field.size() && is_ws(field[i])) ++i;
      if (i == field.size() || field[i] != ':') continue;
      h->kind = classify_name(name);
      h->line = start;
      h->value = trim(field.substr(i + 1));
      return true;
    }
    pos_ = msg_.size();
    return false;
  }

 private:
  std::string_view msg_;
  size_t pos_;
};

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
  size_t i = 0;
  while (i < v.size()) {
    if (v[i] == '"') {
      if (!skip_quoted(v, &i)) return out;
    } else if (v[i] == '<') {
      size_t gt = v.find('>', i + 1);
      if (gt == std::string_view::npos) return out;
      i = gt + 1;
      break;
    } else if (v[i] == ';') {
      break;
    } else {
      ++i;
    }
  }
  while (i < v.size()) {
    if (v[i] == '"') {
      if (!skip_quoted(v, &i)) return out;
      continue;
    }
    if (v[i] != ';') {
      ++i;
      continue;
    }
    ++i;
    skip_lws(v, &i);
    size_t name_start = i;
    while (i < v.size() && is_token_char(v[i])) ++i;
    std::string_view name = v.substr(name_start, i - name_start);
    skip_lws(v, &i);
    std::string_view param_value;
    if (i < v.size() && v[i] == '=') {
      ++i;
      skip_lws(v, &i);
      size_t value_start = i;
      if (i < v.size() && v[i] == '"') {
        if (!skip_quoted(v, &i)) return out;
      } else {
        while (i < v.size() && !is_lws(v[i]) && v[i] != ';') ++i;
      }
      param_value = v.substr(value_start, i - value_start);
    }
    if (!out.has_tag && iequals(name, "tag")) {
      out.has_tag = true;
      out.tag = param_value;
    }
  }
  out.ok = true;
  return out;
}

// FNV-1a over the unfolded bytes; good enough spread for a tag that only has to be stable.
struct TagHasher {
  uint64_t h = 0xcbf29ce484222325ull;
  void append(std::string_view s) noexcept {
    for (char c : s) {
      h ^= static_cast<uint8_t>(c);
      h *= 0x100000001b3ull;
    }
  }
  // Length-prefixing keeps ("ab","c") and ("a","bc") apart.
  void field(std::string_view s) noexcept {
    h ^= s.size();
    h *= 0x100000001b3ull;
    append_unfolded(s, *this);
  }
  uint64_t finish() const noexcept {
    uint64_t x = h;  // murmur3 fmix64: FNV's low bits are weak on short inputs
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
  }
};

// Appends into the caller's buffer; once something does not fit, only counts the length needed.
class Writer {
 public:
  explicit Writer(std::span<uint8_t> out) : out_(out) {}

  void append(std::string_view s) noexcept {
    if (!overflow_ && s.size() <= out_.size() - size_) {
      if (!s.empty()) std::memcpy(out_.data() + size_, s.data(), s.size());
      size_ += s.size();
    } else {
      overflow_ = true;
    }
    needed_ += s.size();
  }

  void field(std::string_view name, std::string_view value) noexcept {
    append(name);
    append_unfolded(value, *this);
    append("\r\n");
  }

  bool overflow() const { return overflow_; }
  size_t size() const { return size_; }
  size_t needed() const { return needed_; }

 private:
  std::span<uint8_t> out_;
  size_t size_ = 0;
  size_t needed_ = 0;
  bool overflow_ = false;
};

bool valid_reason(std::string_view reason) noexcept {
  for (char c : reason) {
    auto u = static_cast<uint8_t>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// What one pass over the head finds.
struct HeadScan {
  size_t first_via = 0;  // offset of the first Via line
  size_t vias = 0;       // Via fields with a value
  std::string_view from, to, call_id, cseq;
};

HeadScan scan_head(std::string_view msg, size_t pos) noexcept {
  HeadScan s;
  HeaderCursor cursor(msg, pos);
  Header h;
  while (cursor.next(&h)) {
    if (h.value.empty()) continue;
    switch (h.kind) {
      case HeaderKind::kVia:
        if (s.vias++ == 0) s.first_via = h.line;
        break;
      case HeaderKind::kFrom:
        if (s.from.empty()) s.from = h.value;
        break;
      case HeaderKind::kTo:
        if (s.to.empty()) s.to = h.value;
        break;
      case HeaderKind::kCallId:
        if (s.call_id.empty()) s.call_id = h.value;
        break;
      case HeaderKind::kCSeq:
        if (s.cseq.empty()) s.cseq = h.value;
        break;
      case HeaderKind::kOther:
        break;
    }
  }
  return s;
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
  HeadScan s = scan_head(msg, pos);
  if (s.vias == 0) return ResponseError::kMissingVia;
  if (s.from.empty()) return ResponseError::kMissingFrom;
  AddrParams to = scan_addr_params(s.to);
  if (s.to.empty() || !to.ok) return ResponseError::kMissingTo;
  if (s.call_id.empty()) return ResponseError::kMissingCallId;
  if (s.cseq.empty()) return ResponseError::kMissingCSeq;

  Writer w(out);
  const char status[] = {' ', static_cast<char>('0' + code / 100),
                         static_cast<char>('0' + code / 10 % 10),
                         static_cast<char>('0' + code % 10), ' '};
  w.append(kSipVersion);
  w.append({status, sizeof(status)});
  w.append(reason);
  w.append("\r\n");

  HeaderCursor vias(msg, s.first_via);
  Header h;
  for (size_t left = s.vias; left > 0 && vias.next(&h);) {
    if (h.kind != HeaderKind::kVia || h.value.empty()) continue;
    w.field("Via: ", h.value);
    --left;
  }
  w.field("From: ", s.from);

  w.append("To: ");
  append_unfolded(s.to, w);
  if (!to.has_tag) {
    // Without a From tag (RFC 2543 peers) the whole From value stands in for it.
    AddrParams from = scan_addr_params(s.from);
    std::string_view cseq_number = s.cseq;
    size_t digits = 0;
    while (digits < cseq_number.size() && is_digit(cseq_number[digits])) ++digits;
    TagHasher hasher;
    hasher.field(s.call_id);
    hasher.field(from.has_tag ? from.tag : s.from);
    hasher.field(cseq_number.substr(0, digits));
    uint64_t tag = hasher.finish();
    char hex[5 + 16] = {';', 't', 'a', 'g', '='};
    for (int i = 0; i < 16; ++i) hex[5 + i] = "0123456789abcdef"[(tag >> (60 - 4 * i)) & 0xf];
    w.append({hex, sizeof(hex)});
  }
  w.append("\r\n");

  w.field("Call-ID: ", s.call_id);
  w.field("CSeq: ", s.cseq);
  w.append("Content-Length: 0\r\n\r\n");

  if (w.overflow()) {
    *written = w.needed();
    return ResponseError::kOutputTooSmall;
  }
  *written = w.size();
  return ResponseError::kOk;
}

}  // namespace sipring
