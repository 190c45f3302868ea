// The choice of a server certificate for each handshake: a domain's `certificate` or, when set,
// its `certificate2` (Kamailio master's dual certificates: ECDSA for peers that can verify it,
// RSA for the others), and the refusal, with a handshake_failure alert and a reason, of a client
// that can use neither (or shares no key-exchange group with the domain).
//
// This BoringSSL (2022) has one certificate per SSL_CTX and no SSL_CREDENTIAL API, so the
// second certificate lives in a second server context built from the same profile, and the
// handshake switches to it (SSL_set_SSL_CTX) from the certificate callback, which BoringSSL runs
// once per handshake after the ClientHello's extensions and SNI are processed and before the
// cipher suite and signature algorithm are picked.
//
// What a client can use:
//   TLS 1.3: a signature algorithm of its signature_algorithms for the key (ECDSA: the one for
//            the certificate's curve; RSA: RSA-PSS, with a key large enough for the hash).
//   TLS 1.2: a signature algorithm for the key type if it sent signature_algorithms (none sent:
//            any, as RFC 5246 §7.4.1.4.1 says); a cipher suite of the domain's cipher_list for the
//            key type (ECDHE-ECDSA-* or *-RSA-*) that it offers; and, for an ECDSA certificate,
//            its supported_groups must hold the certificate's curve when it sent them (RFC 8422
//            §5.1: OpenSSL clients abort with "wrong curve" otherwise; BoringSSL's server does
//            not check it).
// When both certificates fit, the one whose key is not RSA is served (smaller, and about 50x
// cheaper to sign with); between two non-RSA keys, `certificate`.
#pragma once

#include <openssl/base.h>

#include <cstdint>

#include "sipring/config.h"
#include "sipring/result.h"

namespace sipring {

// Installs the choice on server context `ctx`, whose certificate is `profile`'s first one.
// `second` is a server context made from the same profile with certificate2 / private_key2 as
// its certificate, or null for a domain with one certificate; `ctx` takes ownership of it. The
// domain's groups (profile.groups, canonical) and cipher list are read from `profile` and
// `ctx`. Refuses (Errc::kConfig, naming both files) two certificates whose keys are of one type:
// the client's signature algorithms choose between key types, so the second would never be
// served. Setup only; the callbacks it installs are allocation-free except for the switch to
// the second context.
Status install_certificate_choice(SSL_CTX* ctx, bssl::UniquePtr<SSL_CTX> second,
                                  const TlsProfile& profile);

// The context serving `ctx`'s certificate2 (installed by install_certificate_choice), or null
// when `ctx` has one certificate. Owned by `ctx`. For what must be set on every context a
// handshake may switch to (the key log callback) and for listing certificates (tls.certs).
SSL_CTX* certificate2_context(const SSL_CTX* ctx) noexcept;

// What the choice did for a handshake.
enum class CertOutcome : uint8_t {
  kNone,           // nothing (yet): the ClientHello was not processed in that call, or no choice
  kFirst,          // `certificate` is served
  kSecond,         // `certificate2` is served
  kNoSharedGroup,  // refused: the client offers none of the domain's groups (TLS 1.2: here,
                   // when cipher_list is all ECDHE; TLS 1.3: by BoringSSL, TlsConn reports it)
  kNoCertificate,  // refused: no certificate of the domain fits what the client accepts
};

// The outcome of the choice made during the last SSL_do_handshake call on `ssl` on the calling
// thread, forgotten once taken (the callbacks keep it per thread: BoringSSL runs them inside
// one SSL_do_handshake call, and a reactor runs one call at a time). kNone for any other SSL.
// For refusals *out_reason (if not null) is set to why, in words an operator can act on
// ("the client offers no group matching certificate curve P-384 in TLS 1.2; add certificate2
// (RSA) or use an ECDSA P-256 certificate"), valid as long as the context; else to null.
// Allocation-free.
CertOutcome take_certificate_outcome(const SSL* ssl, const char** out_reason) noexcept;

}  // namespace sipring
