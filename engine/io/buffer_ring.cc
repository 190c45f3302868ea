#include "engine/io/buffer_ring.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "engine/base/error_format.h"

namespace sipring {

BufferRing::~BufferRing() {
  if (registered_) io_uring_unregister_buf_ring(ring_, group_);
  if (br_ != nullptr) munmap(br_, br_bytes_);
  if (mem_ != nullptr) munmap(mem_, mem_bytes_);
}

Status BufferRing::init(io_uring* ring, uint16_t group, uint32_t count, uint32_t size) {
  if (count == 0 || (count & (count - 1)) != 0 || count > 32768) {
    return make_error(Errc::kInvalidArgument,
                      "sipring.recv_buffers must be a power of two in [1, 32768], got %u", count);
  }
  ring_ = ring;
  group_ = group;
  count_ = count;
  size_ = size;
  br_bytes_ = count * sizeof(io_uring_buf);
  void* br = mmap(nullptr, br_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (br == MAP_FAILED) {
    return make_error(Errc::kIo, "mmap of the buffer ring failed: %s", strerror(errno));
  }
  br_ = static_cast<io_uring_buf_ring*>(br);
  // Buffer memory is mapped, not touched: pages become resident only once the kernel fills them.
  mem_bytes_ = size_t{count} * size;
  void* mem = mmap(nullptr, mem_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    return make_error(Errc::kIo, "mmap of %zu bytes of receive buffers failed: %s", mem_bytes_,
                      strerror(errno));
  }
  mem_ = static_cast<uint8_t*>(mem);
  io_uring_buf_reg reg = {};
  reg.ring_addr = reinterpret_cast<uint64_t>(br_);
  reg.ring_entries = count;
  reg.bgid = group;
  int r = io_uring_register_buf_ring(ring, &reg, 0);
  if (r != 0) {
    return make_error(Errc::kUnsupported,
                      "registering a provided-buffer ring failed: %s (needs Linux 5.19+)",
                      strerror(-r));
  }
  registered_ = true;
  io_uring_buf_ring_init(br_);
  blocks_.reset(new Block[count]);
  int mask = io_uring_buf_ring_mask(count);
  for (uint32_t i = 0; i < count; i++) {
    Block& b = blocks_[i];
    b.data = mem_ + size_t{i} * size;
    b.capacity = size;
    b.bid = static_cast<uint16_t>(i);
    io_uring_buf_ring_add(br_, b.data, size, static_cast<unsigned short>(i), mask,
                          static_cast<int>(i));
  }
  io_uring_buf_ring_advance(br_, static_cast<int>(count));
  return Status::ok();
}

Block* BufferRing::take(uint16_t bid, uint32_t len) noexcept {
  Block* b = &blocks_[bid];
  b->size = len;
  b->begin = 0;
  b->refs = 1;
  b->next = nullptr;
  held_++;
  return b;
}

void BufferRing::give_back(Block* b) noexcept {
  io_uring_buf_ring_add(br_, b->data, size_, b->bid, io_uring_buf_ring_mask(count_),
                        static_cast<int>(pending_));
  pending_++;
  held_--;
}

uint32_t BufferRing::publish() noexcept {
  uint32_t n = pending_;
  // Release store of the tail inside: the kernel sees the entries written by give_back().
  if (n != 0) io_uring_buf_ring_advance(br_, static_cast<int>(n));
  pending_ = 0;
  return n;
}

}  // namespace sipring
