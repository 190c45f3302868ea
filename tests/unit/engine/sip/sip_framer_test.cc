// Unit tests of the SIP stream framer (engine/sip/sip_framer.h): the framing rules, each rejection
// reason, and that results do not depend on how the stream is segmented. The fast paths' hand-over
// to the state machine is tested in framer_fast_paths_test.cc.
#include "engine/sip/sip_framer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "tests/testing/framer_stream.h"

namespace sipring {
namespace {

using namespace sipring::test;

// --- Names and layout ---------------------------------------------------------------------

TEST(SipFramerTest, FrameReasonNamesAreStable) {
  EXPECT_STREQ(frame_reason_name(FrameReason::kNone), "none");
  EXPECT_STREQ(frame_reason_name(FrameReason::kMissingContentLength), "missing-content-length");
  EXPECT_STREQ(frame_reason_name(FrameReason::kBadContentLength), "bad-content-length");
  EXPECT_STREQ(frame_reason_name(FrameReason::kNegativeContentLength), "negative-content-length");
  EXPECT_STREQ(frame_reason_name(FrameReason::kConflictingContentLength),
               "conflicting-content-length");
  EXPECT_STREQ(frame_reason_name(FrameReason::kContentLengthTooLarge), "content-length-too-large");
  EXPECT_STREQ(frame_reason_name(FrameReason::kHeadTooLong), "head-too-long");
  EXPECT_STREQ(frame_reason_name(FrameReason::kBadStartLine), "bad-start-line");
  EXPECT_STREQ(frame_reason_name(static_cast<FrameReason>(kFrameReasonCount)), "unknown");
}

TEST(SipFramerTest, StateFitsInTwelveBytes) {
  EXPECT_LE(sizeof(SipFramer), 12u);
}

// --- Messages -----------------------------------------------------------------------------

TEST(SipFramerTest, RequestWithoutBodyIsOneMessage) {
  const ScanResult r = ScanOnce(kOptionsMessage);
  EXPECT_EQ(r.kind, ScanResult::kMessage);
  EXPECT_EQ(r.length, kOptionsMessage.size());
  EXPECT_EQ(r.head_length, kOptionsMessage.size());
}

TEST(SipFramerTest, ResponseWithBodyIsOneMessage) {
  const std::string head = "SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\nContent-Length: 5\r\n\r\n";
  const std::string msg = head + "hello";
  const std::string trying = "SIP/2.0 100 Trying\r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(FeedWhole(msg + trying),
            (std::vector<Event>{Message(msg, head.size()), Message(trying, trying.size())}));
}

TEST(SipFramerTest, BodyIsCountedNotSearchedForBlankLines) {
  const std::string head = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 8\r\n\r\n";
  const std::string msg = head + "\r\n\r\nx\r\n\r";
  EXPECT_EQ(FeedWhole(msg), std::vector<Event>{Message(msg, head.size())});
}

TEST(SipFramerTest, IncompleteBodyNeedsMoreWithoutReexaminingHead) {
  const std::string head = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\n";
  const std::string msg = head + "0123456789";
  SipFramer f;
  for (size_t n = 0; n < msg.size(); ++n) {
    const ScanResult r = f.scan(AsBytes(std::string_view(msg).substr(0, n)), kMax);
    ASSERT_EQ(r.kind, ScanResult::kNeedMore) << n;
    if (n >= head.size()) {
      EXPECT_EQ(f.resume_offset(), head.size());
    }
  }
  const ScanResult r = f.scan(AsBytes(msg), kMax);
  EXPECT_EQ(r.kind, ScanResult::kMessage);
  EXPECT_EQ(r.length, msg.size());
  EXPECT_EQ(r.head_length, head.size());
  EXPECT_EQ(f.resume_offset(), 0u);  // reset for the next message
}

TEST(SipFramerTest, ContentLengthNameIsCaseInsensitive) {
  for (std::string_view name : {"content-length", "CONTENT-LENGTH", "CoNtEnT-lEnGtH"}) {
    const std::string msg = "INFO sip:a SIP/2.0\r\n" + std::string(name) + ": 3\r\n\r\nabc";
    EXPECT_EQ(ScanOnce(msg).length, msg.size()) << name;
  }
}

TEST(SipFramerTest, CompactFormLMeansContentLength) {
  for (std::string_view line : {"l: 3", "L: 3", "l:3", "L\t:\t3"}) {
    const std::string msg = "INFO sip:a SIP/2.0\r\n" + std::string(line) + "\r\n\r\nabc";
    const ScanResult r = ScanOnce(msg);
    EXPECT_EQ(r.kind, ScanResult::kMessage) << line;
    EXPECT_EQ(r.length, msg.size()) << line;
  }
}

TEST(SipFramerTest, WhitespaceAroundColonAndValueIsAllowed) {
  for (std::string_view line : {"Content-Length:3", "Content-Length : 3",
                                "Content-Length\t \t:  3  ", "Content-Length:\t3\t"}) {
    const std::string msg = "INFO sip:a SIP/2.0\r\n" + std::string(line) + "\r\n\r\nabc";
    EXPECT_EQ(ScanOnce(msg).length, msg.size()) << line;
  }
}

TEST(SipFramerTest, LeadingZerosAreAccepted) {
  const std::string msg = "INFO sip:a SIP/2.0\r\nContent-Length: 0003\r\n\r\nabc";
  EXPECT_EQ(ScanOnce(msg).length, msg.size());
}

TEST(SipFramerTest, FoldedContentLengthValueParses) {
  for (std::string_view lines :
       {"Content-Length:\r\n 3", "Content-Length: \r\n\t 3 \r\n ", "Content-Length: 3\r\n \t"}) {
    const std::string msg = "INFO sip:a SIP/2.0\r\n" + std::string(lines) + "\r\nTo: b\r\n\r\nabc";
    const ScanResult r = ScanOnce(msg);
    EXPECT_EQ(r.kind, ScanResult::kMessage) << lines;
    EXPECT_EQ(r.length, msg.size()) << lines;
  }
}

TEST(SipFramerTest, FoldedOtherHeaderBelongsToIt) {
  // The folded line looks like a Content-Length header but continues Subject.
  const std::string msg =
      "INFO sip:a SIP/2.0\r\nSubject: a\r\n Content-Length: 99\r\nl: 3\r\n\r\nabc";
  EXPECT_EQ(ScanOnce(msg).length, msg.size());
}

TEST(SipFramerTest, HeadersThatOnlyStartLikeContentLengthAreOtherHeaders) {
  const std::string msg =
      "INFO sip:a SIP/2.0\r\nContent-Lengthy: x\r\nContent-Type: text/plain\r\nLx: -1\r\n"
      "Contact: <sip:c>\r\nContent-Length-Extra: -\r\nContent-Length: 3\r\n\r\nabc";
  EXPECT_EQ(ScanOnce(msg).length, msg.size());
}

TEST(SipFramerTest, RepeatedEqualContentLengthIsAccepted) {
  const std::string msg = "INFO sip:a SIP/2.0\r\nContent-Length: 3\r\nl: 003\r\n\r\nabc";
  EXPECT_EQ(ScanOnce(msg).length, msg.size());
}

TEST(SipFramerTest, ResponseReasonMayBeEmpty) {
  const std::string msg = "SIP/2.0 200 \r\nContent-Length: 0\r\n\r\n";
  EXPECT_EQ(ScanOnce(msg).kind, ScanResult::kMessage);
}

TEST(SipFramerTest, SipVersionIsCaseInsensitive) {
  // RFC 3261 §7.1: the SIP-Version string is case-insensitive.
  EXPECT_EQ(ScanOnce("sip/2.0 180 Ringing\r\nl: 0\r\n\r\n").kind, ScanResult::kMessage);
  EXPECT_EQ(ScanOnce("INFO sip:a sip/2.0\r\nl: 0\r\n\r\n").kind, ScanResult::kMessage);
}

TEST(SipFramerTest, MethodsMayUseAnyTokenCharacters) {
  EXPECT_EQ(ScanOnce("X-Foo.bar!%*_+`'~9 sip:a SIP/2.0\r\nl: 0\r\n\r\n").kind,
            ScanResult::kMessage);
  EXPECT_EQ(ScanOnce("SIPX sip:a SIP/2.0\r\nl: 0\r\n\r\n").kind, ScanResult::kMessage);
}

TEST(SipFramerTest, MessageOfExactlyMaxSizeIsAccepted) {
  const std::string msg = "INFO sip:a SIP/2.0\r\nl: 3\r\n\r\nabc";
  const ScanResult r = ScanOnce(msg, msg.size());
  EXPECT_EQ(r.kind, ScanResult::kMessage);
  EXPECT_EQ(r.length, msg.size());
}

TEST(SipFramerTest, HeadOfExactlyMaxSizeIsAccepted) {
  const std::string msg = "INFO sip:a SIP/2.0\r\nl: 0\r\n\r\n";
  EXPECT_EQ(ScanOnce(msg, msg.size()).kind, ScanResult::kMessage);
}

// --- Keep-alives before a start line ------------------------------------------------------

TEST(SipFramerTest, CrlfCrlfIsPing) {
  const ScanResult r = ScanOnce("\r\n\r\n");
  EXPECT_EQ(r.kind, ScanResult::kPing);
  EXPECT_EQ(r.length, 4u);
}

TEST(SipFramerTest, SingleCrlfBeforeStartLineIsSkipped) {
  const std::string stream = std::string("\r\n") + std::string(kOptionsMessage);
  EXPECT_EQ(FeedWhole(stream),
            (std::vector<Event>{Skip(), Message(kOptionsMessage, kOptionsMessage.size())}));
}

TEST(SipFramerTest, PartialCrlfNeedsMore) {
  for (std::string_view s : {"", "\r", "\r\n", "\r\n\r"}) {
    EXPECT_EQ(ScanOnce(s).kind, ScanResult::kNeedMore) << s.size();
  }
}

TEST(SipFramerTest, CrlfCrWithoutLfSkipsTheCrlfOnly) {
  EXPECT_EQ(FeedWhole("\r\n\rX"),
            (std::vector<Event>{Skip(), Error("\rX", FrameReason::kBadStartLine)}));
}

TEST(SipFramerTest, PingsAndSkipsRepeat) {
  EXPECT_EQ(FeedWhole("\r\n\r\n\r\n\r\n\r\nINFO sip:a SIP/2.0\r\nl: 0\r\n\r\n\r\n"),
            (std::vector<Event>{Ping(), Ping(), Skip(),
                                Message("INFO sip:a SIP/2.0\r\nl: 0\r\n\r\n", 28)}));
}

TEST(SipFramerTest, CrlfCrlfAfterStartLineIsEndOfHeadNotPing) {
  // A start line with no headers ends at the first blank line; it then lacks Content-Length.
  const std::string_view s = "INFO sip:a SIP/2.0\r\n\r\n";
  EXPECT_EQ(FeedWhole(s), std::vector<Event>{Error(s, FrameReason::kMissingContentLength)});
}

// --- Rejections ---------------------------------------------------------------------------

TEST(SipFramerTest, MissingContentLengthIsRejectedWhenHeadCompletes) {
  const std::string_view s = "INFO sip:a SIP/2.0\r\nTo: b\r\nLength: 3\r\n\r\nabc";
  EXPECT_EQ(FeedWhole(s),
            std::vector<Event>{Error(Through(s, "\r\n\r\n"), FrameReason::kMissingContentLength)});
  const std::string_view resp = "SIP/2.0 200 OK\r\n\r\n";
  EXPECT_EQ(FeedWhole(resp), std::vector<Event>{Error(resp, FrameReason::kMissingContentLength)});
}

TEST(SipFramerTest, NonNumericContentLengthIsBad) {
  // Each value is followed by "\r\nTo: b"; the error is reported at the first byte that decides.
  struct Case {
    std::string_view value;
    std::string_view decided_through;  // what follows the colon up to the deciding byte
  };
  for (const Case& c : std::vector<Case>{{"abc", "a"},
                                         {"5a", "5a"},
                                         {"5 5", "5 5"},
                                         {"+5", "+"},
                                         {"0x10", "0x"},
                                         {"5-", "5-"},
                                         {"", "\r\nT"},
                                         {"  \t", "  \t\r\nT"}}) {
    const std::string prefix = "INFO sip:a SIP/2.0\r\nContent-Length: ";
    const std::string s = prefix + std::string(c.value) + "\r\nTo: b\r\n\r\n";
    ExpectAtEverySegmentation(
        s, {Error(prefix + std::string(c.decided_through), FrameReason::kBadContentLength)});
  }
}

TEST(SipFramerTest, BareCrInContentLengthIsBad) {
  const std::string_view s = "INFO sip:a SIP/2.0\r\nContent-Length: 5\rX\r\n\r\n";
  ExpectAtEverySegmentation(s, {Error(Through(s, "\rX"), FrameReason::kBadContentLength)});
}

TEST(SipFramerTest, ContentLengthWithLeadingMinusIsNegative) {
  for (std::string_view value : {"-1", "-0", " \t-5"}) {
    const std::string s = "INFO sip:a SIP/2.0\r\nContent-Length:" + std::string(value) + "\r\n\r\n";
    ExpectAtEverySegmentation(
        s, {Error(Through(s, "Length:" + std::string(value.substr(0, value.find('-') + 1))),
                  FrameReason::kNegativeContentLength)});
  }
}

TEST(SipFramerTest, RepeatedDifferentContentLengthConflicts) {
  const std::string_view s = "INFO sip:a SIP/2.0\r\nContent-Length: 3\r\nl: 4\r\nTo: b\r\n\r\nabc";
  ExpectAtEverySegmentation(
      s, {Error(Through(s, "l: 4\r\nT"), FrameReason::kConflictingContentLength)});
  // A fold is whitespace: "3 4" is not a number. A folded repeat is compared once complete.
  const std::string_view folded = "INFO sip:a SIP/2.0\r\nl: 3\r\nl: 3\r\n 4\r\n\r\n";
  EXPECT_EQ(FeedWhole(folded),
            std::vector<Event>{Error(Through(folded, " 4"), FrameReason::kBadContentLength)});
  const std::string_view folded_conflict = "INFO sip:a SIP/2.0\r\nl: 3\r\nl:\r\n 4\r\n\r\n";
  EXPECT_EQ(FeedWhole(folded_conflict),
            std::vector<Event>{Error(folded_conflict.substr(0, folded_conflict.size() - 1),
                                     FrameReason::kConflictingContentLength)});
}

TEST(SipFramerTest, ContentLengthTooLargeIsRejectedAsSoonAsHeadCompletes) {
  const std::string_view s = "INFO sip:a SIP/2.0\r\nContent-Length: 65536\r\n\r\n";
  ExpectAtEverySegmentation(s, {Error(s, FrameReason::kContentLengthTooLarge)});
  // Head plus body one byte over the limit.
  const std::string_view over = "INFO sip:a SIP/2.0\r\nl: 4\r\n\r\n";
  EXPECT_EQ(FeedWhole(over, over.size() + 3),
            std::vector<Event>{Error(over, FrameReason::kContentLengthTooLarge)});
}

TEST(SipFramerTest, ContentLengthBeyondThirtyTwoBitsIsTooLarge) {
  const std::string_view s =
      "INFO sip:a SIP/2.0\r\nContent-Length: 99999999999999999999999\r\n\r\n";
  EXPECT_EQ(FeedWhole(s, UINT32_MAX),
            std::vector<Event>{Error(s, FrameReason::kContentLengthTooLarge)});
  // 2^32 + 3 must not wrap to 3.
  const std::string_view wrap = "INFO sip:a SIP/2.0\r\nContent-Length: 4294967299\r\n\r\nabc";
  EXPECT_EQ(
      FeedWhole(wrap, UINT32_MAX),
      std::vector<Event>{Error(Through(wrap, "\r\n\r\n"), FrameReason::kContentLengthTooLarge)});
}

TEST(SipFramerTest, HeadWithoutBlankLineWithinMaxIsTooLong) {
  const std::string s = "INFO sip:a SIP/2.0\r\nX-Filler: " + std::string(200, 'a') + "\r\n";
  const uint32_t max = 100;
  // Decided only when max bytes are there, never earlier.
  EXPECT_EQ(ScanOnce(std::string_view(s).substr(0, max - 1), max).kind, ScanResult::kNeedMore);
  ExpectAtEverySegmentation(s, {Error(s.substr(0, max), FrameReason::kHeadTooLong)}, max);
}

TEST(SipFramerTest, BlankLineOneByteBeyondMaxIsTooLong) {
  const std::string_view s = "INFO sip:a SIP/2.0\r\nl: 0\r\n\r\n";
  EXPECT_EQ(FeedWhole(s, s.size() - 1),
            std::vector<Event>{Error(s.substr(0, s.size() - 1), FrameReason::kHeadTooLong)});
}

TEST(SipFramerTest, HeadLongerThanMaxHeadLengthIsTooLongWhateverMaxMessageSize) {
  std::string s = "INFO sip:a SIP/2.0\r\nX-Filler: ";
  s.resize(SipFramer::kMaxHeadLength + 10, 'a');
  s += "\r\nl: 0\r\n\r\n";
  const ScanResult r = ScanOnce(s, 1u << 26);
  EXPECT_EQ(r.kind, ScanResult::kError);
  EXPECT_EQ(r.reason, FrameReason::kHeadTooLong);
  EXPECT_EQ(r.length, SipFramer::kMaxHeadLength);
}

TEST(SipFramerTest, MalformedStartLinesAreRejected) {
  // Each case is rejected at the byte after its "|" marker's position (the marker is removed).
  for (std::string_view marked : {
           "INVITE  |sip:a SIP/2.0\r\n",     // two spaces: empty URI
           "INVITE sip:a SIP/3|.0\r\n",      // other SIP version
           "INVITE sip:a SIP/2.0x|\r\n",     // trailing text
           "INVITE sip:a SIP/2.0 |\r\n",     // trailing space
           "INVITE sip:a\r|\n",              // no version
           "INV(|TE sip:a SIP/2.0\r\n",      // not a token
           " |INVITE sip:a SIP/2.0\r\n",     // leading space: empty method
           "GET / H|TTP/1.1\r\n",            // HTTP
           "INVITE sip:a SIP/2.0\n|",        // bare LF
           "INVITE sip:a SIP/2.0\rX|",       // CR without LF
           "INVITE sip:\x01|a SIP/2.0\r\n",  // control character in URI
           "SIP/2.0 20 |OK\r\n",             // two-digit status
           "SIP/2.0 2000| OK\r\n",           // four-digit status
           "SIP/2.0 200\r|\n",               // no SP after the status
           "SIP/2.0  |200 OK\r\n",           // two spaces
           "SIP/2.0 200 OK\x01|\r\n",        // control character in reason
           "SIP/1|.0 200 OK\r\n",            // other version
           "SIP/2.0\r|\n",                   // version only
           "SIPX/|2.0 200 OK\r\n",           // not "SIP/"
           "SI/|2.0 200 OK\r\n",             // not "SIP/"
           "\x16|\x03\x01\x02\x05",          // a TLS ClientHello on the TCP port
           "\rX|",                           // CR without LF before a start line
           "\n|",                            // bare LF before a start line
       }) {
    const size_t bar = marked.find('|');
    const std::string s = std::string(marked.substr(0, bar)) + std::string(marked.substr(bar + 1));
    ExpectAtEverySegmentation(s, {Error(s.substr(0, bar), FrameReason::kBadStartLine)});
  }
}

TEST(SipFramerTest, StartLineIsCheckedBeforeHeadCompletes) {
  const ScanResult r = ScanOnce("GET / HTTP/1.1\r\nHost: example.com\r\n");
  EXPECT_EQ(r.kind, ScanResult::kError);
  EXPECT_EQ(r.reason, FrameReason::kBadStartLine);
  EXPECT_EQ(r.length, 7u);  // "GET / H" decides: HTTP is not SIP
}

TEST(SipFramerTest, MessagesBeforeAnErrorAreStillDelivered) {
  const std::string stream = std::string(kOptionsMessage) + "\r\n\r\n" +
                             "INFO sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\n";
  ExpectAtEverySegmentation(stream, {Message(kOptionsMessage, kOptionsMessage.size()), Ping(),
                                     Error("INFO sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r",
                                           FrameReason::kConflictingContentLength)});
}

// --- Segmentation -------------------------------------------------------------------------

TEST(SipFramerTest, EverySegmentationOfAMixedStreamYieldsTheSameFrames) {
  const std::string invite_head =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
      "Via: SIP/2.0/TLS pc33.atlanta.example.com;branch=z9hG4bKnashds8\r\n"
      "Subject: folded\r\n"
      "  across lines\r\n"
      "Content-Type: application/sdp\r\n"
      "content-length :  \r\n"
      "\t 0013 \r\n"
      "CSeq: 1 INVITE\r\n"
      "\r\n";
  const std::string invite = invite_head + "v=0\r\no=x\r\n\r\n\r";
  const std::string response_head = "SIP/2.0 200 OK\r\nl: 5\r\nCSeq: 1 INVITE\r\nL:5\r\n\r\n";
  const std::string response = response_head + "hello";
  const std::string empty_reason = "SIP/2.0 486 \r\nContent-Length: 0\r\n\r\n";
  const std::string stream = "\r\n\r\n\r\n" + std::string(kOptionsMessage) + "\r\n\r\n" + invite +
                             "\r\n" + response + empty_reason + "\r\n";
  const std::vector<Event> expected = {Ping(),
                                       Skip(),
                                       Message(kOptionsMessage, kOptionsMessage.size()),
                                       Ping(),
                                       Message(invite, invite_head.size()),
                                       Skip(),
                                       Message(response, response_head.size()),
                                       Message(empty_reason, empty_reason.size())};
  ExpectAtEverySegmentation(stream, expected);
  // The trailing lone CRLF stays pending: it could still become a ping.
  Connection c;
  c.Feed(stream);
  EXPECT_EQ(c.pending(), "\r\n");
}

TEST(SipFramerTest, ArbitraryChunkingYieldsTheSameFrames) {
  std::string stream;
  std::vector<Event> expected;
  for (int i = 0; i < 20; ++i) {
    const std::string body(i * 7, 'b');
    const std::string head =
        "MESSAGE sip:" + std::to_string(i) +
        "@example.com SIP/2.0\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
    if (i % 3 == 0) {
      stream += "\r\n\r\n";
      expected.push_back(Ping());
    }
    stream += head + body;
    expected.push_back(Message(head + body, head.size()));
  }
  uint32_t seed = 12345;  // fixed, so failures reproduce
  for (int round = 0; round < 200; ++round) {
    Connection c;
    for (size_t at = 0; at < stream.size();) {
      seed = seed * 1103515245 + 12345;
      const size_t n = 1 + (seed >> 16) % 40;
      c.Feed(std::string_view(stream).substr(at, n));
      at += n;
    }
    ASSERT_EQ(c.events(), expected) << "round " << round;
  }
}

TEST(SipFramerTest, PipelinedBatchOfSixteenOptionsYieldsSixteenMessages) {
  std::string batch;
  for (int i = 0; i < 16; ++i) batch += kOptionsMessage;
  SipFramer f;
  std::span<const uint8_t> pending = AsBytes(batch);
  int messages = 0;
  for (;;) {
    const ScanResult r = f.scan(pending, kMax);
    if (r.kind == ScanResult::kNeedMore) break;
    ASSERT_EQ(r.kind, ScanResult::kMessage);
    ASSERT_EQ(r.length, kOptionsMessage.size());
    EXPECT_EQ(0, std::memcmp(pending.data(), kOptionsMessage.data(), r.length));
    pending = pending.subspan(r.length);
    ++messages;
  }
  EXPECT_EQ(messages, 16);
  EXPECT_TRUE(pending.empty());
}

// A 64 KiB head fed one byte at a time: after every call the framer has examined exactly the bytes
// it was given, and bytes it already examined are overwritten with CRLFCRLF before the next call.
// A framer that rescanned its prefix would find a blank line there and misframe, so passing shows
// each byte is examined once: O(n) in total.
TEST(SipFramerTest, SixtyFourKiBHeadByteAtATimeExaminesEachByteOnce) {
  std::string head = "REGISTER sip:registrar.example.com SIP/2.0\r\nContent-Length: 2\r\n";
  for (int i = 0; head.size() < 64 * 1024 - 64; ++i) {
    head += "X-Filler-" + std::to_string(i) + ": " +
            std::string(40, static_cast<char>('a' + i % 26)) + "\r\n";
    if (i % 50 == 0) head += "\t folded continuation\r\n";
  }
  head += "\r\n";
  const std::string msg = head + "ok";
  ASSERT_GE(msg.size(), 64u * 1024 - 64);

  SipFramer f;
  std::string pending;
  pending.reserve(msg.size());
  uint32_t poisoned = 0;
  ScanResult r{};
  for (size_t i = 0; i < msg.size(); ++i) {
    pending.push_back(msg[i]);
    r = f.scan(AsBytes(pending), 1u << 20);
    if (r.kind != ScanResult::kNeedMore) break;
    const uint32_t examined = f.resume_offset();
    ASSERT_EQ(examined, std::min(pending.size(), head.size())) << i;
    for (; poisoned < examined; ++poisoned) pending[poisoned] = "\r\n"[poisoned % 2];
  }
  EXPECT_EQ(r.kind, ScanResult::kMessage);
  EXPECT_EQ(r.length, msg.size());
  EXPECT_EQ(r.head_length, head.size());
}

TEST(SipFramerTest, ResetForgetsAPartialMessage) {
  SipFramer f;
  EXPECT_EQ(f.scan(AsBytes("INFO sip:a SIP/2.0\r\nContent-Le"), kMax).kind, ScanResult::kNeedMore);
  EXPECT_NE(f.resume_offset(), 0u);
  f.reset();
  EXPECT_EQ(f.resume_offset(), 0u);
  const ScanResult r = f.scan(AsBytes(kOptionsMessage), kMax);
  EXPECT_EQ(r.kind, ScanResult::kMessage);
  EXPECT_EQ(r.length, kOptionsMessage.size());
}
}  // namespace
}  // namespace sipring
