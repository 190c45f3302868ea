// How a reactor tags its io_uring requests: the operation in the top byte, then the connection
// slot (or listener index) and the connection generation. A completion that arrives after its
// connection slot was reused carries the old generation and is recognised as stale.
#pragma once

#include <cstdint>

namespace sipring {

enum class Op : uint8_t {
  kNone = 0,
  kAccept,   // slot = listener index
  kInstall,  // moving an accepted/connected fd into the direct descriptor table
  kCloseFd,  // closing the plain fd after install
  kRecv,
  kSend,
  kCancel,
  kClose,
  kConnect,
  kWake,  // the doorbell's eventfd read
};

constexpr uint64_t op_data(Op op, uint32_t slot, uint32_t generation) {
  return (uint64_t{static_cast<uint8_t>(op)} << 56) | (uint64_t{slot & 0xffffff} << 32) |
         generation;
}
constexpr Op op_of(uint64_t data) {
  return static_cast<Op>(data >> 56);
}
constexpr uint32_t op_slot(uint64_t data) {
  return static_cast<uint32_t>(data >> 32) & 0xffffff;
}
constexpr uint32_t op_generation(uint64_t data) {
  return static_cast<uint32_t>(data);
}

}  // namespace sipring
