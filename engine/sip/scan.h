// Byte scanners of the SIP layer: find the first byte of a class, or the bit mask of a class's
// bytes in a 64-byte block, 16 bytes at a time with SSE2. The framer and the response builder
// both run them on every message.
//
// SIP-specific rather than in engine/base: header lines are a few dozen bytes, too short for
// memchr's set-up to pay off, and the classes are SIP's (engine/sip/chars.h). Everything is
// inline, so each caller's loop keeps its state in registers.
//
// No scanner reads outside the range it is given, p[0, n): a tail shorter than 16 bytes re-reads
// the last 16 bytes of the range instead of reading past its end, and a range shorter than 16
// bytes is taken a byte at a time. Elsewhere than x86 (or with SIPRING_SCAN_NO_SIMD, to test
// that code on x86) the 16-byte masks are built a byte at a time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/sip/chars.h"

#if defined(__SSE2__) && !defined(SIPRING_SCAN_NO_SIMD)
#include <emmintrin.h>
#define SIPRING_SCAN_SSE2 1
#endif

namespace sipring::sip {

#ifdef SIPRING_SCAN_SSE2
inline __m128i load16(const uint8_t* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
#endif

// A byte class for the scanners is a type with match(c), which tests one byte, and mask16(p),
// which tests the 16 bytes at p (bit i for p[i]); the two must agree.

// Bit i of the result is set where Class::match(p[i]), for i in [0, 16).
template <class Class>
inline uint32_t scalar_mask16(const uint8_t* p) {
  uint32_t m = 0;
  for (int i = 0; i < 16; ++i) m |= static_cast<uint32_t>(Class::match(p[i])) << i;
  return m;
}

// The bytes equal to any of Cs.
template <uint8_t... Cs>
struct AnyOf {
  static constexpr bool match(uint8_t c) { return ((c == Cs) || ...); }
  static uint32_t mask16(const uint8_t* p) {
#ifdef SIPRING_SCAN_SSE2
    const __m128i v = load16(p);
    __m128i m = _mm_setzero_si128();
    ((m = _mm_or_si128(m, _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(Cs))))), ...);
    return static_cast<uint32_t>(_mm_movemask_epi8(m));
#else
    return scalar_mask16<AnyOf>(p);
#endif
  }
};

// The bytes that cannot be in a Request-URI (not is_uri_byte): controls, SP and DEL.
struct NonUri {
  static constexpr bool match(uint8_t c) { return !is_uri_byte(c); }
  static uint32_t mask16(const uint8_t* p) {
#ifdef SIPRING_SCAN_SSE2
    // v <= 0x20 (unsigned: min(v, 0x20) == v) or v == 0x7f.
    const __m128i v = load16(p);
    const __m128i low = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x20)), v);
    const __m128i del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
    return static_cast<uint32_t>(_mm_movemask_epi8(_mm_or_si128(low, del)));
#else
    return scalar_mask16<NonUri>(p);
#endif
  }
};

using Cr = AnyOf<'\r'>;
using Lf = AnyOf<'\n'>;

// Offset of the first byte of `Class` in p[i, n), or n. Requires i <= n. `Byte` is char or
// uint8_t, whichever the caller holds.
template <class Class, class Byte>
[[gnu::always_inline]] inline size_t find_first(const Byte* bytes, size_t i, size_t n) {
  static_assert(sizeof(Byte) == 1);
  const uint8_t* const p = reinterpret_cast<const uint8_t*>(bytes);
  for (; n - i >= 16; i += 16) {
    const uint32_t m = Class::mask16(p + i);
    if (m != 0) return i + static_cast<size_t>(__builtin_ctz(m));
  }
  if (i < n && n >= 16) {
    // The bits of the bytes before i (already examined, possibly overwritten since) are shifted
    // out.
    const uint32_t m = Class::mask16(p + n - 16) >> (16 - (n - i));
    return m != 0 ? i + static_cast<size_t>(__builtin_ctz(m)) : n;
  }
  for (; i < n; ++i) {
    if (Class::match(p[i])) return i;
  }
  return n;
}

// The bytes of `Class` in [at, min(at + 64, end)) as bits, bit k for at[k], where [begin, end) is
// the range and begin <= at <= end. Walking a buffer block by block with it costs one vector pass
// plus a bit scan per hit. Pointers rather than offsets, as its callers walk with pointers.
template <class Class, class Byte>
[[gnu::always_inline]] inline uint64_t mask64(const Byte* begin, const Byte* at, const Byte* end) {
  static_assert(sizeof(Byte) == 1);
  const uint8_t* const q = reinterpret_cast<const uint8_t*>(at);
  const uint8_t* const e = reinterpret_cast<const uint8_t*>(end);
  const size_t left = end - at;
  if (left >= 64) {
    return uint64_t{Class::mask16(q)} | uint64_t{Class::mask16(q + 16)} << 16 |
           uint64_t{Class::mask16(q + 32)} << 32 | uint64_t{Class::mask16(q + 48)} << 48;
  }
  uint64_t bits = 0;
  size_t k = 0;
  for (; left - k >= 16; k += 16) bits |= uint64_t{Class::mask16(q + k)} << k;
  if (k == left) return bits;
  if (end - begin >= 16) {
    // The last 16 bytes of the range, less those already covered.
    return bits | uint64_t{Class::mask16(e - 16) >> (16 - (left - k))} << k;
  }
  for (; k < left; ++k) bits |= uint64_t{Class::match(q[k])} << k;
  return bits;
}

}  // namespace sipring::sip
