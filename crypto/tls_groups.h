// The key-exchange groups (TLS 1.3 named groups, TLS 1.2 ECDHE curves) of the BoringSSL in use:
// which it implements, which of them sipring offers, and the check of a `groups` value
// (tls.groups, tls.cfg `groups`).
//
// The list is asked of BoringSSL, not written down here, so a build against another BoringSSL
// offers what that one implements. Post-quantum hybrids (X25519Kyber768, X25519MLKEM768) are not
// among them: the BoringSSL sipring builds with (Android 13, 2022) predates them.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "sipring/result.h"

namespace sipring {

// The groups sipring offers when `groups` is not set: X25519 first (the fastest, and what every
// modern client sends a key share for), then P-256 and P-384.
inline constexpr char kDefaultGroups[] = "X25519:P-256:P-384";

struct TlsGroup {
  uint16_t id;          // TLS NamedGroup code point (RFC 8446 §4.2.7), e.g. 29 for X25519
  const char* name;     // BoringSSL's name: "X25519", "P-256", ...
  const char* refusal;  // null if sipring offers it; else why not (a static sentence)
};

// Every group this BoringSSL implements, in code point order, found by asking it
// (SSL_get_curve_name over every code point) on the first call. Groups sipring will not offer
// carry their reason: EC curves under 128-bit security (P-224; RFC 8422 §5.1.1 deprecates them,
// RFC 9325 asks for 128 bits) and BoringSSL's experiments that no other TLS library speaks
// (CECPQ2). At most 32 entries. Any thread.
std::span<const TlsGroup> known_tls_groups();

// The names of the groups sipring offers, joined by ", ": what refusals list.
std::string usable_tls_group_names();

// Checks a `groups` value: group names separated by ':', best first, each a name as BoringSSL
// writes it (case-insensitive) or an OpenSSL curve name for one (prime256v1, secp384r1), each
// once, all of them offered by sipring. Returns the list as BoringSSL writes it ("x25519:p-256"
// -> "X25519:P-256"), ready for SSL_CTX_set1_curves_list; "" gives kDefaultGroups. The error
// (Errc::kConfig) names the value, the culprit and the groups this BoringSSL offers.
Result<std::string> canonical_tls_groups(std::string_view list);

// The bit of group `id` in a mask over known_tls_groups() (bit i = the i-th group), or 0 when
// BoringSSL does not implement it. Allocation-free.
uint32_t tls_group_bit(uint16_t id) noexcept;

// The mask of the groups in `canonical` (a value canonical_tls_groups returned).
uint32_t tls_group_mask(std::string_view canonical);

}  // namespace sipring
