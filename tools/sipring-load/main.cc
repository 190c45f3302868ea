// sipring-load: a SIP-over-TLS load generator built on sipring's own reactors (client role).
//
//   sipring-load MODE --target IP:PORT [options]
//
// Modes: handshake (full or --resume handshakes per second), rps (C connections x P pipelined
// requests, every response checked), rate (open loop at R req/s, latency percentiles), idle
// (hold N established connections). It ends by itself, shows progress once a second on a
// terminal, and prints one JSON line of results on stdout.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sipring/engine.h"
#include "tools/common/json.h"
#include "tools/common/latency_histogram.h"
#include "tools/sipring-load/load_args.h"
#include "tools/sipring-load/load_core.h"
#include "tools/sipring-load/load_plan.h"
#include "tools/sipring-load/server_cpu.h"

using namespace sipring;
using namespace sipring::load;
using sipring::tool::json_text;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

double percentile(const std::vector<uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t idx = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(idx, sorted.size() - 1)] / 1000.0;  // ns -> us
}

// Writes the histogram of `sorted` (latencies in ns) to `path` as CSV (tools/common/
// latency_histogram.h). False after printing why on stderr.
bool write_histogram(const std::string& path, const std::vector<uint32_t>& sorted) {
  sipring::tool::LatencyHistogram h;
  for (uint32_t ns : sorted) h.record(ns);
  const std::string csv = sipring::tool::histogram_csv(h);
  FILE* f = fopen(path.c_str(), "w");
  bool ok = f != nullptr && fwrite(csv.data(), 1, csv.size(), f) == csv.size();
  int err = errno;
  if (f != nullptr && fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) fprintf(stderr, "sipring-load: --histogram %s: %s\n", path.c_str(), strerror(err));
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  LoadArgs args;
  if (std::optional<int> done = parse_load_args(argc, argv, &args)) return *done;
  const Plan& plan = args.plan;
  const std::string& target = args.target;
  const std::string& tls = args.client.tls_method;
  const double max_seconds = args.max_seconds;
  ServerCpu server_cpu(args.server_pids);
  set_log_level(kLogWarn);  // warnings and errors only: the JSON line is the output
  // Open-loop pacing sleeps until the next send time; the default 50 us timer slack would make
  // every send late by up to that much (and show up as server latency). Threads inherit this.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  Config cfg;
  cfg.source = "sipring-load";
  cfg.engine.reactors = static_cast<int>(plan.reactors);
  cfg.engine.cpus = args.cpus;
  cfg.engine.max_connections = std::max<uint32_t>(plan.connections + 64, 1024);
  cfg.engine.handshake_timeout_ms = plan.handshake_timeout_ms;
  cfg.tls.connection_timeout = -1;  // the load decides when connections end
  // The load tool owns its CPU: polling instead of sleeping keeps its own wake-up latency out
  // of the server's measured latency.
  cfg.engine.busy_poll_us = args.busy_poll_us;
  Totals totals;
  std::vector<std::vector<uint32_t>> samples(plan.reactors);
  size_t expected =
      plan.mode == Mode::kRate
          ? static_cast<size_t>(plan.rate * (plan.duration_s + 5) / plan.reactors) + 1024
          : 4'000'000;
  for (auto& s : samples) s.reserve(expected);
  Engine::Options options;
  options.listen = false;
  options.client = args.client;
  options.client_proxy_protocol = args.proxy_protocol;
  options.core = [&](uint32_t r) -> std::unique_ptr<Core> {
    uint32_t share =
        plan.connections / plan.reactors + (r < plan.connections % plan.reactors ? 1 : 0);
    return std::make_unique<LoadCore>(plan, &totals, r, share, &samples[r]);
  };
  auto engine = Engine::create(cfg, options);
  if (!engine) {
    fprintf(stderr, "sipring-load: %s\n", engine.error().message.c_str());
    return 1;
  }
  rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);
  auto t0 = std::chrono::steady_clock::now();
  server_cpu.begin();
  if (Status s = (*engine)->start(); !s) {
    fprintf(stderr, "sipring-load: %s\n", s.message().c_str());
    return 1;
  }
  const bool tty = isatty(STDERR_FILENO);
  double stop_at = plan.mode == Mode::kIdle ? max_seconds : plan.duration_s + plan.warmup_s;
  uint64_t last_received = 0;
  double last_t = 0;
  bool sending_stopped = false;
  double stopped_at = 0;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    double t = seconds_since(t0);
    if (!sending_stopped && t >= stop_at) {
      totals.stop_sending.store(true, std::memory_order_relaxed);
      sending_stopped = true;
      stopped_at = t;
    }
    if (totals.reactors_done.load(std::memory_order_relaxed) == plan.reactors) break;
    if (t >= max_seconds || (sending_stopped && t - stopped_at > 10)) break;  // bounded drain
    if (tty && t - last_t >= 1.0) {
      uint64_t rcv = totals.received.load();
      fprintf(stderr,
              "\r[%5.1fs] opened %llu  sent %llu  received %llu (%.0f/s)  lost %llu  mismatched "
              "%llu   ",
              t, (unsigned long long)totals.opened.load(), (unsigned long long)totals.sent.load(),
              (unsigned long long)rcv, (rcv - last_received) / (t - last_t),
              (unsigned long long)totals.lost.load(), (unsigned long long)totals.mismatched.load());
      last_received = rcv;
      last_t = t;
    }
  }
  uint64_t end_ns = monotonic_ns();
  server_cpu.end();
  if (tty) fprintf(stderr, "\n");
  (*engine)->stop(std::chrono::seconds(2));
  rusage ru1;
  getrusage(RUSAGE_SELF, &ru1);
  auto cpu = [](const rusage& r) {
    return r.ru_utime.tv_sec + r.ru_stime.tv_sec + (r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
  };

  // Requests still unanswered at the end are lost.
  uint64_t sent = totals.sent.load(), received = totals.received.load();
  uint64_t lost = totals.lost.load(), mismatched = totals.mismatched.load();
  if (sent > received + lost + mismatched) lost = sent - received - mismatched;
  std::vector<uint32_t> all;
  for (auto& s : samples) all.insert(all.end(), s.begin(), s.end());
  std::sort(all.begin(), all.end());
  uint64_t first =
      plan.mode == Mode::kHandshake ? totals.measure_start_ns.load() : totals.first_send_ns.load();
  uint64_t last = totals.last_done_ns.load();
  double elapsed = (first != UINT64_MAX && last > first) ? (last - first) / 1e9 : seconds_since(t0);
  uint64_t ops = 0;
  JsonValue handshakes;  // null unless in handshake mode
  if (plan.mode == Mode::kHandshake) {
    uint64_t full = totals.handshakes_full.load(), resumed = totals.handshakes_resumed.load();
    ops = full + resumed;
    handshakes =
        JsonValue::object({{"full", full}, {"resumed", resumed}, {"per_s", ops / elapsed}});
  } else if (plan.mode != Mode::kIdle) {
    ops = received;
  } else {
    ops = totals.opened.load();
  }
  (void)end_ns;
  JsonValue closes = JsonValue::object();
  for (int i = 0; i < 16; i++) {
    uint64_t n = totals.close_reasons[i].load();
    if (n != 0) closes[close_reason_name(static_cast<CloseReason>(i))] = n;
  }
  JsonValue result = JsonValue::object({
      {"mode", mode_name(plan.mode)},
      {"target", target},
      {"tls", tls},
      {"reactors", plan.reactors},
      {"connections", plan.connections},
      {"pipeline", plan.pipeline},
      {"rate_target", plan.rate},
      {"opened", totals.opened.load()},
      {"sent", sent},
      {"received", received},
      {"lost", lost},
      {"mismatched", mismatched},
      {"unexpected_closes", totals.unexpected_closes.load()},
      {"connect_failures", totals.connect_failures.load()},
      {"elapsed_s", elapsed},
      {"per_s", ops / elapsed},
      {"latency_us", JsonValue::object({{"samples", all.size()},
                                        {"p50", percentile(all, 50)},
                                        {"p90", percentile(all, 90)},
                                        {"p99", percentile(all, 99)},
                                        {"p999", percentile(all, 99.9)},
                                        {"max", all.empty() ? 0.0 : all.back() / 1000.0}})},
  });
  if (!handshakes.is_null()) result["handshakes"] = std::move(handshakes);
  result["client_cpu_s"] = cpu(ru1) - cpu(ru0);
  result["failed_or_unexpected_closes"] = std::move(closes);
  if (JsonValue server = server_cpu.json(ops); !server.is_null()) result["server"] = server;
  const std::string line = json_text(result) + "\n";
  fwrite(line.data(), 1, line.size(), stdout);
  fflush(stdout);
  bool ok = lost == 0 && mismatched == 0 && totals.connect_failures.load() == 0;
  if (!args.histogram.empty() && !write_histogram(args.histogram, all)) return 1;
  return ok ? 0 : 3;
}
