// Tests of start-line classification (engine/sip/start_line.cc): parse_start_line, is_ack, and the
// start lines build_response takes as requests.
#include <gtest/gtest.h>

#include <string>

#include "sipring/sip_response.h"
#include "tests/testing/response_check.h"

namespace sipring {
namespace {

using namespace sipring::test;

// ---- parse_start_line / is_ack
// -------------------------------------------------------------------

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

// ---- the one-pass request line and the careful path
// ----------------------------------------------

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

}  // namespace
}  // namespace sipring
