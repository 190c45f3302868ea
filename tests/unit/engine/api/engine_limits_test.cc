// The defences end to end, over loopback TLS with an inline core: a peer that never reads its
// replies is closed at sipring.conn_wq_hard_max (send() says kOverloaded, kClosed says
// queue-full); a message that does not complete within sipring.message_timeout_ms closes its
// connection (with a 400 when the head was complete), however slowly its bytes trickle in;
// conn_wq_hard_max below conn_wq_max is refused at start; a source over
// sipring.max_connections_per_source is closed at accept while another source is served; a
// peer that floods KeyUpdate(update_requested) and never reads pauses at conn_wq_max; a proxy
// listener's header is bounded by sipring.proxy_header_timeout_ms, the handshake after it by
// handshake_timeout_ms.
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "sipring/engine.h"
#include "tests/testing/core_driver.h"
#include "tests/testing/loopback.h"

namespace sipring {
namespace {

using namespace sipring::test;

// The kClosed frame the core saw for `id`, waiting up to `limit` for it.
std::optional<SeenFrame> closed_frame(CoreDriver& core, ConnId id,
                                      std::chrono::milliseconds limit = 5s) {
  std::optional<SeenFrame> out;
  core.wait_for(
      [&](const std::vector<SeenFrame>& fs) {
        for (const SeenFrame& f : fs) {
          if (f.frame.conn == id && f.frame.kind == FrameKind::kClosed) {
            out = f;
            return true;
          }
        }
        return false;
      },
      limit);
  return out;
}

// The connection of the first message the core saw (waits for it).
ConnId first_message_conn(CoreDriver& core) {
  ConnId id;
  core.wait_for([&](const std::vector<SeenFrame>& fs) {
    for (const SeenFrame& f : fs) {
      if (f.frame.kind == FrameKind::kMessage) {
        id = f.frame.conn;
        return true;
      }
    }
    return false;
  });
  return id;
}

class EngineLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A client writing to a connection sipring closed must see EPIPE, not die of SIGPIPE.
    signal(SIGPIPE, SIG_IGN);
  }
  void TearDown() override {
    if (engine_) engine_->stop(std::chrono::milliseconds(0));
    engine_.reset();  // before the core driver it calls
  }

  void start(const std::function<void(Config&)>& adjust, int reactors = 1) {
    port_ = free_port();
    Config c = server_config(port_, reactors);
    c.ctl.socket = "";  // no control socket: tests of other engines may run at the same time
    if (adjust) adjust(c);
    Engine::Options o;
    o.core = core_.factory();
    engine_ = start_engine(c, std::move(o));
    ASSERT_NE(engine_, nullptr);
  }

  uint16_t port_ = 0;
  CoreDriver core_{/*answer_requests=*/true};
  std::unique_ptr<Engine> engine_;
};

// A 200 OK with a body of `body` bytes.
std::string big_reply(size_t body) {
  return "SIP/2.0 200 OK\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n" +
         std::string(body, 'x');
}

TEST_F(EngineLimitsTest, PeerThatNeverReadsIsClosedAtTheHardQueueLimit) {
  start([](Config& c) {
    c.engine.conn_wq_max = 4096;
    c.engine.conn_wq_hard_max = 65536;
  });
  BlockingClient client(port_, "TLSv1.3");
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(options_request(1)));
  const ConnId id = first_message_conn(core_);
  ASSERT_TRUE(id.valid());
  // The client reads nothing from here on. The core sends 16 KB replies, a few per reactor
  // iteration (so the queue drains into the kernel's buffers between them, until those are
  // full), until one is refused. Bounded: 64 MB, 10 s.
  const std::string reply = big_reply(16000);
  struct Outcome {
    SendStatus status = SendStatus::kOk;
    int accepted = 0;
  };
  Outcome last;
  uint64_t sent_bytes = 0;
  const auto deadline = Clock::now() + 10s;
  while (last.status == SendStatus::kOk && sent_bytes < (64u << 20) && Clock::now() < deadline) {
    auto r = core_.run_on<Outcome>(0, [reply, id](ReactorPort& p) {
      Outcome o;
      for (int i = 0; i < 3; i++) {  // 48 KB: under the hard limit from an empty queue
        o.status = p.send(id, bytes(reply));
        if (o.status != SendStatus::kOk) break;
        o.accepted++;
      }
      return o;
    });
    ASSERT_TRUE(r.has_value()) << "the reactor did not run the task";
    last = *r;
    sent_bytes += uint64_t(last.accepted) * reply.size();
  }
  ASSERT_EQ(last.status, SendStatus::kOverloaded)
      << send_status_name(last.status) << " after " << sent_bytes << " bytes";
  // Refused only once the kernel's buffers were full too: more than one hard limit went out.
  EXPECT_GT(sent_bytes, 65536u);
  std::optional<SeenFrame> closed = closed_frame(core_, id);
  ASSERT_TRUE(closed.has_value()) << "no kClosed frame";
  EXPECT_EQ(closed->frame.reason, CloseReason::kQueueFull)
      << close_reason_name(closed->frame.reason);
  ReactorStats s = total(*engine_);
  EXPECT_GE(s.send_queue_full, 1u);
  EXPECT_GE(s.send_paused, 1u);  // reading paused at conn_wq_max before the close
  // The id is stale now; everything queued for it is dropped and the slot freed.
  auto again =
      core_.run_on<SendStatus>(0, [reply, id](ReactorPort& p) { return p.send(id, bytes(reply)); });
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, SendStatus::kUnknownConnection);
  EXPECT_TRUE(wait_until(
      [&] {
        ReactorStats t = total(*engine_);
        return t.connections_open == 0 && t.tx_queued_bytes == 0;
      },
      5s))
      << counters_text(total(*engine_));
}

// A TLS 1.3 peer that never reads and floods KeyUpdate(update_requested): every one makes
// sipring queue a KeyUpdate of its own (27 bytes), which the peer does not read either. Those
// answers count against sipring.conn_wq_max like replies do: once the kernel's buffers are full
// (on loopback the send buffer grows to a few MB first, so it takes ~100k KeyUpdates), reading
// pauses (send_paused), the peer's records wait in the kernel, sipring reads none, and the queue
// stays near conn_wq_max instead of growing to conn_wq_hard_max (1 MiB here) and closing. The
// flood carries no SIP (zero-length writes flush each KeyUpdate alone), so no reply or
// keep-alive answer pauses reading on its behalf. Bounded: 300k KeyUpdates (8 MB) or 8 s.
TEST_F(EngineLimitsTest, KeyUpdateFloodFromAPeerThatNeverReadsPausesReading) {
  constexpr uint32_t kWqMax = 4096;
  start([](Config& c) {
    c.engine.conn_wq_max = kWqMax;
    c.engine.conn_wq_hard_max = 1u << 20;
  });
  BlockingClient client(port_, "TLSv1.3", "", /*rcvbuf=*/4096);
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(options_request(1)));  // its one reply is never read either
  ASSERT_TRUE(first_message_conn(core_).valid());
  SSL* ssl = client.ssl();
  ASSERT_EQ(SSL_version(ssl), TLS1_3_VERSION);
  const int fd = SSL_get_fd(ssl);
  // Non-blocking: the test watches sipring's counters while the client's buffers fill.
  ASSERT_EQ(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);

  int sent = 0;
  bool pending = false;  // a KeyUpdate BoringSSL has not written to the socket yet
  bool stalled = false;  // sipring paused and then read nothing for 300 ms
  int write_error = SSL_ERROR_NONE;
  std::optional<Clock::time_point> read_since;  // when sipring last read a KeyUpdate
  uint64_t key_updates_then = 0;
  uint64_t peak_queued = 0;  // the most tx_queued_bytes seen
  const auto deadline = Clock::now() + 8s;
  while (sent < 300000 && Clock::now() < deadline) {
    if (!pending) {
      // BoringSSL queues one KeyUpdate at a time; a zero-length SSL_write sends it.
      ASSERT_EQ(SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED), 1);
      pending = true;
    }
    const int r = SSL_write(ssl, "", 0);
    bool blocked = false;
    if (r >= 0) {
      sent++;
      pending = false;
    } else {
      write_error = SSL_get_error(ssl, r);
      ERR_clear_error();
      if (write_error != SSL_ERROR_WANT_WRITE) break;  // e.g. sipring closed the connection
      blocked = true;
    }
    // Every 1000 KeyUpdates, and whenever the kernel takes no more for now: stop once sipring
    // has paused and read no KeyUpdate for 300 ms (the client's kernel buffers may still
    // take some).
    if (!blocked && sent % 1000 != 0) continue;
    const ReactorStats q = total(*engine_);
    peak_queued = std::max(peak_queued, q.tx_queued_bytes);
    if (!read_since || q.key_updates != key_updates_then) {
      read_since = Clock::now();
      key_updates_then = q.key_updates;
    } else if (q.send_paused >= 1 && Clock::now() - *read_since >= 300ms) {
      stalled = true;
      break;
    }
    if (blocked) {
      pollfd p{fd, POLLOUT, 0};
      poll(&p, 1, 10);
    }
  }
  const ReactorStats s = total(*engine_);
  peak_queued = std::max(peak_queued, s.tx_queued_bytes);
  std::printf(
      "KeyUpdates sent %d, received %llu; queued %llu bytes (peak %llu); send_paused %llu; %s\n",
      sent, static_cast<unsigned long long>(s.key_updates),
      static_cast<unsigned long long>(s.tx_queued_bytes),
      static_cast<unsigned long long>(peak_queued), static_cast<unsigned long long>(s.send_paused),
      stalled ? "sipring stopped reading" : "sipring did not stop reading");
  EXPECT_GT(s.key_updates, 0u) << counters_text(s);
  EXPECT_GE(s.send_paused, 1u) << "KeyUpdate answers never paused reading; " << counters_text(s);
  EXPECT_TRUE(stalled) << "sent " << sent << ", last SSL_write error " << write_error << "; "
                       << counters_text(s);
  EXPECT_LT(s.tx_queued_bytes, kWqMax + 65536u)
      << "KeyUpdate answers queued far past conn_wq_max; " << counters_text(s);
  EXPECT_LT(peak_queued, kWqMax + 65536u) << "KeyUpdate answers queued far past conn_wq_max";
  EXPECT_EQ(s.send_queue_full, 0u) << "the hard limit was needed; " << counters_text(s);
  EXPECT_EQ(s.closed, 0u) << counters_text(s);
}

// The head is complete, the body is not: after message_timeout_ms the peer gets a 400 and the
// connection closes; the core hears kMessageTimeout.
TEST_F(EngineLimitsTest, IncompleteBodyIsAnsweredAndClosedAfterMessageTimeout) {
  start([](Config& c) { c.engine.message_timeout_ms = 200; });
  BlockingClient client(port_, "TLSv1.3");
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(options_request(1)));  // a whole message: the core sees the connection
  ASSERT_EQ(count(client.read_responses(1), "SIP/2.0 200 OK"), 1u);
  const ConnId id = first_message_conn(core_);
  std::string half = options_request(2);
  half.replace(half.find("Content-Length: 0"), 17, "Content-Length: 100");
  half += "only ten b";
  const auto t0 = Clock::now();
  ASSERT_TRUE(client.send(half));
  std::string got = client.read_responses(2);
  EXPECT_EQ(count(got, "SIP/2.0 400 "), 1u) << got;
  EXPECT_NE(got.find("Call-ID: call-2@test"), std::string::npos) << got;
  client.read_to_end();
  const auto elapsed = Clock::now() - t0;
  std::optional<SeenFrame> closed = closed_frame(core_, id);
  ASSERT_TRUE(closed.has_value()) << "no kClosed frame";
  EXPECT_EQ(closed->frame.reason, CloseReason::kMessageTimeout)
      << close_reason_name(closed->frame.reason);
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 3s);
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.message_timeouts, 1u);
  EXPECT_EQ(s.replies_400, 1u);
  EXPECT_EQ(s.messages_in, 1u);
}

// A head that trickles in a byte at a time, each within the idle timeout: the message clock does
// not restart with each byte, so the connection closes after message_timeout_ms (no 400: a
// head that never completed cannot be answered).
TEST_F(EngineLimitsTest, TricklingHeadIsClosedAfterMessageTimeout) {
  start([](Config& c) { c.engine.message_timeout_ms = 200; });
  BlockingClient client(port_, "TLSv1.3");
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.send(options_request(1)));
  ASSERT_EQ(count(client.read_responses(1), "SIP/2.0 200 OK"), 1u);
  const ConnId id = first_message_conn(core_);
  const std::string head = options_request(2);
  const auto t0 = Clock::now();
  // One byte (one TLS record) every 20 ms, at most the whole head (~5 s): it never completes.
  for (size_t i = 0; i + 4 < head.size(); i++) {
    if (!client.send(head.substr(i, 1))) break;
    if (total(*engine_).message_timeouts != 0) break;
    std::this_thread::sleep_for(20ms);
  }
  const auto stopped = Clock::now();
  std::optional<SeenFrame> closed = closed_frame(core_, id);
  ASSERT_TRUE(closed.has_value()) << "no kClosed frame";
  EXPECT_EQ(closed->frame.reason, CloseReason::kMessageTimeout)
      << close_reason_name(closed->frame.reason);
  EXPECT_GE(stopped - t0, 200ms);
  EXPECT_LT(stopped - t0, 2s) << "the trickle kept the connection open";
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.message_timeouts, 1u);
  EXPECT_EQ(s.replies_400, 0u);
  EXPECT_EQ(s.idle_timeouts, 0u);
}

// A plain TCP socket to 127.0.0.1:port that has sent `bytes` (-1: not connected).
int tcp_sending(uint16_t port, const std::string& bytes) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const SockAddr a = loopback(port);
  if (::connect(fd, a.sa(), a.len()) != 0 ||
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(bytes.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Whether the server closed `fd` within `limit` (it sends nothing before TLS).
bool closed_within(int fd, std::chrono::milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return false;
  char c;
  return ::recv(fd, &c, 1, 0) <= 0;
}

TEST_F(EngineLimitsTest, ProxyHeaderHasItsOwnTimeoutThenTheHandshakeHasItsOwn) {
  start([](Config& c) {
    c.proxy_protocol_listen = c.listen;
    c.listen.clear();
    c.engine.proxy_protocol_trusted = "127.0.0.0/8";
    c.engine.proxy_header_timeout_ms = 300;
    c.engine.handshake_timeout_ms = 5000;
  });
  const auto t0 = Clock::now();
  const int silent = tcp_sending(port_, "");
  const int half = tcp_sending(port_, "PROXY TCP4 192.0.2.");
  const std::string header = "PROXY TCP4 192.0.2.7 127.0.0.1 4000 5061\r\n";
  const int whole = tcp_sending(port_, header);
  ASSERT_GE(silent, 0);
  ASSERT_GE(half, 0);
  ASSERT_GE(whole, 0);
  EXPECT_TRUE(closed_within(silent, 3s));
  EXPECT_TRUE(closed_within(half, 3s));
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, 250ms) << "closed before sipring.proxy_header_timeout_ms";
  EXPECT_LT(took, 2s) << "the header waited for the handshake timeout";
  // The complete header is past the header's deadline: its timer is the handshake's now.
  EXPECT_FALSE(closed_within(whole, 600ms));
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.proxy_timeouts, 2u);
  EXPECT_EQ(s.proxy_headers, 1u);
  EXPECT_EQ(s.handshake_timeouts, 0u);
  EXPECT_EQ(s.proxy_header_bytes, header.size());  // the copy kept for the facts
  for (int fd : {silent, half, whole}) ::close(fd);
  EXPECT_TRUE(wait_until([&] { return total(*engine_).proxy_header_bytes == 0; }, 5s))
      << "the kept header outlived its connection";
}

TEST(EngineLimitsStartTest, HardQueueLimitBelowSoftLimitIsRefused) {
  Config c = server_config(free_port(), 1);
  c.engine.conn_wq_max = 32768;
  c.engine.conn_wq_hard_max = 16384;
  auto e = Engine::create(c, Engine::Options{});
  ASSERT_TRUE(e) << e.error().message;
  Status s = e.value()->start();
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("sipring.conn_wq_hard_max (16384)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("sipring.conn_wq_max (32768)"), std::string::npos) << s.message();
  EXPECT_FALSE(e.value()->running());
}

TEST(EngineLimitsStartTest, HardQueueLimitEqualToSoftLimitIsAccepted) {
  Config c = server_config(free_port(), 1);
  c.ctl.socket = "";
  c.engine.conn_wq_max = 65536;
  c.engine.conn_wq_hard_max = 65536;
  auto engine = start_engine(c, Engine::Options{});
  ASSERT_NE(engine, nullptr);
  engine->stop(std::chrono::milliseconds(0));
}

// Three connections from 127.0.0.1 are its limit (over both reactors); a fourth is closed at
// accept, while 127.0.0.2 is another source and is served. Once one of the three closes,
// 127.0.0.1 may connect again.
TEST_F(EngineLimitsTest, SourceOverItsConnectionLimitIsRefusedAtAccept) {
  start([](Config& c) { c.engine.max_connections_per_source = 3; }, /*reactors=*/2);
  std::vector<std::unique_ptr<BlockingClient>> held;
  for (int i = 0; i < 3; i++) {
    held.push_back(std::make_unique<BlockingClient>(port_, "TLSv1.3", "127.0.0.1"));
    ASSERT_TRUE(held.back()->connected()) << i;
  }
  BlockingClient fourth(port_, "TLSv1.3", "127.0.0.1");
  EXPECT_FALSE(fourth.connected());
  EXPECT_TRUE(wait_until([&] { return total(*engine_).source_refused == 1; }, 5s))
      << counters_text(total(*engine_));

  BlockingClient other(port_, "TLSv1.3", "127.0.0.2");
  ASSERT_TRUE(other.connected());
  ASSERT_TRUE(other.send(options_request(7)));
  EXPECT_EQ(count(other.read_responses(1), "Call-ID: call-7@test"), 1u);

  // The held connections are served too.
  ASSERT_TRUE(held[0]->send(options_request(8)));
  EXPECT_EQ(count(held[0]->read_responses(1), "Call-ID: call-8@test"), 1u);

  held[2]->close();
  ASSERT_TRUE(wait_until([&] { return total(*engine_).closed >= 1; }, 5s));
  BlockingClient again(port_, "TLSv1.3", "127.0.0.1");
  EXPECT_TRUE(again.connected()) << "a closed connection still counts against its source";
  ReactorStats s = total(*engine_);
  EXPECT_EQ(s.source_refused, 1u);
  EXPECT_EQ(s.accepted, 5u);  // 3 + 127.0.0.2 + again; the refused one never was
}

// sipring.message_timeout_ms holds peers to account for their own slowness, not sipring's: a
// connection that sipring stopped reading (here: the core stalls, the handoff ring fills and
// the receive buffers are held) may hold a partial message whose rest waits in the kernel, and
// must not be closed for it. The idle timeout makes that exception (open_deadline, on_timer:
// kConnRecvPaused | kConnNeedRearm); the message timeout does not.
TEST(EngineLimitsStallTest, StalledCoreDoesNotTimeOutMessagesSipringStoppedReading) {
  signal(SIGPIPE, SIG_IGN);
  const uint16_t port = free_port();
  Config cfg = server_config(port, 1);
  cfg.ctl.socket = "";
  cfg.engine.handoff_entries = 16;
  cfg.engine.recv_buffers = 16;
  cfg.engine.message_timeout_ms = 200;
  auto engine = start_engine(cfg, Engine::Options{});
  ASSERT_NE(engine, nullptr);

  std::atomic<bool> go{false};
  std::thread core([&] {
    Engine::Inbox& inbox = engine->inbox(0);
    while (!go.load()) std::this_thread::sleep_for(1ms);
    while (inbox.wait()) {
      while (const Frame* f = inbox.front()) {
        if (f->kind == FrameKind::kMessage) {
          std::string reply = answer(*f);
          for (int i = 0;
               i < 10000 && engine->send(f->conn, bytes(reply)) == SendStatus::kQueueFull; i++) {
            std::this_thread::yield();
          }
        }
        inbox.pop();
      }
    }
  });

  constexpr int kRequests = 1000;
  BlockingClient client(port, "TLSv1.3");
  ASSERT_TRUE(client.connected());
  std::thread writer([&] {
    // Writes of 1000 bytes, so records (and reads) end in the middle of messages.
    std::string all;
    for (int i = 0; i < kRequests; i++) all += options_request(i);
    for (size_t pos = 0; pos < all.size(); pos += 1000) {
      if (!client.send(all.substr(pos, 1000))) break;
    }
  });
  // The core takes nothing: the handoff ring fills, frames park, and reading stops (no buffer
  // is free, or the parked frames pass the pause threshold) with a message half read.
  EXPECT_TRUE(wait_until([&] { return total(*engine).handoff_full > 0; }, 5s))
      << counters_text(total(*engine));
  std::this_thread::sleep_for(1000ms);  // five message timeouts
  go = true;
  std::string got = client.read_responses(kRequests);
  writer.join();
  EXPECT_EQ(count(got, "SIP/2.0 200 OK"), static_cast<size_t>(kRequests));
  ReactorStats s = total(*engine);
  EXPECT_EQ(s.message_timeouts, 0u) << counters_text(s);
  EXPECT_EQ(s.messages_in, static_cast<uint64_t>(kRequests));
  engine->stop(std::chrono::milliseconds(500));
  core.join();
}

// sipring.wq_max / rx_partial_max accept any value from 1, but the shared budget is claimed in
// quanta of at least 4 KiB: a limit smaller than one quantum can never be claimed, so every
// byte counts as over budget and every connection that queues a reply (or holds a partial
// message) is shed. Such a value must either be refused at start, with a message naming it, or
// let bytes up to the limit through. 4000 bytes: more than what one OPTIONS exchange holds (a
// ~300-byte reply; a 2 KiB block of partial input), less than the smallest quantum.
void small_budget(const std::function<void(Config&)>& set, const char* name, bool split) {
  signal(SIGPIPE, SIG_IGN);
  const uint16_t port = free_port();
  Config c = server_config(port, 1);
  c.ctl.socket = "";
  set(c);
  CoreDriver core(/*answer_requests=*/true);
  Engine::Options o;
  o.core = core.factory();
  auto created = Engine::create(c, std::move(o));
  ASSERT_TRUE(created) << created.error().message;
  std::unique_ptr<Engine> engine = std::move(created.value());
  if (Status s = engine->start(); !s) {
    EXPECT_NE(s.message().find(name), std::string::npos) << s.message();
    return;
  }
  {
    BlockingClient client(port, "TLSv1.3");
    EXPECT_TRUE(client.connected());
    const std::string request = options_request(1);
    if (split) {  // two records, apart: the first half waits as partial input
      EXPECT_TRUE(client.send(request.substr(0, 100)));
      std::this_thread::sleep_for(50ms);
      EXPECT_TRUE(client.send(request.substr(100)));
    } else {
      EXPECT_TRUE(client.send(request));
    }
    EXPECT_EQ(count(client.read_responses(1), "SIP/2.0 200 OK"), 1u);
    ReactorStats s = total(*engine);
    EXPECT_EQ(s.budget_closed, 0u) << name << " smaller than one quantum sheds everything";
  }
  engine->stop(std::chrono::milliseconds(0));
  engine.reset();  // before the core driver it calls
}

TEST(EngineLimitsBudgetTest, WqMaxBelowOneQuantumIsRefusedOrHonoured) {
  small_budget([](Config& c) { c.engine.wq_max = 4000; }, "sipring.wq_max", false);
}

TEST(EngineLimitsBudgetTest, RxPartialMaxBelowOneQuantumIsRefusedOrHonoured) {
  small_budget([](Config& c) { c.engine.rx_partial_max = 4000; }, "sipring.rx_partial_max", true);
}

}  // namespace
}  // namespace sipring
