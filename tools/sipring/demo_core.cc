#include "tools/sipring/demo_core.h"

#include "sipring/sip_response.h"

namespace sipring {
namespace {

// Relaxed: these are statistics, read for reporting only.
void bump(std::atomic<uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

class InlineDemoCore final : public Core {
 public:
  explicit InlineDemoCore(DemoCoreCounters* counters) : counters_(counters) {}

  uint64_t run(ReactorPort& port) noexcept override {
    uint8_t out[4096];
    while (const Frame* f = port.front()) {
      size_t n = demo_answer(*f, out, sizeof(out), counters_);
      if (n != 0 && port.send(f->conn, {out, n}) != SendStatus::kOk) bump(counters_->send_failures);
      port.pop();
    }
    return 0;
  }

 private:
  DemoCoreCounters* counters_;
};

}  // namespace

size_t demo_answer(const Frame& frame, uint8_t* out, size_t cap, DemoCoreCounters* counters) noexcept {
  if (frame.kind != FrameKind::kMessage) return 0;
  StartLine sl = parse_start_line(frame.bytes());
  if (sl.kind != StartLine::kRequest) {
    bump(counters->responses_ignored);
    return 0;
  }
  bump(counters->requests);
  if (is_ack(sl)) return 0;
  size_t written = 0;
  if (build_response(frame.bytes(), 200, "OK", {out, cap}, &written) != ResponseError::kOk) {
    bump(counters->unanswerable);
    return 0;
  }
  bump(counters->replies);
  return written;
}

std::unique_ptr<Core> make_inline_demo_core(DemoCoreCounters* counters) {
  return std::make_unique<InlineDemoCore>(counters);
}

void run_demo_core_thread(Engine* engine, uint32_t r, DemoCoreCounters* counters) {
  Engine::Inbox& inbox = engine->inbox(r);
  uint8_t out[4096];
  while (inbox.wait()) {
    while (const Frame* f = inbox.front()) {
      size_t n = demo_answer(*f, out, sizeof(out), counters);
      if (n != 0) {
        SendStatus s;
        // The ring to the reactor is bounded; if it is momentarily full, wait for the reactor.
        while ((s = engine->send(f->conn, {out, n})) == SendStatus::kQueueFull) {
          std::atomic_signal_fence(std::memory_order_seq_cst);
          sched_yield();
        }
        if (s != SendStatus::kOk) bump(counters->send_failures);
      }
      inbox.pop();
    }
  }
}

}  // namespace sipring
