#include "tests/testing/framer_stream.h"

#include <gtest/gtest.h>

namespace sipring::test {

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

bool Connection::Feed(std::string_view chunk) {
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

std::vector<Event> FeedWhole(std::string_view stream, uint32_t max) {
  Connection c(max);
  c.Feed(stream);
  return c.events();
}

std::vector<Event> FeedSplit(std::string_view stream, size_t split, uint32_t max) {
  Connection c(max);
  if (c.Feed(stream.substr(0, split))) c.Feed(stream.substr(split));
  return c.events();
}

std::vector<Event> FeedByteAtATime(std::string_view stream, uint32_t max) {
  Connection c(max);
  for (size_t i = 0; i < stream.size() && c.Feed(stream.substr(i, 1)); ++i) {
  }
  return c.events();
}

void ExpectAtEverySegmentation(std::string_view stream, const std::vector<Event>& expected,
                               uint32_t max) {
  EXPECT_EQ(FeedWhole(stream, max), expected) << "whole";
  for (size_t split = 0; split <= stream.size(); ++split) {
    EXPECT_EQ(FeedSplit(stream, split, max), expected) << "split at " << split;
  }
  EXPECT_EQ(FeedByteAtATime(stream, max), expected) << "byte at a time";
}

std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

ScanResult ScanOnce(std::string_view s, uint32_t max) {
  SipFramer f;
  return f.scan(AsBytes(s), max);
}

std::string_view Through(std::string_view s, std::string_view marker) {
  const size_t at = s.find(marker);
  EXPECT_NE(at, std::string_view::npos) << marker;
  return s.substr(0, at + marker.size());
}

}  // namespace sipring::test
