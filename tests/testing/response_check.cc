#include "tests/testing/response_check.h"

#include <gtest/gtest.h>

namespace sipring::test {

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

Built build(std::string_view request, int code, std::string_view reason) {
  std::vector<uint8_t> out(4096);
  size_t written = 12345;
  ResponseError e = build_response(bytes(request), code, reason, out, &written);
  if (e != ResponseError::kOk) {
    EXPECT_EQ(written, 0u) << response_error_name(e);
    return {e, {}};
  }
  return {e, std::string(reinterpret_cast<const char*>(out.data()), written)};
}

std::vector<std::string> Parsed::all(const std::string& name) const {
  std::vector<std::string> v;
  for (const auto& [n, value] : headers) {
    if (n == name) v.push_back(value);
  }
  return v;
}

std::string Parsed::one(const std::string& name) const {
  auto v = all(name);
  EXPECT_EQ(v.size(), 1u) << name;
  return v.empty() ? std::string() : v[0];
}

Parsed parse_response(const std::string& text) {
  Parsed p;
  EXPECT_GE(text.size(), 4u);
  EXPECT_EQ(text.substr(text.size() - 4), "\r\n\r\n") << text;
  EXPECT_EQ(text.find("\r\n\r\n"), text.size() - 4) << "blank line before the end:\n" << text;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      EXPECT_TRUE(i > 0 && text[i - 1] == '\r') << "bare LF at " << i;
    }
    if (text[i] == '\r') {
      EXPECT_TRUE(i + 1 < text.size() && text[i + 1] == '\n') << "bare CR at " << i;
    }
  }
  size_t pos = 0;
  bool first = true;
  while (pos < text.size()) {
    size_t eol = text.find("\r\n", pos);
    if (eol == std::string::npos || eol == pos) break;
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 2;
    if (first) {
      p.start_line = line;
      first = false;
      continue;
    }
    EXPECT_NE(line[0], ' ') << "folded line in output";
    EXPECT_NE(line[0], '\t') << "folded line in output";
    size_t colon = line.find(": ");
    EXPECT_NE(colon, std::string::npos) << line;
    if (colon == std::string::npos) continue;
    p.headers.emplace_back(line.substr(0, colon), line.substr(colon + 2));
  }
  int content_lengths = 0;
  for (const auto& [n, v] : p.headers) {
    if (n == "Content-Length") {
      ++content_lengths;
      EXPECT_EQ(v, "0");
    }
  }
  EXPECT_EQ(content_lengths, 1);
  if (!p.headers.empty()) {
    EXPECT_EQ(p.headers.back().first, "Content-Length");
  }
  return p;
}

bool is_hex_tag(std::string_view s) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string added_tag(const std::string& to, const std::string& original) {
  EXPECT_EQ(to.substr(0, original.size()), original);
  std::string rest = to.substr(original.size());
  EXPECT_EQ(rest.substr(0, 5), ";tag=");
  return rest.size() > 5 ? rest.substr(5) : std::string();
}

std::string request_with(std::string_view to, std::string_view call_id, std::string_view from_tag,
                         std::string_view cseq, std::string_view branch) {
  std::string r = "INVITE sip:a@b SIP/2.0\r\n";
  r += "Via: SIP/2.0/TLS h;branch=" + std::string(branch) + "\r\n";
  r += "From: <sip:x@y>;tag=" + std::string(from_tag) + "\r\n";
  r += "To: " + std::string(to) + "\r\n";
  r += "Call-ID: " + std::string(call_id) + "\r\n";
  r += "CSeq: " + std::string(cseq) + "\r\n\r\n";
  return r;
}

std::string to_of(const std::string& request) {
  Built b = build(request);
  EXPECT_EQ(b.error, ResponseError::kOk) << response_error_name(b.error);
  return b.error == ResponseError::kOk ? parse_response(b.text).one("To") : std::string();
}

std::string minimal_request(std::string_view via, std::string_view from, std::string_view to,
                            std::string_view call_id, std::string_view cseq) {
  std::string r = "OPTIONS sip:a@b SIP/2.0\r\n";
  r += via;
  r += from;
  r += to;
  r += call_id;
  r += cseq;
  r += "\r\n";
  return r;
}

std::string without(std::string_view request, std::string_view line) {
  std::string r(request);
  size_t at = r.find(line);
  EXPECT_NE(at, std::string::npos) << line;
  if (at != std::string::npos) r.erase(at, line.size());
  return r;
}

}  // namespace sipring::test
