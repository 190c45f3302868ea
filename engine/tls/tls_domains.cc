// TLS domains: the modparam domains and the choice of a domain for each connection
// (engine/tls/tls_domains.h). The tls.cfg parser is in tls_cfg_parser.cc.
#include "engine/tls/tls_domains.h"

#include <arpa/inet.h>

#include <climits>
#include <cstring>

#include "engine/base/ascii.h"

namespace sipring {

namespace {

// An address reduced to what selection compares: IPv4-mapped IPv6 counts as IPv4 and the
// IPv6 scope is ignored (a tls.cfg address cannot name one).
struct Endpoint {
  bool v6 = false;
  uint8_t ip[16] = {};
  uint16_t port = 0;
};

bool endpoint_of(const SockAddr& a, Endpoint* out_endpoint) noexcept {
  if (a.family() == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(a.sa());
    std::memcpy(out_endpoint->ip, &in->sin_addr, 4);
    out_endpoint->port = ntohs(in->sin_port);
    return true;
  }
  if (a.family() == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a.sa());
    out_endpoint->port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      std::memcpy(out_endpoint->ip, in6->sin6_addr.s6_addr + 12, 4);
    } else {
      out_endpoint->v6 = true;
      std::memcpy(out_endpoint->ip, in6->sin6_addr.s6_addr, 16);
    }
    return true;
  }
  return false;
}

bool same_ip(const Endpoint& a, const Endpoint& b) noexcept {
  return a.v6 == b.v6 && std::memcmp(a.ip, b.ip, a.v6 ? 16 : 4) == 0;
}

// Whether a domain's address covers `peer`; *out_exact_port says the port matched literally
// rather than through the domain's port 0.
bool address_matches(const SockAddr& domain, const SockAddr& peer, bool* out_exact_port) noexcept {
  Endpoint d;
  Endpoint p;
  if (!endpoint_of(domain, &d) || !endpoint_of(peer, &p) || !same_ip(d, p)) return false;
  *out_exact_port = d.port == p.port;
  return *out_exact_port || d.port == 0;
}

// How well a profile's server_name matches `name`, ASCII case-insensitively: 0 not at all,
// SIZE_MAX exactly; otherwise twice the length of the matched suffix, plus one when the match
// is through a "*.SUFFIX" pattern (exactly one label before SUFFIX) rather than
// server_name_mode 1/2 (any number of labels). So a longer suffix always ranks higher and, for
// one suffix, the pattern (the narrower set of names) beats the subdomain mode.
size_t name_rank(const TlsProfile& p, std::string_view name) noexcept {
  const std::string_view sn = p.server_name;
  if (sn.empty() || name.empty()) return 0;
  if (is_server_name_pattern(sn)) {
    const std::string_view dot_suffix = sn.substr(1);  // ".example.com"
    if (name.size() <= dot_suffix.size()) return 0;
    const std::string_view label = name.substr(0, name.size() - dot_suffix.size());
    if (label.find('.') != std::string_view::npos) return 0;
    if (!equals_ignore_case(name.substr(label.size()), dot_suffix)) return 0;
    return 2 * (dot_suffix.size() - 1) + 1;
  }
  if (p.server_name_mode != 2 && equals_ignore_case(sn, name)) return SIZE_MAX;
  if ((p.server_name_mode == 1 || p.server_name_mode == 2) && name.size() > sn.size() + 1 &&
      name[name.size() - sn.size() - 1] == '.' &&
      equals_ignore_case(name.substr(name.size() - sn.size()), sn)) {
    return 2 * sn.size();
  }
  return 0;
}

// The best candidate seen so far: lowest tier, then highest name rank, then a literal port
// over port 0, then the earliest section.
struct Pick {
  const TlsDomain* domain = nullptr;
  int tier = INT_MAX;
  size_t rank = 0;
  bool exact_port = false;

  void offer(const TlsDomain& d, int t, size_t r, bool exact) noexcept {
    if (domain != nullptr) {
      if (t > tier) return;
      if (t == tier && (r < rank || (r == rank && (!exact || exact_port)))) return;
    }
    domain = &d;
    tier = t;
    rank = r;
    exact_port = exact;
  }
};

}  // namespace

bool is_server_name_pattern(std::string_view server_name) noexcept {
  return server_name.size() > 2 && server_name[0] == '*' && server_name[1] == '.';
}

bool same_selector(const TlsDomain& a, const TlsDomain& b) {
  if (a.role != b.role || a.kind != b.kind) return false;
  if (a.kind == TlsDomain::Kind::kDefault) return true;
  if (a.kind == TlsDomain::Kind::kAddress) {
    Endpoint ea;
    Endpoint eb;
    endpoint_of(a.addr, &ea);
    endpoint_of(b.addr, &eb);
    if (!same_ip(ea, eb) || ea.port != eb.port) return false;
  }
  if (!equals_ignore_case(a.profile.server_name, b.profile.server_name)) return false;
  return a.role == TlsDomain::Role::kServer ||
         equals_ignore_case(a.profile.server_id, b.profile.server_id);
}

std::string TlsDomain::name() const {
  std::string s = role == Role::kServer ? "server:" : "client:";
  switch (kind) {
    case Kind::kDefault:
      s += "default";
      break;
    case Kind::kAny:
      s += "any";
      break;
    case Kind::kAddress:
      s += addr.to_string();
      break;
  }
  if (!profile.server_name.empty()) s += "/" + profile.server_name;
  if (role == Role::kClient && !profile.server_id.empty()) s += ";server_id=" + profile.server_id;
  return s;
}

const TlsDomain* TlsDomainSet::server_for(const SockAddr& local,
                                          std::string_view sni) const noexcept {
  Pick pick;
  for (const TlsDomain& d : domains) {
    if (d.role != TlsDomain::Role::kServer) continue;
    const TlsProfile& p = d.profile;
    switch (d.kind) {
      case TlsDomain::Kind::kDefault:
        pick.offer(d, 5, 0, false);
        break;
      case TlsDomain::Kind::kAny:
        if (size_t r = name_rank(p, sni)) pick.offer(d, 2, r, false);
        break;
      case TlsDomain::Kind::kAddress: {
        bool exact = false;
        if (!address_matches(d.addr, local, &exact)) break;
        if (p.server_name.empty()) {
          pick.offer(d, 3, 0, exact);
        } else if (sni.empty()) {
          pick.offer(d, 4, 0, exact);
        } else if (size_t r = name_rank(p, sni)) {
          pick.offer(d, 1, r, exact);
        }
        break;
      }
    }
  }
  return pick.domain;
}

const TlsDomain* TlsDomainSet::client_for(const SockAddr& remote, std::string_view server_name,
                                          std::string_view server_id) const noexcept {
  Pick pick;
  for (const TlsDomain& d : domains) {
    if (d.role != TlsDomain::Role::kClient) continue;
    const TlsProfile& p = d.profile;
    if (!server_id.empty() && equals_ignore_case(p.server_id, server_id)) {
      pick.offer(d, 1, 0, false);
      continue;
    }
    switch (d.kind) {
      case TlsDomain::Kind::kDefault:
        pick.offer(d, 6, 0, false);
        break;
      case TlsDomain::Kind::kAny:
        if (size_t r = name_rank(p, server_name)) pick.offer(d, 3, r, false);
        break;
      case TlsDomain::Kind::kAddress: {
        bool exact = false;
        if (!address_matches(d.addr, remote, &exact)) break;
        if (p.server_name.empty()) {
          pick.offer(d, 4, 0, exact);
        } else if (server_name.empty()) {
          pick.offer(d, 5, 0, exact);
        } else if (size_t r = name_rank(p, server_name)) {
          pick.offer(d, 2, r, exact);
        }
        break;
      }
    }
  }
  return pick.domain;
}

TlsDomainSet domains_from_params(const TlsParams& params) {
  TlsDomainSet set;
  set.source = "modparams";
  for (TlsDomain::Role role : {TlsDomain::Role::kServer, TlsDomain::Role::kClient}) {
    TlsDomain d;
    d.role = role;
    d.kind = TlsDomain::Kind::kDefault;
    d.profile = params.profile;
    // verify_hostname names what a server must be and ocsp_require demands a staple from it:
    // both mean nothing for the server domain; a staple file means nothing for the client's.
    if (role == TlsDomain::Role::kServer) {
      d.profile.verify_hostname.clear();
      d.profile.ocsp_require = false;
    } else {
      d.profile.ocsp_staple_file.clear();
      d.profile.ocsp_staple_file2.clear();
    }
    d.where = "modparam";
    set.domains.push_back(std::move(d));
  }
  return set;
}

}  // namespace sipring
