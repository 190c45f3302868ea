// What the core may learn about a connection (ReactorPort::tls_facts): assembled on the
// reactor thread from the connection's TLS state, parsing certificates only now.
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <time.h>

#include "crypto/cert_facts.h"
#include "engine/base/error_format.h"
#include "engine/reactor/reactor.h"

namespace sipring {
namespace {

const char* version_text(uint16_t v) {
  switch (v) {
    case TLS1_VERSION:
      return "TLSv1";
    case TLS1_1_VERSION:
      return "TLSv1.1";
    case TLS1_2_VERSION:
      return "TLSv1.2";
    case TLS1_3_VERSION:
      return "TLSv1.3";
    default:
      return "";
  }
}

}  // namespace

Result<TlsFacts> Reactor::tls_facts(ConnId id) noexcept {
  Connection* c = conns_->find(id);
  if (c == nullptr) {
    return make_error(Errc::kUnknownConnection, "no connection %llu on reactor %u",
                      static_cast<unsigned long long>(id.raw()), index_);
  }
  TlsFacts f;
  f.client_role = (c->flags & kConnClient) != 0;
  f.sni = c->sni ? c->sni.get() : "";
  f.domain = c->domain != nullptr ? c->domain->name() : "";
  if (c->proxy) f.proxy = proxy_facts(*c->proxy);
  if (!c->tls) return f;
  const TlsConn& t = *c->tls;
  f.version = t.version();
  f.version_text = version_text(t.version());
  if (const SSL_CIPHER* cipher = t.cipher() ? SSL_get_cipher_by_value(t.cipher()) : nullptr) {
    f.cipher = SSL_CIPHER_standard_name(cipher);
    f.cipher_bits = SSL_CIPHER_get_bits(cipher, nullptr);
  }
  f.peer_verified = t.peer_verified();
  f.peer_revoked = t.peer_revoked();
  f.verify_result = t.verify_result();
  if (f.verify_result != X509_V_OK) f.verify_error = X509_verify_cert_error_string(f.verify_result);
  if (const CRYPTO_BUFFER* peer = t.peer_certificate()) {
    f.peer_presented = true;
    auto pf = cert_facts({CRYPTO_BUFFER_data(peer), CRYPTO_BUFFER_len(peer)});
    if (pf) {
      f.peer_self_signed = pf->self_signed;
      f.peer_expired = cert_expired(pf.value(), static_cast<int64_t>(time(nullptr))) ||
                       f.verify_result == X509_V_ERR_CERT_HAS_EXPIRED;
      f.peer = std::move(pf.value());
    }
  }
  // Our own certificate is the one of the connection's domain (or of the client context).
  SSL_CTX* ctx = c->tls_set ? c->tls_set->context_of(c->domain) : nullptr;
  if (ctx == nullptr && f.client_role) ctx = shared_->client_ctx;
  if (ctx != nullptr) f.own = cert_facts_of(SSL_CTX_get0_certificate(ctx));
  return f;
}

}  // namespace sipring
