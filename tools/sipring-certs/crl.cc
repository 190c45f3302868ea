#include "crl.h"

#include <ctime>

#include <openssl/asn1.h>
#include <openssl/digest.h>
#include <openssl/nid.h>
#include <openssl/x509v3.h>

#include "ca_dir.h"
#include "ca_index.h"
#include "errors.h"
#include "pem_io.h"
#include "validity.h"
#include "x509_util.h"

namespace sipring::certs {
namespace {

Status add_revoked(X509_CRL* crl, const IndexEntry& entry, const std::string& index_path) {
  std::string where = index_path + ": serial " + entry.serial + ": ";
  BIGNUM* raw = nullptr;
  if (!BN_hex2bn(&raw, entry.serial.c_str())) return tls_error(where + "bad serial");
  bssl::UniquePtr<BIGNUM> serial(raw);
  // `openssl ca -revoke -crl_reason` appends ",reason" to the time; the time is what we need.
  std::string when = entry.revoked_at.substr(0, entry.revoked_at.find(','));
  bssl::UniquePtr<ASN1_TIME> date(ASN1_TIME_new());
  bssl::UniquePtr<ASN1_INTEGER> number(BN_to_ASN1_INTEGER(serial.get(), nullptr));
  bssl::UniquePtr<X509_REVOKED> revoked(X509_REVOKED_new());
  if (!date || !ASN1_TIME_set_string(date.get(), when.c_str())) {
    return tls_error(where + "bad revocation time '" + when + "'");
  }
  if (!number || !revoked || !X509_REVOKED_set_serialNumber(revoked.get(), number.get()) ||
      !X509_REVOKED_set_revocationDate(revoked.get(), date.get()) ||
      !X509_CRL_add0_revoked(crl, revoked.get())) {
    return tls_error(where + "adding to CRL");
  }
  revoked.release();  // now owned by |crl|
  return Status::ok();
}

Result<bssl::UniquePtr<X509_CRL>> make_crl(const CrlOptions& options, const LoadedCa& ca,
                                           const std::vector<IndexEntry>& index,
                                           const std::string& index_path, const BIGNUM* number) {
  bssl::UniquePtr<X509_CRL> crl(X509_CRL_new());
  time_t now = time(nullptr);
  bssl::UniquePtr<ASN1_TIME> last(ASN1_TIME_set(nullptr, now));
  bssl::UniquePtr<ASN1_TIME> next(ASN1_TIME_adj(nullptr, now, static_cast<int>(options.days), 0));
  if (!crl || !last || !next || !X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) ||
      !X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) ||
      !X509_CRL_set1_lastUpdate(crl.get(), last.get()) ||
      !X509_CRL_set1_nextUpdate(crl.get(), next.get())) {
    return tls_error("building CRL");
  }
  for (const IndexEntry& entry : index) {
    if (entry.status != 'R') continue;
    if (Status s = add_revoked(crl.get(), entry, index_path); !s) return s.error();
  }
  bssl::UniquePtr<ASN1_INTEGER> crl_number(BN_to_ASN1_INTEGER(number, nullptr));
  if (!crl_number ||
      !X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, crl_number.get(), 0, X509V3_ADD_DEFAULT)) {
    return tls_error("adding CRL number");
  }
  if (Status s =
          add_crl_ext(crl.get(), ca.cert.get(), NID_authority_key_identifier, "keyid:always");
      !s) {
    return s.error();
  }
  if (!X509_CRL_sort(crl.get()) || !X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256())) {
    return tls_error("signing CRL");
  }
  return crl;
}

}  // namespace

Status write_crl(const CrlOptions& options) {
  if (Status s = check_writable(options.out, options.overwrite); !s) return s;
  CaPaths paths = CaPaths::in(options.dir);
  Result<CaRecords> records = load_ca_records(paths, paths.crlnumber);
  if (!records) return records.status();
  const BIGNUM* number = records->counter.get();
  Result<bssl::UniquePtr<X509_CRL>> crl =
      make_crl(options, records->ca, records->index, paths.index, number);
  if (!crl) return crl.status();
  Result<std::string> pem = crl_to_pem(crl->get());
  if (!pem) return pem.status();
  // Bump first for the same reason as serials: a skipped number is harmless, a reused one is not.
  if (Status s = bump_counter(paths.crlnumber, number); !s) return s;
  return write_reported(options.out, *pem, kPublicMode, options.overwrite);
}

}  // namespace sipring::certs
