// Turns BoringSSL's thread-local error queue into text a person can act on.
#pragma once

#include <string>

namespace sipring {

// Drains the calling thread's BoringSSL error queue and returns its entries joined by "; "
// (e.g. "PEM routines:OPENSSL_internal:NO_START_LINE"), or "no further detail" when empty.
std::string take_tls_errors();

// Drops whatever is queued; used after an expected failure so it does not leak into a later
// message.
void clear_tls_errors() noexcept;

}  // namespace sipring
