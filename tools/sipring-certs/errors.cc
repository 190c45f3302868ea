#include "errors.h"

#include <cstring>

#include <openssl/err.h>

namespace sipring::certs {

Error usage_error(std::string message) {
  return Error{Errc::kInvalidArgument, std::move(message)};
}

Error config_error(std::string message) {
  return Error{Errc::kConfig, std::move(message)};
}

Error tls_error(std::string_view what) {
  std::string message(what);
  const char* sep = ": ";
  while (uint32_t code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    message += sep;
    message += buf;
    sep = "; ";
  }
  return Error{Errc::kTls, std::move(message)};
}

Error io_error(std::string_view path, std::string_view action, int err) {
  std::string message(path);
  message += ": ";
  message += action;
  message += " failed: ";
  message += std::strerror(err);
  return Error{Errc::kIo, std::move(message)};
}

}  // namespace sipring::certs
