// Tests of the stateless SIP response builder (sipring/sip_response.h) as a whole: typical
// requests, each error, and the output buffer. Its parts have their own tests: start_line_test,
// head_scan_test, header_value_test and to_tag_test.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "sipring/sip_response.h"
#include "tests/testing/response_check.h"

namespace sipring {
namespace {

using namespace sipring::test;

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

// ---- typical requests
// ----------------------------------------------------------------------------

TEST(BuildResponse, OptionsGetsTheRequiredHeadersInOrder) {
  Built b = build(kOptionsRequest);
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
  EXPECT_EQ(parse_response(build(kOptionsRequest, 486, "Busy Here").text).start_line,
            "SIP/2.0 486 Busy Here");
  EXPECT_EQ(parse_response(build(kOptionsRequest, 100, "Trying").text).start_line,
            "SIP/2.0 100 Trying");
  EXPECT_EQ(parse_response(build(kOptionsRequest, 699, "").text).start_line, "SIP/2.0 699 ");
}

TEST(BuildResponse, RejectsBadStatusCodeOrReason) {
  EXPECT_EQ(build(kOptionsRequest, 99).error, ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptionsRequest, 700).error, ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptionsRequest, -200).error, ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptionsRequest, 200, "OK\r\nX-Injected: 1").error,
            ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptionsRequest, 200, std::string_view("O\0K", 3)).error,
            ResponseError::kInvalidStatus);
  EXPECT_EQ(build(kOptionsRequest, 200, "Tab\tand UTF-8 \xc3\xa9").error, ResponseError::kOk);
}

// ---- errors
// --------------------------------------------------------------------------------------

TEST(BuildResponse, EachMissingHeaderIsReported) {
  EXPECT_EQ(
      build(without(kOptionsRequest,
                    "Via: SIP/2.0/TLS pc33.atlanta.example.com:5061;branch=z9hG4bKhjhs8ass877\r\n"))
          .error,
      ResponseError::kMissingVia);
  EXPECT_EQ(build(without(kOptionsRequest,
                          "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"))
                .error,
            ResponseError::kMissingFrom);
  EXPECT_EQ(build(without(kOptionsRequest, "To: <sip:carol@chicago.example.com>\r\n")).error,
            ResponseError::kMissingTo);
  EXPECT_EQ(build(without(kOptionsRequest, "Call-ID: a84b4c76e66710\r\n")).error,
            ResponseError::kMissingCallId);
  EXPECT_EQ(build(without(kOptionsRequest, "CSeq: 63104 OPTIONS\r\n")).error,
            ResponseError::kMissingCSeq);
  EXPECT_EQ(build("OPTIONS sip:a@b SIP/2.0\r\n\r\n").error, ResponseError::kMissingVia);
  EXPECT_EQ(build("OPTIONS sip:a@b SIP/2.0\r\nCall-ID:  \r\n\r\n").error,
            ResponseError::kMissingVia);
}

TEST(BuildResponse, EmptyValueCountsAsMissing) {
  std::string r(kOptionsRequest);
  r.replace(r.find("Call-ID: a84b4c76e66710"), 23, "Call-ID: ");
  EXPECT_EQ(build(r).error, ResponseError::kMissingCallId);
}

TEST(BuildResponse, ResponseOrGarbageInputIsNotARequest) {
  Built ok = build(kOptionsRequest);
  ASSERT_EQ(ok.error, ResponseError::kOk);
  EXPECT_EQ(build(ok.text).error, ResponseError::kNotARequest);
  EXPECT_EQ(build("").error, ResponseError::kNotARequest);
  EXPECT_EQ(build("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03").error,
            ResponseError::kNotARequest);  // a TLS ClientHello on a plain port
  EXPECT_EQ(build("GET / HTTP/1.1\r\nHost: x\r\n\r\n").error, ResponseError::kNotARequest);
}

// ---- output buffer
// -------------------------------------------------------------------------------

TEST(Output, TooSmallBufferReportsNeededSizeAndStaysInBounds) {
  Built full = build(kOptionsRequest);
  ASSERT_EQ(full.error, ResponseError::kOk);
  const size_t needed = full.text.size();
  for (size_t cap = 0; cap < needed; ++cap) {
    std::vector<uint8_t> buf(cap + 16, 0xAB);
    size_t written = 0;
    ResponseError e = build_response(bytes(kOptionsRequest), 200, "OK",
                                     std::span<uint8_t>(buf.data(), cap), &written);
    ASSERT_EQ(e, ResponseError::kOutputTooSmall) << cap;
    EXPECT_EQ(written, needed);
    for (size_t i = cap; i < buf.size(); ++i) ASSERT_EQ(buf[i], 0xAB) << "wrote past " << cap;
  }
  std::vector<uint8_t> exact(needed);
  size_t written = 0;
  ASSERT_EQ(build_response(bytes(kOptionsRequest), 200, "OK", exact, &written), ResponseError::kOk);
  EXPECT_EQ(std::string(exact.begin(), exact.end()), full.text);
}

TEST(Output, NullSpanIsTooSmall) {
  size_t written = 0;
  EXPECT_EQ(build_response(bytes(kOptionsRequest), 200, "OK", {}, &written),
            ResponseError::kOutputTooSmall);
  EXPECT_GT(written, 0u);
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
