// Listening sockets. With SO_REUSEPORT every reactor owns its own socket on each listen
// address and the kernel spreads new connections over them by a hash of the 4-tuple: no
// cross-thread hand-off, no shared accept queue (see docs/architecture.md for the measurement).
#pragma once

#include "sipring/config.h"
#include "sipring/result.h"
#include "sipring/sock_addr.h"

namespace sipring {

// Opens, binds and listens on `spec.addr` with SO_REUSEADDR, SO_REUSEPORT (if `reuseport`),
// TCP_NODELAY (inherited by accepted sockets). Returns the fd.
Result<int> open_listener(const ListenSpec& spec, bool reuseport, int backlog = 4096);

// Local address actually bound (resolves port 0).
SockAddr bound_address(int fd);

}  // namespace sipring
