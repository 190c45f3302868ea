// Connection identifiers: 64 bits naming a reactor, a slot in its table and a generation.
//
// A slot is reused by later connections; its generation changes on every reuse, so an id kept
// after its connection closed can never reach the connection that took the slot next.
#pragma once

#include <cstdint>

namespace sipring {

class ConnId {
 public:
  static constexpr uint32_t kMaxReactors = 256;
  static constexpr uint32_t kMaxSlots = 1u << 24;

  constexpr ConnId() = default;
  constexpr explicit ConnId(uint64_t raw) : raw_(raw) {}
  constexpr ConnId(uint32_t reactor, uint32_t slot, uint32_t generation)
      : raw_((uint64_t{reactor} << 56) | (uint64_t{slot & (kMaxSlots - 1)} << 32) | generation) {}

  constexpr uint64_t raw() const { return raw_; }
  constexpr uint32_t reactor() const { return static_cast<uint32_t>(raw_ >> 56); }
  constexpr uint32_t slot() const { return static_cast<uint32_t>(raw_ >> 32) & (kMaxSlots - 1); }
  constexpr uint32_t generation() const { return static_cast<uint32_t>(raw_); }
  // Generation 0 is never handed out, so the all-zero id is always invalid.
  constexpr bool valid() const { return generation() != 0; }

  friend constexpr bool operator==(ConnId a, ConnId b) { return a.raw_ == b.raw_; }

 private:
  uint64_t raw_ = 0;
};

}  // namespace sipring
