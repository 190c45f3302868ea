// Fuzzes sipring's own TLS 1.3 record layer, which opens every record a peer sends. Two record
// layers share known traffic secrets, so the fuzzer speaks as a real peer: it seals inner
// plaintexts of its choice (any content type, padding, KeyUpdate, alerts) with the right keys,
// or sends raw records with any header. Checked beyond "no crash": opened data lies inside the
// record and is what was sealed; a KeyUpdate keeps both ends in step; records sipring seals
// open at the peer; after kError nothing more is read (a connection would be closed).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "crypto/record_tls13.h"

namespace {

using sipring::Tls13RecordLayer;

constexpr uint8_t kClientSecret[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                       12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                       23, 24, 25, 26, 27, 28, 29, 30, 31};
constexpr uint8_t kServerSecret[32] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9,
                                       7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

void check(bool ok) {
  if (!ok) abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  // sipring reads with the client's secret and writes with the server's; the peer the reverse.
  Tls13RecordLayer ours, peer;
  check(ours.init(0x1301, kClientSecret, 0, kServerSecret, 0));
  check(peer.init(0x1301, kServerSecret, 0, kClientSecret, 0));
  std::vector<uint8_t> rec(Tls13RecordLayer::kHeaderLen + Tls13RecordLayer::kMaxCiphertext + 64);
  while (in.remaining_bytes() > 0) {
    uint8_t op = in.ConsumeIntegral<uint8_t>();
    size_t len = 0;
    std::vector<uint8_t> sent;
    uint8_t sent_type = 0;
    if (op % 4 == 0) {
      // A raw record: any header type and version, the length that frames it, any body.
      std::vector<uint8_t> body =
          in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 400));
      rec[0] = in.ConsumeIntegral<uint8_t>();
      rec[1] = 3;
      rec[2] = 3;
      rec[3] = static_cast<uint8_t>(body.size() >> 8);
      rec[4] = static_cast<uint8_t>(body.size());
      if (!body.empty()) memcpy(&rec[5], body.data(), body.size());
      len = 5 + body.size();
    } else if (op % 4 == 3) {
      // sipring seals data; the peer must open exactly that.
      std::vector<uint8_t> msg =
          in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 2000));
      if (!msg.empty()) memcpy(&rec[5], msg.data(), msg.size());
      size_t n = ours.seal(rec.data(), msg.size());
      check(n == msg.size() + Tls13RecordLayer::kOverhead);
      std::span<uint8_t> pt;
      uint8_t alert = 0;
      bool reply = false;
      check(peer.open(rec.data(), n, &pt, &alert, &reply) == Tls13RecordLayer::Open::kData);
      check(pt.size() == msg.size() &&
            (msg.empty() || memcmp(pt.data(), msg.data(), msg.size()) == 0));
      continue;
    } else {
      // The peer seals an inner plaintext of the fuzzer's choosing: bytes, then the byte that
      // seal() appends (so padding, types and KeyUpdate messages are all reachable).
      size_t max = op % 4 == 1 ? 64 : Tls13RecordLayer::kMaxPlaintext + 40;
      sent = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, max));
      sent_type = in.ConsumeIntegral<uint8_t>();
      if (!sent.empty()) memcpy(&rec[5], sent.data(), sent.size());
      len = peer.seal(rec.data(), sent.size(), sent_type);
      check(len == sent.size() + Tls13RecordLayer::kOverhead);
    }
    uint64_t updates = ours.key_updates();
    std::span<uint8_t> pt;
    uint8_t alert = 0;
    bool reply = false;
    Tls13RecordLayer::Open r = ours.open(rec.data(), len, &pt, &alert, &reply);
    if (r == Tls13RecordLayer::Open::kData) {
      check(pt.data() >= rec.data() + 5 && pt.data() + pt.size() <= rec.data() + len);
      check(pt.size() <= Tls13RecordLayer::kMaxPlaintext);
      if (op % 4 != 0 && sent_type == 23) {
        check(pt.size() == sent.size() &&
              (sent.empty() || memcmp(pt.data(), sent.data(), sent.size()) == 0));
      }
    } else if (r == Tls13RecordLayer::Open::kKeyUpdate) {
      // Every KeyUpdate is counted, requested or not.
      check(ours.key_updates() == updates + 1);
      // The fuzzer sealed a KeyUpdate: the peer moves to its next write key, as a real peer
      // does right after sending one (seal_key_update does that; its record is not sent).
      std::vector<uint8_t> scratch(5 + Tls13RecordLayer::kOverhead + 5);
      check(peer.seal_key_update(scratch.data()) != 0);
    } else if (r == Tls13RecordLayer::Open::kHandled) {
      check(ours.key_updates() == updates);
    } else {
      return 0;  // kError or kCloseNotify: the connection ends
    }
    if (reply) {
      size_t n = ours.seal_key_update(rec.data());
      check(n == 5 + Tls13RecordLayer::kOverhead);
      std::span<uint8_t> p2;
      bool r2 = false;
      check(peer.open(rec.data(), n, &p2, &alert, &r2) == Tls13RecordLayer::Open::kKeyUpdate);
    }
  }
  return 0;
}
