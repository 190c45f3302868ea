// Tests of metrics_text(): issue 13's Prometheus names, types and labels from a hand-made
// MetricsInput (no engine, no socket): counters and gauges per reactor, histogram buckets at the
// layout's exact boundaries (cumulative, +Inf == _count, _sum in seconds), utilisation, the
// certificates' notAfter with their slot, build info and the endpoint's own counters.
#include "engine/api/metrics_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "engine/io/uring.h"

namespace sipring {
namespace {

// The samples of an exposition: "name{labels}" -> value, and "# TYPE" per family.
struct Parsed {
  std::map<std::string, double> samples;
  std::map<std::string, std::string> types;
  std::vector<std::string> order;  // sample keys in text order
};

Parsed parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      const size_t sp = rest.find(' ');
      p.types[rest.substr(0, sp)] = rest.substr(sp + 1);
      continue;
    }
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    const std::string key = line.substr(0, sp), value = line.substr(sp + 1);
    p.samples[key] = value == "+Inf" ? HUGE_VAL : std::strtod(value.c_str(), nullptr);
    p.order.push_back(key);
  }
  return p;
}

MetricsInput sample_input() {
  MetricsInput in;
  in.stats.reactors.resize(2);
  in.stats.reactors[0].accepted = 5;
  in.stats.reactors[1].accepted = 7;
  in.stats.reactors[1].connections_open = 3;
  in.stats.reactors[0].handshake_failures = 2;
  in.stats.reactors[1].wake_cost_ns = 45000;
  in.instruments.resize(2);
  // Reactor 1: three full server handshakes of 1, 2 and 3 ms, one resumed of 100 us; and
  // completions_per_enter 1, 1, 3 and 100.
  Histogram full, resumed, per_enter;
  for (uint64_t ns : {1000000u, 2000000u, 3000000u}) full.record(ns);
  resumed.record(100000);
  for (uint64_t n : {1u, 1u, 3u, 100u}) per_enter.record(n);
  auto& h = in.instruments[1].histograms;
  full.add_to(&h[static_cast<size_t>(HistogramId::handshake_server_full)]);
  resumed.add_to(&h[static_cast<size_t>(HistogramId::handshake_server_resumed)]);
  per_enter.add_to(&h[static_cast<size_t>(HistogramId::completions_per_enter)]);
  in.instruments[0].busy_ns = 1500000000;
  in.instruments[0].handoff_high_water = 17;
  TlsCertificate c1, c2;
  c1.domain = c2.domain = "server:default";
  c1.file = "/etc/sipring/cert.pem";
  c2.file = "/etc/sipring/cert-ecdsa.pem";
  c1.facts.not_after = 1900000000;
  c2.facts.not_after = 1800000000;
  c2.certificate2 = true;
  in.certificates = {c1, c2};
  in.version = "0.1.0";
  in.boringssl = "BoringSSL 0x1010107f";
  UringFeatures f;
  f.single_issuer = f.defer_taskrun = f.multishot_accept = true;
  in.uring_features = uring_feature_labels(f);
  in.start_time_unix = 1765000000;
  in.reactors = 2;
  in.http.scrapes = 4;
  in.http.clients_refused = 1;
  return in;
}

TEST(MetricsText, CountersAndGaugesPerReactor) {
  const Parsed p = parse(metrics_text(sample_input()));
  EXPECT_EQ(p.types.at("sipring_accepted_total"), "counter");
  EXPECT_EQ(p.samples.at("sipring_accepted_total{reactor=\"0\"}"), 5);
  EXPECT_EQ(p.samples.at("sipring_accepted_total{reactor=\"1\"}"), 7);
  EXPECT_EQ(p.samples.at("sipring_handshake_failures_total{reactor=\"0\"}"), 2);
  // "(gauge)" counters are gauges without _total.
  EXPECT_EQ(p.types.at("sipring_connections_open"), "gauge");
  EXPECT_EQ(p.samples.at("sipring_connections_open{reactor=\"1\"}"), 3);
  EXPECT_EQ(p.types.count("sipring_connections_open_total"), 0u);
  // Kept in ns, exported in seconds (promtool refuses "_ns" in a name).
  EXPECT_EQ(p.types.at("sipring_wake_cost_seconds"), "gauge");
  EXPECT_DOUBLE_EQ(p.samples.at("sipring_wake_cost_seconds{reactor=\"1\"}"), 45e-6);
  EXPECT_EQ(p.types.count("sipring_wake_cost_ns"), 0u);
  EXPECT_EQ(p.types.at("sipring_tx_queued_bytes"), "gauge");
  // Every counter of the X-macro is there, for each reactor.
  size_t families = 0;
#define SIPRING_COUNT_FAMILY(name, doc) families++;
  SIPRING_COUNTERS(SIPRING_COUNT_FAMILY)
#undef SIPRING_COUNT_FAMILY
  size_t counter_like = 0;
  for (const auto& [name, type] : p.types) {
    if (name.rfind("sipring_metrics_http", 0) == 0 || name.rfind("sipring_loop_", 0) == 0) {
      continue;
    }
    if (type == "counter" || (type == "gauge" && p.samples.count(name + "{reactor=\"0\"}"))) {
      counter_like++;
    }
  }
  // Utilisation gauges are per reactor too: 3 of them.
  EXPECT_EQ(counter_like, families + 3);
}

TEST(MetricsText, HistogramsAreCumulativeWithExactBounds) {
  const Parsed p = parse(metrics_text(sample_input()));
  EXPECT_EQ(p.types.at("sipring_handshake_duration_seconds"), "histogram");
  EXPECT_EQ(p.types.at("sipring_connect_duration_seconds"), "histogram");
  EXPECT_EQ(p.types.at("sipring_handoff_wait_seconds"), "histogram");
  EXPECT_EQ(p.types.at("sipring_reply_send_seconds"), "histogram");
  EXPECT_EQ(p.types.at("sipring_completions_per_enter"), "histogram");
  const std::string full = "reactor=\"1\",role=\"server\",kind=\"full\"";
  EXPECT_EQ(p.samples.at("sipring_handshake_duration_seconds_count{" + full + "}"), 3);
  EXPECT_NEAR(p.samples.at("sipring_handshake_duration_seconds_sum{" + full + "}"), 0.006, 1e-12);
  // Buckets 2^k ns: 1 ms is below 2^20 ns (1.048576 ms), 2 ms below 2^21, 3 ms below 2^22.
  auto bucket = [&](const std::string& labels, const std::string& le) {
    return p.samples.at("sipring_handshake_duration_seconds_bucket{" + labels + ",le=\"" + le +
                        "\"}");
  };
  EXPECT_EQ(bucket(full, "0.000524288"), 0);
  EXPECT_EQ(bucket(full, "0.001048576"), 1);
  EXPECT_EQ(bucket(full, "0.002097152"), 2);
  EXPECT_EQ(bucket(full, "0.004194304"), 3);
  EXPECT_EQ(bucket(full, "+Inf"), 3);
  const std::string resumed = "reactor=\"1\",role=\"server\",kind=\"resumed\"";
  EXPECT_EQ(bucket(resumed, "0.000131072"), 1);
  EXPECT_EQ(bucket(resumed, "6.5536e-05"), 0);
  // The range: 2^10 ns .. 2^34 ns, then +Inf; cumulative everywhere, ending at _count.
  size_t buckets = 0;
  double last = -1;
  std::string last_key;
  for (const std::string& key : p.order) {
    if (key.rfind("sipring_handshake_duration_seconds_bucket{" + full, 0) != 0) continue;
    buckets++;
    EXPECT_GE(p.samples.at(key), last) << key;
    last = p.samples.at(key);
    last_key = key;
  }
  EXPECT_EQ(buckets, 26u);
  EXPECT_NE(last_key.find("le=\"+Inf\""), std::string::npos);
  EXPECT_EQ(bucket(full, "1.024e-06"), 0);
  EXPECT_EQ(bucket(full, "17.179869184"), 3);
  // Reactor 0 recorded nothing: present, all zero.
  EXPECT_EQ(
      p.samples.at("sipring_handshake_duration_seconds_count{reactor=\"0\",role=\"client\",kind="
                   "\"resumed\"}"),
      0);
  // completions_per_enter: le 1..4096, a count, _sum in completions.
  auto per_enter = [&](const std::string& le) {
    return p.samples.at("sipring_completions_per_enter_bucket{reactor=\"1\",le=\"" + le + "\"}");
  };
  EXPECT_EQ(per_enter("1"), 2);
  EXPECT_EQ(per_enter("2"), 2);
  EXPECT_EQ(per_enter("4"), 3);
  EXPECT_EQ(per_enter("64"), 3);
  EXPECT_EQ(per_enter("128"), 4);
  EXPECT_EQ(per_enter("4096"), 4);
  EXPECT_EQ(per_enter("+Inf"), 4);
  EXPECT_EQ(p.samples.at("sipring_completions_per_enter_sum{reactor=\"1\"}"), 105);
}

TEST(MetricsText, UtilisationCertificatesAndBuildInfo) {
  const Parsed p = parse(metrics_text(sample_input()));
  EXPECT_EQ(p.types.at("sipring_loop_busy_seconds_total"), "counter");
  EXPECT_DOUBLE_EQ(p.samples.at("sipring_loop_busy_seconds_total{reactor=\"0\"}"), 1.5);
  EXPECT_EQ(p.types.at("sipring_handoff_ring_high_water"), "gauge");
  EXPECT_EQ(p.samples.at("sipring_handoff_ring_high_water{reactor=\"0\"}"), 17);
  EXPECT_EQ(p.types.at("sipring_buffers_free_low_water"), "gauge");
  EXPECT_EQ(p.types.at("sipring_reply_inbox_high_water_bytes"), "gauge");
  EXPECT_EQ(p.types.at("sipring_loop_polls_total"), "counter");
  EXPECT_EQ(p.types.at("sipring_loop_sleep_seconds_total"), "counter");

  EXPECT_EQ(p.types.at("sipring_tls_certificate_not_after_seconds"), "gauge");
  EXPECT_EQ(p.samples.at("sipring_tls_certificate_not_after_seconds{domain=\"server:default\","
                         "file=\"/etc/sipring/cert.pem\",slot=\"certificate\"}"),
            1900000000);
  EXPECT_EQ(p.samples.at("sipring_tls_certificate_not_after_seconds{domain=\"server:default\","
                         "file=\"/etc/sipring/cert-ecdsa.pem\",slot=\"certificate2\"}"),
            1800000000);
  EXPECT_EQ(p.samples.at(std::string("sipring_build_info{version=\"0.1.0\",boringssl=\"BoringSSL "
                                     "0x1010107f\",uring_features=\"single_issuer,defer_taskrun,"
                                     "multishot_accept\",instruments=\"") +
                         (kInstrumentsEnabled ? "on" : "off") + "\"}"),
            1);
  EXPECT_EQ(p.samples.at("sipring_start_time_seconds"), 1765000000);
  EXPECT_EQ(p.samples.at("sipring_reactors"), 2);
  EXPECT_EQ(p.samples.at("sipring_metrics_http_responses_total{code=\"200\"}"), 4);
  EXPECT_EQ(p.samples.at("sipring_metrics_http_responses_total{code=\"503\"}"), 1);
  EXPECT_EQ(p.samples.at("sipring_metrics_http_answer_timeouts_total"), 0);
}

TEST(MetricsText, LabelValuesAreEscaped) {
  MetricsInput in = sample_input();
  in.certificates[0].file = "/odd\"dir\\with\nnewline.pem";
  const std::string text = metrics_text(in);
  EXPECT_NE(text.find("file=\"/odd\\\"dir\\\\with\\nnewline.pem\""), std::string::npos) << text;
}

TEST(MetricsText, EmptyInstrumentsStillNameTheFamilies) {
  MetricsInput in = sample_input();
  in.instruments.clear();
  const Parsed p = parse(metrics_text(in));
  EXPECT_EQ(p.types.at("sipring_handshake_duration_seconds"), "histogram");
  EXPECT_EQ(p.samples.count("sipring_handshake_duration_seconds_count{reactor=\"0\",role=\""
                            "server\",kind=\"full\"}"),
            0u);
}

}  // namespace
}  // namespace sipring
