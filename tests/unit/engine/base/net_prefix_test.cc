// Tests of CIDR lists (sipring.proxy_protocol_trusted): parsing, refusals, matching.
#include "engine/base/net_prefix.h"

#include <gtest/gtest.h>

namespace sipring {
namespace {

SockAddr addr(const char* text) {
  SockAddr a;
  EXPECT_TRUE(SockAddr::parse(text, &a)) << text;
  return a;
}

TEST(NetPrefix, ParsesAndMatches) {
  auto list = parse_net_prefixes(" 127.0.0.1/32, 10.0.0.0/8 ,2001:db8::/32,::1,192.0.2.7");
  ASSERT_TRUE(list.is_ok()) << list.error().message;
  ASSERT_EQ(list->size(), 5u);
  EXPECT_EQ(net_prefix_text((*list)[1]), "10.0.0.0/8");
  EXPECT_EQ(net_prefix_text((*list)[3]), "::1/128");
  EXPECT_EQ(net_prefix_text((*list)[4]), "192.0.2.7/32");
  EXPECT_TRUE(any_contains(*list, addr("127.0.0.1:5")));
  EXPECT_FALSE(any_contains(*list, addr("127.0.0.5:5")));
  EXPECT_TRUE(any_contains(*list, addr("10.255.1.2:1")));
  EXPECT_FALSE(any_contains(*list, addr("11.0.0.1:1")));
  EXPECT_TRUE(any_contains(*list, addr("[2001:db8:ffff::1]:1")));
  EXPECT_FALSE(any_contains(*list, addr("[2001:db9::1]:1")));
  EXPECT_TRUE(any_contains(*list, addr("[::1]:1")));
  // A dual-stack socket's IPv4 peer.
  EXPECT_TRUE(any_contains(*list, addr("[::ffff:10.1.2.3]:1")));
  EXPECT_FALSE(any_contains(*list, addr("[::ffff:11.1.2.3]:1")));
  EXPECT_FALSE(any_contains(*list, SockAddr()));
}

TEST(NetPrefix, OddPrefixLengths) {
  auto list = parse_net_prefixes("192.0.2.128/25,0.0.0.0/0");
  ASSERT_TRUE(list.is_ok());
  EXPECT_TRUE((*list)[0].contains(addr("192.0.2.200:1")));
  EXPECT_FALSE((*list)[0].contains(addr("192.0.2.100:1")));
  EXPECT_TRUE((*list)[1].contains(addr("203.0.113.1:1")));
  EXPECT_FALSE((*list)[1].contains(addr("[2001:db8::1]:1")));
}

TEST(NetPrefix, Refusals) {
  for (const char* bad :
       {"192.0.2.1/24", "192.0.2.0/33", "::/129", "example.com/24", "10.0.0.0/", "10.0.0.0/08",
        "10.0.0.0/-1", "10.0.0.0/8/8", "2001:db8::1/32", "1.2.3/8"}) {
    auto r = parse_net_prefixes(bad);
    EXPECT_FALSE(r.is_ok()) << bad;
    if (!r.is_ok()) {
      EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
  }
  auto empty = parse_net_prefixes(" , ");
  ASSERT_TRUE(empty.is_ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace sipring
