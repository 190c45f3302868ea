// Tests for the stateless SIP response builder (engine/sip_response.h).
#include "sipring/sip_response.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace sipring {
namespace {

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

struct Built {
  ResponseError error;
  std::string text;
};

Built build(std::string_view request, int code = 200, std::string_view reason = "OK") {
  std::vector<uint8_t> out(4096);
  size_t written = 12345;
  ResponseError e = build_response(bytes(request), code, reason, out, &written);
  if (e != ResponseError::kOk) {
    EXPECT_EQ(written, 0u) << response_error_name(e);
    return {e, {}};
  }
  return {e, std::string(reinterpret_cast<const char*>(out.data()), written)};
}

// An independent reading of a response, written without the builder's helpers.
struct Parsed {
  std::string start_line;
  std::vector<std::pair<std::string, std::string>> headers;  // name, value as written

  std::vector<std::string> all(const std::string& name) const {
    std::vector<std::string> v;
    for (const auto& [n, value] : headers) {
      if (n == name) v.push_back(value);
    }
    return v;
  }
  std::string one(const std::string& name) const {
    auto v = all(name);
    EXPECT_EQ(v.size(), 1u) << name;
    return v.empty() ? std::string() : v[0];
  }
};

// Checks the framing every response must have and splits it into lines; fails the test otherwise.
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

// Returns what follows ";tag=" in a To value the builder extended.
std::string added_tag(const std::string& to, const std::string& original) {
  EXPECT_EQ(to.substr(0, original.size()), original);
  std::string rest = to.substr(original.size());
  EXPECT_EQ(rest.substr(0, 5), ";tag=");
  return rest.size() > 5 ? rest.substr(5) : std::string();
}

constexpr std::string_view kOptions =
    "OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bKhjhs8ass877\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:carol@chicago.example.com>\r\n"
    "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

// ---- parse_start_line / is_ack ----------------------------------------------------------------

TEST(ParseStartLine, RequestLineGivesMethod) {
  StartLine l = parse_start_line(bytes("INVITE sip:bob@b.example SIP/2.0\r\nVia: x\r\n\r\n"));
  EXPECT_EQ(l.kind, StartLine::kRequest);
  EXPECT_EQ(l.method, "INVITE");
}

TEST(ParseStartLine, StatusLineGivesCode) {
  StartLine l = parse_start_line(bytes("SIP/2.0 486 Busy Here\r\n\r\n"));
  EXPECT_EQ(l.kind, StartLine::kResponse);
  EXPECT_EQ(l.status, 486);
  EXPECT_TRUE(l.method.empty());
  EXPECT_EQ(parse_start_line(bytes("SIP/2.0 200\r\n")).status, 200);
}

TEST(ParseStartLine, SkipsLeadingKeepAliveCrlfs) {
  StartLine l = parse_start_line(bytes("\r\n\r\nBYE sip:a@b SIP/2.0\r\n"));
  EXPECT_EQ(l.kind, StartLine::kRequest);
  EXPECT_EQ(l.method, "BYE");
}

TEST(ParseStartLine, AcceptsLfOnlyAndUnterminatedLine) {
  EXPECT_EQ(parse_start_line(bytes("ACK sip:a@b SIP/2.0\n")).method, "ACK");
  EXPECT_EQ(parse_start_line(bytes("ACK sip:a@b SIP/2.0")).method, "ACK");
  EXPECT_EQ(parse_start_line(bytes("ACK sip:a@b sip/2.0\r\n")).kind, StartLine::kRequest);
}

TEST(ParseStartLine, RejectsMalformedLines) {
  for (std::string_view bad :
       {"", "\r\n", "INVITE sip:a@b SIP/3.0\r\n", "INVITE sip:a@b\r\n",
        "INVITE  sip:a@b SIP/2.0\r\n", "INVITE sip:a@b  SIP/2.0\r\n", "INV(TE sip:a@b SIP/2.0\r\n",
        "INVITE sip:a@b SIP/2.0 \r\n", " INVITE sip:a@b SIP/2.0\r\n", "SIP/2.0 099 Low\r\n",
        "SIP/2.0 700 High\r\n", "SIP/2.0 20 OK\r\n", "SIP/2.0 2000 OK\r\n", "SIP/2.0 abc OK\r\n",
        "HTTP/1.1 200 OK\r\n"}) {
    EXPECT_EQ(parse_start_line(bytes(bad)).kind, StartLine::kInvalid) << bad;
  }
}

TEST(IsAck, OnlyAckRequests) {
  EXPECT_TRUE(is_ack(parse_start_line(bytes("ACK sip:a@b SIP/2.0\r\n"))));
  EXPECT_FALSE(
      is_ack(parse_start_line(bytes("ack sip:a@b SIP/2.0\r\n"))));  // methods are case-sensitive
  EXPECT_FALSE(is_ack(parse_start_line(bytes("ACKX sip:a@b SIP/2.0\r\n"))));
  EXPECT_FALSE(is_ack(parse_start_line(bytes("INVITE sip:a@b SIP/2.0\r\n"))));
  EXPECT_FALSE(is_ack(parse_start_line(bytes("SIP/2.0 200 OK\r\n"))));
  EXPECT_FALSE(is_ack(StartLine{}));
}

TEST(ResponseErrorName, NamesEveryError) {
  EXPECT_STREQ(response_error_name(ResponseError::kOk), "ok");
  EXPECT_STREQ(response_error_name(ResponseError::kNotARequest), "not-a-request");
  EXPECT_STREQ(response_error_name(ResponseError::kMissingVia), "missing-via");
  EXPECT_STREQ(response_error_name(ResponseError::kMissingFrom), "missing-from");
  EXPECT_STREQ(response_error_name(ResponseError::kMissingTo), "missing-to");
  EXPECT_STREQ(response_error_name(ResponseError::kMissingCallId), "missing-call-id");
  EXPECT_STREQ(response_error_name(ResponseError::kMissingCSeq), "missing-cseq");
  EXPECT_STREQ(response_error_name(ResponseError::kOutputTooSmall), "output-too-small");
  EXPECT_STREQ(response_error_name(ResponseError::kInvalidStatus), "invalid-status");
}

// ---- typical requests -----------------------------------------------------------------------

TEST(BuildResponse, OptionsGetsTheRequiredHeadersInOrder) {
  Built b = build(kOptions);
  ASSERT_EQ(b.error, ResponseError::kOk);
  Parsed p = parse_response(b.text);
  EXPECT_EQ(p.start_line, "SIP/2.0 200 OK");
  ASSERT_EQ(p.headers.size(), 6u) << b.text;
  EXPECT_EQ(p.headers[0].first, "Via");
  EXPECT_EQ(p.headers[0].second,
            "SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bKhjhs8ass877");
  EXPECT_EQ(p.headers[1], (std::pair<std::string, std::string>(
                              "From", "Alice <sip:alice@atlanta.example.com>;tag=1928301774")));
  EXPECT_EQ(p.headers[2].first, "To");
  EXPECT_TRUE(is_hex_tag(added_tag(p.headers[2].second, "<sip:carol@chicago.example.com>")));
  EXPECT_EQ(p.headers[3], (std::pair<std::string, std::string>("Call-ID", "a84b4c76e66710")));
  EXPECT_EQ(p.headers[4], (std::pair<std::string, std::string>("CSeq", "63104 OPTIONS")));
  // Nothing else from the request leaks through.
  EXPECT_EQ(b.text.find("Max-Forwards"), std::string::npos);
  EXPECT_EQ(b.text.find("Contact"), std::string::npos);
}

TEST(BuildResponse, InviteWithToTagIsCopiedByteExact) {
  constexpr std::string_view kInvite =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9\r\n"
      "Max-Forwards: 70\r\n"
      "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
      "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
      "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
      "CSeq: 2 INVITE\r\n"
      "Content-Type: application/sdp\r\n"
      "Content-Length: 4\r\n"
      "\r\n"
      "v=0\n";
  Built b = build(kInvite, 400, "Bad Request");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text,
            "SIP/2.0 400 Bad Request\r\n"
            "Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9\r\n"
            "From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
            "To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
            "Call-ID: 3848276298220188511@atlanta.example.com\r\n"
            "CSeq: 2 INVITE\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(BuildResponse, RegisterGetsTagOnAddrSpecTo) {
  Built b = build(
      "REGISTER sips:registrar.biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/TLS bobspc.biloxi.example.com:5061;branch=z9hG4bKnashds7\r\n"
      "To: sips:bob@biloxi.example.com\r\n"
      "From: Bob <sips:bob@biloxi.example.com>;tag=456248\r\n"
      "Call-ID: 843817637684230@998sdasdh09\r\n"
      "CSeq: 1826 REGISTER\r\n"
      "Contact: <sips:bob@192.0.2.4>\r\n"
      "Expires: 7200\r\n"
      "Content-Length: 0\r\n"
      "\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  Parsed p = parse_response(b.text);
  EXPECT_TRUE(is_hex_tag(added_tag(p.one("To"), "sips:bob@biloxi.example.com")));
  EXPECT_EQ(p.one("CSeq"), "1826 REGISTER");
}

TEST(BuildResponse, BodyIsIgnored) {
  Built b = build(
      "MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n"
      "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 MESSAGE\r\nContent-Length: 26\r\n\r\n"
      "Via: SIP/2.0/TLS evil\r\n\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(parse_response(b.text).all("Via").size(), 1u);
  EXPECT_EQ(b.text.find("evil"), std::string::npos);
}

TEST(BuildResponse, OtherStatusCodesAndEmptyReason) {
  EXPECT_EQ(parse_response(build(kOptions, 486, "Busy Here").text).start_line,
            "SIP/2.0 486 Busy Here");
  EXPECT_EQ(parse_response(build(kOptions, 100, "Trying").text).start_line, "SIP/2.0 100 Trying");
  EXPECT_EQ(parse_response(build(kOptions, 699, "").text).start_line, "SIP/2.0 699 ");
}

TEST(BuildResponse, RejectsBadStatusCodeOrReason) {
  EXPECT_EQ(build(kOptions, 99).error, ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptions, 700).error, ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptions, -200).error, ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptions, 200, "OK\r\nX-Injected: 1").error, ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptions, 200, std::string_view("O\0K", 3)).error, ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptions, 200, "Tab\tand UTF-8 \xc3\xa9").error, ResponseError::kOk);
}

// ---- Via handling -----------------------------------------------------------------------------

TEST(BuildResponse, MultipleViaLinesAndCommaSeparatedValuesKeepOrder) {
  Built b = build(
      "BYE sip:a@b SIP/2.0\r\n"
      "Via: SIP/2.0/TLS p1.example.com;branch=z9hG4bK1, SIP/2.0/TLS "
      "p2.example.com;branch=z9hG4bK2\r\n"
      "From: <sip:x@y>;tag=1\r\n"
      "v: SIP/2.0/TLS p3.example.com;branch=z9hG4bK3\r\n"
      "To: <sip:a@b>;tag=2\r\n"
      "VIA: SIP/2.0/TLS p4.example.com;branch=z9hG4bK4,SIP/2.0/TLS "
      "p5.example.com;branch=z9hG4bK5\r\n"
      "Call-ID: c\r\n"
      "CSeq: 3 BYE\r\n"
      "\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  Parsed p = parse_response(b.text);
  EXPECT_EQ(
      p.all("Via"),
      (std::vector<std::string>{
          "SIP/2.0/TLS p1.example.com;branch=z9hG4bK1, SIP/2.0/TLS p2.example.com;branch=z9hG4bK2",
          "SIP/2.0/TLS p3.example.com;branch=z9hG4bK3",
          "SIP/2.0/TLS p4.example.com;branch=z9hG4bK4,SIP/2.0/TLS "
          "p5.example.com;branch=z9hG4bK5"}));
  // The Vias come first even though From sat between them in the request.
  EXPECT_EQ(p.headers[0].first, "Via");
  EXPECT_EQ(p.headers[1].first, "Via");
  EXPECT_EQ(p.headers[2].first, "Via");
  EXPECT_EQ(p.headers[3].first, "From");
}

TEST(BuildResponse, EmptyViaValuesAreSkipped) {
  Built b = build(
      "BYE sip:a@b SIP/2.0\r\nVia:   \r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: "
      "<sip:x@y>;tag=1\r\n"
      "To: <sip:a@b>;tag=2\r\nCall-ID: c\r\nCSeq: 3 BYE\r\n\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(parse_response(b.text).all("Via"),
            (std::vector<std::string>{"SIP/2.0/TLS h;branch=z9hG4bK1"}));
}

// ---- header-name forms and whitespace -------------------------------------------------------

TEST(BuildResponse, CompactFormsAndAnyCaseNamesGetCanonicalNames) {
  Built b = build(
      "OPTIONS sip:a@b SIP/2.0\r\n"
      "v: SIP/2.0/TLS h1;branch=z9hG4bK1\r\n"
      "f: <sip:x@y>;tag=ft\r\n"
      "t: <sip:a@b>;tag=tt\r\n"
      "i: compact-call-id\r\n"
      "cseq: 7 OPTIONS\r\n"
      "\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text,
            "SIP/2.0 200 OK\r\n"
            "Via: SIP/2.0/TLS h1;branch=z9hG4bK1\r\n"
            "From: <sip:x@y>;tag=ft\r\n"
            "To: <sip:a@b>;tag=tt\r\n"
            "Call-ID: compact-call-id\r\n"
            "CSeq: 7 OPTIONS\r\n"
            "Content-Length: 0\r\n"
            "\r\n");

  Built upper = build(
      "OPTIONS sip:a@b SIP/2.0\r\n"
      "V: SIP/2.0/TLS h1;branch=z9hG4bK1\r\n"
      "FROM: <sip:x@y>;tag=ft\r\n"
      "tO: <sip:a@b>;tag=tt\r\n"
      "CALL-id: compact-call-id\r\n"
      "CSEQ: 7 OPTIONS\r\n"
      "\r\n");
  EXPECT_EQ(upper.text, b.text);
}

TEST(BuildResponse, WhitespaceAroundColonAndValueIsTrimmed) {
  Built b = build(
      "OPTIONS sip:a@b SIP/2.0\r\n"
      "Via \t:\t SIP/2.0/TLS h1;branch=z9hG4bK1  \r\n"
      "From:<sip:x@y>;tag=ft\r\n"
      "To  :   <sip:a@b>;tag=tt\t\r\n"
      "Call-ID :c1\r\n"
      "CSeq:    7   OPTIONS \r\n"
      "\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  Parsed p = parse_response(b.text);
  EXPECT_EQ(p.one("Via"), "SIP/2.0/TLS h1;branch=z9hG4bK1");
  EXPECT_EQ(p.one("From"), "<sip:x@y>;tag=ft");
  EXPECT_EQ(p.one("To"), "<sip:a@b>;tag=tt");
  EXPECT_EQ(p.one("Call-ID"), "c1");
  EXPECT_EQ(p.one("CSeq"), "7   OPTIONS");  // interior whitespace is the sender's
}

TEST(BuildResponse, SimilarHeaderNamesAreNotMatched) {
  Built b = build(
      "OPTIONS sip:a@b SIP/2.0\r\n"
      "Via: SIP/2.0/TLS h1;branch=z9hG4bK1\r\n"
      "Vias: SIP/2.0/TLS wrong\r\n"
      "X-Via: SIP/2.0/TLS wrong\r\n"
      "Fromage: wrong\r\n"
      "From: <sip:x@y>;tag=ft\r\n"
      "Tx: wrong\r\n"
      "To: <sip:a@b>;tag=tt\r\n"
      "Call-IDs: wrong\r\n"
      "Call-ID: right\r\n"
      "CSeq: 1 OPTIONS\r\n"
      "\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text.find("wrong"), std::string::npos) << b.text;
}

TEST(BuildResponse, FoldedContinuationLinesAreJoined) {
  Built b = build(
      "OPTIONS sip:a@b SIP/2.0\r\n"
      "Via: SIP/2.0/TLS h1;branch=z9hG4bK1,\r\n"
      "   SIP/2.0/TLS h2;branch=z9hG4bK2\r\n"
      "From:\r\n"
      "\t<sip:x@y>;tag=ft\r\n"
      "To: \"Bob\r\n"
      " B\" <sip:a@b>\r\n"
      "Call-ID: c1\r\n"
      "CSeq: 1\r\n"
      " OPTIONS\r\n"
      "\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  Parsed p = parse_response(b.text);
  EXPECT_EQ(p.one("Via"), "SIP/2.0/TLS h1;branch=z9hG4bK1, SIP/2.0/TLS h2;branch=z9hG4bK2");
  EXPECT_EQ(p.one("From"), "<sip:x@y>;tag=ft");
  EXPECT_TRUE(is_hex_tag(added_tag(p.one("To"), "\"Bob B\" <sip:a@b>")));
  EXPECT_EQ(p.one("CSeq"), "1 OPTIONS");
}

TEST(BuildResponse, LfOnlyRequestGetsCrlfResponse) {
  Built b = build(
      "OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\nFrom: <sip:x@y>;tag=1\n"
      "To: <sip:a@b>;tag=2\nCall-ID: c\nCSeq: 1 OPTIONS\n\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(parse_response(b.text).one("Call-ID"), "c");
}

TEST(BuildResponse, FirstOfDuplicateSingletonHeadersIsUsed) {
  Built b = build(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n"
      "From: <sip:dup@y>;tag=9\r\nTo: <sip:a@b>;tag=2\r\nt: <sip:dup@b>\r\nCall-ID: c\r\n"
      "i: dup\r\nCSeq: 1 OPTIONS\r\nCSeq: 2 OPTIONS\r\n\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  Parsed p = parse_response(b.text);
  EXPECT_EQ(p.one("From"), "<sip:x@y>;tag=1");
  EXPECT_EQ(p.one("To"), "<sip:a@b>;tag=2");
  EXPECT_EQ(p.one("Call-ID"), "c");
  EXPECT_EQ(p.one("CSeq"), "1 OPTIONS");
}

// ---- To tag -------------------------------------------------------------------------------------

std::string request_with(std::string_view to, std::string_view call_id = "call-1",
                         std::string_view from_tag = "ft1", std::string_view cseq = "5 INVITE",
                         std::string_view branch = "z9hG4bK1") {
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

TEST(ToTag, ExistingTagIsKeptAndNoSecondTagAdded) {
  for (std::string_view to :
       {"<sip:a@b>;tag=abc", "<sip:a@b>;TAG=abc", "<sip:a@b> ; tag = abc", "<sip:a@b>;x=1;tag=abc",
        "sip:a@b;tag=abc", "\"A\" <sip:a@b>;tag=abc;y", "<sip:a@b>;Tag=\"q;x\""}) {
    EXPECT_EQ(to_of(request_with(to)), to) << to;
  }
}

TEST(ToTag, UriParamsInsideAngleBracketsAreNotATag) {
  std::string to = to_of(request_with("<sip:a@b;tag=x>"));
  EXPECT_TRUE(is_hex_tag(added_tag(to, "<sip:a@b;tag=x>"))) << to;
  to = to_of(request_with("Bob <sip:a@b;transport=tls;tag=x?h=1>;foo=bar"));
  EXPECT_TRUE(is_hex_tag(added_tag(to, "Bob <sip:a@b;transport=tls;tag=x?h=1>;foo=bar"))) << to;
}

TEST(ToTag, LookalikeParamsAndQuotedTextAreNotATag) {
  for (std::string_view v : {"<sip:a@b>;tagx=1", "<sip:a@b>;xtag=1", "<sip:a@b>;x=\";tag=1\"",
                             "\"Mr ;tag=1 <x>\" <sip:a@b>", "<sip:a@b>;x=tag", "<sip:a@b>tag=1"}) {
    std::string to = to_of(request_with(v));
    EXPECT_TRUE(is_hex_tag(added_tag(to, std::string(v)))) << v << " -> " << to;
  }
}

TEST(ToTag, SameRequestGetsSameBytes) {
  std::string r = request_with("<sip:a@b>");
  Built first = build(r);
  Built again = build(r);
  ASSERT_EQ(first.error, ResponseError::kOk);
  EXPECT_EQ(first.text, again.text);
}

TEST(ToTag, DependsOnCallIdFromTagAndCSeqNumberOnly) {
  std::string base = to_of(request_with("<sip:a@b>"));
  EXPECT_NE(to_of(request_with("<sip:a@b>", "call-2")), base);
  EXPECT_NE(to_of(request_with("<sip:a@b>", "call-1", "ft2")), base);
  EXPECT_NE(to_of(request_with("<sip:a@b>", "call-1", "ft1", "6 INVITE")), base);
  // A CANCEL shares the INVITE's CSeq number, and a retransmission over another hop may carry a
  // different branch: both must see the same tag.
  EXPECT_EQ(to_of(request_with("<sip:a@b>", "call-1", "ft1", "5 CANCEL")), base);
  EXPECT_EQ(to_of(request_with("<sip:a@b>", "call-1", "ft1", "5 INVITE", "z9hG4bK9")), base);
  // Field boundaries matter: moving a byte from Call-ID to From tag changes the tag.
  EXPECT_NE(to_of(request_with("<sip:a@b>", "call-", "1ft1")), base);
}

TEST(ToTag, FoldedCallIdHashesLikeUnfolded) {
  std::string folded =
      "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=ft1\r\n"
      "To: <sip:a@b>\r\nCall-ID:\r\n call-1\r\nCSeq: 5 INVITE\r\n\r\n";
  EXPECT_EQ(to_of(folded), to_of(request_with("<sip:a@b>")));
}

TEST(ToTag, UnparseableToIsRejected) {
  EXPECT_EQ(build(request_with("\"Bob <sip:a@b>")).error, ResponseError::kMissingTo);
  EXPECT_EQ(build(request_with("Bob <sip:a@b")).error, ResponseError::kMissingTo);
}

// ---- errors -------------------------------------------------------------------------------------

std::string without(std::string_view request, std::string_view line) {
  std::string r(request);
  size_t at = r.find(line);
  EXPECT_NE(at, std::string::npos) << line;
  if (at != std::string::npos) r.erase(at, line.size());
  return r;
}

TEST(BuildResponse, EachMissingHeaderIsReported) {
  EXPECT_EQ(
      build(without(kOptions,
                    "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bKhjhs8ass877\r\n"))
          .error,
      ResponseError::kMissingVia);
  EXPECT_EQ(
      build(without(kOptions, "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"))
          .error,
      ResponseError::kMissingFrom);
  EXPECT_EQ(build(without(kOptions, "To: <sip:carol@chicago.example.com>\r\n")).error,
            ResponseError::kMissingTo);
  EXPECT_EQ(build(without(kOptions, "Call-ID: a84b4c76e66710\r\n")).error,
            ResponseError::kMissingCallId);
  EXPECT_EQ(build(without(kOptions, "CSeq: 63104 OPTIONS\r\n")).error, ResponseError::kMissingCSeq);
  EXPECT_EQ(build("OPTIONS sip:a@b SIP/2.0\r\n\r\n").error, ResponseError::kMissingVia);
  EXPECT_EQ(build("OPTIONS sip:a@b SIP/2.0\r\nCall-ID:  \r\n\r\n").error,
            ResponseError::kMissingVia);
}

TEST(BuildResponse, EmptyValueCountsAsMissing) {
  std::string r(kOptions);
  r.replace(r.find("Call-ID: a84b4c76e66710"), 23, "Call-ID: ");
  EXPECT_EQ(build(r).error, ResponseError::kMissingCallId);
}

TEST(BuildResponse, ResponseOrGarbageInputIsNotARequest) {
  Built ok = build(kOptions);
  ASSERT_EQ(ok.error, ResponseError::kOk);
  EXPECT_EQ(build(ok.text).error, ResponseError::kNotARequest);
  EXPECT_EQ(build("").error, ResponseError::kNotARequest);
  EXPECT_EQ(build("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03").error,
            ResponseError::kNotARequest);  // a TLS ClientHello on a plain port
  EXPECT_EQ(build("GET / HTTP/1.1\r\nHost: x\r\n\r\n").error, ResponseError::kNotARequest);
}

// ---- truncated input ------------------------------------------------------------------------

TEST(Truncated, CutInsideAHeaderUsesOnlyCompleteLines) {
  std::string_view head = kOptions;
  // Cut in the middle of CSeq: everything before it is there, CSeq is not.
  EXPECT_EQ(build(head.substr(0, head.find("CSeq: 63104") + 8)).error, ResponseError::kMissingCSeq);
  // Cut in the middle of Call-ID.
  EXPECT_EQ(build(head.substr(0, head.find("Call-ID:") + 12)).error, ResponseError::kMissingCallId);
  // Cut inside the Contact line after all needed headers: the response is complete.
  Built b = build(head.substr(0, head.find("Contact:") + 10));
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text, build(kOptions).text);
}

TEST(Truncated, LastLineCountsOnlyWhenTheNextByteRulesOutAFold) {
  std::string_view head = kOptions;
  size_t after_cseq = head.find("Contact:");
  // Ends right after "CSeq: ...\r\n": a continuation might follow, so CSeq is not used yet.
  EXPECT_EQ(build(head.substr(0, after_cseq)).error, ResponseError::kMissingCSeq);
  // One more byte ('C' of Contact) settles it.
  EXPECT_EQ(build(head.substr(0, after_cseq + 1)).error, ResponseError::kOk);
  // A following continuation line that is itself cut off leaves CSeq incomplete.
  std::string folded(head.substr(0, after_cseq - 2));
  folded += "\r\n OPTIONS-more";
  EXPECT_EQ(build(folded).error, ResponseError::kMissingCSeq);
  // A head without its blank line but with the CR of it is complete.
  std::string no_lf(head.substr(0, after_cseq));
  no_lf += "\r";
  EXPECT_EQ(build(no_lf).error, ResponseError::kOk);
}

TEST(Truncated, CutBetweenViaLinesKeepsOnlyTheCompleteVias) {
  std::string r =
      "BYE sip:a@b SIP/2.0\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\nCall-ID: c\r\n"
      "CSeq: 3 BYE\r\nVia: SIP/2.0/TLS p1;branch=z9hG4bK1\r\nVia: SIP/2.0/TLS p2;bra";
  Built b = build(r);
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(parse_response(b.text).all("Via"),
            (std::vector<std::string>{"SIP/2.0/TLS p1;branch=z9hG4bK1"}));
}

TEST(Truncated, EveryPrefixEitherBuildsAValidResponseOrReportsAnError) {
  std::string_view head = kOptions;
  size_t first_ok = 0;
  for (size_t n = 0; n <= head.size(); ++n) {
    // A heap copy of exactly n bytes lets ASan catch any read past the cut.
    std::vector<uint8_t> copy(head.begin(), head.begin() + n);
    std::vector<uint8_t> out(1024);
    size_t written = 0;
    ResponseError e = build_response(copy, 200, "OK", out, &written);
    if (e == ResponseError::kOk) {
      if (first_ok == 0) first_ok = n;
      Parsed p = parse_response(std::string(reinterpret_cast<char*>(out.data()), written));
      EXPECT_EQ(p.start_line, "SIP/2.0 200 OK");
    } else {
      EXPECT_NE(e, ResponseError::kOutputTooSmall);
      EXPECT_EQ(first_ok, 0u) << "an error after a longer prefix already succeeded, n=" << n;
    }
  }
  EXPECT_EQ(first_ok, head.find("Contact:") + 1);
}

// ---- output buffer ------------------------------------------------------------------------------

TEST(Output, TooSmallBufferReportsNeededSizeAndStaysInBounds) {
  Built full = build(kOptions);
  ASSERT_EQ(full.error, ResponseError::kOk);
  const size_t needed = full.text.size();
  for (size_t cap = 0; cap < needed; ++cap) {
    std::vector<uint8_t> buf(cap + 16, 0xAB);
    size_t written = 0;
    ResponseError e =
        build_response(bytes(kOptions), 200, "OK", std::span<uint8_t>(buf.data(), cap), &written);
    ASSERT_EQ(e, ResponseError::kOutputTooSmall) << cap;
    EXPECT_EQ(written, needed);
    for (size_t i = cap; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xAB) << "wrote past " << cap;
  }
  std::vector<uint8_t> exact(needed);
  size_t written = 0;
  ASSERT_EQ(build_response(bytes(kOptions), 200, "OK", exact, &written), ResponseError::kOk);
  EXPECT_EQ(std::string(exact.begin(), exact.end()), full.text);
}

TEST(Output, NullSpanIsTooSmall) {
  size_t written = 0;
  EXPECT_EQ(build_response(bytes(kOptions), 200, "OK", {}, &written),
            ResponseError::kOutputTooSmall);
  EXPECT_GT(written, 0u);
}

// ---- fast path and careful path ---------------------------------------------------------------
// The builder copies plain values whole and sends folded values, or values holding a stray CR,
// through the careful unfolding path; these pin down where one hands over to the other.

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

TEST(FastPath, StrayCrInsideAValueIsUnfoldedLikeAFold) {
  Built b = build(minimal_request("Via: SIP/2.0/TLS h;branch=z9hG4bK1\r\n",
                                  "From: <sip:x@y>;tag=1\r\n", "To: <sip:a@b>;tag=2\r\n",
                                  "Call-ID: left\rright\r\n", "CSeq: 1 \r OPTIONS\r \r\n"));
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text,
            "SIP/2.0 200 OK\r\n"
            "Via: SIP/2.0/TLS h;branch=z9hG4bK1\r\n"
            "From: <sip:x@y>;tag=1\r\n"
            "To: <sip:a@b>;tag=2\r\n"
            "Call-ID: left right\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(FastPath, TabsAroundValuesAndTabFoldsAreTrimmedAndJoined) {
  Built b =
      build(minimal_request("Via:\tSIP/2.0/TLS h;branch=z9hG4bK1\t\r\n\t;received=192.0.2.1\r\n",
                            "From:\t<sip:x@y>;tag=1\t\t\r\n", "To:\t\t<sip:a@b>;tag=2\r\n",
                            "Call-ID:\tc\tc\r\n", "CSeq: 1\tOPTIONS\t\r\n"));
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text,
            "SIP/2.0 200 OK\r\n"
            "Via: SIP/2.0/TLS h;branch=z9hG4bK1 ;received=192.0.2.1\r\n"
            "From: <sip:x@y>;tag=1\r\n"
            "To: <sip:a@b>;tag=2\r\n"
            "Call-ID: c\tc\r\n"
            "CSeq: 1\tOPTIONS\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(FastPath, FoldsOutsideTheHashedPartsGiveTheOneLineResponse) {
  std::string one_line =
      minimal_request("Via: SIP/2.0/TLS h1;branch=z9hG4bK1, SIP/2.0/TLS h2;branch=z9hG4bK2\r\n",
                      "From: Alice <sip:x@y>;tag=ft\r\n", "To: Bob <sip:a@b>\r\n",
                      "Call-ID: c1\r\n", "CSeq: 4 OPTIONS\r\n");
  std::string folded = minimal_request(
      "Via: SIP/2.0/TLS h1;branch=z9hG4bK1,\r\n \t SIP/2.0/TLS h2;branch=z9hG4bK2\r\n",
      "From: Alice\r\n\t<sip:x@y>;tag=ft\r\n", "To: Bob\r\n <sip:a@b>\r\n", "Call-ID: c1\r\n",
      "CSeq: 4\r\n OPTIONS\r\n");
  Built a = build(one_line);
  Built b = build(folded);
  ASSERT_EQ(a.error, ResponseError::kOk);
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(a.text, b.text);
  EXPECT_TRUE(is_hex_tag(added_tag(parse_response(b.text).one("To"), "Bob <sip:a@b>")));
}

TEST(FastPath, FoldedFromTagIsUnfoldedBeforeHashing) {
  // A quoted tag value may hold a fold: it hashes as its unfolded bytes after its length as sent,
  // so folds of the same length give the same tag, whatever their whitespace.
  std::string space_fold = to_of(request_with("<sip:a@b>", "call-1", "\"a\r\n b\""));
  std::string tab_fold = to_of(request_with("<sip:a@b>", "call-1", "\"a\r\n\tb\""));
  std::string unfolded = to_of(request_with("<sip:a@b>", "call-1", "\"a b\""));
  EXPECT_TRUE(is_hex_tag(added_tag(space_fold, "<sip:a@b>")));
  EXPECT_EQ(space_fold, tab_fold);
  EXPECT_NE(space_fold, unfolded);  // the length prefix tells them apart
}

TEST(FastPath, HeaderOrderDoesNotChangeTheResponse) {
  // The tag hash is fed while the head is scanned, in whatever order its inputs turn up.
  std::vector<std::string> lines = {"From: <sip:x@y>;tag=ft1\r\n", "To: <sip:a@b>\r\n",
                                    "Call-ID: call-order-test@example.com\r\n",
                                    "CSeq: 77 OPTIONS\r\n", "Max-Forwards: 70\r\n"};
  std::vector<size_t> order = {0, 1, 2, 3, 4};
  std::string expected;
  int permutations = 0;
  do {
    std::string r = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\n";
    for (size_t i : order) r += lines[i];
    r += "\r\n";
    Built b = build(r);
    ASSERT_EQ(b.error, ResponseError::kOk) << r;
    if (expected.empty()) expected = b.text;
    EXPECT_EQ(b.text, expected) << r;
    ++permutations;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(permutations, 120);
}

TEST(FastPath, CompactFormsWithOddSpacing) {
  Built b = build(
      "INVITE sip:a@b SIP/2.0\r\n"
      "v :SIP/2.0/TLS h1;branch=z9hG4bK1\r\n"
      "f\t:\t<sip:x@y>;tag=ft\r\n"
      "t:<sip:a@b>;tag=tt\r\n"
      "i  :  compact\r\n"
      "cSeQ:9 INVITE\r\n"
      "c: application/sdp\r\n"
      "l: 0\r\n"
      "\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text,
            "SIP/2.0 200 OK\r\n"
            "Via: SIP/2.0/TLS h1;branch=z9hG4bK1\r\n"
            "From: <sip:x@y>;tag=ft\r\n"
            "To: <sip:a@b>;tag=tt\r\n"
            "Call-ID: compact\r\n"
            "CSeq: 9 INVITE\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(FastPath, NamesCutShortOrRunOnAreNotMatched) {
  Built b = build(
      "OPTIONS sip:a@b SIP/2.0\r\n"
      "Vi: wrong\r\nViax: wrong\r\nv-: wrong\r\nFro: wrong\r\nFromx: wrong\r\nT: "
      "<sip:a@b>;tag=t\r\n"
      "Tox: wrong\r\nCall-I: wrong\r\nCall_ID: wrong\r\nCSe: wrong\r\nCSeqq: wrong\r\n"
      "Ix: wrong\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=f\r\n"
      "Call-ID: right\r\nCSeq: 1 OPTIONS\r\n\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text.find("wrong"), std::string::npos) << b.text;
}

TEST(FastPath, ViasWithFoldsStrayCrsAndEmptyValuesKeepOrder) {
  Built b = build(
      "OPTIONS sip:a@b SIP/2.0\r\n"
      "Via: SIP/2.0/TLS p1;branch=z9hG4bK1,\r\n SIP/2.0/TLS p2;branch=z9hG4bK2\r\n"
      "v:\t \r\n"
      "From: <sip:x@y>;tag=1\r\n"
      "VIA: SIP/2.0/TLS p3;branch=z9hG4bK3\r;x\r\n"
      "To: <sip:a@b>;tag=2\r\n"
      "v:\r\n SIP/2.0/TLS p4;branch=z9hG4bK4\r\n"
      "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n");
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(parse_response(b.text).all("Via"),
            (std::vector<std::string>{
                "SIP/2.0/TLS p1;branch=z9hG4bK1, SIP/2.0/TLS p2;branch=z9hG4bK2",
                "SIP/2.0/TLS p3;branch=z9hG4bK3 ;x", "SIP/2.0/TLS p4;branch=z9hG4bK4"}));
}

TEST(FastPath, LinesAcrossBlockBoundariesAndValuesOfEveryLength) {
  // Padding moves the line ends across the scanner's 64-byte blocks; the Call-ID length runs
  // across the copy's 4/8/16/32/64-byte cases.
  for (size_t pad = 0; pad < 140; pad += 7) {
    for (size_t len = 1; len <= 80; ++len) {
      std::string call_id(len, 'c');
      for (size_t i = 0; i < len; ++i) call_id[i] = static_cast<char>('a' + (i * 7 + len) % 26);
      std::string r = "OPTIONS sip:a@b SIP/2.0\r\nX-Pad: " + std::string(pad, 'p') + "\r\n" +
                      "Via: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n" +
                      "X-Pad2: " + std::string(pad / 2, 'q') + "\r\nTo: <sip:a@b>\r\n" +
                      "Call-ID: " + call_id + "\r\nCSeq: 1 OPTIONS\r\n\r\n";
      Built b = build(r);
      ASSERT_EQ(b.error, ResponseError::kOk) << r;
      Parsed p = parse_response(b.text);
      ASSERT_EQ(p.one("Call-ID"), call_id);
      ASSERT_EQ(p.one("Via"), "SIP/2.0/TLS h;branch=z9hG4bK1");
      ASSERT_TRUE(is_hex_tag(added_tag(p.one("To"), "<sip:a@b>")));
      // The padding does not take part in the tag.
      if (pad == 0) continue;
      std::string unpadded = r;
      unpadded.erase(unpadded.find("X-Pad: "), 9 + pad);
      ASSERT_EQ(build(unpadded).text, b.text);
    }
  }
}

TEST(FastPath, EveryPrefixOfAShortLfOnlyRequest) {
  // Shorter than one 16-byte compare at first, then across it: the searches' tails.
  constexpr std::string_view kShort = "A a SIP/2.0\nv:x\nf:y\nt:z\ni:c\ncseq:1\n\n";
  size_t first_ok = 0;
  for (size_t n = 0; n <= kShort.size(); ++n) {
    std::vector<uint8_t> copy(kShort.begin(), kShort.begin() + n);
    std::vector<uint8_t> out(512);
    size_t written = 0;
    ResponseError e = build_response(copy, 200, "OK", out, &written);
    if (e == ResponseError::kOk && first_ok == 0) first_ok = n;
    if (first_ok != 0) {
      EXPECT_EQ(e, ResponseError::kOk) << n;
    }
  }
  EXPECT_EQ(first_ok, kShort.find("cseq:1\n") + 8);
  Built b = build(kShort);
  ASSERT_EQ(b.error, ResponseError::kOk);
  Parsed p = parse_response(b.text);
  EXPECT_EQ(p.one("Via"), "x");
  EXPECT_EQ(p.one("From"), "y");
  EXPECT_TRUE(is_hex_tag(added_tag(p.one("To"), "z")));
}

TEST(FastPath, StartLineEndings) {
  const std::string rest =
      "Via: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>;tag=2\r\n"
      "Call-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
  EXPECT_EQ(build("OPTIONS sip:a@b SIP/2.0\r\n" + rest).error, ResponseError::kOk);
  EXPECT_EQ(build("OPTIONS sip:a@b SIP/2.0\n" + rest).error, ResponseError::kOk);
  EXPECT_EQ(build("\r\n\nOPTIONS sip:a@b sip/2.0\r\n" + rest).error, ResponseError::kOk);
  EXPECT_EQ(build("OPTIONS sip:a@b SIP/2.0\r\r\n" + rest).error, ResponseError::kNotARequest);
  EXPECT_EQ(build("OPTIONS sip:a@b SIP/2.0 \r\n" + rest).error, ResponseError::kNotARequest);
  EXPECT_EQ(build("OPTIONS sip:a@\x7f SIP/2.0\r\n" + rest).error, ResponseError::kNotARequest);
  EXPECT_EQ(build("OPTIONS sip:a@\x80\xff SIP/2.0\r\n" + rest).error, ResponseError::kOk);
  EXPECT_EQ(build("SIP/2.0 200 OK\r\n" + rest).error, ResponseError::kNotARequest);
}

TEST(Output, TooSmallBufferStaysInBoundsOnEveryPath) {
  // To with a tag, To without one (the tag is written last), and a folded To.
  for (std::string_view to : {"<sip:a@b>;tag=x", "<sip:a@b>", "Bob\r\n <sip:a@b>"}) {
    std::string r = request_with(to);
    Built full = build(r);
    ASSERT_EQ(full.error, ResponseError::kOk) << to;
    const size_t needed = full.text.size();
    for (size_t cap = 0; cap < needed; ++cap) {
      std::vector<uint8_t> buf(cap + 32, 0xAB);
      size_t written = 0;
      ResponseError e =
          build_response(bytes(r), 200, "OK", std::span<uint8_t>(buf.data(), cap), &written);
      ASSERT_EQ(e, ResponseError::kOutputTooSmall) << to << " " << cap;
      EXPECT_EQ(written, needed);
      for (size_t i = cap; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xAB) << "wrote past " << cap;
    }
  }
}

}  // namespace
}  // namespace sipring
