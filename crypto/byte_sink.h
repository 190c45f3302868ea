// Where TLS code writes bytes it produces outside the sealing fast path (handshake flights,
// alerts, KeyUpdate): the connection's send queue implements it.
#pragma once

#include <cstdint>
#include <span>

namespace sipring {

class ByteSink {
 public:
  // Appends `bytes` to the connection's outgoing stream. Returns false if it cannot take them
  // (the send queue is over its limit); the TLS code then fails the connection.
  virtual bool write(std::span<const uint8_t> bytes) noexcept = 0;

 protected:
  ~ByteSink() = default;
};

}  // namespace sipring
