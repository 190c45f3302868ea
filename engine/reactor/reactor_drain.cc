// core.drain on a reactor: stop accepting and close the listening sockets, so an L4 balancer's
// TCP check sees the node down (connection refused), while every established connection keeps
// being served (reads, replies, the client role) until it closes. Engine::drain runs the two
// steps on every reactor in turn (engine/api/engine_calls.cc).
#include <sys/socket.h>
#include <unistd.h>

#include "engine/reactor/op.h"
#include "engine/reactor/reactor.h"

namespace sipring {

void Reactor::drain_stop_accepting() {
  if (!accepting_) return;
  accepting_ = false;  // on_accept re-arms nothing from now on, resume_accepting neither
  for (uint32_t i = 0; i < listeners_.size(); i++) {
    if (!listeners_[i].accept_armed) continue;
    // Its completion (-ECANCELED, no F_MORE) clears accept_armed in on_accept.
    io_uring_sqe* sqe = uring_.sqe();
    io_uring_prep_cancel64(sqe, op_data(Op::kAccept, i, 0), 0);
    io_uring_sqe_set_data64(sqe, op_data(Op::kNone, 0, 0));
  }
  // Submitted now, inside this control call, so the accepts are disarmed before any reactor
  // closes a socket in the second step: a socket shared by several reactors
  // (sipring.reuseport=0) must not end another reactor's accept with an error.
  uring_.submit_and_wait(0, 0);
}

uint32_t Reactor::drain_close_listeners(uint32_t* accepted) {
  if (!drained_) {
    drained_ = true;
    counters_.draining.set(1);
    for (ReactorListener& l : listeners_) {
      if (l.fd < 0) continue;
      // close() alone would not stop the socket listening while anything else still refers to
      // it: another reactor's descriptor of it (sipring.reuseport=0), or the accept request
      // until its cancel completes. shutdown() takes it out of LISTEN at once, whoever holds
      // it: the kernel answers new SYNs with a reset from here on.
      ::shutdown(l.fd, SHUT_RDWR);
      ::close(l.fd);
      l.fd = -1;
    }
  }
  uint32_t peers = 0;
  for (uint32_t s = 0; s < conns_->high_water(); s++) {
    const Connection* c = conns_->at(s);
    if (c->state != ConnState::kFree && !(c->flags & kConnClient)) peers++;
  }
  *accepted = peers;
  return conns_->in_use();
}

}  // namespace sipring
