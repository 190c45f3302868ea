// Tests of the SIP layer's byte scanners (engine/sip/scan.h): every result equals a byte-by-byte
// search, at every start, end and hit offset around the 16- and 64-byte blocks, and no scanner
// reads outside the range it is given.
#include "engine/sip/scan.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/testing/guarded_bytes.h"

namespace sipring {
namespace {

using namespace sipring::test;
using sip::AnyOf;
using sip::NonUri;

template <class Class>
size_t SlowFindFirst(const uint8_t* p, size_t i, size_t n) {
  while (i < n && !Class::match(p[i])) ++i;
  return i;
}

template <class Class>
uint64_t SlowMask64(const uint8_t* p, size_t pos, size_t n) {
  uint64_t bits = 0;
  for (size_t k = 0; k < 64 && pos + k < n; ++k) bits |= uint64_t{Class::match(p[pos + k])} << k;
  return bits;
}

// Buffers of every length up to 150 of `filler`, with one `hit` byte at each offset (or none),
// placed against both guard pages; every scan from every start must equal the slow one.
template <class Class>
void ExpectScannersAgree(char filler, char hit) {
  GuardedBytes guarded;
  for (size_t n = 0; n <= 150; ++n) {
    for (size_t at = 0; at <= n; ++at) {
      std::string s(n, filler);
      if (at < n) s[at] = hit;
      for (auto bytes : {guarded.AtStart(s), guarded.AtEnd(s)}) {
        const uint8_t* p = bytes.data();
        for (size_t i = 0; i <= n; ++i) {
          ASSERT_EQ(sip::find_first<Class>(p, i, n), SlowFindFirst<Class>(p, i, n))
              << "n=" << n << " hit at " << at << " from " << i;
          if (i < n) {
            ASSERT_EQ(sip::mask64<Class>(p, p + i, p + n), SlowMask64<Class>(p, i, n))
                << "n=" << n << " hit at " << at << " from " << i;
          }
        }
      }
    }
  }
}

TEST(Scan, OneByteClassAgreesWithByteByByteSearch) {
  ExpectScannersAgree<AnyOf<'\r'>>('a', '\r');
}

TEST(Scan, SeveralByteClassAgreesWithByteByByteSearch) {
  ExpectScannersAgree<AnyOf<'"', '<', ';'>>('x', '<');
  ExpectScannersAgree<AnyOf<'"', '<', ';'>>('=', ';');
}

TEST(Scan, NonUriClassCatchesControlsSpaceAndDelButNotHighBytes) {
  ExpectScannersAgree<NonUri>('u', ' ');
  ExpectScannersAgree<NonUri>('\x80', '\x7f');
  ExpectScannersAgree<NonUri>('\xff', '\0');
  EXPECT_FALSE(NonUri::match(0x80));
  EXPECT_FALSE(NonUri::match('~'));
  EXPECT_TRUE(NonUri::match('\t'));
}

}  // namespace
}  // namespace sipring
