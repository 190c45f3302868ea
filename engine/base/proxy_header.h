// The PROXY protocol header (HAProxy's doc/proxy-protocol.txt, versions 1 and 2) that an L4
// balancer puts before the client's bytes to say who the client really is.
//
// parse_proxy_header() is strict and incremental, in the manner of BoringSSL's CBS parsers: it
// is given every byte received so far (from the first byte of the connection) and answers
// "need more", "done: the header is L bytes long" or "error: why". It never allocates, never
// copies, never guesses (spec §2: anything that is not exactly a header is an error, decided as
// early as the bytes allow, so a TLS ClientHello sent without a header fails on its first byte),
// and reads at most `max_length` bytes. Views in the result point into the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "sipring/sock_addr.h"

namespace sipring {

enum class ProxyCommand : uint8_t {
  kLocal,  // the balancer's own connection (health check): keep the socket's addresses
  kProxy,  // relayed on behalf of a client: src/dst say whom (if has_addresses)
};

// What a header said. The string views point into the parsed bytes.
struct ProxyHeader {
  uint8_t version = 0;  // 1 or 2
  ProxyCommand command = ProxyCommand::kLocal;
  // src/dst are the original connection's (PROXY over TCP4/TCP6). false: LOCAL, v1 UNKNOWN or
  // v2 AF_UNSPEC: the receiver keeps the socket's own addresses, as the spec says.
  bool has_addresses = false;
  SockAddr src;  // the client
  SockAddr dst;  // the address the client connected to (on the balancer)
  // Version 2 TLVs; empty when absent. authority: the SNI the balancer saw (UTF-8); unique_id:
  // opaque bytes (at most 128); alpn: as negotiated; netns: a namespace name.
  std::string_view alpn, authority, unique_id, netns;
  bool crc32c = false;      // a PP2_TYPE_CRC32C TLV was present (and matched: else an error)
  bool ssl = false;         // a PP2_TYPE_SSL TLV was present; then:
  uint8_t ssl_client = 0;   // its <client> bits: 0x01 TLS, 0x02 cert on this conn, 0x04 in session
  uint32_t ssl_verify = 0;  // 0: the client's certificate verified (or none presented)
  std::string_view ssl_version, ssl_cn, ssl_cipher, ssl_sig_alg, ssl_key_alg;
};

// Why a header was refused, by family (one counter each in sipring/stats.h).
enum class ProxyError : uint8_t {
  kNone,
  kNotProxy,     // the bytes do not start like a header at all (no header was sent)
  kMalformed,    // starts like one, but breaks the grammar
  kUnsupported,  // well formed, but not TCP over IPv4/IPv6 (UDP, AF_UNIX, v2 version != 2)
  kTooLong,      // a v2 header longer than the limit (sipring.proxy_header_max)
  kBadCrc,       // its CRC32C TLV does not match
};

struct ProxyParse {
  enum Kind : uint8_t { kNeedMore, kDone, kError };
  Kind kind = kNeedMore;
  ProxyError error = ProxyError::kNone;  // kError
  // kDone: the header's length (what follows belongs to the connection's next layer, TLS).
  // kNeedMore: the total bytes (from the first) needed at least before the answer can change.
  uint32_t length = 0;
  const char* reason = "";  // kError: a static English phrase for the log line
};

// The longest v1 line the spec allows, CRLF included.
inline constexpr uint32_t kProxyV1MaxLength = 107;
// The fixed part of a v2 header; its total length is this plus the 16-bit length field.
inline constexpr uint32_t kProxyV2FixedLength = 16;
inline constexpr uint32_t kProxyV2MaxLength = kProxyV2FixedLength + 65535;

// Parses the header at the start of `in`. `max_length` bounds a v2 header (16 + its length
// field; a longer one is kTooLong as soon as the length field is in); a v1 line is always at
// most 107 bytes. *out is written only on kDone. Allocation-free, no exceptions.
ProxyParse parse_proxy_header(std::span<const uint8_t> in, uint32_t max_length,
                              ProxyHeader* out) noexcept;

// Writes a PROXY header for a TCP connection from `src` to `dst` (same family, IPv4 or IPv6):
// version 1 (text line) or 2 (binary, no TLVs). Returns its length, or 0 when `out` is too small
// or the addresses do not fit. For the client role of load tools and tests; the parser above
// never needs it.
size_t write_proxy_header(int version, const SockAddr& src, const SockAddr& dst,
                          std::span<uint8_t> out) noexcept;

}  // namespace sipring
