// Tests of the log: a replaced sink receives each line with its level, the threshold drops what
// is above it before the sink, RateLimitedLog lines say how many were suppressed, and the
// default sink comes back.
#include "engine/base/log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sipring {
namespace {

struct Captured {
  std::vector<std::pair<LogLevel, std::string>> lines;
};

void capture(void* ctx, LogLevel level, std::string_view line) {
  static_cast<Captured*>(ctx)->lines.emplace_back(level, std::string(line));
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_level_ = log_level();
    set_log_sink(capture, &got_);
  }
  void TearDown() override {
    set_log_sink(nullptr, nullptr);
    set_log_level(saved_level_);
  }
  Captured got_;
  LogLevel saved_level_ = kLogInfo;
};

TEST_F(LogTest, CustomSinkReceivesLinesWithTheirLevel) {
  set_log_level(kLogDebug);
  SIPRING_LOG(kLogErr, "tls", "bad %s %d", "thing", 42);
  SIPRING_LOG(kLogWarn, "accept", "careful");
  SIPRING_LOG(kLogDebug, "engine", "detail");
  ASSERT_EQ(got_.lines.size(), 3u);
  EXPECT_EQ(got_.lines[0].first, kLogErr);
  EXPECT_EQ(got_.lines[0].second, "[tls] bad thing 42");
  EXPECT_EQ(got_.lines[1].first, kLogWarn);
  EXPECT_EQ(got_.lines[1].second, "[accept] careful");
  EXPECT_EQ(got_.lines[2].first, kLogDebug);
  EXPECT_EQ(got_.lines[2].second, "[engine] detail");
}

TEST_F(LogTest, LevelFilteringDropsLinesAboveTheThreshold) {
  set_log_level(kLogWarn);
  int evaluated = 0;
  SIPRING_LOG(kLogInfo, "t", "info %d", ++evaluated);
  SIPRING_LOG(kLogNotice, "t", "notice");
  SIPRING_LOG(kLogWarn, "t", "warn");
  SIPRING_LOG(kLogErr, "t", "err");
  SIPRING_LOG(kLogAlert, "t", "alert");
  EXPECT_EQ(evaluated, 0) << "arguments of a dropped line must not be evaluated";
  ASSERT_EQ(got_.lines.size(), 3u);
  EXPECT_EQ(got_.lines[0].first, kLogWarn);
  EXPECT_EQ(got_.lines[1].first, kLogErr);
  EXPECT_EQ(got_.lines[2].first, kLogAlert);
  EXPECT_TRUE(log_enabled(kLogWarn));
  EXPECT_FALSE(log_enabled(kLogNotice));
}

TEST_F(LogTest, LongMessagesAreCutNotOverflowed) {
  std::string big(5000, 'x');
  SIPRING_LOG(kLogErr, "t", "%s", big.c_str());
  ASSERT_EQ(got_.lines.size(), 1u);
  EXPECT_EQ(got_.lines[0].second.size(), 1023u);
  EXPECT_EQ(got_.lines[0].second.rfind("[t] xxx", 0), 0u);
}

TEST_F(LogTest, RateLimitedLinesSayHowManyWereSuppressed) {
  set_log_level(kLogInfo);
  RateLimitedLog limiter(2);
  const uint64_t t0 = 5'000'000'000ull;
  for (int i = 0; i < 5; i++) SIPRING_LOG_LIMITED(limiter, t0, kLogWarn, "accept", "refused %d", i);
  // A line above the threshold does not use up the limiter.
  SIPRING_LOG_LIMITED(limiter, t0, kLogDebug, "accept", "quiet");
  ASSERT_EQ(got_.lines.size(), 2u);
  EXPECT_EQ(got_.lines[0].second, "[accept] refused 0");
  EXPECT_EQ(got_.lines[1].second, "[accept] refused 1");
  SIPRING_LOG_LIMITED(limiter, t0 + 1'000'000'000ull, kLogWarn, "accept", "refused %d", 9);
  ASSERT_EQ(got_.lines.size(), 3u);
  EXPECT_EQ(got_.lines[2].second, "[accept] refused 9 (3 similar lines suppressed)");
}

TEST(LogLevelName, NamesKamailioLevels) {
  EXPECT_STREQ(log_level_name(kLogAlert), "ALERT");
  EXPECT_STREQ(log_level_name(kLogBug), "BUG");
  EXPECT_STREQ(log_level_name(kLogCrit), "CRITICAL");
  EXPECT_STREQ(log_level_name(kLogErr), "ERROR");
  EXPECT_STREQ(log_level_name(kLogWarn), "WARNING");
  EXPECT_STREQ(log_level_name(kLogNotice), "NOTICE");
  EXPECT_STREQ(log_level_name(kLogInfo), "INFO");
  EXPECT_STREQ(log_level_name(kLogDebug), "DEBUG");
  EXPECT_STREQ(log_level_name(static_cast<LogLevel>(7)), "DEBUG");
}

// The default sink writes "TIME LEVEL [component] message\n" to stderr.
TEST(LogDefaultSink, WritesTheLineToStderr) {
  set_log_sink(nullptr, nullptr);
  ::testing::internal::CaptureStderr();
  log_line(kLogErr, "tls", "hello %d", 7);
  std::string out = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(out.empty());
  EXPECT_NE(out.find("Z ERROR [tls] hello 7\n"), std::string::npos) << out;
  EXPECT_EQ(out.back(), '\n');
}

}  // namespace
}  // namespace sipring
