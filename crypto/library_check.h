// The start-up sanity check of the TLS library (the manual's tls_force_run, §1.9.26): the
// BoringSSL loaded at run time must be the one sipring was compiled against.
#pragma once

#include <string>

#include "sipring/result.h"

namespace sipring {

struct TlsLibraryInfo {
  std::string compiled;  // e.g. "BoringSSL 0x1010107f (API 17)"
  std::string runtime;   // e.g. "BoringSSL 0x1010107f"
  bool matches = false;  // same library and version number
};

TlsLibraryInfo tls_library_info();

// Ok if the libraries match. Otherwise an error explaining the mismatch, unless `force`, in
// which case ok (the caller logs a warning with the info).
Status check_tls_library(bool force);

}  // namespace sipring
