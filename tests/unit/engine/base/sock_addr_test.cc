// Tests of SockAddr: parsing, formatting (allocation-free), conversion and comparison.
#include "sipring/sock_addr.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/un.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "tests/testing/count_allocations.h"

namespace sipring {
namespace {

SockAddr must_parse(std::string_view text) {
  SockAddr a;
  EXPECT_TRUE(SockAddr::parse(text, &a)) << text;
  return a;
}

TEST(SockAddrParse, Ipv4WithPort) {
  SockAddr a = must_parse("192.0.2.10:5061");
  EXPECT_EQ(a.family(), AF_INET);
  EXPECT_EQ(a.port(), 5061);
  EXPECT_EQ(a.host(), "192.0.2.10");
  EXPECT_EQ(a.len(), sizeof(sockaddr_in));
  const auto* sin = reinterpret_cast<const sockaddr_in*>(a.sa());
  EXPECT_EQ(sin->sin_port, htons(5061));
  EXPECT_EQ(sin->sin_addr.s_addr, inet_addr("192.0.2.10"));
}

TEST(SockAddrParse, BracketedIpv6WithPort) {
  SockAddr a = must_parse("[2001:db8::1]:5061");
  EXPECT_EQ(a.family(), AF_INET6);
  EXPECT_EQ(a.port(), 5061);
  EXPECT_EQ(a.host(), "2001:db8::1");
  EXPECT_EQ(a.len(), sizeof(sockaddr_in6));
}

TEST(SockAddrParse, AddressWithoutPortHasPortZero) {
  EXPECT_EQ(must_parse("1.2.3.4").port(), 0);
  EXPECT_EQ(must_parse("1.2.3.4").family(), AF_INET);
  EXPECT_EQ(must_parse("[::1]").port(), 0);
  EXPECT_EQ(must_parse("[::1]").family(), AF_INET6);
  SockAddr bare = must_parse("::1");  // several colons, no brackets: all address
  EXPECT_EQ(bare.family(), AF_INET6);
  EXPECT_EQ(bare.port(), 0);
}

TEST(SockAddrParse, PortLimits) {
  EXPECT_EQ(must_parse("1.2.3.4:0").port(), 0);
  EXPECT_EQ(must_parse("1.2.3.4:65535").port(), 65535);
  SockAddr a;
  EXPECT_FALSE(SockAddr::parse("1.2.3.4:65536", &a));
  EXPECT_FALSE(SockAddr::parse("1.2.3.4:100000", &a));
}

TEST(SockAddrParse, RejectsMalformedInputAndLeavesOutputAlone) {
  const char* bad[] = {
      "",           "1.2.3",       "256.1.1.1:5061", "1.2.3.4:",       "1.2.3.4:-1",
      "1.2.3.4:+5", "1.2.3.4:abc", "1.2.3.4:5061x",  " 1.2.3.4",       "1.2.3.4 ",
      "[::1",       "[::1]5061",   "[::1]:",         "[1.2.3.4]:5061", "example.com:5061",
      "[]:5061",    "::1:5061:",   "fe80::1%eth0",   "[::1]:5061:1"};
  for (const char* text : bad) {
    SockAddr a = must_parse("9.9.9.9:9");
    EXPECT_FALSE(SockAddr::parse(text, &a)) << '"' << text << '"';
    EXPECT_EQ(a.to_string(), "9.9.9.9:9") << text;
  }
}

TEST(SockAddrParse, RejectsOverlongHostWithoutOverflow) {
  SockAddr a;
  EXPECT_FALSE(SockAddr::parse("[" + std::string(200, '1') + "]:5061", &a));
  EXPECT_FALSE(SockAddr::parse(std::string(200, '1') + ":5061", &a));
}

TEST(SockAddrFormat, RoundTripsCanonicalForms) {
  const char* forms[] = {"127.0.0.1:5061", "0.0.0.0:0",       "255.255.255.255:65535",
                         "[::1]:5061",     "[2001:db8::1]:1", "[::ffff:1.2.3.4]:5061",
                         "[::]:5061"};
  for (const char* text : forms) {
    SockAddr a = must_parse(text);
    EXPECT_EQ(a.to_string(), text);
    SockAddr again = must_parse(a.to_string());
    EXPECT_TRUE(again == a) << text;
  }
}

TEST(SockAddrFormat, AddressWithoutPortFormatsPortZero) {
  EXPECT_EQ(must_parse("10.0.0.1").to_string(), "10.0.0.1:0");
  EXPECT_EQ(must_parse("::1").to_string(), "[::1]:0");
}

TEST(SockAddrFormat, WritesIntoBufferAndReturnsLength) {
  SockAddr a = must_parse("[::1]:5061");
  char buf[64];
  std::memset(buf, 'x', sizeof(buf));
  EXPECT_EQ(a.format(buf, sizeof(buf)), 10u);
  EXPECT_STREQ(buf, "[::1]:5061");
}

TEST(SockAddrFormat, TruncatesToBufferSizeAndStaysTerminated) {
  SockAddr a = must_parse("127.0.0.1:5061");
  char buf[5];
  EXPECT_EQ(a.format(buf, sizeof(buf)), 4u);
  EXPECT_STREQ(buf, "127.");
  char one[1] = {'x'};
  EXPECT_EQ(a.format(one, 1), 0u);
  EXPECT_EQ(one[0], '\0');
  char untouched = 'x';
  EXPECT_EQ(a.format(&untouched, 0), 0u);
  EXPECT_EQ(untouched, 'x');
}

TEST(SockAddrFormat, DoesNotAllocate) {
  SockAddr v4 = must_parse("192.0.2.1:5061");
  SockAddr v6 = must_parse("[2001:db8::1234:5678]:65535");
  char buf[64];
  const long before = heap_allocations();
  size_t total = 0;
  for (int i = 0; i < 100; ++i) total += v4.format(buf, sizeof(buf)) + v6.format(buf, sizeof(buf));
  EXPECT_EQ(heap_allocations(), before);
  EXPECT_GT(total, 0u);
}

TEST(SockAddrFormat, ParseDoesNotAllocate) {
  SockAddr a;
  const long before = heap_allocations();
  bool ok = SockAddr::parse("[2001:db8::1]:5061", &a) && SockAddr::parse("10.1.2.3:5", &a);
  EXPECT_EQ(heap_allocations(), before);
  EXPECT_TRUE(ok);
}

TEST(SockAddrFormat, EmptyAddressFormatsAsEmptyString) {
  SockAddr a;
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.to_string(), "");
  EXPECT_EQ(a.host(), "");
  EXPECT_EQ(a.port(), 0);
}

TEST(SockAddrFrom, CopiesIpv4AndIpv6) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(5061);
  inet_pton(AF_INET, "198.51.100.7", &sin.sin_addr);
  SockAddr a = SockAddr::from(reinterpret_cast<sockaddr*>(&sin), sizeof(sin));
  EXPECT_EQ(a.to_string(), "198.51.100.7:5061");

  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(443);
  inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr);
  SockAddr b = SockAddr::from(reinterpret_cast<sockaddr*>(&sin6), sizeof(sin6));
  EXPECT_EQ(b.to_string(), "[2001:db8::7]:443");
}

TEST(SockAddrFrom, OtherFamiliesShortLengthsAndNullGiveEmpty) {
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  EXPECT_TRUE(SockAddr::from(reinterpret_cast<sockaddr*>(&sun), sizeof(sun)).empty());
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  EXPECT_TRUE(SockAddr::from(reinterpret_cast<sockaddr*>(&sin6), sizeof(sockaddr_in)).empty());
  EXPECT_TRUE(SockAddr::from(nullptr, 0).empty());
}

TEST(SockAddrEquality, ComparesFamilyAddressAndPort) {
  EXPECT_TRUE(must_parse("1.2.3.4:5061") == must_parse("1.2.3.4:5061"));
  EXPECT_FALSE(must_parse("1.2.3.4:5061") == must_parse("1.2.3.4:5062"));
  EXPECT_FALSE(must_parse("1.2.3.4:5061") == must_parse("1.2.3.5:5061"));
  EXPECT_FALSE(must_parse("0.0.0.0:5061") == must_parse("[::]:5061"));
  EXPECT_TRUE(must_parse("[::1]:5061") == must_parse("[0:0:0:0:0:0:0:1]:5061"));
  EXPECT_TRUE(SockAddr() == SockAddr());
  EXPECT_FALSE(SockAddr() == must_parse("1.2.3.4"));
}

}  // namespace
}  // namespace sipring
