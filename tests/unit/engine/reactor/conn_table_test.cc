// Tests of ConnTable: what a ConnId carries, stale ids after release (on the owner thread with
// find() and on another thread with alive()), generation bumps on reuse, the capacity limit,
// most-recently-freed reuse, and that generation 0 is never handed out, even on wrap-around.
#include "engine/reactor/conn_table.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace sipring {

// Reads ConnTable's per-slot generation store so the wrap-around can be tested without 2^32
// allocations. Explicit instantiation may name private members; this is the standard idiom for
// reaching them from a test without changing the class.
LazyArray<uint32_t>& generations_of(ConnTable& t);
template <LazyArray<uint32_t> ConnTable::*M>
struct GenerationsAccess {
  friend LazyArray<uint32_t>& generations_of(ConnTable& t) { return t.*M; }
};
template struct GenerationsAccess<&ConnTable::generations_>;

namespace {

TEST(ConnTableTest, IdsCarryReactorSlotAndGeneration) {
  ConnTable table(7, 16);
  Connection* a = table.alloc();
  Connection* b = table.alloc();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ConnId ia = table.id_of(a);
  ConnId ib = table.id_of(b);
  EXPECT_EQ(ia.reactor(), 7u);
  EXPECT_EQ(ib.reactor(), 7u);
  EXPECT_EQ(ia.slot(), table.slot_of(a));
  EXPECT_EQ(ib.slot(), table.slot_of(b));
  EXPECT_NE(ia.slot(), ib.slot());
  EXPECT_EQ(ia.generation(), a->generation);
  EXPECT_TRUE(ia.valid());
  EXPECT_TRUE(ib.valid());
  EXPECT_EQ(table.at(ia.slot()), a);
  EXPECT_EQ(table.in_use(), 2u);
}

TEST(ConnTableTest, FreshConnectionIsInitialised) {
  ConnTable table(0, 4);
  Connection* c = table.alloc();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->state, ConnState::kFree);
  EXPECT_EQ(c->fd, -1);
  EXPECT_EQ(c->flags, 0);
  EXPECT_EQ(c->ops, 0);
  EXPECT_EQ(c->open_rec, Connection::kNoRecord);
  EXPECT_EQ(c->tls, nullptr);
  EXPECT_EQ(c->tx_head, nullptr);
  EXPECT_EQ(c->tx_bytes, 0u);
  EXPECT_NE(c->generation, 0u);
}

TEST(ConnTableTest, FindsLiveConnectionsOnly) {
  ConnTable table(3, 8);
  Connection* c = table.alloc();
  ConnId id = table.id_of(c);
  // A kFree state means "slot unused" to find(); the reactor sets a real state at once.
  EXPECT_EQ(table.find(id), nullptr);
  c->state = ConnState::kHandshake;
  EXPECT_EQ(table.find(id), c);
  EXPECT_TRUE(table.alive(id));
  EXPECT_EQ(table.find(ConnId(4, id.slot(), id.generation())), nullptr);  // another reactor
  EXPECT_EQ(table.find(ConnId(3, id.slot(), id.generation() + 1)), nullptr);
  EXPECT_EQ(table.find(ConnId(3, 8, id.generation())), nullptr);  // beyond capacity
  EXPECT_FALSE(table.alive(ConnId(3, 8, id.generation())));
}

TEST(ConnTableTest, ReleasedIdIsStaleOnOwnerAndOtherThreads) {
  ConnTable table(0, 8);
  Connection* c = table.alloc();
  c->state = ConnState::kOpen;
  ConnId id = table.id_of(c);
  bool alive_before = false;
  std::thread([&] { alive_before = table.alive(id); }).join();
  EXPECT_TRUE(alive_before);

  table.release(c);
  EXPECT_EQ(table.find(id), nullptr);
  EXPECT_EQ(table.in_use(), 0u);
  bool alive_after = true;
  std::thread([&] { alive_after = table.alive(id); }).join();
  EXPECT_FALSE(alive_after);
}

TEST(ConnTableTest, ReuseTakesTheMostRecentlyFreedSlotWithANewGeneration) {
  ConnTable table(1, 8);
  Connection* a = table.alloc();
  Connection* b = table.alloc();
  a->state = b->state = ConnState::kOpen;
  ConnId old_a = table.id_of(a);
  ConnId old_b = table.id_of(b);
  table.release(a);
  table.release(b);
  Connection* c = table.alloc();  // b's slot: freed last, still cache-warm
  c->state = ConnState::kOpen;
  ConnId idc = table.id_of(c);
  EXPECT_EQ(idc.slot(), old_b.slot());
  EXPECT_EQ(idc.generation(), old_b.generation() + 1);
  EXPECT_EQ(table.find(old_b), nullptr);
  EXPECT_FALSE(table.alive(old_b));
  EXPECT_EQ(table.find(idc), c);
  EXPECT_TRUE(table.alive(idc));
  Connection* d = table.alloc();
  EXPECT_EQ(table.id_of(d).slot(), old_a.slot());
  EXPECT_EQ(table.id_of(d).generation(), old_a.generation() + 1);
}

TEST(ConnTableTest, GenerationsOfOneSlotNeverRepeatOrReachZero) {
  ConnTable table(2, 4);
  std::set<uint32_t> seen;
  for (int i = 0; i < 100000; i++) {
    Connection* c = table.alloc();
    ASSERT_NE(c, nullptr);
    ASSERT_EQ(table.slot_of(c), 0u);
    ASSERT_NE(c->generation, 0u);
    ASSERT_TRUE(seen.insert(c->generation).second) << "generation reused at " << i;
    table.release(c);
  }
}

TEST(ConnTableTest, GenerationWrapsAroundPastZero) {
  ConnTable table(0, 4);
  Connection* c = table.alloc();
  uint32_t slot = table.slot_of(c);
  table.release(c);
  generations_of(table)[slot] = 0xffffffffu;  // as if 2^32 - 1 connections used this slot
  c = table.alloc();
  ASSERT_EQ(table.slot_of(c), slot);
  EXPECT_EQ(c->generation, 1u);
  c->state = ConnState::kOpen;
  EXPECT_TRUE(table.id_of(c).valid());
  EXPECT_EQ(table.find(table.id_of(c)), c);
}

TEST(ConnTableTest, CapacityLimitsLiveConnections) {
  ConnTable table(0, 5);
  std::vector<Connection*> conns;
  for (int i = 0; i < 5; i++) {
    Connection* c = table.alloc();
    ASSERT_NE(c, nullptr) << i;
    conns.push_back(c);
  }
  EXPECT_EQ(table.alloc(), nullptr);
  EXPECT_EQ(table.in_use(), 5u);
  EXPECT_EQ(table.capacity(), 5u);
  table.release(conns[2]);
  Connection* again = table.alloc();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again, conns[2]);
  EXPECT_EQ(table.alloc(), nullptr);
}

TEST(ConnTableTest, AliveFollowsReleaseAndReuseFromAnotherThread) {
  ConnTable table(0, 64);
  std::vector<ConnId> ids;
  std::vector<Connection*> conns;
  for (int i = 0; i < 64; i++) {
    conns.push_back(table.alloc());
    conns.back()->state = ConnState::kOpen;
    ids.push_back(table.id_of(conns.back()));
  }
  for (int i = 0; i < 64; i += 2) table.release(conns[i]);
  for (int i = 0; i < 64; i += 4) table.alloc()->state = ConnState::kOpen;  // reuse half
  std::vector<int> alive(64, -1);
  std::thread([&] {
    for (int i = 0; i < 64; i++) alive[i] = table.alive(ids[i]);
  }).join();
  for (int i = 0; i < 64; i++) EXPECT_EQ(alive[i], i % 2) << i;
}

// A ConnId whose generation is 0 is invalid by definition (conn_id.h), so no table may call it
// alive, whatever the state of its slot.
TEST(ConnTableTest, InvalidIdIsNeverAlive) {
  ConnTable table(0, 8);
  EXPECT_FALSE(ConnId().valid());
  EXPECT_FALSE(table.alive(ConnId())) << "slot 0 never used: live_[0] is 0, as is the id's "
                                         "generation";
  EXPECT_FALSE(table.alive(ConnId(0, 5, 0)));
  Connection* c = table.alloc();
  table.release(c);
  EXPECT_FALSE(table.alive(ConnId(0, table.slot_of(c), 0))) << "released slot: live_ is 0";
}

// find() refuses an id naming another reactor; alive() should agree with it.
TEST(ConnTableTest, AliveRejectsAnIdOfAnotherReactor) {
  ConnTable table(0, 8);
  Connection* c = table.alloc();
  c->state = ConnState::kOpen;
  ConnId id = table.id_of(c);
  ConnId other(1, id.slot(), id.generation());
  EXPECT_EQ(table.find(other), nullptr);
  EXPECT_FALSE(table.alive(other));
}

}  // namespace
}  // namespace sipring
