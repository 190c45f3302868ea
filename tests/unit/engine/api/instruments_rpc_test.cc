// Tests of core.instruments' JSON (engine/api/instruments_rpc.h) and of how reactors' instruments
// add up (engine/sync/instruments.h): field names by unit, quantiles, totals that merge
// histograms, sum times, and keep the highest high-water and the lowest low-water marks.
#include "engine/api/instruments_rpc.h"

#include <gtest/gtest.h>

namespace sipring {
namespace {

InstrumentsSnapshot reactor(uint64_t wait_ns, uint64_t waits, uint64_t high, uint64_t low) {
  ReactorInstruments live;
  live.record(HistogramId::handoff_wait, wait_ns, waits);
  live.record(HistogramId::completions_per_enter, 3);
  live.add(live.busy_ns, 1000);
  live.add(live.sleep_ns, 5000);
  live.raise(live.handoff_high_water, high);
  live.buffers_free_low_water.set(1024);
  live.lower(live.buffers_free_low_water, low);
  return live.snapshot();
}

TEST(InstrumentsJson, PerReactorAndTotalWithUnitsInFieldNames) {
  const JsonValue j = instruments_json({reactor(2000, 10, 7, 900), reactor(8000, 30, 3, 1000)});
  EXPECT_EQ(j["instruments"], kInstrumentsEnabled);
  ASSERT_EQ(j["reactors"].size(), 2u);
  EXPECT_EQ(j["reactors"][1]["reactor"], 1);
  for (const char* name :
       {"handshake_server_full", "handshake_server_resumed", "handshake_client_full",
        "handshake_client_resumed", "connect", "handoff_wait", "reply_send"}) {
    const JsonValue& h = j["total"]["histograms"][name];
    EXPECT_EQ(h["unit"], "seconds") << name;
    for (const char* f : {"count", "sum_ns", "max_ns", "p50_ns", "p90_ns", "p99_ns", "p999_ns"}) {
      EXPECT_TRUE(h.contains(f)) << name << "." << f;
    }
  }
  const JsonValue& cpe = j["total"]["histograms"]["completions_per_enter"];
  EXPECT_EQ(cpe["unit"], "count");
  EXPECT_TRUE(cpe.contains("p99") && cpe.contains("sum") && !cpe.contains("p99_ns"));
  if (!kInstrumentsEnabled) {
    EXPECT_EQ(j["total"]["histograms"]["handoff_wait"]["count"], 0);
    return;
  }
  const JsonValue& wait = j["total"]["histograms"]["handoff_wait"];
  EXPECT_EQ(wait["count"], 40);
  EXPECT_EQ(wait["sum_ns"], 10 * 2000 + 30 * 8000);
  EXPECT_EQ(wait["max_ns"], 8000);
  EXPECT_EQ(wait["p50_ns"], 8000);  // 30 of 40 at 8000 (within a bucket; max caps it)
  EXPECT_EQ(j["reactors"][0]["histograms"]["handoff_wait"]["p99_ns"], 2000);
  EXPECT_EQ(cpe["count"], 2);
  EXPECT_EQ(cpe["p50"], 3);
  const JsonValue& u = j["total"]["utilisation"];
  EXPECT_EQ(u["busy_ns"], 2000);
  EXPECT_EQ(u["sleep_ns"], 10000);
  EXPECT_EQ(u["handoff_high_water"], 7);
  EXPECT_EQ(u["buffers_free_low_water"], 900);
  EXPECT_EQ(j["reactors"][1]["utilisation"]["buffers_free_low_water"], 1000);
}

TEST(InstrumentsJson, NoReactorsGiveEmptyTotals) {
  const JsonValue j = instruments_json({});
  EXPECT_TRUE(j["reactors"].empty());
  EXPECT_EQ(j["total"]["histograms"]["reply_send"]["count"], 0);
  EXPECT_EQ(j["total"]["utilisation"]["busy_ns"], 0);
}

}  // namespace
}  // namespace sipring
