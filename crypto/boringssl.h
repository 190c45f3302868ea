// The one place that includes BoringSSL for the engine, and proves it is BoringSSL.
//
// Debian ships OpenSSL 3 headers in /usr/include/openssl too; the build puts
// /usr/include/android first. If that ever breaks, this fails at compile time instead of
// mixing two TLS libraries at run time.
#pragma once

#include <openssl/is_boringssl.h>
#include <openssl/ssl.h>

#if !defined(OPENSSL_IS_BORINGSSL)
#error "sipring must be built against BoringSSL (android-libboringssl-dev), not OpenSSL"
#endif
