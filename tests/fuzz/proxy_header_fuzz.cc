// Fuzzes the PROXY protocol header parser (engine/base/proxy_header.h) on peer-chosen bytes.
// Whatever the input:
//  - no crash, no read outside the input (ASan), and the answer is consistent: kDone names a
//    length within the input and the limit, kNeedMore asks for more than it was given, kError
//    carries a reason;
//  - the answer depends only on the header's own bytes: the header alone gives the same result,
//    and any shorter prefix of it needs more (the reactor may receive it in any pieces);
//  - addresses it reports survive a round trip through write_proxy_header (v1 and v2).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "engine/base/proxy_header.h"

namespace {

void check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sipring;
  // The first byte picks the limit, so short limits are explored too.
  if (size == 0) return 0;
  const uint32_t max = 16 + uint32_t{data[0]} * 16;
  const std::span<const uint8_t> in(data + 1, size - 1);
  ProxyHeader h;
  const ProxyParse r = parse_proxy_header(in, max, &h);
  switch (r.kind) {
    case ProxyParse::kNeedMore:
      check(r.length > in.size());
      return 0;
    case ProxyParse::kError:
      check(r.reason != nullptr && r.reason[0] != '\0' && r.error != ProxyError::kNone);
      return 0;
    case ProxyParse::kDone:
      break;
  }
  check(r.length > 0 && r.length <= in.size());
  check(h.version == 1 || h.version == 2);
  check(h.version == 1 ? r.length <= kProxyV1MaxLength : r.length <= max);
  ProxyHeader again;
  const ProxyParse alone = parse_proxy_header(in.first(r.length), max, &again);
  check(alone.kind == ProxyParse::kDone && alone.length == r.length);
  check(again.src == h.src && again.dst == h.dst && again.command == h.command);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{r.length / 2}, size_t{r.length - 1}}) {
    if (cut >= r.length) continue;
    check(parse_proxy_header(in.first(cut), max, &again).kind == ProxyParse::kNeedMore);
  }
  if (h.unique_id.data() != nullptr) check(h.unique_id.size() <= 128);
  if (h.has_addresses) {
    check(h.src.family() == h.dst.family());
    uint8_t buf[kProxyV1MaxLength + 1];
    for (int version : {1, 2}) {
      const size_t n = write_proxy_header(version, h.src, h.dst, buf);
      check(n > 0);
      const ProxyParse back = parse_proxy_header({buf, n}, 4096, &again);
      check(back.kind == ProxyParse::kDone && back.length == n);
      check(again.src == h.src && again.dst == h.dst);
    }
  }
  return 0;
}
