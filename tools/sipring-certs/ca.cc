#include "ca.h"

#include <ctime>

#include <openssl/nid.h>

#include "ca_dir.h"
#include "errors.h"
#include "pem_io.h"
#include "validity.h"
#include "x509_util.h"

namespace sipring::certs {
namespace {

constexpr char kFirstCounter[] = "01\n";  // what the manual's `echo 01 >serial` writes
// Certificates issued here may carry the same subject (renewals); tell `openssl ca` so too.
constexpr char kIndexAttr[] = "unique_subject = no\n";

Result<bssl::UniquePtr<X509>> make_ca_cert(const CaOptions& options, EVP_PKEY* key) {
  bssl::UniquePtr<X509> cert(X509_new());
  Result<bssl::UniquePtr<BIGNUM>> serial = random_serial();
  if (!serial) return serial.error();
  Result<bssl::UniquePtr<X509_NAME>> name = make_name(options.cn, options.org);
  if (!name) return name.error();
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !BN_to_ASN1_INTEGER(serial->get(), X509_get_serialNumber(cert.get())) ||
      !X509_set_subject_name(cert.get(), name->get()) ||
      !X509_set_issuer_name(cert.get(), name->get()) || !X509_set_pubkey(cert.get(), key)) {
    return tls_error("building CA certificate");
  }
  Result<Validity> validity =
      make_validity(time(nullptr), std::nullopt, std::nullopt, options.days);
  if (!validity) return validity.error();
  if (Status s = set_validity(cert.get(), *validity); !s) return s.error();
  // The subject key id must exist before the authority key id, which copies it.
  const std::pair<int, const char*> exts[] = {
      {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
      {NID_key_usage, "critical,keyCertSign,cRLSign"},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  for (const auto& [nid, value] : exts) {
    if (Status s = add_cert_ext(cert.get(), cert.get(), nid, value); !s) return s.error();
  }
  if (Status s = sign_cert(cert.get(), key); !s) return s.error();
  return cert;
}

}  // namespace

std::vector<std::string> ca_outputs(const std::string& dir) {
  CaPaths p = CaPaths::in(dir);
  return {p.cert, p.key, p.serial, p.index, p.index_attr, p.crlnumber};
}

Status create_ca(const CaOptions& options) {
  CaPaths paths = CaPaths::in(options.dir);
  for (const std::string& path : ca_outputs(options.dir)) {
    if (Status s = check_writable(path, options.overwrite); !s) return s;
  }
  Result<bssl::UniquePtr<EVP_PKEY>> key = generate_key(options.key);
  if (!key) return key.error();
  Result<bssl::UniquePtr<X509>> cert = make_ca_cert(options, key->get());
  if (!cert) return cert.error();
  Result<std::string> key_pem = key_to_pem(key->get());
  if (!key_pem) return key_pem.error();
  Result<std::string> cert_pem = cert_to_pem(cert->get());
  if (!cert_pem) return cert_pem.error();

  if (Status s = ensure_dir(paths.dir, 0755); !s) return s;
  if (Status s = ensure_dir(paths.private_dir, kPrivateDirMode); !s) return s;
  const std::pair<const std::string*, std::string_view> files[] = {
      {&paths.key, *key_pem}, {&paths.cert, *cert_pem},        {&paths.serial, kFirstCounter},
      {&paths.index, ""},     {&paths.index_attr, kIndexAttr}, {&paths.crlnumber, kFirstCounter},
  };
  for (const auto& [path, data] : files) {
    mode_t mode = path == &paths.key ? kKeyMode : kPublicMode;
    if (Status s = write_reported(*path, data, mode, options.overwrite); !s) return s;
  }
  return Status::ok();
}

}  // namespace sipring::certs
