// Fuzzes the Kamailio-style config parser: any text gives a Config or an error a person can read
// (non-empty message), never a crash, a hang or undefined behaviour.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sipring/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto cfg = sipring::parse_config_text(text, "fuzz.cfg", "/nonexistent-fuzz-dir");
  if (!cfg && cfg.error().message.empty()) abort();
  return 0;
}
