// sipring: the SIP-over-TLS engine as a daemon, with the built-in stateless demo core.
//
//   sipring -f FILE [--core inline|threads] [--debug N] [--stats-interval SECONDS]
//
// Runs until SIGTERM or SIGINT, then stops accepting, flushes queued replies and closes every
// connection within a bounded grace time. SIGUSR1 prints the counters as one JSON line.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "sipring/config.h"
#include "sipring/engine.h"
#include "tools/sipring/demo_core.h"

namespace {

void usage() {
  fprintf(stderr,
          "usage: sipring -f FILE [--core inline|threads] [--grace-ms N] [--stats-interval S]\n"
          "  -f FILE          Kamailio-style config (listen=tls:IP:PORT, modparam(\"tls\", ...))\n"
          "  --core MODE      inline: the demo core runs on each reactor thread (default)\n"
          "                   threads: one core thread per reactor, replies via Engine::send\n"
          "  --grace-ms N     how long shutdown waits for queued replies (default 2000)\n"
          "  --stats-interval S  print counters as JSON every S seconds (default: only on SIGUSR1)\n"
          "  --check          validate the config (files, keys, ciphers) and exit\n"
          "  --list-params    print every parameter (Markdown table) and exit\n");
}

void print_stats(const sipring::Engine& engine, const sipring::DemoCoreCounters& core) {
  sipring::EngineStats stats = engine.stats();
  sipring::ReactorStats t = stats.total();
  // Per reactor, the figures that show how load is spread.
  std::string per = "[";
  for (const auto& r : stats.reactors) {
    per += (per.size() > 1 ? "," : "") + std::string("{\"accepted\":") + std::to_string(r.accepted) +
           ",\"connections_open\":" + std::to_string(r.connections_open) +
           ",\"messages_in\":" + std::to_string(r.messages_in) + "}";
  }
  per += "]";
  fprintf(stdout,
          "{\"engine\":%s,\"reactors\":%s,\"core\":{\"requests\":%llu,\"replies\":%llu,"
          "\"unanswerable\":%llu}}\n",
          t.to_json().c_str(), per.c_str(), static_cast<unsigned long long>(core.requests.load()),
          static_cast<unsigned long long>(core.replies.load()),
          static_cast<unsigned long long>(core.unanswerable.load()));
  fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string file;
  std::string core_mode = "inline";
  int grace_ms = 2000;
  int stats_interval = 0;
  bool check_only = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> const char* {
      if (i + 1 >= argc) {
        fprintf(stderr, "sipring: %s needs a value\n", a.c_str());
        exit(2);
      }
      return argv[++i];
    };
    if (a == "-f") file = next();
    else if (a == "--core") core_mode = next();
    else if (a == "--grace-ms") grace_ms = atoi(next());
    else if (a == "--stats-interval") stats_interval = atoi(next());
    else if (a == "--check") check_only = true;
    else if (a == "--list-params") {
      fputs(sipring::parameters_markdown().c_str(), stdout);
      return 0;
    }
    else if (a == "-h" || a == "--help") {
      usage();
      return 0;
    } else {
      fprintf(stderr, "sipring: unknown argument %s\n", a.c_str());
      usage();
      return 2;
    }
  }
  if (file.empty() || (core_mode != "inline" && core_mode != "threads")) {
    usage();
    return 2;
  }

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
    options.core = [&core_counters](uint32_t) { return sipring::make_inline_demo_core(&core_counters); };
  }
  auto engine = sipring::Engine::create(config.value(), options);
  if (!engine) {
    fprintf(stderr, "sipring: %s\n", engine.error().message.c_str());
    return 1;
  }
  sipring::Status started = (*engine)->start();
  if (!started) {
    fprintf(stderr, "sipring: %s\n", started.message().c_str());
    return 1;
  }
  if (check_only) {
    (*engine)->stop(0);
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
      if (stats_interval > 0 && ++since_stats >= stats_interval) {
        print_stats(**engine, core_counters);
        since_stats = 0;
      }
    }
  }
  fprintf(stderr, "sipring: stopping (grace %d ms)\n", grace_ms);
  (*engine)->stop(grace_ms);
  for (auto& t : core_threads) t.join();
  print_stats(**engine, core_counters);
  return 0;
}
