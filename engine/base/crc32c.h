// CRC-32C (Castagnoli, RFC 3720 B.4 / RFC 4960 Appendix B): the checksum PROXY protocol v2
// headers carry in their PP2_TYPE_CRC32C TLV (engine/base/proxy_header.h).
//
// Our own, table-driven (one byte per step): neither BoringSSL nor zlib offers CRC-32C (zlib's
// crc32 is the IEEE polynomial), and it runs once per proxied connection over a header of at
// most a few hundred bytes, so the SSE4.2 instruction would save nothing measurable.
#pragma once

#include <cstddef>
#include <cstdint>

namespace sipring {

// Continues a CRC-32C over `n` bytes at `p`. Start with crc = 0 (the pre- and post-inversion
// are inside); crc32c_update(crc32c_update(0, a), b) == crc32c_update(0, a + b).
// crc32c_update(0, "123456789", 9) == 0xE3069283 (the RFC 3720 check value).
uint32_t crc32c_update(uint32_t crc, const uint8_t* p, size_t n) noexcept;

}  // namespace sipring
