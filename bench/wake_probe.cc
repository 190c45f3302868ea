// The machine's floor for request latency with a sleeping server: a "server" thread pinned to
// one CPU blocks in read() on a pipe and answers each byte on another pipe; a "client" thread
// pinned to another CPU sends one byte every 100 us (open loop, like sipring-load rate at
// 10k/s), spinning between sends, and times each round trip from its scheduled send time.
//
// No TLS, no SIP, no io_uring: what this measures is how fast an idle CPU wakes up when data
// arrives for it. On bare metal that is a few microseconds; a VM whose idle vCPU halts must be
// rescheduled by the host, and that can take milliseconds. Neither `steal` time nor a spinning
// probe sees it, because a halted vCPU is not runnable. Prints one JSON line.
//
// With --uring the server thread waits the way a sipring reactor does (io_uring with
// SINGLE_ISSUER|DEFER_TASKRUN, a read and io_uring_submit_and_wait) instead of in read();
// --uring-plain does the same on a ring without those flags. --timeout-us T makes that wait a
// timed one (io_uring_submit_and_wait_timeout, as the reactor's sleep with its timer deadline),
// --timer-slack-ns N sets the server thread's timer slack (prctl PR_SET_TIMERSLACK; the
// default is 50 us).
//
// --client-poll makes the client spin for each answer instead of sleeping in read(): the server
// answers by storing to a shared counter the client spins on (a pipe read in a loop would
// contend for the pipe's mutex with the server's write). Then only the server's CPU wakes up per
// round trip, as with sipring-load, whose reactor polls (its --busy-poll-us). Without it both
// CPUs sleep and wake every round trip.
//
//   wake_probe [--server-cpu 0] [--client-cpu 1] [--seconds 10] [--interval-us 100]
//              [--uring | --uring-plain] [--timeout-us T] [--timer-slack-ns N] [--client-poll]
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

namespace {

uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

double pct(std::vector<uint64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return static_cast<double>(v[i]) / 1000.0;
}

}  // namespace

int main(int argc, char** argv) {
  int server_cpu = 0, client_cpu = 1;
  double seconds = 10;
  uint64_t interval_ns = 100'000;
  bool uring = false;
  unsigned uring_flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  const char* uring_name = "io_uring";
  uint64_t timeout_ns = 0;   // 0: untimed wait
  long timer_slack_ns = -1;  // -1: inherited
  bool client_poll = false;
  for (int i = 1; i < argc; i += 2) {
    if (!strcmp(argv[i], "--client-poll")) {
      client_poll = true;
      i--;
      continue;
    }
    if (!strcmp(argv[i], "--uring")) {
      uring = true;
      i--;
      continue;
    }
    if (!strcmp(argv[i], "--uring-plain")) {  // no task-run flags, for comparison
      uring = true;
      uring_flags = 0;
      uring_name = "io_uring-plain";
      i--;
      continue;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "%s needs a value\n", argv[i]);
      return 2;
    }
    if (!strcmp(argv[i], "--server-cpu"))
      server_cpu = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--client-cpu"))
      client_cpu = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seconds"))
      seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--interval-us"))
      interval_ns = strtoull(argv[i + 1], nullptr, 10) * 1000;
    else if (!strcmp(argv[i], "--timeout-us"))
      timeout_ns = strtoull(argv[i + 1], nullptr, 10) * 1000;
    else if (!strcmp(argv[i], "--timer-slack-ns"))
      timer_slack_ns = strtol(argv[i + 1], nullptr, 10);
    else {
      fprintf(stderr,
              "usage: wake_probe [--server-cpu N] [--client-cpu N] [--seconds S] "
              "[--interval-us U] [--uring | --uring-plain] [--timeout-us T] "
              "[--timer-slack-ns N] [--client-poll]\n");
      return 2;
    }
  }
  if (timeout_ns != 0 && !uring) {
    fprintf(stderr, "--timeout-us needs --uring or --uring-plain\n");
    return 2;
  }
  int to_server[2], to_client[2];
  uint64_t timeouts = 0;  // timed waits that ended by their timeout (server thread)
  if (pipe(to_server) != 0 || pipe(to_client) != 0) {
    perror("pipe");
    return 1;
  }
  std::atomic<uint64_t> answered{0};  // --client-poll: answers given so far
  // The server's answer to one byte: a byte back, or (--client-poll) one more in `answered`.
  auto answer = [&](char b) {
    if (!client_poll) return write(to_client[1], &b, 1) == 1;
    answered.fetch_add(1, std::memory_order_release);
    return true;
  };
  std::thread server([&] {
    pin(server_cpu);
    if (timer_slack_ns > 0) prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(timer_slack_ns));
    char b;
    if (!uring) {
      while (read(to_server[0], &b, 1) == 1) {
        if (b == 'q' || !answer(b)) break;
      }
      return;
    }
    io_uring ring;
    io_uring_params p{};
    p.flags = uring_flags;
    if (io_uring_queue_init_params(8, &ring, &p) != 0) {
      fprintf(stderr, "io_uring_queue_init failed\n");
      exit(1);
    }
    for (;;) {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring);
      if (sqe != nullptr) io_uring_prep_read(sqe, to_server[0], &b, 1, 0);
      io_uring_cqe* cqe;
      if (timeout_ns == 0) {
        io_uring_submit_and_wait(&ring, 1);
      } else {
        __kernel_timespec ts = {static_cast<long long>(timeout_ns / 1'000'000'000ull),
                                static_cast<long long>(timeout_ns % 1'000'000'000ull)};
        io_uring_submit_and_wait_timeout(&ring, &cqe, 1, &ts, nullptr);
      }
      // A timed-out wait leaves the read armed: wait again without queueing another.
      if (io_uring_peek_cqe(&ring, &cqe) != 0) {
        timeouts++;
        continue;
      }
      int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      if (res != 1 || b == 'q' || !answer(b)) break;
    }
    io_uring_queue_exit(&ring);
  });
  pin(client_cpu);
  std::vector<uint64_t> rtt;
  const uint64_t n = static_cast<uint64_t>(seconds * 1e9 / static_cast<double>(interval_ns));
  rtt.reserve(n);
  uint64_t start = now_ns() + 10'000'000;  // let the server thread block first
  for (uint64_t i = 0; i < n; i++) {
    uint64_t due = start + i * interval_ns;
    while (now_ns() < due) {
    }
    char b = 'x';
    if (write(to_server[1], &b, 1) != 1) return 1;
    if (client_poll) {
      while (answered.load(std::memory_order_acquire) <= i) {
      }
    } else if (read(to_client[0], &b, 1) != 1) {
      return 1;
    }
    rtt.push_back(now_ns() - due);
  }
  char q = 'q';
  (void)!write(to_server[1], &q, 1);
  server.join();
  std::sort(rtt.begin(), rtt.end());
  printf(
      "{\"wait\": \"%s\", \"timeout_us\": %llu, \"timeouts\": %llu, \"client\": \"%s\", "
      "\"samples\": %zu, \"interval_us\": %llu, \"p50_us\": %.1f, \"p99_us\": %.1f, "
      "\"p999_us\": %.1f, \"max_us\": %.1f}\n",
      uring ? uring_name : "read", static_cast<unsigned long long>(timeout_ns / 1000),
      static_cast<unsigned long long>(timeouts), client_poll ? "poll" : "read", rtt.size(),
      static_cast<unsigned long long>(interval_ns / 1000), pct(rtt, 0.5), pct(rtt, 0.99),
      pct(rtt, 0.999), rtt.empty() ? 0.0 : rtt.back() / 1000.0);
  return 0;
}
