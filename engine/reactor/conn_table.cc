#include "engine/reactor/conn_table.h"

#include <new>

namespace sipring {

ConnTable::ConnTable(uint32_t reactor, uint32_t capacity)
    : reactor_(reactor),
      capacity_(capacity),
      slots_(capacity),
      generations_(capacity),
      free_(capacity),
      live_(capacity) {}

ConnTable::~ConnTable() {
  for (uint32_t i = 0; i < next_fresh_; i++) {
    if (slots_[i].state != ConnState::kFree) slots_[i].~Connection();
  }
}

Connection* ConnTable::alloc() noexcept {
  uint32_t slot;
  if (free_top_ > 0) {
    slot = free_[--free_top_];
  } else if (next_fresh_ < capacity_) {
    slot = next_fresh_++;
  } else {
    return nullptr;
  }
  uint32_t gen = generations_[slot] + 1;
  if (gen == 0) gen = 1;  // generation 0 marks invalid ids
  generations_[slot] = gen;
  Connection* c = new (&slots_[slot]) Connection();
  c->generation = gen;
  c->fd = -1;
  c->open_rec = Connection::kNoRecord;
  c->flush_next = 0xffffffffu;
  // Release: a thread that sees this generation also sees the slot as initialized.
  live_[slot].store(gen, std::memory_order_release);
  in_use_++;
  return c;
}

void ConnTable::release(Connection* c) noexcept {
  uint32_t slot = slot_of(c);
  // Relaxed: 0 never matches an id; ordering with other memory does not matter here.
  live_[slot].store(0, std::memory_order_relaxed);
  c->~Connection();
  c->state = ConnState::kFree;
  free_[free_top_++] = slot;
  in_use_--;
}

}  // namespace sipring
