// Listening sockets. With SO_REUSEPORT every reactor owns its own socket on each listen
// address and the kernel spreads new connections over them by a hash of the 4-tuple: no
// cross-thread hand-off, no shared accept queue (see docs/architecture.md for the measurement).
#pragma once

#include "sipring/config.h"
#include "sipring/result.h"
#include "sipring/sock_addr.h"

namespace sipring {

// Opens, binds and listens on `spec.addr` with SO_REUSEADDR, SO_REUSEPORT (if `reuseport`),
// TCP_NODELAY and TCP_USER_TIMEOUT = `send_timeout_ms` (both inherited by accepted sockets).
// Returns the fd.
Result<int> open_listener(const ListenSpec& spec, bool reuseport, int send_timeout_ms,
                          int backlog = 4096);

// TCP_USER_TIMEOUT: the kernel aborts the connection when sent data stays unacknowledged (or
// the peer's window stays closed) for `send_timeout_ms` (sipring.send_timeout_ms).
void set_send_timeout(int fd, int send_timeout_ms);

// Local address actually bound (resolves port 0).
SockAddr bound_address(int fd);

}  // namespace sipring
