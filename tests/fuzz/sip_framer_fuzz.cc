// Fuzzes the SIP framer with its own contract: the results for a byte stream never depend on how
// the stream was cut into reads. The input is framed once whole and once in pieces whose sizes
// come from the input itself; both must give the same sequence of results.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "engine/sip/sip_framer.h"

namespace {

struct Event {
  sipring::ScanResult::Kind kind;
  uint32_t length;
  uint32_t head_length;
  sipring::FrameReason reason;
  bool operator==(const Event&) const = default;
};

// Frames `stream`, revealing it `step(i)` bytes at a time, as a connection would see it.
template <class Step>
std::vector<Event> frame(std::span<const uint8_t> stream, uint32_t max_size, Step step) {
  std::vector<Event> out;
  sipring::SipFramer framer;
  size_t start = 0;    // current message boundary
  size_t visible = 0;  // bytes received so far
  for (size_t i = 0; visible < stream.size(); i++) {
    visible = std::min(stream.size(), visible + step(i));
    for (;;) {
      sipring::ScanResult r = framer.scan(stream.subspan(start, visible - start), max_size);
      if (r.kind == sipring::ScanResult::kNeedMore) break;
      out.push_back({r.kind, r.length, r.head_length, r.reason});
      if (r.kind == sipring::ScanResult::kError) return out;
      if (r.length == 0 || r.length > visible - start) abort();  // must consume what it saw
      start += r.length;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  // First two bytes: the message size limit (at least 64) and the seed of the piece sizes.
  uint32_t max_size = 64 + (uint32_t{data[0]} << 4);
  uint8_t seed = data[1];
  std::span<const uint8_t> stream(data + 2, size - 2);
  std::vector<Event> whole = frame(stream, max_size, [&](size_t) { return stream.size(); });
  std::vector<Event> pieces =
      frame(stream, max_size, [&](size_t i) { return 1 + ((seed + i * 7) % 13); });
  if (whole != pieces) abort();
  return 0;
}
