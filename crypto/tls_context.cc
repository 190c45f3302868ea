#include "crypto/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "crypto/ocsp_staple.h"
#include "crypto/private_key.h"
#include "crypto/ticket_keys.h"
#include "crypto/tls_error.h"
#include "crypto/verify.h"
#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

// X25519 first: it is the fastest key exchange and what every modern client offers.
constexpr const char* kGroups = "X25519:P-256:P-384";

Status check_readable(const char* what, const std::string& path) {
  if (path.empty()) return format_error(Errc::kConfig, "tls.{} is not set", what);
  if (access(path.c_str(), R_OK) != 0) {
    return format_error(Errc::kConfig, "tls.{}: cannot read {}: {}", what, path, strerror(errno));
  }
  return Status::ok();
}

Status apply_versions(SSL_CTX* ctx, const std::string& method) {
  auto range = parse_tls_method(method);
  if (!range) return range.status();
  if (!SSL_CTX_set_min_proto_version(ctx, range->min) ||
      !SSL_CTX_set_max_proto_version(ctx, range->max)) {
    return format_error(Errc::kTls, "tls.tls_method {}: {}", method, take_tls_errors());
  }
  return Status::ok();
}

Status apply_ciphers(SSL_CTX* ctx, const std::string& list) {
  // Strict: an unknown cipher name is an operator error, not something to skip silently.
  const char* text = list.empty() ? kDefaultCipherList : list.c_str();
  if (!SSL_CTX_set_strict_cipher_list(ctx, text)) {
    return format_error(Errc::kConfig,
                        "tls.cipher_list \"{}\" is not a valid BoringSSL cipher list ({}); TLS "
                        "1.3 suites are not configurable and stay enabled",
                        list, take_tls_errors());
  }
  return Status::ok();
}

// What servers and clients share: a fresh context with the profile's versions and TLS 1.2
// ciphers and sipring's key exchange groups.
Result<bssl::UniquePtr<SSL_CTX>> new_context(const TlsProfile& profile) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return format_error(Errc::kTls, "SSL_CTX_new failed: {}", take_tls_errors());
  if (Status s = apply_versions(ctx.get(), profile.tls_method); !s) return s;
  if (Status s = apply_ciphers(ctx.get(), profile.cipher_list); !s) return s;
  if (!SSL_CTX_set1_curves_list(ctx.get(), kGroups)) {
    return format_error(Errc::kTls, "key exchange groups: {}", take_tls_errors());
  }
  return ctx;
}

// The profile's key file: private_key, or the certificate file when unset.
const std::string& key_file_of(const TlsProfile& profile) {
  return profile.private_key.empty() ? profile.certificate : profile.private_key;
}

// Loads the profile's certificate chain and private key and checks that they belong together;
// errors name the files.
Status use_certificate_and_key(SSL_CTX* c, const TlsProfile& profile) {
  const std::string& key = key_file_of(profile);
  if (!SSL_CTX_use_certificate_chain_file(c, profile.certificate.c_str())) {
    return format_error(Errc::kConfig, "tls.certificate {}: no usable PEM certificate ({})",
                        profile.certificate, take_tls_errors());
  }
  if (Status s = load_private_key(c, "tls.private_key", key, profile.private_key_password); !s) {
    return s;
  }
  if (!SSL_CTX_check_private_key(c)) {
    return format_error(Errc::kConfig, "tls.private_key {} does not match tls.certificate {}", key,
                        profile.certificate);
  }
  return Status::ok();
}

}  // namespace

const char kDefaultCipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string weak_cipher_suites(const SSL_CTX* ctx) {
  std::string out;
  const STACK_OF(SSL_CIPHER)* list = SSL_CTX_get_ciphers(ctx);
  for (size_t i = 0; list != nullptr && i < sk_SSL_CIPHER_num(list); i++) {
    const SSL_CIPHER* cipher = sk_SSL_CIPHER_value(list, i);
    std::string why;
    auto add = [&why](const char* w) {
      if (!why.empty()) why += ", ";
      why += w;
    };
    if (SSL_CIPHER_get_cipher_nid(cipher) == NID_des_ede3_cbc) add("3DES");
    if (!SSL_CIPHER_is_aead(cipher)) add(SSL_CIPHER_is_block_cipher(cipher) ? "CBC" : "not AEAD");
    switch (SSL_CIPHER_get_kx_nid(cipher)) {
      case NID_kx_ecdhe:
      case NID_kx_any:  // TLS 1.3: always (EC)DHE
        break;
      case NID_kx_rsa:
        add("RSA key exchange");
        break;
      default:
        add("no ECDHE");
        break;
    }
    if (why.empty()) continue;
    if (!out.empty()) out += ", ";
    out += SSL_CIPHER_get_name(cipher);
    out += " (" + why + ")";
  }
  return out;
}

Result<VersionRange> parse_tls_method(const std::string& method) {
  struct Name {
    const char* name;
    uint16_t min, max;
  };
  // The manual's names plus ranges; SSLv23 meant "whatever both sides support".
  static constexpr Name kNames[] = {
      {"TLSv1.2+", TLS1_2_VERSION, TLS1_3_VERSION}, {"TLSv1.2", TLS1_2_VERSION, TLS1_2_VERSION},
      {"TLSv1.3", TLS1_3_VERSION, TLS1_3_VERSION},  {"TLSv1.3+", TLS1_3_VERSION, TLS1_3_VERSION},
      {"TLSv1", TLS1_VERSION, TLS1_VERSION},        {"TLSv1.1", TLS1_1_VERSION, TLS1_1_VERSION},
      {"TLSv1+", TLS1_VERSION, TLS1_3_VERSION},     {"TLSv1.1+", TLS1_1_VERSION, TLS1_3_VERSION},
      {"SSLv23", TLS1_VERSION, TLS1_3_VERSION},
  };
  if (method.empty()) return VersionRange{TLS1_2_VERSION, TLS1_3_VERSION};
  for (const Name& n : kNames) {
    if (equals_ignore_case(method, n.name)) return VersionRange{n.min, n.max};
  }
  return format_error(Errc::kConfig,
                      "tls.tls_method \"{}\" is not supported: use TLSv1.2+ (the default), "
                      "TLSv1.3+, TLSv1.2, TLSv1.3, or for old peers TLSv1, TLSv1.1, TLSv1+, "
                      "TLSv1.1+, SSLv23",
                      method);
}

Result<bssl::UniquePtr<SSL_CTX>> make_server_context(const TlsProfile& profile,
                                                     int max_send_fragment, TicketKeys* tickets) {
  ERR_clear_error();
  if (Status s = check_readable("certificate", profile.certificate); !s) return s;
  if (Status s = check_readable("private_key", key_file_of(profile)); !s) return s;
  auto ctx = new_context(profile);
  if (!ctx) return ctx.status();
  SSL_CTX* c = ctx->get();
  // The server's order wins: the list is ordered best first, and a client's preference must not
  // pick a weaker suite that both sides support.
  SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (Status s = use_certificate_and_key(c, profile); !s) return s;
  if (Status s = use_ocsp_staple(c, profile, time(nullptr)); !s) return s;
  if (Status s = apply_verification(c, profile, /*server=*/true); !s) return s;
  // Stateless resumption only: tickets work on whichever reactor the client lands on, and no
  // session cache means no lock and no per-session memory on the server.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(c, 1);
  // No ticket outlives the key that seals it (see kTls13SessionLifetimeSeconds).
  SSL_CTX_set_timeout(c, kTls12SessionLifetimeSeconds);
  SSL_CTX_set_session_psk_dhe_timeout(c, kTls13SessionLifetimeSeconds);
  if (tickets != nullptr) tickets->attach(c);
  // ssl_max_send_fragment: BoringSSL's own records (handshake flights, TLS 1.2 alerts); the
  // engine applies the same limit to the records it seals itself.
  if (max_send_fragment > 0) {
    SSL_CTX_set_max_send_fragment(c, static_cast<size_t>(max_send_fragment));
  }
  return ctx;
}

Result<bssl::UniquePtr<SSL_CTX>> make_client_context(const TlsProfile& profile) {
  ERR_clear_error();
  auto ctx = new_context(profile);
  if (!ctx) return ctx.status();
  SSL_CTX* c = ctx->get();
  if (!profile.certificate.empty()) {
    if (Status s = check_readable("certificate", profile.certificate); !s) return s;
    if (Status s = use_certificate_and_key(c, profile); !s) return s;
  }
  if (Status s = apply_verification(c, profile, /*server=*/false); !s) return s;
  SSL_CTX_set_session_cache_mode(c, profile.tickets ? SSL_SESS_CACHE_CLIENT : SSL_SESS_CACHE_OFF);
  if (!profile.tickets) SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
  return ctx;
}

}  // namespace sipring
