#include "crypto/ocsp_staple.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>

#include "crypto/ocsp.h"
#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

// Marks the contexts use_ocsp_staple() gave a staple (the value is never dereferenced).
int staple_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

bool signed_by(X509* candidate, X509* leaf) {
  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(candidate));
  const bool ok =
      key && X509_check_issued(candidate, leaf) == X509_V_OK && X509_verify(leaf, key.get()) == 1;
  ERR_clear_error();
  return ok;
}

// The issuer of `leaf`: a certificate of the context's chain, else of the PEM file `ca_list`.
bssl::UniquePtr<X509> find_issuer(SSL_CTX* ctx, X509* leaf, const std::string& ca_list) {
  STACK_OF(X509)* chain = nullptr;
  if (SSL_CTX_get0_chain_certs(ctx, &chain) && chain != nullptr) {
    for (size_t i = 0; i < sk_X509_num(chain); ++i) {
      X509* c = sk_X509_value(chain, i);
      if (signed_by(c, leaf)) return bssl::UpRef(c);
    }
  }
  if (ca_list.empty()) return nullptr;
  bssl::UniquePtr<BIO> bio(BIO_new_file(ca_list.c_str(), "r"));
  while (bio) {
    bssl::UniquePtr<X509> c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!c) break;
    if (signed_by(c.get(), leaf)) {
      ERR_clear_error();
      return c;
    }
  }
  ERR_clear_error();
  return nullptr;
}

std::string subject_of(X509* x) {
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof(buf));
  return buf;
}

}  // namespace

std::string utc_text(int64_t t) {
  const time_t tt = static_cast<time_t>(t);
  struct tm tm;
  char buf[32];
  if (gmtime_r(&tt, &tm) == nullptr || strftime(buf, sizeof(buf), "%F %T UTC", &tm) == 0) {
    return std::to_string(t);
  }
  return buf;
}

Status use_ocsp_staple(SSL_CTX* ctx, const TlsProfile& profile, int64_t now) {
  const std::string& path = profile.ocsp_staple_file;
  if (path.empty()) return Status::ok();
  Result<std::string> der = read_file(path);
  if (!der) {
    return format_error(Errc::kConfig, "tls.ocsp_staple_file {}: cannot read: {}", path,
                        der.error().message);
  }
  X509* leaf = SSL_CTX_get0_certificate(ctx);
  if (leaf == nullptr) {
    return format_error(Errc::kConfig, "tls.ocsp_staple_file {}: the domain has no certificate",
                        path);
  }
  bssl::UniquePtr<X509> issuer = find_issuer(ctx, leaf, profile.ca_list);
  if (!issuer) {
    return format_error(Errc::kConfig,
                        "tls.ocsp_staple_file {}: cannot check it: the issuer of {} ({}) is "
                        "neither the next certificate in the certificate file nor in ca_list; "
                        "append the issuing CA's certificate to {}",
                        path, profile.certificate, subject_of(leaf), profile.certificate);
  }
  std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(der->data()), der->size());
  OcspVerdict v = check_ocsp_response(bytes, leaf, issuer.get(), now);
  if (v.kind != OcspVerdict::Kind::kGood) {
    std::string when;
    if (v.found) {
      when = " (thisUpdate " + utc_text(v.single.this_update) + ", nextUpdate " +
             (v.single.next_update != 0 ? utc_text(v.single.next_update) : "none") + ")";
    }
    const bool pem = der->starts_with("-----BEGIN");
    return format_error(Errc::kConfig,
                        "tls.ocsp_staple_file {}: refused for certificate {}: {}{}{}", path,
                        profile.certificate, v.reason, when,
                        pem ? "; the file is PEM text, the staple must be the DER response" : "");
  }
  if (!SSL_CTX_set_ocsp_response(ctx, bytes.data(), bytes.size()) ||
      !SSL_CTX_set_ex_data(ctx, staple_index(), ctx)) {
    return format_error(Errc::kTls, "tls.ocsp_staple_file {}: cannot set the staple", path);
  }
  return Status::ok();
}

bool context_staples(const SSL_CTX* ctx) {
  return SSL_CTX_get_ex_data(ctx, staple_index()) != nullptr;
}

}  // namespace sipring
