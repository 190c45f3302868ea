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
// --uring-plain does the same on a ring without those flags.
//
//   wake_probe [--server-cpu 0] [--client-cpu 1] [--seconds 10] [--interval-us 100]
//              [--uring | --uring-plain]
#include <liburing.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
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
  for (int i = 1; i < argc; i += 2) {
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
    else {
      fprintf(stderr,
              "usage: wake_probe [--server-cpu N] [--client-cpu N] [--seconds S] "
              "[--interval-us U]\n");
      return 2;
    }
  }
  int to_server[2], to_client[2];
  if (pipe(to_server) != 0 || pipe(to_client) != 0) {
    perror("pipe");
    return 1;
  }
  std::thread server([&] {
    pin(server_cpu);
    char b;
    if (!uring) {
      while (read(to_server[0], &b, 1) == 1) {
        if (b == 'q' || write(to_client[1], &b, 1) != 1) break;
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
      io_uring_prep_read(sqe, to_server[0], &b, 1, 0);
      io_uring_submit_and_wait(&ring, 1);
      io_uring_cqe* cqe;
      if (io_uring_peek_cqe(&ring, &cqe) != 0) continue;
      int res = cqe->res;
      io_uring_cqe_seen(&ring, cqe);
      if (res != 1 || b == 'q' || write(to_client[1], &b, 1) != 1) break;
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
    if (write(to_server[1], &b, 1) != 1 || read(to_client[0], &b, 1) != 1) return 1;
    rtt.push_back(now_ns() - due);
  }
  char q = 'q';
  (void)!write(to_server[1], &q, 1);
  server.join();
  std::sort(rtt.begin(), rtt.end());
  printf(
      "{\"wait\": \"%s\", \"samples\": %zu, \"interval_us\": %llu, \"p50_us\": %.1f, \"p99_us\": "
      "%.1f, "
      "\"p999_us\": %.1f, \"max_us\": %.1f}\n",
      uring ? uring_name : "read", rtt.size(), static_cast<unsigned long long>(interval_ns / 1000),
      pct(rtt, 0.5), pct(rtt, 0.99), pct(rtt, 0.999), rtt.empty() ? 0.0 : rtt.back() / 1000.0);
  return 0;
}
