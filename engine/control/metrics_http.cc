// MetricsHttp: the strict HTTP/1.x responder for GET /metrics (see engine/control/metrics_http.h
// for the protocol it speaks, its limits, and why it is ours and not civetweb's).
#include "engine/control/metrics_http.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <exception>

#include "engine/base/error_format.h"

namespace sipring {

namespace {

// What a client may still send after its answer, read and dropped before the close (see
// write_to): enough for the rest of an oversized head, then the close resets it.
constexpr size_t kMaxDrainBytes = size_t{1} << 20;

// RFC 9110 5.6.2: tchar.
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::strchr("!#$%&'*+-.^_`|~", c) != nullptr && c != '\0';
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), is_tchar);
}

// A field value or request target: visible characters, spaces and tabs (and obs-text), no
// control characters (a bare CR, NUL, DEL...).
bool is_field_text(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The next line of `rest` without its LF and an optional CR before it; a CR anywhere else
// makes the line invalid (`*ok` false).
std::string_view next_line(std::string_view* rest, bool* ok) {
  const size_t nl = rest->find('\n');
  std::string_view line = rest->substr(0, nl);
  *rest = nl == std::string_view::npos ? std::string_view() : rest->substr(nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  *ok = line.find('\r') == std::string_view::npos;
  return line;
}

// Where the head ends in `in` (just past its empty line), or npos while it is incomplete.
size_t head_end(std::string_view in) {
  for (size_t pos = 0;;) {
    const size_t nl = in.find('\n', pos);
    if (nl == std::string_view::npos) return std::string_view::npos;
    const size_t len = nl - pos;
    if (len == 0 || (len == 1 && in[pos] == '\r')) return nl + 1;
    pos = nl + 1;
  }
}

const char* reason_of(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Internal Server Error";
  }
}

// A complete answer with "Connection: close"; errors carry a one-line text body saying why.
std::string response(int status, std::string_view body) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) + "\r\n";
  out += status == 200 ? "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                       : "Content-Type: text/plain; charset=utf-8\r\n";
  if (status == 405) out += "Allow: GET\r\n";
  out += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
  out += body;
  return out;
}

std::string error_body(int status) {
  switch (status) {
    case 404:
      return "404 Not Found: this server answers GET /metrics only\n";
    case 405:
      return "405 Method Not Allowed: only GET is served\n";
    case 408:
      return "408 Request Timeout: the request did not arrive in time\n";
    case 431:
      return "431 Request Header Fields Too Large\n";
    case 503:
      return "503 Service Unavailable: too many metrics clients at once\n";
    case 505:
      return "505 HTTP Version Not Supported: HTTP/1.0 and HTTP/1.1 only\n";
    case 400:
      return "400 Bad Request: malformed HTTP request\n";
    default:
      return std::to_string(status) + " " + reason_of(status) + "\n";
  }
}

}  // namespace

int metrics_http_verdict(std::string_view head) {
  bool ok = true;
  std::string_view rest = head;
  const std::string_view request_line = next_line(&rest, &ok);
  if (!ok) return 400;
  // METHOD SP TARGET SP VERSION, single spaces.
  const size_t sp1 = request_line.find(' ');
  const size_t sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return 400;
  const std::string_view method = request_line.substr(0, sp1);
  const std::string_view target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = request_line.substr(sp2 + 1);
  if (!is_token(method) || target.empty() || !is_field_text(target) ||
      target.find_first_of(" \t") != std::string_view::npos) {
    return 400;
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
    return 400;
  }
  const bool http11 = version == "HTTP/1.1";
  const bool supported = http11 || version == "HTTP/1.0";

  size_t hosts = 0;
  for (;;) {
    if (rest.empty()) return 400;  // no empty line: not a complete head
    const std::string_view line = next_line(&rest, &ok);
    if (!ok) return 400;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) return 400;
    // A name with whitespace before the colon, or a line starting with whitespace (obsolete
    // folding), is refused as RFC 9112 5.1 and 5.2 ask.
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = trim_ows(line.substr(colon + 1));
    if (!is_token(name) || !is_field_text(value)) return 400;
    if (iequals(name, "host")) hosts++;
    // A GET for /metrics has no body; one announced is refused rather than left unread.
    if (iequals(name, "transfer-encoding")) return 400;
    if (iequals(name, "content-length") && value != "0") return 400;
  }
  if (!rest.empty()) return 400;  // the head must end at its empty line
  if (!supported) return 505;
  if (hosts > 1 || (http11 && hosts == 0)) return 400;  // RFC 9112 3.2

  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics") return 404;
  if (method != "GET") return 405;
  return 200;
}

JsonValue metrics_http_json(const MetricsHttpCounters& counters) {
  static_assert(sizeof(MetricsHttpCounters) == 9 * sizeof(uint64_t),
                "a new counter needs its name here (and its label in engine/api/metrics_text.cc)");
  JsonValue out = JsonValue::object();
  out["scrapes"] = counters.scrapes;
  out["bad_requests"] = counters.bad_requests;
  out["not_found"] = counters.not_found;
  out["bad_methods"] = counters.bad_methods;
  out["head_timeouts"] = counters.head_timeouts;
  out["heads_too_large"] = counters.heads_too_large;
  out["bad_versions"] = counters.bad_versions;
  out["clients_refused"] = counters.clients_refused;
  out["answer_timeouts"] = counters.answer_timeouts;
  return out;
}

MetricsHttp::MetricsHttp(MetricsHttpOptions options, Producer producer)
    : options_(options), producer_(std::move(producer)) {}

MetricsHttp::~MetricsHttp() {
  stopped();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

Status MetricsHttp::listen(const std::string& address) {
  SockAddr addr;
  if (!SockAddr::parse(address, &addr)) {
    return make_error(Errc::kConfig,
                      "ctl.metrics '%s': expected IP:PORT or [IPv6]:PORT (e.g. 127.0.0.1:9090)",
                      address.c_str());
  }
  const int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return make_error(Errc::kIo, "ctl.metrics %s: socket(): %s", address.c_str(),
                      std::strerror(errno));
  }
  const int one = 1;
  (void)::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (addr.family() == AF_INET6) {
    (void)::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  }
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (::bind(fd, addr.sa(), addr.len()) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return make_error(Errc::kIo, "ctl.metrics %s: cannot listen: %s", address.c_str(),
                      std::strerror(err));
  }
  bound_ = SockAddr::from(reinterpret_cast<const sockaddr*>(&ss), len);
  listen_fd_ = fd;
  return Status::ok();
}

int64_t MetricsHttp::want(std::vector<pollfd>* fds) {
  fds->push_back({listen_fd_, POLLIN, 0});
  int64_t next = INT64_MAX;
  for (const Client& c : clients_) {
    const bool sending = c.answered && !c.draining;
    fds->push_back({c.fd, static_cast<short>(sending ? POLLOUT : POLLIN), 0});
    next = std::min(next, c.deadline_ms);
  }
  return next;
}

void MetricsHttp::ready(const pollfd* fds, size_t n) {
  if (n != clients_.size() + 1) return;  // not what want() gave: nothing to match (never)
  int64_t now = control_now_ms();
  for (size_t i = 0; i < clients_.size(); i++) {
    Client& c = clients_[i];
    const short revents = fds[i + 1].revents;
    if (revents & POLLNVAL) {
      close_client(c);
    } else if (revents & POLLOUT) {
      write_to(c, now);
    } else if (revents & (POLLIN | POLLHUP | POLLERR)) {
      read_from(c, now);
    }
  }
  now = control_now_ms();
  for (Client& c : clients_) {
    if (c.fd < 0 || now < c.deadline_ms) continue;
    if (!c.answered) {
      counters_.head_timeouts++;
      SIPRING_LOG_LIMITED(log_limit_, uint64_t(now) * 1000000, kLogNotice, "metrics",
                          "client %s: no complete request within ctl.metrics_timeout_ms (%d ms): "
                          "answered 408 and closing",
                          AddrText(c.peer).c_str(), options_.timeout_ms);
      answer(c, 408, now);
    } else {
      if (!c.draining) {
        counters_.answer_timeouts++;
        SIPRING_LOG_LIMITED(log_limit_, uint64_t(now) * 1000000, kLogNotice, "metrics",
                            "client %s: did not read its answer within ctl.metrics_timeout_ms "
                            "(%d ms): reset",
                            AddrText(c.peer).c_str(), options_.timeout_ms);
        // A reset, not a close: the kernel would go on sending what our socket buffer holds
        // (megabytes) to a client that does not read, long after the close.
        const linger reset{1, 0};
        (void)::setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
      }
      close_client(c);
    }
  }
  clients_.erase(
      std::remove_if(clients_.begin(), clients_.end(), [](const Client& c) { return c.fd < 0; }),
      clients_.end());
  if (fds[0].revents & POLLIN) accept_clients(now);
}

void MetricsHttp::stopped() {
  for (Client& c : clients_) close_client(c);
  clients_.clear();
}

void MetricsHttp::accept_clients(int64_t now) {
  // Bounded per call, so a flood of connections cannot hold the control thread (the RPC
  // clients are served between two batches).
  for (int i = 0; i < 64; i++) {
    sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    const int fd =
        ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or a client that gave up: poll again
    const SockAddr peer = SockAddr::from(reinterpret_cast<const sockaddr*>(&ss), len);
    if (clients_.size() >= options_.max_clients) {
      // One attempt to say why, then the close: the connection never waits on us.
      counters_.clients_refused++;
      SIPRING_LOG_LIMITED(log_limit_, uint64_t(now) * 1000000, kLogNotice, "metrics",
                          "client %s refused: ctl.metrics_max_clients (%zu) are being served "
                          "(answered 503)",
                          AddrText(peer).c_str(), options_.max_clients);
      const std::string busy = response(503, error_body(503));
      (void)::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      ::shutdown(fd, SHUT_WR);
      ::close(fd);
      continue;
    }
    Client c;
    c.fd = fd;
    c.peer = peer;
    c.deadline_ms = now + options_.timeout_ms;  // from accept: trickling does not extend it
    clients_.push_back(std::move(c));
  }
}

void MetricsHttp::read_from(Client& c, int64_t now) {
  char buf[16384];
  if (c.draining) {
    // Everything that is there at once (bounded by kMaxDrainBytes), so the slot frees soon.
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) c.drained += static_cast<size_t>(n);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || c.drained > kMaxDrainBytes) {
        close_client(c);
        return;
      }
      if (n < 0) return;  // EAGAIN: the rest, or the client's close, comes later
    }
  }
  // Never read past the limit: one byte more than max_head_bytes says "too large".
  const size_t room = options_.max_head_bytes + 1 - c.in.size();
  const ssize_t n = ::recv(c.fd, buf, std::min(room, sizeof(buf)), MSG_DONTWAIT);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) close_client(c);
    return;
  }
  if (n == 0) {
    // The client stopped sending: a partial request is answered (it may still read), an empty
    // connection (a TCP check) is simply closed.
    if (c.in.empty()) {
      close_client(c);
    } else {
      counters_.bad_requests++;
      answer(c, 400, now);
    }
    return;
  }
  c.in.append(buf, static_cast<size_t>(n));
  const size_t end = head_end(c.in);
  if (end == std::string::npos || end > options_.max_head_bytes) {
    if (c.in.size() > options_.max_head_bytes) {
      counters_.heads_too_large++;
      SIPRING_LOG_LIMITED(log_limit_, uint64_t(now) * 1000000, kLogNotice, "metrics",
                          "client %s: request head over %zu bytes: answered 431",
                          AddrText(c.peer).c_str(), options_.max_head_bytes);
      answer(c, 431, now);
    }
    return;
  }
  const int status = metrics_http_verdict(std::string_view(c.in).substr(0, end));
  switch (status) {
    case 200:
      counters_.scrapes++;
      break;
    case 404:
      counters_.not_found++;
      break;
    case 405:
      counters_.bad_methods++;
      break;
    case 505:
      counters_.bad_versions++;
      break;
    default:
      counters_.bad_requests++;
      break;
  }
  if (status != 200) {
    const std::string_view line =
        std::string_view(c.in).substr(0, std::min(c.in.find_first_of("\r\n"), size_t{120}));
    SIPRING_LOG_LIMITED(log_limit_, uint64_t(now) * 1000000, kLogInfo, "metrics",
                        "client %s: answered %d to \"%.*s\"", AddrText(c.peer).c_str(), status,
                        static_cast<int>(line.size()), line.data());
  }
  answer(c, status, now);
}

void MetricsHttp::answer(Client& c, int status, int64_t now) {
  if (status == 200) {
    // The producer reads the engine's snapshots; a failure there (bad_alloc) must cost this
    // scrape, not the control thread.
    try {
      c.out = response(200, producer_(counters_));
    } catch (const std::exception& e) {
      SIPRING_LOG(kLogErr, "metrics", "building the metrics failed: %s", e.what());
      c.out = response(500, error_body(500));
    }
  } else {
    c.out = response(status, error_body(status));
  }
  c.in.clear();
  c.in.shrink_to_fit();
  c.out_sent = 0;
  c.answered = true;
  c.deadline_ms = now + options_.timeout_ms;
  write_to(c, now);
}

void MetricsHttp::write_to(Client& c, int64_t now) {
  (void)now;
  const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) close_client(c);
    return;
  }
  c.out_sent += static_cast<size_t>(n);
  if (c.out_sent < c.out.size()) return;
  // Answered: shut our side, then read what the client still sends until it closes, so that
  // unread input does not make the close a reset that could destroy the answer in flight.
  c.out.clear();
  c.out.shrink_to_fit();
  c.draining = true;
  ::shutdown(c.fd, SHUT_WR);
}

void MetricsHttp::close_client(Client& c) {
  if (c.fd >= 0) ::close(c.fd);
  c.fd = -1;
}

}  // namespace sipring
