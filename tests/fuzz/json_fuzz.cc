// Fuzzes the control plane's JSON parser: anything it accepts prints as JSON that parses back to
// the same text (serialization is a fixed point); anything it refuses has a message.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/control/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto v = sipring::parse_json(text);
  if (!v) {
    if (v.error().message.empty()) abort();
    return 0;
  }
  std::string once = sipring::to_json(*v);
  auto again = sipring::parse_json(once);
  if (!again || sipring::to_json(*again) != once) abort();
  return 0;
}
