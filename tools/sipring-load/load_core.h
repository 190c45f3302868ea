// The SIP core of sipring-load: one per reactor, running inline on the reactor thread. It opens
// its share of the connections, sends requests as the mode says, matches every response to its
// request, records latencies, and reports into the shared Totals.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "sipring/engine.h"
#include "tools/sipring-load/load_plan.h"

namespace sipring::load {

class LoadCore final : public Core {
 public:
  // `share` is this reactor's part of plan.connections; `samples` receives latencies (ns).
  LoadCore(const Plan& plan, Totals* totals, uint32_t reactor, uint32_t share,
           std::vector<uint32_t>* samples);
  uint64_t run(ReactorPort& port) noexcept override;

 private:
  struct Pending {
    uint32_t seq;
    uint64_t sent_ns;
  };
  struct Conn {
    ConnId id;
    bool open = false;
    bool closing = false;  // we asked to close it
    uint32_t next_seq = 1;
    std::deque<Pending> outstanding;
  };

  void start(ReactorPort& port);
  bool open_one(ReactorPort& port);  // false: refused at once (counted)
  void ramp(ReactorPort& port);
  void on_frame(ReactorPort& port, const Frame& f);
  void on_opened(ReactorPort& port, uint32_t i, const Frame& f);
  void on_message(ReactorPort& port, uint32_t i, const Frame& f);
  void on_closed(ReactorPort& port, uint32_t i, const Frame& f);
  bool send_request(ReactorPort& port, uint32_t i, uint64_t intended_ns);
  bool take_budget();
  uint64_t pace(ReactorPort& port);
  void check_done(ReactorPort& port);

  const Plan& plan_;
  Totals* totals_;
  uint32_t reactor_;
  uint32_t share_;
  std::vector<uint32_t>* samples_;
  std::vector<Conn> conns_;
  std::unordered_map<uint64_t, uint32_t> by_id_;
  bool started_ = false;
  bool done_ = false;
  uint64_t handshakes_started_ = 0;
  uint64_t handshakes_total_ = 0;  // this reactor's share (handshake mode)
  uint32_t in_flight_ = 0;         // handshake mode: connections not yet closed
  uint32_t opened_ = 0;
  uint32_t started_conns_ = 0;  // long-lived modes: connections asked for so far
  uint32_t connecting_ = 0;     // ... and not yet open or failed
  uint64_t next_send_ns_ = 0;   // rate mode
  uint64_t interval_ns_ = 0;
  uint64_t measure_from_ns_ = 0;  // rate mode: samples before this are warm-up
  uint64_t idle_until_ns_ = 0;    // idle mode
  uint32_t rr_ = 0;               // rate mode: round-robin cursor
  bool primed_ = false;           // handshake --resume: a ticket is in hand
};

}  // namespace sipring::load
