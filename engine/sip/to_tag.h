// The To tag the response builder adds: a hash of Call-ID, From tag and CSeq number, fed while the
// head is scanned (TagHash), and its ";tag=<16 hex digits>" text. Inline: build_response keeps the
// hash state in registers.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "engine/base/hash.h"
#include "engine/sip/chars.h"
#include "engine/sip/header_value.h"

namespace sipring::sip {

// Returns the 8 lower-case hex digits of v, most significant first, as they lie in memory.
inline uint64_t hex8(uint32_t v) noexcept {
  uint64_t x = v;  // spread the nibbles so that nibble k lands in byte k
  x = (x | x << 16) & 0x0000ffff0000ffffull;
  x = (x | x << 8) & 0x00ff00ff00ff00ffull;
  x = (x | x << 4) & 0x0f0f0f0f0f0f0f0full;
  // Bytes holding 10..15 reach 0x80 when 0x76 is added; they need 'a' - '0' - 10 = 39 more.
  const uint64_t letters = ((x + 0x7676767676767676ull) >> 7) & 0x0101010101010101ull;
  x += 0x3030303030303030ull + letters * 39;
  if constexpr (std::endian::native == std::endian::little) x = __builtin_bswap64(x);
  return x;
}

// The ";tag=<16 hex digits>" parameter added to a To value.
using TagParam = std::array<char, 5 + 16>;
inline TagParam tag_param(uint64_t tag) noexcept {
  TagParam out = {';', 't', 'a', 'g', '='};
  const uint64_t high = hex8(static_cast<uint32_t>(tag >> 32));
  const uint64_t low = hex8(static_cast<uint32_t>(tag));
  std::memcpy(out.data() + 5, &high, 8);
  std::memcpy(out.data() + 13, &low, 8);
  return out;
}

// The To tag hash, computed while the rest of the head is scanned and the response is written.
//
// FNV-1a is one chain of dependent multiplies, some four cycles per byte, and little else.
// Hashed in one go, its instructions fill the out-of-order window, and everything after them
// waits for the chain to retire. So it is fed a few bytes at a time by pump(), which the scan and
// the output code call between their own work, and the chain runs alongside that work. Its
// inputs are the Call-ID, the From tag (or the whole From value, for RFC 2543 peers without one)
// and the CSeq number, each length-prefixed, in this order. A field's first non-empty value is
// the one used, so each is final once found and the result is that of hashing at the end.
//
// All members are inlined into build_response, which keeps the state in registers.
class TagHash {
 public:
  static constexpr uint64_t kPrime = 0x100000001b3ull;

  // Hashes up to four bytes of the current input, or starts the next input once it is known.
  [[gnu::always_inline]] void pump(const Head& head) noexcept {
    if (cur_ == end_) {
      advance(head);
      return;
    }
    const uint8_t* b = cur_;
    uint64_t x = h_;
    if (end_ - b >= 4) {
      x = (x ^ b[0]) * kPrime;
      x = (x ^ b[1]) * kPrime;
      x = (x ^ b[2]) * kPrime;
      x = (x ^ b[3]) * kPrime;
      cur_ = b + 4;
    } else {
      for (; b != end_; ++b) x = (x ^ *b) * kPrime;
      cur_ = b;
    }
    h_ = x;
  }

  // Returns the hash. Requires a To value without tag and non-empty From, Call-ID and CSeq.
  [[gnu::always_inline]] uint64_t finish(const Head& head) noexcept {
    for (;;) {
      const uint8_t* b = cur_;
      uint64_t x = h_;
      for (; end_ - b >= 4; b += 4) {
        x = (x ^ b[0]) * kPrime;
        x = (x ^ b[1]) * kPrime;
        x = (x ^ b[2]) * kPrime;
        x = (x ^ b[3]) * kPrime;
      }
      for (; b != end_; ++b) x = (x ^ *b) * kPrime;
      cur_ = b;
      h_ = x;
      if (stage_ == kDone) break;
      advance(head);
    }
    return fmix64(h_);  // FNV's low bits are weak on short inputs
  }

 private:
  enum Stage : uint8_t { kCallId, kFromTag, kCSeq, kDone };

  // Hashes the bytes of a folded value now; what append_unfolded feeds.
  struct Sink {
    uint64_t h;
    void append(std::string_view s) noexcept {
      for (char c : s) h = (h ^ static_cast<uint8_t>(c)) * kPrime;
    }
  };

  // Starts on the next input if it is known (and the tag is wanted at all).
  [[gnu::always_inline]] void advance(const Head& head) noexcept {
    if (stage_ == kDone || head.to.text.empty() || head.to_params.has_tag || !head.to_params.ok) {
      return;
    }
    switch (stage_) {
      case kCallId:
        if (head.call_id.text.empty()) return;
        start(head.call_id.text, head.call_id.plain);
        stage_ = kFromTag;
        break;
      case kFromTag: {
        if (head.from.text.empty()) return;
        AddrParams from = scan_addr_params(head.from.text);
        start(from.has_tag ? from.tag : head.from.text, head.from.plain);
        stage_ = kCSeq;
        break;
      }
      default: {  // kCSeq
        if (head.cseq.text.empty()) return;
        std::string_view cseq = head.cseq.text;
        size_t digits = 0;
        while (digits < cseq.size() && is_digit(cseq[digits])) ++digits;
        start(cseq.substr(0, digits), true);
        stage_ = kDone;
        break;
      }
    }
  }

  // Hashes the length of input `s` (that of `s` as sent, folds included; prefixing it keeps
  // ("ab","c") and ("a","bc") apart) and makes `s` the current input. A value that is not plain
  // is unfolded and hashed at once.
  [[gnu::always_inline]] void start(std::string_view s, bool plain) noexcept {
    h_ = (h_ ^ s.size()) * kPrime;
    if (plain) {
      cur_ = reinterpret_cast<const uint8_t*>(s.data());
      end_ = cur_ + s.size();
    } else {
      Sink sink{h_};
      append_unfolded(s, sink);
      h_ = sink.h;
    }
  }

  uint64_t h_ = 0xcbf29ce484222325ull;
  const uint8_t* cur_ = nullptr;  // the rest of the current input
  const uint8_t* end_ = nullptr;
  Stage stage_ = kCallId;
};

}  // namespace sipring::sip
