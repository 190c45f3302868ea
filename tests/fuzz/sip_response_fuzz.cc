// Fuzzes the stateless response builder (the demo core's 200 OK and the engine's 400 before it
// closes a connection), which copies Via, From, To, Call-ID and CSeq out of a peer's request.
// Checked beyond "no crash": a too-small buffer reports the size needed and that size works;
// every response is exactly one SIP message to the framer (a peer's bytes cannot end the head
// early or smuggle a second message) and starts with the status line asked for.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>
#include <vector>

#include "engine/sip/sip_framer.h"
#include "sipring/sip_response.h"

namespace {

void check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool bad_request = data[0] & 1;  // the engine's 400 or the demo core's 200
  std::span<const uint8_t> request(data + 1, size - 1);
  const int code = bad_request ? 400 : 200;
  const char* reason = bad_request ? "Bad Request" : "OK";
  std::vector<uint8_t> small(data[0] >> 1);
  size_t need = 0;
  sipring::ResponseError e = sipring::build_response(request, code, reason, small, &need);
  if (e != sipring::ResponseError::kOk && e != sipring::ResponseError::kOutputTooSmall) {
    check(need == 0);
    return 0;
  }
  std::vector<uint8_t> out(need);
  size_t written = 0;
  check(sipring::build_response(request, code, reason, out, &written) ==
        sipring::ResponseError::kOk);
  check(written == need);
  const char* status = bad_request ? "SIP/2.0 400 Bad Request\r\n" : "SIP/2.0 200 OK\r\n";
  check(written >= strlen(status) && memcmp(out.data(), status, strlen(status)) == 0);
  sipring::SipFramer framer;
  sipring::ScanResult r = framer.scan({out.data(), written}, 1 << 20);
  check(r.kind == sipring::ScanResult::kMessage && r.length == written);
  return 0;
}
