// Tests of the To tag the response builder adds (engine/sip/to_tag.h): what it depends on, and that
// the hash fed while the head is scanned equals that of the unfolded inputs in a fixed order.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "sipring/sip_response.h"
#include "tests/testing/response_check.h"

namespace sipring {
namespace {

using namespace sipring::test;

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

}  // namespace
}  // namespace sipring
