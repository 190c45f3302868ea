#include "revoke.h"

#include <cstdio>
#include <ctime>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include "ca_dir.h"
#include "ca_index.h"
#include "errors.h"
#include "pem_io.h"
#include "x509_util.h"

namespace sipring::certs {
namespace {

Result<std::string> now_as_index_time() {
  bssl::UniquePtr<ASN1_TIME> now(ASN1_TIME_set(nullptr, time(nullptr)));
  if (!now) return tls_error("formatting revocation time");
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(now.get())),
                     static_cast<size_t>(ASN1_STRING_length(now.get())));
}

}  // namespace

Status revoke_cert(const std::string& dir, const std::string& cert_path) {
  CaPaths paths = CaPaths::in(dir);
  Result<bssl::UniquePtr<X509>> ca_cert = read_cert_file(paths.cert);
  if (!ca_cert) return ca_cert.status();
  Result<bssl::UniquePtr<X509>> cert = read_cert_file(cert_path);
  if (!cert) return cert.status();
  if (Status s = check_issued_by(cert->get(), ca_cert->get(), cert_path, paths.cert); !s) {
    return s;
  }
  Result<std::vector<IndexEntry>> index = load_index(paths.index);
  if (!index) return index.status();
  Result<std::string> serial = serial_hex(X509_get0_serialNumber(cert->get()));
  if (!serial) return serial.status();
  IndexEntry* entry = find_entry(*index, *serial);
  if (entry == nullptr) {
    return config_error(cert_path + ": serial " + *serial + " is not recorded in " + paths.index);
  }
  if (entry->status == 'R') {
    return config_error(cert_path + ": serial " + *serial + " is already revoked (at " +
                        entry->revoked_at + ")");
  }
  Result<std::string> now = now_as_index_time();
  if (!now) return now.status();
  entry->status = 'R';
  entry->revoked_at = *now;
  if (Status s = save_index(paths.index, *index); !s) return s;
  std::printf("revoked serial %s (%s) in %s\n", serial->c_str(), entry->subject.c_str(),
              paths.index.c_str());
  return Status::ok();
}

}  // namespace sipring::certs
