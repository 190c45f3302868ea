// A reactor's connection slots, addressed by ConnId (reactor, slot, generation).
//
// Slots live in a lazily mapped array, so capacity costs nothing until used; free slots are
// reused most-recently-freed first to stay cache-warm. Each slot's current generation is also
// published in an atomic array so any thread can tell a live id from a stale one before
// queueing a message for it.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine/base/lazy_array.h"
#include "engine/reactor/connection.h"
#include "sipring/conn_id.h"

namespace sipring {

class ConnTable {
 public:
  ConnTable(uint32_t reactor, uint32_t capacity);
  ~ConnTable();

  // A fresh connection (state kFree, all fields zero except generation), or nullptr when full.
  Connection* alloc() noexcept;
  // Destroys the connection and makes its slot reusable; its id becomes stale at once.
  void release(Connection* c) noexcept;

  // The live connection named by `id`, or nullptr if stale/unknown. Owner thread only.
  Connection* find(ConnId id) noexcept {
    uint32_t s = id.slot();
    if (s >= capacity_ || id.reactor() != reactor_) return nullptr;
    Connection* c = &slots_[s];
    return c->state != ConnState::kFree && c->generation == id.generation() ? c : nullptr;
  }
  // Any thread: whether `id` names a live connection right now (it may close right after).
  bool alive(ConnId id) const noexcept {
    uint32_t s = id.slot();
    // Free slots publish generation 0, which no valid id carries.
    if (id.generation() == 0 || id.reactor() != reactor_ || s >= capacity_) return false;
    // Acquire: pairs with the release in alloc(); a stale read only means a later error value.
    return live_[s].load(std::memory_order_acquire) == id.generation();
  }

  Connection* at(uint32_t slot) noexcept { return &slots_[slot]; }
  uint32_t slot_of(const Connection* c) const noexcept {
    return static_cast<uint32_t>(c - &slots_[0]);
  }
  ConnId id_of(const Connection* c) const noexcept {
    return ConnId(reactor_, slot_of(c), c->generation);
  }
  uint32_t capacity() const { return capacity_; }
  uint32_t in_use() const { return in_use_; }
  // Slots below this have been used at least once; iterate these, not the whole capacity.
  uint32_t high_water() const { return next_fresh_; }

 private:
  uint32_t reactor_;
  uint32_t capacity_;
  uint32_t in_use_ = 0;
  uint32_t free_top_ = 0;    // free_[0..free_top_) are free slots; the rest never used yet
  uint32_t next_fresh_ = 0;  // slots below this have been used at least once
  LazyArray<Connection> slots_;
  LazyArray<uint32_t> generations_;  // last generation per slot (survives release)
  LazyArray<uint32_t> free_;
  LazyArray<std::atomic<uint32_t>> live_;
};

}  // namespace sipring
