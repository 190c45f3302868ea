// IP networks in CIDR form ("192.0.2.0/24", "2001:db8::/32", "::1/128"): what
// sipring.proxy_protocol_trusted lists (the balancers' networks).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sipring/result.h"
#include "sipring/sock_addr.h"

namespace sipring {

struct NetPrefix {
  uint8_t family = 0;     // AF_INET or AF_INET6
  uint8_t bits = 0;       // prefix length: 0..32 or 0..128
  uint8_t addr[16] = {};  // network bytes (4 used for IPv4), host bits zero

  // Whether `a`'s address lies in this network. An IPv4-mapped IPv6 address (::ffff:a.b.c.d,
  // what a dual-stack socket reports for IPv4 peers) matches IPv4 networks as its IPv4 address.
  bool contains(const SockAddr& a) const noexcept;
};

// Parses a comma-separated list of "IP/BITS" (spaces around items ignored; "IP" alone is a
// host: /32 or /128). Host bits must be zero ("192.0.2.1/24" is refused: it is most likely a
// typo for a host or a network, and sipring does not guess which). The error names the item.
Result<std::vector<NetPrefix>> parse_net_prefixes(std::string_view text);

// Whether any network of `list` contains `a`. Allocation-free.
bool any_contains(const std::vector<NetPrefix>& list, const SockAddr& a) noexcept;

// "192.0.2.0/24", "2001:db8::/32".
std::string net_prefix_text(const NetPrefix& p);

}  // namespace sipring
