// Bytes placed right after or right before an inaccessible page, so that a test crashes when the
// code under test reads outside the bytes it was given.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include <gtest/gtest.h>

namespace sipring::test {

// Room for pending bytes between two inaccessible pages: a read outside them crashes.
class GuardedBytes {
 public:
  GuardedBytes() {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    void* m = mmap(nullptr, kRoom + 2 * page_, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    EXPECT_NE(m, MAP_FAILED);
    base_ = static_cast<uint8_t*>(m);
    EXPECT_EQ(mprotect(base_ + page_, kRoom, PROT_READ | PROT_WRITE), 0);
  }
  ~GuardedBytes() { munmap(base_, kRoom + 2 * page_); }

  // `s` copied to start right after the first guard page.
  std::span<const uint8_t> AtStart(std::string_view s) { return Copy(s, base_ + page_); }
  // `s` copied to end right before the second guard page.
  std::span<const uint8_t> AtEnd(std::string_view s) {
    return Copy(s, base_ + page_ + kRoom - s.size());
  }

  static constexpr size_t kRoom = 64 * 1024;

 private:
  static std::span<const uint8_t> Copy(std::string_view s, uint8_t* at) {
    std::memcpy(at, s.data(), s.size());
    return {at, s.size()};
  }

  size_t page_ = 0;
  uint8_t* base_ = nullptr;
};

}  // namespace sipring::test
