// metrics_text(): issue 13's Prometheus families from snapshots (see engine/api/metrics_text.h),
// with prometheus-cpp-core's data model (MetricFamily) and its TextSerializer, so the escaping
// and number formatting of the text format are the reference library's, not ours.
#include "engine/api/metrics_text.h"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <cstdlib>
#include <limits>
#include <string_view>
#include <utility>

#include "engine/io/uring.h"

namespace sipring {

namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

constexpr double kNsPerSecond = 1e9;

bool is_gauge_doc(std::string_view doc) {
  return doc.find("(gauge)") != std::string_view::npos;
}

ClientMetric reactor_metric(size_t reactor) {
  ClientMetric m;
  m.label.push_back({"reactor", std::to_string(reactor)});
  return m;
}

// One sample, a gauge or a counter by the family's type.
void add_value(MetricFamily* f, ClientMetric m, double value) {
  if (f->type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f->metric.push_back(std::move(m));
}

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

// A counter's family name: "sipring_NAME_total" for a counter, "sipring_NAME" for a gauge; a
// value in nanoseconds (NAME ending "_ns") is exported in seconds, "sipring_..._seconds", since
// Prometheus names base units (promtool refuses abbreviated ones). *scale converts the value.
std::string counter_family_name(std::string_view name, bool gauge, double* scale) {
  std::string out = "sipring_";
  *scale = 1;
  if (name.ends_with("_ns")) {
    out.append(name.substr(0, name.size() - 3));
    out += "_seconds";
    *scale = 1 / kNsPerSecond;
  } else {
    out.append(name);
  }
  if (!gauge) out += "_total";
  return out;
}

// Every counter of SIPRING_COUNTERS, one sample per reactor.
void add_counters(const EngineStats& stats, std::vector<MetricFamily>* out) {
#define SIPRING_COUNTER_FAMILY(name, doc)                                                    \
  {                                                                                          \
    const bool gauge = is_gauge_doc(doc);                                                    \
    double scale = 1;                                                                        \
    MetricFamily f = family(counter_family_name(#name, gauge, &scale), doc,                  \
                            gauge ? MetricType::Gauge : MetricType::Counter);                \
    for (size_t r = 0; r < stats.reactors.size(); r++) {                                     \
      add_value(&f, reactor_metric(r), static_cast<double>(stats.reactors[r].name) * scale); \
    }                                                                                        \
    out->push_back(std::move(f));                                                            \
  }
  SIPRING_COUNTERS(SIPRING_COUNTER_FAMILY)
#undef SIPRING_COUNTER_FAMILY
}

// Where a histogram of SIPRING_HISTOGRAMS goes: its family and the labels it adds to
// "reactor" (the four handshake histograms share one family, told apart by role and kind).
struct HistogramPlace {
  std::string family;
  std::string help;
  std::vector<ClientMetric::Label> labels;
  bool seconds = true;
};

HistogramPlace place_of(std::string_view name, std::string_view unit, std::string_view doc) {
  HistogramPlace p;
  p.seconds = unit == "seconds";
  constexpr std::string_view kHandshake = "handshake_";
  if (name.substr(0, kHandshake.size()) == kHandshake) {
    // handshake_<role>_<kind>
    const std::string_view rest = name.substr(kHandshake.size());
    const size_t us = rest.find('_');
    p.family = "sipring_handshake_duration_seconds";
    p.help =
        "TLS handshake duration: server role from accept, client role from TCP connected, "
        "to handshake done";
    p.labels = {{"role", std::string(rest.substr(0, us))},
                {"kind", std::string(rest.substr(us + 1))}};
    return p;
  }
  p.help = std::string(doc);
  if (name == "connect") {
    p.family = "sipring_connect_duration_seconds";
  } else {
    p.family = "sipring_" + std::string(name) + (p.seconds ? "_seconds" : "");
  }
  return p;
}

constexpr unsigned kFirstBucketLog2 = 10, kLastBucketLog2 = 34;

// 2^k ns in seconds as the double nearest to the decimal value, so the text says "8.192e-06"
// rather than the 8.192000000000001e-06 that 8192 / 1e9 rounds to.
double bucket_seconds(unsigned k) {
  static const auto kBounds = [] {
    std::array<double, kLastBucketLog2 + 1> b{};
    for (unsigned i = kFirstBucketLog2; i <= kLastBucketLog2; i++) {
      b[i] = std::strtod((std::to_string(uint64_t{1} << i) + "e-9").c_str(), nullptr);
    }
    return b;
  }();
  return kBounds[k];
}

ClientMetric::Histogram histogram_of(const HistogramSnapshot& h, bool seconds) {
  ClientMetric::Histogram out;
  out.sample_count = h.count;
  if (seconds) {
    out.sample_sum = static_cast<double>(h.sum_ns) / kNsPerSecond;
    for (unsigned k = kFirstBucketLog2; k <= kLastBucketLog2; k++) {
      // The layout's bucket boundaries: count_at_most(2^k - 1) is exact (see the header).
      out.bucket.push_back({h.count_at_most((uint64_t{1} << k) - 1), bucket_seconds(k)});
    }
  } else {
    out.sample_sum = static_cast<double>(h.sum_ns);  // a count histogram records counts
    for (unsigned k = 0; k <= 12; k++) {
      const uint64_t le = uint64_t{1} << k;
      out.bucket.push_back({h.count_at_most(le), static_cast<double>(le)});
    }
  }
  out.bucket.push_back({h.count, std::numeric_limits<double>::infinity()});
  return out;
}

void add_histograms(const std::vector<InstrumentsSnapshot>& snaps, std::vector<MetricFamily>* out) {
  struct Def {
    std::string_view name, unit, doc;
  };
  static constexpr Def kDefs[] = {
#define SIPRING_HISTOGRAM_DEF(name, unit, doc) {#name, #unit, doc},
      SIPRING_HISTOGRAMS(SIPRING_HISTOGRAM_DEF)
#undef SIPRING_HISTOGRAM_DEF
  };
  const size_t first = out->size();
  for (size_t i = 0; i < kHistogramCount; i++) {
    const HistogramPlace p = place_of(kDefs[i].name, kDefs[i].unit, kDefs[i].doc);
    // A family shared by several histograms (the handshakes) is created by the first.
    MetricFamily* f = nullptr;
    for (size_t j = first; j < out->size(); j++) {
      if ((*out)[j].name == p.family) f = &(*out)[j];
    }
    if (f == nullptr) {
      out->push_back(family(p.family, p.help, MetricType::Histogram));
      f = &out->back();
    }
    for (size_t r = 0; r < snaps.size(); r++) {
      ClientMetric m = reactor_metric(r);
      m.label.insert(m.label.end(), p.labels.begin(), p.labels.end());
      m.histogram = histogram_of(snaps[r].histograms[i], p.seconds);
      f->metric.push_back(std::move(m));
    }
  }
}

void add_utilisation(const std::vector<InstrumentsSnapshot>& snaps,
                     std::vector<MetricFamily>* out) {
  struct Def {
    const char* name;
    MetricType type;
    double scale;
    uint64_t InstrumentsSnapshot::*field;
    const char* help;
  };
  static const Def kDefs[] = {
      {"sipring_loop_busy_seconds_total", MetricType::Counter, 1 / kNsPerSecond,
       &InstrumentsSnapshot::busy_ns,
       "time the reactor thread spent outside io_uring_enter's wait"},
      {"sipring_loop_sleep_seconds_total", MetricType::Counter, 1 / kNsPerSecond,
       &InstrumentsSnapshot::sleep_ns, "time the reactor thread spent waiting in io_uring_enter"},
      {"sipring_loop_polls_total", MetricType::Counter, 1, &InstrumentsSnapshot::polls,
       "non-blocking io_uring_enter calls made while work was expected (busy/adaptive poll)"},
      {"sipring_handoff_ring_high_water", MetricType::Gauge, 1,
       &InstrumentsSnapshot::handoff_high_water,
       "most frames ever waiting in the handoff ring at once"},
      {"sipring_reply_inbox_high_water_bytes", MetricType::Gauge, 1,
       &InstrumentsSnapshot::inbox_high_water_bytes,
       "most bytes ever waiting in the reply inbox at once"},
      {"sipring_buffers_free_low_water", MetricType::Gauge, 1,
       &InstrumentsSnapshot::buffers_free_low_water,
       "fewest provided receive buffers ever free at once"},
  };
  for (const Def& d : kDefs) {
    MetricFamily f = family(d.name, d.help, d.type);
    for (size_t r = 0; r < snaps.size(); r++) {
      add_value(&f, reactor_metric(r), static_cast<double>(snaps[r].*d.field) * d.scale);
    }
    out->push_back(std::move(f));
  }
}

void add_engine(const MetricsInput& in, std::vector<MetricFamily>* out) {
  MetricFamily certs =
      family("sipring_tls_certificate_not_after_seconds",
             "notAfter of each certificate a TLS domain presents (Unix time)", MetricType::Gauge);
  for (const TlsCertificate& c : in.certificates) {
    ClientMetric m;
    m.label = {{"domain", c.domain},
               {"file", c.file},
               {"slot", c.certificate2 ? "certificate2" : "certificate"}};
    add_value(&certs, std::move(m), static_cast<double>(c.facts.not_after));
  }
  out->push_back(std::move(certs));

  MetricFamily build =
      family("sipring_build_info", "sipring's version and what it runs on (1)", MetricType::Gauge);
  ClientMetric b;
  // instruments="off": a -Dinstruments=false build, whose histograms stay empty.
  b.label = {{"version", in.version},
             {"boringssl", in.boringssl},
             {"uring_features", in.uring_features},
             {"instruments", kInstrumentsEnabled ? "on" : "off"}};
  add_value(&build, std::move(b), 1);
  out->push_back(std::move(build));

  MetricFamily start = family("sipring_start_time_seconds", "when the engine started (Unix time)",
                              MetricType::Gauge);
  add_value(&start, ClientMetric(), static_cast<double>(in.start_time_unix));
  out->push_back(std::move(start));

  MetricFamily reactors = family("sipring_reactors", "reactor threads", MetricType::Gauge);
  add_value(&reactors, ClientMetric(), in.reactors);
  out->push_back(std::move(reactors));

  MetricFamily http = family("sipring_metrics_http_responses_total",
                             "answers of the /metrics endpoint by HTTP status (503: "
                             "ctl.metrics_max_clients, 408: ctl.metrics_timeout_ms, 431: head "
                             "over 8 KiB)",
                             MetricType::Counter);
  const std::pair<const char*, uint64_t> codes[] = {
      {"200", in.http.scrapes},         {"400", in.http.bad_requests},
      {"404", in.http.not_found},       {"405", in.http.bad_methods},
      {"408", in.http.head_timeouts},   {"431", in.http.heads_too_large},
      {"503", in.http.clients_refused}, {"505", in.http.bad_versions}};
  for (const auto& [code, n] : codes) {
    ClientMetric m;
    m.label = {{"code", code}};
    add_value(&http, std::move(m), static_cast<double>(n));
  }
  out->push_back(std::move(http));
  MetricFamily slow = family("sipring_metrics_http_answer_timeouts_total",
                             "/metrics clients closed for not reading their answer within "
                             "ctl.metrics_timeout_ms",
                             MetricType::Counter);
  add_value(&slow, ClientMetric(), static_cast<double>(in.http.answer_timeouts));
  out->push_back(std::move(slow));
}

}  // namespace

std::string uring_feature_labels(const UringFeatures& f) {
  std::string s;
  const std::pair<bool, const char*> flags[] = {{f.single_issuer, "single_issuer"},
                                                {f.defer_taskrun, "defer_taskrun"},
                                                {f.coop_taskrun, "coop_taskrun"},
                                                {f.registered_ring_fd, "registered_ring_fd"},
                                                {f.multishot_accept, "multishot_accept"},
                                                {f.multishot_recv, "provided_buffers"},
                                                {f.send_zc, "send_zc"},
                                                {f.msg_ring, "msg_ring"},
                                                {f.direct_files != 0, "direct_files"}};
  for (const auto& [on, name] : flags) {
    if (!on) continue;
    if (!s.empty()) s += ',';
    s += name;
  }
  return s;
}

std::string metrics_text(const MetricsInput& in) {
  std::vector<MetricFamily> families;
  families.reserve(128);
  add_counters(in.stats, &families);
  add_histograms(in.instruments, &families);
  add_utilisation(in.instruments, &families);
  add_engine(in, &families);
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace sipring
