// Unit tests of the SIP stream framer (engine/sip/sip_framer.h): the framing rules, each rejection
// reason, and that results do not depend on how the stream is segmented.
#include "engine/sip/sip_framer.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace sipring {
namespace {

constexpr uint32_t kMax = 65535;

// One thing the caller got out of the stream: a message, skip, ping or the final error.
struct Event {
  ScanResult::Kind kind;
  std::string bytes;  // the bytes the result covers (`length` of them)
  uint32_t head_length = 0;
  FrameReason reason = FrameReason::kNone;
  bool operator==(const Event&) const = default;
};

void PrintTo(const Event& e, std::ostream* os) {
  static const char* const kKinds[] = {"need-more", "message", "skip", "ping", "error"};
  std::string shown;
  for (char c : e.bytes) {
    if (c == '\r') {
      shown += "\\r";
    } else if (c == '\n') {
      shown += "\\n";
    } else {
      shown += c;
    }
  }
  *os << kKinds[e.kind] << "(" << e.bytes.size() << " bytes, head " << e.head_length << ", "
      << frame_reason_name(e.reason) << ") \"" << shown << "\"";
}

Event Message(std::string_view bytes, size_t head_length) {
  return {ScanResult::kMessage, std::string(bytes), static_cast<uint32_t>(head_length)};
}
Event Skip() {
  return {ScanResult::kSkip, "\r\n"};
}
Event Ping() {
  return {ScanResult::kPing, "\r\n\r\n"};
}
Event Error(std::string_view seen, FrameReason reason) {
  return {ScanResult::kError, std::string(seen), 0, reason};
}

// Mimics a connection: appends each chunk to its pending bytes, scans until kNeedMore, and drops
// what each result consumed. Stops at the first error, as the connection would close.
class Connection {
 public:
  explicit Connection(uint32_t max = kMax) : max_(max) {}

  // Returns false once the stream failed.
  bool Feed(std::string_view chunk) {
    if (failed_) return false;
    pending_.append(chunk);
    for (;;) {
      const ScanResult r = framer_.scan(Bytes(), max_);
      if (r.kind == ScanResult::kNeedMore) return true;
      EXPECT_LE(r.length, pending_.size());
      EXPECT_GT(r.length, 0u);
      Event e{r.kind, pending_.substr(0, r.length), r.head_length, r.reason};
      if (r.kind == ScanResult::kMessage) {
        EXPECT_LE(r.head_length, r.length);
        EXPECT_LE(r.length, max_);
      } else {
        EXPECT_EQ(r.head_length, 0u);
      }
      if (r.kind != ScanResult::kError) {
        EXPECT_EQ(r.reason, FrameReason::kNone);
      }
      events_.push_back(std::move(e));
      if (r.kind == ScanResult::kError) {
        EXPECT_NE(r.reason, FrameReason::kNone);
        failed_ = true;
        return false;
      }
      pending_.erase(0, r.length);
    }
  }

  const std::vector<Event>& events() const { return events_; }
  const std::string& pending() const { return pending_; }

 private:
  std::span<const uint8_t> Bytes() const {
    return {reinterpret_cast<const uint8_t*>(pending_.data()), pending_.size()};
  }

  uint32_t max_;
  SipFramer framer_;
  std::string pending_;
  std::vector<Event> events_;
  bool failed_ = false;
};

std::vector<Event> FeedWhole(std::string_view stream, uint32_t max = kMax) {
  Connection c(max);
  c.Feed(stream);
  return c.events();
}

std::vector<Event> FeedSplit(std::string_view stream, size_t split, uint32_t max = kMax) {
  Connection c(max);
  if (c.Feed(stream.substr(0, split))) c.Feed(stream.substr(split));
  return c.events();
}

std::vector<Event> FeedByteAtATime(std::string_view stream, uint32_t max = kMax) {
  Connection c(max);
  for (size_t i = 0; i < stream.size() && c.Feed(stream.substr(i, 1)); ++i) {
  }
  return c.events();
}

// Checks `expected` for the whole stream, for every two-chunk split and byte by byte.
void ExpectAtEverySegmentation(std::string_view stream, const std::vector<Event>& expected,
                               uint32_t max = kMax) {
  EXPECT_EQ(FeedWhole(stream, max), expected) << "whole";
  for (size_t split = 0; split <= stream.size(); ++split) {
    EXPECT_EQ(FeedSplit(stream, split, max), expected) << "split at " << split;
  }
  EXPECT_EQ(FeedByteAtATime(stream, max), expected) << "byte at a time";
}

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

ScanResult ScanOnce(std::string_view s, uint32_t max = kMax) {
  SipFramer f;
  return f.scan(AsBytes(s), max);
}

// The head seen up to and including the first occurrence of `marker`'s last byte.
std::string_view Through(std::string_view s, std::string_view marker) {
  const size_t at = s.find(marker);
  EXPECT_NE(at, std::string_view::npos) << marker;
  return s.substr(0, at + marker.size());
}

constexpr std::string_view kOptions =
    "OPTIONS sip:bob@biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    "Max-Forwards: 70\r\n"
    "To: <sip:bob@biloxi.example.com>\r\n"
    "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
    "Call-ID: a84b4c76e66710\r\n"
    "CSeq: 63104 OPTIONS\r\n"
    "Contact: <sip:alice@pc33.atlanta.example.com;transport=tls>\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

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
  const ScanResult r = ScanOnce(kOptions);
  EXPECT_EQ(r.kind, ScanResult::kMessage);
  EXPECT_EQ(r.length, kOptions.size());
  EXPECT_EQ(r.head_length, kOptions.size());
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
  const std::string stream = std::string("\r\n") + std::string(kOptions);
  EXPECT_EQ(FeedWhole(stream), (std::vector<Event>{Skip(), Message(kOptions, kOptions.size())}));
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
  const std::string stream = std::string(kOptions) + "\r\n\r\n" +
                             "INFO sip:a SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\n";
  ExpectAtEverySegmentation(stream, {Message(kOptions, kOptions.size()), Ping(),
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
  const std::string stream = "\r\n\r\n\r\n" + std::string(kOptions) + "\r\n\r\n" + invite + "\r\n" +
                             response + empty_reason + "\r\n";
  const std::vector<Event> expected = {Ping(),
                                       Skip(),
                                       Message(kOptions, kOptions.size()),
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
  for (int i = 0; i < 16; ++i) batch += kOptions;
  SipFramer f;
  std::span<const uint8_t> pending = AsBytes(batch);
  int messages = 0;
  for (;;) {
    const ScanResult r = f.scan(pending, kMax);
    if (r.kind == ScanResult::kNeedMore) break;
    ASSERT_EQ(r.kind, ScanResult::kMessage);
    ASSERT_EQ(r.length, kOptions.size());
    EXPECT_EQ(0, std::memcmp(pending.data(), kOptions.data(), r.length));
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
  const ScanResult r = f.scan(AsBytes(kOptions), kMax);
  EXPECT_EQ(r.kind, ScanResult::kMessage);
  EXPECT_EQ(r.length, kOptions.size());
}

// --- Where the fast paths hand over to the byte state machine ------------------------------
// Whole lines, plain Content-Length lines and the usual start lines are taken at once; anything
// else, or anything cut short by the end of the pending bytes, is left to the state machine.

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

// Room for pending bytes between two inaccessible pages: a read outside them crashes.
class GuardedBytes {
 public:
  GuardedBytes() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* m = mmap(nullptr, kRoom + 2 * page_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(m, MAP_FAILED);
    base_ = static_cast<uint8_t*>(m);
    EXPECT_EQ(mprotect(base_ + page_, kRoom, PROT_READ | PROT_WRITE), 0);
  }
  ~GuardedBytes() { munmap(base_, kRoom + 2 * page_); }

  // `s` copied to start right after the first guard page.
  std::span<const uint8_t> AtStart(std::string_view s) { return Copy(s, base_ + page_); }
  // `s` copied to end right before the second guard page.
  std::span<const uint8_t> AtEnd(std::string_view s) {
    return Copy(s, base_ + page_ + kRoom - s.size());
  }

  static constexpr size_t kRoom = 64 * 1024;

 private:
  static std::span<const uint8_t> Copy(std::string_view s, uint8_t* at) {
    std::memcpy(at, s.data(), s.size());
    return {at, s.size()};
  }

  size_t page_ = 0;
  uint8_t* base_ = nullptr;
};

TEST(SipFramerTest, ScanNeverReadsPastThePendingBytes) {
  const std::string invite_head =
      "INVITE sip:bob@biloxi.example.com SIP/2.0\r\nSubject: folded\r\n  across\r\n"
      "X: a\rb\r\ncontent-length :  \r\n\t 0013 \r\nCSeq: 1 INVITE\r\n\r\n";
  const std::string streams[] = {
      std::string(kOptions),
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
