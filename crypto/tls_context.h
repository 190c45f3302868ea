// Builds BoringSSL contexts (SSL_CTX) from a TLS profile (sipring/config.h), checking every file
// and value up front so a bad certificate, key or cipher list refuses the config with a message
// that names the file and the reason.
#pragma once

#include <openssl/base.h>

#include <cstdint>
#include <string>

#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

class TicketKeys;

// Protocol version range of a tls_method value ("TLSv1.2", "TLSv1.3", "TLSv1.2+", "TLSv1.3+").
struct VersionRange {
  uint16_t min;
  uint16_t max;
};
Result<VersionRange> parse_tls_method(const std::string& method);

// The TLS 1.2 suites used when tls.cipher_list is unset, best first, for ECDSA and RSA
// certificates alike: ECDHE with AES-GCM (the suites RFC 9325 §4.2 recommends), then ECDHE with
// ChaCha20-Poly1305 (RFC 7905, for peers without AES hardware). Forward secrecy and AEAD only,
// as RFC 9325 §4.1 asks: no RSA key exchange (no forward secrecy; ROBOT), no CBC (Lucky13), no
// 3DES (SWEET32). TLS 1.3 suites are BoringSSL's, all AEAD with (EC)DHE.
extern const char kDefaultCipherList[];

// Session lifetimes servers put in their tickets and enforce on resumption (RFC 9325 §3.4: at
// most half the validity of the key that seals them). A ticket key is current for 12 hours and
// still opens tickets for 12 more (TicketKeys, rotated by the sipring daemon every 12 hours),
// so a 12-hour TLS 1.3 ticket is always honoured for its whole lifetime (BoringSSL: 2 days). A
// TLS 1.2 resumption has no fresh key exchange, so it keeps BoringSSL's 2 hours.
inline constexpr uint32_t kTls12SessionLifetimeSeconds = 2 * 3600;
inline constexpr uint32_t kTls13SessionLifetimeSeconds = 12 * 3600;

// The suites in `ctx`'s TLS 1.2 list that RFC 9325 advises against, by OpenSSL name, each with
// why: "DES-CBC3-SHA (3DES, CBC, RSA key exchange), AES128-GCM-SHA256 (RSA key exchange)".
// Empty when every suite is ECDHE with an AEAD (the default list).
std::string weak_cipher_suites(const SSL_CTX* ctx);

// A server context from `profile`: certificate chain and key (the same PEM file may hold both),
// and certificate2 / private_key2 when set, one of them chosen per handshake and a client that
// can use neither refused (crypto/cert_select.h); versions, TLS 1.2 cipher list
// (kDefaultCipherList unless set) and key exchange groups (profile.groups, kDefaultGroups
// unless set; crypto/tls_groups.h) in the server's order; client verification
// (verify_certificate, require_certificate, verify_client, CAs, CRL); the OCSP staple
// (ocsp_staple_file, checked: crypto/ocsp_staple.h; for `certificate` only); stateless session
// tickets sealed with `tickets` (shared by all reactors; must outlive the context) and limited
// to the lifetimes above; no server-side session cache. `max_send_fragment` > 0 caps the
// plaintext of BoringSSL's own records (the module's ssl_max_send_fragment); otherwise 16384.
// profile.tickets and the client-only fields are not used.
Result<bssl::UniquePtr<SSL_CTX>> make_server_context(const TlsProfile& profile,
                                                     int max_send_fragment, TicketKeys* tickets);

// A client context from `profile` (client role, load generator): versions, ciphers, key
// exchange groups as for servers; a client certificate if one is set (certificate2 is not
// used); the server's chain verified when verify_certificate is on (the name check is per
// connection, set_expected_peer_name) and its OCSP staple demanded when ocsp_require
// (crypto/verify.h); session tickets offered and stored when profile.tickets. verify_client and
// require_certificate are not used.
Result<bssl::UniquePtr<SSL_CTX>> make_client_context(const TlsProfile& profile);

}  // namespace sipring
