// Parsing, formatting and comparison of SockAddr (sipring/sock_addr.h).
#include "sipring/sock_addr.h"

#include <arpa/inet.h>

#include <cstring>

namespace sipring {

namespace {

// Longest textual form: "[" + 45-char IPv6 + "]:" + 5-digit port, plus NUL.
constexpr size_t kMaxText = INET6_ADDRSTRLEN + 8;

// Parses 1 to 5 decimal digits up to 65535; no sign, no spaces.
bool parse_port(std::string_view s, uint16_t* port) noexcept {
  if (s.empty() || s.size() > 5) return false;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > 65535) return false;
  *port = static_cast<uint16_t>(v);
  return true;
}

// inet_pton needs a NUL-terminated string; copy to the stack so parse() stays allocation-free.
bool parse_ip(std::string_view host, int family, void* dst) noexcept {
  char buf[INET6_ADDRSTRLEN];
  if (host.empty() || host.size() >= sizeof(buf)) return false;
  std::memcpy(buf, host.data(), host.size());
  buf[host.size()] = '\0';
  return inet_pton(family, buf, dst) == 1;
}

// Appends the decimal port to p, returns the new end.
char* put_port(char* p, uint16_t port) noexcept {
  char digits[5];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + port % 10);
    port /= 10;
  } while (port != 0);
  while (n > 0) *p++ = digits[--n];
  return p;
}

}  // namespace

SockAddr SockAddr::from(const sockaddr* sa, socklen_t len) noexcept {
  SockAddr out;
  if (sa == nullptr) return out;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&out.u_.v4, sa, sizeof(sockaddr_in));
  } else if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&out.u_.v6, sa, sizeof(sockaddr_in6));
  }
  return out;
}

bool SockAddr::parse(std::string_view text, SockAddr* out) noexcept {
  SockAddr a;
  std::string_view host = text;
  std::string_view port_text;
  bool v6 = false;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port_text = rest.substr(1);
      if (port_text.empty()) return false;
    }
    v6 = true;
  } else {
    const size_t first = text.find(':');
    if (first != std::string_view::npos) {
      if (text.find(':', first + 1) != std::string_view::npos) {
        v6 = true;  // several colons and no brackets: a bare IPv6 address, no port
      } else {
        host = text.substr(0, first);
        port_text = text.substr(first + 1);
        if (port_text.empty()) return false;
      }
    }
  }
  uint16_t port = 0;
  if (!port_text.empty() && !parse_port(port_text, &port)) return false;
  if (v6) {
    if (!parse_ip(host, AF_INET6, &a.u_.v6.sin6_addr)) return false;
    a.u_.v6.sin6_family = AF_INET6;
    a.u_.v6.sin6_port = htons(port);
  } else {
    if (!parse_ip(host, AF_INET, &a.u_.v4.sin_addr)) return false;
    a.u_.v4.sin_family = AF_INET;
    a.u_.v4.sin_port = htons(port);
  }
  *out = a;
  return true;
}

uint16_t SockAddr::port() const {
  if (family() == AF_INET6) return ntohs(u_.v6.sin6_port);
  if (family() == AF_INET) return ntohs(u_.v4.sin_port);
  return 0;
}

size_t SockAddr::format(char* buf, size_t size) const noexcept {
  if (size == 0) return 0;
  buf[0] = '\0';
  char tmp[kMaxText];
  char* p = tmp;
  if (family() == AF_INET) {
    if (inet_ntop(AF_INET, &u_.v4.sin_addr, p, INET6_ADDRSTRLEN) == nullptr) return 0;
    p += std::strlen(p);
  } else if (family() == AF_INET6) {
    *p++ = '[';
    if (inet_ntop(AF_INET6, &u_.v6.sin6_addr, p, INET6_ADDRSTRLEN) == nullptr) return 0;
    p += std::strlen(p);
    *p++ = ']';
  }
  if (p != tmp) {
    *p++ = ':';
    p = put_port(p, port());
  }
  size_t len = static_cast<size_t>(p - tmp);
  if (len >= size) len = size - 1;
  std::memcpy(buf, tmp, len);
  buf[len] = '\0';
  return len;
}

std::string SockAddr::to_string() const {
  char buf[kMaxText];
  const size_t len = format(buf, sizeof(buf));
  return std::string(buf, len);
}

std::string SockAddr::host() const {
  char buf[INET6_ADDRSTRLEN];
  const void* src = family() == AF_INET6 ? static_cast<const void*>(&u_.v6.sin6_addr)
                                         : static_cast<const void*>(&u_.v4.sin_addr);
  if (empty() || inet_ntop(family(), src, buf, sizeof(buf)) == nullptr) return {};
  return buf;
}

bool operator==(const SockAddr& a, const SockAddr& b) {
  if (a.family() != b.family()) return false;
  if (a.family() == AF_INET) {
    return a.u_.v4.sin_port == b.u_.v4.sin_port &&
           a.u_.v4.sin_addr.s_addr == b.u_.v4.sin_addr.s_addr;
  }
  if (a.family() == AF_INET6) {
    // flowinfo is per-packet metadata, not part of the endpoint's identity.
    return a.u_.v6.sin6_port == b.u_.v6.sin6_port &&
           a.u_.v6.sin6_scope_id == b.u_.v6.sin6_scope_id &&
           std::memcmp(&a.u_.v6.sin6_addr, &b.u_.v6.sin6_addr, sizeof(in6_addr)) == 0;
  }
  return true;  // both empty (or both of a family we never store)
}

}  // namespace sipring
