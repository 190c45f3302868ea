// Per connection: when its replies were queued, for the reply_send histogram (issue 13).
//
// A reply is queued (Reactor::send, or drained from the reply inbox) and later leaves in a send
// that usually carries several replies, often only part of one more. Timing each reply exactly
// would mean per-reply records; instead, per connection, this keeps the queued time of the
// oldest reply not yet in a submitted send and how many replies followed it. When a send is
// submitted, those replies become the batch in flight, which ends with the byte that was last
// queued at submission; the completion of the send that carries that byte gives one value,
// completion time minus the oldest reply's queued time, recorded once per reply of the batch.
// For each reply that value is an upper bound of its own queued-to-sent time (no reply of the
// batch was queued earlier or sent later), never an understatement.
//
// At most one batch is in flight (a connection has one send in flight at a time); replies queued
// meanwhile wait for the next batch. The reactor thread alone uses it.
#pragma once

#include <cstdint>

namespace sipring {

class ReplyClock {
 public:
  // A reply was queued at `at_ns` (earlier stamps win: inbox replies carry their sender's time).
  void queued(uint64_t at_ns) noexcept {
    if (pending_ == 0 || at_ns < pending_since_ns_) pending_since_ns_ = at_ns;
    pending_++;
  }

  // A send was submitted while `queued_bytes` bytes were queued on the connection, every
  // pending reply among them. Starts a batch unless one is still in flight.
  void submitted(uint64_t queued_bytes) noexcept {
    if (flight_ != 0 || pending_ == 0) return;
    flight_ = pending_;
    flight_since_ns_ = pending_since_ns_;
    flight_bytes_ = queued_bytes;
    pending_ = 0;
  }

  // A send completed with `sent` bytes. When it carried the batch's last byte, returns the
  // number of replies it ended and sets *oldest_ns to the queued time of its oldest; else 0.
  uint32_t sent(uint64_t sent, uint64_t* oldest_ns) noexcept {
    if (flight_ == 0) return 0;
    if (sent < flight_bytes_) {
      flight_bytes_ -= sent;
      return 0;
    }
    const uint32_t n = flight_;
    *oldest_ns = flight_since_ns_;
    flight_ = 0;
    return n;
  }

  // Everything queued was dropped (the connection failed or closed hard): nothing to record.
  void dropped() noexcept { pending_ = flight_ = 0; }

 private:
  uint64_t pending_since_ns_ = 0;  // queued time of the oldest reply not yet in a send
  uint64_t flight_since_ns_ = 0;   // queued time of the oldest reply of the batch in flight
  uint64_t flight_bytes_ = 0;      // bytes still to send up to the batch's last one
  uint32_t pending_ = 0;           // replies queued since pending_since_ns_
  uint32_t flight_ = 0;            // replies in the batch in flight
};

// ReplyClock's interface doing nothing: a build without instruments (-Dinstruments=false).
class NoReplyClock {
 public:
  void queued(uint64_t) noexcept {}
  void submitted(uint64_t) noexcept {}
  uint32_t sent(uint64_t, uint64_t*) noexcept { return 0; }
  void dropped() noexcept {}
};

}  // namespace sipring
