// Tests of RpcServer's socket: JSON-RPC 2.0 lines over a real Unix socket in a temp directory,
// spoken by a raw socket client (framing, pipelining, notifications), the socket file's life
// cycle (stale removal, live refusal, mode, parent directories) and robustness (oversized
// requests, slow clients, concurrent clients). What a request line means (dispatch, error codes,
// system.*) is tests/unit/engine/control/rpc_dispatch_test.cc.
#include "engine/control/rpc_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/rpc_methods.h"

namespace sipring {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// A raw client: the bytes on the wire are exactly what the test writes.
class RawClient {
 public:
  explicit RawClient(const std::string& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { ::close(fd_); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  void send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // The next '\n'-terminated line (without '\n'), or nullopt on timeout or close.
  std::optional<std::string> read_line(int timeout_ms = 3000) {
    const auto start = Clock::now();
    for (;;) {
      const size_t nl = buf_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return line;
      }
      if (!fill(timeout_ms - static_cast<int>(ms_since(start)))) return std::nullopt;
    }
  }

  // Waits for the server to close; true if it did within `timeout_ms`. Bytes that arrive first
  // stay readable with read_line().
  bool wait_closed(int timeout_ms) {
    const auto start = Clock::now();
    while (!closed_) {
      const int left = timeout_ms - static_cast<int>(ms_since(start));
      if (left <= 0) return false;
      fill(left);
    }
    return true;
  }

 private:
  bool fill(int timeout_ms) {
    if (closed_ || timeout_ms <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return false;
    char tmp[65536];
    const ssize_t n = ::recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string buf_;
};

// The "result" of a response line, or null (with a test failure) when there is none.
JsonValue result_of(const std::optional<std::string>& line) {
  EXPECT_TRUE(line.has_value()) << "no response line";
  if (!line) return JsonValue();
  Result<JsonValue> r = parse_json(*line);
  const JsonValue* result = r.is_ok() ? json_member(r.value(), "result") : nullptr;
  EXPECT_NE(result, nullptr) << *line;
  return result != nullptr ? *result : JsonValue();
}

class RpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sipring-rpc-test.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/ctl.sock";
  }
  void TearDown() override {
    servers_.clear();
    std::filesystem::remove_all(dir_);
  }

  // A server with the fake methods the tests call, listening on path_.
  RpcServer& start_server(RpcServerOptions options = {}, const std::string& path = "") {
    servers_.push_back(std::make_unique<RpcServer>(options));
    RpcServer& s = *servers_.back();
    test::add_test_methods(s, &calls_);
    Status st = s.start("unix:" + (path.empty() ? path_ : path));
    EXPECT_TRUE(st.is_ok()) << st.message();
    return s;
  }

  // Sends one request line on a new connection and returns the result of the response line.
  JsonValue rpc(const std::string& line) {
    RawClient c(path_);
    EXPECT_TRUE(c.connected());
    c.send(line + "\n");
    return result_of(c.read_line());
  }

  std::string dir_;
  std::string path_;
  std::atomic<int> calls_{0};
  std::vector<std::unique_ptr<RpcServer>> servers_;
};

// --- lines on the socket ------------------------------------------------------------------

TEST_F(RpcServerTest, PipelinedAndSplitRequestsAreAnsweredInOrder) {
  start_server();
  RawClient c(path_);
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":1})"
         "\n"
         R"({"jsonrpc":"2.0","method":"add","params":[2,2],"id":2})"
         "\n\n"  // a blank line is ignored
         R"({"jsonrpc":"2.0","meth)");
  EXPECT_EQ(result_of(c.read_line()), 2);
  EXPECT_EQ(result_of(c.read_line()), 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.send(R"(od":"add","params":[3,3],"id":3})"
         "\r\n");
  EXPECT_EQ(result_of(c.read_line()), 6);
}

TEST_F(RpcServerTest, LastRequestWithoutNewlineIsAnsweredAtEndOfInput) {
  start_server();
  RawClient c(path_);
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[5,5],"id":9})");
  c.shutdown_write();
  EXPECT_EQ(c.read_line(), R"({"jsonrpc":"2.0","result":10,"id":9})");
  EXPECT_TRUE(c.wait_closed(2000));
}

TEST_F(RpcServerTest, NotificationsRunButGetNoResponse) {
  start_server();
  RawClient c(path_);
  c.send(R"({"jsonrpc":"2.0","method":"count"})"
         "\n"
         R"({"jsonrpc":"2.0","method":"no.such.method","params":[1]})"
         "\n"
         R"([{"jsonrpc":"2.0","method":"count"},{"jsonrpc":"2.0","method":"count"}])"
         "\n"
         R"({"jsonrpc":"2.0","method":"count","id":5})"
         "\n");
  // The first line back answers the only request that had an id.
  EXPECT_EQ(c.read_line(), R"({"jsonrpc":"2.0","result":4,"id":5})");
  EXPECT_EQ(c.read_line(200), std::nullopt);
}

TEST_F(RpcServerTest, TheConnectionStaysUsableAfterAParseError) {
  start_server();
  RawClient c(path_);
  c.send("not json\n");
  const std::optional<std::string> line = c.read_line();
  ASSERT_TRUE(line.has_value());
  EXPECT_NE(line->find(R"("code":-32700)"), std::string::npos) << *line;
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})"
         "\n");
  EXPECT_EQ(result_of(c.read_line()), 3);
}

// --- limits and robustness -----------------------------------------------------------------

TEST_F(RpcServerTest, RequestsUpTo1MiBAreServedLargerOnesRefusedAndClosed) {
  start_server();
  const std::string head = R"({"jsonrpc":"2.0","method":"echo","id":1,"params":[")";
  const std::string tail = R"("]})";
  {
    RawClient c(path_);
    const std::string big(size_t{1 << 20} - head.size() - tail.size(), 'a');
    c.send(head + big + tail + "\n");
    const JsonValue result = result_of(c.read_line());
    ASSERT_TRUE(result.is_array());
    EXPECT_EQ(result[0].get_ref<const std::string&>().size(), big.size());
  }
  {
    RawClient c(path_);
    c.send(head + std::string(size_t{1 << 20}, 'a'));  // no newline yet: still over the limit
    const std::optional<std::string> line = c.read_line();
    ASSERT_TRUE(line.has_value());
    EXPECT_NE(line->find(R"("code":-32700)"), std::string::npos) << *line;
    EXPECT_NE(line->find("parse error: request larger than 1048576 bytes"), std::string::npos);
    EXPECT_TRUE(c.wait_closed(2000));
  }
}

TEST_F(RpcServerTest, SlowClientIsDisconnectedAndDelaysNobody) {
  RpcServerOptions options;
  options.io_timeout_ms = 1000;
  start_server(options);
  RawClient slow(path_);
  slow.send(R"({"jsonrpc":"2.0","met)");  // and never the rest
  RawClient idle(path_);                  // sends nothing at all

  const auto t0 = Clock::now();
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})"), 3);
  EXPECT_LT(ms_since(t0), 800) << "a stalled client held up another one";

  EXPECT_TRUE(slow.wait_closed(4000));
  EXPECT_TRUE(idle.wait_closed(4000));
  EXPECT_GE(ms_since(t0), 900);
}

TEST_F(RpcServerTest, ClientThatNeverReadsItsResponsesIsDisconnected) {
  RpcServerOptions options;
  options.io_timeout_ms = 1000;
  start_server(options);
  // Pipelines echo requests with 64 KiB of params each and never reads: the responses fill the
  // socket buffers, the server stops reading from this client and drops it at the timeout.
  const std::string req =
      R"({"jsonrpc":"2.0","method":"echo","id":1,"params":[")" + std::string(65536, 'x') + "\"]}\n";
  std::atomic<bool> disconnected{false};
  std::thread writer([&] {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      const auto t0 = Clock::now();
      for (size_t off = 0; ms_since(t0) < 6000;) {
        const ssize_t n =
            ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          off = (off + static_cast<size_t>(n)) % req.size();
        } else if (n < 0 && errno != EAGAIN) {
          disconnected = true;  // the server closed the connection (EPIPE/ECONNRESET)
          break;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    }
    ::close(fd);
  });
  // Meanwhile everyone else is served promptly.
  for (int i = 0; i < 5; ++i) {
    const auto t0 = Clock::now();
    EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})"), 3);
    EXPECT_LT(ms_since(t0), 800);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  writer.join();
  EXPECT_TRUE(disconnected.load()) << "the server kept a client that never reads";
}

// Runs `threads` clients that each send `requests` add requests and counts the right answers.
// `persistent`: one connection per client; otherwise a new connection per request.
int run_clients(const std::string& path, int threads, int requests, bool persistent) {
  std::atomic<int> good{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::unique_ptr<RawClient> conn;
      for (int i = 0; i < requests; ++i) {
        if (!persistent || !conn) conn = std::make_unique<RawClient>(path);
        conn->send(R"({"jsonrpc":"2.0","method":"add","params":[)" + std::to_string(t) + "," +
                   std::to_string(i) + R"(],"id":)" + std::to_string(i) + "}\n");
        if (conn->read_line(5000) == R"({"jsonrpc":"2.0","result":)" + std::to_string(t + i) +
                                         R"(,"id":)" + std::to_string(i) + "}") {
          good.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  return good.load();
}

TEST_F(RpcServerTest, ConcurrentLongLivedClientsAreAllServed) {
  start_server();
  EXPECT_EQ(run_clients(path_, 8, 50, /*persistent=*/true), 8 * 50);
}

TEST_F(RpcServerTest, ClientsBeyondMaxClientsWaitTheirTurn) {
  RpcServerOptions options;
  options.max_clients = 2;  // fewer than the clients: the rest wait in the listen backlog
  start_server(options);
  const auto t0 = Clock::now();
  EXPECT_EQ(run_clients(path_, 8, 25, /*persistent=*/false), 8 * 25);
  EXPECT_LT(ms_since(t0), 4000) << "a waiting client should not need a timeout to get in";
}

// --- the socket file -----------------------------------------------------------------------

TEST_F(RpcServerTest, SocketFileGetsMode0600ByDefaultOrTheGivenMode) {
  RpcServer& s = start_server();
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(s.path(), path_);
  s.stop();

  RpcServer other;
  ASSERT_TRUE(other.start("unix:" + path_, 0660).is_ok());
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(RpcServerTest, MissingParentDirectoriesAreCreatedWithMode0700) {
  const std::string nested = dir_ + "/run/sipring/ctl";
  start_server({}, nested);
  struct stat st;
  for (const std::string& d : {dir_ + "/run", dir_ + "/run/sipring"}) {
    ASSERT_EQ(::stat(d.c_str(), &st), 0) << d;
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u) << d;
  }
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
}

TEST_F(RpcServerTest, StaleSocketFileIsReplaced) {
  // A socket file left behind by a process that died: bound, never unlinked, nobody listening.
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  struct stat st;
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);

  start_server();
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})"), 3);
}

TEST_F(RpcServerTest, LiveServersSocketIsNotTakenOver) {
  start_server();
  RpcServer second;
  Status st = second.start("unix:" + path_);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(path_), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("another process is serving"), std::string::npos) << st.message();
  second.stop();  // must not remove the first server's socket
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"add","params":[2,2],"id":1})"), 4);
}

TEST_F(RpcServerTest, AFileThatIsNotASocketIsLeftAlone) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    std::fputs("precious", f);
    std::fclose(f);
  }
  RpcServer s;
  Status st = s.start("unix:" + path_);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("is not a socket"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(path_), std::string::npos);
  struct stat sb;
  ASSERT_EQ(::stat(path_.c_str(), &sb), 0);
  EXPECT_TRUE(S_ISREG(sb.st_mode));
}

TEST_F(RpcServerTest, StartErrorsNameThePathAndTheErrnoText) {
  RpcServer s;
  Status st = s.start("tcp:127.0.0.1:5000");
  ASSERT_FALSE(st.is_ok());
  EXPECT_EQ(st.code(), Errc::kConfig);
  EXPECT_NE(st.message().find("unix:PATH"), std::string::npos) << st.message();

  st = s.start("unix:/" + std::string(200, 'x'));
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("too long"), std::string::npos) << st.message();

  // A parent "directory" that is a regular file.
  const std::string file = dir_ + "/plain";
  {
    std::FILE* f = std::fopen(file.c_str(), "w");
    std::fclose(f);
  }
  st = s.start("unix:" + file + "/ctl");
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(file + "/ctl"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find(std::strerror(ENOTDIR)), std::string::npos) << st.message();
}

TEST_F(RpcServerTest, StopRemovesTheSocketIsIdempotentAndAllowsARestart) {
  RpcServer& s = start_server();
  EXPECT_FALSE(s.start("unix:" + path_).is_ok());  // already serving
  s.stop();
  s.stop();
  struct stat st;
  EXPECT_NE(::stat(path_.c_str(), &st), 0) << "socket file left behind";
  EXPECT_FALSE(RawClient(path_).connected());
  ASSERT_TRUE(s.start("unix:" + path_).is_ok());
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"add","params":[3,4],"id":1})"), 7);
}

TEST_F(RpcServerTest, StopClosesOpenConnections) {
  RpcServer& s = start_server();
  RawClient c(path_);
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[3,4],"id":1})"
         "\n");
  EXPECT_TRUE(c.read_line().has_value());
  const auto t0 = Clock::now();
  s.stop();
  EXPECT_LT(ms_since(t0), 1000);
  EXPECT_TRUE(c.wait_closed(1000));
}

}  // namespace
}  // namespace sipring
