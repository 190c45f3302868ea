#include "engine/io/timer_wheel.h"

namespace sipring {

TimerWheel::TimerWheel(uint32_t items, uint32_t slots, uint64_t tick_ns, uint64_t now_ns)
    : links_(items),
      heads_(slots),
      slots_(slots),
      tick_ns_(tick_ns),
      current_tick_(now_ns / tick_ns) {
  for (uint32_t i = 0; i < slots; i++) heads_[i] = kNone;
}

void TimerWheel::arm(uint32_t item, uint64_t deadline_ns) noexcept {
  if (links_[item].armed) disarm(item);
  uint64_t t = (deadline_ns + tick_ns_ - 1) / tick_ns_;
  if (t <= current_tick_) t = current_tick_ + 1;  // never into a slot already being swept
  uint32_t slot = static_cast<uint32_t>(t) & (slots_ - 1);
  Link& l = links_[item];
  l.deadline_tick = t;
  l.prev = kNone;
  l.next = heads_[slot];
  if (l.next != kNone) links_[l.next].prev = item;
  heads_[slot] = item;
  l.armed = true;
  armed_count_++;
}

void TimerWheel::disarm(uint32_t item) noexcept {
  Link& l = links_[item];
  if (!l.armed) return;
  uint32_t slot = static_cast<uint32_t>(l.deadline_tick) & (slots_ - 1);
  if (l.prev != kNone)
    links_[l.prev].next = l.next;
  else
    heads_[slot] = l.next;
  if (l.next != kNone) links_[l.next].prev = l.prev;
  l.armed = false;
  armed_count_--;
}

uint64_t TimerWheel::next_wakeup_ns(uint64_t now_ns, uint64_t max_ns) const {
  if (armed_count_ == 0) return max_ns;
  uint64_t next_tick_ns = (now_ns / tick_ns_ + 1) * tick_ns_;
  uint64_t d = next_tick_ns - now_ns;
  return d < max_ns ? d : max_ns;
}

}  // namespace sipring
