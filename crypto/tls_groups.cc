#include "crypto/tls_groups.h"

#include <openssl/ec.h>
#include <openssl/nid.h>
#include <openssl/obj.h>
#include <openssl/ssl.h>

#include <vector>

#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

constexpr size_t kMaxGroups = 32;  // the width of a group mask

// Why sipring does not offer the group BoringSSL calls `name`, or null if it does.
const char* refusal_of(const char* name) {
  if (OBJ_sn2nid(name) == NID_X25519) return nullptr;
  const int nid = EC_curve_nist2nid(name);
  if (nid == NID_undef) {
    return "an experiment of this BoringSSL that no other TLS library (OpenSSL, GnuTLS) offers";
  }
  bssl::UniquePtr<EC_GROUP> group(EC_GROUP_new_by_curve_name(nid));
  if (group == nullptr || EC_GROUP_get_degree(group.get()) < 256) {
    return "under 128-bit security: RFC 8422 section 5.1.1 deprecates it for TLS and RFC 9325 "
           "asks for at least 128 bits";
  }
  return nullptr;
}

std::vector<TlsGroup> probe_groups() {
  std::vector<TlsGroup> out;
  for (uint32_t id = 1; id <= 0xffff && out.size() < kMaxGroups; ++id) {
    const char* name = SSL_get_curve_name(static_cast<uint16_t>(id));
    if (name != nullptr) out.push_back({static_cast<uint16_t>(id), name, refusal_of(name)});
  }
  return out;
}

const std::vector<TlsGroup>& groups() {
  static const std::vector<TlsGroup> all = probe_groups();
  return all;
}

// The known group `token` names: BoringSSL's name in any letter case, or an OpenSSL curve name
// (prime256v1, secp384r1) whose NIST name is BoringSSL's. Null if none.
const TlsGroup* find_group(std::string_view token) {
  for (const TlsGroup& g : groups()) {
    if (equals_ignore_case(token, g.name)) return &g;
  }
  const std::string text(token);
  int nid = OBJ_sn2nid(text.c_str());
  if (nid == NID_undef) nid = OBJ_ln2nid(text.c_str());
  const char* nist = nid == NID_undef ? nullptr : EC_curve_nid2nist(nid);
  if (nist == nullptr) return nullptr;
  for (const TlsGroup& g : groups()) {
    if (equals_ignore_case(nist, g.name)) return &g;
  }
  return nullptr;
}

}  // namespace

std::span<const TlsGroup> known_tls_groups() {
  return groups();
}

std::string usable_tls_group_names() {
  std::string out;
  for (const TlsGroup& g : groups()) {
    if (g.refusal != nullptr) continue;
    if (!out.empty()) out += ", ";
    out += g.name;
  }
  return out;
}

Result<std::string> canonical_tls_groups(std::string_view list) {
  if (list.empty()) return std::string(kDefaultGroups);
  std::string out;
  uint32_t seen = 0;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(':', pos);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view token = list.substr(pos, end - pos);
    pos = end + 1;
    if (token.empty()) {
      return format_error(Errc::kConfig,
                          "tls.groups \"{}\": an empty name; write group names separated by ':', "
                          "best first, e.g. {} (this BoringSSL offers {})",
                          list, kDefaultGroups, usable_tls_group_names());
    }
    const TlsGroup* g = find_group(token);
    if (g == nullptr) {
      return format_error(Errc::kConfig,
                          "tls.groups \"{}\": \"{}\" is not a key-exchange group this BoringSSL "
                          "implements; it offers {} (post-quantum hybrids such as X25519MLKEM768 "
                          "need a newer BoringSSL)",
                          list, token, usable_tls_group_names());
    }
    if (g->refusal != nullptr) {
      return format_error(Errc::kConfig, "tls.groups \"{}\": {} is not offered: {}; use {}", list,
                          g->name, g->refusal, usable_tls_group_names());
    }
    const uint32_t bit = tls_group_bit(g->id);
    if (seen & bit) {
      return format_error(Errc::kConfig, "tls.groups \"{}\": {} is listed twice; keep one", list,
                          g->name);
    }
    seen |= bit;
    if (!out.empty()) out += ':';
    out += g->name;
  }
  return out;
}

uint32_t tls_group_bit(uint16_t id) noexcept {
  const std::vector<TlsGroup>& all = groups();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i].id == id) return uint32_t{1} << i;
  }
  return 0;
}

uint32_t tls_group_mask(std::string_view canonical) {
  uint32_t mask = 0;
  for (const TlsGroup& g : groups()) {
    const std::string_view name = g.name;
    for (size_t pos = 0; pos <= canonical.size();) {
      size_t end = canonical.find(':', pos);
      if (end == std::string_view::npos) end = canonical.size();
      if (canonical.substr(pos, end - pos) == name) mask |= tls_group_bit(g.id);
      pos = end + 1;
    }
  }
  return mask;
}

}  // namespace sipring
