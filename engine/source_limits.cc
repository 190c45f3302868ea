// The per-source count-min sketch (see source_limits.h).
#include "engine/source_limits.h"

#include <openssl/rand.h>

#include <cstring>

namespace sipring {
namespace {

// murmur3's 64-bit finalizer: every input bit reaches every output bit.
uint64_t mix(uint64_t x) noexcept {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

// The source as one number: an IPv4 address, or the /64 prefix of an IPv6 one. IPv4 addresses
// are offset by a constant so that they do not systematically equal prefixes such as
// 2001:db8:100::/64; any remaining equality is one more collision the sketch tolerates.
uint64_t source_of(const SockAddr& addr) noexcept {
  constexpr uint64_t kIpv4 = 0x9e3779b97f4a7c15ull;
  if (addr.family() == AF_INET) {
    return kIpv4 ^ reinterpret_cast<const sockaddr_in*>(addr.sa())->sin_addr.s_addr;
  }
  const uint8_t* a = reinterpret_cast<const sockaddr_in6*>(addr.sa())->sin6_addr.s6_addr;
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(a, kMapped, sizeof(kMapped)) == 0) {
    uint32_t v4;
    memcpy(&v4, a + 12, 4);
    return kIpv4 ^ v4;
  }
  uint64_t prefix;
  memcpy(&prefix, a, 8);
  return prefix;
}

}  // namespace

SourceLimits::SourceLimits() : counters_(new std::atomic<uint32_t>[2 * 2 * kRow]()) {
  RAND_bytes(reinterpret_cast<uint8_t*>(&key_a_), sizeof(key_a_));
  RAND_bytes(reinterpret_cast<uint8_t*>(&key_b_), sizeof(key_b_));
}

SourceLimits::Slots SourceLimits::slots_of(const SockAddr& addr) const noexcept {
  const uint64_t s = source_of(addr);
  Slots out;
  out.a = static_cast<uint16_t>(mix(s ^ key_a_) & (kRow - 1));
  out.b = static_cast<uint16_t>(mix(s ^ key_b_) & (kRow - 1));
  return out;
}

uint32_t SourceLimits::count(Kind kind, Slots s) const noexcept {
  uint32_t a = row(kind, 0)[s.a].load(std::memory_order_relaxed);
  uint32_t b = row(kind, 1)[s.b].load(std::memory_order_relaxed);
  return a < b ? a : b;
}

void SourceLimits::add(Kind kind, Slots s) noexcept {
  row(kind, 0)[s.a].fetch_add(1, std::memory_order_relaxed);
  row(kind, 1)[s.b].fetch_add(1, std::memory_order_relaxed);
}

void SourceLimits::sub(Kind kind, Slots s) noexcept {
  row(kind, 0)[s.a].fetch_sub(1, std::memory_order_relaxed);
  row(kind, 1)[s.b].fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace sipring
