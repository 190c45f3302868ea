// Builders for the error messages sipring-certs prints: each names the file or option involved
// and, for BoringSSL failures, carries BoringSSL's own explanation.
#pragma once

#include <string>
#include <string_view>

#include "sipring/result.h"

namespace sipring::certs {

// Returns a kInvalidArgument error: the user typed something wrong (exit status 2).
Error usage_error(std::string message);

// Returns a kTls error "|what|: <BoringSSL error queue>" and clears the queue so later
// errors do not inherit stale entries.
Error tls_error(std::string_view what);

// Returns a kIo error "|path|: |action| failed: <strerror(err)>".
Error io_error(std::string_view path, std::string_view action, int err);

// Returns a kConfig error: the CA directory or an input file is not what we expect.
Error config_error(std::string message);

}  // namespace sipring::certs
