#include "crypto/io_bio.h"

#include <openssl/bio.h>

#include <algorithm>
#include <cstring>

namespace sipring {
namespace {

int io_read(BIO* bio, char* out, int len) {
  auto* s = static_cast<IoBioState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  size_t avail = s->in_len - s->in_pos;
  if (avail == 0) {
    BIO_set_retry_read(bio);  // not an error: the next recv brings more
    return -1;
  }
  size_t n = std::min(avail, static_cast<size_t>(len));
  memcpy(out, s->in + s->in_pos, n);
  s->in_pos += n;
  return static_cast<int>(n);
}

int io_write(BIO* bio, const char* in, int len) {
  auto* s = static_cast<IoBioState*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (s->out == nullptr ||
      !s->out->write({reinterpret_cast<const uint8_t*>(in), static_cast<size_t>(len)})) {
    return -1;
  }
  return len;
}

long io_ctrl(BIO*, int cmd, long, void*) {
  // BoringSSL flushes after each flight; our sink needs no flushing.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

const BIO_METHOD* io_method() {
  static const BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sipring-io");
    BIO_meth_set_read(m, io_read);
    BIO_meth_set_write(m, io_write);
    BIO_meth_set_ctrl(m, io_ctrl);
    return m;
  }();
  return method;
}

}  // namespace

BIO* new_io_bio(IoBioState* state) {
  BIO* bio = BIO_new(io_method());
  if (bio == nullptr) return nullptr;
  BIO_set_data(bio, state);
  BIO_set_init(bio, 1);
  return bio;
}

}  // namespace sipring
