// The requests sipring-load sends and the checks it applies to each response.
//
// Every request carries its connection and sequence number in Call-ID and CSeq, so a response
// can be matched to exactly one request; anything else counts as mismatched.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sipring::load {

// Writes a ~450-byte OPTIONS request for connection `conn` of reactor `reactor`, sequence
// `seq`, into out[0..cap). Returns its length (0 if cap is too small).
size_t build_options(char* out, size_t cap, uint32_t reactor, uint32_t conn, uint32_t seq);

struct ParsedResponse {
  int status = 0;
  uint32_t reactor = 0, conn = 0, seq = 0;  // from Call-ID
  uint32_t cseq = 0;
  bool to_tag = false;
  bool ok = false;  // all fields present and well-formed
};
// Parses the fields build_options() made the server echo back.
ParsedResponse parse_response(std::string_view msg);

}  // namespace sipring::load
