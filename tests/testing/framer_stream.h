// Drives a SipFramer the way a connection does, for the framer's tests: feeds a stream whole, in
// two chunks or a byte at a time, and records what each scan delivered, so that a test can check
// that results do not depend on how the stream is segmented.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sip/sip_framer.h"

namespace sipring::test {

inline constexpr uint32_t kMax = 65535;

// One thing the caller got out of the stream: a message, skip, ping or the final error.
struct Event {
  ScanResult::Kind kind;
  std::string bytes;  // the bytes the result covers (`length` of them)
  uint32_t head_length = 0;
  FrameReason reason = FrameReason::kNone;
  bool operator==(const Event&) const = default;
};

// Shows an event in gtest's messages, CR and LF escaped.
void PrintTo(const Event& e, std::ostream* os);

Event Message(std::string_view bytes, size_t head_length);
Event Skip();
Event Ping();
Event Error(std::string_view seen, FrameReason reason);

// Mimics a connection: appends each chunk to its pending bytes, scans until kNeedMore, and drops
// what each result consumed. Stops at the first error, as the connection would close.
class Connection {
 public:
  explicit Connection(uint32_t max = kMax) : max_(max) {}

  // Returns false once the stream failed.
  bool Feed(std::string_view chunk);

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

std::vector<Event> FeedWhole(std::string_view stream, uint32_t max = kMax);
std::vector<Event> FeedSplit(std::string_view stream, size_t split, uint32_t max = kMax);
std::vector<Event> FeedByteAtATime(std::string_view stream, uint32_t max = kMax);

// Checks `expected` for the whole stream, for every two-chunk split and byte by byte.
void ExpectAtEverySegmentation(std::string_view stream, const std::vector<Event>& expected,
                               uint32_t max = kMax);

std::span<const uint8_t> AsBytes(std::string_view s);

// What a new framer's first scan of `s` returns.
ScanResult ScanOnce(std::string_view s, uint32_t max = kMax);

// The head seen up to and including the first occurrence of `marker`'s last byte.
std::string_view Through(std::string_view s, std::string_view marker);

// A typical OPTIONS request, with Content-Length 0.
inline constexpr std::string_view kOptionsMessage =
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

}  // namespace sipring::test
