// Tests of SourceLimits, the per-source count-min sketch: what a source is (an IPv4 address, an
// IPv6 /64, IPv4-mapped IPv6 as IPv4), counts that never fall below the truth however many
// sources share the sketch, add/sub symmetry, independent kinds, and per-instance keys.
#include "engine/reactor/source_limits.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace sipring {
namespace {

using Kind = SourceLimits::Kind;

SockAddr v4(uint32_t host_order, uint16_t port = 5061) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(host_order);
  a.sin_port = htons(port);
  return SockAddr::from(reinterpret_cast<sockaddr*>(&a), sizeof(a));
}

SockAddr v6(const uint8_t (&bytes)[16], uint16_t port = 5061) {
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  memcpy(a.sin6_addr.s6_addr, bytes, 16);
  a.sin6_port = htons(port);
  return SockAddr::from(reinterpret_cast<sockaddr*>(&a), sizeof(a));
}

// An IPv6 address of /64 `prefix` (the first 8 bytes, big-endian) with interface id `iid`.
SockAddr v6(uint64_t prefix, uint64_t iid, uint16_t port = 5061) {
  uint8_t b[16];
  for (int i = 0; i < 8; i++) {
    b[i] = static_cast<uint8_t>(prefix >> (56 - 8 * i));
    b[8 + i] = static_cast<uint8_t>(iid >> (56 - 8 * i));
  }
  return v6(b, port);
}

SockAddr parsed(const std::string& text) {
  SockAddr a;
  EXPECT_TRUE(SockAddr::parse(text, &a)) << text;
  return a;
}

bool same(SourceLimits::Slots x, SourceLimits::Slots y) {
  return x.a == y.a && x.b == y.b;
}

constexpr uint64_t kDoc = 0x20010db800000000ull;  // 2001:db8::/32

TEST(SourceLimitsTest, AddressesOfOneIpv6Slash64ShareTheirCounts) {
  SourceLimits s;
  const SockAddr a = v6(kDoc | 0x0001'0002, 0x1);
  const SockAddr b = v6(kDoc | 0x0001'0002, 0xffff'ffff'ffff'fffeull, 40000);
  const SockAddr c = parsed("[2001:db8:1:2:dead:beef:0:1]:5060");
  EXPECT_TRUE(same(s.slots_of(a), s.slots_of(b)));
  EXPECT_TRUE(same(s.slots_of(a), s.slots_of(c)));
  s.add(Kind::kConnections, s.slots_of(a));
  s.add(Kind::kConnections, s.slots_of(b));
  EXPECT_EQ(s.count(Kind::kConnections, s.slots_of(c)), 2u);
  s.sub(Kind::kConnections, s.slots_of(c));
  EXPECT_EQ(s.count(Kind::kConnections, s.slots_of(a)), 1u);
}

TEST(SourceLimitsTest, NeighbouringSlash64sAreDifferentSources) {
  SourceLimits s;
  const SockAddr a = v6(kDoc | 0x0001'0002, 0x1);
  s.add(Kind::kConnections, s.slots_of(a));
  s.add(Kind::kConnections, s.slots_of(a));
  // The next and previous /64, and the same interface id in another /64.
  for (uint64_t prefix : {kDoc | 0x0001'0001, kDoc | 0x0001'0003, kDoc | 0x0002'0002}) {
    EXPECT_EQ(s.count(Kind::kConnections, s.slots_of(v6(prefix, 0x1))), 0u) << std::hex << prefix;
  }
}

// A random /64 shares both counters with one busy source with probability 2^-30: of 1000 others,
// essentially all count 0, and none ever counts below its truth (0).
TEST(SourceLimitsTest, OtherSlash64sMostlyCountZero) {
  SourceLimits s;
  std::mt19937_64 rng(12345);
  const SockAddr busy = v6(rng(), rng());
  for (int i = 0; i < 5; i++) s.add(Kind::kConnections, s.slots_of(busy));
  const SourceLimits::Slots busy_slots = s.slots_of(busy);
  int nonzero = 0;
  int shared_both = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t prefix = rng();
    const SockAddr other = v6(prefix, rng());
    const SourceLimits::Slots slots = s.slots_of(other);
    if (same(slots, busy_slots)) shared_both++;
    const uint32_t n = s.count(Kind::kConnections, slots);
    if (n != 0) {
      nonzero++;
      EXPECT_EQ(n, 5u) << "a count that is neither the truth nor the busy source's";
    }
  }
  EXPECT_EQ(nonzero, shared_both);
  EXPECT_LE(nonzero, 1);
  EXPECT_EQ(s.count(Kind::kConnections, busy_slots), 5u);
}

TEST(SourceLimitsTest, Ipv4MappedIpv6CountsAsTheIpv4Address) {
  SourceLimits s;
  const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7};
  EXPECT_TRUE(same(s.slots_of(v6(mapped)), s.slots_of(v4(0xc0000207))));
  EXPECT_TRUE(
      same(s.slots_of(parsed("[::ffff:192.0.2.7]:5061")), s.slots_of(parsed("192.0.2.7:9"))));
  s.add(Kind::kConnections, s.slots_of(v6(mapped)));
  EXPECT_EQ(s.count(Kind::kConnections, s.slots_of(parsed("192.0.2.7"))), 1u);
  // Its neighbour is another source; so is the IPv4-compatible form ::192.0.2.7.
  EXPECT_EQ(s.count(Kind::kConnections, s.slots_of(parsed("192.0.2.8"))), 0u);
  const uint8_t compat[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 7};
  EXPECT_FALSE(same(s.slots_of(v6(compat)), s.slots_of(v4(0xc0000207))));
}

TEST(SourceLimitsTest, Ipv4AddressesAreEachTheirOwnSource) {
  SourceLimits s;
  s.add(Kind::kConnections, s.slots_of(parsed("127.0.0.1:1000")));
  EXPECT_EQ(s.count(Kind::kConnections, s.slots_of(parsed("127.0.0.1:2000"))), 1u);  // any port
  EXPECT_EQ(s.count(Kind::kConnections, s.slots_of(parsed("127.0.0.2:1000"))), 0u);
}

TEST(SourceLimitsTest, AddAndSubAreSymmetricAndKindsIndependent) {
  SourceLimits s;
  const SourceLimits::Slots x = s.slots_of(parsed("198.51.100.1"));
  for (int i = 0; i < 100; i++) s.add(Kind::kConnections, x);
  for (int i = 0; i < 7; i++) s.add(Kind::kHandshakes, x);
  EXPECT_EQ(s.count(Kind::kConnections, x), 100u);
  EXPECT_EQ(s.count(Kind::kHandshakes, x), 7u);
  for (int i = 0; i < 100; i++) s.sub(Kind::kConnections, x);
  EXPECT_EQ(s.count(Kind::kConnections, x), 0u);
  EXPECT_EQ(s.count(Kind::kHandshakes, x), 7u);
  for (int i = 0; i < 7; i++) s.sub(Kind::kHandshakes, x);
  EXPECT_EQ(s.count(Kind::kHandshakes, x), 0u);
}

// More sources than a row has counters, so collisions are certain: every count is still at
// least its truth, and once everything is subtracted again every count is 0.
TEST(SourceLimitsTest, CountNeverBelowTheTruthForManySources) {
  SourceLimits s;
  std::mt19937_64 rng(777);
  constexpr int kSources = 60000;  // ~1.8 per counter of a row
  std::vector<SockAddr> sources;
  std::vector<uint32_t> times;
  for (int i = 0; i < kSources; i++) {
    // Half IPv4, half IPv6 /64s; distinct by construction.
    sources.push_back(i % 2 == 0 ? v4(0x0a000000u + static_cast<uint32_t>(i))
                                 : v6(kDoc | static_cast<uint64_t>(i), rng()));
    times.push_back(1 + static_cast<uint32_t>(rng() % 5));
  }
  for (int i = 0; i < kSources; i++) {
    const SourceLimits::Slots x = s.slots_of(sources[i]);
    for (uint32_t k = 0; k < times[i]; k++) s.add(Kind::kConnections, x);
  }
  int exact = 0;
  for (int i = 0; i < kSources; i++) {
    const uint32_t n = s.count(Kind::kConnections, s.slots_of(sources[i]));
    ASSERT_GE(n, times[i]) << sources[i].to_string();
    if (n == times[i]) exact++;
    EXPECT_EQ(s.count(Kind::kHandshakes, s.slots_of(sources[i])), 0u);
  }
  // Two rows: a source is exact when either of its counters is its own, which is common even
  // at this load.
  EXPECT_GT(exact, kSources / 10);
  for (int i = 0; i < kSources; i++) {
    const SourceLimits::Slots x = s.slots_of(sources[i]);
    for (uint32_t k = 0; k < times[i]; k++) s.sub(Kind::kConnections, x);
  }
  for (int i = 0; i < kSources; i++) {
    ASSERT_EQ(s.count(Kind::kConnections, s.slots_of(sources[i])), 0u) << sources[i].to_string();
  }
}

// The hash keys are drawn per instance (at start), so a peer cannot precompute which addresses
// share a victim's counters.
TEST(SourceLimitsTest, EachInstanceHashesWithItsOwnKeys) {
  SourceLimits s1, s2;
  int differ = 0;
  for (uint32_t i = 0; i < 100; i++) {
    const SockAddr a = v4(0xc6336400u + i);
    if (!same(s1.slots_of(a), s2.slots_of(a))) differ++;
  }
  EXPECT_GE(differ, 99);
}

}  // namespace
}  // namespace sipring
