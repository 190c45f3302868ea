// Helpers for in-process engine tests over loopback TLS: a free port, a server Config with a
// generated certificate, a blocking BoringSSL client, SIP request/answer builders.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "crypto/tls_context.h"
#include "engine/base/json.h"
#include "sipring/engine.h"
#include "sipring/sip_response.h"
#include "tests/testing/test_cert.h"

namespace sipring::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

inline std::string options_request(int n) {
  return "OPTIONS sip:ping@127.0.0.1 SIP/2.0\r\n"
         "Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-test-" +
         std::to_string(n) +
         "\r\n"
         "Max-Forwards: 70\r\n"
         "From: <sip:tester@127.0.0.1>;tag=t" +
         std::to_string(n) +
         "\r\n"
         "To: <sip:ping@127.0.0.1>\r\n"
         "Call-ID: call-" +
         std::to_string(n) +
         "@test\r\n"
         "CSeq: 1 OPTIONS\r\n"
         "Content-Length: 0\r\n\r\n";
}

inline size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t pos = s.find(what); pos != std::string::npos; pos = s.find(what, pos + what.size())) {
    n++;
  }
  return n;
}

inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  auto end = Clock::now() + limit;
  while (Clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

// A port nobody listens on right now: bind to port 0, read it, close.
inline uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

inline SockAddr loopback(uint16_t port) {
  SockAddr a;
  EXPECT_TRUE(SockAddr::parse("127.0.0.1:" + std::to_string(port), &a));
  return a;
}

inline TestCert& cert() {
  static TestCert c;
  return c;
}

inline Config server_config(uint16_t port, int reactors = 2) {
  Config c;
  c.source = "engine_loopback_test";
  c.enable_tls = true;
  ListenSpec l;
  l.proto = ListenSpec::Proto::kTls;
  l.addr = loopback(port);
  c.listen.push_back(l);
  c.tls.profile.certificate = cert().pem_path();
  c.engine.reactors = reactors;
  c.engine.ring_entries = 256;
  c.engine.recv_buffers = 64;
  c.engine.max_connections = 256;
  c.engine.handoff_entries = 1024;
  c.engine.reply_ring_bytes = 1u << 16;
  c.engine.handshake_timeout_ms = 5000;
  return c;
}

// Builds the 200 OK for a request frame; empty if the frame is not a request.
inline std::string answer(const Frame& f) {
  uint8_t out[4096];
  size_t n = 0;
  if (build_response(f.bytes(), 200, "OK", {out, sizeof(out)}, &n) != ResponseError::kOk) return {};
  return std::string(reinterpret_cast<char*>(out), n);
}

inline std::span<const uint8_t> bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A TLS client over a plain blocking socket. `source`, when set, is the local IP it connects
// from (any 127.0.0.0/8 address works on loopback), to stand for another peer. `rcvbuf`, when
// set, is its SO_RCVBUF, set before connect so the window it offers stays that small: a peer
// that reads nothing then fills up after a few KB.
class BlockingClient {
 public:
  BlockingClient(uint16_t port, const std::string& method, const std::string& source = "",
                 int rcvbuf = 0) {
    TlsProfile o;
    o.tls_method = method;
    auto ctx = make_client_context(o);
    if (!ctx) return;
    ctx_ = std::move(ctx.value());
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (rcvbuf > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    if (!source.empty()) {
      SockAddr from;
      if (!SockAddr::parse(source, &from) || ::bind(fd_, from.sa(), from.len()) != 0) return;
    }
    SockAddr a = loopback(port);
    if (::connect(fd_, a.sa(), a.len()) != 0) return;
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    SSL_set_tlsext_host_name(ssl_.get(), "localhost");
    connected_ = SSL_connect(ssl_.get()) == 1;
    ERR_clear_error();
  }
  ~BlockingClient() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return connected_; }
  SSL* ssl() const { return ssl_.get(); }

  bool send(const std::string& s) {
    return SSL_write(ssl_.get(), s.data(), static_cast<int>(s.size())) ==
           static_cast<int>(s.size());
  }
  // Reads until `n` responses (each ends with its blank line; they carry no body) have arrived
  // or the socket times out.
  std::string read_responses(size_t n) {
    while (count(received_, "\r\n\r\n") < n) {
      char buf[16384];
      int r = SSL_read(ssl_.get(), buf, sizeof(buf));
      if (r <= 0) {
        last_error_ = SSL_get_error(ssl_.get(), r);
        ERR_clear_error();
        break;
      }
      received_.append(buf, static_cast<size_t>(r));
    }
    return received_;
  }
  // Reads until the stream ends; returns SSL_get_error of the final read.
  int read_to_end() {
    for (;;) {
      char buf[4096];
      int r = SSL_read(ssl_.get(), buf, sizeof(buf));
      if (r > 0) continue;
      int e = SSL_get_error(ssl_.get(), r);
      ERR_clear_error();
      return e;
    }
  }
  void close() {
    SSL_shutdown(ssl_.get());
    ::close(fd_);
    fd_ = -1;
  }

 private:
  bssl::UniquePtr<SSL_CTX> ctx_;
  bssl::UniquePtr<SSL> ssl_;
  int fd_ = -1;
  bool connected_ = false;
  std::string received_;
  int last_error_ = 0;
};

inline std::unique_ptr<Engine> start_engine(const Config& config, Engine::Options options) {
  auto e = Engine::create(config, std::move(options));
  EXPECT_TRUE(e) << e.error().message;
  if (!e) return nullptr;
  Status s = e.value()->start();
  EXPECT_TRUE(s) << s.message();
  if (!s) return nullptr;
  return std::move(e.value());
}

inline ReactorStats total(const Engine& e) {
  return e.stats().total();
}

// Every counter of `s` as compact JSON, for test failure messages.
inline std::string counters_text(const ReactorStats& s) {
  return json_text(counters_json(s));
}

}  // namespace sipring::test
