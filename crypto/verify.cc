#include "crypto/verify.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

#include "crypto/name_check.h"
#include "crypto/ocsp.h"
#include "crypto/tls_error.h"
#include "engine/base/error_format.h"

namespace sipring {
namespace {

// The expected peer name of a client SSL, owned by the SSL (freed with it).
int name_index() {
  static const int index = SSL_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::string*>(ptr);
      });
  return index;
}

// optional_no_ca: verification runs and its result is recorded, but never fails the handshake.
int accept_any(int, X509_STORE_CTX*) {
  return 1;
}

// Clients: after the chain verified, the leaf must carry the expected name (RFC 5922).
int check_name(int ok, X509_STORE_CTX* store) {
  if (!ok || X509_STORE_CTX_get_error_depth(store) != 0) return ok;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* want =
      ssl != nullptr ? static_cast<std::string*>(SSL_get_ex_data(ssl, name_index())) : nullptr;
  if (want == nullptr || want->empty()) return ok;
  X509* leaf = X509_STORE_CTX_get_current_cert(store);
  uint8_t* der = nullptr;
  int len = i2d_X509(leaf, &der);
  if (len <= 0) return 0;
  std::unique_ptr<uint8_t, decltype(&OPENSSL_free)> own(der, OPENSSL_free);
  NameCheck check = check_peer_name({der, static_cast<size_t>(len)}, *want);
  if (check.ok) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_HOSTNAME_MISMATCH);
  return 0;
}

// ocsp_require: the verdict on the server's staple, set while its chain is verified. Null = not
// checked; kStapleGood; else why it was refused (static text). Never freed.
constexpr char kStapleGood[] = "good";
int staple_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Why the staple of `ssl`'s server is not a valid OCSP response saying good for the leaf of the
// verified chain in `store`, by that leaf's issuer in the chain; nullptr when it is.
const char* staple_problem(SSL* ssl, X509_STORE_CTX* store, bool* revoked) {
  const uint8_t* der = nullptr;
  size_t len = 0;
  SSL_get0_ocsp_response(ssl, &der, &len);
  if (len == 0) return "the server sent none";
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store);
  if (chain == nullptr || sk_X509_num(chain) < 2) {
    return "the verified chain has no issuer for the server's certificate";
  }
  OcspVerdict v = check_ocsp_response({der, len}, sk_X509_value(chain, 0), sk_X509_value(chain, 1),
                                      static_cast<int64_t>(time(nullptr)));
  *revoked = v.kind == OcspVerdict::Kind::kRevoked;
  return v.kind == OcspVerdict::Kind::kGood ? nullptr : v.reason;
}

// Clients with ocsp_require: check_name, then, once the whole chain verified (the callback for
// the leaf comes last), the staple. Revoked fails verification itself (alert
// certificate_revoked); any other problem is left for staple_verdict, which BoringSSL calls
// after a successful verification and whose refusal sends bad_certificate_status_response.
int check_name_and_staple(int ok, X509_STORE_CTX* store) {
  ok = check_name(ok, store);
  if (!ok || X509_STORE_CTX_get_error_depth(store) != 0) return ok;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  if (ssl == nullptr) return 0;
  bool revoked = false;
  const char* why = staple_problem(ssl, store, &revoked);
  SSL_set_ex_data(ssl, staple_index(), const_cast<char*>(why != nullptr ? why : kStapleGood));
  if (!revoked) return 1;
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REVOKED);
  return 0;
}

// BoringSSL's client OCSP callback: 1 accepts, 0 fails with bad_certificate_status_response.
int staple_verdict(SSL* ssl, void*) {
  const char* verdict = static_cast<const char*>(SSL_get_ex_data(ssl, staple_index()));
  if (verdict == kStapleGood) return 1;
  if (verdict == nullptr) {
    SSL_set_ex_data(ssl, staple_index(), const_cast<char*>("it was not checked"));
  }
  return 0;
}

Status load_crls(X509_STORE* store, const std::string& path) {
  bssl::UniquePtr<BIO> bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    return make_error(Errc::kConfig, "tls.crl %s: cannot open: %s", path.c_str(), strerror(errno));
  }
  int count = 0;
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    bssl::UniquePtr<X509_CRL> own(crl);
    if (!X509_STORE_add_crl(store, crl)) {
      return make_error(Errc::kTls, "tls.crl %s: %s", path.c_str(), take_tls_errors().c_str());
    }
    count++;
  }
  ERR_clear_error();  // the end of the file reads as an error
  if (count == 0) {
    return make_error(Errc::kConfig, "tls.crl %s: no PEM CRL in the file", path.c_str());
  }
  // Check the leaf against its issuer's CRL; a CRL for every CA up the chain is not required.
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return Status::ok();
}

}  // namespace

Status apply_verification(SSL_CTX* ctx, const TlsProfile& v, bool server) {
  std::string mode = v.verify_client;
  if (mode.empty() || !server) {
    mode = !v.verify_certificate ? "off" : (server && !v.require_certificate) ? "optional" : "on";
  }
  if (mode == "off") {
    if (!server && v.ocsp_require) {
      return make_error(Errc::kConfig,
                        "ocsp_require needs verify_certificate = 1: a staple is checked against "
                        "the issuer in the server's verified chain");
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return Status::ok();
  }
  if (mode != "on" && mode != "optional" && mode != "optional_no_ca") {
    // Never fall through to the accept-anything mode on a value nobody validated.
    return make_error(Errc::kConfig,
                      "verify_client \"%s\": use off, on, optional or optional_no_ca",
                      mode.c_str());
  }
  // Trusted CAs. None at all is allowed: verification then always fails, as the manual says.
  if (!v.ca_list.empty() || !v.ca_path.empty()) {
    if (!v.ca_list.empty() && access(v.ca_list.c_str(), R_OK) != 0) {
      return make_error(Errc::kConfig, "tls.ca_list %s: cannot read: %s", v.ca_list.c_str(),
                        strerror(errno));
    }
    if (!SSL_CTX_load_verify_locations(ctx, v.ca_list.empty() ? nullptr : v.ca_list.c_str(),
                                       v.ca_path.empty() ? nullptr : v.ca_path.c_str())) {
      std::string where = v.ca_list.empty() ? "tls.ca_path " + v.ca_path
                          : v.ca_path.empty()
                              ? "tls.ca_list " + v.ca_list
                              : "tls.ca_list " + v.ca_list + " / ca_path " + v.ca_path;
      return make_error(Errc::kConfig, "%s: no usable CA certificate (%s)", where.c_str(),
                        take_tls_errors().c_str());
    }
    if (server && !v.ca_list.empty()) {
      // Tell clients which CAs we trust, so they pick the right certificate.
      if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(v.ca_list.c_str())) {
        SSL_CTX_set_client_CA_list(ctx, names);
      }
      ERR_clear_error();
    }
  }
  if (!v.crl.empty()) {
    if (Status s = load_crls(SSL_CTX_get_cert_store(ctx), v.crl); !s) return s;
  }
  // BoringSSL counts the trusted CA as a level of the chain (as OpenSSL 1.0.2 did); OpenSSL
  // 1.1/3, and so Kamailio today, do not: depth 0 = a leaf the trusted CA signed directly.
  SSL_CTX_set_verify_depth(ctx, v.verify_depth + 1);
  if (!server && v.ocsp_require) {
    SSL_CTX_enable_ocsp_stapling(ctx);
    SSL_CTX_set_tlsext_status_cb(ctx, staple_verdict);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, check_name_and_staple);
  } else if (!server) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, check_name);
  } else if (mode == "on") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else if (mode == "optional") {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  } else {  // optional_no_ca (checked above)
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any);
  }
  return Status::ok();
}

bool set_expected_peer_name(SSL* ssl, std::string_view name) {
  if (name.empty()) return true;
  auto* copy = new (std::nothrow) std::string(name);
  if (copy == nullptr) return false;
  delete static_cast<std::string*>(SSL_get_ex_data(ssl, name_index()));
  return SSL_set_ex_data(ssl, name_index(), copy) == 1;
}

const char* ocsp_refusal(const SSL* ssl) {
  const char* verdict = static_cast<const char*>(SSL_get_ex_data(ssl, staple_index()));
  return verdict == kStapleGood ? nullptr : verdict;
}

std::string_view expected_peer_name(const SSL* ssl) {
  auto* name = static_cast<const std::string*>(SSL_get_ex_data(ssl, name_index()));
  return name != nullptr ? std::string_view(*name) : std::string_view();
}

}  // namespace sipring
