// An inline Core that a test thread drives, for in-process engine tests of the client role and
// of what a core may ask on the reactor thread: it records every frame it pops (with the reactor
// that popped it), can answer requests with 200 OK, and runs closures the test posts on a
// reactor's thread, where ReactorPort calls (send_to, connect, tls_facts) are legal.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "sipring/engine.h"
#include "tests/testing/loopback.h"

namespace sipring::test {

// A frame as a core saw it. `frame.data` dangles once the core popped it: use `text`.
struct SeenFrame {
  Frame frame;
  std::string text;      // the message bytes (kMessage), else empty
  uint32_t reactor = 0;  // index of the reactor whose core popped it
};

// Shared by the cores of every reactor of one engine; must outlive the engine.
class CoreDriver {
 public:
  // `answer_requests`: reply 200 OK (loopback.h's answer()) to every request a core pops.
  explicit CoreDriver(bool answer_requests = false) : answer_(answer_requests) {}

  // Called on the reactor thread for every frame before it is popped (e.g. to ask the port for
  // tls_facts). Set it before the engine starts.
  void set_on_frame(std::function<void(ReactorPort&, const Frame&)> fn) {
    on_frame_ = std::move(fn);
  }

  // For Engine::Options::core.
  CoreFactory factory() {
    return [this](uint32_t r) { return std::make_unique<DrivenCore>(this, r); };
  }

  // Runs `fn` on reactor `r`'s thread at its core's next run (within a few ms) and returns its
  // result, or nullopt if the reactor did not run it within `limit` (not started, stopped).
  template <class T>
  std::optional<T> run_on(uint32_t r, std::function<T(ReactorPort&)> fn,
                          std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    auto out = std::make_shared<std::optional<T>>();
    auto done = std::make_shared<std::promise<void>>();
    std::future<void> ready = done->get_future();
    {
      std::lock_guard<std::mutex> l(mu_);
      tasks_.push_back({r, [out, done, fn = std::move(fn)](ReactorPort& port) {
                          out->emplace(fn(port));
                          done->set_value();
                        }});
    }
    if (ready.wait_for(limit) != std::future_status::ready) return std::nullopt;
    return std::move(*out);
  }

  // A copy of every frame seen so far, in the order the cores popped them.
  std::vector<SeenFrame> frames() {
    std::lock_guard<std::mutex> l(mu_);
    return frames_;
  }
  // The frames of connection `id`, in order.
  std::vector<SeenFrame> frames_of(ConnId id) {
    std::vector<SeenFrame> out;
    for (SeenFrame& f : frames()) {
      if (f.frame.conn == id) out.push_back(std::move(f));
    }
    return out;
  }
  // Waits until `pred` holds for the frames seen so far.
  bool wait_for(const std::function<bool(const std::vector<SeenFrame>&)>& pred,
                std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    return wait_until([&] { return pred(frames()); }, limit);
  }

 private:
  struct Task {
    uint32_t reactor;
    std::function<void(ReactorPort&)> fn;
  };

  class DrivenCore final : public Core {
   public:
    DrivenCore(CoreDriver* d, uint32_t r) : d_(d), r_(r) {}
    uint64_t run(ReactorPort& port) noexcept override {
      d_->run_tasks(r_, port);
      while (const Frame* f = port.front()) {
        d_->take(port, *f, r_);
        port.pop();
      }
      // Poll for posted tasks: nothing else wakes an idle reactor for them.
      return port.now_ns() + 2'000'000;
    }

   private:
    CoreDriver* d_;
    uint32_t r_;
  };

  void run_tasks(uint32_t r, ReactorPort& port) {
    std::vector<Task> mine;
    {
      std::lock_guard<std::mutex> l(mu_);
      for (auto it = tasks_.begin(); it != tasks_.end();) {
        if (it->reactor == r) {
          mine.push_back(std::move(*it));
          it = tasks_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (Task& t : mine) t.fn(port);
  }

  void take(ReactorPort& port, const Frame& f, uint32_t r) {
    if (on_frame_) on_frame_(port, f);
    SeenFrame seen{f, f.kind == FrameKind::kMessage ? std::string(f.text()) : std::string(), r};
    if (answer_ && f.kind == FrameKind::kMessage) {
      std::string reply = answer(f);
      if (!reply.empty()) port.send(f.conn, bytes(reply));
    }
    std::lock_guard<std::mutex> l(mu_);
    frames_.push_back(std::move(seen));
  }

  const bool answer_;
  std::function<void(ReactorPort&, const Frame&)> on_frame_;
  std::mutex mu_;
  std::deque<Task> tasks_;
  std::vector<SeenFrame> frames_;
};

}  // namespace sipring::test
