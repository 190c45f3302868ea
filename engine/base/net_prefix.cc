#include "engine/base/net_prefix.h"

#include <arpa/inet.h>

#include <cstring>

#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

// Whether the first `bits` bits of a and b are equal.
bool same_prefix(const uint8_t* a, const uint8_t* b, unsigned bits) {
  const unsigned whole = bits / 8;
  if (memcmp(a, b, whole) != 0) return false;
  const unsigned rest = bits % 8;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

bool NetPrefix::contains(const SockAddr& a) const noexcept {
  if (a.family() == AF_INET) {
    if (family != AF_INET) return false;
    return same_prefix(
        addr,
        reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(a.sa())->sin_addr),
        bits);
  }
  if (a.family() != AF_INET6) return false;
  const auto* b = reinterpret_cast<const sockaddr_in6*>(a.sa())->sin6_addr.s6_addr;
  if (family == AF_INET6) return same_prefix(addr, b, bits);
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return memcmp(b, kMapped, 12) == 0 && same_prefix(addr, b + 12, bits);
}

Result<std::vector<NetPrefix>> parse_net_prefixes(std::string_view text) {
  std::vector<NetPrefix> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = strip_ascii_whitespace(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (item.empty()) continue;
    const size_t slash = item.find('/');
    const std::string ip(item.substr(0, slash));
    NetPrefix p;
    if (inet_pton(AF_INET, ip.c_str(), p.addr) == 1) {
      p.family = AF_INET;
    } else if (inet_pton(AF_INET6, ip.c_str(), p.addr) == 1) {
      p.family = AF_INET6;
    } else {
      return format_error(Errc::kConfig,
                          "\"{}\" is not a network: write IP/BITS, e.g. 192.0.2.0/24 or "
                          "2001:db8::/32 (numeric addresses only)",
                          item);
    }
    const unsigned max = p.family == AF_INET ? 32 : 128;
    p.bits = static_cast<uint8_t>(max);
    if (slash != std::string_view::npos) {
      const std::string_view b = item.substr(slash + 1);
      unsigned v = 0;
      bool ok = !b.empty() && b.size() <= 3 && !(b.size() > 1 && b[0] == '0');
      for (char c : b) {
        ok = ok && ascii_isdigit(c);
        v = v * 10 + static_cast<unsigned>(c - '0');
      }
      if (!ok || v > max) {
        return format_error(Errc::kConfig, "\"{}\": the prefix length must be 0..{}", item, max);
      }
      p.bits = static_cast<uint8_t>(v);
    }
    NetPrefix host = p;  // the address with its host bits cleared must be the address itself
    for (unsigned i = p.bits; i < max; i++)
      host.addr[i / 8] &= static_cast<uint8_t>(~(0x80 >> (i % 8)));
    if (memcmp(host.addr, p.addr, sizeof(p.addr)) != 0) {
      return format_error(Errc::kConfig,
                          "\"{}\" has host bits set: write the network ({}) or a host (/{})", item,
                          net_prefix_text(host), max);
    }
    out.push_back(p);
  }
  return out;
}

bool any_contains(const std::vector<NetPrefix>& list, const SockAddr& a) noexcept {
  for (const NetPrefix& p : list) {
    if (p.contains(a)) return true;
  }
  return false;
}

std::string net_prefix_text(const NetPrefix& p) {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(p.family, p.addr, text, sizeof(text));
  return std::string(text) + "/" + std::to_string(p.bits);
}

}  // namespace sipring
