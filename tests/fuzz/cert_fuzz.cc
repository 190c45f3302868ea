// Fuzzes what sipring reads out of a peer's certificate: the RFC 5922 name check and the facts a
// core may ask for. Peers choose these bytes (a certificate only has to parse to be presented),
// so no input may crash them. Input: host name length, host name, then the DER.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crypto/cert_facts.h"
#include "crypto/name_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t host_len = data[0] % 64;
  if (size < 1 + host_len) return 0;
  std::string_view host(reinterpret_cast<const char*>(data + 1), host_len);
  std::span<const uint8_t> der(data + 1 + host_len, size - 1 - host_len);
  sipring::NameCheck n = sipring::check_peer_name(der, host);
  (void)n;
  auto facts = sipring::cert_facts(der);
  (void)facts;
  return 0;
}
