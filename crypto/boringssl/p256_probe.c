// The run-time half of the start-up feature line's "P-256: nistz256" (crypto/library_check.cc):
// compiled into the source-built libcrypto (crypto/boringssl/meson.build) with BoringSSL's own
// internal headers, so the group structure read here is exactly the one the library uses.
#include <openssl/ec.h>
#include <openssl/nid.h>

#include "fipsmodule/ec/internal.h"

// Returns 1 if BoringSSL's P-256 group computes with EC_GFp_nistz256_method (the x86-64
// assembly with its precomputed base-point tables), 0 if with a generic method (as it does
// when built with OPENSSL_SMALL or without assembly). Hidden like the rest of the library.
int sipring_boringssl_p256_is_nistz256(void) {
// The condition is p256-nistz.c's own, under which EC_GFp_nistz256_method exists.
#if !defined(OPENSSL_NO_ASM) && (defined(OPENSSL_X86_64) || defined(OPENSSL_AARCH64)) && \
    !defined(OPENSSL_SMALL)
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  int nistz256 = group != NULL && group->meth == EC_GFp_nistz256_method();
  EC_GROUP_free(group);
  return nistz256;
#else
  return 0;
#endif
}
