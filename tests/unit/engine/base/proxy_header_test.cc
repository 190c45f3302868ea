// Tests of the PROXY protocol header parser (doc/proxy-protocol.txt): both versions, every
// command and family, every TLV sipring reads, every truncation (need more, never a wrong
// answer) and every flipped byte (refused), the length limit, and no allocation.
#include "engine/base/proxy_header.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

#include "engine/base/crc32c.h"
#include "tests/testing/count_allocations.h"

namespace sipring {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint32_t kMax = 4096;

Bytes bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

ProxyParse parse(const Bytes& b, ProxyHeader* h, uint32_t max = kMax) {
  return parse_proxy_header({b.data(), b.size()}, max, h);
}

// A v2 header built by hand: signature, ver/cmd, family, length, then the body.
struct V2 {
  uint8_t ver_cmd = 0x21;
  uint8_t fam = 0x11;
  Bytes body;

  V2& addr4(const char* src, const char* dst, uint16_t sp, uint16_t dp) {
    uint8_t a[4];
    inet_pton(AF_INET, src, a);
    body.insert(body.end(), a, a + 4);
    inet_pton(AF_INET, dst, a);
    body.insert(body.end(), a, a + 4);
    for (uint16_t p : {sp, dp}) {
      body.push_back(static_cast<uint8_t>(p >> 8));
      body.push_back(static_cast<uint8_t>(p));
    }
    return *this;
  }
  V2& addr6(const char* src, const char* dst, uint16_t sp, uint16_t dp) {
    uint8_t a[16];
    inet_pton(AF_INET6, src, a);
    body.insert(body.end(), a, a + 16);
    inet_pton(AF_INET6, dst, a);
    body.insert(body.end(), a, a + 16);
    for (uint16_t p : {sp, dp}) {
      body.push_back(static_cast<uint8_t>(p >> 8));
      body.push_back(static_cast<uint8_t>(p));
    }
    return *this;
  }
  V2& tlv(uint8_t type, const Bytes& value) {
    body.push_back(type);
    body.push_back(static_cast<uint8_t>(value.size() >> 8));
    body.push_back(static_cast<uint8_t>(value.size()));
    body.insert(body.end(), value.begin(), value.end());
    return *this;
  }
  V2& tlv(uint8_t type, std::string_view value) { return tlv(type, bytes(value)); }
  // The CRC32C TLV with a zero value; build() fills it in when `crc` is set.
  V2& crc() {
    crc_at = body.size() + 3;
    return tlv(0x03, Bytes(4, 0));
  }
  Bytes build() const {
    Bytes out = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    out.push_back(ver_cmd);
    out.push_back(fam);
    out.push_back(static_cast<uint8_t>(body.size() >> 8));
    out.push_back(static_cast<uint8_t>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
    if (crc_at != SIZE_MAX) {
      const uint32_t c = crc32c_update(0, out.data(), out.size());
      const size_t at = 16 + crc_at;
      out[at] = static_cast<uint8_t>(c >> 24);
      out[at + 1] = static_cast<uint8_t>(c >> 16);
      out[at + 2] = static_cast<uint8_t>(c >> 8);
      out[at + 3] = static_cast<uint8_t>(c);
    }
    return out;
  }
  size_t crc_at = SIZE_MAX;
};

Bytes ssl_tlv_value(uint8_t client, uint32_t verify,
                    const std::vector<std::pair<uint8_t, std::string>>& subs) {
  Bytes v = {client, static_cast<uint8_t>(verify >> 24), static_cast<uint8_t>(verify >> 16),
             static_cast<uint8_t>(verify >> 8), static_cast<uint8_t>(verify)};
  for (const auto& [type, text] : subs) {
    v.push_back(type);
    v.push_back(static_cast<uint8_t>(text.size() >> 8));
    v.push_back(static_cast<uint8_t>(text.size()));
    v.insert(v.end(), text.begin(), text.end());
  }
  return v;
}

// Every strict prefix of a header needs more (and never asks for more than the header), and
// the header followed by other bytes is the same header.
void expect_truncations_need_more(const Bytes& full) {
  ProxyHeader h;
  for (size_t n = 0; n < full.size(); n++) {
    Bytes cut(full.begin(), full.begin() + static_cast<ptrdiff_t>(n));
    ProxyParse r = parse(cut, &h);
    ASSERT_EQ(r.kind, ProxyParse::kNeedMore) << "prefix of " << n << " bytes: " << r.reason;
    EXPECT_GT(r.length, n);
    EXPECT_LE(r.length, full.size());
  }
  Bytes more = full;
  more.insert(more.end(), {0x16, 0x03, 0x01, 0x00, 0x05});  // a TLS record follows
  ProxyParse r = parse(more, &h);
  ASSERT_EQ(r.kind, ProxyParse::kDone);
  EXPECT_EQ(r.length, full.size());
}

// ---- Version 1 ----

TEST(ProxyHeaderV1, Tcp4) {
  const Bytes b = bytes("PROXY TCP4 192.0.2.10 198.51.100.1 56324 5061\r\n");
  ProxyHeader h;
  ProxyParse r = parse(b, &h);
  ASSERT_EQ(r.kind, ProxyParse::kDone) << r.reason;
  EXPECT_EQ(r.length, b.size());
  EXPECT_EQ(h.version, 1);
  EXPECT_EQ(h.command, ProxyCommand::kProxy);
  EXPECT_TRUE(h.has_addresses);
  EXPECT_EQ(h.src.to_string(), "192.0.2.10:56324");
  EXPECT_EQ(h.dst.to_string(), "198.51.100.1:5061");
  expect_truncations_need_more(b);
}

TEST(ProxyHeaderV1, Tcp6) {
  const Bytes b = bytes("PROXY TCP6 2001:db8::1 2001:db8:0:0:0:0:0:2 0 65535\r\n");
  ProxyHeader h;
  ASSERT_EQ(parse(b, &h).kind, ProxyParse::kDone);
  EXPECT_EQ(h.src.to_string(), "[2001:db8::1]:0");
  EXPECT_EQ(h.dst.to_string(), "[2001:db8::2]:65535");
  expect_truncations_need_more(b);
}

TEST(ProxyHeaderV1, LongestLines) {
  // The spec's worst cases: 104 bytes (TCP6) and 107 (UNKNOWN with every field).
  const std::string v6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
  Bytes b = bytes("PROXY TCP6 " + v6 + " " + v6 + " 65535 65535\r\n");
  EXPECT_EQ(b.size(), 104u);
  ProxyHeader h;
  EXPECT_EQ(parse(b, &h).kind, ProxyParse::kDone);
  b = bytes("PROXY UNKNOWN " + v6 + " " + v6 + " 65535 65535\r\n");
  EXPECT_EQ(b.size(), 107u);
  ProxyParse r = parse(b, &h);
  ASSERT_EQ(r.kind, ProxyParse::kDone);
  EXPECT_EQ(r.length, 107u);
  // One byte more and the CRLF is past byte 107.
  b = bytes("PROXY UNKNOWN " + v6 + " " + v6 + " 65535 655355\r\n");
  r = parse(b, &h);
  EXPECT_EQ(r.kind, ProxyParse::kError);
  EXPECT_EQ(r.error, ProxyError::kMalformed);
  // Without a CRLF it is refused once 107 bytes are in, not later.
  Bytes endless(107, 'x');
  memcpy(endless.data(), "PROXY UNKNOWN ", 14);
  EXPECT_EQ(parse(endless, &h).kind, ProxyParse::kError);
  endless.pop_back();
  EXPECT_EQ(parse(endless, &h).kind, ProxyParse::kNeedMore);
}

TEST(ProxyHeaderV1, UnknownKeepsSocketAddresses) {
  for (const char* line : {"PROXY UNKNOWN\r\n", "PROXY UNKNOWN anything at all 1 2\r\n"}) {
    ProxyHeader h;
    h.has_addresses = true;
    ProxyParse r = parse(bytes(line), &h);
    ASSERT_EQ(r.kind, ProxyParse::kDone) << line;
    EXPECT_EQ(r.length, strlen(line));
    EXPECT_EQ(h.command, ProxyCommand::kProxy);
    EXPECT_FALSE(h.has_addresses);
  }
}

TEST(ProxyHeaderV1, RefusesWhatTheGrammarDoesNot) {
  const char* bad[] = {
      "PROXY TCP4 192.0.2.10 198.51.100.1 56324 5061\n",     // bare LF
      "PROXY TCP4 192.0.2.10 198.51.100.1 56324 5061\rX",    // CR without LF
      "PROXY TCP4 192.0.2.10 198.51.100.1 56324 05061\r\n",  // heading zero (port)
      "PROXY TCP4 192.0.2.010 198.51.100.1 56324 5061\r\n",  // heading zero (address)
      "PROXY TCP4 192.0.2.10 198.51.100.1 56324 65536\r\n",  // port out of range
      "PROXY TCP4 192.0.2.256 198.51.100.1 1 2\r\n",         // byte out of range
      "PROXY TCP4 192.0.2 198.51.100.1 1 2\r\n",             // three bytes
      "PROXY TCP4 192.0.2.1.5 198.51.100.1 1 2\r\n",         // five bytes
      "PROXY TCP4 192.0.2..1 198.51.100.1 1 2\r\n",          // empty byte
      "PROXY TCP4  192.0.2.10 198.51.100.1 1 2\r\n",         // two spaces
      "PROXY TCP4 192.0.2.10 198.51.100.1 1 2 \r\n",         // trailing space
      "PROXY TCP4 192.0.2.10 198.51.100.1 1\r\n",            // a port missing
      "PROXY TCP4 192.0.2.10 198.51.100.1 1 2 3\r\n",        // one field too many
      "PROXY tcp4 192.0.2.10 198.51.100.1 1 2\r\n",          // lower case
      "PROXY TCP5 192.0.2.10 198.51.100.1 1 2\r\n",          // no such protocol
      "PROXY TCP4 2001:db8::1 2001:db8::2 1 2\r\n",          // family mismatch
      "PROXY TCP6 192.0.2.10 198.51.100.1 1 2\r\n",          // family mismatch
      "PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n",             // dotted tail in TCP6
      "PROXY TCP6 2001:db8:::1 ::1 1 2\r\n",                 // not an IPv6 address
      "PROXY TCP4 192.0.2.10 198.51.100.1 +1 2\r\n",         // sign
      "PROXY TCP4 192.0.2.10 198.51.100.1 1 2\t\r\n",        // control character
      "PROXY \r\n",                                          // nothing
      "PROXY UNKNOWN\x01\r\n",                               // control character
  };
  for (const char* line : bad) {
    ProxyHeader h;
    ProxyParse r = parse(bytes(line), &h);
    EXPECT_EQ(r.kind, ProxyParse::kError) << line;
    EXPECT_EQ(r.error, ProxyError::kMalformed) << line;
    EXPECT_STRNE(r.reason, "") << line;
  }
}

TEST(ProxyHeaderV1, NoHeaderIsRefusedOnTheFirstByte) {
  ProxyHeader h;
  for (const Bytes& b : {Bytes{0x16}, Bytes{0x16, 0x03, 0x01}, bytes("OPTIONS sip:x SIP/2.0\r\n"),
                         bytes("PROX "), bytes("proxy "), Bytes{'P', 'R', 'O', 'X', 'Y', '\r'}}) {
    ProxyParse r = parse(b, &h);
    EXPECT_EQ(r.kind, ProxyParse::kError);
    EXPECT_EQ(r.error, ProxyError::kNotProxy);
  }
  EXPECT_EQ(parse({}, &h).kind, ProxyParse::kNeedMore);
}

TEST(ProxyHeaderV1, EveryFlippedByteIsRefusedOrSaysSomethingElse) {
  const Bytes b = bytes("PROXY TCP4 192.0.2.10 198.51.100.1 56324 5061\r\n");
  ProxyHeader orig;
  ASSERT_EQ(parse(b, &orig).kind, ProxyParse::kDone);
  for (size_t i = 0; i < b.size(); i++) {
    for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x80}}) {
      Bytes f = b;
      f[i] ^= mask;
      ProxyHeader h;
      ProxyParse r = parse(f, &h);
      if (mask != 0x01) {
        EXPECT_EQ(r.kind, ProxyParse::kError) << i;
        continue;
      }
      // A digit may become another digit: then the addresses differ; anything else is refused.
      if (r.kind == ProxyParse::kDone) {
        EXPECT_TRUE(!(h.src == orig.src) || !(h.dst == orig.dst)) << i;
      } else {
        EXPECT_EQ(r.kind, ProxyParse::kError) << i;
      }
    }
  }
}

// ---- Version 2 ----

TEST(ProxyHeaderV2, ProxyTcp4) {
  const Bytes b = V2{}.addr4("192.0.2.10", "198.51.100.1", 56324, 5061).build();
  EXPECT_EQ(b.size(), 28u);
  ProxyHeader h;
  ProxyParse r = parse(b, &h);
  ASSERT_EQ(r.kind, ProxyParse::kDone) << r.reason;
  EXPECT_EQ(r.length, 28u);
  EXPECT_EQ(h.version, 2);
  EXPECT_EQ(h.command, ProxyCommand::kProxy);
  EXPECT_TRUE(h.has_addresses);
  EXPECT_EQ(h.src.to_string(), "192.0.2.10:56324");
  EXPECT_EQ(h.dst.to_string(), "198.51.100.1:5061");
  EXPECT_FALSE(h.crc32c);
  EXPECT_FALSE(h.ssl);
  EXPECT_EQ(h.authority.data(), nullptr);
  expect_truncations_need_more(b);
}

TEST(ProxyHeaderV2, ProxyTcp6) {
  V2 v;
  v.fam = 0x21;
  const Bytes b = v.addr6("2001:db8::10", "2001:db8::1", 1, 5061).build();
  ProxyHeader h;
  ASSERT_EQ(parse(b, &h).kind, ProxyParse::kDone);
  EXPECT_EQ(h.src.to_string(), "[2001:db8::10]:1");
  EXPECT_EQ(h.dst.to_string(), "[2001:db8::1]:5061");
  expect_truncations_need_more(b);
}

TEST(ProxyHeaderV2, LocalIgnoresFamilyAndAddresses) {
  ProxyHeader h;
  // HAProxy's health check: LOCAL, AF_UNSPEC, no address (TLVs may follow).
  V2 local;
  local.ver_cmd = 0x20;
  local.fam = 0x00;
  Bytes b = local.crc().build();
  ProxyParse r = parse(b, &h);
  ASSERT_EQ(r.kind, ProxyParse::kDone) << r.reason;
  EXPECT_EQ(h.command, ProxyCommand::kLocal);
  EXPECT_FALSE(h.has_addresses);
  EXPECT_TRUE(h.crc32c);
  // LOCAL with addresses: skipped by their length, not used.
  V2 with;
  with.ver_cmd = 0x20;
  b = with.addr4("192.0.2.10", "198.51.100.1", 1, 2).tlv(0x05, "id").build();
  ASSERT_EQ(parse(b, &h).kind, ProxyParse::kDone);
  EXPECT_FALSE(h.has_addresses);
  EXPECT_EQ(h.unique_id, "id");
  // LOCAL with an undefined family: the family is ignored, and so is the rest.
  V2 odd;
  odd.ver_cmd = 0x20;
  odd.fam = 0x77;
  odd.body = {1, 2, 3, 4, 5};
  b = odd.build();
  r = parse(b, &h);
  ASSERT_EQ(r.kind, ProxyParse::kDone);
  EXPECT_EQ(r.length, 21u);
  EXPECT_EQ(h.command, ProxyCommand::kLocal);
}

TEST(ProxyHeaderV2, ProxyUnspecKeepsSocketAddresses) {
  V2 v;
  v.fam = 0x00;
  ProxyHeader h;
  ASSERT_EQ(parse(v.build(), &h).kind, ProxyParse::kDone);
  EXPECT_EQ(h.command, ProxyCommand::kProxy);
  EXPECT_FALSE(h.has_addresses);
}

TEST(ProxyHeaderV2, RefusesUdpUnixAndUndefined) {
  struct Case {
    uint8_t ver_cmd, fam;
    size_t body;
    ProxyError error;
  } cases[] = {
      {0x21, 0x12, 12, ProxyError::kUnsupported},   // UDP over IPv4
      {0x21, 0x22, 36, ProxyError::kUnsupported},   // UDP over IPv6
      {0x21, 0x31, 216, ProxyError::kUnsupported},  // UNIX stream
      {0x21, 0x32, 216, ProxyError::kUnsupported},  // UNIX datagram
      {0x21, 0x13, 12, ProxyError::kMalformed},     // undefined protocol
      {0x21, 0x41, 12, ProxyError::kMalformed},     // undefined family
      {0x22, 0x11, 12, ProxyError::kMalformed},     // undefined command
      {0x2f, 0x11, 12, ProxyError::kMalformed},
      {0x11, 0x11, 12, ProxyError::kUnsupported},  // version 1 in a v2 header
      {0x31, 0x11, 12, ProxyError::kUnsupported},  // version 3
      {0x21, 0x11, 11, ProxyError::kMalformed},    // address block cut short
      {0x21, 0x21, 35, ProxyError::kMalformed},
  };
  for (const Case& c : cases) {
    V2 v;
    v.ver_cmd = c.ver_cmd;
    v.fam = c.fam;
    v.body.assign(c.body, 0x01);
    ProxyHeader h;
    ProxyParse r = parse(v.build(), &h);
    EXPECT_EQ(r.kind, ProxyParse::kError) << int(c.ver_cmd) << " " << int(c.fam);
    EXPECT_EQ(r.error, c.error) << int(c.ver_cmd) << " " << int(c.fam) << ": " << r.reason;
  }
}

TEST(ProxyHeaderV2, EveryTlv) {
  V2 v;
  v.addr4("192.0.2.10", "198.51.100.1", 56324, 5061)
      .crc()
      .tlv(0x01, "sip")
      .tlv(0x02, "sip.example.com")
      .tlv(0x04, Bytes(7, 0xee))  // NOOP
      .tlv(0x05, Bytes{0x00, 0xff, 0x10})
      .tlv(0x20, ssl_tlv_value(0x07, 0,
                               {{0x21, "TLSv1.3"},
                                {0x22, "alice"},
                                {0x23, "TLS_AES_128_GCM_SHA256"},
                                {0x24, "ecdsa-with-SHA256"},
                                {0x25, "EC256"},
                                {0x26, "X25519"},      // group: skipped
                                {0x28, "\x30\x82"}}))  // client certificate: skipped
      .tlv(0x30, "blue")
      .tlv(0xe0, Bytes(40, 0x00));  // custom: skipped
  const Bytes b = v.build();
  ProxyHeader h;
  ProxyParse r = parse(b, &h);
  ASSERT_EQ(r.kind, ProxyParse::kDone) << r.reason;
  EXPECT_EQ(r.length, b.size());
  EXPECT_TRUE(h.crc32c);
  EXPECT_EQ(h.alpn, "sip");
  EXPECT_EQ(h.authority, "sip.example.com");
  EXPECT_EQ(h.unique_id, std::string_view("\x00\xff\x10", 3));
  EXPECT_EQ(h.netns, "blue");
  EXPECT_TRUE(h.ssl);
  EXPECT_EQ(h.ssl_client, 0x07);
  EXPECT_EQ(h.ssl_verify, 0u);
  EXPECT_EQ(h.ssl_version, "TLSv1.3");
  EXPECT_EQ(h.ssl_cn, "alice");
  EXPECT_EQ(h.ssl_cipher, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(h.ssl_sig_alg, "ecdsa-with-SHA256");
  EXPECT_EQ(h.ssl_key_alg, "EC256");
  expect_truncations_need_more(b);
}

// Every single flipped byte of a header carrying a CRC32C is refused (a flip in the length
// field that makes it longer waits for bytes that never belong to it, which the reactor's
// timeout ends; every other flip breaks the grammar or the checksum), except one that turns
// the CRC32C TLV into a TLV of another type: that is a valid header without a checksum.
TEST(ProxyHeaderV2, EveryFlippedByteIsRefused) {
  V2 v;
  const Bytes b = v.addr4("192.0.2.10", "198.51.100.1", 56324, 5061)
                      .crc()
                      .tlv(0x02, "sip.example.com")
                      .tlv(0x05, "unique")
                      .build();
  for (size_t i = 0; i < b.size(); i++) {
    for (uint8_t mask : {uint8_t{0xff}, uint8_t{0x01}, uint8_t{0x80}, uint8_t{0x10}}) {
      Bytes f = b;
      f[i] ^= mask;
      ProxyHeader h;
      ProxyParse r = parse(f, &h);
      if (i == 16 + 12) {
        // The CRC32C TLV's type byte: another type is skipped, and a header without a CRC32C
        // is valid. What cannot happen is a checksum taken as checked.
        if (r.kind == ProxyParse::kDone) EXPECT_FALSE(h.crc32c);
        continue;
      }
      EXPECT_NE(r.kind, ProxyParse::kDone) << "byte " << i << " ^ " << int(mask);
      if (r.kind == ProxyParse::kNeedMore) {
        EXPECT_TRUE(i == 14 || i == 15) << "byte " << i << " ^ " << int(mask);
      }
    }
  }
}

TEST(ProxyHeaderV2, BadCrc) {
  V2 v;
  Bytes b = v.addr4("192.0.2.10", "198.51.100.1", 1, 2).crc().build();
  b[16 + 12 + 3] ^= 0x01;  // the checksum itself
  ProxyHeader h;
  ProxyParse r = parse(b, &h);
  ASSERT_EQ(r.kind, ProxyParse::kError);
  EXPECT_EQ(r.error, ProxyError::kBadCrc);
}

TEST(ProxyHeaderV2, RefusesBrokenTlvs) {
  const Bytes too_long_id(129, 'u');
  std::vector<V2> cases;
  auto base = [] {
    V2 v;
    v.addr4("192.0.2.10", "198.51.100.1", 1, 2);
    return v;
  };
  cases.push_back(base().tlv(0x05, too_long_id));         // UNIQUE_ID over 128
  cases.push_back(base().tlv(0x03, Bytes{1, 2, 3}));      // CRC32C not 4 bytes
  cases.push_back(base().tlv(0x02, "a").tlv(0x02, "b"));  // AUTHORITY twice
  cases.push_back(base().tlv(0x05, "a").tlv(0x05, "b"));  // UNIQUE_ID twice
  cases.push_back(base().crc().crc());                    // CRC32C twice
  cases.push_back(base().tlv(0x02, "bad\nname"));         // control character
  cases.push_back(base().tlv(0x20, Bytes{1, 0, 0, 0}));   // SSL shorter than its head
  cases.push_back(base().tlv(0x20, ssl_tlv_value(1, 0, {})).tlv(0x20, ssl_tlv_value(1, 0, {})));
  cases.push_back(base().tlv(0x20, ssl_tlv_value(1, 0, {{0x22, "a"}, {0x22, "b"}})));
  V2 overrun = base().tlv(0x02, "abc");
  overrun.body[12 + 2] = 4;  // AUTHORITY claims 4 bytes, 3 follow
  cases.push_back(overrun);
  V2 tail = base();
  tail.body.push_back(0x04);  // one stray byte after the addresses
  cases.push_back(tail);
  tail.body.push_back(0x00);  // two
  cases.push_back(tail);
  V2 sub = base().tlv(0x20, ssl_tlv_value(1, 0, {{0x21, "TLSv1.3"}}));
  sub.body.back() = 'x';
  sub.body[12 + 3 + 5 + 2] = 9;  // the sub-TLV overruns its SSL TLV
  cases.push_back(sub);
  for (size_t i = 0; i < cases.size(); i++) {
    ProxyHeader h;
    ProxyParse r = parse(cases[i].build(), &h);
    EXPECT_EQ(r.kind, ProxyParse::kError) << "case " << i;
    EXPECT_EQ(r.error, ProxyError::kMalformed) << "case " << i << ": " << r.reason;
  }
  // 128 bytes is the limit, not over it.
  ProxyHeader h;
  EXPECT_EQ(parse(base().tlv(0x05, Bytes(128, 'u')).build(), &h).kind, ProxyParse::kDone);
  EXPECT_EQ(h.unique_id.size(), 128u);
}

TEST(ProxyHeaderV2, LengthLimit) {
  V2 v;
  v.addr4("192.0.2.10", "198.51.100.1", 1, 2).tlv(0x04, Bytes(1000, 0));
  const Bytes b = v.build();  // 16 + 12 + 3 + 1000 = 1031 bytes
  ProxyHeader h;
  EXPECT_EQ(parse(b, &h, 1031).kind, ProxyParse::kDone);
  ProxyParse r = parse(b, &h, 1030);
  EXPECT_EQ(r.kind, ProxyParse::kError);
  EXPECT_EQ(r.error, ProxyError::kTooLong);
  // Refused as soon as the length field is in, without waiting for the rest.
  r = parse(Bytes(b.begin(), b.begin() + 16), &h, 1030);
  EXPECT_EQ(r.error, ProxyError::kTooLong);
  // The spec's largest header parses when the limit allows it.
  V2 big;
  big.addr4("192.0.2.10", "198.51.100.1", 1, 2).tlv(0x04, Bytes(65535 - 12 - 3, 0));
  const Bytes largest = big.build();
  ASSERT_EQ(largest.size(), kProxyV2MaxLength);
  r = parse(largest, &h, kProxyV2MaxLength);
  ASSERT_EQ(r.kind, ProxyParse::kDone) << r.reason;
  EXPECT_EQ(r.length, kProxyV2MaxLength);
}

TEST(ProxyHeaderV2, NoHeaderIsRefusedEarly) {
  ProxyHeader h;
  Bytes b = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0B};
  ProxyParse r = parse(b, &h);
  EXPECT_EQ(r.kind, ProxyParse::kError);
  EXPECT_EQ(r.error, ProxyError::kNotProxy);
  EXPECT_EQ(parse(Bytes{0x0D, 0x0A, 0x0D, 0x0B}, &h).error, ProxyError::kNotProxy);
  EXPECT_EQ(parse(Bytes{0x0D, 0x0A, 0x0D}, &h).kind, ProxyParse::kNeedMore);
}

// ---- Both ----

TEST(ProxyHeader, WriterRoundTrips) {
  SockAddr s4, d4, s6, d6;
  ASSERT_TRUE(SockAddr::parse("192.0.2.10:56324", &s4));
  ASSERT_TRUE(SockAddr::parse("198.51.100.1:5061", &d4));
  ASSERT_TRUE(SockAddr::parse("[2001:db8::10]:1", &s6));
  ASSERT_TRUE(SockAddr::parse("[2001:db8::1]:5061", &d6));
  uint8_t buf[128];
  for (int version : {1, 2}) {
    for (auto [src, dst] : {std::pair{s4, d4}, std::pair{s6, d6}}) {
      const size_t n = write_proxy_header(version, src, dst, buf);
      ASSERT_GT(n, 0u);
      ProxyHeader h;
      ProxyParse r = parse_proxy_header({buf, n}, kMax, &h);
      ASSERT_EQ(r.kind, ProxyParse::kDone) << version << " " << r.reason;
      EXPECT_EQ(r.length, n);
      EXPECT_EQ(h.version, version);
      EXPECT_EQ(h.src, src);
      EXPECT_EQ(h.dst, dst);
    }
  }
  EXPECT_EQ(write_proxy_header(2, s4, d6, buf), 0u);  // families differ
  EXPECT_EQ(write_proxy_header(3, s4, d4, buf), 0u);
  EXPECT_EQ(write_proxy_header(2, s4, d4, {buf, 27}), 0u);  // 28 needed
}

TEST(ProxyHeader, ParsesWithoutAllocating) {
  V2 v;
  const Bytes b2 = v.addr4("192.0.2.10", "198.51.100.1", 1, 2)
                       .crc()
                       .tlv(0x02, "sip.example.com")
                       .tlv(0x20, ssl_tlv_value(1, 0, {{0x21, "TLSv1.3"}}))
                       .build();
  const Bytes b1 = bytes("PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n");
  ProxyHeader h;
  const long before = heap_allocations();
  for (int i = 0; i < 100; i++) {
    ASSERT_EQ(parse(b2, &h).kind, ProxyParse::kDone);
    ASSERT_EQ(parse(b1, &h).kind, ProxyParse::kDone);
  }
  EXPECT_EQ(heap_allocations(), before);
}

}  // namespace
}  // namespace sipring
