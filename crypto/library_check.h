// The start-up sanity check of the TLS library (the manual's tls_force_run, §1.9.26): the
// BoringSSL loaded at run time must be the one sipring was compiled against; and the facts the
// start-up feature line and core.version give about it.
#pragma once

#include <string>

#include "sipring/result.h"

namespace sipring {

struct TlsLibraryInfo {
  std::string compiled;  // e.g. "BoringSSL 0x1010107f (API 17)"
  std::string runtime;   // e.g. "BoringSSL 0x1010107f"
  bool matches = false;  // same library and version number
  // Which BoringSSL (meson's -Dboringssl, crypto/boringssl/meson.build), e.g. "BoringSSL
  // 13.0.0+r24 (1530333b25589) built from Debian's source 13.0.0+r24-2, static, without
  // OPENSSL_SMALL" or "Debian's shared android-libboringssl 13.0.0+r24-2, built with
  // OPENSSL_SMALL".
  std::string build;
  // BoringSSL's fast P-256 (nistz256: x86-64 assembly with precomputed base-point tables) is
  // compiled in (a build without OPENSSL_SMALL) ...
  bool fast_p256_compiled = false;
  // ... and the library's P-256 group really computes with it, as read from the group itself at
  // run time (source build only: Debian's shared library hides that method).
  bool fast_p256_in_use = false;
};

TlsLibraryInfo tls_library_info();

// One line for the start-up feature line and core.version: the runtime name and version
// number, `build`, and the P-256 implementation, e.g. "BoringSSL 0x1010107f: BoringSSL
// 13.0.0+r24 (...) built from Debian's source ..., P-256 nistz256 with precomputed tables (in
// use)" or "...: Debian's shared android-libboringssl ..., P-256 generic (OPENSSL_SMALL)".
std::string tls_library_summary();

// Ok if the libraries match. Otherwise an error explaining the mismatch, unless `force`, in
// which case ok (the caller logs a warning with the info).
Status check_tls_library(bool force);

}  // namespace sipring
