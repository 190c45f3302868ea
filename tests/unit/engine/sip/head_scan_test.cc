// Tests of the response builder's pass over the head (engine/sip/head_scan.h): which header fields
// it takes and how, Vias in order, and truncated heads.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sipring/sip_response.h"
#include "tests/testing/response_check.h"

namespace sipring {
namespace {

using namespace sipring::test;

// ---- Via handling
// --------------------------------------------------------------------------------

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

// ---- header-name forms
// ---------------------------------------------------------------------------

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

// Builds the response to `request`, in which every header line that only resembles one the
// builder uses holds "wrong", and checks that none of them was taken.
void ExpectLookalikesIgnored(std::string_view request) {
  Built b = build(request);
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text.find("wrong"), std::string::npos) << b.text;
}

TEST(BuildResponse, SimilarHeaderNamesAreNotMatched) {
  ExpectLookalikesIgnored(
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
}

TEST(FastPath, NamesCutShortOrRunOnAreNotMatched) {
  std::string r = "OPTIONS sip:a@b SIP/2.0\r\n";
  for (std::string_view name : {"Vi", "Viax", "v-", "Fro", "Fromx"}) {
    r += std::string(name) + ": wrong\r\n";
  }
  r += "T: <sip:a@b>;tag=t\r\n";
  for (std::string_view name : {"Tox", "Call-I", "Call_ID", "CSe", "CSeqq", "Ix"}) {
    r += std::string(name) + ": wrong\r\n";
  }
  r += "Via: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=f\r\nCall-ID: right\r\n"
       "CSeq: 1 OPTIONS\r\n\r\n";
  ExpectLookalikesIgnored(r);
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

// ---- line ends
// -----------------------------------------------------------------------------------

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

// ---- truncated input
// -----------------------------------------------------------------------------

TEST(Truncated, CutInsideAHeaderUsesOnlyCompleteLines) {
  std::string_view head = kOptionsRequest;
  // Cut in the middle of CSeq: everything before it is there, CSeq is not.
  EXPECT_EQ(build(head.substr(0, head.find("CSeq: 63104") + 8)).error, ResponseError::kMissingCSeq);
  // Cut in the middle of Call-ID.
  EXPECT_EQ(build(head.substr(0, head.find("Call-ID:") + 12)).error, ResponseError::kMissingCallId);
  // Cut inside the Contact line after all needed headers: the response is complete.
  Built b = build(head.substr(0, head.find("Contact:") + 10));
  ASSERT_EQ(b.error, ResponseError::kOk);
  EXPECT_EQ(b.text, build(kOptionsRequest).text);
}

TEST(Truncated, LastLineCountsOnlyWhenTheNextByteRulesOutAFold) {
  std::string_view head = kOptionsRequest;
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
  std::string_view head = kOptionsRequest;
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

}  // namespace
}  // namespace sipring
