// The response builder's single pass over a request head: LFs found 64 bytes at a time, header
// names recognised by their first byte, Vias written out as they are met, the To tag hash pumped
// once per line. Inline: build_response keeps its state in registers across it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "engine/sip/chars.h"
#include "engine/sip/header_value.h"
#include "engine/sip/response_writer.h"
#include "engine/sip/scan.h"
#include "engine/sip/to_tag.h"

namespace sipring::sip {

// Returns a mask with bit k set where p[pos + k] is LF, for k in [0, 64) and pos + k < n. Out of
// line, as LfFinder calls it once per 64 bytes; static (this header has one includer,
// sip_response.cc) so that the compiler sees which registers it uses at the call sites, which an
// inline function of a PIC library, being interposable, does not allow (some 30 instructions a
// request).
[[gnu::noinline]] static uint64_t lf_block(const char* p, size_t pos, size_t n) noexcept {
  return mask64<Lf>(p, p + pos, p + n);
}

// Finds the LFs of a head. It keeps a bit mask of one 64-byte block, so walking the head line by
// line costs one vector pass over it plus a shift and a bit scan per line.
class LfFinder {
 public:
  LfFinder(const char* p, size_t n) : p_(p), n_(n), base_(n + 64) {}

  // Returns the offset of the first LF in p[pos, n), or n. Cheapest when successive calls ask
  // for increasing offsets.
  [[gnu::always_inline]] size_t next(size_t pos) noexcept {
    for (;;) {
      size_t off = pos - base_;  // wraps to a huge value when pos is before the block
      if (off < 64) {
        uint64_t m = bits_ >> off;
        if (m != 0) return pos + static_cast<size_t>(__builtin_ctzll(m));
        pos = base_ + 64;
      }
      if (pos >= n_) return n_;
      base_ = pos;
      bits_ = lf_block(p_, pos, n_);
    }
  }

 private:
  const char* p_;
  size_t n_;
  size_t base_;  // offset of the current block
  uint64_t bits_ = 0;
};

enum class HeaderKind : uint8_t { kOther, kVia, kFrom, kTo, kCallId, kCSeq };

// What the first byte of a header name says: the name may be one the builder uses.
enum NameStart : uint8_t { kStartOther, kStartV, kStartF, kStartT, kStartI, kStartC };
constexpr std::array<uint8_t, 256> kNameStarts = [] {
  std::array<uint8_t, 256> t{};
  t['v'] = t['V'] = kStartV;
  t['f'] = t['F'] = kStartF;
  t['t'] = t['T'] = kStartT;
  t['i'] = t['I'] = kStartI;
  t['c'] = t['C'] = kStartC;
  return t;
}();

// Classifies the header name at the start of h, whose first byte is of class `start` (not
// kStartOther), and returns the offset just past it, or 0 for a name the builder does not use.
// The line must end in LF, which no comparison here matches, so the reads stop at the line end.
inline size_t match_name(const char* h, uint8_t start, HeaderKind* kind) noexcept {
  switch (start) {
    case kStartV:
      *kind = HeaderKind::kVia;
      if (fold_case(h[1]) != 'i') return 1;
      return fold_case(h[2]) == 'a' ? 3 : 0;
    case kStartF:
      *kind = HeaderKind::kFrom;
      if (fold_case(h[1]) != 'r') return 1;
      return fold_case(h[2]) == 'o' && fold_case(h[3]) == 'm' ? 4 : 0;
    case kStartT:
      *kind = HeaderKind::kTo;
      return fold_case(h[1]) == 'o' ? 2 : 1;
    case kStartI:
      *kind = HeaderKind::kCallId;
      return 1;
    default:  // kStartC
      if (fold_case(h[1]) == 's') {
        *kind = HeaderKind::kCSeq;
        return fold_case(h[2]) == 'e' && fold_case(h[3]) == 'q' ? 4 : 0;
      }
      if (fold_case(h[1]) == 'a') {
        *kind = HeaderKind::kCallId;
        return fold_case(h[2]) == 'l' && fold_case(h[3]) == 'l' && h[4] == '-' &&
                       fold_case(h[5]) == 'i' && fold_case(h[6]) == 'd'
                   ? 7
                   : 0;
      }
      return 0;
  }
}

// Scans the header fields from `pos` up to the blank line, or up to where the input ends before
// the next field is known to be complete (the byte after a field's last line tells whether a
// folded continuation follows). Lines that are not `token *WS ":" value` are skipped, as are
// fields with empty values. Appends each Via field to `w` and pumps `tag` once per line.
[[gnu::always_inline]] inline Head scan_head(const char* p, size_t pos, const size_t n, Writer& w,
                                             TagHash& tag) noexcept {
  Head head;
  LfFinder lfs(p, n);
  while (pos < n) {
    tag.pump(head);
    const size_t start = pos;
    size_t nl = lfs.next(start);  // the field's last LF, once folds are followed
    if (nl == n) break;           // no complete line follows
    // The blank line ends the head (a lone CR at the very end was taken for its start above, as
    // no LF follows it); a CR followed by anything but LF starts a junk line instead.
    if (nl - start <= 1 && (nl == start || p[start] == '\r')) break;
    // A field continues while the next line starts with whitespace; the byte after the last line
    // must be present to know it does not.
    if (nl + 1 >= n) break;
    const bool folded = static_cast<uint8_t>(p[nl + 1]) <= ' ' && is_ws(p[nl + 1]);
    if (folded) [[unlikely]] {
      do {
        nl = lfs.next(nl + 1);
      } while (nl + 1 < n && is_ws(p[nl + 1]));
      if (nl + 1 >= n) break;  // also when no LF was found (nl == n)
    }
    pos = nl + 1;

    // The name, optional whitespace and the colon all lie on the first line, whose LF stops
    // every comparison here.
    const uint8_t name_start = kNameStarts[static_cast<uint8_t>(p[start])];
    if (name_start == kStartOther) continue;
    HeaderKind kind = HeaderKind::kOther;
    size_t i = start + match_name(p + start, name_start, &kind);
    if (i == start) continue;
    while (is_ws(p[i])) ++i;
    if (p[i] != ':') continue;
    Value v;
    if (!folded) {
      size_t b = i + 1;
      size_t e = nl;  // p[b, e) holds no LF
      while (b < e && is_lws(p[b])) ++b;
      while (e > b && is_lws(p[e - 1])) --e;
      v.text = {p + b, e - b};
      v.plain = find_first<Cr>(p, b, e) == e;  // a CR inside the value is unfolded like a fold
    } else {
      v.text = trim({p + i + 1, nl - (i + 1)});
      v.plain = false;
    }
    if (v.text.empty()) continue;
    switch (kind) {
      case HeaderKind::kVia:
        ++head.vias;
        w.line("Via: ", v);
        break;
      case HeaderKind::kFrom:
        if (head.from.text.empty()) head.from = v;
        break;
      case HeaderKind::kTo:
        if (!head.to.text.empty()) break;
        head.to = v;
        head.to_params = scan_addr_params(v.text);
        break;
      case HeaderKind::kCallId:
        if (head.call_id.text.empty()) head.call_id = v;
        break;
      case HeaderKind::kCSeq:
        if (head.cseq.text.empty()) head.cseq = v;
        break;
      case HeaderKind::kOther:
        break;
    }
  }
  return head;
}

}  // namespace sipring::sip
