// Backpressure end to end: a SIP core that stops consuming makes the handoff ring fill up; the
// reactor then parks frames and stops reading the connection instead of dropping anything, and
// once the core resumes every request is answered, in order.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sipring/engine.h"
#include "tests/testing/loopback.h"

namespace sipring {
namespace {

using namespace sipring::test;

// Extracts N from "Call-ID: call-N@test" occurrences, in order.
std::vector<int> call_numbers(const std::string& s) {
  std::vector<int> v;
  const std::string key = "Call-ID: call-";
  for (size_t pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos + 1)) {
    v.push_back(std::stoi(s.substr(pos + key.size())));
  }
  return v;
}

// `idle_before`: connections opened (and left idle) first, so the stalled one sits in a later
// slot of the connection table.
void stall_and_resume(int idle_before) {
  uint16_t port = free_port();
  Config cfg = server_config(port, 1);
  cfg.engine.handoff_entries = 16;  // fills after 16 unconsumed frames
  cfg.engine.recv_buffers = 16;
  auto engine = start_engine(cfg, Engine::Options{});
  ASSERT_NE(engine, nullptr);

  std::atomic<bool> go{false};
  std::atomic<uint64_t> answered{0};
  std::thread core([&] {
    Engine::Inbox& inbox = engine->inbox(0);
    while (!go.load()) std::this_thread::sleep_for(1ms);  // a core that is busy elsewhere
    while (inbox.wait()) {
      while (const Frame* f = inbox.front()) {
        if (f->kind == FrameKind::kMessage) {
          std::string reply = answer(*f);
          SendStatus s;
          while ((s = engine->send(f->conn, bytes(reply))) == SendStatus::kQueueFull) {
            std::this_thread::yield();
          }
          EXPECT_EQ(s, SendStatus::kOk);
          answered++;
        }
        inbox.pop();
      }
    }
  });

  std::vector<std::unique_ptr<BlockingClient>> idle;
  for (int i = 0; i < idle_before; i++) {
    idle.push_back(std::make_unique<BlockingClient>(port, "TLSv1.3"));
    ASSERT_TRUE(idle.back()->connected());
  }
  constexpr int kRequests = 3000;
  BlockingClient client(port, "TLSv1.3");
  ASSERT_TRUE(client.connected());
  std::thread writer([&] {
    std::string batch;
    for (int i = 0; i < kRequests; i++) {
      batch += options_request(i);
      if (batch.size() > 8000 || i == kRequests - 1) {
        if (!client.send(batch)) break;
        batch.clear();
      }
    }
  });

  // While the core sleeps, the reactor must park frames and stop reading, not drop them.
  ASSERT_TRUE(wait_until([&] { return total(*engine).recv_paused > 0; }, 10s))
      << counters_text(total(*engine));
  ReactorStats stalled = total(*engine);
  EXPECT_GT(stalled.handoff_full, 0u);
  EXPECT_LT(stalled.messages_in, static_cast<uint64_t>(kRequests));
  EXPECT_EQ(answered.load(), 0u);

  go = true;
  std::string got = client.read_responses(kRequests);
  writer.join();
  std::vector<int> order = call_numbers(got);
  // EXPECT, not ASSERT: returning early would leave the threads running.
  EXPECT_EQ(order.size(), static_cast<size_t>(kRequests)) << counters_text(total(*engine));
  for (size_t i = 0; i < order.size(); i++) {
    if (order[i] != static_cast<int>(i)) {
      ADD_FAILURE() << "reply out of order at " << i;
      break;
    }
  }
  ReactorStats s = total(*engine);
  EXPECT_EQ(s.messages_in, static_cast<uint64_t>(kRequests));
  EXPECT_EQ(s.messages_out, static_cast<uint64_t>(kRequests));
  EXPECT_EQ(s.send_unknown_connection, 0u);
  engine->stop(std::chrono::milliseconds(500));
  core.join();
}

TEST(EngineBackpressureTest, StalledCoreParksFramesPausesReadingAndLosesNothing) {
  stall_and_resume(0);
}

// Regression: paused connections were remembered by the low 32 bits of their id (the
// generation), so only a connection in slot 0 of reactor 0 was ever re-armed; any other stayed
// paused for good once the core had fallen behind.
TEST(EngineBackpressureTest, ConnectionInALaterSlotResumesToo) {
  stall_and_resume(3);
}

}  // namespace
}  // namespace sipring
