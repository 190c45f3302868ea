// The smallest embedder of sipring's C++ API, in threads mode: one consumer thread per reactor
// pops the framed SIP messages and answers every request except ACK with 200 OK.
//
// It uses only the installed headers and library. Against an installed sipring:
//
//   c++ -std=c++20 -O2 cpp_minimal.cc $(pkg-config --cflags --libs sipring) -o cpp_minimal
//   ./cpp_minimal sipring.cfg        # a Kamailio-style config (README "Configuration")
//
// SIGINT or SIGTERM stops it: the engine flushes queued replies, closes the connections and the
// consumer threads return. Exit status 0 after a clean stop, 1 when the config or start fails.
#include <pthread.h>
#include <sched.h>
#include <signal.h>

#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

#include "sipring/engine.h"
#include "sipring/sip_response.h"

namespace {

// Pops the frames of reactor `r` until the engine stops.
void consume(sipring::Engine* engine, uint32_t r) {
  sipring::Engine::Inbox& inbox = engine->inbox(r);
  uint8_t out[4096];
  while (inbox.wait()) {
    while (const sipring::Frame* f = inbox.front()) {
      if (f->kind == sipring::FrameKind::kMessage) {
        sipring::StartLine line = sipring::parse_start_line(f->bytes());
        size_t size = 0;
        if (line.kind == sipring::StartLine::kRequest && !sipring::is_ack(line)) {
          sipring::ResponseError e = sipring::build_response(f->bytes(), 200, "OK", out, &size);
          if (e != sipring::ResponseError::kOk) {
            fprintf(stderr, "cpp_minimal: no 200 for a %.*s: %s\n",
                    static_cast<int>(line.method.size()), line.method.data(),
                    sipring::response_error_name(e));
            size = 0;
          }
        }
        if (size != 0) {
          // The ring to the owning reactor is bounded: when it is momentarily full, let the
          // reactor drain it. Any other outcome ends the retries.
          sipring::SendStatus s;
          while ((s = engine->send(f->conn, {out, size})) == sipring::SendStatus::kQueueFull) {
            sched_yield();
          }
          if (s != sipring::SendStatus::kOk) {
            fprintf(stderr, "cpp_minimal: reply not sent: %s\n", sipring::send_status_name(s));
          }
        }
      }
      inbox.pop();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CONFIG_FILE\n", argv[0]);
    return 1;
  }
  sipring::Result<sipring::Config> config = sipring::load_config_file(argv[1]);
  if (!config) {
    fprintf(stderr, "cpp_minimal: %s\n", config.error().message.c_str());
    return 1;
  }

  // Signals go to the main thread only (sigwait below); the threads started later inherit the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // No Options::core: the frames wait in each reactor's inbox for our threads.
  auto engine = sipring::Engine::create(config.value(), sipring::Engine::Options{});
  if (!engine) {
    fprintf(stderr, "cpp_minimal: %s\n", engine.error().message.c_str());
    return 1;
  }
  sipring::Status started = (*engine)->start();
  if (!started) {
    fprintf(stderr, "cpp_minimal: %s\n", started.message().c_str());
    return 1;
  }
  std::vector<std::thread> consumers;
  for (uint32_t r = 0; r < (*engine)->reactors(); r++) {
    consumers.emplace_back(consume, engine->get(), r);
  }
  for (const sipring::ListenSpec& l : config->listen) {
    fprintf(stderr, "cpp_minimal: serving on %s\n", l.addr.to_string().c_str());
  }

  int sig = 0;
  sigwait(&stop_signals, &sig);
  (*engine)->stop();
  for (std::thread& t : consumers) t.join();
  fprintf(stderr, "cpp_minimal: stopped\n");
  return 0;
}
