// Fuzzes the tls.cfg parser (Kamailio's per-domain TLS file): any text gives domains or an error
// naming a place and a reason, never a crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/tls/tls_domains.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto set = sipring::parse_tls_domains(text, "fuzz-tls.cfg", "/nonexistent-fuzz-dir");
  if (!set && set.error().message.empty()) abort();
  return 0;
}
