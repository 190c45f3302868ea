// A BoringSSL BIO over borrowed spans: BoringSSL reads ciphertext from the span the reactor
// received and writes what it produces into a ByteSink. No socket, no blocking, no copy of its
// own; used for handshakes and for the buffered (client) data path.
#pragma once

#include <openssl/base.h>

#include <cstddef>
#include <cstdint>
#include <span>

#include "crypto/byte_sink.h"

namespace sipring {

struct IoBioState {
  const uint8_t* in = nullptr;  // bytes BoringSSL may read
  size_t in_len = 0;
  size_t in_pos = 0;        // how many of them it has read
  ByteSink* out = nullptr;  // where its writes go; nullptr makes writes fail

  void set_input(std::span<const uint8_t> bytes) {
    in = bytes.data();
    in_len = bytes.size();
    in_pos = 0;
  }
};

// Returns a new BIO reading from and writing to `state`, which must outlive it.
BIO* new_io_bio(IoBioState* state);

}  // namespace sipring
