// Data table: the RFC 3261 byte classes that the SIP framer and the response builder test byte
// by byte, in one place. Nothing here scans; engine/sip/scan.h holds the vector scanners.
//
// These are SIP's grammar (RFC 3261 §25.1), not general ASCII helpers: a token character, a
// Request-URI byte or a reason-phrase byte means what SIP says it does, and each lookup is one
// table load or compare on the per-message path. General text helpers belong in engine/base.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace sipring::sip {

// Each class is a 256-entry table indexed by the byte, or a compare when that is shorter.
using ByteTable = std::array<bool, 256>;

constexpr ByteTable byte_table(std::string_view members) {
  ByteTable t{};
  for (char c : members) t[static_cast<uint8_t>(c)] = true;
  return t;
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
inline constexpr ByteTable kTokenChars =
    byte_table("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~");
constexpr bool is_token_char(uint8_t c) {
  return kTokenChars[c];
}

// WSP: SP or HT.
constexpr bool is_ws(uint8_t c) {
  return c == ' ' || c == '\t';
}

// Whitespace inside a raw header value, which may still hold the line breaks of folds (LWS).
inline constexpr ByteTable kLws = byte_table(" \t\r\n");
constexpr bool is_lws(uint8_t c) {
  return kLws[c];
}

// LWS or ';': what ends an unquoted header-parameter value (gen-value) in a From/To value.
inline constexpr ByteTable kParamValueEnds = byte_table(" \t\r\n;");
constexpr bool is_param_value_end(uint8_t c) {
  return kParamValueEnds[c];
}

constexpr bool is_digit(uint8_t c) {
  return c >= '0' && c <= '9';
}

// Bytes allowed in a Request-URI: anything visible (SP ends it; the SIP parser checks the rest).
constexpr bool is_uri_byte(uint8_t c) {
  return c > 0x20 && c != 0x7f;
}

// Bytes allowed in a reason phrase: text, SP and HT, but no other control (CR ends it).
constexpr bool is_reason_byte(uint8_t c) {
  return (c >= 0x20 && c != 0x7f) || c == '\t';
}

// Lower case of every byte: letters folded, all else unchanged.
inline constexpr std::array<uint8_t, 256> kLower = [] {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) t[i] = static_cast<uint8_t>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  return t;
}();
constexpr uint8_t lower(uint8_t c) {
  return kLower[c];
}

// Lower case of a letter by setting bit 5: meaningful only when compared with a lower-case letter,
// since no byte but that letter's two cases maps onto it. Cheaper than lower() where it applies.
constexpr uint8_t fold_case(uint8_t c) {
  return c | 0x20;
}

// SIP-Version, matched case-insensitively (RFC 3261 §7.1); lower case here.
inline constexpr std::string_view kSipVersion = "sip/2.0";

// Whether the 7 bytes at `p` are "SIP/2.0" in any case. `Byte` is char or uint8_t.
template <class Byte>
constexpr bool is_sip_version(const Byte* p) {
  static_assert(sizeof(Byte) == 1);
  return fold_case(p[0]) == 's' && fold_case(p[1]) == 'i' && fold_case(p[2]) == 'p' &&
         p[3] == '/' && p[4] == '2' && p[5] == '.' && p[6] == '0';
}

}  // namespace sipring::sip
