#include "engine/io/listener.h"

#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/base/error_format.h"

namespace sipring {

Result<int> open_listener(const ListenSpec& spec, bool reuseport, int send_timeout_ms,
                          int backlog) {
  std::string where = spec.addr.to_string();
  int fd = socket(spec.addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::kIo, "listen %s: socket: %s", where.c_str(), strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    int e = errno;
    close(fd);
    return make_error(Errc::kIo, "listen %s: SO_REUSEPORT: %s", where.c_str(), strerror(e));
  }
  // Small SIP writes must not wait for Nagle; accepted sockets inherit this.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  set_send_timeout(fd, send_timeout_ms);
  if (spec.addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, spec.addr.sa(), spec.addr.len()) != 0) {
    int e = errno;
    close(fd);
    return make_error(Errc::kIo, "listen %s: bind: %s%s", where.c_str(), strerror(e),
                      e == EADDRINUSE ? " (another process already listens there)" : "");
  }
  if (listen(fd, backlog) != 0) {
    int e = errno;
    close(fd);
    return make_error(Errc::kIo, "listen %s: listen: %s", where.c_str(), strerror(e));
  }
  return fd;
}

void set_send_timeout(int fd, int send_timeout_ms) {
  // The kernel's part of sipring.send_timeout_ms: replies that io_uring handed to the socket
  // buffer count as sent for sipring, so a peer that reads nothing (a zero window) or vanished
  // would hold them, up to the socket's send buffer (tcp_wmem allows MBs), for the ~15 minutes
  // of TCP retransmissions. TCP_USER_TIMEOUT aborts such a connection once nothing was
  // acknowledged for that long, zero-window probes included (Linux 5.11+); the error reaches
  // the reactor as ETIMEDOUT and is counted as a send timeout.
  unsigned ms = static_cast<unsigned>(send_timeout_ms);
  setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
}

SockAddr bound_address(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return SockAddr();
  return SockAddr::from(reinterpret_cast<sockaddr*>(&ss), len);
}

}  // namespace sipring
