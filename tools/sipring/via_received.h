// What a server writes into the top Via of a request it answers (RFC 3261 §18.2.1, RFC 3581 §4),
// for the demo core: `received` with the address the request came from, and the value of an
// empty `rport`, so a client behind a NAT or a balancer learns the address it is seen from.
#pragma once

#include <cstddef>
#include <cstdint>

#include "sipring/sock_addr.h"

namespace sipring {

// Edits the top Via of the response in msg[0..*size), as build_response() writes it (the status
// line, then the request's Via header fields as "Via: " lines), in place, for a request that came
// from `peer` (the frame's peer: the real client's address, also behind a PROXY-protocol
// balancer):
//   - an `rport` parameter without a value gets the peer's port (RFC 3581 §4);
//   - `received=<peer IP>` is added when the sent-by host is not the peer's IP address (a name,
//     or another address: RFC 3261 §18.2.1), and always when `rport` was empty (RFC 3581 §4); a
//     `received` the request already carries gets the peer's IP as its value instead. IPv6 is
//     written without brackets: RFC 3261's `received = "received" EQUAL (IPv4address /
//     IPv6address)`.
// Parameter names match case-insensitively; everything else of the header field is kept byte
// for byte. A top Via that does not parse as RFC 3261's via-parm (or a peer that is not IPv4 or
// IPv6) is left as it is: the response still answers the request, as the Via was sent.
//
// Returns false, and leaves msg untouched, when the edited response would not fit in
// msg[0..cap); otherwise true with *size updated. Allocation-free.
bool add_received_rport(uint8_t* msg, size_t* size, size_t cap, const SockAddr& peer) noexcept;

}  // namespace sipring
