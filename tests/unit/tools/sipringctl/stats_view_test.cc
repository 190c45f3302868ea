// `sipringctl stats`' layout (tools/sipringctl/stats_view.h) on fake core.stats and
// core.instruments results shaped as the shared interface of issue 13 says (two reactors), and
// its command line (parse_stats_args).
#include "tools/sipringctl/stats_view.h"

#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "tools/sipringctl/args.h"

namespace sipring::ctl {
namespace {

// A "seconds" histogram as core.instruments gives it (quantiles in ns, fields ending in _ns).
JsonValue seconds_histogram(uint64_t count, double p50_ns, double p99_ns, double p999_ns) {
  return JsonValue{{"unit", "seconds"}, {"count", count},    {"sum_ns", count * p50_ns},
                   {"max_ns", p999_ns}, {"p50_ns", p50_ns},  {"p90_ns", p50_ns},
                   {"p99_ns", p99_ns},  {"p999_ns", p999_ns}};
}

JsonValue count_histogram(uint64_t count, double sum) {
  return JsonValue{{"unit", "count"}, {"count", count}, {"sum", sum}, {"max", 64},
                   {"p50", 2},        {"p90", 4},       {"p99", 16},  {"p999", 32}};
}

// One reactor's (or the total's) instruments; `scale` multiplies the counts.
JsonValue instruments_of(uint64_t scale, uint64_t busy_ns, uint64_t sleep_ns) {
  JsonValue h = JsonValue::object();
  h["handshake_server_full"] = seconds_histogram(10 * scale, 1.2e6, 3.4e6, 5e6);
  h["handshake_server_resumed"] = seconds_histogram(5 * scale, 450e3, 900e3, 1e6);
  h["handshake_client_full"] = seconds_histogram(0, 0, 0, 0);
  h["handshake_client_resumed"] = seconds_histogram(0, 0, 0, 0);
  h["connect"] = seconds_histogram(0, 0, 0, 0);
  h["handoff_wait"] = seconds_histogram(1000 * scale, 850, 12345, 2.5e6);
  h["reply_send"] = seconds_histogram(1000 * scale, 20e3, 150e3, 1.5e9);
  h["completions_per_enter"] = count_histogram(100 * scale, 300.0 * scale);
  JsonValue u = {{"busy_ns", busy_ns},
                 {"sleep_ns", sleep_ns},
                 {"polls", 0},
                 {"handoff_high_water", 17 * scale},
                 {"inbox_high_water_bytes", 8192},
                 {"buffers_free_low_water", 120}};
  return JsonValue{{"histograms", h}, {"utilisation", u}};
}

JsonValue counters_of(uint64_t accepted, uint64_t open) {
  JsonValue c = JsonValue::object();
  c["connections_open"] = open;
  c["accepted"] = accepted;
  c["handshakes_full"] = accepted;
  c["messages_in"] = 16 * accepted;
  c["bytes_out"] = 5000 * accepted;
  return c;
}

// Two reactors with `accepted` connections each; busy 1/4 of the time.
StatsSample sample(uint64_t accepted, double at_s, uint64_t busy_ns = 1'000'000'000) {
  StatsSample s;
  s.at_s = at_s;
  s.when = "17:02:33";
  s.counters = {{"total", counters_of(2 * accepted, 6)},
                {"reactors", {counters_of(accepted, 3), counters_of(accepted, 3)}}};
  JsonValue r0 = instruments_of(1, busy_ns, 3 * busy_ns);
  r0["reactor"] = 0;
  JsonValue r1 = instruments_of(1, busy_ns, 3 * busy_ns);
  r1["reactor"] = 1;
  s.instruments = {{"reactors", {r0, r1}}, {"total", instruments_of(2, 2 * busy_ns, 6 * busy_ns)}};
  return s;
}

// The cells of the row labelled `label` (its first words, exactly), split at blanks; the table's
// rows are "  label  r0  r1  total  /s". Empty when there is no such row.
std::vector<std::string> row(const std::string& text, const std::string& label) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos || line.compare(start, label.size(), label) != 0) continue;
    const size_t after = start + label.size();
    if (after < line.size() && line.compare(after, 2, "  ") != 0) continue;  // a longer label
    std::istringstream words(line.substr(after));
    std::vector<std::string> cells;
    for (std::string w; words >> w;) cells.push_back(w);
    return cells;
  }
  return {};
}

using Cells = std::vector<std::string>;

TEST(FormatNs, ThreeSignificantDigitsAndTheUnitThatFits) {
  EXPECT_EQ(format_ns(0), "0ns");
  EXPECT_EQ(format_ns(850), "850ns");
  EXPECT_EQ(format_ns(999.4), "999ns");
  EXPECT_EQ(format_ns(1000), "1.00us");
  EXPECT_EQ(format_ns(12345), "12.3us");
  EXPECT_EQ(format_ns(123456), "123us");
  EXPECT_EQ(format_ns(999'999), "1.00ms");
  EXPECT_EQ(format_ns(1.2e6), "1.20ms");
  EXPECT_EQ(format_ns(3.4e9), "3.40s");
  EXPECT_EQ(format_ns(1234e9), "1234s");
  EXPECT_EQ(format_ns(-1), "-");
}

TEST(FormatRate, SmallWithADecimalLargeWithASuffix) {
  EXPECT_EQ(format_rate(0), "0.0");
  EXPECT_EQ(format_rate(0.5), "0.5");
  EXPECT_EQ(format_rate(42), "42");
  EXPECT_EQ(format_rate(9999), "9999");
  EXPECT_EQ(format_rate(12345), "12.3k");
  EXPECT_EQ(format_rate(4.56e6), "4.56M");
  EXPECT_EQ(format_rate(7.89e9), "7.89G");
  EXPECT_EQ(format_rate(-3), "-");
}

TEST(FormatStats, OneSampleShowsCountsAndPercentilesPerReactorAndInTotal) {
  const std::string text = format_stats(sample(100, 10.0), nullptr);
  EXPECT_EQ(text.rfind("sipring stats at 17:02:33: 2 reactors; counts and busy % since start", 0),
            0u)
      << text;
  EXPECT_EQ(row(text, "r0"), (Cells{"r1", "total", "/s"})) << text;  // the header
  EXPECT_EQ(row(text, "busy %"), (Cells{"25.0", "25.0", "25.0"})) << text;
  EXPECT_EQ(row(text, "completions/enter"), (Cells{"3.0", "3.0", "3.0"})) << text;
  EXPECT_EQ(row(text, "handoff ring high-water"), (Cells{"17", "17", "34"})) << text;
  EXPECT_EQ(row(text, "server full"), (Cells{"10", "10", "20", "-"})) << text;
  EXPECT_EQ(row(text, "p50"), (Cells{"1.20ms", "1.20ms", "1.20ms"})) << text;  // the first p50
  EXPECT_EQ(row(text, "server resumed"), (Cells{"5", "5", "10", "-"})) << text;
  EXPECT_EQ(row(text, "handoff wait"), (Cells{"1000", "1000", "2000", "-"})) << text;
  EXPECT_EQ(row(text, "p999"), (Cells{"2.50ms", "2.50ms", "2.50ms"})) << text;
  EXPECT_EQ(row(text, "accepted"), (Cells{"100", "100", "200", "-"})) << text;
  // A gauge has no rate column at all.
  EXPECT_EQ(row(text, "connections_open"), (Cells{"3", "3", "6"})) << text;
  // Members core.stats lacks show as "-".
  EXPECT_EQ(row(text, "closed"), (Cells{"-", "-", "-", "-"})) << text;
  // No client traffic: no client rows.
  EXPECT_TRUE(row(text, "client full").empty()) << text;
  EXPECT_TRUE(row(text, "connect").empty()) << text;
}

TEST(FormatStats, ASecondSampleGivesRatesAndBusyOverTheInterval) {
  const StatsSample before = sample(100, 10.0, 1'000'000'000);
  // 2 s later: 100 more accepted per reactor; busy 3 s of the 4 s more each.
  StatsSample now = sample(200, 12.0, 4'000'000'000);
  for (JsonValue* u : {&now.instruments["reactors"][0]["utilisation"],
                       &now.instruments["reactors"][1]["utilisation"]}) {
    (*u)["sleep_ns"] = 3'000'000'000 + 1'000'000'000;
  }
  now.instruments["total"]["utilisation"]["sleep_ns"] = 8'000'000'000;
  const std::string text = format_stats(now, &before);
  EXPECT_NE(text.find("rates and busy % over the last 2.0 s"), std::string::npos) << text;
  EXPECT_EQ(row(text, "accepted"), (Cells{"200", "200", "400", "100"})) << text;
  EXPECT_EQ(row(text, "messages_in"), (Cells{"3200", "3200", "6400", "1600"})) << text;
  EXPECT_EQ(row(text, "bytes_out"), (Cells{"1000000", "1000000", "2000000", "500k"})) << text;
  EXPECT_EQ(row(text, "busy %"), (Cells{"75.0", "75.0", "75.0"})) << text;
}

TEST(FormatStats, ACounterThatWentDownHasNoRate) {
  const StatsSample before = sample(100, 10.0);
  const std::string text = format_stats(sample(10, 12.0), &before);  // restarted in between
  EXPECT_EQ(row(text, "accepted"), (Cells{"10", "10", "20", "-"})) << text;
}

TEST(FormatStats, ClientRowsAppearOnceTheClientRoleHasTraffic) {
  StatsSample s = sample(100, 10.0);
  JsonValue h = seconds_histogram(7, 2e6, 4e6, 5e6);
  s.instruments["reactors"][1]["histograms"]["handshake_client_full"] = h;
  s.instruments["total"]["histograms"]["handshake_client_full"] = h;
  s.instruments["total"]["histograms"]["connect"] = seconds_histogram(7, 50e3, 80e3, 90e3);
  const std::string text = format_stats(s, nullptr);
  EXPECT_EQ(row(text, "client full"), (Cells{"0", "7", "7", "-"})) << text;
  EXPECT_EQ(row(text, "client resumed"), (Cells{"0", "0", "0", "-"})) << text;
  EXPECT_EQ(row(text, "connect"), (Cells{"0", "0", "7", "-"})) << text;
}

TEST(FormatStats, WithoutInstrumentsItSaysWhyAndShowsTheCounters) {
  StatsSample s = sample(100, 10.0);
  s.instruments = nullptr;
  s.instruments_error = "-32601: Method not found";
  std::string text = format_stats(s, nullptr);
  EXPECT_NE(text.find("instruments: unavailable (core.instruments: -32601: Method not found)"),
            std::string::npos)
      << text;
  EXPECT_TRUE(row(text, "busy %").empty()) << text;
  EXPECT_EQ(row(text, "accepted"), (Cells{"100", "100", "200", "-"})) << text;

  s = sample(100, 10.0);
  s.instruments["instruments"] = false;
  text = format_stats(s, nullptr);
  EXPECT_NE(text.find("instruments: compiled out"), std::string::npos) << text;
  EXPECT_TRUE(row(text, "server full").empty()) << text;
}

TEST(FormatStats, MalformedMembersShowAsDashes) {
  StatsSample s = sample(100, 10.0);
  s.instruments["reactors"][0]["histograms"]["reply_send"] = "junk";
  s.instruments["reactors"][1] = 5;
  s.instruments["total"].erase("utilisation");
  s.counters["reactors"][0]["accepted"] = "many";
  const std::string text = format_stats(s, nullptr);
  EXPECT_EQ(row(text, "reply send"), (Cells{"-", "-", "2000", "-"})) << text;
  EXPECT_EQ(row(text, "busy %"), (Cells{"25.0", "-", "-"})) << text;
  EXPECT_EQ(row(text, "accepted"), (Cells{"-", "100", "200", "-"})) << text;
  // Not even an object.
  EXPECT_NE(format_stats(StatsSample{}, nullptr).find("0 reactors"), std::string::npos);
}

TEST(StatsJson, MergesBothResults) {
  StatsSample s = sample(1, 1.0);
  JsonValue j = stats_json(s);
  EXPECT_EQ(j["counters"], s.counters);
  EXPECT_EQ(j["instruments"], s.instruments);
  EXPECT_FALSE(j.contains("instruments_error"));
  s.instruments = nullptr;
  s.instruments_error = "-32601: Method not found";
  j = stats_json(s);
  EXPECT_TRUE(j["instruments"].is_null());
  EXPECT_EQ(j["instruments_error"], "-32601: Method not found");
}

std::optional<int> parse(std::vector<std::string> words, StatsOptions* o, bool json = false) {
  return parse_stats_args(words, json, o);
}

TEST(ParseStatsArgs, TakesWatchCountAndJson) {
  StatsOptions o;
  EXPECT_EQ(parse({}, &o), std::nullopt);
  EXPECT_FALSE(o.json);
  EXPECT_EQ(o.watch_s, 0);
  EXPECT_EQ(o.count, 0u);
  EXPECT_EQ(parse({"--watch", "0.5", "--count", "3", "--json"}, &o), std::nullopt);
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.watch_s, 0.5);
  EXPECT_EQ(o.count, 3u);
  EXPECT_EQ(parse({"-w", "2"}, &o, /*json=*/true), std::nullopt);  // sipringctl --json stats
  EXPECT_TRUE(o.json);
  EXPECT_EQ(o.watch_s, 2);
}

TEST(ParseStatsArgs, RefusesBadArgumentsWithExitTwo) {
  for (const std::vector<std::string>& words :
       std::vector<std::vector<std::string>>{{"--watch"},
                                             {"--watch", "0"},
                                             {"--watch", "abc"},
                                             {"--watch", "-1"},
                                             {"--watch", "1", "--count", "0"},
                                             {"--watch", "1", "--count", "1.5"},
                                             {"--count", "3"},
                                             {"extra"},
                                             {"--bogus"}}) {
    StatsOptions o;
    testing::internal::CaptureStderr();
    EXPECT_EQ(parse(words, &o), 2) << words.size() << " " << words[0];
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(err.rfind("sipringctl stats: ", 0), 0u) << err;
  }
}

}  // namespace
}  // namespace sipring::ctl
