// The demo core's received/rport (tools/sipring/via_received.h): RFC 3261 18.2.1, RFC 3581 4.
#include "tools/sipring/via_received.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "sipring/sip_response.h"
#include "tools/sipring/demo_core.h"

namespace sipring {
namespace {

SockAddr addr(const char* text) {
  SockAddr a;
  EXPECT_TRUE(SockAddr::parse(text, &a)) << text;
  return a;
}

// The response head build_response would write around `vias` (the Via lines' values).
std::string response(const std::string& vias) {
  return "SIP/2.0 200 OK\r\nVia: " + vias + "\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n";
}

// Runs add_received_rport on response(top) with `extra` bytes of room; returns the result's
// Via value (the first line after the status line, without "Via: ").
std::string stamped(const std::string& top, const char* peer, size_t extra = 256,
                    bool* fit = nullptr) {
  std::string msg = response(top);
  std::string buf = msg + std::string(extra, '#');
  size_t size = msg.size();
  bool ok = add_received_rport(reinterpret_cast<uint8_t*>(buf.data()), &size, msg.size() + extra,
                               addr(peer));
  if (fit != nullptr) *fit = ok;
  buf.resize(size);
  EXPECT_EQ(buf.substr(0, 21), "SIP/2.0 200 OK\r\nVia: ");
  size_t end = buf.find("\r\n", 21);
  EXPECT_EQ(buf.substr(end), "\r\nCall-ID: x\r\nContent-Length: 0\r\n\r\n");
  return buf.substr(21, end - 21);
}

TEST(ViaReceived, SentByIsThePeerAndNoRport_Unchanged) {
  EXPECT_EQ(stamped("SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-1", "127.0.0.1:40000"),
            "SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-1");
  EXPECT_EQ(stamped("SIP/2.0/TLS [::1]:5071;branch=z9hG4bK-1", "[::1]:40000"),
            "SIP/2.0/TLS [::1]:5071;branch=z9hG4bK-1");
  // Without a port, and with a value in rport (only an empty one is filled).
  EXPECT_EQ(stamped("SIP/2.0/TLS 10.0.0.1;rport=5060", "10.0.0.1:40000"),
            "SIP/2.0/TLS 10.0.0.1;rport=5060");
}

TEST(ViaReceived, SentByAnotherAddressOrAName_GetsReceived) {
  EXPECT_EQ(stamped("SIP/2.0/TLS 192.0.2.1:5071;branch=z9hG4bK-1", "127.0.0.10:40000"),
            "SIP/2.0/TLS 192.0.2.1:5071;branch=z9hG4bK-1;received=127.0.0.10");
  EXPECT_EQ(stamped("SIP/2.0/TLS client.example.com;branch=z9hG4bK-1", "192.0.2.7:5061"),
            "SIP/2.0/TLS client.example.com;branch=z9hG4bK-1;received=192.0.2.7");
  // A name that looks like an address is still a name.
  EXPECT_EQ(stamped("SIP/2.0/TLS 127.0.0.1.example;branch=b", "127.0.0.1:1"),
            "SIP/2.0/TLS 127.0.0.1.example;branch=b;received=127.0.0.1");
}

TEST(ViaReceived, EmptyRport_GetsThePortAndReceivedEvenForTheSameAddress) {
  // RFC 3581 4: received is added even when it equals sent-by.
  EXPECT_EQ(stamped("SIP/2.0/TLS 127.0.0.10:5071;branch=z9hG4bK-1;rport", "127.0.0.10:41234"),
            "SIP/2.0/TLS 127.0.0.10:5071;branch=z9hG4bK-1;rport=41234;received=127.0.0.10");
  // rport in the middle, case-insensitive names.
  EXPECT_EQ(stamped("SIP/2.0/TLS h.example;RPort;branch=b1", "192.0.2.7:5061"),
            "SIP/2.0/TLS h.example;RPort=5061;branch=b1;received=192.0.2.7");
}

TEST(ViaReceived, Ipv6ReceivedHasNoBrackets) {
  EXPECT_EQ(stamped("SIP/2.0/TLS [2001:db8::1]:5061;branch=b;rport", "[2001:db8::2]:5070"),
            "SIP/2.0/TLS [2001:db8::1]:5061;branch=b;rport=5070;received=2001:db8::2");
  // The same address written differently is the same address.
  EXPECT_EQ(stamped("SIP/2.0/TLS [2001:DB8:0::1];branch=b", "[2001:db8::1]:5070"),
            "SIP/2.0/TLS [2001:DB8:0::1];branch=b");
  // An IPv4-mapped peer is the IPv4 address it maps.
  EXPECT_EQ(stamped("SIP/2.0/TLS 192.0.2.1;branch=b", "[::ffff:192.0.2.1]:5070"),
            "SIP/2.0/TLS 192.0.2.1;branch=b");
  EXPECT_EQ(stamped("SIP/2.0/TLS 192.0.2.1;branch=b", "[::ffff:192.0.2.9]:5070"),
            "SIP/2.0/TLS 192.0.2.1;branch=b;received=192.0.2.9");
}

TEST(ViaReceived, AReceivedTheRequestCarriesGetsThePeersAddress) {
  EXPECT_EQ(stamped("SIP/2.0/TLS 192.0.2.1;received=10.9.9.9;branch=b", "127.0.0.10:1"),
            "SIP/2.0/TLS 192.0.2.1;received=127.0.0.10;branch=b");
  EXPECT_EQ(stamped("SIP/2.0/TLS 192.0.2.1;received=[2001:db8::9];rport", "127.0.0.10:7"),
            "SIP/2.0/TLS 192.0.2.1;received=127.0.0.10;rport=7");
  EXPECT_EQ(stamped("SIP/2.0/TLS 192.0.2.1;rport;received", "127.0.0.10:7"),
            "SIP/2.0/TLS 192.0.2.1;rport=7;received=127.0.0.10");
}

TEST(ViaReceived, OnlyTheTopViaChanges) {
  EXPECT_EQ(stamped("SIP/2.0/TLS a.example;branch=b1;rport, SIP/2.0/TLS c.example;rport",
                    "192.0.2.7:5061"),
            "SIP/2.0/TLS a.example;branch=b1;rport=5061;received=192.0.2.7, SIP/2.0/TLS "
            "c.example;rport");
  // The second Via line of a response is never looked at.
  std::string msg =
      "SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS 127.0.0.1;branch=a\r\n"
      "Via: SIP/2.0/TLS b.example;rport\r\n\r\n";
  std::string buf = msg + std::string(64, '#');
  size_t size = msg.size();
  ASSERT_TRUE(add_received_rport(reinterpret_cast<uint8_t*>(buf.data()), &size, buf.size(),
                                 addr("127.0.0.1:9")));
  EXPECT_EQ(buf.substr(0, size), msg);
}

TEST(ViaReceived, SeparatorsWithWhitespaceAndQuotedValues) {
  // RFC 3261's SWS around "/", ":", ";" and "=", and a quoted value holding ";" and ",".
  EXPECT_EQ(stamped("SIP / 2.0 / TLS  h.example : 5061 ; branch = z9 ; x=\"a;b,\\\"c\" ; rport",
                    "192.0.2.7:5061"),
            "SIP / 2.0 / TLS  h.example : 5061 ; branch = z9 ; x=\"a;b,\\\"c\" ; "
            "rport=5061;received=192.0.2.7");
  EXPECT_EQ(stamped("SIP/2.0/TLS h.example;branch=z9  , SIP/2.0/TLS x", "192.0.2.7:1"),
            "SIP/2.0/TLS h.example;branch=z9;received=192.0.2.7  , SIP/2.0/TLS x");
}

TEST(ViaReceived, AViaThatDoesNotParseIsLeftAsSent) {
  for (const char* v : {"SIP/2.0/TLS", "SIP/2.0 TLS h.example;rport", "SIP/2.0/TLSh.example;rport",
                        "SIP/2.0/TLS [::1;rport", "SIP/2.0/TLS h.example:;rport",
                        "SIP/2.0/TLS h.example;rport;", "SIP/2.0/TLS h.example;x=\"open;rport",
                        "SIP/2.0/TLS h.example rport", "SIP/2.0/TLS h.example;=1;rport"}) {
    bool fit = false;
    EXPECT_EQ(stamped(v, "192.0.2.7:5061", 256, &fit), v);
    EXPECT_TRUE(fit) << v;
  }
}

TEST(ViaReceived, NoRoomLeavesTheResponseUntouched) {
  const std::string top = "SIP/2.0/TLS 127.0.0.1;rport";
  bool fit = true;
  // ";rport" needs "=41234" (6) and ";received=127.0.0.1" (19): 25 bytes.
  EXPECT_EQ(stamped(top, "127.0.0.1:41234", 24, &fit), top);
  EXPECT_FALSE(fit);
  EXPECT_EQ(stamped(top, "127.0.0.1:41234", 25, &fit),
            "SIP/2.0/TLS 127.0.0.1;rport=41234;received=127.0.0.1");
  EXPECT_TRUE(fit);
}

TEST(ViaReceived, TheDemoCoreAnswersWithIt) {
  const std::string request =
      "OPTIONS sip:service@127.0.0.1 SIP/2.0\r\n"
      "Via: SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-1;rport\r\n"
      "From: <sip:alice@client.example>;tag=1\r\nTo: <sip:bob@server.example>\r\n"
      "Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
  Frame f{};
  f.kind = FrameKind::kMessage;
  f.data = reinterpret_cast<const uint8_t*>(request.data());
  f.size = static_cast<uint32_t>(request.size());
  f.peer = addr("127.0.0.10:40123");
  DemoCoreCounters counters;
  uint8_t out[4096];
  DemoAnswer a = demo_answer(f, out, sizeof(out), &counters);
  ASSERT_NE(a.size, 0u);
  const std::string reply(reinterpret_cast<const char*>(out), a.size);
  EXPECT_NE(reply.find("\r\nVia: SIP/2.0/TLS 127.0.0.1:5071;branch=z9hG4bK-1;rport=40123;"
                       "received=127.0.0.10\r\n"),
            std::string::npos)
      << reply;
  // A reply buffer with room for the 200 but not for the additions: closed, never cut.
  size_t plain = 0;
  ASSERT_EQ(build_response(f.bytes(), 200, "OK", {out, sizeof(out)}, &plain), ResponseError::kOk);
  a = demo_answer(f, out, plain, &counters);
  EXPECT_EQ(a.size, 0u);
  EXPECT_NE(a.close, nullptr);
}

}  // namespace
}  // namespace sipring
