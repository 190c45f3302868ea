#include "engine/io/uring.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/base/error_format.h"

namespace sipring {
namespace {

// Runs a real multishot recv with a provided-buffer ring on a socketpair: the only reliable
// way to know the kernel supports both (the opcode probe cannot tell).
bool probe_multishot_recv(io_uring* ring) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return false;
  bool ok = false;
  io_uring_buf_ring* br = nullptr;
  alignas(4096) static uint8_t page[4096];
  static uint8_t buf[64];
  br = reinterpret_cast<io_uring_buf_ring*>(page);
  io_uring_buf_reg reg = {};
  reg.ring_addr = reinterpret_cast<uint64_t>(br);
  reg.ring_entries = 1;
  reg.bgid = 0x7ffe;
  if (io_uring_register_buf_ring(ring, &reg, 0) == 0) {
    io_uring_buf_ring_init(br);
    io_uring_buf_ring_add(br, buf, sizeof(buf), 0, io_uring_buf_ring_mask(1), 0);
    io_uring_buf_ring_advance(br, 1);
    io_uring_sqe* sqe = io_uring_get_sqe(ring);
    io_uring_prep_recv_multishot(sqe, sv[0], nullptr, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0x7ffe;
    if (write(sv[1], "x", 1) == 1 && io_uring_submit(ring) == 1) {
      io_uring_cqe* cqe;
      __kernel_timespec ts = {1, 0};
      if (io_uring_wait_cqe_timeout(ring, &cqe, &ts) == 0) {
        ok =
            cqe->res == 1 && (cqe->flags & IORING_CQE_F_MORE) && (cqe->flags & IORING_CQE_F_BUFFER);
        io_uring_cqe_seen(ring, cqe);
      }
    }
    close(sv[1]);  // ends the multishot with EOF (or -ENOBUFS); drain it
    io_uring_cqe* cqe;
    __kernel_timespec ts = {0, 100'000'000};
    while (io_uring_wait_cqe_timeout(ring, &cqe, &ts) == 0) io_uring_cqe_seen(ring, cqe);
    io_uring_unregister_buf_ring(ring, 0x7ffe);
  } else {
    close(sv[1]);
  }
  close(sv[0]);
  return ok;
}

UringFeatures do_probe() {
  UringFeatures f;
  io_uring ring;
  io_uring_params p = {};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  if (io_uring_queue_init_params(8, &ring, &p) == 0) {
    f.single_issuer = f.defer_taskrun = true;
  } else {
    p = {};
    p.flags = IORING_SETUP_COOP_TASKRUN;
    if (io_uring_queue_init_params(8, &ring, &p) == 0) {
      f.coop_taskrun = true;
    } else {
      p = {};
      if (io_uring_queue_init_params(8, &ring, &p) != 0) return f;
    }
  }
  if (io_uring_probe* probe = io_uring_get_probe_ring(&ring)) {
    f.send_zc = io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
    f.msg_ring = io_uring_opcode_supported(probe, IORING_OP_MSG_RING);
    // Multishot accept and FILES_UPDATE with index allocation came with Linux 5.19, the
    // release that added IORING_OP_SOCKET.
    f.multishot_accept = io_uring_opcode_supported(probe, IORING_OP_SOCKET);
    io_uring_free_probe(probe);
  }
  f.multishot_recv = probe_multishot_recv(&ring);
  io_uring_queue_exit(&ring);
  return f;
}

}  // namespace

std::string UringFeatures::describe() const {
  std::string s = defer_taskrun  ? "SINGLE_ISSUER|DEFER_TASKRUN"
                  : coop_taskrun ? "COOP_TASKRUN"
                                 : "no taskrun flags";
  s += multishot_accept ? ", multishot accept" : ", single-shot accept";
  // The probe proves provided-buffer rings work; sipring arms one recv per buffer (see
  // Reactor::submit_recv for why not multishot).
  s += multishot_recv ? ", recv into a provided-buffer ring (one buffer per read; multishot "
                        "available, unused: it would let one peer read past its limits)"
                      : ", NO provided-buffer recv";
  if (registered_ring_fd) s += ", registered ring fd";
  if (direct_files) s += ", " + std::to_string(direct_files) + " direct descriptors";
  s += send_zc ? ", send_zc available (unused: small SIP writes copy faster)" : "";
  s += msg_ring ? ", msg_ring available" : "";
  return s;
}

const UringFeatures& probe_kernel_features() noexcept {
  static const UringFeatures features = do_probe();
  return features;
}

Uring::~Uring() {
  if (initialized_) io_uring_queue_exit(&ring_);
}

Status Uring::init(uint32_t entries, uint32_t files) {
  const UringFeatures& k = probe_kernel_features();
  if (!k.multishot_recv || !k.multishot_accept) {
    return make_error(Errc::kUnsupported,
                      "this kernel lacks multishot accept/recv with provided buffers (Linux 6.0+ "
                      "needed); sipring cannot run here");
  }
  io_uring_params p = {};
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
  p.cq_entries = entries * 4;  // multishot recv and accept post many CQEs per SQE
  if (k.defer_taskrun)
    p.flags |= IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
  else if (k.coop_taskrun)
    p.flags |= IORING_SETUP_COOP_TASKRUN;
  int r = io_uring_queue_init_params(entries, &ring_, &p);
  if (r != 0) return make_error(Errc::kIo, "io_uring_queue_init failed: %s", strerror(-r));
  initialized_ = true;
  features_ = k;
  if (io_uring_register_ring_fd(&ring_) == 1) features_.registered_ring_fd = true;
  if (files != 0) {
    r = io_uring_register_files_sparse(&ring_, files);
    if (r != 0) {
      return make_error(Errc::kIo,
                        "registering %u direct descriptors failed: %s (the kernel caps the table "
                        "at RLIMIT_NOFILE; lower sipring.max_connections or raise ulimit -n)",
                        files, strerror(-r));
    }
    features_.direct_files = files;
  }
  return Status::ok();
}

io_uring_sqe* Uring::sqe() noexcept {
  io_uring_sqe* s = io_uring_get_sqe(&ring_);
  if (s != nullptr) return s;
  enters_++;
  io_uring_submit(&ring_);
  return io_uring_get_sqe(&ring_);
}

int Uring::submit_and_wait(unsigned wait_nr, uint64_t timeout_ns) noexcept {
  enters_++;
  if (wait_nr == 0) return io_uring_submit_and_get_events(&ring_);
  if (timeout_ns == 0) return io_uring_submit_and_wait(&ring_, wait_nr);
  __kernel_timespec ts;
  ts.tv_sec = static_cast<long long>(timeout_ns / 1'000'000'000ull);
  ts.tv_nsec = static_cast<long long>(timeout_ns % 1'000'000'000ull);
  io_uring_cqe* cqe = nullptr;
  int r = io_uring_submit_and_wait_timeout(&ring_, &cqe, wait_nr, &ts, nullptr);
  return r == -ETIME ? 0 : r;
}

}  // namespace sipring
