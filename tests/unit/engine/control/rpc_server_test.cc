// Tests of RpcServer: JSON-RPC 2.0 over a real Unix socket in a temp directory, spoken by a raw
// socket client (single, batch, notification, every error code), the socket file's life cycle
// (stale removal, live refusal, mode, parent directories) and robustness (oversized requests,
// slow clients, concurrent clients).
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

JsonValue parse(const std::optional<std::string>& line) {
  EXPECT_TRUE(line.has_value()) << "no response line";
  if (!line) return JsonValue();
  Result<JsonValue> r = parse_json(*line);
  EXPECT_TRUE(r.is_ok()) << *line;
  return r.is_ok() ? r.value() : JsonValue();
}

int64_t error_code(const JsonValue& response) {
  const JsonValue* e = response.find("error");
  if (e == nullptr || e->find("code") == nullptr) {
    ADD_FAILURE() << "no error in " << to_json(response);
    return 0;
  }
  return e->find("code")->as_int();
}

std::string error_message(const JsonValue& response) {
  const JsonValue* e = response.find("error");
  return e != nullptr && e->find("message") ? e->find("message")->as_string() : "";
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
    s.add("add", "A B", "adds two integers", [](const JsonValue& p) -> Result<JsonValue> {
      if (!p.is_array() || p.size() != 2 || !p.as_array()[0].is_int() ||
          !p.as_array()[1].is_int()) {
        return make_error(Errc::kInvalidArgument, "add needs two integers");
      }
      return JsonValue(p.as_array()[0].as_int() + p.as_array()[1].as_int());
    });
    s.add("echo", "ANY...", "returns its params", [](const JsonValue& p) { return p; });
    s.add("conn.get", "ID", "a connection", [](const JsonValue&) -> Result<JsonValue> {
      return make_error(Errc::kUnknownConnection, "no connection 42");
    });
    s.add("cfg.bad", "", "a config error", [](const JsonValue&) -> Result<JsonValue> {
      return make_error(Errc::kConfig, "tls.method must be TLSv1.2+");
    });
    s.add("boom", "", "fails", [](const JsonValue&) -> Result<JsonValue> {
      return make_error(Errc::kIo, "disk on fire");
    });
    s.add("throws", "", "a handler bug", [](const JsonValue&) -> Result<JsonValue> {
      return JsonValue(JsonValue(1).as_string());  // std::bad_variant_access
    });
    s.add("count", "", "counts calls",
          [this](const JsonValue&) -> Result<JsonValue> { return JsonValue(++calls_); });
    Status st = s.start("unix:" + (path.empty() ? path_ : path));
    EXPECT_TRUE(st.is_ok()) << st.message();
    return s;
  }

  // Sends one line and returns the parsed response line.
  JsonValue rpc(const std::string& line) {
    RawClient c(path_);
    EXPECT_TRUE(c.connected());
    c.send(line + "\n");
    return parse(c.read_line());
  }

  std::string dir_;
  std::string path_;
  std::atomic<int> calls_{0};
  std::vector<std::unique_ptr<RpcServer>> servers_;
};

// --- the protocol --------------------------------------------------------------------------

TEST_F(RpcServerTest, SingleRequestGetsItsResultAndId) {
  start_server();
  RawClient c(path_);
  ASSERT_TRUE(c.connected());
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[2,3],"id":1})"
         "\n");
  EXPECT_EQ(c.read_line(), R"({"jsonrpc":"2.0","result":5,"id":1})");
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[40,2],"id":"x-7"})"
         "\n");
  EXPECT_EQ(c.read_line(), R"({"jsonrpc":"2.0","result":42,"id":"x-7"})");
  c.send(R"({"jsonrpc":"2.0","method":"echo","id":null})"
         "\n");
  EXPECT_EQ(c.read_line(), R"({"jsonrpc":"2.0","result":[],"id":null})");
}

TEST_F(RpcServerTest, ObjectParamsReachTheHandlerUnchanged) {
  start_server();
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"echo","params":{"b":1,"a":[true]},"id":3})");
  EXPECT_EQ(to_json(*r.find("result")), R"({"b":1,"a":[true]})");
}

TEST_F(RpcServerTest, PipelinedAndSplitRequestsAreAnsweredInOrder) {
  start_server();
  RawClient c(path_);
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":1})"
         "\n"
         R"({"jsonrpc":"2.0","method":"add","params":[2,2],"id":2})"
         "\n\n"  // a blank line is ignored
         R"({"jsonrpc":"2.0","meth)");
  EXPECT_EQ(parse(c.read_line()).find("result")->as_int(), 2);
  EXPECT_EQ(parse(c.read_line()).find("result")->as_int(), 4);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  c.send(R"(od":"add","params":[3,3],"id":3})"
         "\r\n");
  EXPECT_EQ(parse(c.read_line()).find("result")->as_int(), 6);
}

TEST_F(RpcServerTest, LastRequestWithoutNewlineIsAnsweredAtEndOfInput) {
  start_server();
  RawClient c(path_);
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[5,5],"id":9})");
  c.shutdown_write();
  EXPECT_EQ(c.read_line(), R"({"jsonrpc":"2.0","result":10,"id":9})");
  EXPECT_TRUE(c.wait_closed(2000));
}

TEST_F(RpcServerTest, BatchGetsAnArrayOfResponsesWithoutTheNotifications) {
  start_server();
  JsonValue r = rpc(R"([{"jsonrpc":"2.0","method":"add","params":[1,2],"id":"a"},)"
                    R"({"jsonrpc":"2.0","method":"count"},)"
                    R"({"jsonrpc":"2.0","method":"nope","id":"b"},)"
                    R"(17,)"
                    R"({"jsonrpc":"2.0","method":"boom","id":"c"}])");
  ASSERT_TRUE(r.is_array()) << to_json(r);
  ASSERT_EQ(r.size(), 4u) << to_json(r);
  const JsonArray& a = r.as_array();
  EXPECT_EQ(to_json(a[0]), R"({"jsonrpc":"2.0","result":3,"id":"a"})");
  EXPECT_EQ(error_code(a[1]), kRpcMethodNotFound);
  EXPECT_EQ(*a[1].find("id"), JsonValue("b"));
  EXPECT_EQ(error_code(a[2]), kRpcInvalidRequest);
  EXPECT_TRUE(a[2].find("id")->is_null());
  EXPECT_EQ(error_code(a[3]), 500);
  EXPECT_EQ(calls_.load(), 1);
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

TEST_F(RpcServerTest, ParseErrorNamesTheByteOffset) {
  start_server();
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"add",)");
  EXPECT_EQ(error_code(r), kRpcParseError);
  EXPECT_TRUE(r.find("id")->is_null());
  EXPECT_NE(error_message(r).find("at byte 32"), std::string::npos) << error_message(r);
  // The connection stays usable after a parse error.
  RawClient c(path_);
  c.send("not json\n");
  EXPECT_EQ(error_code(parse(c.read_line())), kRpcParseError);
  c.send(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})"
         "\n");
  EXPECT_EQ(parse(c.read_line()).find("result")->as_int(), 3);
}

TEST_F(RpcServerTest, MalformedRequestsAreInvalidRequests) {
  start_server();
  const char* bad[] = {
      R"({"method":"add","id":1})",                    // no "jsonrpc"
      R"({"jsonrpc":"1.0","method":"add","id":1})",    // wrong version
      R"({"jsonrpc":"2.0","id":1})",                   // no method
      R"({"jsonrpc":"2.0","method":7,"id":1})",        // method not a string
      R"({"jsonrpc":"2.0","method":"add","id":[1]})",  // id not a scalar
      R"("just a string")",
      R"([])",  // empty batch
  };
  for (const char* line : bad) {
    JsonValue r = rpc(line);
    EXPECT_EQ(error_code(r), kRpcInvalidRequest) << line << " -> " << to_json(r);
  }
  // The id is echoed when it was valid.
  EXPECT_EQ(rpc(R"({"jsonrpc":"1.0","method":"add","id":12})").find("id")->as_int(), 12);
}

TEST_F(RpcServerTest, UnknownMethodNamesItAndPointsToListMethods) {
  start_server();
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"cfg.nope","id":1})");
  EXPECT_EQ(error_code(r), kRpcMethodNotFound);
  EXPECT_NE(error_message(r).find("cfg.nope"), std::string::npos);
  EXPECT_NE(error_message(r).find("system.listMethods"), std::string::npos);
}

TEST_F(RpcServerTest, ParamsThatAreNotArrayOrObjectAreInvalidParams) {
  start_server();
  for (const char* params : {"5", "\"x\"", "true", "null"}) {
    JsonValue r =
        rpc(std::string(R"({"jsonrpc":"2.0","method":"add","id":1,"params":)") + params + "}");
    EXPECT_EQ(error_code(r), kRpcInvalidParams) << params;
  }
}

TEST_F(RpcServerTest, HandlerErrorsMapTo400404500AndBugsToInternalError) {
  start_server();
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"add","params":["x"],"id":1})");
  EXPECT_EQ(error_code(r), 400);
  EXPECT_EQ(error_message(r), "add needs two integers");
  r = rpc(R"({"jsonrpc":"2.0","method":"cfg.bad","id":1})");
  EXPECT_EQ(error_code(r), 400);
  EXPECT_EQ(error_message(r), "tls.method must be TLSv1.2+");
  r = rpc(R"({"jsonrpc":"2.0","method":"conn.get","params":[42],"id":1})");
  EXPECT_EQ(error_code(r), 404);
  EXPECT_EQ(error_message(r), "no connection 42");
  r = rpc(R"({"jsonrpc":"2.0","method":"boom","id":1})");
  EXPECT_EQ(error_code(r), 500);
  EXPECT_EQ(error_message(r), "disk on fire");
  r = rpc(R"({"jsonrpc":"2.0","method":"throws","id":1})");
  EXPECT_EQ(error_code(r), kRpcInternalError);
  EXPECT_NE(error_message(r).find("throws"), std::string::npos);
  // The control thread survived the exception.
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":2})").find("result")->as_int(), 2);
}

TEST_F(RpcServerTest, ErrcMapping) {
  EXPECT_EQ(rpc_error_code(Errc::kInvalidArgument), 400);
  EXPECT_EQ(rpc_error_code(Errc::kConfig), 400);
  EXPECT_EQ(rpc_error_code(Errc::kUnknownConnection), 404);
  EXPECT_EQ(rpc_error_code(Errc::kIo), 500);
  EXPECT_EQ(rpc_error_code(Errc::kTls), 500);
  EXPECT_EQ(rpc_error_code(Errc::kShuttingDown), 500);
}

TEST_F(RpcServerTest, SystemListMethodsAndHelp) {
  start_server();
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"system.listMethods","id":1})");
  EXPECT_EQ(to_json(*r.find("result")),
            R"(["add","boom","cfg.bad","conn.get","count","echo","system.help",)"
            R"("system.listMethods","throws"])");
  r = rpc(R"({"jsonrpc":"2.0","method":"system.help","params":["add"],"id":1})");
  EXPECT_EQ(r.find("result")->as_string(), "add A B\n    adds two integers");
  r = rpc(R"({"jsonrpc":"2.0","method":"system.help","params":{"method":"cfg.bad"},"id":1})");
  EXPECT_EQ(r.find("result")->as_string(), "cfg.bad\n    a config error");
  r = rpc(R"({"jsonrpc":"2.0","method":"system.help","params":["nope"],"id":1})");
  EXPECT_EQ(error_code(r), 400);
  EXPECT_NE(error_message(r).find("nope"), std::string::npos);
  r = rpc(R"({"jsonrpc":"2.0","method":"system.help","id":1})");
  EXPECT_EQ(error_code(r), 400);
  EXPECT_NE(error_message(r).find("usage: system.help METHOD"), std::string::npos);
}

TEST_F(RpcServerTest, MethodsAddedWhileServingAreCallable) {
  RpcServer& s = start_server();
  s.add("late", "", "added after start", [](const JsonValue&) { return JsonValue("here"); });
  EXPECT_EQ(rpc(R"({"jsonrpc":"2.0","method":"late","id":1})").find("result")->as_string(), "here");
}

TEST_F(RpcServerTest, HandleRequestAnswersWithoutASocket) {
  RpcServer s;
  s.add("one", "", "", [](const JsonValue&) { return JsonValue(1); });
  EXPECT_EQ(s.handle_request(R"({"jsonrpc":"2.0","method":"one","id":0})"),
            R"({"jsonrpc":"2.0","result":1,"id":0})");
  EXPECT_EQ(s.handle_request(R"({"jsonrpc":"2.0","method":"one"})"), "");
  EXPECT_EQ(s.handle_request(R"([{"jsonrpc":"2.0","method":"one"}])"), "");
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
    JsonValue r = parse(c.read_line());
    ASSERT_NE(r.find("result"), nullptr) << error_message(r);
    EXPECT_EQ(r.find("result")->as_array()[0].as_string().size(), big.size());
  }
  {
    RawClient c(path_);
    c.send(head + std::string(size_t{1 << 20}, 'a'));  // no newline yet: still over the limit
    JsonValue r = parse(c.read_line());
    EXPECT_EQ(error_code(r), kRpcParseError);
    EXPECT_NE(error_message(r).find("larger than 1048576 bytes"), std::string::npos);
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
  JsonValue r = rpc(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})");
  EXPECT_EQ(r.find("result")->as_int(), 3);
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
    EXPECT_EQ(
        rpc(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})").find("result")->as_int(),
        3);
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
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1})").find("result")->as_int(), 3);
}

TEST_F(RpcServerTest, LiveServersSocketIsNotTakenOver) {
  start_server();
  RpcServer second;
  Status st = second.start("unix:" + path_);
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find(path_), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("another process is serving"), std::string::npos) << st.message();
  second.stop();  // must not remove the first server's socket
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"add","params":[2,2],"id":1})").find("result")->as_int(), 4);
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
  EXPECT_EQ(
      rpc(R"({"jsonrpc":"2.0","method":"add","params":[3,4],"id":1})").find("result")->as_int(), 7);
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
