// Tests of MetricsHttp, the /metrics responder: what a request head earns (the verdict table:
// malformed, wrong method, path, version), and over real loopback TCP served from RpcServer's
// poll loop (start_without_socket): a scrape, each error answer on the wire, oversize heads,
// slow clients (slowloris, a client that never reads), max_clients, and that none of them holds
// up a well-behaved scrape or the RPC socket; and the counters as core.stats shows them.
#include "engine/control/metrics_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/control/rpc_server.h"

namespace sipring {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// --- The verdict on a request head ---------------------------------------------------------

TEST(MetricsHttpVerdict, ScrapesAreAnswered) {
  EXPECT_EQ(metrics_http_verdict("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
  EXPECT_EQ(metrics_http_verdict("GET /metrics HTTP/1.0\r\n\r\n"), 200);
  EXPECT_EQ(metrics_http_verdict("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
  // Prometheus's own headers, bare LF line ends (RFC 9112 2.2), empty values, Content-Length 0.
  EXPECT_EQ(metrics_http_verdict("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9090\r\n"
                                 "User-Agent: Prometheus/2.42.0\r\nAccept: application/"
                                 "openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,"
                                 "*/*;q=0.1\r\nAccept-Encoding: gzip\r\n"
                                 "X-Prometheus-Scrape-Timeout-Seconds: 10\r\n\r\n"),
            200);
  EXPECT_EQ(metrics_http_verdict("GET /metrics HTTP/1.1\nHost: x\nX-Empty:\n\n"), 200);
  EXPECT_EQ(metrics_http_verdict("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"),
            200);
}

TEST(MetricsHttpVerdict, MalformedIs400) {
  const char* bad[] = {
      "\r\n",                                                           // no request line
      "GET /metrics\r\n\r\n",                                           // no version
      "GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n",                      // two spaces
      "GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n",                      // trailing space
      "GET /metrics HTTP/1.1\r\n\r\n",                                  // HTTP/1.1 without Host
      "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",            // two Hosts
      "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n",                      // space before the colon
      "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",            // obsolete line folding
      "GET /metrics HTTP/1.1\r\nHost x\r\n\r\n",                        // no colon
      "GET /metrics HTTP/1.1\r\nHost: x\ry\r\n\r\n",                    // bare CR
      "GET /metrics HTTP/1.1\r\nHost: \x01\r\n\r\n",                    // control character
      "G(T /metrics HTTP/1.1\r\nHost: x\r\n\r\n",                       // method not a token
      "GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",  // a body
      "GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",  // a body
      "GET /metrics HTTP/1\r\n\r\n",               // version malformed
      "GET /metrics http/1.1\r\nHost: x\r\n\r\n",  // version is case-sensitive
      "GET /metrics HTTP/1.1\r\nHost: x\r\n",      // head not complete
  };
  for (const char* head : bad) EXPECT_EQ(metrics_http_verdict(head), 400) << head;
}

TEST(MetricsHttpVerdict, OtherPathsMethodsAndVersions) {
  EXPECT_EQ(metrics_http_verdict("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
  EXPECT_EQ(metrics_http_verdict("GET /metrics/ HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
  EXPECT_EQ(metrics_http_verdict("GET /metricsx HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
  EXPECT_EQ(metrics_http_verdict("POST /x HTTP/1.1\r\nHost: x\r\n\r\n"), 404);
  EXPECT_EQ(metrics_http_verdict("POST /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
  EXPECT_EQ(metrics_http_verdict("HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
  EXPECT_EQ(metrics_http_verdict("get /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
  EXPECT_EQ(metrics_http_verdict("GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(metrics_http_verdict("GET /metrics HTTP/0.9\r\n\r\n"), 505);
}

// --- Over loopback TCP ---------------------------------------------------------------------

// A raw TCP client: the bytes on the wire are exactly what the test writes.
class TcpClient {
 public:
  explicit TcpClient(const SockAddr& to) {
    fd_ = ::socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    connected_ = ::connect(fd_, to.sa(), to.len()) == 0;
  }
  ~TcpClient() { ::close(fd_); }
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool connected() const { return connected_; }
  // Sends what fits; false once the peer is gone.
  bool send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Everything until the server closes, or what arrived by `timeout_ms`.
  std::string read_all(int timeout_ms = 3000) {
    std::string out;
    const auto start = Clock::now();
    for (;;) {
      const int left = timeout_ms - static_cast<int>(ms_since(start));
      if (left <= 0) return out;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, left) <= 0) return out;
      char buf[65536];
      const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        closed_ = true;
        return out;
      }
      out.append(buf, static_cast<size_t>(n));
    }
  }
  bool closed() const { return closed_; }
  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
};

std::string status_line(const std::string& response) {
  return response.substr(0, response.find("\r\n"));
}

std::string body_of(const std::string& response) {
  const size_t at = response.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : response.substr(at + 4);
}

class MetricsHttpServer : public ::testing::Test {
 protected:
  void start(MetricsHttpOptions options = {}, const char* address = "127.0.0.1:0") {
    http_ = std::make_unique<MetricsHttp>(options, [this](const MetricsHttpCounters& c) {
      seen_ = c;
      scrapes_++;
      return std::string("sipring_test_total 42\n");
    });
    ASSERT_TRUE(http_->listen(address)) << address;
    rpc_.attach(http_.get());
    ASSERT_TRUE(rpc_.start_without_socket());
  }
  void TearDown() override { rpc_.stop(); }

  std::string get(std::string_view request, int timeout_ms = 3000) {
    TcpClient c(http_->address());
    EXPECT_TRUE(c.connected());
    c.send(request);
    return c.read_all(timeout_ms);
  }

  RpcServer rpc_;
  std::unique_ptr<MetricsHttp> http_;
  std::atomic<int> scrapes_{0};
  MetricsHttpCounters seen_;
};

TEST_F(MetricsHttpServer, AnswersAScrape) {
  start();
  const std::string r = get("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
            std::string::npos)
      << r;
  EXPECT_NE(r.find("\r\nContent-Length: 22\r\n"), std::string::npos) << r;
  EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos) << r;
  EXPECT_EQ(body_of(r), "sipring_test_total 42\n");
  // HTTP/1.0, no Host; then the producer sees the counters of the scrapes so far.
  EXPECT_EQ(status_line(get("GET /metrics HTTP/1.0\r\n\r\n")), "HTTP/1.1 200 OK");
  EXPECT_EQ(scrapes_.load(), 2);
  EXPECT_EQ(seen_.scrapes, 2u);
}

TEST_F(MetricsHttpServer, CountsEveryAnswerAsCoreStatsShowsThem) {
  start();
  for (const char* request : {"GET /metrics HTTP/1.0\r\n\r\n", "GET /metrics HTTP/1.0\r\n\r\n",
                              "GET /other HTTP/1.0\r\n\r\n", "PUT /metrics HTTP/1.0\r\n\r\n",
                              "GARBAGE\r\n\r\n", "GET /metrics HTTP/2.0\r\n\r\n"}) {
    EXPECT_FALSE(status_line(get(request)).empty()) << request;
  }
  rpc_.stop();  // joins the control thread, which counts: its counts are all seen from here
  EXPECT_EQ(json_text(metrics_http_json(http_->counters())),
            R"({"scrapes":2,"bad_requests":1,"not_found":1,"bad_methods":1,"head_timeouts":0,)"
            R"("heads_too_large":0,"bad_versions":1,"clients_refused":0,"answer_timeouts":0})");
}

TEST(MetricsHttpJson, EveryCounterByItsName) {
  const MetricsHttpCounters c{1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(json_text(metrics_http_json(c)),
            R"({"scrapes":1,"bad_requests":2,"not_found":3,"bad_methods":4,"head_timeouts":5,)"
            R"("heads_too_large":6,"bad_versions":7,"clients_refused":8,"answer_timeouts":9})");
}

TEST_F(MetricsHttpServer, ServesIPv6Loopback) {
  start({}, "[::1]:0");
  EXPECT_EQ(http_->address().family(), AF_INET6);
  EXPECT_EQ(status_line(get("GET /metrics HTTP/1.1\r\nHost: [::1]\r\n\r\n")), "HTTP/1.1 200 OK");
}

TEST_F(MetricsHttpServer, ErrorsOnTheWire) {
  start();
  struct Case {
    const char* request;
    const char* status;
  } cases[] = {
      {"GET /other HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404 Not Found"},
      {"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
       "HTTP/1.1 405 Method Not Allowed"},
      {"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported"},
      {"\x16\x03\x01\x02\x01\x01\x03\x03\n\n", "HTTP/1.1 400 Bad Request"},  // TLS bytes
  };
  for (const Case& c : cases) {
    const std::string r = get(c.request);
    EXPECT_EQ(status_line(r), c.status) << c.request;
    EXPECT_NE(r.find("Connection: close"), std::string::npos);
  }
  EXPECT_NE(get("PUT /metrics HTTP/1.1\r\nHost: x\r\n\r\n").find("\r\nAllow: GET\r\n"),
            std::string::npos);
  // A request cut short by the client's EOF is answered too.
  TcpClient c(http_->address());
  c.send("GET /metr");
  c.shutdown_write();
  EXPECT_EQ(status_line(c.read_all()), "HTTP/1.1 400 Bad Request");
  EXPECT_EQ(scrapes_.load(), 0);
}

TEST_F(MetricsHttpServer, OversizedHeadIs431AndBounded) {
  MetricsHttpOptions o;
  o.max_head_bytes = 1024;
  start(o);
  TcpClient c(http_->address());
  std::string big = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(64 * 1024, 'a');
  c.send(big.substr(0, 2048));  // more than the limit, and the rest is refused or dropped
  const std::string r = c.read_all();
  EXPECT_EQ(status_line(r), "HTTP/1.1 431 Request Header Fields Too Large");
  EXPECT_TRUE(c.closed());
  // Still serving.
  EXPECT_EQ(status_line(get("GET /metrics HTTP/1.0\r\n\r\n")), "HTTP/1.1 200 OK");
}

TEST_F(MetricsHttpServer, SlowlorisGets408InTimeAndNeverBlocksOthers) {
  MetricsHttpOptions o;
  o.timeout_ms = 400;
  start(o);
  const auto start_time = Clock::now();
  TcpClient slow(http_->address());
  ASSERT_TRUE(slow.connected());
  slow.send("GET /metrics HTTP/1.1\r\n");
  // While it trickles a header byte every 100 ms, a well-behaved scrape is answered at once.
  for (int i = 0; i < 3; i++) {
    const auto t = Clock::now();
    EXPECT_EQ(status_line(get("GET /metrics HTTP/1.0\r\n\r\n")), "HTTP/1.1 200 OK");
    EXPECT_LT(ms_since(t), 300);
    slow.send("X");
    usleep(100 * 1000);
  }
  // Trickling does not extend the deadline: 408 about timeout_ms after the connection.
  const std::string r = slow.read_all(3000);
  EXPECT_EQ(status_line(r), "HTTP/1.1 408 Request Timeout");
  EXPECT_TRUE(slow.closed());
  EXPECT_GE(ms_since(start_time), 380);
  EXPECT_LT(ms_since(start_time), 1500);
}

TEST_F(MetricsHttpServer, AClientThatNeverReadsIsClosed) {
  // An 8 MiB answer the client never reads: dropped after timeout_ms, and others are served
  // meanwhile. timeout_ms bounds every client's answer, the reading one's too: 1.5 s lets it
  // read its 8 MiB on a loaded machine (300 ms cut it short with four copies of this test
  // running at once).
  MetricsHttpOptions o;
  o.timeout_ms = 1500;
  http_ = std::make_unique<MetricsHttp>(
      o, [](const MetricsHttpCounters&) { return std::string(8 << 20, 'x'); });
  ASSERT_TRUE(http_->listen("127.0.0.1:0"));
  rpc_.attach(http_.get());
  ASSERT_TRUE(rpc_.start_without_socket());
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int small = 4096;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  ASSERT_EQ(::connect(fd, http_->address().sa(), http_->address().len()), 0);
  const std::string req = "GET /metrics HTTP/1.0\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  usleep(100 * 1000);
  {
    TcpClient other(http_->address());
    other.send(req);
    const auto t = Clock::now();
    const std::string r = other.read_all(5000);
    EXPECT_EQ(status_line(r), "HTTP/1.1 200 OK");
    EXPECT_EQ(r.size() - r.find("\r\n\r\n") - 4, size_t{8} << 20);
    EXPECT_LT(ms_since(t), 3000);
  }
  usleep(1800 * 1000);  // past timeout_ms: the client that never read is gone
  // What was in flight, then EOF or a reset: the server closed it before sending it all.
  char buf[65536];
  size_t total = 0;
  ssize_t n = 0;
  for (int i = 0; i < 400 && (n = ::recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0; i++) {
    total += static_cast<size_t>(n);
  }
  EXPECT_LE(n, 0);
  if (n < 0) EXPECT_NE(errno, EAGAIN) << "still open after " << total << " bytes";
  EXPECT_LT(total, size_t{8} << 20);
  ::close(fd);
}

TEST_F(MetricsHttpServer, MaxClientsAnswers503) {
  MetricsHttpOptions o;
  o.max_clients = 2;
  o.timeout_ms = 2000;
  start(o);
  auto a = std::make_unique<TcpClient>(http_->address());
  TcpClient b(http_->address());
  ASSERT_TRUE(a->connected() && b.connected());
  a->send("GET");
  b.send("GET");
  usleep(100 * 1000);  // both accepted and holding their slots
  const std::string r = get("GET /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_line(r), "HTTP/1.1 503 Service Unavailable");
  // A slot frees when its client has its answer and closes (until then the server reads what
  // it may still send, for timeout_ms at most).
  a->send(" /metrics HTTP/1.0\r\n\r\n");
  EXPECT_EQ(status_line(a->read_all()), "HTTP/1.1 200 OK");
  a.reset();
  usleep(50 * 1000);
  EXPECT_EQ(status_line(get("GET /metrics HTTP/1.0\r\n\r\n")), "HTTP/1.1 200 OK");
}

TEST_F(MetricsHttpServer, RpcSocketKeepsWorkingBesideIt) {
  // The RPC socket and the metrics port on one thread: a slowloris on the port does not delay
  // an RPC.
  const std::string dir = ::testing::TempDir() + "metrics_http_rpc";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/ctl.sock";
  MetricsHttpOptions o;
  o.timeout_ms = 2000;
  http_ = std::make_unique<MetricsHttp>(o, [](const MetricsHttpCounters&) { return "x 1\n"; });
  ASSERT_TRUE(http_->listen("127.0.0.1:0"));
  rpc_.attach(http_.get());
  ASSERT_TRUE(rpc_.start("unix:" + path));
  TcpClient slow(http_->address());
  slow.send("GET /metrics HTTP/1.1\r\nX-Slow: ");
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  const std::string req = R"({"jsonrpc":"2.0","method":"system.listMethods","id":1})"
                          "\n";
  const auto t = Clock::now();
  ASSERT_EQ(::send(fd, req.data(), req.size(), 0), static_cast<ssize_t>(req.size()));
  pollfd p{fd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 1000), 1);
  char buf[4096];
  const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
  ASSERT_GT(n, 0);
  EXPECT_NE(std::string(buf, static_cast<size_t>(n)).find("system.help"), std::string::npos);
  EXPECT_LT(ms_since(t), 500);
  ::close(fd);
}

TEST(MetricsHttpListen, RefusesBadAddressesAndBusyPorts) {
  MetricsHttp a({}, [](const MetricsHttpCounters&) { return std::string(); });
  EXPECT_FALSE(a.listen("localhost:9090"));
  EXPECT_FALSE(a.listen("300.1.1.1:9090"));
  ASSERT_TRUE(a.listen("127.0.0.1:0"));
  MetricsHttp b({}, [](const MetricsHttpCounters&) { return std::string(); });
  const Status s = b.listen(a.address().to_string());
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("cannot listen"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace sipring
