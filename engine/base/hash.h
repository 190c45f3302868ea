// Small hash helpers shared by the engine (one home for them). Our own: a two-line finalizer
// needs no library, and std::hash's quality and speed are unspecified.
#pragma once

#include <cstdint>

namespace sipring {

// murmur3's 64-bit finalizer: every input bit reaches every output bit. Not keyed by itself:
// callers that face peers mix a secret key in first (engine/reactor/source_limits.cc).
inline uint64_t fmix64(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

}  // namespace sipring
