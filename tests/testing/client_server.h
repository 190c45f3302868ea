// The client/server fixture of the in-process engine tests of the client role
// (tests/unit/engine/api/engine_{client,verify,tls_facts,alias}_test.cc): a server engine whose
// inline core answers 200 OK, a client engine whose inline core the test drives, a test CA, a
// TCP listener that never answers a handshake, and helpers to read the frames a core saw.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/base/error_format.h"
#include "sipring/engine.h"
#include "tests/testing/cert_builder.h"
#include "tests/testing/core_driver.h"
#include "tests/testing/loopback.h"
#include "tests/testing/pki_files.h"

namespace sipring::test {

inline std::string call_id_of(const std::string& msg) {
  const std::string key = "Call-ID: ";
  size_t p = msg.find(key);
  if (p == std::string::npos) return "";
  p += key.size();
  return msg.substr(p, msg.find("\r\n", p) - p);
}

inline size_t count_kind(const std::vector<SeenFrame>& fs, ConnId id, FrameKind kind) {
  size_t n = 0;
  for (const SeenFrame& f : fs) n += f.frame.conn == id && f.frame.kind == kind;
  return n;
}

inline std::vector<SeenFrame> of_kind(const std::vector<SeenFrame>& fs, FrameKind kind) {
  std::vector<SeenFrame> out;
  for (const SeenFrame& f : fs) {
    if (f.frame.kind == kind) out.push_back(f);
  }
  return out;
}

// "opened", "message", or "closed:<reason>".
inline std::string event_name(const Frame& f) {
  switch (f.kind) {
    case FrameKind::kOpened:
      return "opened";
    case FrameKind::kMessage:
      return "message";
    case FrameKind::kClosed:
      return std::string("closed:") + close_reason_name(f.reason);
  }
  return "?";
}

inline std::string events_of(const std::vector<SeenFrame>& fs) {
  std::string s;
  for (const SeenFrame& f : fs) s += event_name(f.frame) + " ";
  return s;
}

inline std::string standard_cipher_name(uint16_t value) {
  const SSL_CIPHER* c = SSL_get_cipher_by_value(value);
  return c != nullptr ? SSL_CIPHER_standard_name(c) : "";
}

inline int cipher_bits(uint16_t value) {
  const SSL_CIPHER* c = SSL_get_cipher_by_value(value);
  return c != nullptr ? SSL_CIPHER_get_bits(c, nullptr) : 0;
}

// A client engine's config: no listener, no control socket, small rings.
inline Config client_config(int reactors) {
  Config c;
  c.source = "engine_client_test client";
  c.engine = server_config(5060, reactors).engine;
  c.engine.reactors = reactors;
  c.ctl.socket = "";
  return c;
}

// A plain TCP listener that accepts connections and reads (and discards) whatever arrives but
// never writes: a TLS client's handshake with it never finishes.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 16);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { loop(); });
  }
  ~SilentListener() {
    stop_.store(true);
    thread_.join();
    for (int c : conns_) ::close(c);
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  int accepted() const { return accepted_.load(); }

 private:
  void loop() {
    while (!stop_.load()) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int c : conns_) fds.push_back({c, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        int c = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) {
          conns_.push_back(c);
          accepted_.fetch_add(1);
        }
      }
      for (size_t i = 1; i < fds.size(); i++) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buf[4096];
        if (read(fds[i].fd, buf, sizeof(buf)) <= 0) {
          ::close(fds[i].fd);
          std::erase(conns_, fds[i].fd);
        }
      }
    }
  }

  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::vector<int> conns_;  // the loop thread's only
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
};

// A test CA with its PEM file, plus room for more files.
struct Pki {
  PkiFiles files;
  IssuedCert ca = issue_cert(ca_spec("sipring test CA"));
  std::string ca_pem = files.certs("ca.pem", {&ca});
};

// What a test needs for a server engine (inline core answering 200 OK) and a client engine
// (inline core the test drives) on the same host.
class ClientServerTest : public ::testing::Test {
 protected:
  // Warnings and errors only: every engine start logs an info line.
  static void SetUpTestSuite() { set_log_level(kLogWarn); }

  void TearDown() override {
    stop_client();
    if (server_) server_->stop(std::chrono::milliseconds(0));
  }

  // Starts a server presenting `cert` (issued by the test CA); `adjust` may change its config.
  void start_server(const IssuedCert& cert, const std::function<void(Config&)>& adjust = {},
                    int reactors = 2) {
    port_ = free_port();
    Config c = server_config(port_, reactors);
    c.ctl.socket = "";
    c.tls.profile.certificate =
        pki_.files.cert_and_key("server-" + std::to_string(port_) + ".pem", cert);
    if (adjust) adjust(c);
    Engine::Options o;
    o.core = server_core_.factory();
    server_ = start_engine(c, std::move(o));
    ASSERT_NE(server_, nullptr);
  }

  // Starts (or restarts) the client engine with `options` and a fresh core.
  void start_client(int reactors, const TlsProfile& options,
                    const std::function<void(Config&)>& adjust = {}) {
    stop_client();
    client_core_ = std::make_unique<CoreDriver>();
    Config c = client_config(reactors);
    if (adjust) adjust(c);
    Engine::Options o;
    o.listen = false;
    o.client = options;
    o.core = client_core_->factory();
    client_ = start_engine(c, std::move(o));
    ASSERT_NE(client_, nullptr);
  }

  void stop_client() {
    if (client_) client_->stop(std::chrono::milliseconds(0));
    client_.reset();  // the engine goes before the core driver it calls
    client_core_.reset();
  }

  // Client options that verify the server against the test CA and check its name.
  TlsProfile verifying() const {
    TlsProfile o;
    o.ca_list = pki_.ca_pem;
    o.verify_certificate = true;
    return o;
  }

  Destination dest(const std::string& server_name) const {
    return Destination{loopback(port_), server_name, ""};
  }

  // ReactorPort::send_to on client reactor `r`'s thread.
  // ReactorPort::send_to on client reactor `r`: the connection's id (ConnId() when another
  // reactor owns `d`), or an error naming the SendStatus.
  Result<ConnId> port_send_to(uint32_t r, const Destination& d, const std::string& msg) {
    auto res = client_core_->run_on<SendResult>(
        r, [d, msg](ReactorPort& p) { return p.send_to(d, bytes(msg)); });
    if (!res) return make_error(Errc::kIo, "reactor %u did not run the task", r);
    if (!res->ok()) return make_error(Errc::kIo, "send_to: %s", send_status_name(res->status));
    return res->conn;
  }

  // Waits until the client core saw `n` messages (replies) on `id`.
  bool wait_replies(ConnId id, size_t n) {
    return client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
      return count_kind(fs, id, FrameKind::kMessage) >= n;
    });
  }

  // The connection the client core's first reply arrived on, once one has (invalid on timeout).
  ConnId wait_first_reply_conn() {
    ConnId id;
    client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
      for (const SeenFrame& f : fs) {
        if (f.frame.kind == FrameKind::kMessage) id = f.frame.conn;
      }
      return id.valid();
    });
    return id;
  }

  // The first connection event (kOpened or kClosed) the client core saw for `id`, or "".
  std::string first_event(ConnId id) {
    std::string out;
    client_core_->wait_for([&](const std::vector<SeenFrame>& fs) {
      for (const SeenFrame& f : fs) {
        if (f.frame.conn == id && f.frame.kind != FrameKind::kMessage) {
          out = event_name(f.frame);
          return true;
        }
      }
      return false;
    });
    return out;
  }

  Pki pki_;
  uint16_t port_ = 0;
  CoreDriver server_core_{/*answer_requests=*/true};
  std::unique_ptr<Engine> server_;
  std::unique_ptr<CoreDriver> client_core_;
  std::unique_ptr<Engine> client_;
};

}  // namespace sipring::test
