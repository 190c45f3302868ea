// In-process tests of Engine::drain (core.drain): the listeners close (a connect is refused),
// established connections keep being served, the client role keeps working on a drained engine,
// and a later call reports the count now.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <numeric>

#include "tests/testing/client_server.h"

namespace sipring {
namespace {

using namespace sipring::test;

// errno of a TCP connect to 127.0.0.1:port (0: it connected).
int connect_errno(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  int e = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 ? 0 : errno;
  ::close(fd);
  return e;
}

class EngineDrainTest : public ClientServerTest {
 protected:
  void SetUp() override {
    cert_ = issue_cert(leaf_spec("sip.example.test", {"sip.example.test"}), &pki_.ca);
  }
  void drain_keeps_connections(bool reuseport);
  IssuedCert cert_;
};

void EngineDrainTest::drain_keeps_connections(bool reuseport) {
  start_client(1, verifying());
  Result<ConnId> id = port_send_to(0, dest("sip.example.test"), options_request(1));
  ASSERT_TRUE(id) << id.error().message;
  ASSERT_TRUE(wait_replies(*id, 1));

  Result<DrainReport> d = server_->drain();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->first);
  EXPECT_EQ(d->connections, 1u);
  EXPECT_EQ(d->accepted, 1u);
  ASSERT_EQ(d->per_reactor.size(), 2u);
  EXPECT_EQ(std::accumulate(d->per_reactor.begin(), d->per_reactor.end(), uint64_t{0}), 1u);
  EXPECT_EQ(connect_errno(port_), ECONNREFUSED) << "reuseport " << reuseport;

  // The established connection is served as before.
  ASSERT_TRUE(port_send_to(0, dest("sip.example.test"), options_request(2)));
  ASSERT_TRUE(wait_replies(*id, 2));
  EXPECT_EQ(total(*server_).accepted, 1u);
  EXPECT_EQ(total(*server_).draining, 2u);

  // Again: nothing changes, the count is the count now.
  d = server_->drain();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_FALSE(d->first);
  EXPECT_EQ(d->connections, 1u);
  EXPECT_EQ(connect_errno(port_), ECONNREFUSED);
}

TEST_F(EngineDrainTest, ListenersCloseConnectionsStay) {
  start_server(cert_);
  drain_keeps_connections(true);
}

TEST_F(EngineDrainTest, TheSharedSocketOfReuseportOffClosesToo) {
  start_server(cert_, [](Config& c) { c.engine.reuseport = false; });
  drain_keeps_connections(false);
}

TEST_F(EngineDrainTest, ADrainedEngineStillOpensClientConnections) {
  start_server(cert_);
  start_client(1, verifying());
  Result<ConnId> first = port_send_to(0, dest("sip.example.test"), options_request(1));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_TRUE(wait_replies(*first, 1));
  Result<DrainReport> d = client_->drain();
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->connections, 1u);  // its own client connection
  EXPECT_EQ(d->accepted, 0u);
  // A new destination after the drain: a new connection, handshake, reply.
  std::unique_ptr<Engine> old = std::move(server_);
  start_server(cert_);
  Result<ConnId> second = port_send_to(0, dest("sip.example.test"), options_request(2));
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(wait_replies(*second, 1)) << events_of(client_core_->frames());
  EXPECT_NE(*second, *first);
  EXPECT_EQ(total(*client_).connected, 2u);
  old->stop(std::chrono::milliseconds(0));
}

TEST_F(EngineDrainTest, NotRunningSaysSo) {
  start_server(cert_);
  server_->stop(std::chrono::milliseconds(0));
  Result<DrainReport> d = server_->drain();
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, Errc::kNotRunning);
}

}  // namespace
}  // namespace sipring
