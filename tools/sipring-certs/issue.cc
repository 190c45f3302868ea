#include "issue.h"

#include <arpa/inet.h>

#include <ctime>

#include <openssl/asn1.h>
#include <openssl/mem.h>
#include <openssl/nid.h>

#include "ca_dir.h"
#include "ca_index.h"
#include "errors.h"
#include "pem_io.h"
#include "x509_util.h"

namespace sipring::certs {
namespace {

bool is_ip_literal(const std::string& text) {
  uint8_t buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

Result<bssl::UniquePtr<X509>> make_leaf_cert(const IssueOptions& options, const LoadedCa& ca,
                                             const BIGNUM* serial, EVP_PKEY* key) {
  bssl::UniquePtr<X509> cert(X509_new());
  Result<bssl::UniquePtr<X509_NAME>> name =
      make_name(options.cn, name_org(X509_get_subject_name(ca.cert.get())));
  if (!name) return name.error();
  if (!cert || !X509_set_version(cert.get(), X509_VERSION_3) ||
      !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) ||
      !X509_set_subject_name(cert.get(), name->get()) ||
      !X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.cert.get())) ||
      !X509_set_pubkey(cert.get(), key)) {
    return tls_error("building certificate");
  }
  if (Status s = set_validity(cert.get(), options.validity); !s) return s.error();
  // keyEncipherment only means something for RSA key transport; ECDSA keys must not claim it.
  std::string usage = options.key.type == KeySpec::Type::kRsa
                          ? "critical,digitalSignature,keyEncipherment"
                          : "critical,digitalSignature";
  std::string san = options.san.empty() ? default_san(options.cn) : options.san;
  const std::pair<int, std::string> exts[] = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, usage},
      {NID_ext_key_usage, options.purpose == Purpose::kServer ? "serverAuth" : "clientAuth"},
      {NID_subject_alt_name, san},
      {NID_subject_key_identifier, "hash"},
      {NID_authority_key_identifier, "keyid:always"},
  };
  for (const auto& [nid, value] : exts) {
    if (Status s = add_cert_ext(cert.get(), ca.cert.get(), nid, value); !s) return s.error();
  }
  if (Status s = sign_cert(cert.get(), ca.key.get()); !s) return s.error();
  return cert;
}

Result<IndexEntry> index_entry_for(X509* cert) {
  IndexEntry entry;
  entry.status = 'V';
  const ASN1_TIME* not_after = X509_get0_notAfter(cert);
  entry.expiry.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(not_after)),
                      static_cast<size_t>(ASN1_STRING_length(not_after)));
  Result<std::string> serial = serial_hex(X509_get0_serialNumber(cert));
  if (!serial) return serial.error();
  entry.serial = *serial;
  char* subject = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
  if (subject == nullptr) return tls_error("formatting subject");
  entry.subject = subject;
  OPENSSL_free(subject);
  return entry;
}

}  // namespace

std::string default_out_prefix(const std::string& dir, const std::string& cn) {
  std::string file = cn;
  for (char& c : file) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_';
    if (!ok) c = '_';
  }
  if (file.front() == '.') file.front() = '_';  // no hidden files, no ".."
  return dir + "/" + file;
}

std::string default_san(const std::string& cn) {
  return (is_ip_literal(cn) ? "IP:" : "DNS:") + cn;
}

Result<Issued> issue_cert(const IssueOptions& options) {
  Issued out;
  out.cert_path = options.out_prefix + "-cert.pem";
  out.key_path = options.out_prefix + "-key.pem";
  for (const std::string* path : {&out.cert_path, &out.key_path}) {
    if (Status s = check_writable(*path, options.overwrite); !s) return s.error();
    if (Status s = check_parent_dir(*path); !s) return s.error();
  }
  CaPaths paths = CaPaths::in(options.dir);
  Result<CaRecords> records = load_ca_records(paths, paths.serial);
  if (!records) return records.error();
  std::vector<IndexEntry>& index = records->index;
  const BIGNUM* serial = records->counter.get();

  Result<bssl::UniquePtr<EVP_PKEY>> key = generate_key(options.key);
  if (!key) return key.error();
  Result<bssl::UniquePtr<X509>> cert = make_leaf_cert(options, records->ca, serial, key->get());
  if (!cert) return cert.error();
  Result<IndexEntry> entry = index_entry_for(cert->get());
  if (!entry) return entry.error();
  if (find_entry(index, entry->serial) != nullptr) {
    return config_error(paths.serial + ": serial " + entry->serial + " is already in " +
                        paths.index + "; fix the serial file before issuing more certificates");
  }
  Result<std::string> key_pem = options.key_password
                                    ? key_to_encrypted_pem(key->get(), *options.key_password)
                                    : key_to_pem(key->get());
  if (!key_pem) return key_pem.error();
  Result<std::string> cert_pem = cert_to_pem(cert->get());
  if (!cert_pem) return cert_pem.error();

  // The CA's records are updated before the outputs are written: if writing fails, a serial is
  // skipped (harmless), whereas the other order could hand out the same serial twice.
  if (Status s = bump_counter(paths.serial, serial); !s) return s.error();
  index.push_back(std::move(entry).value());
  if (Status s = save_index(paths.index, index); !s) return s.error();
  if (Status s = write_reported(out.key_path, *key_pem, kKeyMode, options.overwrite); !s) {
    return s.error();
  }
  if (Status s = write_reported(out.cert_path, *cert_pem, kPublicMode, options.overwrite); !s) {
    return s.error();
  }
  out.cert_pem = std::move(cert_pem).value();
  out.key_pem = std::move(key_pem).value();
  return out;
}

}  // namespace sipring::certs
