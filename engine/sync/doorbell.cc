// Doorbell's system calls: creating, writing and reading the eventfd.
#include "engine/sync/doorbell.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace sipring {

Doorbell::~Doorbell() {
  if (fd_ >= 0) ::close(fd_);
}

Status Doorbell::open(int eventfd_flags) {
  fd_ = ::eventfd(0, eventfd_flags);
  if (fd_ < 0) {
    return Error{Errc::kIo, std::string("eventfd: ") + std::strerror(errno) +
                                " (raise the open-file limit if it says 'Too many open files')"};
  }
  return Status::ok();
}

void Doorbell::signal() noexcept {
  const uint64_t one = 1;
  // EAGAIN would mean the counter is near 2^64 (the consumer will wake anyway); other errors
  // cannot happen on a valid eventfd. Only EINTR is worth a retry.
  while (::write(fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

bool Doorbell::consume() noexcept {
  uint64_t count = 0;
  ssize_t n;
  do {
    n = ::read(fd_, &count, sizeof count);
  } while (n < 0 && errno == EINTR);
  return n == sizeof count && count != 0;
}

}  // namespace sipring
