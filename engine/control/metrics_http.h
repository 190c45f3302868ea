// MetricsHttp: the Prometheus scrape endpoint (modparam("ctl", "metrics", "IP:PORT")), a small
// strict HTTP/1.x responder that answers GET /metrics and nothing else.
//
// Why our own and not prometheus-cpp-pull's Exposer: the Exposer runs civetweb, which brings its
// own threads (a listener and a worker pool: the metrics would not be served on the control
// thread) and can dlopen libssl.so at run time, and OpenSSL must never enter a process that
// uses BoringSSL (engine/tls). A scrape needs one request line, a few headers and one response,
// so the responder is this file, served from RpcServer's poll() loop as a ControlService:
// the text is built on the control thread (from the engine's thread-safe snapshots) and the
// reactors never see a scrape.
//
// The protocol it speaks (RFC 9112, strictly): a request head of at most
// MetricsHttpOptions::max_head_bytes ending in an empty line (CRLF, or bare LF as RFC 9112 2.2
// allows); a request line "METHOD SP TARGET SP HTTP/1.0|HTTP/1.1"; header fields "name: value"
// with a token name (no obsolete line folding); HTTP/1.1 needs Host. Answers, each with
// "Connection: close" (one request per connection; Prometheus reconnects):
//   200  GET /metrics (a query string is ignored), Content-Type: text/plain; version=0.0.4
//   400  a malformed request line or header, a request body (Content-Length other than 0, or
//        Transfer-Encoding), HTTP/1.1 without Host
//   404  any other path;  405  any other method (Allow: GET)
//   408  the head did not arrive within timeout_ms of the connection (slowloris)
//   431  the head is larger than max_head_bytes;  505  an HTTP version other than 1.0 and 1.1
//   503  max_clients connections are being served already
// Every limit is counted (MetricsHttpCounters: in /metrics itself, and in core.stats under
// "metrics") and logged (rate-limited: clients can cause them).
//
// Never blocks: sockets are non-blocking and every connection has a deadline, timeout_ms for
// its request head (counted from accept, not from its last byte, so trickling does not extend
// it) and timeout_ms again for reading the answer. After answering, the connection is shut for
// writing and the rest of the client's input is read and dropped (at most 1 MiB more, within
// the same deadline) before the close, so that unread input does not turn the close into a
// reset that destroys the answer in flight (nginx's lingering close, bounded).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/base/json.h"
#include "engine/base/log.h"
#include "engine/control/control_service.h"
#include "sipring/result.h"
#include "sipring/sock_addr.h"

namespace sipring {

struct MetricsHttpOptions {
  size_t max_head_bytes = 8192;  // a request line and headers larger than this: 431
  int timeout_ms = 5000;         // ctl.metrics_timeout_ms
  size_t max_clients = 8;        // ctl.metrics_max_clients
};

// What the responder answered and refused since it started (exported with the metrics).
struct MetricsHttpCounters {
  uint64_t scrapes = 0;          // 200
  uint64_t bad_requests = 0;     // 400
  uint64_t not_found = 0;        // 404
  uint64_t bad_methods = 0;      // 405
  uint64_t head_timeouts = 0;    // 408
  uint64_t heads_too_large = 0;  // 431
  uint64_t bad_versions = 0;     // 505
  uint64_t clients_refused = 0;  // 503 (max_clients)
  uint64_t answer_timeouts = 0;  // closed: the answer was not read within timeout_ms
};

// `counters` as core.stats shows them: {"scrapes": 3, "bad_requests": 0, ...}, each member by
// its name above. (/metrics labels the same counters by HTTP status: engine/api/metrics_text.cc.)
JsonValue metrics_http_json(const MetricsHttpCounters& counters);

// The verdict on one request head (exposed for tests): the status code, and for 200 nothing
// else. `head` is everything up to and including the empty line.
int metrics_http_verdict(std::string_view head);

class MetricsHttp final : public ControlService {
 public:
  // Returns the body of a 200 answer (the Prometheus text). Runs on the control thread.
  using Producer = std::function<std::string(const MetricsHttpCounters&)>;

  MetricsHttp(MetricsHttpOptions options, Producer producer);
  ~MetricsHttp() override;
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  // Binds `address` ("IP:PORT" or "[IPv6]:PORT", as ctl.metrics; port 0 picks a free one) and
  // listens. Errors name the address and the errno text.
  Status listen(const std::string& address);
  // The address listened on (with the port picked for port 0).
  const SockAddr& address() const { return bound_; }
  // What it has answered and refused so far. Control thread only: the counters are plain
  // integers counted there, and core.stats' handler reads them there (RpcServer serves the RPC
  // socket and this service from one poll() loop).
  const MetricsHttpCounters& counters() const { return counters_; }

  // ControlService: called on the control thread only.
  int64_t want(std::vector<pollfd>* fds) override;
  void ready(const pollfd* fds, size_t n) override;
  void stopped() override;

 private:
  struct Client {
    int fd = -1;
    std::string in;   // the request head as received so far
    std::string out;  // the answer
    size_t out_sent = 0;
    int64_t deadline_ms = 0;  // closed when this passes
    bool answered = false;    // `out` is the answer: send it, then drain and close
    bool draining = false;    // answer sent and write side shut: read and drop until EOF
    size_t drained = 0;       // bytes dropped while draining
    SockAddr peer;
  };

  void accept_clients(int64_t now);
  void read_from(Client& c, int64_t now);
  void write_to(Client& c, int64_t now);
  void answer(Client& c, int status, int64_t now);
  void close_client(Client& c);

  const MetricsHttpOptions options_;
  const Producer producer_;
  int listen_fd_ = -1;
  SockAddr bound_;
  std::vector<Client> clients_;
  MetricsHttpCounters counters_;
  RateLimitedLog log_limit_{10};
};

}  // namespace sipring
