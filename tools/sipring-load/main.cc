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
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sipring/engine.h"
#include "tools/sipring-load/load_core.h"
#include "tools/sipring-load/load_plan.h"
#include "tools/sipring-load/server_cpu.h"

using namespace sipring;
using namespace sipring::load;

namespace {

void usage() {
  fprintf(
      stderr,
      "usage: sipring-load MODE --target IP:PORT [options]\n"
      "modes:\n"
      "  handshake  open, handshake, send one OPTIONS, close; --count N total, --connections C\n"
      "             in flight, --resume to offer session tickets (resumed handshakes)\n"
      "  rps        --connections C x --pipeline P requests in flight; --requests N total or\n"
      "             --duration S\n"
      "  rate       open loop at --rate R req/s over --connections C for --duration S\n"
      "             (--warmup S excluded from latency); reports p50/p99/p99.9\n"
      "  idle       open --connections N, one OPTIONS each, hold them --hold S seconds\n"
      "options:\n"
      "  --reactors N       load reactors (default 1)      --cpus LIST   pin them (e.g. 1)\n"
      "  --tls METHOD       TLSv1.2, TLSv1.3, TLSv1.2+ (default TLSv1.3)\n"
      "  --ciphers LIST     TLS 1.2 cipher list            --sni NAME    (default localhost)\n"
      "  --ca FILE          verify the server certificate against this CA (and its name:\n"
      "                     --sni, else the target address; --verify-name NAME|no)\n"
      "  --crl FILE         refuse servers whose certificate it revokes\n"
      "  --cert FILE --key FILE [--key-password PW]  present a client certificate\n"
      "  --server-pid P[,P] measure the server's CPU time over the measured phase\n"
      "  --max-seconds S    hard stop (default: duration + 30)\n"
      "  --busy-poll-us N   poll this long after activity before sleeping (default 1000)\n"
      "  --ramp N           rps/rate/idle: handshakes in flight while connecting (default 200)\n"
      "  --handshake-timeout-ms N  give up on a connect+handshake after N ms (default 30000)\n");
}

std::vector<int> parse_cpus(const char* s) {
  std::vector<int> v;
  while (*s) {
    char* end;
    long a = strtol(s, &end, 10);
    long b = a;
    if (*end == '-') b = strtol(end + 1, &end, 10);
    for (long i = a; i <= b; i++) v.push_back(static_cast<int>(i));
    s = *end == ',' ? end + 1 : end;
    if (end == s && *s) break;
  }
  return v;
}

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

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    usage();
    return 2;
  }
  Plan plan;
  std::string mode = argv[1];
  if (mode == "handshake")
    plan.mode = Mode::kHandshake;
  else if (mode == "rps")
    plan.mode = Mode::kRps;
  else if (mode == "rate")
    plan.mode = Mode::kRate;
  else if (mode == "idle")
    plan.mode = Mode::kIdle;
  else {
    usage();
    return 2;
  }
  std::string target, tls = "TLSv1.3", ciphers, ca, pids;
  std::string client_cert, client_key, client_key_password, client_crl, verify_name;
  std::vector<int> cpus;
  double max_seconds = 0;
  uint32_t busy_poll_us = 1000;
  for (int i = 2; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        fprintf(stderr, "sipring-load: %s needs a value\n", a.c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (a == "--target")
      target = next();
    else if (a == "--connections")
      plan.connections = static_cast<uint32_t>(atoi(next()));
    else if (a == "--pipeline")
      plan.pipeline = static_cast<uint32_t>(atoi(next()));
    else if (a == "--requests")
      plan.requests = strtoull(next(), nullptr, 10);
    else if (a == "--count")
      plan.handshakes = strtoull(next(), nullptr, 10);
    else if (a == "--resume")
      plan.resume = true;
    else if (a == "--rate")
      plan.rate = atof(next());
    else if (a == "--duration")
      plan.duration_s = atof(next());
    else if (a == "--hold")
      plan.hold_s = atof(next());
    else if (a == "--warmup")
      plan.warmup_s = atof(next());
    else if (a == "--reactors")
      plan.reactors = static_cast<uint32_t>(atoi(next()));
    else if (a == "--cpus")
      cpus = parse_cpus(next());
    else if (a == "--tls")
      tls = next();
    else if (a == "--ciphers")
      ciphers = next();
    else if (a == "--sni")
      plan.sni = next();
    else if (a == "--ca")
      ca = next();
    else if (a == "--cert")
      client_cert = next();
    else if (a == "--key")
      client_key = next();
    else if (a == "--key-password")
      client_key_password = next();
    else if (a == "--crl")
      client_crl = next();
    else if (a == "--verify-name")
      verify_name = next();
    else if (a == "--server-pid")
      pids = next();
    else if (a == "--max-seconds")
      max_seconds = atof(next());
    else if (a == "--busy-poll-us")
      busy_poll_us = static_cast<uint32_t>(atoi(next()));
    else if (a == "--ramp")
      plan.ramp = static_cast<uint32_t>(atoi(next()));
    else if (a == "--handshake-timeout-ms")
      plan.handshake_timeout_ms = atoi(next());
    else {
      fprintf(stderr, "sipring-load: unknown option %s\n", a.c_str());
      usage();
      return 2;
    }
  }
  if (!SockAddr::parse(target, &plan.target) || plan.target.port() == 0) {
    fprintf(stderr, "sipring-load: --target IP:PORT is required (got \"%s\")\n", target.c_str());
    return 2;
  }
  if ((!client_crl.empty() || !verify_name.empty()) && ca.empty()) {
    // Without --ca nothing is verified, so a CRL or a name would be silently ignored.
    fprintf(stderr,
            "sipring-load: --crl and --verify-name need --ca (without it the server's "
            "certificate is not verified)\n");
    return 2;
  }
  if (plan.reactors == 0 || plan.connections == 0 || plan.ramp == 0) {
    fprintf(stderr, "sipring-load: --reactors, --connections and --ramp must be at least 1\n");
    return 2;
  }
  if (max_seconds <= 0) {
    max_seconds = (plan.mode == Mode::kIdle ? plan.hold_s : plan.duration_s) + 30;
  }
  ServerCpu server_cpu(pids);
  set_log_level(0);  // warnings and errors only: the JSON line is the output
  // Open-loop pacing sleeps until the next send time; the default 50 us timer slack would make
  // every send late by up to that much (and show up as server latency). Threads inherit this.
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

  Config cfg;
  cfg.source = "sipring-load";
  cfg.engine.reactors = static_cast<int>(plan.reactors);
  cfg.engine.cpus = cpus;
  cfg.engine.max_connections = std::max<uint32_t>(plan.connections + 64, 1024);
  cfg.engine.handshake_timeout_ms = plan.handshake_timeout_ms;
  cfg.tls.connection_timeout = -1;  // the load decides when connections end
  // The load tool owns its CPU: polling instead of sleeping keeps its own wake-up latency out
  // of the server's measured latency.
  cfg.engine.busy_poll_us = busy_poll_us;
  Totals totals;
  std::vector<std::vector<uint32_t>> samples(plan.reactors);
  size_t expected =
      plan.mode == Mode::kRate
          ? static_cast<size_t>(plan.rate * (plan.duration_s + 5) / plan.reactors) + 1024
          : 4'000'000;
  for (auto& s : samples) s.reserve(expected);
  Engine::Options options;
  options.listen = false;
  options.client.tls_method = tls;
  options.client.cipher_list = ciphers;
  options.client.ca_list = ca;
  options.client.verify_certificate = !ca.empty();  // --ca: verify the server against it
  options.client.crl = client_crl;
  options.client.certificate = client_cert;
  options.client.private_key = client_key;
  options.client.private_key_password = client_key_password;
  options.client.verify_hostname = verify_name;
  options.client.tickets = plan.mode != Mode::kHandshake || plan.resume;
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
  (*engine)->stop(2000);
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
  char extra[512] = "";
  if (plan.mode == Mode::kHandshake) {
    uint64_t full = totals.handshakes_full.load(), resumed = totals.handshakes_resumed.load();
    ops = full + resumed;
    snprintf(extra, sizeof(extra),
             ",\"handshakes\":{\"full\":%llu,\"resumed\":%llu,\"per_s\":%.1f}",
             (unsigned long long)full, (unsigned long long)resumed, ops / elapsed);
  } else if (plan.mode != Mode::kIdle) {
    ops = received;
  } else {
    ops = totals.opened.load();
  }
  (void)end_ns;
  std::string server = server_cpu.json(ops);
  std::string reasons;
  for (int i = 0; i < 16; i++) {
    uint64_t n = totals.close_reasons[i].load();
    if (n == 0) continue;
    reasons += (reasons.empty() ? "" : ",") + std::string("\"") +
               close_reason_name(static_cast<CloseReason>(i)) + "\":" + std::to_string(n);
  }
  server = ",\"failed_or_unexpected_closes\":{" + reasons + "}" + server;
  printf(
      "{\"mode\":\"%s\",\"target\":\"%s\",\"tls\":\"%s\",\"reactors\":%u,\"connections\":%u,"
      "\"pipeline\":%u,\"rate_target\":%.0f,\"opened\":%llu,\"sent\":%llu,\"received\":%llu,"
      "\"lost\":%llu,\"mismatched\":%llu,\"unexpected_closes\":%llu,\"connect_failures\":%llu,"
      "\"elapsed_s\":%.3f,\"per_s\":%.1f,\"latency_us\":{\"samples\":%zu,\"p50\":%.1f,\"p90\":%.1f,"
      "\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}%s,\"client_cpu_s\":%.3f%s}\n",
      mode_name(plan.mode), target.c_str(), tls.c_str(), plan.reactors, plan.connections,
      plan.pipeline, plan.rate, (unsigned long long)totals.opened.load(), (unsigned long long)sent,
      (unsigned long long)received, (unsigned long long)lost, (unsigned long long)mismatched,
      (unsigned long long)totals.unexpected_closes.load(),
      (unsigned long long)totals.connect_failures.load(), elapsed, ops / elapsed, all.size(),
      percentile(all, 50), percentile(all, 90), percentile(all, 99), percentile(all, 99.9),
      all.empty() ? 0.0 : all.back() / 1000.0, extra, cpu(ru1) - cpu(ru0), server.c_str());
  fflush(stdout);
  bool ok = lost == 0 && mismatched == 0 && totals.connect_failures.load() == 0;
  return ok ? 0 : 3;
}
