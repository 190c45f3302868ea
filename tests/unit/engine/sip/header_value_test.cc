// Tests of header values as the response builder copies them (engine/sip/header_value.h): trimming,
// unfolding, and finding the tag parameter of a To value.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "sipring/sip_response.h"
#include "tests/testing/response_check.h"

namespace sipring {
namespace {

using namespace sipring::test;

// ---- trimming and unfolding
// ----------------------------------------------------------------------

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

// ---- the tag parameter
// ---------------------------------------------------------------------------

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

TEST(ToTag, UnparseableToIsRejected) {
  EXPECT_EQ(build(request_with("\"Bob <sip:a@b>")).error, ResponseError::kMissingTo);
  EXPECT_EQ(build(request_with("Bob <sip:a@b")).error, ResponseError::kMissingTo);
}

}  // namespace
}  // namespace sipring
