// The C ABI's vocabulary: status codes and their names, error text, addresses, destinations,
// connection ids and the version.
#include <algorithm>
#include <string>

#include "engine/api/c_abi.h"

namespace sipring::capi {

int status_of(Errc code) noexcept {
  switch (code) {
    case Errc::kOk:
      return SIPRING_OK;
    case Errc::kInvalidArgument:
      return SIPRING_ERR_INVALID_ARGUMENT;
    case Errc::kConfig:
      return SIPRING_ERR_CONFIG;
    case Errc::kIo:
      return SIPRING_ERR_IO;
    case Errc::kTls:
      return SIPRING_ERR_TLS;
    case Errc::kUnsupported:
      return SIPRING_ERR_UNSUPPORTED;
    case Errc::kUnknownConnection:
      return SIPRING_ERR_UNKNOWN_CONNECTION;
    case Errc::kQueueFull:
      return SIPRING_ERR_QUEUE_FULL;
    case Errc::kTooLarge:
      return SIPRING_ERR_TOO_LARGE;
    case Errc::kShuttingDown:
      return SIPRING_ERR_SHUTTING_DOWN;
    case Errc::kNotRunning:
      return SIPRING_ERR_NOT_RUNNING;
  }
  return SIPRING_ERR_INTERNAL;
}

int status_of(SendStatus status) noexcept {
  switch (status) {
    case SendStatus::kOk:
      return SIPRING_OK;
    case SendStatus::kUnknownConnection:
      return SIPRING_ERR_UNKNOWN_CONNECTION;
    case SendStatus::kQueueFull:
      return SIPRING_ERR_QUEUE_FULL;
    case SendStatus::kTooLarge:
      return SIPRING_ERR_TOO_LARGE;
    case SendStatus::kNotRunning:
      return SIPRING_ERR_NOT_RUNNING;
    case SendStatus::kOverloaded:
      return SIPRING_ERR_OVERLOADED;
  }
  return SIPRING_ERR_INTERNAL;
}

bool copy_text(char* out, size_t size, std::string_view text) noexcept {
  if (out == nullptr || size == 0) return text.empty();
  const size_t n = std::min(text.size(), size - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
  return n == text.size();
}

int fail(char* err, size_t err_size, int status, std::string_view message) noexcept {
  copy_text(err, err_size, message);
  return status;
}

int fail(char* err, size_t err_size, const Error& error) noexcept {
  return fail(err, err_size, status_of(error.code), error.message);
}

Status to_destination(const sipring_destination* to, Destination* out) {
  if (to == nullptr) return make_error(Errc::kInvalidArgument, "destination is NULL");
  if (to->address == nullptr) {
    return make_error(Errc::kInvalidArgument, "destination address is NULL (write \"IP:PORT\")");
  }
  if (!SockAddr::parse(to->address, &out->addr) || out->addr.port() == 0) {
    return make_error(Errc::kInvalidArgument,
                      "destination address \"%s\" is not IP:PORT or [IPv6]:PORT with a port",
                      to->address);
  }
  out->server_name = to->server_name != nullptr ? to->server_name : "";
  out->server_id = to->server_id != nullptr ? to->server_id : "";
  return Status::ok();
}

int to_destination_logged(const char* function, const sipring_destination* to, Destination* out) {
  Status s = to_destination(to, out);
  if (s) return SIPRING_OK;
  SIPRING_LOG(kLogErr, "capi", "%s: %s", function, s.message().c_str());
  return status_of(s.code());
}

}  // namespace sipring::capi

using namespace sipring;

extern "C" {

const char* sipring_status_name(int status) {
  switch (status) {
    case SIPRING_OK:
      return errc_name(Errc::kOk);
    case SIPRING_ERR_INVALID_ARGUMENT:
      return errc_name(Errc::kInvalidArgument);
    case SIPRING_ERR_CONFIG:
      return errc_name(Errc::kConfig);
    case SIPRING_ERR_IO:
      return errc_name(Errc::kIo);
    case SIPRING_ERR_TLS:
      return errc_name(Errc::kTls);
    case SIPRING_ERR_UNSUPPORTED:
      return errc_name(Errc::kUnsupported);
    case SIPRING_ERR_UNKNOWN_CONNECTION:
      return errc_name(Errc::kUnknownConnection);
    case SIPRING_ERR_QUEUE_FULL:
      return errc_name(Errc::kQueueFull);
    case SIPRING_ERR_TOO_LARGE:
      return errc_name(Errc::kTooLarge);
    case SIPRING_ERR_SHUTTING_DOWN:
      return errc_name(Errc::kShuttingDown);
    case SIPRING_ERR_NOT_RUNNING:
      return errc_name(Errc::kNotRunning);
    case SIPRING_ERR_OVERLOADED:
      return send_status_name(SendStatus::kOverloaded);
    case SIPRING_ERR_INTERNAL:
      return "internal";
  }
  return "unknown-status";
}

const char* sipring_version(void) {
  return SIPRING_VERSION;
}

uint32_t sipring_conn_reactor(sipring_conn conn) {
  return ConnId(conn).reactor();
}

size_t sipring_addr_format(const sipring_addr* addr, char* buf, size_t size) {
  // The full text first (SockAddr::format cuts to its buffer), then as much as fits.
  char text[64] = "";
  size_t len = 0;
  if (addr != nullptr && addr->family == AF_INET) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(addr->port);
    std::memcpy(&v4.sin_addr, addr->ip, 4);
    len = SockAddr::from(reinterpret_cast<const sockaddr*>(&v4), sizeof(v4))
              .format(text, sizeof(text));
  } else if (addr != nullptr && addr->family == AF_INET6) {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(addr->port);
    v6.sin6_scope_id = addr->scope_id;
    std::memcpy(&v6.sin6_addr, addr->ip, 16);
    len = SockAddr::from(reinterpret_cast<const sockaddr*>(&v6), sizeof(v6))
              .format(text, sizeof(text));
  }
  capi::copy_text(buf, size, {text, len});
  return len;
}

const char* sipring_close_reason_name(int reason) {
  if (reason < SIPRING_CLOSE_NONE || reason > SIPRING_CLOSE_MEMORY_BUDGET) return "unknown-reason";
  return close_reason_name(static_cast<CloseReason>(reason));
}

}  // extern "C"
