#include "issue.h"

#include <arpa/inet.h>

#include <ctime>

#include <openssl/asn1.h>
#include <openssl/mem.h>
#include <openssl/nid.h>

#include "ca_dir.h"
#include "ca_index.h"
#include "command.h"
#include "errors.h"
#include "pem_io.h"
#include "x509_util.h"

namespace sipring::certs {
namespace {

constexpr long kDefaultDays = 365;

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

Status run_issue(const Args& args, Purpose purpose) {
  IssueOptions options;
  options.purpose = purpose;
  const std::string* dir = args.get("dir");
  const std::string* cn = args.get("cn");
  if (dir == nullptr) return usage_error("option --dir is required");
  if (cn == nullptr) return usage_error("option --cn is required");
  options.dir = *dir;
  options.cn = *cn;
  if (Status s = check_name_value("cn", options.cn); !s) return s;
  options.san = args.get_or("san", "");
  if (args.has("san") && options.san.empty()) return usage_error("option --san must not be empty");
  if (!args.has("san") && options.cn.find(',') != std::string::npos) {
    return usage_error("the common name contains ',', so it cannot be the default SAN; give --san");
  }
  Result<Validity> validity = validity_from_args(args, kDefaultDays, time(nullptr));
  if (!validity) return validity.error();
  options.validity = *validity;
  Result<KeySpec> key = key_spec_from_args(args);
  if (!key) return key.error();
  options.key = *key;
  options.out_prefix = args.get_or("out", default_out_prefix(options.dir, options.cn));
  if (const std::string* pw = args.get("key-password")) {
    if (pw->empty()) return usage_error("option --key-password must not be empty");
    options.key_password = *pw;
  }
  options.overwrite = args.has("force") ? Overwrite::kAllow : Overwrite::kRefuse;
  Result<Issued> issued = issue_cert(options);
  return issued.status();
}

Status run_server(const Args& args) {
  return run_issue(args, Purpose::kServer);
}
Status run_client(const Args& args) {
  return run_issue(args, Purpose::kClient);
}

constexpr OptionSpec kIssueOptions[] = {
    {"dir", true},          {"cn", true},         {"san", true},       {"days", true},
    {"rsa", true},          {"not-before", true}, {"not-after", true}, {"out", true},
    {"key-password", true}, {"force", false},
};

#define ISSUE_USAGE(kind, eku)                                                                    \
  "usage: sipring-certs " kind                                                                    \
  " --dir DIR --cn NAME [--san LIST] [--days N] [--rsa BITS]\n"                                   \
  "         [--not-before YYYYMMDDHHMMSSZ] [--not-after YYYYMMDDHHMMSSZ] [--out PREFIX]\n"        \
  "         [--key-password PW] [--force]\n"                                                      \
  "\n"                                                                                            \
  "Issues a " kind " certificate (extendedKeyUsage " eku                                          \
  ") signed by the CA in DIR and writes\n"                                                        \
  "PREFIX-cert.pem and PREFIX-key.pem (mode 0600). The serial comes from DIR/serial and the\n"    \
  "certificate is recorded in DIR/index.txt.\n"                                                   \
  "  --san LIST      subjectAltName, e.g. DNS:sip.example.com,IP:192.0.2.1,URI:sip:example.com\n" \
  "                  (default DNS:NAME, or IP:NAME if NAME is an address)\n"                      \
  "  --days N        validity in days from now (default 365)\n"                                   \
  "  --not-before T, --not-after T\n"                                                             \
  "                  explicit validity (UTC), e.g. to make expired certificates for tests\n"      \
  "  --rsa BITS      RSA key of BITS (2048..8192) instead of ECDSA P-256\n"                       \
  "  --out PREFIX    output prefix (default DIR/NAME)\n"                                          \
  "  --key-password PW\n"                                                                         \
  "                  encrypt the key (PKCS#8, PBKDF2 + AES-256-CBC); note that PW is visible\n"   \
  "                  to other local users in the process list\n"                                  \
  "  --force         replace existing output files\n"

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
  Result<LoadedCa> ca = load_ca(paths);
  if (!ca) return ca.error();
  Result<std::vector<IndexEntry>> index = load_index(paths.index);
  if (!index) return index.error();
  Result<bssl::UniquePtr<BIGNUM>> serial = read_counter(paths.serial);
  if (!serial) return serial.error();

  Result<bssl::UniquePtr<EVP_PKEY>> key = generate_key(options.key);
  if (!key) return key.error();
  Result<bssl::UniquePtr<X509>> cert = make_leaf_cert(options, *ca, serial->get(), key->get());
  if (!cert) return cert.error();
  Result<IndexEntry> entry = index_entry_for(cert->get());
  if (!entry) return entry.error();
  if (find_entry(*index, entry->serial) != nullptr) {
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
  if (Status s = bump_counter(paths.serial, serial->get()); !s) return s.error();
  index->push_back(std::move(entry).value());
  if (Status s = save_index(paths.index, *index); !s) return s.error();
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

const Command kServerCommand = {
    .name = "server",
    .summary = "issue a TLS server certificate and key signed by the CA",
    .usage = ISSUE_USAGE("server", "serverAuth"),
    .options = kIssueOptions,
    .min_positional = 0,
    .max_positional = 0,
    .run = run_server,
};

const Command kClientCommand = {
    .name = "client",
    .summary = "issue a TLS client certificate and key signed by the CA",
    .usage = ISSUE_USAGE("client", "clientAuth"),
    .options = kIssueOptions,
    .min_positional = 0,
    .max_positional = 0,
    .run = run_client,
};

#undef ISSUE_USAGE

}  // namespace sipring::certs
