// Counts the heap allocations of a test binary, so a test can prove a function makes none:
// replaces the global operator new/delete. Include it in exactly one file of a test binary
// (it defines them), then compare heap_allocations() before and after the calls.
#pragma once

#include <atomic>
#include <cstdlib>
#include <new>

// GCC flags the malloc/free pair behind a replaced operator new/delete as mismatched once
// inlined; it is not.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

inline std::atomic<long> g_heap_allocations{0};

void* operator new(size_t size) {
  g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

// Allocations through operator new so far (relaxed: read on the thread that allocates).
inline long heap_allocations() {
  return g_heap_allocations.load(std::memory_order_relaxed);
}
