#include "engine/tls/tls_contexts.h"

#include <openssl/ssl.h>

#include <cstring>
#include <new>

#include "crypto/cert_select.h"
#include "crypto/tls_context.h"
#include "engine/base/error_format.h"
#include "engine/base/log.h"

namespace sipring {
namespace {

// RFC 8996 deprecates TLS 1.0 and 1.1: one warning for every domain whose method enables them,
// whether it came from the tls_method modparam or from a tls.cfg section (manual Example 36 has
// both "method = TLSv1" and "method = SSLv23"). Logged at start and at every tls.reload.
void warn_deprecated_versions(const TlsDomainSet& set) {
  for (const TlsDomain& d : set.domains) {
    auto range = parse_tls_method(d.profile.tls_method);
    if (!range || range->min >= TLS1_2_VERSION) continue;
    if (d.where == "modparam") {
      // The modparams make a server and a client domain of the same method: say it once.
      if (d.role != TlsDomain::Role::kServer) continue;
      log_line(kLogWarn, "tls",
               "tls.tls_method %s enables TLS 1.0/1.1, which RFC 8996 deprecates: use TLSv1.2+ "
               "once no peer needs them",
               d.profile.tls_method.c_str());
    } else {
      log_line(kLogWarn, "tls",
               "TLS domain %s (%s): method %s enables TLS 1.0/1.1, which RFC 8996 deprecates: "
               "use TLSv1.2+ once no peer needs them",
               d.name().c_str(), d.where.c_str(), d.profile.tls_method.c_str());
    }
  }
}

Error in_domain(const TlsDomain& d, const Error& e) {
  return format_error(e.code, "TLS domain {} ({}): {}", d.name(), d.where, e.message);
}

// An operator may widen cipher_list beyond the RFC 9325 default; say once per build (start,
// tls.reload) which suites that enabled and why each is weak.
void warn_weak_ciphers(const TlsDomain& d, const SSL_CTX* ctx) {
  std::string weak = weak_cipher_suites(ctx);
  if (weak.empty()) return;
  log_line(kLogWarn, "tls",
           "TLS domain %s (%s): cipher_list \"%s\" enables TLS 1.2 suites RFC 9325 advises "
           "against: %s",
           d.name().c_str(), d.where.c_str(), d.profile.cipher_list.c_str(), weak.c_str());
}

}  // namespace

TlsContextSet::~TlsContextSet() = default;

Result<std::shared_ptr<const TlsContextSet>> TlsContextSet::build(const TlsParams& params,
                                                                  const std::string& config_dir,
                                                                  TicketKeys* tickets,
                                                                  uint64_t generation,
                                                                  const TlsHooks& hooks) {
  std::shared_ptr<TlsContextSet> set(new TlsContextSet());
  set->generation_ = generation;
  if (params.config.empty()) {
    set->domains_ = domains_from_params(params);
  } else {
    auto loaded = load_tls_domains(params.config, config_dir);
    if (!loaded) return loaded.status();
    set->domains_ = std::move(loaded.value());
  }
  warn_deprecated_versions(set->domains_);
  set->keylog_hook_ = hooks.keylog != nullptr && (params.keylog_mode & TlsParams::kKeylogInit);
  for (const TlsDomain& d : set->domains_.domains) {
    const TlsProfile& p = d.profile;
    const bool server = d.role == TlsDomain::Role::kServer;
    // optional_no_ca is meant to run without a CA: it records the result and never refuses.
    const bool verifies = server && !p.verify_client.empty()
                              ? p.verify_client != "off" && p.verify_client != "optional_no_ca"
                              : p.verify_certificate;
    if (verifies && p.ca_list.empty() && p.ca_path.empty()) {
      // Allowed (the manual says verification then always fails), but rarely what was meant.
      log_line(kLogWarn, "tls",
               "TLS domain %s (%s): verification is on but there is no ca_list: every peer "
               "certificate will fail verification",
               d.name().c_str(), d.where.c_str());
    }
    if (server && p.certificate.empty()) {
      return in_domain(
          d, format_error(Errc::kConfig, "a server domain needs a certificate (and its key)"));
    }
    auto ctx = server ? make_server_context(p, params.ssl_max_send_fragment, tickets)
                      : make_client_context(p);
    if (!ctx) return in_domain(d, ctx.error());
    SSL_CTX* c = ctx->get();
    warn_weak_ciphers(d, c);
    if (server && hooks.server_name != nullptr) {
      SSL_CTX_set_tlsext_servername_callback(c, hooks.server_name);
      SSL_CTX_set_tlsext_servername_arg(c, set.get());
    }
    if (!server && hooks.new_session != nullptr) SSL_CTX_sess_set_new_cb(c, hooks.new_session);
    // Only when asked: with a callback set, BoringSSL formats every secret of every handshake.
    // BoringSSL reads the callback from the context in use, so certificate2's context (which a
    // handshake switches to) needs it too.
    if (set->keylog_hook_) {
      SSL_CTX_set_keylog_callback(c, hooks.keylog);
      if (SSL_CTX* c2 = certificate2_context(c)) SSL_CTX_set_keylog_callback(c2, hooks.keylog);
    }
    set->contexts_.push_back(std::move(ctx.value()));
  }
  return std::shared_ptr<const TlsContextSet>(std::move(set));
}

const TlsDomain* TlsContextSet::server_domain(const SockAddr& local, std::string_view sni) const {
  return domains_.server_for(local, sni);
}

const TlsDomain* TlsContextSet::client_domain(const SockAddr& remote, std::string_view server_name,
                                              std::string_view server_id) const {
  return domains_.client_for(remote, server_name, server_id);
}

SSL_CTX* TlsContextSet::context_of(const TlsDomain* domain) const {
  if (domain == nullptr) return nullptr;
  size_t i = static_cast<size_t>(domain - domains_.domains.data());
  return i < contexts_.size() ? contexts_[i].get() : nullptr;
}

const TlsDomain* TlsContextSet::on_server_name(SSL* ssl, const SockAddr& local,
                                               const char* sni) const {
  const TlsDomain* d = domains_.server_for(local, sni);
  SSL_CTX* ctx = context_of(d);
  if (ctx == nullptr || ctx == SSL_get_SSL_CTX(ssl)) return d;
  // SSL_set_SSL_CTX switches the certificate; the verification settings follow explicitly.
  SSL_set_SSL_CTX(ssl, ctx);
  SSL_set_verify(ssl, SSL_CTX_get_verify_mode(ctx), SSL_CTX_get_verify_callback(ctx));
  SSL_set_verify_depth(ssl, SSL_CTX_get_verify_depth(ctx));
  return d;
}

bool TlsContextSet::has_server() const {
  for (const TlsDomain& d : domains_.domains) {
    if (d.role == TlsDomain::Role::kServer) return true;
  }
  return false;
}

}  // namespace sipring
