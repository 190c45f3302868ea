// The refresh loop of `sipringctl stats` (see stats.h).
#include "stats.h"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <utility>

#include "client.h"
#include "stats_view.h"
#include "tools/common/cli.h"

namespace sipring::ctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;

using Clock = std::chrono::steady_clock;
using tool::json_text_pretty;

volatile sig_atomic_t g_stop = 0;

void on_stop_signal(int) {
  g_stop = 1;
}

// Ctrl-C and SIGTERM end the watch between refreshes: without SA_RESTART they interrupt the
// sleep at once; a call under way finishes first (bounded by -t).
void catch_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

double seconds(Clock::time_point t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

std::string wall_clock_now() {
  const time_t now = time(nullptr);
  tm local{};
  char buf[16] = "?";
  if (localtime_r(&now, &local) != nullptr) strftime(buf, sizeof(buf), "%H:%M:%S", &local);
  return buf;
}

// Calls `method` and returns its result; the Error keeps call()'s and rpc_result()'s codes.
Result<JsonValue> call_method(const std::string& socket_spec, const char* method,
                              double timeout_s) {
  Result<JsonValue> response =
      call(socket_spec, make_request(method, JsonValue::array()), timeout_s);
  if (!response.is_ok()) return response;
  return rpc_result(response.value());
}

// Prints `e` as main.cc does and returns the exit status it means.
int fail(const char* method, const Error& e) {
  if (e.code == Errc::kInvalidArgument) {
    std::fprintf(stderr, "error: %s: %s\n", method, e.message.c_str());
  } else {
    std::fprintf(stderr, "sipringctl: %s\n", e.message.c_str());
  }
  return e.code == Errc::kNotRunning ? cli::kExitUsage : kExitFailure;
}

// Sleeps until `deadline` or a stop signal, whichever comes first.
void sleep_until(Clock::time_point deadline) {
  while (!g_stop) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) return;
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    nanosleep(&ts, nullptr);  // EINTR: the loop checks g_stop
  }
}

}  // namespace

int run_stats(const std::string& socket_spec, double timeout_s, const StatsOptions& o) {
  const bool watch = o.watch_s > 0;
  const bool clear_screen = watch && !o.json && isatty(STDOUT_FILENO) == 1;
  if (watch) catch_stop_signals();
  const auto start = Clock::now();
  StatsSample before;
  for (uint64_t k = 0; !g_stop; ++k) {
    StatsSample now;
    now.at_s = seconds(Clock::now());
    now.when = wall_clock_now();
    Result<JsonValue> counters = call_method(socket_spec, "core.stats", timeout_s);
    if (!counters.is_ok()) return g_stop ? kExitOk : fail("core.stats", counters.error());
    now.counters = std::move(counters.value());
    Result<JsonValue> instruments = call_method(socket_spec, "core.instruments", timeout_s);
    if (instruments.is_ok()) {
      now.instruments = std::move(instruments.value());
    } else if (instruments.error().code == Errc::kInvalidArgument) {
      now.instruments_error = instruments.error().message;
    } else {
      return g_stop ? kExitOk : fail("core.instruments", instruments.error());
    }

    std::string text;
    if (o.json) {
      text = (watch ? json_text(stats_json(now)) : json_text_pretty(stats_json(now))) + "\n";
    } else {
      text = clear_screen ? "\x1b[H\x1b[2J" : k > 0 ? "\n" : "";
      text += format_stats(now, k > 0 ? &before : nullptr);
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
    if (std::fflush(stdout) != 0) {
      std::perror("sipringctl: writing to stdout");
      return kExitFailure;
    }
    if (!watch || (o.count > 0 && k + 1 >= o.count)) break;
    before = std::move(now);
    // Refreshes keep their cadence (start + k * SECONDS), however long the calls took.
    sleep_until(start + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(o.watch_s * static_cast<double>(k + 1))));
  }
  return kExitOk;
}

}  // namespace sipring::ctl
