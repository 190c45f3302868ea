// sipring: the SIP-over-TLS engine as a daemon, with the built-in stateless demo core.
//
//   sipring -f FILE [--core inline|threads] [--grace-ms N] [--stats-interval S] [--debug N]
//
// Runs until SIGTERM or SIGINT (or `sipringctl core.shutdown [GRACE_MS]`, which takes the same
// path), then stops accepting, flushes queued replies and closes every connection within a
// bounded grace time. SIGUSR1 prints the counters as one JSON line.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sipring/config.h"
#include "sipring/engine.h"
#include "tools/common/cli.h"
#include "tools/common/json.h"
#include "tools/sipring/demo_core.h"
#include "tools/sipring/params_markdown.h"

namespace {

namespace cli = sipring::cli;

struct DaemonArgs {
  std::string file;
  std::string core_mode = "inline";
  int grace_ms = 2000;
  int stats_interval = 0;  // seconds; 0: only on SIGUSR1
  int log_level = 2;       // Kamailio's numbers: 2 is info
  bool check_only = false;
  bool list_params = false;
};

// Fills |a| from the command line. Returns the exit status when the tool must stop at once
// (--help, --version, a usage error).
std::optional<int> parse_args(int argc, const char* const* argv, DaemonArgs* a) {
  CLI::App app("The SIP-over-TLS engine as a daemon, with the built-in stateless demo core.",
               "sipring");
  cli::init(app);
  app.add_option("-f,--config", a->file,
                 "Kamailio-style config (listen=tls:IP:PORT, modparam(\"tls\", ...))")
      ->type_name("FILE");
  app.add_option("--core", a->core_mode,
                 "inline: the demo core runs on each reactor thread; threads: one core thread "
                 "per reactor, replies via Engine::send")
      ->type_name("MODE")
      ->check(CLI::IsMember({"inline", "threads"}));
  cli::add_number(app, "--grace-ms", "N", a->grace_ms, 0, 600000,
                  "how long shutdown waits for queued replies");
  cli::add_number(app, "--stats-interval", "S", a->stats_interval, 0, 86400,
                  "print the counters as JSON every S seconds (0: only on SIGUSR1)");
  cli::add_number(app, "--debug", "N", a->log_level, -5, 3,
                  "log level, Kamailio's numbers: -1 errors, 0 warnings, 1 notices, 2 info, "
                  "3 debug");
  app.add_flag("--check", a->check_only, "validate the config (files, keys, ciphers) and exit");
  app.add_flag("--list-params", a->list_params, "print every parameter (Markdown table) and exit");
  if (std::optional<int> done = cli::parse(app, argc, argv)) return done;
  if (!a->list_params && a->file.empty()) return cli::usage_error(app, "-f FILE is required");
  return std::nullopt;
}

// One JSON line: {"engine": every counter in total, "reactors": [every counter of each reactor],
// "core": the demo core's counts}.
void print_stats(const sipring::Engine& engine, const sipring::DemoCoreCounters& core) {
  const sipring::EngineStats stats = engine.stats();
  sipring::tool::JsonValue reactors = sipring::tool::JsonValue::array();
  for (const sipring::ReactorStats& r : stats.reactors) {
    reactors.push_back(sipring::tool::counters_json(r));
  }
  sipring::tool::JsonValue line = sipring::tool::JsonValue::object();
  line["engine"] = sipring::tool::counters_json(stats.total());
  line["reactors"] = std::move(reactors);
  line["core"] = sipring::tool::JsonValue::object({{"requests", core.requests.load()},
                                                   {"replies", core.replies.load()},
                                                   {"unanswerable", core.unanswerable.load()}});
  const std::string text = sipring::tool::json_text(line) + "\n";
  fwrite(text.data(), 1, text.size(), stdout);
  fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  DaemonArgs args;
  if (std::optional<int> done = parse_args(argc, argv, &args)) return *done;
  if (args.list_params) {
    fputs(sipring::daemon::params_markdown().c_str(), stdout);
    return 0;
  }
  sipring::set_log_level(static_cast<sipring::LogLevel>(args.log_level));
  const std::string& file = args.file;
  const std::string& core_mode = args.core_mode;

  auto config = sipring::load_config_file(file);
  if (!config) {
    fprintf(stderr, "sipring: %s\n", config.error().message.c_str());
    return 1;
  }

  // Signals are taken synchronously by the main thread; reactors never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  sipring::DemoCoreCounters core_counters;
  sipring::Engine::Options options;
  if (core_mode == "inline") {
    options.core = [&core_counters](uint32_t) {
      return sipring::make_inline_demo_core(&core_counters);
    };
  }
  auto engine = sipring::Engine::create(config.value(), options);
  if (!engine) {
    fprintf(stderr, "sipring: %s\n", engine.error().message.c_str());
    return 1;
  }
  // core.shutdown: note the grace and raise the SIGTERM the loop below waits for, so the RPC
  // stops the daemon exactly as the signal does. The control thread answers the RPC after this
  // returns, and Engine::stop() sends that answer before it closes the control socket.
  static std::atomic<int64_t> shutdown_grace_ms{-1};  // -1: --grace-ms
  (*engine)->set_shutdown_handler([](std::chrono::milliseconds grace) {
    shutdown_grace_ms.store(grace.count());
    kill(getpid(), SIGTERM);
  });
  sipring::Status started = (*engine)->start();
  if (!started) {
    fprintf(stderr, "sipring: %s\n", started.message().c_str());
    return 1;
  }
  if (args.check_only) {
    (*engine)->stop(std::chrono::milliseconds(0));
    fprintf(stderr, "sipring: %s: configuration OK\n", file.c_str());
    return 0;
  }
  std::vector<std::thread> core_threads;
  if (core_mode == "threads") {
    for (uint32_t r = 0; r < (*engine)->reactors(); r++) {
      core_threads.emplace_back(sipring::run_demo_core_thread, engine->get(), r, &core_counters);
    }
  }
  for (const auto& l : config->listen) {
    fprintf(stderr, "sipring: serving SIP over TLS on %s (%s core)\n", l.addr.to_string().c_str(),
            core_mode.c_str());
  }

  // Session-ticket keys rotate every 12 hours; the previous key keeps resuming for 12 more.
  // Keys from tls.ticket_key_file are left alone (the engine logs it): the file is rotated.
  constexpr int kTicketRotationSeconds = 12 * 3600;
  int since_rotation = 0, since_stats = 0;
  for (;;) {
    timespec ts = {1, 0};
    int sig = sigtimedwait(&set, nullptr, &ts);
    if (sig == SIGINT || sig == SIGTERM) break;
    if (sig == SIGUSR1) print_stats(**engine, core_counters);
    if (sig < 0 && errno == EAGAIN) {
      if (++since_rotation >= kTicketRotationSeconds) {
        (*engine)->rotate_ticket_keys();
        since_rotation = 0;
      }
      if (args.stats_interval > 0 && ++since_stats >= args.stats_interval) {
        print_stats(**engine, core_counters);
        since_stats = 0;
      }
    }
  }
  const int64_t requested = shutdown_grace_ms.load();
  const int64_t grace_ms = requested >= 0 ? requested : args.grace_ms;
  fprintf(stderr, "sipring: stopping (grace %lld ms)\n", static_cast<long long>(grace_ms));
  (*engine)->stop(std::chrono::milliseconds(grace_ms));
  for (auto& t : core_threads) t.join();
  print_stats(**engine, core_counters);
  return 0;
}
