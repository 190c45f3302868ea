// A reactor-local FIFO of handoff entries (frames) that did not fit into the handoff ring. It only
// grows while the core is slower than the network, i.e. under backpressure, where allocating is
// acceptable; past a threshold the reactor stops reading the connections that feed it, so it stays
// bounded.
#pragma once

#include <cstddef>
#include <vector>

#include "engine/sync/handoff_entry.h"

namespace sipring {

class FrameQueue {
 public:
  bool empty() const { return head_ == items_.size(); }
  size_t size() const { return items_.size() - head_; }
  void push(const HandoffEntry& e) { items_.push_back(e); }
  const HandoffEntry& front() const { return items_[head_]; }
  void pop() {
    if (++head_ == items_.size()) {
      items_.clear();  // keeps capacity: the next burst does not allocate again
      head_ = 0;
    }
  }

 private:
  std::vector<HandoffEntry> items_;
  size_t head_ = 0;
};

}  // namespace sipring
