// A hashed timing wheel for connection deadlines (handshake and idle timeouts).
// Our own: its links are one array indexed by connection slot, so arming allocates nothing.
//
// Arming, re-arming and disarming are O(1) list operations; advancing touches only the slots
// whose time has come. Deadlines further away than one turn of the wheel simply stay in their
// slot until the right turn. Idle timeouts are not re-armed on every message: the reactor
// records the last I/O time and, when the timer fires, re-arms it if there was I/O since.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/base/lazy_array.h"

namespace sipring {

class TimerWheel {
 public:
  static constexpr uint32_t kNone = 0xffffffffu;

  // `items` ids in [0, items); `slots` a power of two; `tick_ns` the resolution.
  TimerWheel(uint32_t items, uint32_t slots, uint64_t tick_ns, uint64_t now_ns);

  uint64_t tick_of(uint64_t ns) const { return ns / tick_ns_; }
  // Arms (or re-arms) `item` to fire at the first tick at or after `deadline_ns`.
  void arm(uint32_t item, uint64_t deadline_ns) noexcept;
  void disarm(uint32_t item) noexcept;
  // Arms `item` for `deadline_ns` unless it is already armed to fire at or before it: a new,
  // nearer deadline (send or message timeout) must not wait behind a far one (idle timeout).
  void arm_no_later(uint32_t item, uint64_t deadline_ns) noexcept {
    if (!links_[item].armed ||
        links_[item].deadline_tick > (deadline_ns + tick_ns_ - 1) / tick_ns_) {
      arm(item, deadline_ns);
    }
  }
  bool armed(uint32_t item) const { return links_[item].armed; }

  // Calls fire(item) for every item whose deadline is <= now_ns. `fire` may re-arm or disarm
  // any item, including the one it was called for.
  template <class F>
  void advance(uint64_t now_ns, F&& fire) {
    uint64_t now_tick = tick_of(now_ns);
    // Sweep each tick after the last swept one, at most one full turn: a slot holds every
    // item whose deadline maps to it, whatever the turn. Due items are collected first and
    // fired after, each only if still armed and due, so `fire` may arm or disarm anything.
    for (uint32_t swept = 0; current_tick_ < now_tick && swept < slots_; swept++) {
      current_tick_++;
      due_.clear();
      for (uint32_t it = heads_[static_cast<uint32_t>(current_tick_) & (slots_ - 1)]; it != kNone;
           it = links_[it].next) {
        if (links_[it].deadline_tick <= now_tick) due_.push_back(it);
      }
      for (uint32_t it : due_) {
        if (!links_[it].armed || links_[it].deadline_tick > now_tick) continue;
        disarm(it);
        fire(it);
      }
    }
    current_tick_ = now_tick;
  }

  // Nanoseconds until the next tick boundary worth waking for, capped at `max_ns`; callers use
  // it as the sleep timeout. Returns max_ns when nothing is armed.
  uint64_t next_wakeup_ns(uint64_t now_ns, uint64_t max_ns) const;
  uint32_t armed_count() const { return armed_count_; }

 private:
  struct Link {
    uint32_t prev;
    uint32_t next;
    uint64_t deadline_tick;
    bool armed;
  };
  LazyArray<Link> links_;
  LazyArray<uint32_t> heads_;
  uint32_t slots_;
  uint64_t tick_ns_;
  uint64_t current_tick_;
  uint32_t armed_count_ = 0;
  std::vector<uint32_t> due_;  // reused: grows to the largest batch once
};

}  // namespace sipring
