// An IPv4 or IPv6 socket address, small enough to copy into every frame.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sipring {

class SockAddr {
 public:
  SockAddr() { u_.v6 = {}; }
  // Copies a sockaddr_in or sockaddr_in6; any other family yields an empty address.
  static SockAddr from(const sockaddr* sa, socklen_t len) noexcept;
  // Parses "IP:PORT", "[IPv6]:PORT" or "IP" (port 0). Returns false on malformed input.
  static bool parse(std::string_view text, SockAddr* out) noexcept;

  sa_family_t family() const { return u_.v4.sin_family; }
  bool empty() const { return family() == 0; }
  uint16_t port() const;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&u_); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&u_); }
  socklen_t len() const {
    return family() == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  }
  // "127.0.0.1:5061" or "[::1]:5061".
  std::string to_string() const;
  // Writes the textual form into buf (NUL-terminated, truncated to size); returns its length.
  // Allocation-free, for log lines on the reactor path.
  size_t format(char* buf, size_t size) const noexcept;
  // Host part only, IPv6 without brackets.
  std::string host() const;

  friend bool operator==(const SockAddr& a, const SockAddr& b);

 private:
  union {
    sockaddr_in v4;
    sockaddr_in6 v6;
  } u_;
};

}  // namespace sipring
