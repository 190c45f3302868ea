// RpcServer: JSON-RPC 2.0 dispatch, the Unix socket's set-up and tear-down, and the poll() loop
// that serves the control connections (see engine/control/rpc_server.h).
#include "engine/control/rpc_server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <vector>

#include "engine/base/error_format.h"

namespace sipring {

int rpc_error_code(Errc code) noexcept {
  switch (code) {
    case Errc::kInvalidArgument:
    case Errc::kConfig:
      return 400;
    case Errc::kUnknownConnection:
      return 404;
    default:
      return 500;
  }
}

namespace {

JsonValue error_object(int code, std::string message) {
  return JsonValue::object({{"code", code}, {"message", std::move(message)}});
}

JsonValue error_response(JsonValue id, int code, std::string message) {
  return JsonValue::object({{"jsonrpc", "2.0"},
                            {"error", error_object(code, std::move(message))},
                            {"id", std::move(id)}});
}

std::string errno_text(int err) {
  return std::strerror(err);
}

// --- Socket set-up -------------------------------------------------------------------------

// Creates every missing directory above `path` with mode 0700 (mkdir -p of its dirname).
Status make_parent_dirs(const std::string& path) {
  for (size_t slash = path.find('/', 1); slash != std::string::npos;
       slash = path.find('/', slash + 1)) {
    const std::string dir = path.substr(0, slash);
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      return make_error(Errc::kIo, "control socket %s: cannot create directory %s: %s",
                        path.c_str(), dir.c_str(), errno_text(errno).c_str());
    }
  }
  return Status::ok();
}

bool fill_sockaddr(const std::string& path, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr->sun_path)) return false;
  std::memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

// If `path` exists: removes it when it is a socket nobody listens on; refuses a live socket and
// anything that is not a socket (a typo must not delete someone's file).
Status clear_stale_socket(const std::string& path, const sockaddr_un& addr) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::ok();
    return make_error(Errc::kIo, "control socket %s: cannot stat it: %s", path.c_str(),
                      errno_text(errno).c_str());
  }
  if (!S_ISSOCK(st.st_mode)) {
    return make_error(Errc::kConfig,
                      "control socket %s: the path exists and is not a socket; refusing to "
                      "replace it (remove it or choose another path)",
                      path.c_str());
  }
  // Non-blocking, so a live server with a full backlog answers EAGAIN instead of blocking us.
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (probe < 0) {
    return make_error(Errc::kIo, "control socket %s: socket(): %s", path.c_str(),
                      errno_text(errno).c_str());
  }
  const int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::close(probe);
  if (rc == 0 || err == EAGAIN || err == EINPROGRESS) {
    return make_error(Errc::kConfig,
                      "control socket %s: another process is serving on it (is sipring already "
                      "running?); stop it or choose another path",
                      path.c_str());
  }
  if (err != ECONNREFUSED && err != ENOENT) {
    return make_error(Errc::kIo, "control socket %s: cannot tell whether it is in use: %s",
                      path.c_str(), errno_text(err).c_str());
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return make_error(Errc::kIo, "control socket %s: cannot remove the stale socket: %s",
                      path.c_str(), errno_text(errno).c_str());
  }
  return Status::ok();
}

// --- Connections ---------------------------------------------------------------------------

struct Client {
  int fd = -1;
  std::string in;   // bytes received, not yet a complete line
  std::string out;  // responses not yet sent
  size_t out_sent = 0;
  int64_t deadline_ms = 0;  // closed when this passes without progress
  bool closing = false;     // close once `out` is sent (peer EOF or an oversized request)
};

}  // namespace

// --- RpcServer: registry and dispatch ------------------------------------------------------

RpcServer::RpcServer(RpcServerOptions options) : options_(options) {
  add("system.listMethods", "", "lists the methods this server answers",
      [this](const JsonValue& params) { return list_methods(params); });
  add("system.help", "METHOD", "shows a method's parameters and what it does",
      [this](const JsonValue& params) { return help(params); });
}

RpcServer::~RpcServer() {
  stop();
}

void RpcServer::add(std::string method, std::string signature, std::string help, Handler handler) {
  std::lock_guard<std::mutex> lock(methods_mu_);
  methods_[std::move(method)] = Method{std::move(signature), std::move(help), std::move(handler)};
}

Result<JsonValue> RpcServer::list_methods(const JsonValue& params) {
  if (!params.empty()) {
    return make_error(Errc::kInvalidArgument, "system.listMethods takes no parameters");
  }
  JsonValue names = JsonValue::array();
  std::lock_guard<std::mutex> lock(methods_mu_);
  for (const auto& [name, method] : methods_) names.push_back(name);
  return names;
}

Result<JsonValue> RpcServer::help(const JsonValue& params) {
  const JsonValue* name = nullptr;
  if (params.is_array() && params.size() == 1) name = &params[0];
  if (params.is_object() && params.size() == 1) name = json_member(params, "method");
  if (name == nullptr || !name->is_string()) {
    return make_error(Errc::kInvalidArgument, "usage: system.help METHOD (a method name)");
  }
  const std::string& wanted = name->get_ref<const std::string&>();
  std::lock_guard<std::mutex> lock(methods_mu_);
  auto it = methods_.find(wanted);
  if (it == methods_.end()) {
    return make_error(Errc::kInvalidArgument,
                      "no method '%s'; system.listMethods lists the methods", wanted.c_str());
  }
  std::string text = it->first;
  if (!it->second.signature.empty()) text += " " + it->second.signature;
  text += "\n    " + it->second.help;
  return JsonValue(std::move(text));
}

void RpcServer::call(const std::string& name, const JsonValue& params, JsonValue* response) {
  Handler handler;
  {
    std::lock_guard<std::mutex> lock(methods_mu_);
    auto it = methods_.find(name);
    if (it == methods_.end()) {
      (*response)["error"] =
          error_object(kRpcMethodNotFound,
                       "method '" + name + "' not found; system.listMethods lists the methods");
      return;
    }
    handler = it->second.handler;  // a copy: the handler runs without the lock
  }
  // Handlers check what they read, so a bad request is an Error, never an exception. The catch
  // is for handler bugs (nlohmann's type_error from a wrong accessor, bad_alloc): they must not
  // kill the control thread and with it the daemon.
  try {
    Result<JsonValue> r = handler(params);
    if (r.is_ok()) {
      (*response)["result"] = std::move(r).value();
    } else {
      (*response)["error"] = error_object(rpc_error_code(r.error().code), r.error().message);
    }
  } catch (const std::exception& e) {
    (*response)["error"] =
        error_object(kRpcInternalError, "internal error in " + name + ": " + e.what());
  } catch (...) {
    (*response)["error"] = error_object(kRpcInternalError, "internal error in " + name);
  }
}

JsonValue RpcServer::answer_one(const JsonValue& request, bool* respond) {
  *respond = true;
  if (!request.is_object()) {
    return error_response(nullptr, kRpcInvalidRequest, "invalid request: not a JSON object");
  }
  const JsonValue* id = json_member(request, "id");
  JsonValue reply_id;  // null unless a valid id was given
  if (id != nullptr) {
    if (!id->is_null() && !id->is_string() && !id->is_number()) {
      return error_response(nullptr, kRpcInvalidRequest,
                            "invalid request: \"id\" must be a string, a number or null");
    }
    reply_id = *id;
  }
  const JsonValue* version = json_member(request, "jsonrpc");
  if (version == nullptr || !version->is_string() ||
      version->get_ref<const std::string&>() != "2.0") {
    return error_response(std::move(reply_id), kRpcInvalidRequest,
                          "invalid request: \"jsonrpc\" must be \"2.0\"");
  }
  const JsonValue* method = json_member(request, "method");
  if (method == nullptr || !method->is_string()) {
    return error_response(std::move(reply_id), kRpcInvalidRequest,
                          "invalid request: \"method\" must be a string");
  }
  // From here on the request is valid, so a notification gets no answer, even an error.
  *respond = id != nullptr;
  static const JsonValue kNoParams = JsonValue::array();
  const JsonValue* params = json_member(request, "params");
  if (params == nullptr) params = &kNoParams;
  if (!params->is_array() && !params->is_object()) {
    return error_response(std::move(reply_id), kRpcInvalidParams,
                          "invalid params: \"params\" must be an array or an object");
  }
  JsonValue response = JsonValue::object();
  response["jsonrpc"] = "2.0";
  call(method->get_ref<const std::string&>(), *params, &response);
  response["id"] = std::move(reply_id);
  return response;
}

std::string RpcServer::handle_request(std::string_view text) {
  Result<JsonValue> parsed = parse_json(text, options_.max_request_bytes);
  if (!parsed.is_ok()) {
    return json_text(
        error_response(nullptr, kRpcParseError, "parse error: " + parsed.error().message));
  }
  const JsonValue& request = parsed.value();
  bool respond = false;
  if (!request.is_array()) {
    JsonValue response = answer_one(request, &respond);
    return respond ? json_text(response) : std::string();
  }
  if (request.empty()) {
    return json_text(error_response(nullptr, kRpcInvalidRequest, "invalid request: empty batch"));
  }
  JsonValue responses = JsonValue::array();
  for (const JsonValue& element : request) {
    JsonValue response = answer_one(element, &respond);
    if (respond) responses.push_back(std::move(response));
  }
  // A batch of notifications gets no answer at all, not an empty array (JSON-RPC 2.0, 6).
  return responses.empty() ? std::string() : json_text(responses);
}

// --- RpcServer: lifecycle ------------------------------------------------------------------

Status RpcServer::start(const std::string& spec, unsigned mode) {
  if (thread_.joinable()) {
    return make_error(Errc::kInvalidArgument, "control socket: already serving on %s",
                      path_.c_str());
  }
  constexpr std::string_view kScheme = "unix:";
  if (spec.compare(0, kScheme.size(), kScheme) != 0 || spec.size() == kScheme.size()) {
    return make_error(Errc::kConfig,
                      "control socket '%s': expected unix:PATH (the only supported scheme)",
                      spec.c_str());
  }
  const std::string path = spec.substr(kScheme.size());
  sockaddr_un addr;
  if (!fill_sockaddr(path, &addr)) {
    return make_error(Errc::kConfig, "control socket %s: path too long (%zu bytes, at most %zu)",
                      path.c_str(), path.size(), sizeof(addr.sun_path) - 1);
  }
  if (Status s = make_parent_dirs(path); !s) return s;
  if (Status s = clear_stale_socket(path, addr); !s) return s;

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    return make_error(Errc::kIo, "control socket %s: socket(): %s", path.c_str(),
                      errno_text(errno).c_str());
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int err = errno;
    ::close(fd);
    return make_error(Errc::kIo, "control socket %s: bind: %s", path.c_str(),
                      errno_text(err).c_str());
  }
  // Clients cannot connect before listen(), so the mode is in force before anyone gets in.
  struct stat st;
  if (::chmod(path.c_str(), static_cast<mode_t>(mode)) != 0 || ::stat(path.c_str(), &st) != 0 ||
      ::listen(fd, 16) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return make_error(Errc::kIo, "control socket %s: cannot set mode %04o or listen: %s",
                      path.c_str(), mode, errno_text(err).c_str());
  }
  path_ = path;
  socket_dev_ = st.st_dev;
  socket_ino_ = st.st_ino;
  listen_fd_ = fd;
  if (Status s = start_thread(); !s) {
    stop();  // closes and unlinks the socket
    path_.clear();
    return s;
  }
  return Status::ok();
}

Status RpcServer::start_without_socket() {
  if (thread_.joinable()) {
    return make_error(Errc::kInvalidArgument, "control thread: already serving");
  }
  return start_thread();
}

Status RpcServer::start_thread() {
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    return make_error(Errc::kIo, "control thread: eventfd: %s", errno_text(errno).c_str());
  }
  wake_fd_ = wake;
  thread_ = std::thread([this] { serve(); });
  return Status::ok();
}

void RpcServer::stop() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    ssize_t n;
    do {
      n = ::write(wake_fd_, &one, sizeof(one));
    } while (n < 0 && errno == EINTR);
    thread_.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
    struct stat st;
    if (::lstat(path_.c_str(), &st) == 0 && st.st_dev == socket_dev_ && st.st_ino == socket_ino_) {
      ::unlink(path_.c_str());
    }
  }
  if (wake_fd_ >= 0) {
    ::close(wake_fd_);
    wake_fd_ = -1;
  }
}

// --- RpcServer: the serving loop -----------------------------------------------------------

void RpcServer::serve() {
  std::vector<Client> clients;
  std::vector<pollfd> fds;
  const auto close_client = [](Client& c) {
    ::close(c.fd);
    c.fd = -1;
  };
  // Answers every complete line in c.in; an oversized partial line ends the connection.
  const auto process_input = [&](Client& c) {
    size_t start = 0;
    for (size_t nl; (nl = c.in.find('\n', start)) != std::string::npos; start = nl + 1) {
      const std::string_view line(c.in.data() + start, nl - start);
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank line
      std::string response = handle_request(line);
      if (!response.empty()) {
        c.out += response;
        c.out.push_back('\n');
      }
      c.deadline_ms = control_now_ms() + options_.io_timeout_ms;
    }
    c.in.erase(0, start);
    if (c.in.size() > options_.max_request_bytes) {
      c.out += json_text(error_response(nullptr, kRpcParseError,
                                        "parse error: request larger than " +
                                            std::to_string(options_.max_request_bytes) + " bytes"));
      c.out.push_back('\n');
      c.in.clear();
      c.closing = true;
    }
  };

  // The services' descriptors follow the clients' in `fds`: [services_at, services_end[ per
  // service, in attach() order.
  std::vector<size_t> service_ends(services_.size());
  for (;;) {
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    // A negative descriptor (no socket: start_without_socket) is ignored by poll().
    const bool accepting = clients.size() < options_.max_clients;
    fds.push_back({listen_fd_, static_cast<short>(accepting ? POLLIN : 0), 0});
    int64_t next_deadline = INT64_MAX;
    for (const Client& c : clients) {
      // While a response is pending the client's input waits: a client that sends without
      // reading cannot make us buffer without bound.
      const short events = c.out.size() > c.out_sent ? POLLOUT : POLLIN;
      fds.push_back({c.fd, events, 0});
      next_deadline = std::min(next_deadline, c.deadline_ms);
    }
    const size_t services_at = fds.size();
    for (size_t i = 0; i < services_.size(); ++i) {
      next_deadline = std::min(next_deadline, services_[i]->want(&fds));
      service_ends[i] = fds.size();
    }
    int timeout = -1;
    if (next_deadline != INT64_MAX) {
      timeout =
          static_cast<int>(std::clamp<int64_t>(next_deadline - control_now_ms() + 1, 0, 60000));
    }
    if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) {
      // Only EFAULT/EINVAL/ENOMEM remain; back off rather than spin.
      ::usleep(10000);
      continue;
    }
    if (fds[0].revents != 0) break;

    for (size_t i = 0, begin = services_at; i < services_.size(); begin = service_ends[i++]) {
      services_[i]->ready(fds.data() + begin, service_ends[i] - begin);
    }

    for (size_t i = 0; i < clients.size(); ++i) {
      Client& c = clients[i];
      const short revents = fds[i + 2].revents;
      if (revents == 0) continue;
      if (revents & POLLOUT) {
        const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
          close_client(c);
          continue;
        }
        if (n > 0) {
          c.out_sent += static_cast<size_t>(n);
          c.deadline_ms = control_now_ms() + options_.io_timeout_ms;
          if (c.out_sent == c.out.size()) {
            c.out.clear();
            c.out_sent = 0;
            if (c.closing) close_client(c);
          }
        }
      } else if (revents & (POLLERR | POLLNVAL)) {
        close_client(c);
      } else if (revents & (POLLIN | POLLHUP)) {
        char buf[65536];
        const ssize_t n = ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n < 0) {
          if (errno != EAGAIN && errno != EINTR) close_client(c);
          continue;
        }
        if (n == 0) {
          // The peer finished sending: a last request without '\n' still gets its answer.
          if (c.in.find_first_not_of(" \t\r\n") != std::string::npos) c.in.push_back('\n');
          c.closing = true;
        } else {
          c.in.append(buf, static_cast<size_t>(n));
        }
        process_input(c);
        if (c.closing && c.out.empty()) close_client(c);
      }
    }

    const int64_t now = control_now_ms();
    for (Client& c : clients) {
      if (c.fd >= 0 && now >= c.deadline_ms) close_client(c);
    }
    clients.erase(
        std::remove_if(clients.begin(), clients.end(), [](const Client& c) { return c.fd < 0; }),
        clients.end());

    if (accepting && (fds[1].revents & POLLIN)) {
      while (clients.size() < options_.max_clients) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) break;  // EAGAIN, or a client that gave up (ECONNABORTED): poll again
        Client c;
        c.fd = fd;
        c.deadline_ms = now + options_.io_timeout_ms;
        clients.push_back(std::move(c));
      }
    }
  }
  // What is answered already goes out before the close, in one non-blocking attempt per client:
  // an RPC that stops the program (core.shutdown) answers before it stops. A reply is small and
  // the socket's buffer empty, so the attempt takes it whole; a client that reads nothing loses
  // the rest, never delays the stop.
  for (Client& c : clients) {
    if (c.fd >= 0 && c.out.size() > c.out_sent) {
      (void)::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                   MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    if (c.fd >= 0) close_client(c);
  }
  for (ControlService* service : services_) service->stopped();
}

}  // namespace sipring
