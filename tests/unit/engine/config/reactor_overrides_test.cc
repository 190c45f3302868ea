// Tests of the per-reactor settings (engine/config/reactor_overrides.h, params_for).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>

#include "engine/config/config_registry.h"
#include "sipring/config.h"
#include "tests/testing/config_text.h"

namespace sipring {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using namespace ::sipring::test;  // NOLINT: the config test helpers

// ---------------------------------------------------------------- per-reactor overrides

TEST(ReactorOverrides, ApplyToTheirReactorOnly) {
  Config c = must_parse(
      "modparam(\"sipring\", \"reactors\", 3)\n"
      "modparam(\"sipring\", \"cpus\", \"0,1,0\")\n"
      "modparam(\"sipring\", \"r2.ring_entries\", 8192)\n"
      "modparam(\"sipring\", \"r2.cpu\", 1)\n"
      "modparam(\"sipring\", \"r1.busy_poll_us\", 500)\n");
  int cpu = -2;
  EngineParams r0 = params_for(c.engine, 0, &cpu);
  EXPECT_EQ(cpu, 0);
  EXPECT_EQ(r0.ring_entries, 4096u);
  EXPECT_EQ(r0.busy_poll_us, 0u);
  EngineParams r1 = params_for(c.engine, 1, &cpu);
  EXPECT_EQ(cpu, 1);
  EXPECT_EQ(r1.busy_poll_us, 500u);
  EXPECT_EQ(r1.ring_entries, 4096u);
  EngineParams r2 = params_for(c.engine, 2, &cpu);
  EXPECT_EQ(cpu, 1);  // r2.cpu beats cpus[2]
  EXPECT_EQ(r2.ring_entries, 8192u);
  EXPECT_TRUE(r2.overrides.empty());
}

TEST(ReactorOverrides, AreValidatedLikeTheGlobalParameterWithFileAndLine) {
  EXPECT_THAT(
      parse_error("modparam(\"sipring\", \"r1.recv_buffers\", 100)\n"),
      AllOf(StartsWith("sipring.cfg:1: sipring.r1.recv_buffers: "), HasSubstr("power of two")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r0.max_message_size\", 4096)\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("can be set per reactor")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r0.cpu\", \"x\")\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("one CPU number")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r999.cpu\", 1)\n"),
              HasSubstr("at most 256 reactors"));
}

// Found by tests/fuzz/config_text_fuzz: std::stoul threw (and ended the process) on a reactor
// number beyond 64 bits, and a number beyond 32 bits wrapped to another reactor.
TEST(ReactorOverrides, HugeReactorNumbersAreRefusedNotWrappedOrThrown) {
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r99999999999999999999999.cpu\", 1)\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("at most 256 reactors")));
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r4294967297.ring_entries\", 8)\n"),
              AllOf(StartsWith("sipring.cfg:1: "), HasSubstr("at most 256 reactors")));
}

TEST(ReactorOverrides, CpuGivenAsTextIsParsedLikeCpus) {
  Config c = must_parse("modparam(\"sipring\", \"r0.cpu\", \"1-1\")\n");
  int cpu = -2;
  params_for(c.engine, 0, &cpu);
  EXPECT_EQ(cpu, 1);
  EXPECT_THAT(parse_error("modparam(\"sipring\", \"r0.cpu\", \"0-1\")\n"),
              HasSubstr("one CPU number"));
}

}  // namespace
}  // namespace sipring
