#include "crypto/library_check.h"

#include <openssl/base.h>
#include <openssl/crypto.h>

#include <cstdio>
#include <cstring>

#include "engine/base/error_format.h"

namespace sipring {

TlsLibraryInfo tls_library_info() {
  TlsLibraryInfo info;
  char buf[96];
  snprintf(buf, sizeof(buf), "BoringSSL 0x%08lx (API %d)",
           static_cast<unsigned long>(OPENSSL_VERSION_NUMBER), BORINGSSL_API_VERSION);
  info.compiled = buf;
  const char* name = OpenSSL_version(OPENSSL_VERSION);
  unsigned long number = OpenSSL_version_num();
  snprintf(buf, sizeof(buf), "%s 0x%08lx", name, number);
  info.runtime = buf;
  // BoringSSL names itself "BoringSSL"; anything else (an OpenSSL picked up by the loader) is a
  // different library whose structures and calls sipring must not use.
  info.matches = strcmp(name, "BoringSSL") == 0 && number == OPENSSL_VERSION_NUMBER;
  return info;
}

Status check_tls_library(bool force) {
  TlsLibraryInfo info = tls_library_info();
  if (info.matches || force) return Status::ok();
  return make_error(Errc::kUnsupported,
                    "the TLS library loaded at run time (%s) is not the one sipring was compiled "
                    "against (%s); install the matching android-libboringssl, or set "
                    "modparam(\"tls\", \"tls_force_run\", 1) to start anyway at your own risk",
                    info.runtime.c_str(), info.compiled.c_str());
}

}  // namespace sipring
