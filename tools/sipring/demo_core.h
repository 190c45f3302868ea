// The demo SIP core built into the sipring daemon: a stateless responder that answers every
// request except ACK with "200 OK" (Via, From, To with a tag, Call-ID, CSeq copied from the
// request; Content-Length: 0) and consumes responses silently.
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
  std::atomic<uint64_t> unanswerable{0};  // requests the builder could not answer
  std::atomic<uint64_t> send_failures{0};
};

// Builds the demo answer to `frame` into out[0..cap). Returns the length, or 0 when the frame
// gets no answer (a response, an ACK, an event, or a request missing mandatory headers).
size_t demo_answer(const Frame& frame, uint8_t* out, size_t cap, DemoCoreCounters* counters) noexcept;

// A Core for inline mode.
std::unique_ptr<Core> make_inline_demo_core(DemoCoreCounters* counters);

// Threads mode: pops frames of reactor `r` until the engine stops.
void run_demo_core_thread(Engine* engine, uint32_t r, DemoCoreCounters* counters);

}  // namespace sipring
