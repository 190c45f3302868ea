#include "ca_dir.h"

#include <sys/stat.h>

#include <cerrno>

#include <openssl/mem.h>

#include "errors.h"
#include "file_io.h"
#include "pem_io.h"

namespace sipring::certs {

CaPaths CaPaths::in(const std::string& dir) {
  CaPaths p;
  p.dir = dir;
  p.cert = dir + "/cacert.pem";
  p.private_dir = dir + "/private";
  p.key = p.private_dir + "/cakey.pem";
  p.serial = dir + "/serial";
  p.index = dir + "/index.txt";
  p.index_attr = dir + "/index.txt.attr";
  p.crlnumber = dir + "/crlnumber";
  return p;
}

Result<LoadedCa> load_ca(const CaPaths& paths) {
  struct stat st;
  if (stat(paths.cert.c_str(), &st) != 0 && errno == ENOENT) {
    return config_error(paths.cert +
                        ": no CA certificate here; create the CA first with "
                        "'sipring-certs ca --dir " +
                        paths.dir + "'");
  }
  LoadedCa ca;
  Result<bssl::UniquePtr<X509>> cert = read_cert_file(paths.cert);
  if (!cert) return cert.error();
  ca.cert = std::move(cert).value();
  Result<bssl::UniquePtr<EVP_PKEY>> key = read_key_file(paths.key);
  if (!key) return key.error();
  ca.key = std::move(key).value();
  if (!X509_check_private_key(ca.cert.get(), ca.key.get())) {
    return tls_error(paths.key + ": does not match the CA certificate " + paths.cert);
  }
  return ca;
}

Result<CaRecords> load_ca_records(const CaPaths& paths, const std::string& counter_path) {
  CaRecords records;
  Result<LoadedCa> ca = load_ca(paths);
  if (!ca) return ca.error();
  records.ca = std::move(ca).value();
  Result<std::vector<IndexEntry>> index = load_index(paths.index);
  if (!index) return index.error();
  records.index = std::move(index).value();
  Result<bssl::UniquePtr<BIGNUM>> counter = read_counter(counter_path);
  if (!counter) return counter.error();
  records.counter = std::move(counter).value();
  return records;
}

Result<bssl::UniquePtr<BIGNUM>> read_counter(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text) return text.error();
  std::string hex = *text;
  while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r' || hex.back() == ' ')) {
    hex.pop_back();
  }
  BIGNUM* raw = nullptr;
  // BN_hex2bn returns the number of hex digits it consumed; anything left over is garbage.
  if (hex.empty() || BN_hex2bn(&raw, hex.c_str()) != static_cast<int>(hex.size())) {
    BN_free(raw);
    return config_error(path + ": expected a hexadecimal number such as 01, found '" + hex + "'");
  }
  bssl::UniquePtr<BIGNUM> value(raw);
  if (BN_is_negative(value.get()) || BN_is_zero(value.get())) {
    return config_error(path + ": the counter must be positive");
  }
  return value;
}

Result<std::string> format_counter(const BIGNUM* value) {
  char* hex = BN_bn2hex(value);
  if (hex == nullptr) return tls_error("formatting counter");
  std::string out(hex);
  OPENSSL_free(hex);
  if (out.size() % 2 != 0) out = "0" + out;
  out += '\n';
  return out;
}

Status bump_counter(const std::string& path, const BIGNUM* value) {
  bssl::UniquePtr<BIGNUM> next(BN_dup(value));
  if (!next || !BN_add_word(next.get(), 1)) return tls_error("incrementing counter");
  Result<std::string> text = format_counter(next.get());
  if (!text) return text.error();
  return write_file(path, *text, kPublicMode, Overwrite::kAllow);
}

}  // namespace sipring::certs
