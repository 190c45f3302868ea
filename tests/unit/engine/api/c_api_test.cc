// Tests of the C ABI (sipring/sipring.h), called from C++ as a C core would: configurations from
// parameter calls and from files with their errors, NULL arguments, consumer threads and an
// inline core answering a real TLS client, two engines connecting and sending to each other,
// CLOSED frames with their reasons, TLS facts, runtime parameters, counters and the log sink.
#include "sipring/sipring.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/client_server.h"  // standard_cipher_name
#include "tests/testing/loopback.h"
#include "tests/testing/pki_files.h"

namespace sipring::test {
namespace {

// Sets module.name or fails the test with the library's message.
void set(sipring_config* c, const char* module, const char* name, const std::string& value) {
  char err[256] = "";
  ASSERT_EQ(sipring_config_set(c, module, name, value.c_str(), err, sizeof err), SIPRING_OK) << err;
}

// A listening configuration built by parameter calls: 127.0.0.1:port, the test certificate,
// small rings, no control socket.
sipring_config* server_config_c(uint16_t port, int reactors) {
  sipring_config* c = sipring_config_new();
  set(c, "core", "enable_tls", "yes");
  set(c, "core", "listen", "tls:127.0.0.1:" + std::to_string(port));
  set(c, "tls", "certificate", cert().pem_path());
  set(c, "ctl", "socket", "");
  char err[256] = "";
  for (auto [name, value] : {std::pair<const char*, int64_t>{"reactors", reactors},
                             {"ring_entries", 256},
                             {"recv_buffers", 64},
                             {"max_connections", 256},
                             {"handoff_entries", 1024},
                             {"reply_ring_bytes", 65536}}) {
    EXPECT_EQ(sipring_config_set_int(c, "sipring", name, value, err, sizeof err), SIPRING_OK)
        << err;
  }
  return c;
}

sipring_engine* start(sipring_config* cfg, const sipring_options* options) {
  char err[512] = "";
  sipring_engine* e = sipring_engine_new(cfg, options, err, sizeof err);
  sipring_config_free(cfg);
  EXPECT_NE(e, nullptr) << err;
  if (e == nullptr) return nullptr;
  EXPECT_EQ(sipring_engine_start(e, err, sizeof err), SIPRING_OK) << err;
  return e;
}

// A frame as the test saw it; `text` holds the bytes (data dangles after the pop).
struct Seen {
  sipring_frame frame;
  std::string text;
};

// Answers an OPTIONS frame as examples/relay_min.c does; returns sipring_send's status.
template <class Send>
int answer_options(const sipring_frame& f, Send&& send) {
  if (f.kind != SIPRING_FRAME_MESSAGE || f.size <= 7 || memcmp(f.data, "OPTIONS", 7) != 0) {
    return -1;
  }
  char reply[2048];
  size_t n = sipring_build_response(f.data, f.size, 200, "OK", reply, sizeof reply);
  return n > 0 ? send(f.conn, reply, n) : -1;
}

// One consumer thread per reactor: records every frame and answers OPTIONS.
class Consumers {
 public:
  explicit Consumers(sipring_engine* e) : e_(e) {
    for (uint32_t r = 0; r < sipring_engine_reactors(e); r++) {
      threads_.emplace_back([this, r] { consume(r); });
    }
  }
  // Stops the engine (which wakes every consumer) and joins.
  ~Consumers() {
    sipring_engine_stop(e_, 0);
    for (auto& t : threads_) t.join();
  }
  std::vector<Seen> seen() {
    std::lock_guard<std::mutex> l(mu_);
    return seen_;
  }
  // The first frame of `kind` (on `conn` unless 0), waiting up to 10 s.
  bool wait_frame(int kind, sipring_conn conn, Seen* out) {
    return wait_until([&] {
      for (const Seen& s : seen()) {
        if (s.frame.kind == kind && (conn == 0 || s.frame.conn == conn)) {
          *out = s;
          return true;
        }
      }
      return false;
    });
  }
  int send_errors() const { return send_errors_.load(); }

 private:
  void consume(uint32_t r) {
    sipring_frame f;
    while (sipring_inbox_wait(e_, r)) {
      while (sipring_inbox_front(e_, r, &f)) {
        {
          std::lock_guard<std::mutex> l(mu_);
          seen_.push_back({f, std::string(f.data != nullptr ? f.data : "", f.size)});
        }
        int s = answer_options(f, [this](sipring_conn c, const char* d, size_t n) {
          return sipring_send(e_, c, d, n);
        });
        if (s > 0) send_errors_++;
        sipring_inbox_pop(e_, r);
      }
    }
  }

  sipring_engine* e_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<Seen> seen_;
  std::atomic<int> send_errors_{0};
};

class CApiTest : public ::testing::Test {
 protected:
  // Warnings and errors only: every engine start logs info lines.
  static void SetUpTestSuite() { sipring_set_log_level(SIPRING_LOG_WARN); }
};

TEST_F(CApiTest, ParametersAreValidatedAsConfigFileValues) {
  sipring_config* c = sipring_config_new();
  ASSERT_NE(c, nullptr);
  char err[256] = "";
  EXPECT_EQ(sipring_config_set_int(c, "tls", "connection_timeout", 60, err, sizeof err),
            SIPRING_OK);
  EXPECT_EQ(sipring_config_set(c, "tls", "verify_certificate", "yes", err, sizeof err), SIPRING_OK);
  EXPECT_EQ(sipring_config_set_int(c, "tls", "connection_timeout", 5000000, err, sizeof err),
            SIPRING_ERR_CONFIG);
  EXPECT_STREQ(err, "tls.connection_timeout: 5000000 is out of range [-1, 2592000]");
  EXPECT_EQ(sipring_config_set(c, "tls", "connection_timeot", "5", err, sizeof err),
            SIPRING_ERR_CONFIG);
  EXPECT_NE(std::string(err).find("connection_timeout"), std::string::npos) << err;
  EXPECT_EQ(sipring_config_set(c, "core", "listen", "udp:1.2.3.4:5060", err, sizeof err),
            SIPRING_ERR_CONFIG);
  EXPECT_NE(std::string(err).find("udp"), std::string::npos) << err;
  EXPECT_EQ(sipring_config_set(c, "core", "enable_tls", "maybe", err, sizeof err),
            SIPRING_ERR_CONFIG);
  EXPECT_STREQ(err, "core.enable_tls: \"maybe\" is not a yes/no value");
  EXPECT_EQ(sipring_config_set(c, "core", "children", "4", err, sizeof err), SIPRING_ERR_CONFIG);

  // listen without enable_tls is refused when the engine is made, as a config file is.
  EXPECT_EQ(sipring_config_set(c, "core", "listen", "tls:127.0.0.1:5061", err, sizeof err),
            SIPRING_OK);
  EXPECT_EQ(sipring_config_set(c, "core", "listen", "tls:127.0.0.1:5061", err, sizeof err),
            SIPRING_ERR_CONFIG);
  EXPECT_EQ(sipring_engine_new(c, nullptr, err, sizeof err), nullptr);
  EXPECT_STREQ(err,
               "sipring_config: listen=tls:127.0.0.1:5061 needs TLS enabled: set "
               "core.enable_tls to yes");
  sipring_config_free(c);
}

TEST_F(CApiTest, ConfigFilesLoadAndTheirErrorsNameFileAndLine) {
  PkiFiles dir;
  const std::string path = dir.certs("sipring.cfg", {});
  std::ofstream(path) << "loadmodule \"tls.so\"\n"
                         "modparam(\"tls\", \"certificate\", \""
                      << cert().pem_path()
                      << "\")\n"
                         "enable_tls=yes\nlisten=tls:127.0.0.1:5061\n";
  char err[256] = "";
  sipring_config* c = sipring_config_load(path.c_str(), err, sizeof err);
  ASSERT_NE(c, nullptr) << err;
  sipring_config_free(c);

  std::ofstream(path) << "loadmodule \"tls.so\"\nmodparam(\"tls\", \"nonsense\", 1)\n";
  EXPECT_EQ(sipring_config_load(path.c_str(), err, sizeof err), nullptr);
  EXPECT_EQ(std::string(err).rfind(path + ":2: ", 0), 0u) << err;
  EXPECT_EQ(sipring_engine_new_from_file("/nonexistent/sipring.cfg", err, sizeof err), nullptr);
  EXPECT_NE(std::string(err).find("/nonexistent/sipring.cfg: cannot read"), std::string::npos)
      << err;
}

TEST_F(CApiTest, NullArgumentsGetAnErrorNeverACrash) {
  char err[128] = "";
  EXPECT_EQ(sipring_config_load(nullptr, err, sizeof err), nullptr);
  EXPECT_STREQ(err, "sipring_config_load: path is NULL");
  EXPECT_EQ(sipring_config_set(nullptr, "tls", "x", "1", err, sizeof err),
            SIPRING_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sipring_engine_new(nullptr, nullptr, err, sizeof err), nullptr);
  EXPECT_STREQ(err, "sipring_engine_new: cfg is NULL");
  EXPECT_EQ(sipring_engine_start(nullptr, err, sizeof err), SIPRING_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sipring_send(nullptr, 1, "x", 1), SIPRING_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sipring_send_to(nullptr, nullptr, "x", 1, nullptr), SIPRING_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sipring_connect(nullptr, nullptr, nullptr, err, sizeof err),
            SIPRING_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(sipring_inbox_wait(nullptr, 0), 0);
  EXPECT_EQ(sipring_inbox_front(nullptr, 0, nullptr), 0);
  sipring_inbox_pop(nullptr, 0);
  sipring_engine_stop(nullptr, 0);
  sipring_engine_free(nullptr);
  sipring_config_free(nullptr);
  EXPECT_EQ(sipring_port_front(nullptr, nullptr), 0);
  EXPECT_EQ(sipring_counters(nullptr, -1, nullptr, 0), 0u);
  EXPECT_EQ(sipring_build_response(nullptr, 0, 200, "OK", err, sizeof err), 0u);
  // err may be NULL when there is no room for a message.
  EXPECT_EQ(sipring_engine_start(nullptr, nullptr, 0), SIPRING_ERR_INVALID_ARGUMENT);

  // Options from another header version are refused; messages are cut and terminated.
  sipring_config* c = sipring_config_new();
  sipring_options o;
  sipring_options_init(&o);
  o.struct_size = 0;
  char small[8];
  EXPECT_EQ(sipring_engine_new(c, &o, small, sizeof small), nullptr);
  EXPECT_STREQ(small, "sipring");
  sipring_config_free(c);
}

TEST_F(CApiTest, DrainKeepsTheOpenConnectionAndRefusesNewOnes) {
  const uint16_t port = free_port();
  sipring_engine* e = start(server_config_c(port, 2), nullptr);
  ASSERT_NE(e, nullptr);
  char err[256] = "";
  {
    Consumers consumers(e);
    BlockingClient client(port, "TLSv1.3");
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(options_request(1)));
    EXPECT_EQ(client.read_responses(1).rfind("SIP/2.0 200 OK\r\n", 0), 0u);
    uint64_t connections = 9, accepted = 9, per[3] = {7, 7, 7};
    ASSERT_EQ(sipring_engine_drain(e, &connections, &accepted, per, 3, err, sizeof err), SIPRING_OK)
        << err;
    EXPECT_EQ(connections, 1u);
    EXPECT_EQ(accepted, 1u);
    EXPECT_EQ(per[0] + per[1], 1u);
    EXPECT_EQ(per[2], 7u);  // only as many as there are reactors are written
    BlockingClient refused(port, "TLSv1.3");
    EXPECT_FALSE(refused.connected());
    ASSERT_TRUE(client.send(options_request(2)));
    EXPECT_NE(client.read_responses(2).find("Call-ID: call-2@test"), std::string::npos);
    // NULL outputs are allowed.
    EXPECT_EQ(sipring_engine_drain(e, nullptr, nullptr, nullptr, 0, err, sizeof err), SIPRING_OK);
  }
  EXPECT_EQ(sipring_engine_drain(nullptr, nullptr, nullptr, nullptr, 0, err, sizeof err),
            SIPRING_ERR_INVALID_ARGUMENT);
  sipring_engine_free(e);
}

TEST_F(CApiTest, ConsumerThreadsAnswerOptionsOverTls) {
  const uint16_t port = free_port();
  sipring_engine* e = start(server_config_c(port, 2), nullptr);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(sipring_engine_reactors(e), 2u);
  sipring_conn conn = 0;
  {
    Consumers consumers(e);
    BlockingClient client(port, "TLSv1.3");
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(options_request(1)));
    const std::string reply = client.read_responses(1);
    EXPECT_EQ(reply.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << reply;
    EXPECT_NE(reply.find("Call-ID: call-1@test"), std::string::npos) << reply;

    Seen m;
    ASSERT_TRUE(consumers.wait_frame(SIPRING_FRAME_MESSAGE, 0, &m));
    conn = m.frame.conn;
    EXPECT_EQ(m.text, options_request(1));
    EXPECT_EQ(m.frame.reactor, sipring_conn_reactor(conn));
    EXPECT_EQ(m.frame.flags & (SIPRING_FLAG_TLS | SIPRING_FLAG_CLIENT_ROLE), SIPRING_FLAG_TLS);
    EXPECT_EQ(m.frame.tls_version, 0x0304);
    EXPECT_NE(m.frame.cipher, 0);
    EXPECT_EQ(m.frame.reason, 0);
    EXPECT_EQ(m.frame.peer.family, AF_INET);
    EXPECT_EQ(m.frame.local.port, port);
    EXPECT_EQ(memcmp(m.frame.local.ip, "\x7f\x00\x00\x01", 4), 0);
    char text[64];
    EXPECT_EQ(sipring_addr_format(&m.frame.local, text, sizeof text),
              std::string("127.0.0.1:" + std::to_string(port)).size());
    EXPECT_EQ(text, "127.0.0.1:" + std::to_string(port));

    // What is known of the connection, asked from this (any) thread.
    sipring_tls_info info;
    char err[256] = "";
    ASSERT_EQ(sipring_tls_info_get(e, conn, &info, err, sizeof err), SIPRING_OK) << err;
    EXPECT_EQ(info.version, 0x0304);
    EXPECT_STREQ(info.version_text, "TLSv1.3");
    EXPECT_STREQ(info.cipher, standard_cipher_name(m.frame.cipher).c_str());
    EXPECT_STREQ(info.sni, "localhost");
    EXPECT_STREQ(info.domain, "server:default");
    EXPECT_EQ(info.client_role, 0);
    EXPECT_EQ(info.peer_presented, 0);
    EXPECT_EQ(info.truncated, 0);
    EXPECT_EQ(sipring_tls_info_get(e, conn ^ 1, &info, err, sizeof err),
              SIPRING_ERR_UNKNOWN_CONNECTION);
    // Not a proxy listener's connection: no PROXY header facts (version 0).
    sipring_proxy_info proxy;
    memset(&proxy, 0xff, sizeof proxy);
    ASSERT_EQ(sipring_proxy_info_get(e, conn, &proxy, err, sizeof err), SIPRING_OK) << err;
    EXPECT_EQ(proxy.version, 0);
    EXPECT_EQ(proxy.unique_id_size, 0);
    EXPECT_EQ(proxy.balancer.family, 0);
    EXPECT_EQ(sipring_proxy_info_get(e, conn ^ 1, &proxy, err, sizeof err),
              SIPRING_ERR_UNKNOWN_CONNECTION);
    EXPECT_EQ(sipring_proxy_info_get(e, conn, nullptr, err, sizeof err),
              SIPRING_ERR_INVALID_ARGUMENT);

    // The client leaves: a CLOSED frame says why.
    client.close();
    Seen closed;
    ASSERT_TRUE(consumers.wait_frame(SIPRING_FRAME_CLOSED, conn, &closed));
    EXPECT_EQ(closed.frame.reason, SIPRING_CLOSE_PEER_CLOSED);
    EXPECT_STREQ(sipring_close_reason_name(closed.frame.reason), "peer-closed");
    EXPECT_EQ(closed.frame.size, 0u);
    // The slot is released a moment after the frame: then sends to the old id are refused.
    EXPECT_TRUE(wait_until([&] { return sipring_send(e, conn, "x", 1) != SIPRING_OK; }));
    EXPECT_EQ(sipring_send(e, conn, "x", 1), SIPRING_ERR_UNKNOWN_CONNECTION);
    EXPECT_EQ(consumers.send_errors(), 0);

    // Counters: all reactors summed, one reactor, a reactor that does not exist.
    std::vector<uint64_t> values(sipring_counter_count());
    ASSERT_EQ(sipring_counters(e, -1, values.data(), values.size()), values.size());
    size_t messages_in = values.size();
    for (size_t i = 0; i < values.size(); i++) {
      if (std::string(sipring_counter_name(i)) == "messages_in") messages_in = i;
    }
    ASSERT_LT(messages_in, values.size());
    EXPECT_EQ(values[messages_in], 1u);
    EXPECT_EQ(sipring_counters(e, 1, values.data(), 3), 3u);
    EXPECT_EQ(sipring_counters(e, 2, values.data(), values.size()), 0u);
    EXPECT_EQ(sipring_counter_name(values.size()), nullptr);
  }  // stopping the engine woke both consumer threads out of sipring_inbox_wait
  EXPECT_EQ(sipring_send(e, conn, "x", 1), SIPRING_ERR_NOT_RUNNING);
  sipring_engine_free(e);
}

TEST_F(CApiTest, RuntimeParametersAndTlsReload) {
  sipring_engine* e = start(server_config_c(free_port(), 1), nullptr);
  ASSERT_NE(e, nullptr);
  char value[16] = "";
  char err[256] = "";
  ASSERT_EQ(sipring_param_get(e, "tls", "connection_timeout", value, sizeof value, err, sizeof err),
            SIPRING_OK)
      << err;
  EXPECT_STREQ(value, "600");
  EXPECT_EQ(sipring_param_set_int(e, "tls", "connection_timeout", 30, err, sizeof err), SIPRING_OK)
      << err;
  EXPECT_EQ(sipring_param_set(e, "tls", "send_close_notify", "yes", err, sizeof err), SIPRING_OK)
      << err;
  EXPECT_EQ(sipring_param_get(e, "tls", "connection_timeout", value, sizeof value, err, sizeof err),
            SIPRING_OK);
  EXPECT_STREQ(value, "30");
  EXPECT_EQ(sipring_param_get(e, "tls", "connection_timeout", value, 2, err, sizeof err),
            SIPRING_ERR_TOO_LARGE);
  EXPECT_STREQ(err, "tls.connection_timeout: the value has 2 bytes, out holds 1");
  EXPECT_EQ(sipring_param_set_int(e, "tls", "connection_timeout", -5, err, sizeof err),
            SIPRING_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(err).find("out of range"), std::string::npos) << err;
  EXPECT_NE(sipring_param_set_int(e, "sipring", "ring_entries", 512, err, sizeof err), SIPRING_OK);
  EXPECT_NE(std::string(err).find("ring_entries"), std::string::npos) << err;
  EXPECT_EQ(sipring_tls_reload(e, err, sizeof err), SIPRING_OK) << err;
  sipring_engine_free(e);
}

// Inline mode: the C function runs on each reactor thread and answers through the port.
struct InlineSeen {
  std::atomic<int> runs{0};
  std::atomic<int> answered{0};
  std::atomic<uint32_t> bad_reactor{0};
};

uint64_t inline_core(void* ctx, sipring_port* port) {
  auto* seen = static_cast<InlineSeen*>(ctx);
  seen->runs++;
  sipring_frame f;
  while (sipring_port_front(port, &f)) {
    if (f.reactor != sipring_port_reactor(port)) seen->bad_reactor++;
    int s = answer_options(f, [port](sipring_conn c, const char* d, size_t n) {
      return sipring_port_send(port, c, d, n);
    });
    if (s == SIPRING_OK) seen->answered++;
    sipring_port_pop(port);
  }
  sipring_port_pop(port);  // nothing left: does nothing
  return 0;
}

TEST_F(CApiTest, InlineCoreAnswersOptionsThroughThePort) {
  const uint16_t port = free_port();
  InlineSeen seen;
  sipring_options o;
  sipring_options_init(&o);
  o.core = &inline_core;
  o.core_ctx = &seen;
  sipring_engine* e = start(server_config_c(port, 2), &o);
  ASSERT_NE(e, nullptr);
  sipring_frame f;
  EXPECT_EQ(sipring_inbox_front(e, 0, &f), 0);  // the core consumes, not inboxes
  for (int i = 0; i < 3; i++) {
    BlockingClient client(port, "TLSv1.2");
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send(options_request(i)));
    const std::string reply = client.read_responses(1);
    EXPECT_EQ(reply.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << reply;
  }
  EXPECT_EQ(seen.answered.load(), 3);
  EXPECT_EQ(seen.bad_reactor.load(), 0u);
  EXPECT_GT(seen.runs.load(), 0);
  sipring_engine_free(e);
}

TEST_F(CApiTest, ClientEngineConnectsSendsAndSeesClosedReasons) {
  const uint16_t port = free_port();
  sipring_engine* server = start(server_config_c(port, 2), nullptr);
  ASSERT_NE(server, nullptr);
  auto server_side = std::make_unique<Consumers>(server);

  sipring_config* cc = sipring_config_new();
  set(cc, "sipring", "reactors", "2");
  set(cc, "ctl", "socket", "");
  sipring_options o;
  sipring_options_init(&o);
  o.listen = 0;
  sipring_engine* client = start(cc, &o);
  ASSERT_NE(client, nullptr);
  {
    Consumers client_side(client);
    const std::string address = "127.0.0.1:" + std::to_string(port);
    sipring_destination to = {address.c_str(), "localhost", nullptr};
    sipring_conn conn = 0;
    char err[256] = "";
    ASSERT_EQ(sipring_connect(client, &to, &conn, err, sizeof err), SIPRING_OK) << err;
    ASSERT_NE(conn, 0u);
    const std::string request = options_request(7);
    EXPECT_EQ(sipring_send(client, conn, request.data(), request.size()), SIPRING_OK);
    Seen opened, reply;
    ASSERT_TRUE(client_side.wait_frame(SIPRING_FRAME_OPENED, conn, &opened));
    EXPECT_EQ(opened.frame.flags & SIPRING_FLAG_CLIENT_ROLE, SIPRING_FLAG_CLIENT_ROLE);
    EXPECT_EQ(opened.frame.peer.port, port);
    ASSERT_TRUE(client_side.wait_frame(SIPRING_FRAME_MESSAGE, conn, &reply));
    EXPECT_EQ(reply.text.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << reply.text;
    EXPECT_NE(reply.text.find("Call-ID: call-7@test"), std::string::npos);
    sipring_tls_info info;
    ASSERT_EQ(sipring_tls_info_get(client, conn, &info, err, sizeof err), SIPRING_OK) << err;
    EXPECT_EQ(info.client_role, 1);
    EXPECT_EQ(info.peer_presented, 1);
    EXPECT_STREQ(info.peer_cn, "localhost");
    EXPECT_STREQ(info.peer_san_dns, "localhost");

    // send_to: to the destination's connection of the owning reactor (opened on demand).
    const std::string second = options_request(8);
    EXPECT_EQ(sipring_send_to(client, &to, second.data(), second.size(), nullptr), SIPRING_OK);
    EXPECT_TRUE(wait_until([&] {
      for (const Seen& s : client_side.seen()) {
        if (s.text.find("Call-ID: call-8@test") != std::string::npos) return true;
      }
      return false;
    }));
    sipring_destination bad = {"nonsense", nullptr, nullptr};
    EXPECT_EQ(sipring_send_to(client, &bad, "x", 1, nullptr), SIPRING_ERR_INVALID_ARGUMENT);
    sipring_conn none = 1;
    EXPECT_EQ(sipring_connect(client, &bad, &none, err, sizeof err), SIPRING_ERR_INVALID_ARGUMENT);
    EXPECT_EQ(none, 0u);
    EXPECT_STREQ(err, "destination address \"nonsense\" is not IP:PORT or [IPv6]:PORT with a port");

    // RFC 5923: the server may not alias a connection whose peer presented no certificate.
    Seen at_server;
    ASSERT_TRUE(server_side->wait_frame(SIPRING_FRAME_MESSAGE, 0, &at_server));
    sipring_destination back = {"127.0.0.1:5999", "client.example", nullptr};
    EXPECT_NE(sipring_add_alias(server, at_server.frame.conn, &back, err, sizeof err), SIPRING_OK);
    EXPECT_GT(strlen(err), 0u);

    // Closed locally: the client core hears "local-close", the server "peer-closed".
    EXPECT_EQ(sipring_close(client, conn), SIPRING_OK);
    Seen closed;
    ASSERT_TRUE(client_side.wait_frame(SIPRING_FRAME_CLOSED, conn, &closed));
    EXPECT_EQ(closed.frame.reason, SIPRING_CLOSE_LOCAL);
    EXPECT_EQ(sipring_close(client, conn), SIPRING_ERR_UNKNOWN_CONNECTION);
    ASSERT_TRUE(server_side->wait_frame(SIPRING_FRAME_CLOSED, at_server.frame.conn, &closed));
    EXPECT_EQ(closed.frame.reason, SIPRING_CLOSE_PEER_CLOSED);

    // Nobody listens there: the connection's CLOSED frame says connect-failed.
    const std::string dead = "127.0.0.1:" + std::to_string(free_port());
    sipring_destination nowhere = {dead.c_str(), nullptr, nullptr};
    sipring_conn failed = 0;
    ASSERT_EQ(sipring_connect(client, &nowhere, &failed, err, sizeof err), SIPRING_OK) << err;
    ASSERT_TRUE(client_side.wait_frame(SIPRING_FRAME_CLOSED, failed, &closed));
    EXPECT_EQ(closed.frame.reason, SIPRING_CLOSE_CONNECT_FAILED);
  }
  sipring_engine_free(client);
  server_side.reset();  // stops the server and joins its consumers
  sipring_engine_free(server);
}

// The log sink receives the level and "[component] message" without a newline.
struct LogLines {
  std::mutex mu;
  std::vector<std::pair<int, std::string>> lines;
};

void collect(void* ctx, int level, const char* line, size_t len) {
  auto* log = static_cast<LogLines*>(ctx);
  std::lock_guard<std::mutex> l(log->mu);
  log->lines.emplace_back(level, std::string(line, len));
}

TEST_F(CApiTest, LogSinkReceivesLinesAtTheirLevel) {
  LogLines log;
  sipring_set_log_sink(&collect, &log);
  sipring_config* c = sipring_config_new();
  sipring_options o;
  sipring_options_init(&o);
  o.listen = 0;
  char err[256] = "";
  sipring_engine* e = sipring_engine_new(c, &o, err, sizeof err);
  sipring_config_free(c);
  ASSERT_NE(e, nullptr) << err;
  sipring_destination bad = {"127.0.0.1", nullptr, nullptr};  // no port
  EXPECT_EQ(sipring_send_to(e, &bad, "x", 1, nullptr), SIPRING_ERR_INVALID_ARGUMENT);
  sipring_set_log_level(SIPRING_LOG_CRIT);  // an error line is now dropped before the sink
  EXPECT_EQ(sipring_send_to(e, &bad, "x", 1, nullptr), SIPRING_ERR_INVALID_ARGUMENT);
  sipring_set_log_level(SIPRING_LOG_WARN);
  sipring_set_log_sink(nullptr, nullptr);
  sipring_engine_free(e);
  ASSERT_EQ(log.lines.size(), 1u);
  EXPECT_EQ(log.lines[0].first, SIPRING_LOG_ERR);
  EXPECT_EQ(log.lines[0].second,
            "[capi] sipring_send_to: destination address \"127.0.0.1\" is not IP:PORT or "
            "[IPv6]:PORT with a port");
}

TEST_F(CApiTest, ResponsesNamesAndAddresses) {
  const std::string request = options_request(3);
  char out[1024];
  const size_t n =
      sipring_build_response(request.data(), request.size(), 486, "Busy Here", out, sizeof out);
  ASSERT_GT(n, 0u);
  EXPECT_EQ(std::string(out, n).rfind("SIP/2.0 486 Busy Here\r\n", 0), 0u);
  EXPECT_EQ(sipring_build_response(request.data(), request.size(), 200, "OK", out, 20), 0u);
  EXPECT_EQ(sipring_build_response("SIP/2.0 200 OK\r\n\r\n", 18, 200, "OK", out, sizeof out), 0u);
  EXPECT_EQ(sipring_build_response(request.data(), request.size(), 99, "OK", out, sizeof out), 0u);

  EXPECT_STREQ(sipring_status_name(SIPRING_ERR_UNKNOWN_CONNECTION), "unknown-connection");
  EXPECT_STREQ(sipring_status_name(SIPRING_ERR_OVERLOADED), "overloaded");
  EXPECT_STREQ(sipring_status_name(SIPRING_ERR_INTERNAL), "internal");
  EXPECT_STREQ(sipring_status_name(99), "unknown-status");
  EXPECT_STREQ(sipring_close_reason_name(SIPRING_CLOSE_MEMORY_BUDGET), "memory-budget");
  EXPECT_STREQ(sipring_close_reason_name(-1), "unknown-reason");
  EXPECT_STREQ(sipring_version(), SIPRING_VERSION);
  EXPECT_EQ(sipring_conn_reactor(uint64_t{3} << 56 | 7), 3u);

  sipring_addr a = {};
  a.family = AF_INET6;
  a.port = 5061;
  a.ip[15] = 1;
  char text[8];
  EXPECT_EQ(sipring_addr_format(&a, text, sizeof text), strlen("[::1]:5061"));
  EXPECT_STREQ(text, "[::1]:5");  // cut to fit, terminated
  a.family = 0;
  EXPECT_EQ(sipring_addr_format(&a, text, sizeof text), 0u);
  EXPECT_STREQ(text, "");
}

}  // namespace
}  // namespace sipring::test
