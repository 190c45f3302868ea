// The key log (tls.keylog_mode, tls.keylog_file) end to end in process: the server logs exactly
// the secrets a BoringSSL client uses (TLS 1.3 traffic secrets, the TLS 1.2 master secret); a
// client engine and a server engine log the same lines for the connection between them; the
// key log goes on and off at runtime (bit 1 set at runtime rebuilds the contexts); bit 4 writes
// to the log; every refused value or file leaves everything as it was; failed writes are
// counted. Wireshark decrypting real captures with these files: tests/integration/test_keylog.py.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/testing/client_server.h"

namespace sipring {
namespace {

using namespace sipring::test;

std::string hex(const uint8_t* p, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; i++) {
    out += kDigits[p[i] >> 4];
    out += kDigits[p[i] & 15];
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream f(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(f, line);) out.push_back(line);
  return out;
}

std::vector<std::string> with_random(const std::vector<std::string>& lines,
                                     const std::string& random) {
  std::vector<std::string> out;
  for (const std::string& l : lines) {
    if (l.find(" " + random + " ") != std::string::npos) out.push_back(l);
  }
  return out;
}

std::string client_random(const SSL* ssl) {
  uint8_t r[SSL3_RANDOM_SIZE];
  SSL_get_client_random(ssl, r, sizeof(r));
  return hex(r, sizeof(r));
}

class KeylogTest : public ClientServerTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sipring-keylog.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cert_ = issue_cert(leaf_spec("sip.example.test", {"sip.example.test"}), &pki_.ca);
  }
  void TearDown() override {
    ClientServerTest::TearDown();
    EXPECT_EQ(system(("rm -rf '" + dir_ + "'").c_str()), 0);
  }
  std::string file(const std::string& name = "keys.log") const { return dir_ + "/" + name; }

  // A server whose key log mode is `mode`, to file() when it has bit 8.
  void start_logging_server(int mode) {
    start_server(cert_, [this, mode](Config& c) {
      c.tls.keylog_mode = mode;
      c.tls.keylog_file = file();
    });
  }

  // One OPTIONS over a new connection from a BoringSSL client, which `inspect` may look at
  // before it closes; returns its client random.
  std::string exchange(const std::string& method = "TLSv1.3",
                       const std::function<void(const SSL*)>& inspect = {}) {
    BlockingClient c(port_, method);
    EXPECT_TRUE(c.connected());
    EXPECT_TRUE(c.send(options_request(1)));
    std::string got = c.read_responses(1);
    EXPECT_EQ(got.rfind("SIP/2.0 200 OK\r\n", 0), 0u) << got;
    if (inspect) inspect(c.ssl());
    return client_random(c.ssl());
  }

  uint64_t lines_written() { return total(*server_).keylog_lines; }

  std::string dir_;
  IssuedCert cert_;
};

TEST_F(KeylogTest, Tls13ServerLogsTheTrafficSecretsTheClientUses) {
  start_logging_server(11);
  std::string read_secret, write_secret;
  const std::string random = exchange("TLSv1.3", [&](const SSL* ssl) {
    bssl::Span<const uint8_t> r, w;
    ASSERT_TRUE(bssl::SSL_get_traffic_secrets(ssl, &r, &w));
    read_secret = hex(r.data(), r.size());
    write_secret = hex(w.data(), w.size());
  });

  std::vector<std::string> lines = with_random(lines_of(file()), random);
  ASSERT_EQ(lines.size(), 5u) << ::testing::PrintToString(lines_of(file()));
  auto has = [&lines](const std::string& want) {
    return std::find(lines.begin(), lines.end(), want) != lines.end();
  };
  EXPECT_TRUE(has("CLIENT_TRAFFIC_SECRET_0 " + random + " " + write_secret));
  EXPECT_TRUE(has("SERVER_TRAFFIC_SECRET_0 " + random + " " + read_secret));
  for (const char* label : {"CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
                            "EXPORTER_SECRET "}) {
    EXPECT_EQ(std::count_if(lines.begin(), lines.end(),
                            [label](const std::string& l) { return l.rfind(label, 0) == 0; }),
              1)
        << label;
  }
  struct stat st;
  ASSERT_EQ(stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(lines_written(), 5u);
  EXPECT_EQ(total(*server_).keylog_failures, 0u);
}

TEST_F(KeylogTest, Tls12ServerLogsTheMasterSecretTheClientUses) {
  start_logging_server(11);
  std::string master;
  const std::string random = exchange("TLSv1.2", [&](const SSL* ssl) {
    uint8_t key[SSL_MAX_MASTER_KEY_LENGTH];
    size_t n = SSL_SESSION_get_master_key(SSL_get_session(ssl), key, sizeof(key));
    ASSERT_EQ(n, 48u);
    master = hex(key, n);
  });
  EXPECT_EQ(lines_of(file()), std::vector<std::string>{"CLIENT_RANDOM " + random + " " + master});
  EXPECT_EQ(lines_written(), 1u);
}

// The client role logs too (the engine's client context and [client:...] domains alike): both
// ends of one connection write the same lines.
TEST_F(KeylogTest, ClientAndServerEnginesLogTheSameLinesForBothVersions) {
  start_logging_server(11);
  for (const char* method : {"TLSv1.3", "TLSv1.2"}) {
    SCOPED_TRACE(method);
    ASSERT_EQ(truncate(file().c_str(), 0), 0);
    TlsProfile client = verifying();
    client.tls_method = method;
    client.tickets = false;
    start_client(1, client, [this](Config& c) {
      c.tls.keylog_mode = 11;
      c.tls.keylog_file = file("client.log");
    });
    ASSERT_EQ(truncate(file("client.log").c_str(), 0), 0);
    Result<ConnId> id = port_send_to(0, dest("sip.example.test"), options_request(1));
    ASSERT_TRUE(id) << id.error().message;
    ASSERT_TRUE(wait_replies(*id, 1));
    std::vector<std::string> ours = lines_of(file("client.log"));
    std::vector<std::string> theirs = lines_of(file());
    std::sort(ours.begin(), ours.end());
    std::sort(theirs.begin(), theirs.end());
    EXPECT_EQ(ours.size(), std::string(method) == "TLSv1.3" ? 5u : 1u);
    EXPECT_EQ(ours, theirs);
    EXPECT_EQ(total(*client_).keylog_lines, ours.size());
  }
}

TEST_F(KeylogTest, GoesOnAndOffAtRuntimeForNewHandshakes) {
  start_logging_server(0);
  exchange();
  EXPECT_NE(access(file().c_str(), F_OK), 0) << "mode 0 must not create the file";
  EXPECT_EQ(lines_written(), 0u);

  // Bit 1 was not set at start: setting it rebuilds the contexts with the hook.
  Status s = server_->set_param("tls", "keylog_mode", "11", true);
  ASSERT_TRUE(s) << s.message();
  std::string on = exchange();
  EXPECT_EQ(with_random(lines_of(file()), on).size(), 5u);
  EXPECT_EQ(lines_written(), 5u);

  // 9: the file stays open and the hook installed, but nothing is written.
  ASSERT_TRUE(server_->set_param("tls", "keylog_mode", "9", true));
  exchange("TLSv1.2");
  EXPECT_EQ(lines_of(file()).size(), 5u);
  ASSERT_TRUE(server_->set_param("tls", "keylog_mode", "11", true));
  std::string again = exchange("TLSv1.2");
  EXPECT_EQ(with_random(lines_of(file()), again).size(), 1u);

  // A new file at runtime: the next lines go there.
  s = server_->set_param("tls", "keylog_file", file("second.log"), false);
  ASSERT_TRUE(s) << s.message();
  std::string second = exchange();
  EXPECT_EQ(with_random(lines_of(file("second.log")), second).size(), 5u);
  EXPECT_EQ(lines_of(file()).size(), 6u);

  ASSERT_TRUE(server_->set_param("tls", "keylog_mode", "0", true));
  exchange();
  EXPECT_EQ(lines_of(file("second.log")).size(), 5u);
  EXPECT_EQ(lines_written(), 11u);
  EXPECT_EQ(total(*server_).keylog_failures, 0u);
}

TEST_F(KeylogTest, RefusedValuesAndFilesChangeNothing) {
  start_logging_server(0);
  auto refused = [this](const char* name, const std::string& value, bool number,
                        const std::string& why) {
    Status s = server_->set_param("tls", name, value, number);
    EXPECT_FALSE(s) << name << "=" << value;
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
  };
  ASSERT_TRUE(server_->set_param("tls", "keylog_file", "", false));
  refused("keylog_mode", "11", true, "tls.keylog_file is not set");
  ASSERT_TRUE(server_->set_param("tls", "keylog_file", file("no/such/dir.log"), false));
  refused("keylog_mode", "11", true, "cannot open or create");
  refused("keylog_mode", "10", true, "bit 2 (active) without bit 1 (initialise)");
  refused("keylog_mode", "3", true, "writes nothing");
  refused("keylog_mode", "27", true, "keylog_peer");
  refused("keylog_mode", "32", true, "out of range");
  EXPECT_EQ(server_->get_param("tls", "keylog_mode").value(), "0");

  // A file others may read is refused, and the key log stays where it was.
  ASSERT_TRUE(server_->set_param("tls", "keylog_file", file(), false));
  ASSERT_TRUE(server_->set_param("tls", "keylog_mode", "11", true));
  std::ofstream(file("shared.log")) << "";
  ASSERT_EQ(chmod(file("shared.log").c_str(), 0644), 0);
  refused("keylog_file", file("shared.log"), false, "chmod 600");
  EXPECT_EQ(server_->get_param("tls", "keylog_file").value(), file());
  std::string random = exchange();
  EXPECT_EQ(with_random(lines_of(file()), random).size(), 5u);
}

TEST_F(KeylogTest, AStartWithAFileThatCannotBeUsedIsRefused) {
  auto refused_start = [this](const std::string& path, const std::string& why) {
    Config c = server_config(free_port());
    c.ctl.socket = "";
    c.tls.profile.certificate = pki_.files.cert_and_key("refused.pem", cert_);
    c.tls.keylog_mode = 11;
    c.tls.keylog_file = path;
    auto e = Engine::create(c, Engine::Options{});
    ASSERT_TRUE(e);
    Status s = e.value()->start();
    EXPECT_FALSE(s) << path;
    EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
  };
  refused_start("", "tls.keylog_file is not set");
  std::ofstream(file("shared.log")) << "";
  ASSERT_EQ(chmod(file("shared.log").c_str(), 0640), 0);
  refused_start(file("shared.log"), "mode 0640");
}

// Bit 4: every line goes to the log at NOTICE, whatever the log level.
TEST_F(KeylogTest, Bit4WritesTheLinesToTheLog) {
  struct Sink {
    std::mutex mu;
    std::vector<std::string> lines;
  } sink;
  set_log_sink(
      [](void* ctx, LogLevel level, std::string_view line) {
        auto* s = static_cast<Sink*>(ctx);
        std::lock_guard<std::mutex> l(s->mu);
        if (line.find("keylog: ") != std::string_view::npos) {
          s->lines.push_back(std::to_string(level) + " " + std::string(line));
        }
      },
      &sink);
  start_logging_server(7);
  std::string random = exchange();
  server_->stop(std::chrono::milliseconds(0));
  set_log_sink(nullptr, nullptr);
  ASSERT_EQ(sink.lines.size(), 5u);
  for (const std::string& l : sink.lines) {
    EXPECT_EQ(l.rfind("1 [tls] keylog: ", 0), 0u) << l;
    EXPECT_NE(l.find(" " + random + " "), std::string::npos) << l;
  }
  EXPECT_NE(access(file().c_str(), F_OK), 0) << "mode 7 has no bit 8: no file";
}

TEST_F(KeylogTest, APureClientTakesTheHookOnlyAtStart) {
  start_server(cert_);
  start_client(1, verifying());
  Status s = client_->set_param("tls", "keylog_file", file(), false);
  ASSERT_TRUE(s) << s.message();
  s = client_->set_param("tls", "keylog_mode", "11", true);
  EXPECT_FALSE(s);
  EXPECT_NE(s.message().find("start it with bit 1 set"), std::string::npos) << s.message();

  start_client(1, verifying(), [](Config& c) { c.tls.keylog_mode = 1; });
  ASSERT_TRUE(client_->set_param("tls", "keylog_file", file(), false));
  s = client_->set_param("tls", "keylog_mode", "11", true);
  ASSERT_TRUE(s) << s.message();
  Result<ConnId> id = port_send_to(0, dest("sip.example.test"), options_request(1));
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(wait_replies(*id, 1));
  EXPECT_EQ(lines_of(file()).size(), 5u);
}

TEST_F(KeylogTest, LinesTheFileDoesNotTakeAreCountedAsFailures) {
  start_logging_server(11);
  // A file size limit of 0 stands for a full disk: every write fails (EFBIG).
  rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  sighandler_t handler = signal(SIGXFSZ, SIG_IGN);
  rlimit none = {0, old.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &none), 0);
  exchange();
  setrlimit(RLIMIT_FSIZE, &old);
  signal(SIGXFSZ, handler);
  EXPECT_EQ(total(*server_).keylog_failures, 5u);
  EXPECT_EQ(lines_written(), 0u);
  exchange();
  EXPECT_EQ(lines_written(), 5u);
}

}  // namespace
}  // namespace sipring
