// The per-source count-min sketch (see source_limits.h).
#include "engine/reactor/source_limits.h"

#include <openssl/rand.h>

#include <cstring>

#include "engine/base/hash.h"

namespace sipring {
namespace {

// The source as one number and its family: an IPv4 address, or the /64 prefix of an IPv6 one.
struct Source {
  uint64_t value;
  uint64_t family;  // kIpv4 or kIpv6, mixed in after the key (see slots_of)
};
constexpr uint64_t kIpv4 = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kIpv6 = 0xc2b2ae3d27d4eb4full;

Source source_of(const SockAddr& addr) noexcept {
  if (addr.family() == AF_INET) {
    return {reinterpret_cast<const sockaddr_in*>(addr.sa())->sin_addr.s_addr, kIpv4};
  }
  const uint8_t* a = reinterpret_cast<const sockaddr_in6*>(addr.sa())->sin6_addr.s6_addr;
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(a, kMapped, sizeof(kMapped)) == 0) {
    uint32_t v4;
    memcpy(&v4, a + 12, 4);
    return {v4, kIpv4};
  }
  uint64_t prefix;
  memcpy(&prefix, a, 8);
  return {prefix, kIpv6};
}

}  // namespace

SourceLimits::SourceLimits() : counters_(new std::atomic<uint32_t>[2 * 2 * kRow]()) {
  RAND_bytes(reinterpret_cast<uint8_t*>(&key_a_), sizeof(key_a_));
  RAND_bytes(reinterpret_cast<uint8_t*>(&key_b_), sizeof(key_b_));
}

SourceLimits::Slots SourceLimits::slots_of(const SockAddr& addr) const noexcept {
  // The family enters after the keyed mix: an IPv6 prefix and an IPv4 address with the same
  // number share counters only by chance, never by a choice an attacker could make.
  const Source s = source_of(addr);
  Slots out;
  out.a = static_cast<uint16_t>(fmix64(fmix64(s.value ^ key_a_) ^ s.family) & (kRow - 1));
  out.b = static_cast<uint16_t>(fmix64(fmix64(s.value ^ key_b_) ^ s.family) & (kRow - 1));
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
