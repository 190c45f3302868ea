// Connections and handshakes in progress per source address, shared by every reactor without
// locks: what sipring.max_connections_per_source and sipring.max_handshakes_per_source count.
//
// A source is an IPv4 address or an IPv6 /64 (one subscriber's prefix: a host owns the whole
// /64 and could otherwise rotate addresses within it); IPv4-mapped IPv6 counts as IPv4.
//
// Counts live in a count-min sketch: two rows of 2^15 relaxed atomic counters, each row indexed
// by its own keyed hash of the source (keys drawn at start, so a peer cannot aim its addresses
// at another source's counters). A source's count is the smaller of its two counters: never
// below the truth, above it only when both of its counters are shared with other busy sources.
// The error can only refuse a source early, never let one through uncounted, and it costs a
// fixed 256 KiB (touched lazily) instead of a map that an attacker's addresses would grow.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "sipring/sock_addr.h"

namespace sipring {

class SourceLimits {
 public:
  enum Kind : uint8_t { kConnections = 0, kHandshakes = 1 };
  // Where a source's counters are: one index per row.
  struct Slots {
    uint16_t a = 0;
    uint16_t b = 0;
  };

  SourceLimits();

  Slots slots_of(const SockAddr& addr) const noexcept;
  // The source's count (the smaller of its two counters).
  uint32_t count(Kind kind, Slots s) const noexcept;
  void add(Kind kind, Slots s) noexcept;
  void sub(Kind kind, Slots s) noexcept;

  static constexpr uint32_t kRowBits = 15;

 private:
  static constexpr uint32_t kRow = 1u << kRowBits;
  // Relaxed everywhere: each counter is a limit, read and written on its own; nothing else is
  // published through it. Two reactors may both pass a check at once: the overshoot is at most
  // one connection per reactor.
  std::unique_ptr<std::atomic<uint32_t>[]> counters_;  // [kind][row][kRow]
  uint64_t key_a_ = 0;
  uint64_t key_b_ = 0;

  std::atomic<uint32_t>* row(Kind kind, int r) const noexcept {
    return &counters_[(size_t{kind} * 2 + static_cast<size_t>(r)) * kRow];
  }
};

}  // namespace sipring
