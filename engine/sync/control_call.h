// A unit of work the control plane runs on a reactor's own thread (tls.list, tls.kill, ...):
// the reactor owns its connections, so other threads ask it instead of reading them.
//
// The call is shared: the caller keeps one reference, the reactor another while it runs, so a
// caller that gives up waiting never frees a call the reactor is still running. `fn` must only
// touch data the call itself owns (captured by value), never the caller's stack.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

namespace sipring {

class Reactor;

struct ControlCall {
  std::function<void(Reactor&)> fn;
  std::atomic<bool> done{false};
  std::shared_ptr<ControlCall> self;  // the reactor's reference while queued and running
};

}  // namespace sipring
