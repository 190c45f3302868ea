// Whether a TLS peer's certificate names the host we meant to reach, by the rules of RFC 5922
// (Domain Certificates in SIP) rather than the HTTPS rules of RFC 2818/6125: no wildcards, sip
// URI subjectAltNames before DNS ones, the subject CN only when there is no subjectAltName.
//
// Used once per connection after the chain has been verified; it does not verify the chain,
// validity or key usage itself.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sipring {

struct NameCheck {
  bool ok = false;
  // What matched, or why nothing did, listing the names the certificate offers, e.g.
  // "no subjectAltName matches sip.example.com (DNS: a.example, b.example)". Bytes that are not
  // printable ASCII appear as \xNN, so the text is safe to log.
  std::string detail;
};

// Whether DER certificate `der` is valid for `host`, a DNS name (one trailing dot allowed) or an
// IP literal (IPv4, or IPv6 with or without [brackets]).
//
// DNS names follow RFC 5922 §7.1 and §7.2:
//  - subjectAltName URIs with scheme "sip" and no user part name the host (port and parameters
//    are not part of the comparison). If there is at least one, only they count: DNS entries are
//    not consulted.
//  - Otherwise the subjectAltName DNS entries count.
//  - Only when the certificate has no subjectAltName extension at all does the subject CN count.
//  - Comparison is of whole names, ASCII case-insensitive, ignoring one trailing dot. A name with
//    "*" never matches, and neither does a suffix.
// IP literals are compared only with subjectAltName IP entries, byte for byte (an IPv4 address
// does not match its IPv4-mapped IPv6 form). A host that is neither (a wildcard, non-ASCII text:
// pass IDNs as A-labels), a certificate that does not parse, or a malformed subjectAltName gives
// ok == false.
NameCheck check_peer_name(std::span<const uint8_t> der, std::string_view host);

}  // namespace sipring
