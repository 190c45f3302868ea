// Block: a reactor-owned byte buffer with a reference count, the unit of ownership on the data
// path. A received buffer, a message reassembly buffer and a send buffer are all Blocks; a frame
// in the handoff ring holds a reference on the Block its bytes live in, and the reactor drops it
// when the core pops the frame. Blocks are only ever touched by their owning reactor's thread.
#pragma once

#include <cstdint>

namespace sipring {

struct Block {
  static constexpr uint16_t kPooled = 0xffff;  // `bid` of a block from the BlockPool

  uint8_t* data = nullptr;  // payload start
  Block* next = nullptr;    // send chain / free list
  uint32_t capacity = 0;    // payload bytes
  uint32_t size = 0;        // bytes written
  uint32_t begin = 0;       // bytes already consumed from the front (sent, or handed on)
  uint32_t ready = 0;       // send blocks: bytes sealed and ready to send
  uint32_t refs = 0;        // owners: the connection using it plus every frame pointing into it
  uint16_t bid = kPooled;   // provided-buffer id, or kPooled
  uint8_t size_class = 0;   // BlockPool class

  uint32_t room() const { return capacity - size; }
  uint8_t* end() { return data + size; }
};

}  // namespace sipring
