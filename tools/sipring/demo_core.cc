#include "tools/sipring/demo_core.h"

#include <time.h>

#include <cstdio>

#include "sipring/sip_response.h"
#include "tools/sipring/via_received.h"

namespace sipring {
namespace {

// Relaxed: these are statistics, read for reporting only.
void bump(std::atomic<uint64_t>& c) {
  c.fetch_add(1, std::memory_order_relaxed);
}

class InlineDemoCore final : public Core {
 public:
  explicit InlineDemoCore(DemoCoreCounters* counters) : counters_(counters) {}

  uint64_t run(ReactorPort& port) noexcept override {
    uint8_t out[4096];
    while (const Frame* f = port.front()) {
      DemoAnswer a = demo_answer(*f, out, sizeof(out), counters_);
      if (a.size != 0 && port.send(f->conn, {out, a.size}) != SendStatus::kOk) {
        bump(counters_->send_failures);
      }
      if (a.close != nullptr) {
        log_demo_close(*f, a.close, counters_);
        port.close(f->conn);
      }
      port.pop();
    }
    return 0;
  }

 private:
  DemoCoreCounters* counters_;
};

}  // namespace

// A request the demo core cannot answer closes its connection; it is never left unanswered on
// an open connection, where the peer would only see its transaction time out.
//
// Why closing, and not a 400 (RFC 3261): a response is matched to its client transaction by the
// branch of its top Via and the CSeq method (§17.1.3), and a client transport silently discards
// a response whose top Via sent-by is not its own (§18.1.2). A response copies the request's
// Vias, From, To, Call-ID and CSeq (§8.2.6.2), so without any of them (§8.1.1 makes all six
// mandatory; the builder needs all but Max-Forwards) the peer cannot match, and must drop,
// whatever we send: it would be silence by other means. Over a stream transport the one signal
// left that it cannot miss is the end of the connection, which also ends a peer that is
// plainly not speaking SIP as we understand it (as the framer does for unframeable input).
//
// Why not a 500 or 513 when the 200 does not fit in `cap`: every final response carries the same
// copied header fields, and "OK" is the shortest reason phrase there is, so if the 200 does not
// fit, no response to this request does.
DemoAnswer demo_answer(const Frame& frame, uint8_t* out, size_t cap,
                       DemoCoreCounters* counters) noexcept {
  DemoAnswer a;
  if (frame.kind != FrameKind::kMessage) return a;
  StartLine sl = parse_start_line(frame.bytes());
  if (sl.kind != StartLine::kRequest) {
    bump(counters->responses_ignored);
    return a;
  }
  bump(counters->requests);
  if (is_ack(sl)) return a;  // RFC 3261 §17.1.1.3: an ACK gets no response
  size_t written = 0;
  ResponseError built = build_response(frame.bytes(), 200, "OK", {out, cap}, &written);
  // RFC 3261 18.2.1, RFC 3581 4: the top Via says where the request came from.
  if (built == ResponseError::kOk && !add_received_rport(out, &written, cap, frame.peer)) {
    built = ResponseError::kOutputTooSmall;
  }
  switch (built) {
    case ResponseError::kOk:
      bump(counters->replies);
      a.size = written;
      return a;
    case ResponseError::kMissingVia:
      a.close = "request without Via: no response can reach its sender (RFC 3261 8.2.6.2, 18.1.2)";
      break;
    case ResponseError::kMissingFrom:
      a.close = "request without From: no response can be built (RFC 3261 8.1.1, 8.2.6.2)";
      break;
    case ResponseError::kMissingTo:
      a.close = "request without a usable To: no response can be built (RFC 3261 8.1.1, 8.2.6.2)";
      break;
    case ResponseError::kMissingCallId:
      a.close = "request without Call-ID: no response can be built (RFC 3261 8.1.1, 8.2.6.2)";
      break;
    case ResponseError::kMissingCSeq:
      a.close = "request without CSeq: no response can be built (RFC 3261 8.1.1, 8.2.6.2)";
      break;
    case ResponseError::kOutputTooSmall:
      a.close = "the 200 to this request is larger than the demo core's reply buffer";
      break;
    case ResponseError::kNotARequest:
    case ResponseError::kInvalidStatus:
      a.close = "internal error: the demo core could not build its 200";
      break;
  }
  bump(counters->unanswerable);
  return a;
}

void log_demo_close(const Frame& frame, const char* why, DemoCoreCounters* counters) noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t now = uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
  uint64_t next = counters->log_next_ns.load(std::memory_order_relaxed);
  // One thread wins each second; the others count their line as suppressed.
  if (now < next || !counters->log_next_ns.compare_exchange_strong(next, now + 1'000'000'000ull,
                                                                   std::memory_order_relaxed)) {
    bump(counters->log_suppressed);
    return;
  }
  char peer[64];
  frame.peer.format(peer, sizeof(peer));
  const uint64_t suppressed = counters->log_suppressed.exchange(0, std::memory_order_relaxed);
  char line[384];
  int n = snprintf(line, sizeof(line), "sipring: demo core: closing the connection from %s: %s",
                   peer, why);
  if (n > 0 && suppressed != 0 && size_t(n) < sizeof(line)) {
    snprintf(line + n, sizeof(line) - size_t(n), " (%llu more such lines suppressed)",
             static_cast<unsigned long long>(suppressed));
  }
  fprintf(stderr, "%s\n", line);
}

std::unique_ptr<Core> make_inline_demo_core(DemoCoreCounters* counters) {
  return std::make_unique<InlineDemoCore>(counters);
}

void run_demo_core_thread(Engine* engine, uint32_t r, DemoCoreCounters* counters) {
  Engine::Inbox& inbox = engine->inbox(r);
  uint8_t out[4096];
  while (inbox.wait()) {
    while (const Frame* f = inbox.front()) {
      DemoAnswer a = demo_answer(*f, out, sizeof(out), counters);
      if (a.size != 0) {
        SendStatus s;
        // The ring to the reactor is bounded; if it is momentarily full, wait for the reactor.
        while ((s = engine->send(f->conn, {out, a.size})) == SendStatus::kQueueFull) {
          std::atomic_signal_fence(std::memory_order_seq_cst);
          sched_yield();
        }
        if (s != SendStatus::kOk) bump(counters->send_failures);
      }
      if (a.close != nullptr) {
        log_demo_close(*f, a.close, counters);
        // A control call to the owning reactor (bounded wait): rare, bad input only. A
        // connection that is gone already needs nothing more.
        (void)engine->close_connection(f->conn);
      }
      inbox.pop();
    }
  }
}

}  // namespace sipring
