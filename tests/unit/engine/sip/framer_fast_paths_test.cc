// Unit tests of the framer's fast paths (engine/sip/framer_fast_paths.h): whole lines, plain
// Content-Length lines and the usual start lines are taken at once; anything else, or anything cut
// short by the end of the pending bytes, is left to the state machine, with the same results.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "engine/sip/sip_framer.h"
#include "tests/testing/framer_stream.h"
#include "tests/testing/guarded_bytes.h"

namespace sipring {
namespace {

using namespace sipring::test;

TEST(SipFramerTest, ContentLengthOfNineAndOfTenDigitsParses) {
  // Nine digits are parsed in one go; a tenth may overflow, so the saturating path takes over.
  for (std::string_view value : {"000000003", "0000000003", "00000000000000000003"}) {
    const std::string head =
        "INFO sip:a SIP/2.0\r\nContent-Length: " + std::string(value) + "\r\nTo: b\r\n\r\n";
    ExpectAtEverySegmentation(head + "abc", {Message(head + "abc", head.size())});
  }
}

TEST(SipFramerTest, PlainContentLengthValueContinuesOnAFoldedLine) {
  // "3" looks complete until the next line turns out to fold into it.
  const std::string_view s = "INFO sip:a SIP/2.0\r\nContent-Length: 3\r\n 4\r\n\r\nabc";
  ExpectAtEverySegmentation(s, {Error(Through(s, " 4"), FrameReason::kBadContentLength)});
  const std::string head = "INFO sip:a SIP/2.0\r\nl: 3\r\n\t \r\nTo: b\r\n\r\n";
  ExpectAtEverySegmentation(head + "abc", {Message(head + "abc", head.size())});
}

TEST(SipFramerTest, BareCrInsideAHeaderDoesNotStartALine) {
  // "l: 5" and "Content-Length: 7" follow a bare CR, so they are part of X's and Y's values.
  // After "Z: z\rX" the CRLF ends Z's line; it is not a blank line.
  const std::string head =
      "INFO sip:a SIP/2.0\r\nX: a\rl: 5\r\nY: \rContent-Length: 7\r\nZ: z\rX\r\n"
      "Content-Length: 3\r\n\r\n";
  ExpectAtEverySegmentation(head + "abc", {Message(head + "abc", head.size())});
}

TEST(SipFramerTest, CompactLNeedsColonOrWhitespaceToBeContentLength) {
  const std::string head =
      "INFO sip:a SIP/2.0\r\nL;x: 9\r\nl\r\nLl: 8\r\nl-1: 7\r\nl \t: 3\r\n\r\n";
  ExpectAtEverySegmentation(head + "abc", {Message(head + "abc", head.size())});
}

TEST(SipFramerTest, ContentLengthLookalikesAreOtherHeaders) {
  // Case folding applies to letters only: CR differs from '-' just in the 0x20 bit.
  for (std::string_view name : {"Content\rLength", "Content-Lengtj", "Content-Length_",
                                "Kontent-Length", "Content-Lenght", "Content-\x0dength"}) {
    const std::string s = "INFO sip:a SIP/2.0\r\n" + std::string(name) + ": 3\r\n\r\nabc";
    ExpectAtEverySegmentation(s,
                              {Error(Through(s, "\r\n\r\n"), FrameReason::kMissingContentLength)});
  }
}

TEST(SipFramerTest, LineEndsAtEveryOffsetOfSixtyFourByteBlocksAreFound) {
  // A filler value of every length moves each later CRLF, the Content-Length line and the blank
  // line across 16- and 64-byte block boundaries.
  for (size_t n = 0; n <= 130; ++n) {
    const std::string head = "MESSAGE sip:a SIP/2.0\r\nX-Filler: " + std::string(n, 'f') +
                             "\r\nCall-ID: c\r\nContent-Length: 2\r\nCSeq: 1 MESSAGE\r\n\r\n";
    const std::string msg = head + "\r\n";  // a body that looks like a blank line
    EXPECT_EQ(FeedWhole(msg + msg),
              (std::vector<Event>{Message(msg, head.size()), Message(msg, head.size())}))
        << n;
    EXPECT_EQ(FeedByteAtATime(msg), std::vector<Event>{Message(msg, head.size())}) << n;
    for (size_t split = 0; split <= msg.size(); split += 7) {
      EXPECT_EQ(FeedSplit(msg, split), std::vector<Event>{Message(msg, head.size())})
          << n << " split at " << split;
    }
  }
}

TEST(SipFramerTest, StartLinesAgreeAtEverySegmentation) {
  // The usual request and status lines are taken whole when they are all there.
  for (std::string_view start :
       {"OPTIONS sip:bob@biloxi.example.com;transport=tls SIP/2.0", "INFO sip:a sip/2.0",
        "SIP sip:a SIP/2.0", "SIPX sip:a SIP/2.0", "sip/2.0 180 Ringing", "SIP/2.0 200 ",
        "SIP/2.0 404 Not\tFound \xc3\xa9"}) {
    const std::string msg = std::string(start) + "\r\nl: 0\r\n\r\n";
    ExpectAtEverySegmentation(msg, {Message(msg, msg.size())});
  }
}

TEST(SipFramerTest, RequestLineWithALongUriIsFramed) {
  const std::string uri = "sip:" + std::string(300, 'u') + "@example.com";
  const std::string msg = "INVITE " + uri + " SIP/2.0\r\nContent-Length: 0\r\n\r\n";
  ExpectAtEverySegmentation(msg, {Message(msg, msg.size())});
  const std::string bad = "INVITE " + uri + "\x7f SIP/2.0\r\n";
  ExpectAtEverySegmentation(bad, {Error(Through(bad, "\x7f"), FrameReason::kBadStartLine)});
}

TEST(SipFramerTest, ScanNeverReadsPastThePendingBytes) {
  const std::string invite_head =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\nSubject: folded\r\n  across\r\n"
      "X: a\rb\r\ncontent-length :  \r\n\t 0013 \r\nCSeq: 1 INVITE\r\n\r\n";
  const std::string streams[] = {
      std::string(kOptionsMessage),
      invite_head + "v=0\r\no=x\r\n\r\n\r",
      "SIP/2.0 200 OK\r\nl: 5\r\nCSeq: 1 INVITE\r\nL:5\r\n\r\nhello",
      "\r\n\r\nINFO sip:a SIP/2.0\r\nContent-Length: 0\r\n\r\n\r\n",
      "OPTIONS sip:" + std::string(100, 'u') + " SIP/2.0\r\nX: " + std::string(70, 'x') +
          "\r\nContent-Length: 000000001\r\n\r\nb",
      "INFO sip:a SIP/2.0\r\nContent-Length: 5\r\n 5\r\n\r\n",
      "A * SIP/2.0\r\nX:\r\nl:0\r\n\r\n",  // less than 16 bytes before the end of a line
  };
  GuardedBytes guarded;
  for (const std::string& stream : streams) {
    // Every prefix, as a connection receiving one byte at a time would scan it.
    SipFramer at_start;
    SipFramer at_end;
    size_t consumed = 0;
    for (size_t have = 0; have <= stream.size(); ++have) {
      for (;;) {
        const std::string_view pending = std::string_view(stream).substr(consumed, have - consumed);
        const ScanResult r = at_start.scan(guarded.AtStart(pending), kMax);
        EXPECT_EQ(at_end.scan(guarded.AtEnd(pending), kMax).length, r.length);
        if (r.kind == ScanResult::kNeedMore || r.kind == ScanResult::kError) break;
        consumed += r.length;
      }
    }
    // Every prefix scanned at once by a new framer.
    for (size_t have = 0; have <= stream.size(); ++have) {
      const std::string_view prefix = std::string_view(stream).substr(0, have);
      SipFramer().scan(guarded.AtStart(prefix), kMax);
      SipFramer().scan(guarded.AtEnd(prefix), kMax);
    }
  }
}

}  // namespace
}  // namespace sipring