// One slot of a reactor's handoff ring: the Frame the core sees, and the reference the engine
// keeps to the buffer holding the frame's bytes.
//
// The reference stays out of the public Frame so that an embedder cannot see or touch it; the
// core receives &entry.frame and the reactor releases entry.block when it reclaims the slot.
#pragma once

#include "sipring/frame.h"

namespace sipring {

struct Block;  // engine/io/block.h; only the reactor dereferences it

struct HandoffEntry {
  Frame frame;
  Block* block = nullptr;  // the reactor buffer holding frame.data, or nullptr
};
// Entries are copied into the ring per message: 96 bytes, a cache line and a half. Growing one
// is a decision (docs/architecture.md, Handoff), not an accident.
static_assert(sizeof(HandoffEntry) == 96, "HandoffEntry changed: update docs/architecture.md");

}  // namespace sipring
