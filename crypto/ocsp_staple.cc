#include "crypto/ocsp_staple.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <memory>

#include "crypto/ocsp.h"
#include "engine/base/ascii.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

// The StapleInfo of the contexts use_ocsp_staple() gave a staple, owned by the context.
void free_staple_info(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*index*/,
                      long /*argl*/, void* /*argp*/) {
  delete static_cast<StapleInfo*>(ptr);
}

int staple_index() {
  static const int index =
      SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, &free_staple_info);
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

Status use_ocsp_staple(SSL_CTX* ctx, const TlsProfile& profile, StapleFor which, int64_t now) {
  const bool second = which == StapleFor::kCertificate2;
  const char* param = second ? "tls.ocsp_staple_file2" : "tls.ocsp_staple_file";
  const std::string& path = second ? profile.ocsp_staple_file2 : profile.ocsp_staple_file;
  const std::string& certificate = second ? profile.certificate2 : profile.certificate;
  if (path.empty()) return Status::ok();
  Result<std::string> der = read_file(path);
  if (!der) {
    return format_error(Errc::kConfig, "{} {}: cannot read: {}", param, path, der.error().message);
  }
  X509* leaf = SSL_CTX_get0_certificate(ctx);
  if (leaf == nullptr) {
    return format_error(Errc::kConfig, "{} {}: the domain has no certificate", param, path);
  }
  bssl::UniquePtr<X509> issuer = find_issuer(ctx, leaf, profile.ca_list);
  if (!issuer) {
    return format_error(Errc::kConfig,
                        "{} {}: cannot check it: the issuer of {} ({}) is "
                        "neither the next certificate in the certificate file nor in ca_list; "
                        "append the issuing CA's certificate to {}",
                        param, path, certificate, subject_of(leaf), certificate);
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
    return format_error(Errc::kConfig, "{} {}: refused for certificate {}: {}{}{}", param, path,
                        certificate, v.reason, when,
                        pem ? "; the file is PEM text, the staple must be the DER response" : "");
  }
  auto info = std::make_unique<StapleInfo>();
  info->file = path;
  info->next_update = v.single.next_update;
  if (!SSL_CTX_set_ocsp_response(ctx, bytes.data(), bytes.size()) ||
      !SSL_CTX_set_ex_data(ctx, staple_index(), info.get())) {
    return format_error(Errc::kTls, "{} {}: cannot set the staple", param, path);
  }
  info.release();  // the context owns it now (free_staple_info)
  return Status::ok();
}

const StapleInfo* context_staple(const SSL_CTX* ctx) {
  return static_cast<const StapleInfo*>(SSL_CTX_get_ex_data(ctx, staple_index()));
}

}  // namespace sipring
