// One io_uring per reactor: set-up with the best flags the kernel accepts, feature probing with
// a plain report of what is used, and the few helpers liburing 2.3 (Debian 12) lacks.
#pragma once

#include <liburing.h>

#include <cstdint>
#include <string>

#include "sipring/result.h"

namespace sipring {

struct UringFeatures {
  bool single_issuer = false;  // IORING_SETUP_SINGLE_ISSUER
  bool defer_taskrun = false;  // IORING_SETUP_DEFER_TASKRUN: completions run only when we ask
  bool coop_taskrun = false;   // fallback when DEFER_TASKRUN is missing
  bool registered_ring_fd = false;
  bool multishot_accept = false;
  bool multishot_recv = false;  // multishot recv with a provided-buffer ring
  bool send_zc = false;
  bool msg_ring = false;
  uint32_t direct_files = 0;     // size of the registered (direct) file table
  std::string describe() const;  // "SINGLE_ISSUER|DEFER_TASKRUN, multishot accept, ..."
};

class Uring {
 public:
  Uring() = default;
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  // Creates the ring on the calling thread (SINGLE_ISSUER binds it to this thread) with
  // `entries` SQEs and 4x as many CQEs, and a sparse direct-descriptor table of `files` slots.
  Status init(uint32_t entries, uint32_t files);

  io_uring* ring() { return &ring_; }
  const UringFeatures& features() const { return features_; }

  // An SQE, submitting queued ones first if the SQ is full. Never returns nullptr unless the
  // ring is broken (then the reactor stops with an error).
  io_uring_sqe* sqe() noexcept;

  // Submits queued SQEs and collects completions; waits for at least `wait_nr` completions or
  // until `timeout_ns` (0 = no timeout) when wait_nr > 0. Returns <0 on error (-errno).
  int submit_and_wait(unsigned wait_nr, uint64_t timeout_ns) noexcept;

  uint64_t enters() const { return enters_; }

 private:
  io_uring ring_{};
  UringFeatures features_;
  bool initialized_ = false;
  uint64_t enters_ = 0;
};

// Probes, once per process, what the kernel offers (a tiny ring plus a socketpair). Cheap to
// call again: the result is cached.
const UringFeatures& probe_kernel_features() noexcept;

}  // namespace sipring
