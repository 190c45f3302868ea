#include "crypto/tls_error.h"

#include <openssl/err.h>

namespace sipring {

std::string take_tls_errors() {
  std::string out;
  char buf[256];
  while (uint32_t err = ERR_get_error()) {
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no further detail" : out;
}

void clear_tls_errors() noexcept {
  ERR_clear_error();
}

}  // namespace sipring
