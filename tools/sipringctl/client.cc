// The control socket client of sipringctl (see client.h).
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

namespace sipring::ctl {
namespace {

// Replies larger than this are refused rather than filling memory.
constexpr size_t kMaxReplyBytes = size_t{256} << 20;

using Clock = std::chrono::steady_clock;

// Closes the socket on every return path.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int ms_left(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left > 1 << 30 ? 1 << 30 : left);
}

Error timed_out(const std::string& spec, double timeout_s) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%g", timeout_s);
  return Error{Errc::kIo, "no reply from " + spec + " within " + seconds + " s (raise it with -t)"};
}

}  // namespace

Result<JsonValue> call(const std::string& socket_spec, const JsonValue& request, double timeout_s) {
  const auto deadline =
      Clock::now() + std::chrono::microseconds(static_cast<int64_t>(timeout_s * 1e6));
  const std::string path = socket_spec.substr(socket_spec.find(':') + 1);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return Error{Errc::kNotRunning, "control socket path too long: " + path};
  }
  std::memcpy(addr.sun_path, path.data(), path.size());

  Fd sock;
  sock.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock.fd < 0) return Error{Errc::kIo, std::string("socket(): ") + std::strerror(errno)};
  // A server whose backlog is full keeps connect() and send() waiting: bound them by the
  // deadline (for AF_UNIX, connect honours SO_SNDTIMEO).
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_s);
  tv.tv_usec = static_cast<suseconds_t>((timeout_s - static_cast<double>(tv.tv_sec)) * 1e6);
  ::setsockopt(sock.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (::connect(sock.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    if (err == EAGAIN || err == EINPROGRESS) return timed_out(socket_spec, timeout_s);
    const char* hint = err == EACCES ? "run as a user who may open it, or pass -s"
                                     : "is sipring running? start it or pass -s";
    return Error{Errc::kNotRunning, "cannot connect to " + socket_spec + ": " + std::strerror(err) +
                                        " (" + hint + ")"};
  }

  std::string out = json_text(request);
  out.push_back('\n');
  for (size_t sent = 0; sent < out.size();) {
    const ssize_t n = ::send(sock.fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return timed_out(socket_spec, timeout_s);
      return Error{Errc::kIo, "sending to " + socket_spec + ": " + std::strerror(errno)};
    }
    sent += static_cast<size_t>(n);
  }

  std::string in;
  bool eof = false;
  while (in.find('\n') == std::string::npos && !eof) {
    pollfd p{sock.fd, POLLIN, 0};
    const int rc = ::poll(&p, 1, ms_left(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return timed_out(socket_spec, timeout_s);
    char buf[65536];
    const ssize_t n = ::recv(sock.fd, buf, sizeof(buf), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error{Errc::kIo, "reading from " + socket_spec + ": " + std::strerror(errno)};
    }
    if (n == 0) eof = true;
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > kMaxReplyBytes) {
      return Error{Errc::kIo, "reply from " + socket_spec + " exceeds " +
                                  std::to_string(kMaxReplyBytes) + " bytes"};
    }
  }
  const size_t nl = in.find('\n');
  if (nl != std::string::npos) in.resize(nl);
  if (in.find_first_not_of(" \t\r") == std::string::npos) {
    return Error{Errc::kIo, socket_spec + " closed the connection without a reply"};
  }
  Result<JsonValue> reply = parse_json(in, kMaxReplyBytes);
  if (!reply.is_ok()) {
    return Error{Errc::kIo, "bad reply from " + socket_spec + ": " + reply.error().message};
  }
  return reply;
}

JsonValue make_request(const std::string& method, JsonValue params) {
  JsonValue request = JsonValue::object();
  request["jsonrpc"] = "2.0";
  request["method"] = method;
  request["params"] = std::move(params);
  request["id"] = 1;
  return request;
}

Result<JsonValue> rpc_result(const JsonValue& response) {
  if (!response.is_object()) {
    return Error{Errc::kIo, "bad reply (not a JSON-RPC response): " + json_text(response)};
  }
  if (const JsonValue* error = json_member(response, "error")) {
    const JsonValue* code = json_member(*error, "code");
    const JsonValue* message = json_member(*error, "message");
    return Error{Errc::kInvalidArgument,
                 (code ? json_text(*code) : std::string("?")) + ": " +
                     (message && message->is_string() ? message->get_ref<const std::string&>()
                      : message                       ? json_text(*message)
                                                      : std::string("(no message)"))};
  }
  const JsonValue* result = json_member(response, "result");
  if (result == nullptr) {
    return Error{Errc::kIo, "bad reply (neither result nor error): " + json_text(response)};
  }
  return *result;
}

}  // namespace sipring::ctl
