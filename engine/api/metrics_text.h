// The Prometheus text for /metrics (modparam("ctl", "metrics", ...)), built from snapshots.
//
// The names are issue 13's interface (README "Metrics", docs/grafana-sipring.json uses them):
//   sipring_<counter>_total{reactor}     every counter of SIPRING_COUNTERS (sipring/stats.h);
//   sipring_<counter>{reactor}           those documented "(gauge)", as gauges;
//   sipring_handshake_duration_seconds{reactor,role,kind}, sipring_connect_duration_seconds,
//   sipring_handoff_wait_seconds, sipring_reply_send_seconds (histograms, seconds) and
//   sipring_completions_per_enter (histogram, a count), all per reactor;
//   sipring_loop_busy_seconds_total, sipring_loop_sleep_seconds_total, sipring_loop_polls_total,
//   sipring_handoff_ring_high_water, sipring_reply_inbox_high_water_bytes,
//   sipring_buffers_free_low_water (per reactor);
//   sipring_tls_certificate_not_after_seconds{domain,file,slot}, sipring_build_info{version,
//   boringssl,uring_features} (always 1), sipring_start_time_seconds, sipring_reactors;
//   sipring_metrics_http_responses_total{code} and sipring_metrics_http_answer_timeouts_total
//   (the scrape endpoint's own answers and limits).
//
// Histogram buckets are the exact bucket boundaries of engine/sync/histogram.h: for the
// durations le = 2^k ns for k = 10..34 (1.024e-06 s .. 17.18 s), counting the values below
// 2^k ns (a value of exactly 2^k ns lands in the next bucket: the layout's boundaries are
// "below", Prometheus's "at most", one nanosecond apart); for completions_per_enter
// le = 1, 2, 4, .. 4096, exact up to 32 and counting the whole bucket of the layout that holds
// le above it (at most 1/32 wider). Every histogram ends with +Inf == _count, and _sum is in
// the histogram's unit (seconds or completions).
//
// This file only formats: metrics_text() reads nothing but its input, so it is tested without
// an engine or a socket. The engine fills MetricsInput on the control thread from its
// thread-safe read paths (Engine::stats(), the instruments' snapshots, the TLS contexts).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/control/metrics_http.h"
#include "engine/sync/instruments.h"
#include "sipring/engine.h"
#include "sipring/stats.h"

namespace sipring {

struct UringFeatures;

struct MetricsInput {
  EngineStats stats;                             // one ReactorStats per reactor
  std::vector<InstrumentsSnapshot> instruments;  // one per reactor (may be empty)
  std::vector<TlsCertificate> certificates;      // the TLS domains' certificates in use
  std::string version;                           // SIPRING_VERSION
  std::string boringssl;                         // the TLS library at run time
  std::string uring_features;                    // uring_feature_labels()
  int64_t start_time_unix = 0;                   // when the engine started (Unix seconds)
  uint32_t reactors = 0;
  MetricsHttpCounters http;  // the scrape endpoint's own counters
};

// The io_uring features in use as a short label value: "defer_taskrun,multishot_accept,...".
std::string uring_feature_labels(const UringFeatures& f);

// The whole exposition (text format 0.0.4), families in the order above.
std::string metrics_text(const MetricsInput& in);

}  // namespace sipring
