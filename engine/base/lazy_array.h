// A fixed-size array backed by an anonymous mapping: pages become resident only when touched,
// so sizing a table for the largest connection count costs memory only for slots in use.
// Our own: no library container reserves a fixed capacity without committing its memory.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <new>

namespace sipring {

template <class T>
class LazyArray {
 public:
  LazyArray() = default;
  explicit LazyArray(size_t n) { reset(n); }
  ~LazyArray() { release(); }
  LazyArray(const LazyArray&) = delete;
  LazyArray& operator=(const LazyArray&) = delete;

  // Maps room for `n` zero-filled elements. T must be valid when all-zero (no constructor runs).
  bool reset(size_t n) {
    release();
    if (n == 0) return true;
    void* p =
        mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return false;
    data_ = static_cast<T*>(p);
    n_ = n;
    return true;
  }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  size_t size() const { return n_; }
  T* data() { return data_; }

 private:
  void release() {
    if (data_ != nullptr) munmap(data_, n_ * sizeof(T));
    data_ = nullptr;
    n_ = 0;
  }
  T* data_ = nullptr;
  size_t n_ = 0;
};

}  // namespace sipring
