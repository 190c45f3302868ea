// PROXY protocol v1/v2 parsing, exactly as doc/proxy-protocol.txt words it (section numbers
// below are the spec's).
#include "engine/base/proxy_header.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "engine/base/crc32c.h"

namespace sipring {
namespace {

constexpr uint8_t kV2Signature[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                      0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr char kV1Prefix[] = "PROXY ";  // 6 bytes
constexpr size_t kV1PrefixLength = 6;

// §2.2 TLV types and the SSL sub-types sipring reads.
enum : uint8_t {
  kTlvAlpn = 0x01,
  kTlvAuthority = 0x02,
  kTlvCrc32c = 0x03,
  kTlvNoop = 0x04,
  kTlvUniqueId = 0x05,
  kTlvSsl = 0x20,
  kSubSslVersion = 0x21,
  kSubSslCn = 0x22,
  kSubSslCipher = 0x23,
  kSubSslSigAlg = 0x24,
  kSubSslKeyAlg = 0x25,
  kTlvNetns = 0x30,
};
constexpr size_t kMaxUniqueId = 128;  // §2.2.5

ProxyParse need(size_t total) {
  ProxyParse r;
  r.kind = ProxyParse::kNeedMore;
  r.length = static_cast<uint32_t>(total);
  return r;
}

ProxyParse fail(ProxyError e, const char* why) {
  ProxyParse r;
  r.kind = ProxyParse::kError;
  r.error = e;
  r.reason = why;
  return r;
}

ProxyParse done(size_t length) {
  ProxyParse r;
  r.kind = ProxyParse::kDone;
  r.length = static_cast<uint32_t>(length);
  return r;
}

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

std::string_view view(const uint8_t* p, size_t n) {
  return {reinterpret_cast<const char*>(p), n};
}

SockAddr make_v4(const uint8_t addr[4], uint16_t port) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  memcpy(&sin.sin_addr, addr, 4);
  sin.sin_port = htons(port);
  return SockAddr::from(reinterpret_cast<const sockaddr*>(&sin), sizeof(sin));
}

SockAddr make_v6(const uint8_t addr[16], uint16_t port) {
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  memcpy(&sin6.sin6_addr, addr, 16);
  sin6.sin6_port = htons(port);
  return SockAddr::from(reinterpret_cast<const sockaddr*>(&sin6), sizeof(sin6));
}

// ---- Version 1 (§2.1) ----

// A cursor over the line (CRLF excluded) that takes one token at a time.
struct Line {
  std::string_view rest;

  // The next token, which must be followed by exactly one space (or be the last one).
  bool token(std::string_view* out, bool last) {
    const size_t sp = rest.find(' ');
    if (last) {
      if (sp != std::string_view::npos) return false;
      *out = rest;
      rest = {};
    } else {
      if (sp == std::string_view::npos) return false;
      *out = rest.substr(0, sp);
      rest.remove_prefix(sp + 1);
    }
    return !out->empty();
  }
};

// Decimal 0..max without heading zeroes ("0" itself is fine).
bool parse_decimal(std::string_view s, uint32_t max, uint32_t* out) {
  if (s.empty() || s.size() > 5 || (s.size() > 1 && s[0] == '0')) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > max) return false;
  *out = v;
  return true;
}

// Exactly four decimal bytes separated by single dots, no heading zeroes.
bool parse_v4(std::string_view s, uint8_t out[4]) {
  for (int i = 0; i < 4; i++) {
    const size_t end = i < 3 ? s.find('.') : s.size();
    if (end == std::string_view::npos) return false;
    uint32_t v;
    if (!parse_decimal(s.substr(0, end), 255, &v)) return false;
    out[i] = static_cast<uint8_t>(v);
    s.remove_prefix(i < 3 ? end + 1 : end);
  }
  return true;
}

// Hex groups and colons (one "::" at most), 128 bits; inet_pton checks the rest. Dotted IPv4
// tails ("::ffff:192.0.2.1") are refused: the spec's form is hexadecimal groups only.
bool parse_v6(std::string_view s, uint8_t out[16]) {
  if (s.size() < 2 || s.size() > 39) return false;
  for (char c : s) {
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != ':') return false;
  }
  char text[40];
  memcpy(text, s.data(), s.size());
  text[s.size()] = '\0';
  return inet_pton(AF_INET6, text, out) == 1;
}

ProxyParse parse_v1(std::span<const uint8_t> in, ProxyHeader* out) {
  // The line must end with CRLF within 107 bytes; every byte before it is printable ASCII.
  const size_t scan = std::min<size_t>(in.size(), kProxyV1MaxLength);
  size_t crlf = 0;
  for (size_t i = kV1PrefixLength; i < scan; i++) {
    const uint8_t b = in[i];
    if (b == '\r') {
      if (i + 2 > kProxyV1MaxLength) break;  // its LF would be byte 108
      if (i + 1 == in.size()) return need(i + 2);
      if (in[i + 1] != '\n') return fail(ProxyError::kMalformed, "v1 line has a CR without LF");
      crlf = i;
      break;
    }
    if (b < 0x20 || b > 0x7e) {
      return fail(ProxyError::kMalformed, "v1 line has a byte that is not printable ASCII");
    }
  }
  if (crlf == 0) {
    if (scan == kProxyV1MaxLength) {
      return fail(ProxyError::kMalformed, "v1 line has no CRLF in its first 107 bytes");
    }
    return need(in.size() + 1);
  }
  Line line{view(in.data() + kV1PrefixLength, crlf - kV1PrefixLength)};
  const size_t length = crlf + 2;
  std::string_view proto;
  if (line.rest == "UNKNOWN" || line.rest.starts_with("UNKNOWN ")) {
    // "the receiver must ignore anything presented before the CRLF": the socket's addresses.
    *out = ProxyHeader{};
    out->version = 1;
    out->command = ProxyCommand::kProxy;
    return done(length);
  }
  if (!line.token(&proto, false) || (proto != "TCP4" && proto != "TCP6")) {
    return fail(ProxyError::kMalformed, "v1 protocol is not TCP4, TCP6 or UNKNOWN");
  }
  std::string_view src, dst, sport, dport;
  if (!line.token(&src, false) || !line.token(&dst, false) || !line.token(&sport, false) ||
      !line.token(&dport, true)) {
    return fail(ProxyError::kMalformed, "v1 line is not PROXY TCPn SRC DST SPORT DPORT");
  }
  uint32_t sp, dp;
  if (!parse_decimal(sport, 65535, &sp) || !parse_decimal(dport, 65535, &dp)) {
    return fail(ProxyError::kMalformed, "v1 port is not a decimal 0..65535 without leading zeros");
  }
  ProxyHeader h;
  h.version = 1;
  h.command = ProxyCommand::kProxy;
  h.has_addresses = true;
  if (proto == "TCP4") {
    uint8_t s[4], d[4];
    if (!parse_v4(src, s) || !parse_v4(dst, d)) {
      return fail(ProxyError::kMalformed, "v1 TCP4 address is not a dotted quad");
    }
    h.src = make_v4(s, static_cast<uint16_t>(sp));
    h.dst = make_v4(d, static_cast<uint16_t>(dp));
  } else {
    uint8_t s[16], d[16];
    if (!parse_v6(src, s) || !parse_v6(dst, d)) {
      return fail(ProxyError::kMalformed, "v1 TCP6 address is not an IPv6 address");
    }
    h.src = make_v6(s, static_cast<uint16_t>(sp));
    h.dst = make_v6(d, static_cast<uint16_t>(dp));
  }
  *out = h;
  return done(length);
}

// ---- Version 2 (§2.2) ----

// Walks the TLVs in [p, p + n): calls f(type, value, length) for each; false (with *why) when a
// TLV overruns the area or f refuses one.
template <class F>
bool walk_tlvs(const uint8_t* p, size_t n, const char** why, F&& f) {
  while (n > 0) {
    if (n < 3) {
      *why = "v2 TLV area ends inside a TLV header";
      return false;
    }
    const size_t len = be16(p + 1);
    if (len > n - 3) {
      *why = "v2 TLV is longer than what is left of the header";
      return false;
    }
    if (!f(p[0], p + 3, len, p)) return false;
    p += 3 + len;
    n -= 3 + len;
  }
  return true;
}

// Text a core or a log may show: no control characters (UTF-8 above 0x7f is left alone).
bool clean_text(const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (p[i] < 0x20 || p[i] == 0x7f) return false;
  }
  return true;
}

// Sets *slot to the value once; a second occurrence of the same TLV is refused.
bool take(std::string_view* slot, const uint8_t* v, size_t n, bool text, const char** why) {
  if (slot->data() != nullptr) {
    *why = "v2 TLV repeated";
    return false;
  }
  if (text && !clean_text(v, n)) {
    *why = "v2 text TLV has control characters";
    return false;
  }
  // A zero-length value still marks the TLV as seen: point at its (empty) place.
  *slot = view(v, n);
  return true;
}

bool parse_ssl(const uint8_t* v, size_t n, ProxyHeader* h, const char** why) {
  if (h->ssl) {
    *why = "v2 TLV repeated";
    return false;
  }
  if (n < 5) {
    *why = "v2 SSL TLV shorter than its 5-byte head";
    return false;
  }
  h->ssl = true;
  h->ssl_client = v[0];
  h->ssl_verify = be32(v + 1);
  return walk_tlvs(v + 5, n - 5, why,
                   [&](uint8_t type, const uint8_t* sv, size_t sn, const uint8_t*) {
                     switch (type) {
                       case kSubSslVersion:
                         return take(&h->ssl_version, sv, sn, true, why);
                       case kSubSslCn:
                         return take(&h->ssl_cn, sv, sn, true, why);
                       case kSubSslCipher:
                         return take(&h->ssl_cipher, sv, sn, true, why);
                       case kSubSslSigAlg:
                         return take(&h->ssl_sig_alg, sv, sn, true, why);
                       case kSubSslKeyAlg:
                         return take(&h->ssl_key_alg, sv, sn, true, why);
                       default:
                         return true;  // group, signature scheme, client certificate, unknown
                     }
                   });
}

ProxyParse parse_v2(std::span<const uint8_t> in, uint32_t max_length, ProxyHeader* out) {
  const size_t have = std::min(in.size(), sizeof(kV2Signature));
  if (memcmp(in.data(), kV2Signature, have) != 0) {
    return fail(ProxyError::kNotProxy, "not a PROXY header (bad v2 signature)");
  }
  if (in.size() <= 12) return need(kProxyV2FixedLength);
  if ((in[12] >> 4) != 2)
    return fail(ProxyError::kUnsupported, "v2 header of a version other than 2");
  const uint8_t command = in[12] & 0x0f;
  if (command > 1) return fail(ProxyError::kMalformed, "v2 command is neither LOCAL nor PROXY");
  if (in.size() < kProxyV2FixedLength) return need(kProxyV2FixedLength);
  const size_t total = kProxyV2FixedLength + be16(in.data() + 14);
  if (total > max_length) {
    return fail(ProxyError::kTooLong, "v2 header longer than sipring.proxy_header_max");
  }
  if (in.size() < total) return need(total);

  ProxyHeader h;
  h.version = 2;
  h.command = command == 1 ? ProxyCommand::kProxy : ProxyCommand::kLocal;
  const uint8_t fam = in[13];
  const uint8_t* body = in.data() + kProxyV2FixedLength;
  const size_t body_len = total - kProxyV2FixedLength;
  size_t addr_len;  // the address block's size for this family and protocol
  switch (fam) {
    case 0x00:  // UNSPEC
      addr_len = 0;
      break;
    case 0x11:  // TCP over IPv4
    case 0x12:  // UDP over IPv4
      addr_len = 12;
      break;
    case 0x21:  // TCP over IPv6
    case 0x22:  // UDP over IPv6
      addr_len = 36;
      break;
    case 0x31:  // UNIX stream
    case 0x32:  // UNIX datagram
      addr_len = 216;
      break;
    default:
      if (h.command == ProxyCommand::kLocal) {
        // LOCAL: "discard the protocol block including the family which is ignored"; an
        // unknown family leaves no way to find TLVs, so the rest is skipped as a whole.
        *out = h;
        return done(total);
      }
      return fail(ProxyError::kMalformed, "v2 address family or protocol is not defined");
  }
  if (addr_len > body_len) {
    return fail(ProxyError::kMalformed, "v2 length is shorter than its address block");
  }
  if (h.command == ProxyCommand::kProxy) {
    if (fam == 0x11) {
      h.has_addresses = true;
      h.src = make_v4(body, be16(body + 8));
      h.dst = make_v4(body + 4, be16(body + 10));
    } else if (fam == 0x21) {
      h.has_addresses = true;
      h.src = make_v6(body, be16(body + 32));
      h.dst = make_v6(body + 16, be16(body + 34));
    } else if (fam != 0x00) {
      // A TLS listener relays TCP only: a datagram or AF_UNIX origin has no client address.
      return fail(ProxyError::kUnsupported, "v2 PROXY of UDP or AF_UNIX (only TCP is served)");
    }
  }
  const char* why = "";
  size_t crc_at = 0;  // offset of the CRC32C TLV's value in the header, if any
  const bool ok = walk_tlvs(body + addr_len, body_len - addr_len, &why,
                            [&](uint8_t type, const uint8_t* v, size_t n, const uint8_t*) {
                              switch (type) {
                                case kTlvAlpn:
                                  return take(&h.alpn, v, n, false, &why);
                                case kTlvAuthority:
                                  return take(&h.authority, v, n, true, &why);
                                case kTlvUniqueId:
                                  if (n > kMaxUniqueId) {
                                    why = "v2 UNIQUE_ID longer than 128 bytes";
                                    return false;
                                  }
                                  return take(&h.unique_id, v, n, false, &why);
                                case kTlvNetns:
                                  return take(&h.netns, v, n, true, &why);
                                case kTlvSsl:
                                  return parse_ssl(v, n, &h, &why);
                                case kTlvCrc32c:
                                  if (n != 4) {
                                    why = "v2 CRC32C TLV is not 4 bytes";
                                    return false;
                                  }
                                  if (crc_at != 0) {
                                    why = "v2 TLV repeated";
                                    return false;
                                  }
                                  crc_at = static_cast<size_t>(v - in.data());
                                  return true;
                                case kTlvNoop:
                                default:
                                  return true;  // §2.2: skipped
                              }
                            });
  if (!ok) return fail(ProxyError::kMalformed, why);
  if (crc_at != 0) {
    // §2.2.3: the CRC of the whole header with the checksum field as zeroes.
    static constexpr uint8_t kZero[4] = {};
    uint32_t crc = crc32c_update(0, in.data(), crc_at);
    crc = crc32c_update(crc, kZero, 4);
    crc = crc32c_update(crc, in.data() + crc_at + 4, total - crc_at - 4);
    if (crc != be32(in.data() + crc_at)) {
      return fail(ProxyError::kBadCrc, "v2 CRC32C does not match the header");
    }
    h.crc32c = true;
  }
  *out = h;
  return done(total);
}

void v6_groups(const uint8_t a[16], char* out, size_t size) {
  snprintf(out, size, "%x:%x:%x:%x:%x:%x:%x:%x", be16(a), be16(a + 2), be16(a + 4), be16(a + 6),
           be16(a + 8), be16(a + 10), be16(a + 12), be16(a + 14));
}

}  // namespace

ProxyParse parse_proxy_header(std::span<const uint8_t> in, uint32_t max_length,
                              ProxyHeader* out) noexcept {
  if (in.empty()) return need(1);
  if (in[0] == kV2Signature[0]) return parse_v2(in, max_length, out);
  const size_t have = std::min(in.size(), kV1PrefixLength);
  if (memcmp(in.data(), kV1Prefix, have) != 0) {
    return fail(ProxyError::kNotProxy, "not a PROXY header (neither v1 \"PROXY \" nor v2)");
  }
  if (in.size() <= kV1PrefixLength) return need(kV1PrefixLength + 1);
  return parse_v1(in, out);
}

size_t write_proxy_header(int version, const SockAddr& src, const SockAddr& dst,
                          std::span<uint8_t> out) noexcept {
  const sa_family_t fam = src.family();
  if ((fam != AF_INET && fam != AF_INET6) || dst.family() != fam) return 0;
  const bool v4 = fam == AF_INET;
  const auto* s4 = reinterpret_cast<const sockaddr_in*>(src.sa());
  const auto* d4 = reinterpret_cast<const sockaddr_in*>(dst.sa());
  const auto* s6 = reinterpret_cast<const sockaddr_in6*>(src.sa());
  const auto* d6 = reinterpret_cast<const sockaddr_in6*>(dst.sa());
  if (version == 1) {
    char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
    if (v4) {
      inet_ntop(fam, &s4->sin_addr, s, sizeof(s));
      inet_ntop(fam, &d4->sin_addr, d, sizeof(d));
    } else {
      // Eight hex groups: inet_ntop would write IPv4-mapped addresses with a dotted tail,
      // which the v1 grammar does not have.
      v6_groups(s6->sin6_addr.s6_addr, s, sizeof(s));
      v6_groups(d6->sin6_addr.s6_addr, d, sizeof(d));
    }
    char line[kProxyV1MaxLength + 1];
    const int n = snprintf(line, sizeof(line), "PROXY %s %s %s %u %u\r\n", v4 ? "TCP4" : "TCP6", s,
                           d, src.port(), dst.port());
    if (n <= 0 || static_cast<size_t>(n) > kProxyV1MaxLength || static_cast<size_t>(n) > out.size())
      return 0;
    memcpy(out.data(), line, static_cast<size_t>(n));
    return static_cast<size_t>(n);
  }
  if (version != 2) return 0;
  const size_t addr_len = v4 ? 12 : 36;
  const size_t total = kProxyV2FixedLength + addr_len;
  if (out.size() < total) return 0;
  uint8_t* p = out.data();
  memcpy(p, kV2Signature, sizeof(kV2Signature));
  p[12] = 0x21;  // version 2, PROXY
  p[13] = v4 ? 0x11 : 0x21;
  p[14] = 0;
  p[15] = static_cast<uint8_t>(addr_len);
  p += kProxyV2FixedLength;
  const size_t alen = v4 ? 4 : 16;
  memcpy(p, v4 ? static_cast<const void*>(&s4->sin_addr) : &s6->sin6_addr, alen);
  memcpy(p + alen, v4 ? static_cast<const void*>(&d4->sin_addr) : &d6->sin6_addr, alen);
  const uint16_t sp = htons(src.port()), dp = htons(dst.port());
  memcpy(p + 2 * alen, &sp, 2);
  memcpy(p + 2 * alen + 2, &dp, 2);
  return total;
}

}  // namespace sipring
