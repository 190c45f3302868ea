// The compile-time proof that <openssl/...> is BoringSSL, not Debian's OpenSSL 3.
//
// The rule: files include the <openssl/...> headers they use directly. What makes those headers
// BoringSSL's is the build: every target that uses TLS takes meson's `boringssl` dependency,
// which puts /usr/include/android (android-libboringssl-dev) ahead of /usr/include, where
// OpenSSL 3's headers also sit. This header checks that order: crypto/ includes it (and
// crypto/tls_conn.h, so every engine layer that uses TLS compiles the check too). If the order
// ever breaks, the build fails here instead of mixing two TLS libraries at run time.
#pragma once

#include <openssl/is_boringssl.h>
#include <openssl/ssl.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "sipring must be built against BoringSSL (android-libboringssl-dev), not OpenSSL"
#endif
