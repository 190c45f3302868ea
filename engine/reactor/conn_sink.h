// Adapts a connection's send queue to the ByteSink the TLS code writes handshake flights,
// alerts and KeyUpdates into.
#pragma once

#include "crypto/byte_sink.h"
#include "engine/reactor/reactor.h"

namespace sipring {

class ConnSink final : public ByteSink {
 public:
  ConnSink(Reactor* r, Connection* c) : r_(r), c_(c) {}
  bool write(std::span<const uint8_t> bytes) noexcept override { return r_->queue_raw(c_, bytes); }

 private:
  Reactor* r_;
  Connection* c_;
};

}  // namespace sipring
