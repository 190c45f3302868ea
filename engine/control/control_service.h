// ControlService: a service the control thread serves next to the JSON-RPC socket, from the same
// poll() loop (RpcServer::attach). The Prometheus /metrics responder (metrics_http.h) is one:
// everything the control plane answers then runs on one thread that may block and allocate,
// never on a reactor, and no second thread or event loop enters the process for it.
#pragma once

#include <poll.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sipring {

// The control thread's clock: CLOCK_MONOTONIC (steady_clock) in milliseconds, for deadlines.
inline int64_t control_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

class ControlService {
 public:
  virtual ~ControlService() = default;

  // Appends the descriptors this service waits on (with their events) to `fds`, and returns
  // the earliest control_now_ms() time at which it must run even if none is ready (a client's
  // deadline), or INT64_MAX. Called on the control thread before every poll().
  virtual int64_t want(std::vector<pollfd>* fds) = 0;

  // After poll(): `fds` points at the `n` entries want() appended, revents filled in (all zero
  // when poll() timed out, so deadlines are checked here too). Must not block: every socket of a
  // service is non-blocking, so one slow client never holds the control thread.
  virtual void ready(const pollfd* fds, size_t n) = 0;

  // The loop is ending (RpcServer::stop): close every client. Called on the control thread once.
  virtual void stopped() = 0;
};

}  // namespace sipring
