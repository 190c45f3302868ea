// One slot of a reactor's handoff ring: the Frame the core sees, the reference the engine keeps
// to the buffer holding the frame's bytes, and (with instruments) when the frame was pushed.
//
// The reference stays out of the public Frame so that an embedder cannot see or touch it; the
// core receives &entry.frame and the reactor releases entry.block when it reclaims the slot.
#pragma once

#include <cstdint>

#include "engine/base/probes.h"
#include "sipring/frame.h"

namespace sipring {

struct Block;  // engine/io/block.h; only the reactor dereferences it

struct HandoffEntry {
  Frame frame;
  Block* block = nullptr;  // the reactor buffer holding frame.data, or nullptr
#if SIPRING_INSTRUMENTS
  // The pushing reactor's loop time (Reactor::now_ns) when it framed the message: the
  // handoff_wait histogram's start, read by the consumer when it pops.
  uint64_t pushed_ns = 0;
#endif

  // Sets pushed_ns; nothing without instruments.
  void stamp_pushed([[maybe_unused]] uint64_t ns) noexcept {
#if SIPRING_INSTRUMENTS
    pushed_ns = ns;
#endif
  }
};
// Entries are copied into the ring per message: 96 bytes, a cache line and a half, plus the
// instruments' 8-byte push time. Growing one is a decision (docs/architecture.md, Handoff), not
// an accident.
static_assert(sizeof(HandoffEntry) == (SIPRING_INSTRUMENTS ? 104 : 96),
              "HandoffEntry changed: update docs/architecture.md");

}  // namespace sipring
