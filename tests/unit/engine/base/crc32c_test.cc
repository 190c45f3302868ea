// Tests of CRC-32C against the check values of RFC 3720 B.4 and the usual "123456789".
#include "engine/base/crc32c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace sipring {
namespace {

uint32_t crc_of(const std::vector<uint8_t>& v) {
  return crc32c_update(0, v.data(), v.size());
}

TEST(Crc32c, CheckValue) {
  const char* s = "123456789";
  EXPECT_EQ(crc32c_update(0, reinterpret_cast<const uint8_t*>(s), strlen(s)), 0xE3069283u);
  EXPECT_EQ(crc32c_update(0, nullptr, 0), 0u);
}

TEST(Crc32c, Rfc3720Vectors) {
  EXPECT_EQ(crc_of(std::vector<uint8_t>(32, 0x00)), 0x8A9136AAu);
  EXPECT_EQ(crc_of(std::vector<uint8_t>(32, 0xFF)), 0x62A8AB43u);
  std::vector<uint8_t> up(32), down(32);
  for (int i = 0; i < 32; i++) {
    up[i] = static_cast<uint8_t>(i);
    down[i] = static_cast<uint8_t>(31 - i);
  }
  EXPECT_EQ(crc_of(up), 0x46DD794Eu);
  EXPECT_EQ(crc_of(down), 0x113FDB5Cu);
}

TEST(Crc32c, IncrementalEqualsWhole) {
  std::vector<uint8_t> v(300);
  for (size_t i = 0; i < v.size(); i++) v[i] = static_cast<uint8_t>(i * 7 + 3);
  const uint32_t whole = crc_of(v);
  for (size_t cut = 0; cut <= v.size(); cut += 13) {
    uint32_t c = crc32c_update(0, v.data(), cut);
    EXPECT_EQ(crc32c_update(c, v.data() + cut, v.size() - cut), whole) << cut;
  }
}

}  // namespace
}  // namespace sipring
