#include "crypto/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "crypto/cert_select.h"
#include "crypto/ocsp_staple.h"
#include "crypto/private_key.h"
#include "crypto/ticket_keys.h"
#include "crypto/tls_error.h"
#include "crypto/tls_groups.h"
#include "crypto/verify.h"
#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

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

// What servers and clients share: a fresh context with the profile's versions, TLS 1.2
// ciphers and key exchange groups.
Result<bssl::UniquePtr<SSL_CTX>> new_context(const TlsProfile& profile) {
  bssl::UniquePtr<SSL_CTX> ctx(SSL_CTX_new(TLS_method()));
  if (!ctx) return format_error(Errc::kTls, "SSL_CTX_new failed: {}", take_tls_errors());
  if (Status s = apply_versions(ctx.get(), profile.tls_method); !s) return s;
  if (Status s = apply_ciphers(ctx.get(), profile.cipher_list); !s) return s;
  Result<std::string> groups = canonical_tls_groups(profile.groups);
  if (!groups) return groups.status();
  if (!SSL_CTX_set1_curves_list(ctx.get(), groups->c_str())) {
    return format_error(Errc::kTls, "tls.groups {}: {}", groups.value(), take_tls_errors());
  }
  return ctx;
}

// One certificate of a profile, its key and the parameters that name them in messages: the
// first (certificate, private_key) or the second (certificate2, private_key2).
struct CertFiles {
  const char* cert_param;
  const char* key_param;
  const std::string& cert;
  const std::string& key;  // the certificate file when the key parameter is unset
  const std::string& password;
};

CertFiles first_files(const TlsProfile& p) {
  return {"certificate", "private_key", p.certificate,
          p.private_key.empty() ? p.certificate : p.private_key, p.private_key_password};
}

CertFiles second_files(const TlsProfile& p) {
  return {"certificate2", "private_key2", p.certificate2,
          p.private_key2.empty() ? p.certificate2 : p.private_key2, p.private_key_password2};
}

// Loads a certificate chain and its private key and checks that they belong together; errors
// name the parameters and files.
Status use_certificate_and_key(SSL_CTX* c, const CertFiles& f) {
  if (!SSL_CTX_use_certificate_chain_file(c, f.cert.c_str())) {
    return format_error(Errc::kConfig, "tls.{} {}: no usable PEM certificate ({})", f.cert_param,
                        f.cert, take_tls_errors());
  }
  const std::string key_param = std::string("tls.") + f.key_param;
  if (Status s = load_private_key(c, key_param.c_str(), f.key, f.password); !s) return s;
  if (!SSL_CTX_check_private_key(c)) {
    return format_error(Errc::kConfig, "{} {} does not match tls.{} {}", key_param, f.key,
                        f.cert_param, f.cert);
  }
  return Status::ok();
}

// A server context serving the certificate `files` names, with everything else from `profile`.
Result<bssl::UniquePtr<SSL_CTX>> server_context_with(const TlsProfile& profile,
                                                     const CertFiles& files, int max_send_fragment,
                                                     TicketKeys* tickets) {
  if (Status s = check_readable(files.cert_param, files.cert); !s) return s;
  if (Status s = check_readable(files.key_param, files.key); !s) return s;
  auto ctx = new_context(profile);
  if (!ctx) return ctx.status();
  SSL_CTX* c = ctx->get();
  // The server's order wins: the list is ordered best first, and a client's preference must not
  // pick a weaker suite (or group) that both sides support.
  SSL_CTX_set_options(c, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (Status s = use_certificate_and_key(c, files); !s) return s;
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
  auto ctx = server_context_with(profile, first_files(profile), max_send_fragment, tickets);
  if (!ctx) return ctx.status();
  // An OCSP response names one certificate: each context staples its own certificate's.
  const int64_t now = time(nullptr);
  if (Status s = use_ocsp_staple(ctx->get(), profile, StapleFor::kCertificate, now); !s) return s;
  bssl::UniquePtr<SSL_CTX> second;
  if (!profile.certificate2.empty()) {
    auto made = server_context_with(profile, second_files(profile), max_send_fragment, tickets);
    if (!made) return made.status();
    second = std::move(made.value());
    if (Status s = use_ocsp_staple(second.get(), profile, StapleFor::kCertificate2, now); !s) {
      return s;
    }
  } else if (!profile.ocsp_staple_file2.empty()) {
    return format_error(Errc::kConfig,
                        "tls.ocsp_staple_file2 {} is set without tls.certificate2; it is the "
                        "OCSP response for certificate2 (certificate's is ocsp_staple_file)",
                        profile.ocsp_staple_file2);
  } else if (!profile.private_key2.empty()) {
    return format_error(Errc::kConfig,
                        "tls.private_key2 {} is set without tls.certificate2; set both (the key "
                        "belongs to certificate2) or neither",
                        profile.private_key2);
  }
  if (Status s = install_certificate_choice(ctx->get(), std::move(second), profile); !s) return s;
  return ctx;
}

Result<bssl::UniquePtr<SSL_CTX>> make_client_context(const TlsProfile& profile) {
  ERR_clear_error();
  auto ctx = new_context(profile);
  if (!ctx) return ctx.status();
  SSL_CTX* c = ctx->get();
  if (!profile.certificate.empty()) {
    if (Status s = check_readable("certificate", profile.certificate); !s) return s;
    if (Status s = use_certificate_and_key(c, first_files(profile)); !s) return s;
  }
  if (Status s = apply_verification(c, profile, /*server=*/false); !s) return s;
  SSL_CTX_set_session_cache_mode(c, profile.tickets ? SSL_SESS_CACHE_CLIENT : SSL_SESS_CACHE_OFF);
  if (!profile.tickets) SSL_CTX_set_options(c, SSL_OP_NO_TICKET);
  return ctx;
}

}  // namespace sipring
