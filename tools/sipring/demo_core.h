// The demo SIP core built into the sipring daemon: a stateless responder that answers every
// request except ACK with "200 OK" (Via, From, To with a tag, Call-ID, CSeq copied from the
// request, the top Via with received/rport as RFC 3261 18.2.1 and RFC 3581 4 say, see
// via_received.h; Content-Length: 0), closes the connection of a request it cannot answer (with
// a log line), and consumes responses silently.
//
// It runs either inline on each reactor (InlineDemoCore) or on one thread per reactor
// (run_demo_core_thread); both see the same frames and send the same replies.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "sipring/engine.h"

namespace sipring {

struct DemoCoreCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> replies{0};
  std::atomic<uint64_t> responses_ignored{0};
  std::atomic<uint64_t> unanswerable{0};  // requests no response could be built for: closed
  std::atomic<uint64_t> send_failures{0};
  std::atomic<uint64_t> log_next_ns{0};  // rate limit of the "closing" log lines (1 a second)
  std::atomic<uint64_t> log_suppressed{0};
};

// The demo core's decision for one frame.
struct DemoAnswer {
  size_t size = 0;              // a reply is in out[0..size); 0: nothing to send
  const char* close = nullptr;  // non-null: close the connection, for this reason (logged)
};

// Builds the demo answer to `frame` into out[0..cap). A response, an ACK or an event gets
// nothing. A request the core cannot answer (no Via, a missing From/To/Call-ID/CSeq, or a 200
// larger than `cap`) is never left unanswered with the connection open: the answer says to
// close it and why (see the comment in demo_core.cc for RFC 3261's reasons).
DemoAnswer demo_answer(const Frame& frame, uint8_t* out, size_t cap,
                       DemoCoreCounters* counters) noexcept;

// Logs (stderr, at most one line a second; the rest are counted and the next line says how
// many) that the demo core closes `frame`'s connection for `why`.
void log_demo_close(const Frame& frame, const char* why, DemoCoreCounters* counters) noexcept;

// A Core for inline mode.
std::unique_ptr<Core> make_inline_demo_core(DemoCoreCounters* counters);

// Threads mode: pops frames of reactor `r` until the engine stops.
void run_demo_core_thread(Engine* engine, uint32_t r, DemoCoreCounters* counters);

}  // namespace sipring
