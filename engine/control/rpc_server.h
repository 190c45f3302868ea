// RpcServer: sipring's control socket. JSON-RPC 2.0 over a local Unix stream socket, one JSON
// text per line each way, served by one thread of its own.
//
// This file knows nothing about the engine: the integrator registers the methods (cfg.get,
// conn.list, ...) with add(), and their handlers run on the control thread. That thread may block
// and allocate, so a handler must reach engine state only through the engine's thread-safe
// control API, never by touching reactor internals.
//
// Protocol (https://www.jsonrpc.org/specification), framed like Kamailio's jsonrpcs FIFO/socket
// transports: each request is one JSON text followed by '\n'; each response likewise. Batches
// (arrays) get an array of responses; notifications (no "id") get none. Error codes: -32700
// parse error, -32600 invalid request, -32601 method not found, -32602 invalid params, -32603
// internal error; a handler's Error becomes 400 (kInvalidArgument, kConfig), 404
// (kUnknownConnection) or 500 (anything else) with the handler's message, as jsonrpcs does.
// Built-in methods: system.listMethods and system.help METHOD.
//
// Requests are parsed by parse_json() (engine/base/json.h), without exceptions: a key given twice
// or nesting deeper than kJsonMaxDepth is a parse error like any malformed text, and replies keep
// the order in which handlers built their objects.
//
// Robustness: a request may be at most RpcServerOptions::max_request_bytes; connections are
// multiplexed with poll(), so a slow client delays nobody, and a client that neither completes a
// request nor reads its response within io_timeout_ms is disconnected.
//
// Other control services (the Prometheus /metrics responder) run on the same thread: attach()
// them and the poll() loop serves their sockets too (engine/control/control_service.h).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/base/json.h"
#include "engine/control/control_service.h"
#include "sipring/result.h"

namespace sipring {

struct RpcServerOptions {
  // The largest request line accepted (a batch counts as one request).
  size_t max_request_bytes = size_t{1} << 20;
  // How long a connection may take to complete a request (from its connection or its previous
  // request) or to read a pending response before it is closed.
  int io_timeout_ms = 5000;
  // Connections served at once; further clients wait in the listen backlog.
  size_t max_clients = 16;
};

// JSON-RPC error codes (the spec's and the jsonrpcs-style application codes).
inline constexpr int kRpcParseError = -32700;
inline constexpr int kRpcInvalidRequest = -32600;
inline constexpr int kRpcMethodNotFound = -32601;
inline constexpr int kRpcInvalidParams = -32602;
inline constexpr int kRpcInternalError = -32603;

// The JSON-RPC error code for a handler's error: 400 for kInvalidArgument and kConfig (the
// caller sent something wrong), 404 for kUnknownConnection, 500 otherwise.
int rpc_error_code(Errc code) noexcept;

class RpcServer {
 public:
  // Receives the request's "params": an array (empty when the request had none) or an object.
  // Returns the "result" or an Error (see rpc_error_code). Runs on the control thread, one call
  // at a time, so a handler that blocks stalls every control client (not the engine).
  using Handler = std::function<Result<JsonValue>(const JsonValue& params)>;

  explicit RpcServer(RpcServerOptions options = {});
  ~RpcServer();
  RpcServer(const RpcServer&) = delete;
  RpcServer& operator=(const RpcServer&) = delete;

  // Registers `method` with its parameter `signature` (e.g. "MODULE NAME VALUE", "" for none)
  // and a one-line `help`, both shown by system.help. Registering a name again replaces it.
  // Safe to call before or after start(), from any thread.
  void add(std::string method, std::string signature, std::string help, Handler handler);

  // Listens on `spec`, which must be "unix:PATH", and serves on a new thread. Creates missing
  // parent directories (mode 0700), removes a stale socket file nobody listens on, refuses to
  // replace a live server's socket or a file that is not a socket, and sets the socket file's
  // permissions to `mode` before accepting anyone. Errors name the path and the errno text.
  Status start(const std::string& spec, unsigned mode = 0600);

  // Serves only the attached services, with no control socket (ctl.socket "" with ctl.metrics
  // set): the same thread and loop as start(), path() stays "".
  Status start_without_socket();

  // Adds `service` to the serving loop. Before start() only; the service must outlive stop().
  void attach(ControlService* service) { services_.push_back(service); }

  // Stops serving: wakes and joins the thread, sends each connection the answers it has not
  // read yet (one non-blocking attempt), closes every connection and the socket, and
  // removes the socket file (if it is still the one this server created). Idempotent. Must not
  // be called from a handler (it joins the thread the handler runs on).
  void stop();

  // The socket's file system path ("" before start()).
  std::string path() const { return path_; }

  // Answers one request text (without its '\n'): the response text (without '\n'), or "" when
  // nothing must be sent (notifications, batches of notifications). This is what the serving
  // thread does with each line; exposed for tests and in-process callers. Thread-safe.
  std::string handle_request(std::string_view text);

 private:
  struct Method {
    std::string signature;
    std::string help;
    Handler handler;
  };

  JsonValue answer_one(const JsonValue& request, bool* respond);
  // Runs the handler of `name`; sets the "result" or "error" member of `response`.
  void call(const std::string& name, const JsonValue& params, JsonValue* response);
  Result<JsonValue> list_methods(const JsonValue& params);
  Result<JsonValue> help(const JsonValue& params);
  Status start_thread();
  void serve();

  const RpcServerOptions options_;
  std::mutex methods_mu_;
  std::map<std::string, Method, std::less<>> methods_;

  std::string path_;
  dev_t socket_dev_ = 0;  // identify our socket file so stop() never unlinks a successor's
  ino_t socket_ino_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop() writes it to end serve()
  std::vector<ControlService*> services_;
  std::thread thread_;
};

}  // namespace sipring
